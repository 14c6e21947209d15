//! `bench`: the release site built, then the native and browser benchmarks, which print their
//! own figures.

use crate::Result;
use crate::ctx::{Ctx, header, run};
use crate::setup::{TEST_STEPS, run_steps, setup};
use crate::test::{convert_own_resnet, trunk_build};

pub fn bench(ctx: &Ctx) -> Result {
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
    header("bench 4/5: native text models (cargo run -p lab-core --example text_bench)");
    run(ctx
        .cargo()
        .args(["run", "-p", "lab-core", "--example", "text_bench"]))?;
    header("bench 5/5: browser (node tests/e2e/bench.mjs)");
    run(ctx.cmd("node").arg("tests/e2e/bench.mjs"))
}
