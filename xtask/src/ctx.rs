//! What every task shares: the repository root, the tool PATH, and running commands so that
//! each one is echoed before it runs and a failure names the command that failed.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::Result;

/// Where the CPU-only converter is built (see [`Ctx::converter`]).
const CPU_CONVERTER_TARGET_DIR: &str = "target/cpu-converter";

/// Where setup puts tools it unpacks from a pinned wheel (tools.rs), relative to the repository
/// root; on the tool PATH.
pub const PREBUILT_TOOLS_DIR: &str = ".tools/bin";

/// What `cargo clippy` itself sets for its build (its workspace wrapper, and its arguments in
/// `CLIPPY_ARGS`, each followed by `__CLIPPY_HACKERY__`), set for the native and wasm stages'
/// builds and the converter that shares the native one: every workspace crate they compile,
/// with its tests and examples, is linted with every warning an error, and the dependencies are
/// compiled once, for the tests. (The web crate's 3-line `src/main.rs` is not among them.)
pub const CLIPPY_WRAPPER: [(&str, &str); 2] = [
    ("RUSTC_WORKSPACE_WRAPPER", "clippy-driver"),
    (
        "CLIPPY_ARGS",
        "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
    ),
];

#[derive(Clone)]
pub struct Ctx {
    pub root: PathBuf,
    /// PATH for every child: `.tools/node_modules/.bin`, `.tools/bin` (prebuilt tools from
    /// PyPI), cargo's bin folder, then the inherited PATH.
    path: OsString,
    cargo: OsString,
    /// Whether the converter is built as the native tests' build (see [`Ctx::converter`]).
    converter_shares_test_build: bool,
    /// Every child runs under `nice -n` this when it is above 0 (see [`Ctx::behind_the_page`]
    /// and [`Ctx::lowest_priority`]).
    niceness: u8,
    /// Every child writes its output here instead of the terminal (see [`Ctx::logging_to`]).
    log: Option<Arc<File>>,
}

