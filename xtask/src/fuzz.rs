//! `fuzz`: lab-core's fuzz targets (`crates/lab-core/tests/fuzz/`), each for a while with a fresh
//! seed, then a table of executions and crashes per target.

use std::env;
use std::fs;

use crate::Result;
use crate::ctx::{Ctx, header, run};

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u32 = 60;

/// The fuzz test binary alone (it links no burn backend, so it builds in seconds once the
/// native tests have built lab-core), one target at a time: each gets one core to itself and
/// its figures are its own. The output stays visible: a crash's report is printed as it is
/// found.
pub const FUZZ_TEST: &[&str] = &[
    "test",
    "-p",
    "lab-core",
    "--test",
    "fuzz",
    "--",
    "--test-threads",
    "1",
    "--nocapture",
];

pub struct FuzzOptions {
    seconds: u32,
}

impl FuzzOptions {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut seconds = DEFAULT_SECONDS;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--seconds" => {
                    seconds = args
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|&n| n > 0)
                        .ok_or("--seconds needs a whole number of seconds above 0")?;
                }
                other => {
                    return Err(format!(
                        "unexpected argument `{other}` for fuzz; see `cargo xtask fuzz --help`"
                    ));
                }
            }
        }
        Ok(Self { seconds })
    }
}

pub fn fuzz(ctx: &Ctx, opts: &FuzzOptions) -> Result {
    header(&format!(
        "fuzz: every target for {} s (cargo {})",
        opts.seconds,
        FUZZ_TEST.join(" ")
    ));
    // Each target appends its figures here (tests/fuzz/harness.rs), crashed or not.
    let report = env::temp_dir().join(format!("lab-fuzz-report-{}.tsv", std::process::id()));
    let _ = fs::remove_file(&report);
    let result = run(ctx
        .cargo()
        .args(FUZZ_TEST)
        .env("LAB_FUZZ_SECONDS", opts.seconds.to_string())
        .env("LAB_FUZZ_REPORT", &report));
    let figures = fs::read_to_string(&report).unwrap_or_default();
    let _ = fs::remove_file(&report);
    print_table(&figures);
    result.map_err(|e| format!("a fuzz target failed; its input and report are above: {e}"))
}

/// The harness' tab-separated lines (target, executions, seconds, slowest ms, crashes, crash
/// file) as a table.
fn print_table(figures: &str) {
    header("fuzz: figures per target");
    println!(
        "{:<18} {:>12} {:>8} {:>10} {:>12} {:>8}",
        "target", "executions", "seconds", "per second", "slowest ms", "crashes"
    );
    let mut crash_files = Vec::new();
    for line in figures.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [target, executions, seconds, slowest, crashes, file] = fields[..] else {
            println!("(unreadable report line: {line})");
            continue;
        };
        let rate = match (executions.parse::<f64>(), seconds.parse::<f64>()) {
            (Ok(n), Ok(s)) if s > 0.0 => format!("{:.0}", n / s),
            _ => "-".into(),
        };
        println!(
            "{target:<18} {executions:>12} {seconds:>8} {rate:>10} {slowest:>12} {crashes:>8}"
        );
        if file != "-" {
            crash_files.push(format!("{target}: {file}"));
        }
    }
    for file in crash_files {
        println!("crash input {file}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fuzz_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(FuzzOptions::parse(&[]).unwrap().seconds, DEFAULT_SECONDS);
        assert_eq!(
            FuzzOptions::parse(&args(&["--seconds", "5"]))
                .unwrap()
                .seconds,
            5
        );
        for bad in [
            &["--seconds"][..],
            &["--seconds", "0"],
            &["--seconds", "x"],
            &["-v"],
        ] {
            assert!(FuzzOptions::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
