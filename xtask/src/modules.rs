//! `cargo xtask finish-site`, first step: the site's first module (src/runtime/modules.rs) and
//! the simd128 module beside the relaxed one that trunk built, and the loader that picks one per
//! page.
//!
//! Trunk builds one wasm program per page; the lab ships three modules of the same crate. The
//! relaxed module is trunk's, the full module with the `relaxed-simd` feature (index.html): the
//! lab's CPU kernels then use wasm's relaxed fused multiply-add (lab-core's kernels.rs,
//! `mul_add`). A browser without relaxed SIMD refuses such a module whole, so the loader offers
//! it only to one that validates a relaxed instruction, and to the others the simd128 module:
//! trunk's wasm with its relaxed instructions lowered (simd128.rs), beside the same glue. The
//! first module is the `open-model-lab-first` binary without the `full` feature: cargo,
//! wasm-bindgen and (in release) wasm-opt `-Os`, as trunk runs them. Each new file is named by
//! its content's hash as trunk names its own. Trunk's inline loader and its two preload links,
//! which would download the full module on every page, give way to www/module-loader.js with
//! the modules' files and their subresource integrity written into it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;

use crate::ctx::{Ctx, probe, run};
use crate::serve::nanos;
use crate::simd128::without_relaxed_simd;
use crate::{Result, WASM_TARGET};

/// The first module's binary (Cargo.toml) and the prefix of its files in the site.
const FIRST_BIN: &str = "open-model-lab-first";
/// The prefix of the simd128 module's wasm in the site.
const SIMD128_PREFIX: &str = "open-model-lab-simd128";
const LOADER: &str = "www/module-loader.js";
const PLACEHOLDER: &str = "/* __MODULES__ */";

/// One module's two files, as the loader names them.
#[derive(Debug, PartialEq)]
struct Module {
    glue: File,
    wasm: File,
}

#[derive(Clone, Debug, PartialEq)]
struct File {
    href: String,
    integrity: String,
}

impl Module {
    /// Its two files' paths in the site (the hrefs without their leading `/`).
    fn file_names(&self) -> Vec<String> {
        [&self.glue, &self.wasm]
            .map(|file| file.href.trim_start_matches('/').to_string())
            .to_vec()
    }
}

/// Builds the first module and the simd128 module into `dir`, and puts the loader in
/// index.html in place of trunk's; answers the relaxed and simd128 modules' files (relative to
/// `dir`), which the offline copy lists apart.
pub fn add_modules(ctx: &Ctx, dir: &Path) -> Result<Vec<String>> {
    let index = dir.join("index.html");
    let html =
        fs::read_to_string(&index).map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let (relaxed, without_trunks_loader) = take_trunks_loader(&html)?;
    // Trunk tells its hooks which profile it built; run by hand, the site is the release one.
    let release = env::var("TRUNK_PROFILE").map_or(true, |profile| profile == "release");
    let first = build_module(ctx, dir, first_build(ctx, release), FIRST_BIN, release)?;
    let simd128 = simd128_module(ctx, dir, &relaxed)?;
    let template = fs::read_to_string(ctx.root.join(LOADER))
        .map_err(|e| format!("cannot read {LOADER}: {e}"))?;
    let loader = fill_loader(&template, &first, &simd128, &relaxed)?;
    let html = without_trunks_loader.replace(
        "</head>",
        &format!("<script type=\"module\">\n{loader}</script>\n</head>"),
    );
    fs::write(&index, html).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    println!(
        "xtask: the first module ({}), the simd128 module ({}) and the loader written into {}",
        first.wasm.href,
        simd128.wasm.href,
        index.display()
    );
    // The two share trunk's glue.
    let mut later = relaxed.file_names();
    later.push(simd128.wasm.href.trim_start_matches('/').to_string());
    Ok(later)
}

