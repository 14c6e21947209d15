//! `serve`: the release site built when something it is built from changed, then served as it
//! is. trunk redoes wasm-bindgen and wasm-opt on every start (about 3 minutes on 2 cores even
//! when cargo has nothing to do), so a second `serve` with nothing changed skips trunk and
//! serves dist/ straight away; `--watch` keeps trunk's rebuild-on-edit server for development.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use crate::ctx::{Ctx, header, run, run_interactive};
use crate::setup::{Conversions, SITE_STEPS, setup, setup_page_first};
use crate::{Result, modules};

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
    if let Some(trunk_args) = &options.watch {
        // trunk's own server copies www/ at every rebuild: a model converted later would
        // rebuild the site, so the watching server starts with everything in place.
        setup(ctx, &[], SITE_STEPS)?;
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
    let conversions = setup_page_first(ctx)?;
    let newest = newest_input(ctx);
    let built_from = fs::read_to_string(ctx.root.join(STAMP))
        .ok()
        .and_then(|stamp| stamp.trim().parse::<u128>().ok());
    if newest.is_some() && built_from == newest {
        header("serve: dist/ is current (nothing it is built from changed): serving it as built");
    } else {
        header(
            "serve: trunk build --release into dist/ (wasm-bindgen and wasm-opt: about 4 minutes on 2 cores, which print little)",
        );
        trunk_build(ctx)?;
    }
    header(&format!(
        "serve: http://127.0.0.1:{}/ (python3 -m http.server over dist/; Ctrl-C stops it)",
        options.port
    ));
    if !conversions.is_finished() {
        header(
            "serve: the page is up; the model conversions go on below at the lowest CPU priority. Until they end, the model demos say their models are not on the server yet; reload the page when this says they are in.",
        );
    }
    // The conversions report from their own thread, so that the server's own failure (a port in
    // use) is said at once rather than after them.
    let background = ctx.clone();
    std::thread::spawn(move || {
        if let Err(e) = report_conversions(&background, conversions, newest) {
            println!("xtask: {e}");
        }
    });
    run_interactive(
        ctx.cmd("python3")
            .args(["-m", "http.server", &options.port, "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(ctx.root.join("dist")),
    )
}

/// Waits for the conversions, copies what they made into dist/ and says to reload; `built_from`
/// is the stamp dist/ was built from.
fn report_conversions(ctx: &Ctx, conversions: Conversions, built_from: Option<u128>) -> Result {
    match conversions.join() {
        Ok(Ok(())) => {
            let copied = copy_converted(ctx)?;
            if copied > 0 {
                header(&format!(
                    "serve: the converted models are in dist/ ({copied} files): reload the page"
                ));
                // dist/ now holds them: the next serve need not rebuild for them.
                if let (Some(built), Some(assets)) = (built_from, newest_of(ctx, CONVERTED)) {
                    write_stamp(ctx, built.max(nanos(assets)))?;
                }
            }
        }
        Ok(Err(e)) => println!(
            "xtask: the model conversions failed, so the page is served without those models:\n{e}"
        ),
        Err(_) => {
            println!("xtask: the conversions' thread panicked; the page is served without them")
        }
    }
    Ok(())
}

/// The folders the conversions write into, which index.html copies into dist/ as they are.
const CONVERTED: &[&str] = &["www/assets", "www/text-models"];

/// Copies into dist/ what the conversions added to [`CONVERTED`] after trunk copied it: the
/// files dist/ lacks, or has older or of another size. Returns how many it copied.
fn copy_converted(ctx: &Ctx) -> Result<usize> {
    let mut copied = 0;
    for folder in CONVERTED {
        let source = ctx.root.join(folder);
        let relative = folder.strip_prefix("www/").unwrap_or(folder);
        let target = ctx.root.join("dist").join(relative);
        copied += copy_newer(&source, &target)?;
    }
    Ok(copied)
}

fn copy_newer(source: &Path, target: &Path) -> Result<usize> {
    let Ok(entries) = fs::read_dir(source) else {
        return Ok(0);
    };
    let mut copied = 0;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", source.display()))?;
        let (from, to) = (entry.path(), target.join(entry.file_name()));
        let meta = entry
            .metadata()
            .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        if meta.is_dir() {
            copied += copy_newer(&from, &to)?;
            continue;
        }
        let stale = fs::metadata(&to).map_or(true, |old| {
            old.len() != meta.len()
                || matches!((old.modified(), meta.modified()), (Ok(old), Ok(new)) if new > old)
        });
        if stale {
            fs::create_dir_all(target)
                .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
            fs::copy(&from, &to)
                .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// `trunk build --release` into dist/, stamped with what it was built from: `test` and `bench`
/// build dist/ too, and trunk replaces the whole folder, stamp included, so a stamp written only
/// by `serve` made the next `serve` redo wasm-bindgen and wasm-opt (5 minutes) for nothing.
/// The first module's wasm-bindgen and wasm-opt run beside trunk's own
/// ([`modules::bind_first_module`]), and trunk's hook takes them.
pub fn trunk_build(ctx: &Ctx) -> Result {
    let newest = newest_input(ctx);
    let modules = modules::bind_first_module(ctx);
    let built = run(ctx.trunk().args(["build", "--release"]));
    let bound = modules
        .join()
        .unwrap_or_else(|_| Err("the modules' wasm-bindgen thread panicked".into()));
    built.and(bound)?;
    match newest {
        Some(newest) => write_stamp(ctx, newest),
        None => Ok(()),
    }
}

fn write_stamp(ctx: &Ctx, built_from: u128) -> Result {
    fs::write(ctx.root.join(STAMP), built_from.to_string())
        .map_err(|e| format!("cannot write {STAMP}: {e}"))
}

/// The newest modification time among the site's inputs, as nanoseconds since the epoch.
fn newest_input(ctx: &Ctx) -> Option<u128> {
    newest_of(ctx, SITE_INPUTS).map(nanos)
}

/// A stamp's form of a time: nanoseconds since the epoch.
pub fn nanos(time: SystemTime) -> u128 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_newer_copies_what_the_target_lacks_or_holds_stale() {
        let root = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        let (source, target) = (root.join("www"), root.join("dist"));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(source.join("models/m")).unwrap();
        fs::write(source.join("index.json"), "{}").unwrap();
        fs::write(source.join("models/m/weights.bin"), [1u8; 8]).unwrap();

        assert_eq!(copy_newer(&source, &target).unwrap(), 2);
        assert_eq!(
            fs::read(target.join("models/m/weights.bin")).unwrap(),
            [1u8; 8]
        );
        // Nothing changed: nothing copied.
        assert_eq!(copy_newer(&source, &target).unwrap(), 0);
        // A half-copied file (another size) is copied again; a file only in dist/ stays.
        fs::write(target.join("models/m/weights.bin"), [1u8; 3]).unwrap();
        fs::write(target.join("kept.txt"), "dist's own").unwrap();
        assert_eq!(copy_newer(&source, &target).unwrap(), 1);
        assert_eq!(
            fs::read(target.join("models/m/weights.bin")).unwrap(),
            [1u8; 8]
        );
        assert!(target.join("kept.txt").exists());
        // A source missing altogether copies nothing and is no error.
        assert_eq!(copy_newer(&root.join("absent"), &target).unwrap(), 0);
        fs::remove_dir_all(&root).unwrap();
    }
}
