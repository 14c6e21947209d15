//! `test`: the setup and test prerequisites, then the stages in order, stopping at the first
//! failure.

use std::ffi::OsStr;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::ctx::{Ctx, header, run};
use crate::setup::{SITE_STEPS, TEST_STEPS, TEST_TOOLCHAIN_STEPS, TRUNK_STEPS, run_steps, setup};
use crate::site_build::{SiteBuild, start_site_build};
use crate::wasm_prebuild::start_wasm_prebuild;
use crate::{Result, WASM_TARGET, assets};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WASM_TEST_TIMEOUT_S: &str = "300";

/// The lint stage's cargo commands, cheapest first so that a formatting slip fails in seconds.
/// clippy is not among them: the native and wasm stages compile the workspace's crates through
/// clippy-driver ([`crate::ctx::CLIPPY_WRAPPER`]), so that no separate `cargo clippy` checks the
/// whole dependency tree once more for nothing but the lints (5 minutes natively, 7 for wasm,
/// on 2 cores).
pub const LINT_STEPS: &[(&str, &[&str])] = &[
    ("formatting", &["fmt", "--all", "--check"]),
    (
        "licences, bans and sources (deny.toml)",
        &["deny", "check", "licenses", "bans", "sources"],
    ),
];

/// The native stage: one `cargo test` over exactly these packages, so that one build of their
/// dependency tree serves it and the converter (`Ctx::converter`, built with the same features).
/// Without lab-core's default `wgpu` feature: the wgpu/cubecl stack is 7 of the native tree's 15
/// minutes on 2 cores, and the wasm stage checks the same agreements on the page's WebGPU. With
/// lab-core's `ndarray` feature, which model-convert also asks for: its tests run on both CPU
/// backends. The web crate's own unit tests run in the wasm stage instead.
pub const NATIVE_TEST: &[&str] = &[
    "test",
    "--no-default-features",
    "--features",
    "lab-core/ndarray",
    "-p",
    "lab-core",
    "-p",
    "model-convert",
    "-p",
    "xtask",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stage {
    Lint,
    Native,
    E2e,
    Wasm,
}

impl Stage {
    /// The order they run in. The wasm stage comes last: its tree compiles at the lowest
    /// priority from the start ([`start_wasm_prebuild`]), and the end-to-end stage, whose browser
    /// leaves a core mostly idle, is its last chance to.
    const ALL: [Stage; 4] = [Stage::Lint, Stage::Native, Stage::E2e, Stage::Wasm];

    fn name(self) -> &'static str {
        match self {
            Stage::Lint => "lint",
            Stage::Native => "native",
            Stage::Wasm => "wasm",
            Stage::E2e => "e2e",
        }
    }
}

pub struct TestOptions {
    stages: Vec<Stage>,
    prereqs_only: bool,
}

impl TestOptions {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut quick = false;
        let mut only = Vec::new();
        let mut prereqs_only = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--prereqs-only" => prereqs_only = true,
                "--only" => {
                    let names = Stage::ALL.map(Stage::name).join(", ");
                    let name = args
                        .next()
                        .ok_or_else(|| format!("--only needs a stage: {names}"))?;
                    let stage = Stage::ALL
                        .into_iter()
                        .find(|s| s.name() == name)
                        .ok_or_else(|| format!("unknown stage `{name}`; stages are {names}"))?;
                    only.push(stage);
                }
                other => {
                    return Err(format!(
                        "unexpected argument `{other}` for test; see `cargo xtask test --help`"
                    ));
                }
            }
        }
        let stages = Stage::ALL
            .into_iter()
            .filter(|s| only.is_empty() || only.contains(s))
            .filter(|s| !(quick && *s == Stage::E2e))
            .collect();
        Ok(Self {
            stages,
            prereqs_only,
        })
    }
}

