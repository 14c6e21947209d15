//! The preprocessing ImageNet classifiers were trained with: resize the shorter side to 256
//! (bilinear, antialiased), crop the centre 224×224, scale to [0, 1] and normalise each channel
//! with ImageNet's mean and standard deviation, as torchvision's `Resize(256)`,
//! `CenterCrop(224)`, `ToTensor()`, `Normalize(mean, std)`. Photos are decoded by
//! [`crate::photo`].

use std::borrow::Cow;

use burn::tensor::{Device, Tensor, TensorData};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType as Filter, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use crate::photo::{self, PhotoError, Shrink};

/// How a photo becomes a model input; stored in each model's manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// The shorter side is resized to this (bilinear, antialiased).
    pub resize_shorter: u32,
    /// Then the centre `crop × crop` is taken.
    pub crop: u32,
    /// Per-channel (R, G, B) mean and standard deviation of pixel values scaled to [0, 1].
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Tensor layout of the input: "NCHW", channels R, G, B.
    pub layout: String,
}

impl Default for Preprocessing {
    /// ImageNet's, as torchvision's classifiers and EfficientNet-Lite's PyTorch port use it.
    fn default() -> Self {
        Self {
            resize_shorter: 256,
            crop: 224,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
            layout: "NCHW".into(),
        }
    }
}

/// The largest `resize_shorter` and `crop` a manifest may ask for: four times ImageNet's usual
/// 256, beyond every classifier here. Larger ones would ask the page for more memory than it has
/// (the input is 3 × crop² floats per view, the resized photo up to 16 × resize_shorter² pixels).
pub const MAX_INPUT_SIDE: u32 = 1024;

impl Preprocessing {
    /// Why a manifest's preprocessing cannot be used, if it cannot: both sizes within
    /// 1..=[`MAX_INPUT_SIDE`] (0 would leave nothing to classify), and means and standard
    /// deviations that normalise every pixel value to a finite number (a standard deviation of 0,
    /// or a mean of 1e300 that reads as an infinite f32, would feed the network NaN).
    pub fn check(&self) -> Result<(), String> {
        for (what, side) in [("resize_shorter", self.resize_shorter), ("crop", self.crop)] {
            if !(1..=MAX_INPUT_SIDE).contains(&side) {
                return Err(format!("{what} {side} is not within 1..={MAX_INPUT_SIDE}"));
            }
        }
        if self.crop > self.resize_shorter {
            return Err(format!(
                "crop {} is larger than resize_shorter {}",
                self.crop, self.resize_shorter
            ));
        }
        // Normalisation is monotonic in the pixel value: its ends, 0 and 1, bound the rest.
        let finite = (0..3).all(|c| {
            [self.mean[c], self.std[c]].iter().all(|v| v.is_finite())
                && [0.0, 1.0]
                    .iter()
                    .all(|x: &f32| ((x - self.mean[c]) / self.std[c]).is_finite())
        });
        if !finite {
            return Err(format!(
                "mean {:?} and std {:?} do not normalise pixels to finite values",
                self.mean, self.std
            ));
        }
        Ok(())
    }
}

/// The longer side of a resized photo at most, in multiples of its shorter side. torchvision
/// has no such cap, but a strip of a photo within the decoder's limits would otherwise be
/// resized to more memory than the page has (1×2048 to 256×524,288: 400 MB, before a 224×224
/// crop). Photos up to 16:1, every camera's and most panoramas, are resized exactly as
/// torchvision does; a longer strip is squeezed to 16:1 first, so its centre crop is narrowed.
pub const MAX_ASPECT: u64 = 16;

/// The size a `width × height` image is resized to so that its shorter side is `target`,
/// as torchvision's `Resize(int)` computes it (the longer side truncated), the longer side at
/// most [`MAX_ASPECT`] times the shorter.
pub fn resized_size(width: u32, height: u32, target: u32) -> (u32, u32) {
    let longer = |long: u32, short: u32| {
        let exact = u64::from(target) * u64::from(long) / u64::from(short);
        // Past u32 only for a target over 268 million, which no manifest passes: saturated.
        u32::try_from(exact.min(u64::from(target) * MAX_ASPECT))
            .unwrap_or(u32::MAX)
            .max(1)
    };
    if width <= height {
        (target, longer(height, width))
    } else {
        (longer(width, height), target)
    }
}

/// Offset of a centre crop as torchvision's `CenterCrop` rounds it (half to even).
pub fn crop_offset(size: u32, crop: u32) -> u32 {
    let twice = size.saturating_sub(crop);
    let half = twice / 2;
    // (size - crop) / 2 is either whole or ends in .5; Python's round() takes the even one.
    if twice % 2 == 1 && half % 2 == 1 {
        half + 1
    } else {
        half
    }
}

