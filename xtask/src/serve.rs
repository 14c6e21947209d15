//! `serve`: the release site built when something it is built from changed, then served as it
//! is. trunk redoes wasm-bindgen and wasm-opt on every start (about 3 minutes on 2 cores even
//! when cargo has nothing to do), so a second `serve` with nothing changed skips trunk and
//! serves dist/ straight away; `--watch` keeps trunk's rebuild-on-edit server for development.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use crate::Result;
use crate::ctx::{Ctx, header, run_interactive};
use crate::setup::{SITE_STEPS, setup};
use crate::test::trunk_build;

/// What trunk builds the site from, relative to the repository root (folders walked).
const SITE_INPUTS: &[&str] = &[
    "index.html",
    "Trunk.toml",
    "Cargo.toml",
    "Cargo.lock",
    "src",
    "www",
    "crates/lab-core",
];
/// Written into dist/ after a build that xtask ran: the newest input's time it was built from.
const STAMP: &str = "dist/.xtask-built-from";
const DEFAULT_PORT: &str = "8080";

pub struct ServeOptions {
    /// trunk's own server, which rebuilds on every edit, with these extra trunk arguments.
    watch: Option<Vec<String>>,
    port: String,
}

impl ServeOptions {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            watch: None,
            port: DEFAULT_PORT.into(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--watch" => options.watch = Some(Vec::new()),
                "--port" => {
                    let port = args.next().ok_or("--port needs a number")?;
                    port.parse::<u16>()
                        .map_err(|_| format!("--port {port}: not a port number"))?;
                    options.port = port.clone();
                }
                "--" if options.watch.is_some() => {
                    options.watch = Some(args.by_ref().cloned().collect());
                }
                other => {
                    return Err(format!(
                        "unexpected argument `{other}` for serve; see `cargo xtask serve --help`"
                    ));
                }
            }
        }
        Ok(options)
    }
}

pub fn serve(ctx: &Ctx, options: &ServeOptions) -> Result {
    setup(ctx, &[], SITE_STEPS)?;
    if let Some(trunk_args) = &options.watch {
        header(&format!(
            "serve: trunk serve --release on http://127.0.0.1:{} (rebuilds on every edit)",
            options.port
        ));
        return run_interactive(
            ctx.trunk()
                .args(["serve", "--release", "--port", &options.port])
                .args(trunk_args),
        );
    }
    let newest = newest_input(ctx);
    let built_from = fs::read_to_string(ctx.root.join(STAMP)).ok();
    if newest.is_some() && built_from.as_deref() == newest.as_deref() {
        header("serve: dist/ is current (nothing it is built from changed): serving it as built");
    } else {
        header(
            "serve: trunk build --release into dist/ (the first time about 16 minutes on 2 cores: cargo's progress, then wasm-bindgen and wasm-opt for about 4 minutes, which print little)",
        );
        trunk_build(ctx)?;
        if let Some(newest) = newest {
            fs::write(ctx.root.join(STAMP), newest)
                .map_err(|e| format!("cannot write {STAMP}: {e}"))?;
        }
    }
    header(&format!(
        "serve: http://127.0.0.1:{}/ (python3 -m http.server over dist/; Ctrl-C stops it)",
        options.port
    ));
    run_interactive(
        ctx.cmd("python3")
            .args(["-m", "http.server", &options.port, "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(ctx.root.join("dist")),
    )
}

/// The newest modification time among the site's inputs, as nanoseconds since the epoch.
fn newest_input(ctx: &Ctx) -> Option<String> {
    let nanos = newest_of(ctx, SITE_INPUTS)?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(nanos.to_string())
}

/// The newest modification time among `inputs` (paths relative to the repository root, folders
/// walked).
pub fn newest_of(ctx: &Ctx, inputs: &[&str]) -> Option<SystemTime> {
    inputs
        .iter()
        .filter_map(|input| newest_under(&ctx.root.join(input)))
        .max()
}

fn newest_under(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    let own = meta.modified().ok();
    fs::read_dir(path)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| newest_under(&entry.path()))
        .chain(own)
        .max()
}
