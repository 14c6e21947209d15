//! Tidy tests in the style of rust-analyzer's: the repository's files read as text, checking
//! what the compiler cannot: that every demo is registered, that ARCHITECTURE.md names every
//! module, that files stay short, and that no debugging macro is left behind. Each test reports
//! every offender in one message, so that one run gives the whole list to fix.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ctx::repo_root;

/// Each crate's folder (relative to the repository root; empty for the web app) and its
/// sources' folder, whose every module ARCHITECTURE.md must name.
const CRATES: &[(&str, &str)] = &[
    ("", "src"),
    ("crates/lab-core", "crates/lab-core/src"),
    ("crates/model-convert", "crates/model-convert/src"),
    ("xtask", "xtask/src"),
];

/// Longer files must say why in their first lines (`//! long file: <reason>`).
const MAX_LINES: usize = 400;
const LONG_FILE_MARKER: &str = "long file:";
const HEADER_LINES: usize = 5;

/// Folders that hold no source of ours: build output, downloads, installed tools.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "dist"];

/// Debugging and placeholder macros that must not reach non-test code. Spelled in two halves
/// so that this file does not trip its own check.
const FORBIDDEN_MACROS: &[&str] = &[
    concat!("todo", "!("),
    concat!("dbg", "!("),
    concat!("unimplemented", "!("),
];

fn root() -> PathBuf {
    repo_root().expect("repository root")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `path` relative to the repository root, with `/` separators.
fn rel(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

/// Every `.rs` file under `dir`, skipping hidden folders (`.git`, `.cache`, `.tools`) and
/// [`SKIPPED_DIRS`].
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in sorted_entries(dir) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref()) {
                files.extend(rust_files(&path));
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    files
}

/// The module a line such as `pub mod text;` declares, and whether it is plain `pub` (a demo);
/// None for other lines and for inline `mod x { ... }`.
fn declared_module(line: &str) -> Option<(&str, bool)> {
    let line = line.trim();
    let public = line.starts_with("pub mod ");
    let rest = match line.strip_prefix("pub") {
        Some(rest) if rest.starts_with('(') => rest.split_once(')')?.1,
        Some(rest) => rest,
        None => line,
    };
    let name = rest
        .trim_start()
        .strip_prefix("mod ")?
        .strip_suffix(';')?
        .trim();
    Some((name, public))
}

#[test]
fn every_demo_is_registered() {
    let dir = root().join("src/demos");
    let text = read(&dir.join("mod.rs"));
    let declared: Vec<(&str, bool)> = text.lines().filter_map(declared_module).collect();
    // The registry's lists (the demos in both of the site's modules, those in the full one only).
    let lists: Vec<&str> = text
        .match_indices(": &[Demo] = &[")
        .filter_map(|(start, _)| {
            text[start..]
                .find("];")
                .map(|end| &text[start..start + end])
        })
        .collect();
    assert!(
        !lists.is_empty(),
        "src/demos/mod.rs has no `…: &[Demo] = &[...];` list"
    );
    let mut problems = Vec::new();
    for (name, public) in &declared {
        if *public
            && !lists
                .iter()
                .any(|list| list.contains(&format!("{name}::DEMO")))
        {
            problems.push(format!(
                "`pub mod {name};` is in no registry list as `{name}::DEMO`"
            ));
        }
    }
    for path in sorted_entries(&dir) {
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let module = match file_name.strip_suffix(".rs") {
            Some("mod") => continue,
            Some(stem) => stem.to_string(),
            None if path.is_dir() => file_name.to_string(),
            None => continue,
        };
        if !declared.iter().any(|(name, _)| *name == module) {
            problems.push(format!(
                "src/demos/{file_name} is not declared in src/demos/mod.rs"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "src/demos/mod.rs:\n  {}",
        problems.join("\n  ")
    );
}

/// Whether `text` holds `needle` as a whole path: not the tail of a longer name or path.
fn mentions(text: &str, needle: &str) -> bool {
    let part_of_path = |c: char| c.is_alphanumeric() || "_-./".contains(c);
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(part_of_path)
            && (needle.ends_with('/') || !after.is_some_and(|c| c.is_alphanumeric() || c == '_'))
    })
}

/// Whether `text` lists the folder `dir` (ending in `/`) with a description after it.
fn lists_dir(text: &str, dir: &str) -> bool {
    text.match_indices(dir).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + dir.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || "_-./".contains(c))
            && after.is_some_and(char::is_whitespace)
    })
}