pub fn test(ctx: &Ctx, opts: &TestOptions) -> Result {
    let end_to_end = opts.stages.contains(&Stage::E2e);
    // Before anything compiles beside setup: the wasm target, and clippy, whose driver compiles
    // the workspace's crates in the builds that start next.
    run_steps(ctx, TEST_TOOLCHAIN_STEPS)?;
    if opts.prereqs_only {
        setup(ctx, TEST_STEPS, if end_to_end { SITE_STEPS } else { &[] })?;
        println!("xtask: test prerequisites are in place");
        return Ok(());
    }
    // Only the end-to-end stage needs trunk and the site: they build beside everything before it.
    let mut site = if end_to_end {
        Some(start_site_build(ctx)?)
    } else {
        None
    };
    let mut wasm_prebuild = if opts.stages.contains(&Stage::Wasm) {
        Some(start_wasm_prebuild(ctx, wasm_stage_cargo)?)
    } else {
        None
    };
    // The site's build then needs trunk, which setup's build thread compiles beside the wasm.
    setup(ctx, TEST_STEPS, if end_to_end { TRUNK_STEPS } else { &[] })?;
    if let Some(site) = &mut site {
        site.setup_done();
    }
    let started = Instant::now();
    let total = opts.stages.len();
    for (i, stage) in opts.stages.iter().enumerate() {
        let stage_start = Instant::now();
        let n = i + 1;
        let result = match stage {
            Stage::Lint => lint(ctx, &format!("test {n}/{total}: lint")),
            Stage::Native => {
                header(&format!(
                    "test {n}/{total}: native, linted by clippy as it builds (cargo test -p lab-core -p model-convert -p xtask)"
                ));
                run(ctx.cargo_linted().args(NATIVE_TEST))
            }
            Stage::Wasm => {
                header(&format!(
                    "test {n}/{total}: wasm in headless Chromium, linted by clippy as it builds (cargo test --profile wasm-test --target {WASM_TARGET} --lib --test browser --features relaxed-simd)"
                ));
                if let Some(prebuild) = wasm_prebuild.take() {
                    prebuild.finish();
                }
                run(&mut wasm_stage_cargo(ctx))
            }
            Stage::E2e => {
                header(&format!(
                    "test {n}/{total}: end to end (trunk build --release, node --test tests/e2e/)"
                ));
                site.take()
                    .map_or(Ok(()), SiteBuild::finish)
                    .and_then(|()| e2e(ctx))
            }
        };
        result.map_err(|e| format!("test stage `{}` failed: {e}", stage.name()))?;
        println!(
            "==> test stage `{}` passed in {:.0?}",
            stage.name(),
            stage_start.elapsed()
        );
    }
    let names: Vec<&str> = opts.stages.iter().map(|s| s.name()).collect();
    println!(
        "\n==> all test stages passed ({}) in {:.0?}",
        names.join(", "),
        started.elapsed()
    );
    Ok(())
}

/// The wasm stage's `cargo test`, which [`start_wasm_prebuild`] also runs with `--no-run`.
fn wasm_stage_cargo(ctx: &Ctx) -> Command {
    let mut cargo = ctx.cargo_linted();
    cargo
        .args([
            "test",
            // Cargo.toml says why the wasm tests have a profile of their own.
            "--profile",
            "wasm-test",
            "--target",
            WASM_TARGET,
            "--lib",
            "--test",
            "browser",
            // As trunk builds the site's full module (index.html): the kernels with relaxed
            // SIMD, which Chromium has, and their `cfg`s linted.
            "--features",
            "relaxed-simd",
        ])
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", WASM_TEST_TIMEOUT_S)
        // The runner reads ./webdriver.json (cwd = the crate root, here the repository root);
        // name it explicitly anyway.
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            ctx.root.join("webdriver.json"),
        );
    cargo
}

/// Formatting, then the licence, ban and source checks; one header per command.
fn lint(ctx: &Ctx, stage_header: &str) -> Result {
    for (i, (what, args)) in LINT_STEPS.iter().enumerate() {
        header(&format!(
            "{stage_header} {}/{}: {what} (cargo {})",
            i + 1,
            LINT_STEPS.len(),
            args.join(" ")
        ));
        run(ctx.cargo().args(*args))?;
    }
    Ok(())
}

