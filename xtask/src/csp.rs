//! `cargo xtask finish-site`, first half: writes the site's Content-Security-Policy into the built index.html, as a
//! `<meta http-equiv>` (static hosting has no headers to set). Trunk runs it as a post-build hook
//! (Trunk.toml) on its staging folder, so `trunk build` and `trunk serve` both ship the policy.
//!
//! Trunk's loader is an inline module script whose text names the hashed file names of the build,
//! so the policy allows it by its sha256, never by `'unsafe-inline'`. The browser then enforces
//! what the README promises: the page talks only to its own origin.

use std::fs;
use std::path::Path;

use crate::Result;
use crate::ctx::{Ctx, probe};

/// Every directive but the loader's hash. Inline `style` attributes are allowed (Leptos sets
/// widths and colours through them); inline `<style>` elements and scripts are not.
/// `frame-ancestors` is left out on purpose: articles embed the demos in iframes (and a meta
/// policy could not set it anyway).
const POLICY: &str = "default-src 'self'; \
    script-src 'self' 'wasm-unsafe-eval' {LOADER}; \
    style-src 'self'; style-src-attr 'unsafe-inline'; \
    img-src 'self' blob: data:; media-src 'self' blob:; \
    connect-src 'self'; worker-src 'self' blob:; \
    object-src 'none'; base-uri 'self'; form-action 'self'";

const MARKER: &str = "http-equiv=\"Content-Security-Policy\"";

/// Adds the policy to `<dir>/index.html`.
pub fn write_policy(ctx: &Ctx, dir: &Path) -> Result {
    let path = dir.join("index.html");
    let html =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let hashes = inline_scripts(&html)
        .iter()
        .map(|script| sha256_base64(ctx, script).map(|h| format!("'sha256-{h}'")))
        .collect::<Result<Vec<_>>>()?;
    let with_policy = with_policy(&html, &hashes.join(" "))?;
    fs::write(&path, with_policy).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "xtask: Content-Security-Policy written into {}",
        path.display()
    );
    Ok(())
}

/// The text of every inline `<script>` (those without `src`), exactly as the browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close..];
    }
    scripts
}

/// `html` with the policy as the first element of `<head>` (before any script it governs);
/// refuses a page that has one already, so the hook cannot stack two.
fn with_policy(html: &str, loader_hashes: &str) -> Result<String> {
    if html.contains(MARKER) {
        return Err("index.html already has a Content-Security-Policy".into());
    }
    let head = html.find("<head>").ok_or("index.html has no <head>")? + "<head>".len();
    let policy = POLICY.replace("{LOADER}", loader_hashes);
    Ok(format!(
        "{}\n    <meta {MARKER} content=\"{policy}\" />{}",
        &html[..head],
        &html[head..]
    ))
}

/// sha256 of `text` in base64, as CSP hashes are written (python3's hashlib: xtask stays std-only
/// and already relies on python3 for archives).
fn sha256_base64(ctx: &Ctx, text: &str) -> Result<String> {
    const SCRIPT: &str = "import base64, hashlib, sys\n\
        print(base64.b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode())";
    probe(ctx.cmd("python3").args(["-c", SCRIPT, text]))
        .map(|out| out.trim().to_string())
        .ok_or_else(|| "python3 could not hash the loader script".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head>\n<script type=\"module\">\nimport init from '/a.js';\n</script>\n\
        <script src=\"/b.js\"></script><link rel=\"modulepreload\" href=\"/a.js\"></head></html>";

    #[test]
    fn finds_only_inline_scripts_verbatim() {
        assert_eq!(inline_scripts(PAGE), vec!["\nimport init from '/a.js';\n"]);
    }

    #[test]
    fn puts_the_policy_first_in_head_once() {
        let out = with_policy(PAGE, "'sha256-abc'").unwrap();
        assert!(out.starts_with("<html><head>\n    <meta http-equiv=\"Content-Security-Policy\""));
        assert!(out.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"));
        assert!(out.contains("connect-src 'self'"));
        // Scripts and style elements stay strict: only style attributes may be inline.
        assert_eq!(out.matches("'unsafe-inline'").count(), 1);
        assert!(out.contains("style-src-attr 'unsafe-inline'"));
        assert!(with_policy(&out, "'sha256-abc'").is_err());
    }
}
