//! The loop every target shares: the corpus replayed, then random mutations of it until the
//! budget is spent; the first failure shrunk, saved and reported.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::RandomState;
use std::fmt::Debug;
use std::hash::BuildHasher;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use crate::mutate::{self, MAX_MUTATIONS, Mutation};

/// One entry point under test.
pub trait Target {
    /// The corpus folder under `tests/fuzz-corpus/`, and the target's name in reports.
    const NAME: &'static str;
    /// Tokens worth inserting whole (chunk names, markers, keys), as libFuzzer's `-dict`:
    /// random bytes alone would take millions of tries to spell one. Never empty.
    const DICTIONARY: &'static [&'static [u8]];
    /// What the entry point takes besides the bytes (a shrink mode, a tokenizer, JSON edits),
    /// generated and shrunk with them.
    type Param: Clone + Debug;
    fn param() -> BoxedStrategy<Self::Param>;
    /// The parameters every corpus file is replayed with.
    fn replay_params() -> Vec<Self::Param>;
    /// Structure-aware changes to the seed, made before the byte mutations.
    fn prepare(seed: &[u8], _param: &Self::Param) -> Vec<u8> {
        seed.to_vec()
    }
    /// Repairs after the byte mutations (checksums), so that they reach past the first check.
    fn finish(_bytes: &mut Vec<u8>, _param: &Self::Param) {}
    /// Runs the entry point and asserts its properties, panicking on a violation; returns
    /// whether the input was accepted (rather than refused with an error value).
    fn check(bytes: &[u8], param: &Self::Param) -> bool;
}

/// One generated case: a corpus file, the target's parameter, and byte mutations.
#[derive(Clone, Debug)]
pub struct Case<P> {
    pub seed: usize,
    pub param: P,
    pub mutations: Vec<Mutation>,
}

impl<P> Case<P> {
    fn bytes<T: Target<Param = P>>(&self, corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = T::prepare(&corpus[self.seed], &self.param);
        for mutation in &self.mutations {
            mutate::apply(&mut bytes, mutation, corpus, T::DICTIONARY);
        }
        T::finish(&mut bytes, &self.param);
        bytes
    }
}

/// How long a target runs, and from which random seed.
pub struct Budget {
    time: Duration,
    cases: u64,
    seed: [u8; 32],
}

/// `cargo test`'s share: enough to run every mutation kind over the corpus a few times, in about
/// a second per target.
const SMOKE_TIME: Duration = Duration::from_secs(1);
const SMOKE_CASES: u64 = 5_000;

impl Budget {
    /// `LAB_FUZZ_SECONDS` (set by `cargo xtask fuzz`): that long, any number of cases, a fresh
    /// seed (or `LAB_FUZZ_SEED`, 64 hex digits, to repeat a run). Otherwise the smoke run, with
    /// a fixed seed: a new find belongs to a fuzz run, not to an unrelated change's test run.
    fn from_env() -> Self {
        let seconds = std::env::var("LAB_FUZZ_SECONDS").ok().map(|s| {
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("LAB_FUZZ_SECONDS={s} is not a number"))
        });
        let Some(seconds) = seconds else {
            return Self {
                time: SMOKE_TIME,
                cases: SMOKE_CASES,
                seed: [7; 32],
            };
        };
        let seed = match std::env::var("LAB_FUZZ_SEED") {
            Ok(hex) => parse_seed(&hex),
            // RandomState is keyed afresh by each process from the OS's randomness.
            Err(_) => std::array::from_fn(|i| RandomState::new().hash_one(i) as u8),
        };
        Self {
            time: Duration::from_secs_f64(seconds),
            cases: u64::MAX,
            seed,
        }
    }
}

fn parse_seed(hex: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    bytes
        .try_into()
        .unwrap_or_else(|_| panic!("LAB_FUZZ_SEED={hex} is not 64 hex digits"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target)
}

/// The corpus files, sorted by name (the order seeds are drawn by, so that a seed repeats a run).
fn load_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a readable corpus folder").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no corpus file", dir.display());
    files
}

/// A panic caught while checking one input: its message and where it was raised.
struct Crash {
    message: String,
    location: String,
}

thread_local! {
    /// Set while a target runs inputs: their panics are expected findings, reported once by
    /// the harness rather than printed by the default hook on every shrinking step.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<Crash>> = const { RefCell::new(None) };
}

fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                return default(info);
            }
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            LAST_PANIC.set(Some(Crash { message, location }));
        }));
    });
}

/// Runs `f`, turning a panic into the [`Crash`] the hook recorded.
fn catching<R>(f: impl FnOnce() -> R) -> Result<R, Crash> {
    QUIET.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(false);
    result.map_err(|_| {
        LAST_PANIC.take().unwrap_or(Crash {
            message: "unknown panic".into(),
            location: String::new(),
        })
    })
}

