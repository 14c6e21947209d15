//! The three backends train the same network from the same seed to the same numbers.

use crate::common;
use crate::common::backend_agreement::{GRID, STEPS, assert_agree, spec};

use lab_core::backend::BackendKind;
use lab_core::train::{Snapshot, Trainer};

fn run(kind: BackendKind) -> Snapshot {
    let mut trainer = Trainer::new(spec(), common::device(kind), GRID);
    for _ in 0..STEPS {
        trainer.step();
    }
    common::snapshot(&trainer)
}

#[test]
fn flex_and_ndarray_agree_within_1e_4() {
    let flex = run(BackendKind::Flex);
    let ndarray = run(BackendKind::NdArray);
    assert!(
        flex.train_loss.is_finite()
            && flex
                .weights
                .iter()
                .any(|w| w.weight.iter().any(|v| *v != 0.0))
    );
    assert_agree(&flex, &ndarray, 1e-4, "flex vs ndarray");
}

/// `cargo xtask test` builds the native tree without wgpu (7 of its minutes on 2 cores); the
/// wasm stage checks the same agreement on the page's WebGPU (tests/browser.rs).
#[test]
#[cfg_attr(
    not(feature = "wgpu"),
    ignore = "needs lab-core's `wgpu` feature and a Vulkan driver; tests/browser.rs runs it on WebGPU"
)]
fn wgpu_agrees_with_flex_within_1e_4() {
    let flex = run(BackendKind::Flex);
    let wgpu = run(BackendKind::WebGpu);
    assert_agree(&flex, &wgpu, 1e-4, "flex vs wgpu");
}
