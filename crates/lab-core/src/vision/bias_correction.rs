//! Bias correction of the int8 weights, measured on calibration photos (the empirical bias
//! correction of Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and
//! Bias Correction", and Banner et al. 2019).
//!
//! Rounding a convolution's weights to int8 moves the mean of each of its output channels a
//! little, and the shifts add up from block to block: on EfficientNet-Lite0 they were most of
//! the int8 model's logit error. Block by block, on the int8 network fed with its own earlier
//! outputs, the mean shift of every output channel against the f32 network is measured and
//! taken out of the bias that ends the block, so the int8 network's channel means follow the
//! f32 one's. Only biases change: the file keeps its size, and the f32 file is untouched.

use burn::tensor::{Device, Tensor};

use super::Classifier;
use super::preprocess::to_input;
use crate::asset::{HostTensor, decode_weights, encode_weights, round_to_f16};

/// Images per forward pass.
const BATCH: usize = 8;

/// `tensors` (`model`'s own, [`Classifier::host_tensors`]) with the biases that end its stages
/// corrected for int8 rounding, measured on `calibration` (preprocessed photos, see
/// [`to_input`]). Encode them as int8 (`asset::encode_weights(.., true)`). Stages that do not
/// end linearly in a bias (see [`Classifier::stage_output_bias`]) are left as they are.
pub fn correct_biases(
    model: &Classifier,
    tensors: &[HostTensor],
    calibration: &[Vec<f32>],
    device: &Device,
) -> Result<Vec<HostTensor>, String> {
    if calibration.is_empty() {
        return Err("bias correction needs calibration photos".into());
    }
    let mut corrected = tensors.to_vec();
    if (0..model.stage_count()).all(|stage| model.stage_output_bias(stage).is_none()) {
        return Ok(corrected);
    }
    // What the page loads from the int8 file, biases included, kept in step with `corrected`.
    let mut loaded =
        decode_weights(&encode_weights(&corrected, true)?).map_err(|e| e.to_string())?;
    let int8_network = |tensors: &[HostTensor]| -> Result<Classifier, String> {
        let mut net = Classifier::init(model.arch(), model.num_classes(), device);
        net.load_host_tensors(tensors.to_vec())?;
        Ok(net)
    };
    let side = (calibration.first().map_or(0, Vec::len) / 3).isqrt();
    let batches: Vec<Tensor<4>> = calibration
        .chunks(BATCH)
        .map(|c| to_input(c, side, device))
        .collect();
    let (mut exact, mut rounded) = (batches.clone(), batches);
    let mut net = int8_network(&loaded)?;
    for stage in 0..model.stage_count() {
        exact = exact.into_iter().map(|x| model.stage(stage, x)).collect();
        let Some(bias) = model.stage_output_bias(stage) else {
            rounded = rounded.into_iter().map(|x| net.stage(stage, x)).collect();
            continue;
        };
        let shift = mean_channel_shift(
            &rounded
                .iter()
                .map(|x| net.stage(stage, x.clone()))
                .collect::<Vec<_>>(),
            &exact,
        );
        for tensors in [&mut corrected, &mut loaded] {
            let t = tensors
                .iter_mut()
                .find(|t| t.name == bias)
                .ok_or_else(|| format!("no tensor {bias}"))?;
            if t.data.len() != shift.len() {
                return Err(format!(
                    "{bias} has {} values for {} channels",
                    t.data.len(),
                    shift.len()
                ));
            }
            for (b, s) in t.data.iter_mut().zip(&shift) {
                *b = round_to_f16(round_to_f16(*b) - s);
            }
        }
        net = int8_network(&loaded)?;
        rounded = rounded.into_iter().map(|x| net.stage(stage, x)).collect();
    }
    Ok(corrected)
}

/// Per channel, the mean over images and pixels of `got - want`.
fn mean_channel_shift(got: &[Tensor<4>], want: &[Tensor<4>]) -> Vec<f32> {
    let images: usize = got.iter().map(|x| x.dims()[0]).sum();
    let sum = got
        .iter()
        .zip(want)
        .map(|(g, w)| {
            (g.clone() - w.clone())
                .mean_dim(3)
                .mean_dim(2)
                .sum_dim(0)
                .flatten::<1>(0, 3)
        })
        .reduce(|a, b| a + b)
        .expect("at least one calibration image");
    sum.div_scalar(images as f32)
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("f32 data")
}