/// Replays the corpus, then fuzzes `T` within the budget; panics with a report on the first
/// failure.
pub fn fuzz<T: Target>() {
    quiet_panics();
    let budget = Budget::from_env();
    let files = load_corpus(T::NAME);
    let mut accepted = 0;
    for (name, bytes) in &files {
        for param in T::replay_params() {
            match catching(|| T::check(bytes, &param)) {
                Ok(ok) => accepted += usize::from(ok),
                Err(crash) => panic!(
                    "{}: corpus file {name} with {param:?} fails: {} (at {})",
                    T::NAME,
                    crash.message,
                    crash.location
                ),
            }
        }
    }
    // Mutations of refused inputs only would hardly reach past the first check.
    assert!(accepted > 0, "{}: no corpus file is accepted", T::NAME);

    let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
    let corpus: Vec<Vec<u8>> = files.into_iter().map(|(_, bytes)| bytes).collect();
    assert!(!T::DICTIONARY.is_empty(), "{}: empty dictionary", T::NAME);
    let strategy = (
        0..corpus.len(),
        T::param(),
        vec(
            mutate::mutation(corpus.len(), T::DICTIONARY.len()),
            0..=MAX_MUTATIONS,
        ),
    )
        .prop_map(|(seed, param, mutations)| Case {
            seed,
            param,
            mutations,
        });
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &budget.seed),
    );
    let executions = Cell::new(0u64);
    let slowest = Cell::new(Duration::ZERO);
    let test = |case: Case<T::Param>| {
        let bytes = case.bytes::<T>(&corpus);
        let started = Instant::now();
        let result = catching(|| T::check(&bytes, &case.param));
        executions.set(executions.get() + 1);
        slowest.set(slowest.get().max(started.elapsed()));
        match result {
            Ok(_) => Ok(()),
            Err(crash) => Err(TestCaseError::fail(format!(
                "{} (at {})",
                crash.message, crash.location
            ))),
        }
    };
    let started = Instant::now();
    let mut failure = None;
    while started.elapsed() < budget.time && executions.get() < budget.cases {
        let case = strategy
            .new_tree(&mut runner)
            .expect("the strategies reject nothing");
        if let Err(error) = runner.run_one(case, test) {
            failure = Some(error);
            break;
        }
    }
    let elapsed = started.elapsed();
    let crash_file = failure.as_ref().map(|error| match error {
        TestError::Fail(_, case) => save_crash(T::NAME, &case.bytes::<T>(&corpus)),
        TestError::Abort(why) => panic!("{}: the fuzz run aborted: {why}", T::NAME),
    });
    report(
        T::NAME,
        executions.get(),
        elapsed,
        slowest.get(),
        crash_file.as_deref(),
    );
    if let Some(TestError::Fail(reason, case)) = failure {
        panic!(
            "{}: the fuzz seed {} found a failing input, shrunk to {case:?} (corpus file {}), \
             saved as {}: {reason}",
            T::NAME,
            hex(&budget.seed),
            names[case.seed],
            crash_file.unwrap_or_default().display()
        );
    }
}

/// Writes a failing input where `cargo xtask fuzz` and a developer find it: beside the build,
/// named by the target and the input's digest.
fn save_crash(target: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes");
    std::fs::create_dir_all(&dir).expect("creating the crash folder");
    let digest = lab_core::asset::sha256_hex(bytes);
    let path = dir.join(format!("{target}-{}", &digest[..16]));
    std::fs::write(&path, bytes).expect("writing the crash input");
    path
}

/// One line per target on stdout, and in `LAB_FUZZ_REPORT` (tab-separated) when `cargo xtask
/// fuzz` asks for it, which prints the table of all targets.
fn report(
    target: &str,
    executions: u64,
    elapsed: Duration,
    slowest: Duration,
    crash: Option<&Path>,
) {
    let seconds = elapsed.as_secs_f64();
    let crashes = usize::from(crash.is_some());
    println!(
        "fuzz {target}: {executions} executions in {seconds:.1} s ({:.0}/s), slowest input \
         {:.1} ms, {crashes} crash(es)",
        executions as f64 / seconds.max(1e-9),
        slowest.as_secs_f64() * 1e3
    );
    if let Ok(file) = std::env::var("LAB_FUZZ_REPORT") {
        use std::io::Write as _;
        let crash = crash.map_or("-".into(), |p| p.display().to_string());
        let line = format!(
            "{target}\t{executions}\t{seconds:.1}\t{:.1}\t{crashes}\t{crash}\n",
            slowest.as_secs_f64() * 1e3
        );
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .unwrap_or_else(|e| panic!("LAB_FUZZ_REPORT {file}: {e}"));
    }
}
