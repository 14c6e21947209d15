//! The classification of one photo, from decoded pixels to ranked classes, as a pipeline whose
//! stages the caller runs one at a time: a page without threads hands the thread back between
//! them (a ResNet-50 takes seconds on a CPU backend), a native caller just runs them all.
//!
//! decode ([`crate::photo::decode`] with [`DECODE_SHRINK`]) → two inputs of the photo, the
//! model's own preprocessing and the article snippet's raw `[0, 1]` pixels →
//! [`Pass::run_stage`] for each stage → [`Pass::logits`], read back by the caller →
//! [`Classification::from_logits`].

use burn::tensor::{Device, Tensor};
use image::RgbImage;

use super::Classifier;
use super::asset::Manifest;
use super::preprocess;
use crate::photo::{PhotoError, Shrink};
use crate::rank::{Prediction, top_k};

/// How photos are shrunk right after decoding for classification: to between two and four
/// times a 256-pixel shorter side, which bounds memory for huge photos and leaves the exact
/// resize to the model's preprocessing.
pub const DECODE_SHRINK: Shrink = Shrink::ShorterSideNear(256);

/// Classes shown per input.
pub const TOP: usize = 5;

/// One forward pass over a batch of preprocessed images, run stage by stage.
pub struct Pass<'m> {
    classifier: &'m Classifier,
    features: Tensor<4>,
    done: usize,
}

impl<'m> Pass<'m> {
    /// The photo twice: normalised as the model was trained, and as the article's snippet
    /// feeds it (pixels scaled to `[0, 1]`, no mean/std), to show what forgetting it does.
    pub fn photo(
        classifier: &'m Classifier,
        manifest: &Manifest,
        image: &RgbImage,
        device: &Device,
    ) -> Result<Self, PhotoError> {
        let p = &manifest.preprocessing;
        // The two inputs differ only in their normalisation: the photo is resized and cropped once.
        let cropped = preprocess::resize_and_crop(image, p)?;
        let inputs = [
            preprocess::normalise(&cropped, p.mean, p.std),
            preprocess::normalise(&cropped, [0.0; 3], [1.0; 3]),
        ];
        Ok(Self::inputs(classifier, manifest, &inputs, device))
    }

    /// A black image, to warm the backend up (kernels compiled, buffers allocated) before the
    /// first photo is timed.
    pub fn warm_up(classifier: &'m Classifier, manifest: &Manifest, device: &Device) -> Self {
        let crop = manifest.preprocessing.crop as usize;
        Self::inputs(classifier, manifest, &[vec![0.0; 3 * crop * crop]], device)
    }

    fn inputs(
        classifier: &'m Classifier,
        manifest: &Manifest,
        images: &[Vec<f32>],
        device: &Device,
    ) -> Self {
        let crop = manifest.preprocessing.crop as usize;
        Self {
            classifier,
            features: preprocess::to_input(images, crop, device),
            done: 0,
        }
    }

    /// Stages in all (the stem, each block).
    pub fn stages(&self) -> usize {
        self.classifier.stage_count()
    }

    /// Stages run so far.
    pub fn done(&self) -> usize {
        self.done
    }

    /// Runs the next stage; false once every stage has run.
    pub fn run_stage(&mut self) -> bool {
        if self.done >= self.stages() {
            return false;
        }
        let features = self.features.clone();
        self.features = self.classifier.stage(self.done, features);
        self.done += 1;
        true
    }

    /// Logits `[batch, classes]`: runs whatever stages remain, then the head.
    pub fn logits(mut self) -> Tensor<2> {
        while self.run_stage() {}
        self.classifier.head(self.features)
    }
}

/// The ranked classes of a photo, normalised and not.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    pub normalised: Vec<Prediction>,
    /// The article's snippet feeds raw `[0, 1]` pixels: what the same network says then.
    pub unnormalised: Vec<Prediction>,
}

impl Classification {
    /// From the host logits of a [`Pass::photo`] (two rows of classes).
    pub fn from_logits(logits: &[f32]) -> Self {
        let classes = logits.len() / 2;
        Self {
            normalised: top_k(&logits[..classes], TOP),
            unnormalised: top_k(&logits[classes..], TOP),
        }
    }
}