/// The full module for browsers without relaxed SIMD: trunk's glue, and trunk's wasm with its
/// relaxed instructions lowered (simd128.rs), in seconds where a second build of the crate took
/// about 16 minutes of one core.
fn simd128_module(ctx: &Ctx, dir: &Path, relaxed: &Module) -> Result<Module> {
    let source = dir.join(relaxed.wasm.href.trim_start_matches('/'));
    let wasm = fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let (lowered, functions) = without_relaxed_simd(&wasm)?;
    let out = ctx.root.join(format!("target/{SIMD128_PREFIX}_bg.wasm"));
    fs::write(&out, lowered).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let hash = hash16(ctx, &[&out])?;
    println!("xtask: the simd128 module: {functions} functions' relaxed instructions lowered");
    Ok(Module {
        glue: relaxed.glue.clone(),
        wasm: place(ctx, &out, dir, &format!("{SIMD128_PREFIX}-{hash}_bg.wasm"))?,
    })
}

/// The first module's build. Linted by clippy as it builds, as the test stages build the full
/// module's code: the first module's `cfg`s are compiled nowhere else. setup runs the release
/// one early (setup.rs), so that finish-site finds it built.
pub fn first_build(ctx: &Ctx, release: bool) -> Build {
    let mut cargo = ctx.cargo_linted();
    cargo.args([
        "build",
        "--target",
        WASM_TARGET,
        "--package",
        "open-model-lab",
        "--bin",
        FIRST_BIN,
        "--no-default-features",
        // As trunk builds (Trunk.toml's `offline`): setup fetched every crate.
        "--offline",
    ]);
    if release {
        cargo.arg("--release");
    }
    let profile = if release { "release" } else { "debug" };
    Build {
        cargo,
        wasm: format!("target/{WASM_TARGET}/{profile}/{FIRST_BIN}.wasm"),
    }
}

/// The relaxed module's files as trunk linked them, and `html` without trunk's loader and links.
fn take_trunks_loader(html: &str) -> Result<(Module, String)> {
    let mut rest = html.to_string();
    let script_start = rest
        .find("<script type=\"module\">")
        .ok_or("index.html has no trunk loader (an inline module script)")?;
    let script_end = rest[script_start..]
        .find("</script>")
        .ok_or("trunk's loader has no end")?
        + script_start
        + "</script>".len();
    rest.replace_range(script_start..script_end, "");
    let glue = take_link(&mut rest, "rel=\"modulepreload\"")?;
    let wasm = take_link(&mut rest, "type=\"application/wasm\"")?;
    Ok((Module { glue, wasm }, rest))
}

/// Removes the first `<link …>` with `marker` from `html` and answers its href and integrity.
fn take_link(html: &mut String, marker: &str) -> Result<File> {
    let at = html
        .find(marker)
        .ok_or_else(|| format!("index.html has no link with {marker}"))?;
    let start = html[..at].rfind("<link").ok_or("a link without its tag")?;
    let end = html[start..].find('>').ok_or("an unclosed link")? + start + 1;
    let tag = &html[start..end];
    let attribute = |name: &str| {
        let key = format!("{name}=\"");
        let from = tag.find(&key)? + key.len();
        Some(tag[from..from + tag[from..].find('"')?].to_string())
    };
    let file = File {
        href: attribute("href").ok_or_else(|| format!("the {marker} link has no href"))?,
        integrity: attribute("integrity").unwrap_or_default(),
    };
    html.replace_range(start..end, "");
    Ok(file)
}

/// A module's build: the cargo command and the wasm it writes, relative to the repository root.
pub struct Build {
    pub cargo: Command,
    pub wasm: String,
}

/// `build`'s cargo, wasm-bindgen and (in release) wasm-opt, as trunk runs them for the full
/// module; the two files land in `dir` under `prefix` and their content's hash.
fn build_module(
    ctx: &Ctx,
    dir: &Path,
    build: Build,
    prefix: &str,
    release: bool,
) -> Result<Module> {
    let Build { mut cargo, wasm } = build;
    run(&mut cargo)?;
    let Bound { glue, wasm } = bind(ctx, &ctx.root.join(wasm), prefix, release)?;
    let hash = hash16(ctx, &[&glue, &wasm])?;
    Ok(Module {
        glue: place(ctx, &glue, dir, &format!("{prefix}-{hash}.js"))?,
        wasm: place(ctx, &wasm, dir, &format!("{prefix}-{hash}_bg.wasm"))?,
    })
}