impl Ctx {
    pub fn new() -> Result<Self> {
        let root = repo_root()?;
        let mut dirs = vec![
            root.join(".tools/node_modules/.bin"),
            root.join(PREBUILT_TOOLS_DIR),
            cargo_home().join("bin"),
        ];
        if let Some(path) = env::var_os("PATH") {
            dirs.extend(env::split_paths(&path));
        }
        let path = env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Self {
            root,
            path,
            cargo,
            converter_shares_test_build: false,
            niceness: 0,
            log: None,
        })
    }

    /// For `test` and `bench`: the converter is built as the native tests (`test::NATIVE_TEST`)
    /// are, in target/debug through the clippy wrapper, so that one build of the dependency tree
    /// serves both (a second build of burn costs about 8 minutes on CI's 2 cores). `serve` builds
    /// no test, so its converter builds in a folder of its own without the wrapper.
    pub fn sharing_test_build(self) -> Self {
        Self {
            converter_shares_test_build: true,
            ..self
        }
    }

    /// A copy whose children run at the lowest CPU priority (`nice -n 19`): `serve` converts the
    /// models beside the page's own build, and on 2 cores the page must not wait for them.
    pub fn lowest_priority(&self) -> Self {
        Self {
            niceness: 19,
            ..self.clone()
        }
    }

    /// A copy whose children run under `nice -n 10`: `serve` compiles the tools behind the
    /// site's wasm, the page's longest chain, so that they take the cores its one-crate stretches
    /// leave idle (its fat-LTO link alone is about 7 minutes on one core) rather than half of
    /// each core throughout; they still run well ahead of the conversions at `nice -n 19`.
    pub fn behind_the_page(&self) -> Self {
        Self {
            niceness: 10,
            ..self.clone()
        }
    }

    /// A copy whose children write their output (stdout and stderr) to `log`: work that runs
    /// behind a task's own would otherwise interleave its lines with the task's.
    pub fn logging_to(&self, log: File) -> Self {
        Self {
            log: Some(Arc::new(log)),
            ..self.clone()
        }
    }

    /// A new, empty log file at `relative` (to the repository root), its folder made, for
    /// [`Ctx::logging_to`].
    pub fn create_log(&self, relative: &str) -> Result<File> {
        let log = self.root.join(relative);
        if let Some(dir) = log.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))
    }

    /// What the converter's first build is, and about how long it takes, for a step's header.
    pub fn converter_build(&self) -> &'static str {
        if self.converter_shares_test_build {
            "the dependency tree the native tests use too, burn on the CPU only: about 8 minutes on 2 cores"
        } else {
            "burn on the CPU only: about 8 minutes on 2 cores"
        }
    }

    /// `cargo run -p model-convert --`, ready for the converter's own arguments.
    pub fn converter(&self) -> Command {
        // Sharing the native tests' build means their linted build: cargo builds a workspace
        // crate again when its wrapper changes, which here would be lab-core, twice.
        let mut cmd = if self.converter_shares_test_build {
            self.cargo_linted()
        } else {
            self.cargo()
        };
        // Cargo's lines instead of its progress bar: setup compiles the site beside the
        // converter, and two bars on one terminal line garble each other.
        cmd.args(["run", "-p", "model-convert"])
            .env("CARGO_TERM_PROGRESS_WHEN", "never");
        if !self.converter_shares_test_build {
            // Its own build folder: cargo locks a profile's folder for a whole build, and
            // `serve` builds this one at the lowest priority beside the page, so in target/debug
            // it held trunk's `cargo xtask finish-site` hook, and the page, until it ended (6
            // minutes in a cold run). Apart, `serve` and `test` also stop rebuilding each other's
            // lab-core, which `test` compiles through clippy.
            cmd.arg("--target-dir")
                .arg(self.root.join(CPU_CONVERTER_TARGET_DIR));
        }
        cmd.arg("--");
        cmd
    }

    /// A command with the tool PATH, run from the repository root. The program
    /// is looked up on the tool PATH, not the inherited one.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let program = self.resolve(program.as_ref());
        let mut cmd = if self.niceness > 0 {
            let mut nice = Command::new("nice");
            nice.args(["-n", &self.niceness.to_string()]).arg(program);
            nice
        } else {
            Command::new(program)
        };
        cmd.env("PATH", &self.path).current_dir(&self.root);
        if let Some(log) = &self.log
            && let (Ok(out), Ok(err)) = (log.try_clone(), log.try_clone())
        {
            cmd.stdout(out).stderr(err);
        }
        cmd
    }

    pub fn cargo(&self) -> Command {
        self.cmd(&self.cargo)
    }

    /// cargo with [`CLIPPY_WRAPPER`] set; the wrapper is looked up on the tool PATH, next to
    /// cargo.
    pub fn cargo_linted(&self) -> Command {
        let mut cargo = self.cargo();
        for (name, value) in CLIPPY_WRAPPER {
            cargo.env(name, self.resolve_program(value));
        }
        cargo
    }

    pub fn trunk(&self) -> Command {
        let mut cmd = self.cmd("trunk");
        // Trunk's update check goes to the network on every start.
        cmd.env("TRUNK_SKIP_VERSION_CHECK", "true");
        cmd
    }

    /// Where `program` is on the tool PATH (as a child would find it), for a variable that names
    /// a program rather than running it.
    pub fn resolve_program(&self, program: &str) -> PathBuf {
        self.resolve(OsStr::new(program))
    }

    fn resolve(&self, program: &OsStr) -> PathBuf {
        let as_path = Path::new(program);
        if as_path.components().count() > 1 {
            return as_path.to_path_buf();
        }
        env::split_paths(&self.path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| as_path.to_path_buf())
    }
}

/// The repository root: xtask's own manifest folder is one level below it.
pub fn repo_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest_dir
        .parent()
        .ok_or("xtask manifest dir has no parent")?
        .to_path_buf())
}

fn cargo_home() -> PathBuf {
    if let Some(home) = env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    let home = env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cargo")
}

fn describe(cmd: &Command) -> String {
    let mut text = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            let _ = write!(text, " '{arg}'");
        } else {
            let _ = write!(text, " {arg}");
        }
    }
    text
}

/// Runs a command with inherited stdio; fails with the command line and status.
pub fn run(cmd: &mut Command) -> Result {
    execute(cmd, true, false)
}

/// Like `run`, but keeps stdin attached (for interactive tasks like serve).
pub fn run_interactive(cmd: &mut Command) -> Result {
    execute(cmd, true, true)
}

/// Runs `cmd` with inherited output. `echo` prints the command line first; `interactive` keeps
/// stdin attached instead of closing it.
pub fn execute(cmd: &mut Command, echo: bool, interactive: bool) -> Result {
    let line = describe(cmd);
    if echo {
        println!("$ {line}");
    }
    if !interactive {
        cmd.stdin(Stdio::null());
    }
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("command `{line}` failed ({status})"))
    }
}

/// Stdout of a probe command, or None when it cannot start or fails.
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        // Named, not left to `output`: a command for a log (`Ctx::logging_to`) has its stdout set.
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn header(text: &str) {
    println!("\n==> {text}");
}