/// Whether `text` names `stem` as prose would: in any case, `_` written as `_`, `-` or a
/// space, not inside a longer word, a plural allowed (`value_map` in "value maps").
fn mentions_stem(text: &str, stem: &str) -> bool {
    let text = text.to_lowercase();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    ["_", "-", " "].iter().any(|separator| {
        let spelled = stem.to_lowercase().replace('_', separator);
        text.match_indices(&spelled).any(|(at, _)| {
            let mut after = text[at + spelled.len()..].chars();
            let ends_word = match after.next() {
                Some('s') => !after.next().is_some_and(ident),
                next => !next.is_some_and(ident),
            };
            !text[..at].chars().next_back().is_some_and(ident) && ends_word
        })
    })
}

/// Whether ARCHITECTURE.md (`doc`) names a module file or folder: by its path within its
/// crate's sources, within its crate, or within the repository; or by its stem under a listed
/// parent folder (the crate's own folder for a module at the top of `src/`).
fn architecture_lists(doc: &str, crate_dir: &str, src_rel: &str, is_dir: bool) -> bool {
    let suffix = if is_dir { "/" } else { "" };
    let in_crate = format!("src/{src_rel}{suffix}");
    let in_repo = if crate_dir.is_empty() {
        in_crate.clone()
    } else {
        format!("{crate_dir}/{in_crate}")
    };
    if [format!("{src_rel}{suffix}"), in_crate, in_repo]
        .iter()
        .any(|path| mentions(doc, path))
    {
        return true;
    }
    let (parent, name) = src_rel.rsplit_once('/').unwrap_or(("", src_rel));
    let stem = name.strip_suffix(".rs").unwrap_or(name);
    let parents = if parent.is_empty() {
        let crate_folder = if crate_dir.is_empty() {
            "src"
        } else {
            crate_dir
        };
        vec![format!("{crate_folder}/")]
    } else {
        let in_crate = format!("src/{parent}/");
        let in_repo = if crate_dir.is_empty() {
            in_crate.clone()
        } else {
            format!("{crate_dir}/{in_crate}")
        };
        vec![format!("{parent}/"), in_crate, in_repo]
    };
    parents.iter().any(|dir| lists_dir(doc, dir)) && mentions_stem(doc, stem)
}

/// Module files and folders under `src` (a folder's `mod.rs` is the folder), relative to it.
fn modules(src: &Path, prefix: &str, out: &mut Vec<(String, bool)>) {
    for path in sorted_entries(src) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            out.push((rel.clone(), true));
            modules(&path, &format!("{rel}/"), out);
        } else if name.ends_with(".rs") && name != "mod.rs" {
            out.push((rel, false));
        }
    }
}

