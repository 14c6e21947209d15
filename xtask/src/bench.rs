//! `bench`: the release site built, then the native and browser benchmarks, which print their
//! own figures; `bench --compare`: the site built, then only the playground's training measured
//! against TensorFlow.js in one headless Chromium page.

use crate::Result;
use crate::ctx::{Ctx, header, run};
use crate::setup::{COMPARE_STEPS, TEST_STEPS, run_steps, setup};
use crate::test::{convert_own_resnet, trunk_build};

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
    setup(ctx, TEST_STEPS)?;
    if options.compare {
        // Only this run needs TensorFlow.js (about 300 MB installed), so `setup` leaves it out.
        run_steps(ctx, COMPARE_STEPS)?;
        header("bench --compare 1/2: trunk build --release");
        trunk_build(ctx)?;
        header(
            "bench --compare 2/2: the playground's training against TensorFlow.js (node tests/e2e/bench.mjs --compare)",
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
}
