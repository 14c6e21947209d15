//! The site's build beside `test`'s setup and first stages: only the end-to-end stage needs
//! trunk, the site's release wasm and `trunk build`, so the other stages need not wait for them.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Result;
use crate::ctx::{Ctx, header};
use crate::serve::trunk_build;
use crate::setup::{SITE_WASM_STEPS, run_steps};

/// Where [`start_site_build`]'s commands write, relative to the repository root.
const SITE_BUILD_LOG: &str = "target/site-build.log";

/// The site's build that [`start_site_build`] started; [`SiteBuild::finish`] waits for it.
pub struct SiteBuild {
    thread: JoinHandle<Result>,
    log: PathBuf,
    setup_done: Option<Sender<()>>,
}

/// For `test`: [`SITE_WASM_STEPS`], then (once [`SiteBuild::setup_done`] says www/ is complete
/// and trunk built) `trunk build --release`, on a thread of their own beside setup and the stages
/// before the end-to-end one, which alone needs them; their commands write to
/// [`SITE_BUILD_LOG`]. Trunk itself compiles on setup's build thread: here, before the site's
/// wasm, it held back the site's longest chain by its whole compile (784–886 s cold). They run
/// at normal priority, sharing the cores: on 2 cores the site's fat-LTO link keeps one core busy
/// for minutes, and beside the other builds that core is not left idle. (At the lowest priority,
/// measured cold on 2 cores, trunk's build alone took 38 minutes and the site's wasm was still
/// compiling when the stages before it were done, so its link ran alone at the end.)
pub fn start_site_build(ctx: &Ctx) -> Result<SiteBuild> {
    let log = ctx.root.join(SITE_BUILD_LOG);
    let file = ctx.create_log(SITE_BUILD_LOG)?;
    header(&format!(
        "setup: the site's wasm and then the site build beside the other steps and the stages; their output goes to {SITE_BUILD_LOG}"
    ));
    let background = ctx.logging_to(file);
    let (setup_done, www_complete) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        run_steps(&background, SITE_WASM_STEPS)?;
        www_complete
            .recv()
            .map_err(|_| "setup failed, so the site was not built".to_string())?;
        let started = Instant::now();
        trunk_build(&background)?;
        println!(
            "xtask: the site's trunk build (wasm-bindgen, wasm-opt) took {} s",
            started.elapsed().as_secs()
        );
        Ok(())
    });
    Ok(SiteBuild {
        thread,
        log,
        setup_done: Some(setup_done),
    })
}

impl SiteBuild {
    /// Says that setup is done, its downloads and conversions in www/: trunk may copy it.
    pub fn setup_done(&mut self) {
        if let Some(setup_done) = self.setup_done.take() {
            // A closed channel means the build already failed; `finish` says so.
            let _ = setup_done.send(());
        }
    }

    /// Waits for the build, saying every half minute where it is (its log's last line, or that
    /// it still runs); when it failed, the error ends with the log's last lines.
    pub fn finish(self) -> Result {
        const EVERY: Duration = Duration::from_secs(30);
        if !self.thread.is_finished() {
            header(&format!(
                "test: waiting for the site's build (its log: {SITE_BUILD_LOG})"
            ));
        }
        let waiting = Instant::now();
        let mut said = Instant::now();
        let mut last_said = None;
        while !self.thread.is_finished() {
            std::thread::sleep(Duration::from_secs(1));
            if said.elapsed() >= EVERY {
                let line = last_lines(&self.log, 1).pop();
                match &line {
                    Some(line) if last_said.as_ref() != Some(line) => {
                        println!("xtask: the site's build: {line}")
                    }
                    // wasm-opt and the fat-LTO link print nothing for minutes.
                    _ => println!(
                        "xtask: the site's build is still running ({} s waited)",
                        waiting.elapsed().as_secs()
                    ),
                }
                last_said = line;
                said = Instant::now();
            }
        }
        match self.thread.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!(
                "{e}\nthe last lines of {SITE_BUILD_LOG}:\n{}",
                last_lines(&self.log, 40).join("\n")
            )),
            Err(_) => Err("the site's build thread panicked".into()),
        }
    }
}

/// The last `n` lines of `log` that are not blank (none when it cannot be read).
fn last_lines(log: &Path, n: usize) -> Vec<String> {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}