/// For `trunk build --release` (serve.rs): the first module's cargo (setup built it, so it
/// only checks), wasm-bindgen and wasm-opt, on a thread beside trunk's own wasm-bindgen and
/// wasm-opt of the relaxed module; finish-site then finds them done (or waits for them,
/// [`bind`]). npm's wasm-opt is a single-threaded wasm program (on 2 cores: 423 s on a full
/// module, 149 s on the first one): after trunk's, it left a core idle at the end of the site's
/// build.
pub fn bind_first_module(ctx: &Ctx) -> JoinHandle<Result> {
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let Build { mut cargo, wasm } = first_build(&ctx, true);
        run(cargo.arg("--quiet"))?;
        bind(&ctx, &ctx.root.join(wasm), FIRST_BIN, true)?;
        Ok(())
    })
}

/// What wasm-bindgen and wasm-opt made of a module's wasm.
struct Bound {
    glue: PathBuf,
    wasm: PathBuf,
}

/// wasm-bindgen and (in release) wasm-opt on `built`, into `target/{prefix}-bindgen`, unless
/// that folder already holds them for this very file (its size and time, and the profile, kept
/// in the folder once both ran). A lock file keeps finish-site waiting while
/// [`bind_first_module`] works on the same folder.
fn bind(ctx: &Ctx, built: &Path, prefix: &str, release: bool) -> Result<Bound> {
    let bin = built
        .file_stem()
        .and_then(|stem| stem.to_str())
        .ok_or("cargo's wasm has no name")?
        .to_string();
    let out = ctx.root.join(format!("target/{prefix}-bindgen"));
    let lock_path = ctx.root.join(format!("target/{prefix}-bindgen.lock"));
    let lock = fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let bound = Bound {
        glue: out.join(format!("{bin}.js")),
        wasm: out.join(format!("{bin}_bg.wasm")),
    };
    let meta = fs::metadata(built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
    let modified = meta.modified().map_or(0, nanos);
    let source = format!("{} {modified} release={release}", meta.len());
    let stamp = out.join("built-from");
    if fs::read_to_string(&stamp).is_ok_and(|done| done == source) {
        return Ok(bound);
    }
    let _ = fs::remove_dir_all(&out);
    run(ctx
        .cmd("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&out)
        .arg(built))?;
    if out.join("snippets").exists() {
        return Err(format!(
            "wasm-bindgen wrote snippets for {prefix}, which finish-site does not copy"
        ));
    }
    if release {
        run(ctx
            .cmd("wasm-opt")
            .arg("-Os")
            .arg(&bound.wasm)
            .arg("-o")
            .arg(&bound.wasm))?;
    }
    fs::write(&stamp, source).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(bound)
}

/// Copies `file` into `dir` as `name`; its href and sha384 integrity, as trunk writes them.
fn place(ctx: &Ctx, file: &Path, dir: &Path, name: &str) -> Result<File> {
    fs::copy(file, dir.join(name)).map_err(|e| format!("cannot copy {}: {e}", file.display()))?;
    const SCRIPT: &str = "import base64, hashlib, sys\n\
        print(base64.b64encode(hashlib.sha384(open(sys.argv[1], 'rb').read()).digest()).decode())";
    let digest = probe(ctx.cmd("python3").args(["-c", SCRIPT]).arg(file))
        .ok_or_else(|| format!("python3 could not hash {}", file.display()))?;
    Ok(File {
        href: format!("/{name}"),
        integrity: format!("sha384-{}", digest.trim()),
    })
}

/// The first 16 hex digits of the sha256 over `files`' bytes, as trunk's names carry.
fn hash16(ctx: &Ctx, files: &[&PathBuf]) -> Result<String> {
    const SCRIPT: &str = "import hashlib, sys\n\
        h = hashlib.sha256()\n\
        for name in sys.argv[1:]:\n    h.update(open(name, 'rb').read())\n\
        print(h.hexdigest()[:16])";
    probe(ctx.cmd("python3").args(["-c", SCRIPT]).args(files))
        .map(|out| out.trim().to_string())
        .filter(|hash| hash.len() == 16)
        .ok_or_else(|| format!("python3 could not hash {files:?}"))
}

/// The loader with the modules' files in place of its placeholder: `full` is the simd128
/// module.
fn fill_loader(template: &str, first: &Module, full: &Module, relaxed: &Module) -> Result<String> {
    if !template.contains(PLACEHOLDER) {
        return Err(format!("{LOADER} has no {PLACEHOLDER} to fill"));
    }
    let file = |f: &File| format!("{{ href: '{}', integrity: '{}' }}", f.href, f.integrity);
    let module = |m: &Module| format!("{{ glue: {}, wasm: {} }}", file(&m.glue), file(&m.wasm));
    Ok(template.replace(
        PLACEHOLDER,
        &format!(
            "{{ first: {}, full: {}, relaxed: {} }}",
            module(first),
            module(full),
            module(relaxed)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head><link rel=\"stylesheet\" href=\"/s.css\"/>\n\
        <script type=\"module\">\nimport init from '/app-1.js';\n</script>\n\
        <link rel=\"modulepreload\" href=\"/app-1.js\" crossorigin=\"anonymous\" integrity=\"sha384-A\">\
        <link rel=\"preload\" href=\"/app-1_bg.wasm\" crossorigin=\"anonymous\" integrity=\"sha384-B\" as=\"fetch\" type=\"application/wasm\"></head></html>";

    #[test]
    fn takes_trunks_loader_and_links_and_keeps_the_rest() {
        let (full, rest) = take_trunks_loader(PAGE).unwrap();
        assert_eq!(full.glue.href, "/app-1.js");
        assert_eq!(full.glue.integrity, "sha384-A");
        assert_eq!(full.wasm.href, "/app-1_bg.wasm");
        assert_eq!(full.wasm.integrity, "sha384-B");
        assert_eq!(full.file_names(), ["app-1.js", "app-1_bg.wasm"]);
        assert_eq!(
            rest,
            "<html><head><link rel=\"stylesheet\" href=\"/s.css\"/>\n\n</head></html>"
        );
        assert!(
            take_trunks_loader(&rest).is_err(),
            "a page without trunk's loader is refused"
        );
    }

    #[test]
    fn fills_the_loaders_placeholder_with_the_modules() {
        let file = |href: &str| File {
            href: href.into(),
            integrity: format!("sha384-{href}"),
        };
        let module = |name: &str| Module {
            glue: file(&format!("/{name}.js")),
            wasm: file(&format!("/{name}_bg.wasm")),
        };
        let template = "const MODULES = /* __MODULES__ */;";
        let out = fill_loader(template, &module("a"), &module("b"), &module("c"));
        assert_eq!(
            out.unwrap(),
            "const MODULES = { first: { glue: { href: '/a.js', integrity: 'sha384-/a.js' }, \
             wasm: { href: '/a_bg.wasm', integrity: 'sha384-/a_bg.wasm' } }, \
             full: { glue: { href: '/b.js', integrity: 'sha384-/b.js' }, \
             wasm: { href: '/b_bg.wasm', integrity: 'sha384-/b_bg.wasm' } }, \
             relaxed: { glue: { href: '/c.js', integrity: 'sha384-/c.js' }, \
             wasm: { href: '/c_bg.wasm', integrity: 'sha384-/c_bg.wasm' } } };"
        );
        assert!(fill_loader("no placeholder", &module("a"), &module("b"), &module("c")).is_err());
    }
}