/// The normalised model input, `3 × crop × crop` floats, channel-major (R plane, G, B).
pub fn preprocess(image: &RgbImage, p: &Preprocessing) -> Result<Vec<f32>, PhotoError> {
    Ok(normalise(&resize_and_crop(image, p)?, p.mean, p.std))
}

/// The photo resized and centre-cropped as `p` says, `crop × crop` pixels: the costly half of
/// [`preprocess`], done once for a photo that is normalised more than one way.
pub fn resize_and_crop(image: &RgbImage, p: &Preprocessing) -> Result<RgbImage, PhotoError> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Empty);
    }
    let (w, h) = resized_size(width, height, p.resize_shorter);
    let resized = if (w, h) == (width, height) {
        Cow::Borrowed(image)
    } else {
        Cow::Owned(resize(image, w, h))
    };
    // Images smaller than the crop are padded with black, as CenterCrop pads with zeros.
    let origin = |size: u32| {
        if size < p.crop {
            -(i64::from(p.crop - size) / 2)
        } else {
            i64::from(crop_offset(size, p.crop))
        }
    };
    let (left, top) = (origin(w), origin(h));
    Ok(RgbImage::from_fn(p.crop, p.crop, |x, y| {
        let (sx, sy) = (left + i64::from(x), top + i64::from(y));
        if (0..i64::from(w)).contains(&sx) && (0..i64::from(h)).contains(&sy) {
            *resized.get_pixel(sx as u32, sy as u32)
        } else {
            Rgb([0, 0, 0])
        }
    }))
}

/// `image` resized to `width × height` with an antialiased bilinear filter, as torchvision's
/// `Resize` (Pillow's) does, by fast_image_resize: its SIMD kernels took a seventh of the time of
/// `image`'s resize natively (0.43 against 3.06 ms for chelsea.png). On chelsea.png's centre
/// crop every pixel is within one level of Pillow's, as with `image`'s (a mean difference of 0.20
/// of a level, `image`'s 0.18); the fixture's `preprocessing_vs_torchvision` has all four photos.
fn resize(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    // An RgbImage is `width × height` U8x3 pixels, which is all either call below checks.
    let layout = "an RgbImage is a U8x3 image";
    let source = ImageRef::new(
        image.width(),
        image.height(),
        image.as_raw(),
        PixelType::U8x3,
    )
    .expect(layout);
    let mut resized = Image::new(width, height, PixelType::U8x3);
    let bilinear = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(Filter::Bilinear));
    Resizer::new()
        .resize(&source, &mut resized, &bilinear)
        .expect(layout);
    RgbImage::from_raw(width, height, resized.into_vec()).expect(layout)
}

/// A cropped photo as model input, `3 × crop × crop` floats, channel-major (R plane, G, B):
/// each pixel value scaled to [0, 1], less the channel's `mean`, over its `std`.
pub fn normalise(cropped: &RgbImage, mean: [f32; 3], std: [f32; 3]) -> Vec<f32> {
    let plane = cropped.as_raw().len() / 3;
    let mut out = vec![0.0f32; 3 * plane];
    for (i, pixel) in cropped.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (f32::from(pixel[c]) / 255.0 - mean[c]) / std[c];
        }
    }
    out
}

/// Decodes ([`photo::decode`]) and preprocesses a photo in one step.
pub fn photo_to_input(bytes: &[u8], p: &Preprocessing) -> Result<Vec<f32>, PhotoError> {
    preprocess(
        &photo::decode(bytes, Shrink::ShorterSideNear(p.resize_shorter))?,
        p,
    )
}

/// A batch tensor `[n, 3, crop, crop]` from `n` preprocessed images.
pub fn to_input(images: &[Vec<f32>], crop: usize, device: &Device) -> Tensor<4> {
    let data: Vec<f32> = images.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(data, [images.len(), 3, crop, crop]), device)
}

/// Eight views of one photo, named: whole, mirrored, two centre crops and the four corners at
/// 70%. They stand in for the framings a visitor's photos come in, where a fixed set of photos
/// is needed (int8 calibration, the int8 agreement test).
pub fn views(image: &RgbImage) -> Vec<(&'static str, RgbImage)> {
    let (w, h) = image.dimensions();
    let crop = |x: u32, y: u32, percent: u32| {
        image::imageops::crop_imm(image, x, y, w * percent / 100, h * percent / 100).to_image()
    };
    vec![
        ("whole", image.clone()),
        ("mirrored", image::imageops::flip_horizontal(image)),
        ("centre 60%", crop(w / 5, h / 5, 60)),
        ("centre 80%", crop(w / 10, h / 10, 80)),
        ("top-left 70%", crop(0, 0, 70)),
        ("top-right 70%", crop(w * 3 / 10, 0, 70)),
        ("bottom-left 70%", crop(0, h * 3 / 10, 70)),
        ("bottom-right 70%", crop(w * 3 / 10, h * 3 / 10, 70)),
    ]
}
