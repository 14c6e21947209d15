//! The wasm stage's build, started with `test` at the lowest CPU priority: its cargo compiles
//! whenever the rest of `test` leaves a core idle (the downloads, one-core work such as the site's
//! fat-LTO link, wasm-opt and the encoder's pass over the reviews, the end-to-end stage's
//! browser), and gives the cores back to everything else. Cold on 2 cores that tree alone is
//! about 11 minutes of both cores (Cargo.toml's `wasm-test` profile), which the stage used to
//! spend with nothing beside it but the site's one-core steps.

use std::process::{Child, Command};

use crate::Result;
use crate::ctx::{Ctx, header};

/// Where the build's cargo writes, relative to the repository root.
const WASM_PREBUILD_LOG: &str = "target/wasm-prebuild.log";

/// The wasm stage's build that [`start_wasm_prebuild`] started.
pub struct WasmPrebuild {
    /// None once waited for.
    cargo: Option<Child>,
}

/// Starts the wasm stage's `cargo test` command, as `stage_cargo` builds it, with `--no-run` (so
/// that the stage's own cargo finds every unit built with the same fingerprint), at the lowest
/// priority and writing to [`WASM_PREBUILD_LOG`].
pub fn start_wasm_prebuild(ctx: &Ctx, stage_cargo: fn(&Ctx) -> Command) -> Result<WasmPrebuild> {
    let file = ctx.create_log(WASM_PREBUILD_LOG)?;
    header(&format!(
        "test: the wasm stage's build at the lowest CPU priority beside everything before it; its output goes to {WASM_PREBUILD_LOG}"
    ));
    let child = stage_cargo(&ctx.lowest_priority().logging_to(file))
        .arg("--no-run")
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
        .spawn()
        .map_err(|e| format!("cannot start the wasm stage's build: {e}"))?;
    Ok(WasmPrebuild { cargo: Some(child) })
}

impl WasmPrebuild {
    /// Waits for the build. Its outcome is not checked: the stage's own `cargo test` then builds
    /// whatever is left and reports any error with its own output.
    pub fn finish(mut self) {
        if let Some(mut cargo) = self.cargo.take() {
            if matches!(cargo.try_wait(), Ok(None)) {
                header(&format!(
                    "test: waiting for the wasm stage's build (its log: {WASM_PREBUILD_LOG})"
                ));
            }
            let _ = cargo.wait();
        }
    }
}

impl Drop for WasmPrebuild {
    /// A `test` that fails before the wasm stage stops the build rather than leaving a compiler
    /// running after it.
    fn drop(&mut self) {
        if let Some(mut cargo) = self.cargo.take() {
            let _ = cargo.kill();
            let _ = cargo.wait();
        }
    }
}