#[test]
fn architecture_lists_every_module() {
    let root = root();
    let doc = read(&root.join("ARCHITECTURE.md"));
    let mut missing = Vec::new();
    for (crate_dir, src) in CRATES {
        let mut found = Vec::new();
        modules(&root.join(src), "", &mut found);
        for (src_rel, is_dir) in found {
            if !architecture_lists(&doc, crate_dir, &src_rel, is_dir) {
                missing.push(format!("{src}/{src_rel}{}", if is_dir { "/" } else { "" }));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not list these modules (name each by its path, e.g. \
         `runtime/download.rs`, or its stem under a listed folder):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn long_files_say_why() {
    let root = root();
    let mut offenders = Vec::new();
    for path in rust_files(&root) {
        let text = read(&path);
        let lines = text.lines().count();
        let says_why = text.lines().take(HEADER_LINES).any(|line| {
            let line = line.trim_start();
            line.starts_with("//")
                && line
                    .split_once(LONG_FILE_MARKER)
                    .is_some_and(|(_, reason)| !reason.trim().is_empty())
        });
        if lines > MAX_LINES && !says_why {
            offenders.push(format!("{} ({lines} lines)", rel(&root, &path)));
        }
    }
    assert!(
        offenders.is_empty(),
        "files over {MAX_LINES} lines: split them, or give a reason in a comment in their \
         first {HEADER_LINES} lines (`//! {LONG_FILE_MARKER} <why>`):\n  {}",
        offenders.join("\n  ")
    );
}

/// The lines of `text` outside `#[cfg(test)]` items and outside `//` comments, numbered from 1.
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut in_test_item = false;
    let mut depth = 0i32;
    let mut opened = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.find("//").map_or(line, |at| &line[..at]);
        if !in_test_item && code.trim() == "#[cfg(test)]" {
            (in_test_item, depth, opened) = (true, 0, false);
            continue;
        }
        if in_test_item {
            // Braces in strings are rare enough in test items' first and last lines.
            depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
            opened |= code.contains('{');
            let ends = if opened {
                depth <= 0
            } else {
                code.trim_end().ends_with(';')
            };
            in_test_item = !ends;
            continue;
        }
        out.push((i + 1, code));
    }
    out
}

#[test]
fn no_debugging_macros_outside_tests() {
    let root = root();
    let mut offenders = Vec::new();
    for path in rust_files(&root) {
        let rel = rel(&root, &path);
        if rel.split('/').any(|part| part == "tests") {
            continue;
        }
        for (number, code) in non_test_lines(&read(&path)) {
            for forbidden in FORBIDDEN_MACROS {
                if code.contains(forbidden) {
                    offenders.push(format!("{rel}:{number}: {}", code.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} outside tests:\n  {}",
        FORBIDDEN_MACROS.join(", "),
        offenders.join("\n  ")
    );
}

#[test]
fn the_checks_read_paths_and_test_items_as_meant() {
    let doc = "xtask/                cargo xtask\n  src/photo.rs  photos\n  vision/   models \
               (asset.rs)\nruntime/download.rs  large\n";
    assert!(architecture_lists(
        doc,
        "crates/lab-core",
        "photo.rs",
        false
    ));
    assert!(architecture_lists(doc, "crates/lab-core", "vision", true));
    assert!(architecture_lists(
        doc,
        "crates/lab-core",
        "vision/asset.rs",
        false
    ));
    assert!(architecture_lists(doc, "", "runtime/download.rs", false));
    assert!(!architecture_lists(doc, "", "runtime/frame.rs", false));
    assert!(!architecture_lists(doc, "", "download.rs", false));
    // A module at the top of xtask/src counts when xtask/ is listed and the stem is named.
    assert!(architecture_lists(doc, "xtask", "cargo.rs", false));
    assert!(!architecture_lists(doc, "xtask", "tidy.rs", false));
    assert!(mentions_stem(
        "widgets/   line chart (SVG), value maps",
        "value_map"
    ));
    assert!(mentions_stem(
        "EfficientNet-Lite0 and ResNet-18",
        "efficientnet"
    ));
    assert!(!mentions_stem("a running trainer", "train"));

    let code = "fn a() {}\n#[cfg(test)]\nuse x;\nfn b() {}\n#[cfg(test)]\nmod tests {\n    \
                fn c() {\n    }\n}\nfn d() {} // e\n";
    let kept: Vec<&str> = non_test_lines(code)
        .into_iter()
        .map(|(_, l)| l.trim())
        .collect();
    assert_eq!(kept, ["fn a() {}", "fn b() {}", "fn d() {}"]);
}

#[test]
fn reads_module_declarations() {
    assert_eq!(declared_module("pub mod text;"), Some(("text", true)));
    assert_eq!(declared_module("mod helpers;"), Some(("helpers", false)));
    assert_eq!(
        declared_module("pub(crate) mod shared;"),
        Some(("shared", false))
    );
    assert_eq!(declared_module("pub mod inline {"), None);
    assert_eq!(
        declared_module("static FULL_MODULE_ONLY: &[Demo] = &["),
        None
    );
}
