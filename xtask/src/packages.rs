//! What setup installs from Debian and npm: the test stage's packages, Node.js, wasm-opt from npm
//! binaryen, and the test and benchmark folders' locked npm packages.

use std::fs;
use std::process::Command;

use crate::Result;
use crate::ctx::{Ctx, header, probe, run};
use crate::pins::BINARYEN_VERSION;

/// Debian packages needed by the tests: the browser and its driver for the wasm and end-to-end
/// stages; a software Vulkan (lavapipe) for the native wgpu tests (lab-core's and model-convert's
/// `wgpu` feature, which `test` leaves out of its build but a developer may turn on).
const APT_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "mesa-vulkan-drivers",
    "libvulkan1",
];

/// Where npm puts binaryen's `wasm-opt`, relative to the repository root; on the tool PATH.
const WASM_OPT_BIN: &str = ".tools/node_modules/.bin/wasm-opt";

pub fn step_wasm_opt(ctx: &Ctx) -> Result {
    let bin = ctx.root.join(WASM_OPT_BIN);
    // `wasm-opt version 132 (version_132)`; trunk reads the third word.
    let wanted = |ctx: &Ctx| {
        probe(ctx.cmd(&bin).arg("--version"))
            .is_some_and(|out| out.split_whitespace().nth(2) == Some(BINARYEN_VERSION))
    };
    if wanted(ctx) {
        return Ok(());
    }
    header(&format!(
        "setup: installing wasm-opt from npm binaryen@{BINARYEN_VERSION} into .tools/"
    ));
    let tools = ctx.root.join(".tools");
    fs::create_dir_all(&tools).map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
    run(ctx
        .cmd("npm")
        .args(["install", "--prefix"])
        .arg(&tools)
        .args(["--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("binaryen@{BINARYEN_VERSION}")))?;
    if wanted(ctx) {
        Ok(())
    } else {
        Err(format!(
            "{} --version does not report version {BINARYEN_VERSION}",
            bin.display()
        ))
    }
}

pub fn step_apt_packages(ctx: &Ctx) -> Result {
    apt_install(ctx, APT_PACKAGES)
}

/// Node.js and npm (wasm-opt and the end-to-end tests come from npm): from Debian when absent.
pub fn step_node(ctx: &Ctx) -> Result {
    if probe(ctx.cmd("npm").arg("--version")).is_some()
        && probe(ctx.cmd("node").arg("--version")).is_some()
    {
        return Ok(());
    }
    apt_install(ctx, &["nodejs", "npm"])
}

/// Installs those of `packages` that dpkg does not list as installed.
fn apt_install(ctx: &Ctx, packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|pkg| {
            probe(ctx.cmd("dpkg-query").args(["-W", "-f=${Status}", pkg]))
                .is_none_or(|status| !status.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    header(&format!(
        "setup: installing Debian packages {}",
        missing.join(" ")
    ));
    if probe(ctx.cmd("dpkg-query").arg("--version")).is_none() {
        return Err(format!(
            "dpkg not found: install these packages (or their equivalents) by hand: {}",
            missing.join(" ")
        ));
    }
    let is_root = probe(ctx.cmd("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| -> Command {
        let mut cmd = if is_root {
            ctx.cmd("apt-get")
        } else {
            let mut cmd = ctx.cmd("sudo");
            cmd.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            cmd
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        cmd
    };
    if !is_root && probe(ctx.cmd("sudo").arg("--version")).is_none() {
        return Err(format!(
            "not root and no sudo: run `apt-get install {}` as root",
            missing.join(" ")
        ));
    }
    run(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q"]);
    install.args(&missing);
    run(&mut install)
}

pub fn step_e2e_npm(ctx: &Ctx) -> Result {
    npm_ci(ctx, "tests/e2e")
}

pub fn step_bench_npm(ctx: &Ctx) -> Result {
    npm_ci(ctx, "tests/bench")
}

/// `npm ci` in `folder` (relative to the repository root), only when its node_modules was not
/// installed from this very lock file. No install script runs: none of these packages needs one,
/// and tfjs's core-js would run its postinstall banner.
fn npm_ci(ctx: &Ctx, folder: &str) -> Result {
    let dir = ctx.root.join(folder);
    let lock_path = dir.join("package-lock.json");
    let lock =
        fs::read(&lock_path).map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let stamp = dir.join("node_modules/.xtask-package-lock.json");
    if fs::read(&stamp).is_ok_and(|old| old == lock) {
        return Ok(());
    }
    header(&format!("setup: npm ci in {folder}"));
    run(ctx
        .cmd("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
    fs::write(&stamp, lock).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}
