//! `bench`: the release site built, then the native and browser benchmarks, which print their
//! own figures.

use crate::Result;
use crate::ctx::{Ctx, header, run};
use crate::setup::{TEST_STEPS, setup};
use crate::test::{convert_own_resnet, trunk_build};

pub fn bench(ctx: &Ctx) -> Result {
    setup(ctx, TEST_STEPS)?;
    header("bench 1/8: trunk build --release");
    trunk_build(ctx)?;
    convert_own_resnet(ctx)?;
    header("bench 2/8: native (cargo run -p lab-core --example bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "bench"]))?;
    header(
        "bench 3/8: native image classification (cargo run -p lab-core --example vision_bench resnet50)",
    );
    run(ctx.cargo().args([
        "run",
        "-p",
        "lab-core",
        "--example",
        "vision_bench",
        "resnet50",
    ]))?;
    header("bench 4/8: native text models (cargo run -p lab-core --example text_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "text_bench"]))?;
    header("bench 5/8: native peptide training (cargo run -p lab-core --example peptides_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "peptides_bench"]))?;
    header(
        "bench 6/8: native recommender training (cargo run -p lab-core --example recommend_bench)",
    );
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "recommend_bench"]))?;
    header("bench 7/8: native speech (cargo run -p lab-core --example speech_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "speech_bench"]))?;
    header("bench 8/8: browser (node tests/e2e/bench.mjs)");
    run(ctx.cmd("node").arg("tests/e2e/bench.mjs"))
}
