//! The offline copy's lists: writes into the built `sw.js` (www/sw.js) the shell files it precaches,
//! the full module's files (relaxed and simd128) that it keeps once the page has fetched them, and a
//! digest of both's bytes. A build whose shell changed in any byte therefore ships a different
//! `sw.js`, which is what makes browsers install the new worker and drop the old copy.
//!
//! The shell is what every demo needs before its own downloads: index.html (precached as `./`,
//! the navigation fallback), the first module, trunk's stylesheet and the lab's worker at the top level,
//! `static/` (manifest, icons, the audio tap) and the sample photos. Models, manifests and data
//! stay out: the page keeps those itself (runtime/download.rs).

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::ctx::{Ctx, probe};

const WORKER: &str = "sw.js";
const SHELL_FOLDERS: [&str; 2] = ["static", "assets/samples"];

/// Writes the shell list, the full module's files (`later`, as modules.rs found and
/// built them) and their digest into `<dir>/sw.js`.
pub fn stamp_worker(ctx: &Ctx, dir: &Path, later: &[String]) -> Result {
    let worker = dir.join(WORKER);
    let source = fs::read_to_string(&worker)
        .map_err(|e| format!("cannot read {}: {e}", worker.display()))?;
    let (shell, later) = set_apart(shell_files(dir)?, later)?;
    let digest = digest(ctx, dir, &[shell.as_slice(), later.as_slice()].concat())?;
    let stamped = stamp(&source, &digest, &shell, &later)?;
    fs::write(&worker, stamped).map_err(|e| format!("cannot write {}: {e}", worker.display()))?;
    println!(
        "xtask: {} shell files and the later modules' {} listed in {} (build {digest})",
        shell.len(),
        later.len(),
        worker.display()
    );
    Ok(())
}

/// The shell's paths relative to `dir`, sorted, with `index.html` written as `./`.
fn shell_files(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for entry in read_dir(dir)? {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if entry.is_file() && name != WORKER {
            files.push(if name == "index.html" {
                "./".to_string()
            } else {
                name.to_string()
            });
        }
    }
    for folder in SHELL_FOLDERS {
        let mut pending = vec![dir.join(folder)];
        while let Some(current) = pending.pop() {
            for entry in read_dir(&current)? {
                if entry.is_dir() {
                    pending.push(entry);
                } else if let Ok(rel) = entry.strip_prefix(dir) {
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    if !files.iter().any(|f| f == "./") {
        return Err(format!("{} has no index.html", dir.display()));
    }
    files.sort();
    Ok(files)
}

/// `files` without `later`, and `later`; refuses a `later` file that is not among them.
fn set_apart(files: Vec<String>, later: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    if let Some(missing) = later.iter().find(|file| !files.contains(file)) {
        return Err(format!(
            "the later module file {missing} is not in the site"
        ));
    }
    let shell = files.into_iter().filter(|f| !later.contains(f)).collect();
    Ok((shell, later.to_vec()))
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

/// The first 16 hex digits of the sha256 over every shell file's name and bytes (python3's
/// hashlib, as for the CSP: xtask stays std-only).
fn digest(ctx: &Ctx, dir: &Path, files: &[String]) -> Result<String> {
    const SCRIPT: &str = "import hashlib, os, sys\n\
        h = hashlib.sha256()\n\
        for name in sys.argv[2:]:\n    \
            path = os.path.join(sys.argv[1], 'index.html' if name == './' else name)\n    \
            h.update(name.encode() + b'\\0' + open(path, 'rb').read())\n\
        print(h.hexdigest()[:16])";
    let dir = dir.to_string_lossy().to_string();
    probe(ctx.cmd("python3").args(["-c", SCRIPT, &dir]).args(files))
        .map(|out| out.trim().to_string())
        .filter(|d| d.len() == 16)
        .ok_or_else(|| "python3 could not hash the shell files".into())
}

/// `source` with its three placeholders filled; refuses a worker already stamped (or never meant
/// to be), so the hook cannot stamp twice.
fn stamp(source: &str, digest: &str, shell: &[String], later: &[String]) -> Result<String> {
    const BUILD: &str = "'__BUILD__'";
    const SHELL: &str = "[/* __SHELL__ */]";
    const LATER: &str = "[/* __LATER__ */]";
    if ![BUILD, SHELL, LATER].iter().all(|p| source.contains(p)) {
        return Err(format!(
            "{WORKER} has no {BUILD}, {SHELL} and {LATER} to fill (stamped already?)"
        ));
    }
    let list = |files: &[String]| {
        let quoted = files.iter().map(|f| format!("'{f}'")).collect::<Vec<_>>();
        format!("[{}]", quoted.join(", "))
    };
    Ok(source
        .replace(BUILD, &format!("'{digest}'"))
        .replace(SHELL, &list(shell))
        .replace(LATER, &list(later)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_shell_and_leaves_models_out() {
        let dir = std::env::temp_dir().join(format!("xtask-offline-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for file in [
            "index.html",
            "sw.js",
            "app-1a2b_bg.wasm",
            "app-1a2b.js",
            "static/icons/icon-192.png",
            "assets/samples/chelsea.png",
            "assets/models/efficientnet-lite0/weights.bin",
            "text-models/e5-small/manifest.json",
        ] {
            let path = dir.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, file).unwrap();
        }
        let files = shell_files(&dir).unwrap();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(
            files,
            [
                "./",
                "app-1a2b.js",
                "app-1a2b_bg.wasm",
                "assets/samples/chelsea.png",
                "static/icons/icon-192.png"
            ]
        );
    }

    #[test]
    fn sets_the_full_modules_files_apart_from_the_shell() {
        let files = [
            "./",
            "first-1.js",
            "first-1_bg.wasm",
            "full-2.js",
            "full-2_bg.wasm",
        ]
        .map(String::from)
        .to_vec();
        let later = ["full-2.js", "full-2_bg.wasm"].map(String::from);
        let (shell, kept_later) = set_apart(files.clone(), &later).unwrap();
        assert_eq!(shell, ["./", "first-1.js", "first-1_bg.wasm"]);
        assert_eq!(kept_later, later);
        assert!(set_apart(files, &["gone_bg.wasm".to_string()]).is_err());
    }

    #[test]
    fn fills_the_three_placeholders_once() {
        let source = "const BUILD = '__BUILD__';\nconst SHELL = [/* __SHELL__ */];\n\
            const LATER = [/* __LATER__ */];\n";
        let shell = ["./".to_string(), "a.wasm".to_string()];
        let later = ["b.wasm".to_string()];
        let out = stamp(source, "0123456789abcdef", &shell, &later).unwrap();
        assert_eq!(
            out,
            "const BUILD = '0123456789abcdef';\nconst SHELL = ['./', 'a.wasm'];\n\
             const LATER = ['b.wasm'];\n"
        );
        assert!(stamp(&out, "0123456789abcdef", &shell, &later).is_err());
    }
}