fn e2e(ctx: &Ctx) -> Result {
    convert_own_resnet(ctx)?;
    let dir = ctx.root.join("tests/e2e");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|n| n.ends_with(".test.mjs"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        println!("xtask: warning: no tests/e2e/*.test.mjs files, nothing to run");
        return Ok(());
    }
    // Explicit file list: `node --test DIR` means different things across
    // node versions (a folder to search in 20, a glob pattern from 21 on).
    let rel: Vec<PathBuf> = files
        .iter()
        .map(|p| p.strip_prefix(&ctx.root).unwrap_or(p).to_path_buf())
        .collect();
    // A test that fails with its browser or server still open would otherwise keep its file's
    // process, and so the stage, waiting forever: a failure would end as CI's timeout.
    run(ctx
        .cmd("node")
        .args(["--test", "--test-force-exit"])
        .args(rel))
}

/// What the README tells a visitor to do with their own torchvision ResNet-50, done into the
/// built site for the end-to-end tests and the benchmark (the served app keeps only its default
/// models): the seeded checkpoint that `scripts/vision_reference.py` builds with torchvision,
/// written by `model-convert seeded-checkpoint`, converted with the README's command.
pub fn convert_own_resnet(ctx: &Ctx) -> Result {
    header(
        "converting a ResNet-50 checkpoint into dist/assets/models/my-resnet50 (the README's command)",
    );
    let checkpoint = ctx.root.join(".cache/e2e/resnet50-seeded.safetensors");
    if !checkpoint.is_file() {
        run(ctx
            .converter()
            .args(["seeded-checkpoint", "--arch", "resnet50", "--out"])
            .arg(&checkpoint))?;
    }
    run(ctx
        .converter()
        .args(["--arch", "resnet50", "--input"])
        .arg(&checkpoint)
        .args([
            "--out",
            "dist/assets/models/my-resnet50",
            "--labels",
            assets::CONVERTER_INPUTS[1].dest,
            "--labels-zh",
            assets::ZH_LABELS,
            "--name",
            "my-resnet50",
        ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::CLIPPY_WRAPPER;

    #[test]
    fn parses_test_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            TestOptions::parse(&args(&[])).unwrap().stages,
            Stage::ALL.to_vec()
        );
        assert_eq!(
            TestOptions::parse(&args(&["--quick"])).unwrap().stages,
            vec![Stage::Lint, Stage::Native, Stage::Wasm]
        );
        assert_eq!(
            TestOptions::parse(&args(&["--only", "e2e"]))
                .unwrap()
                .stages,
            vec![Stage::E2e]
        );
        assert_eq!(
            TestOptions::parse(&args(&["--only", "lint"]))
                .unwrap()
                .stages,
            vec![Stage::Lint]
        );
        // Stages run in their fixed order whatever the order of `--only`.
        assert_eq!(
            TestOptions::parse(&args(&["--only", "native", "--only", "lint"]))
                .unwrap()
                .stages,
            vec![Stage::Lint, Stage::Native]
        );
        assert!(TestOptions::parse(&args(&["--only", "x"])).is_err());
        assert!(TestOptions::parse(&args(&["--only"])).is_err());
        assert!(
            TestOptions::parse(&args(&["--prereqs-only"]))
                .unwrap()
                .prereqs_only
        );
    }

    #[test]
    fn help_shows_the_lint_commands() {
        let help = crate::TEST_USAGE
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for (_, args) in LINT_STEPS {
            let command = format!("cargo {}", args.join(" "));
            assert!(
                help.contains(&command),
                "`test --help` does not show `{command}`"
            );
        }
    }

    #[test]
    fn the_native_and_wasm_builds_are_linted_with_warnings_denied() {
        assert_eq!(LINT_STEPS[0].1, ["fmt", "--all", "--check"]);
        assert_eq!(
            CLIPPY_WRAPPER[0],
            ("RUSTC_WORKSPACE_WRAPPER", "clippy-driver")
        );
        let args: Vec<&str> = CLIPPY_WRAPPER[1]
            .1
            .split("__CLIPPY_HACKERY__")
            .filter(|a| !a.is_empty())
            .collect();
        assert_eq!(args, ["-D", "warnings"]);
    }
}
