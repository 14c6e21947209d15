//! The visitor's photos, for every demo that takes one: a PNG or JPEG file decoded into upright
//! 8-bit RGB, safely.
//!
//! The size is read from the header first, and an image over the limits is refused before any
//! pixel is decoded; the decoder then runs under a matching allocation limit. A JPEG cut off
//! before its end is refused (image's decoder would fill the rest with grey). EXIF orientation is
//! honoured; greyscale, 16-bit, alpha and CMYK-decoded images become 8-bit RGB. Large photos
//! are shrunk by area averaging right after decoding, before the orientation is applied and the
//! pixels are converted, so a 12000×12000 scan costs one decode and nothing more. Every failure
//! is an error value, never a panic.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// The largest side a file may declare in its header; larger is refused before decoding.
pub const MAX_DIMENSION: u32 = 16_384;
/// The most pixels a file may declare (a 12000×12000 photo is 144 million); more is refused
/// before decoding, so that the decoded image stays within a few hundred MB.
pub const MAX_PIXELS: u64 = 150_000_000;
/// Bytes a decoded pixel may take under the allocation limit (8-bit RGBA), plus room for the
/// decoder's own buffers. A 16-bit photo near the pixel limit exceeds it and is refused.
const BYTES_PER_PIXEL: u64 = 4;
const DECODER_SLACK: u64 = 64 << 20;

/// Why a file could not be used as a photo.
#[derive(Clone, Debug, PartialEq)]
pub enum PhotoError {
    /// Not a PNG or JPEG file (another format, or not an image at all).
    NotAnImage,
    /// The header declares more than [`MAX_DIMENSION`] a side or [`MAX_PIXELS`] in all, or the
    /// decoder would need more memory than that allows; nothing was decoded.
    TooLarge { width: u32, height: u32 },
    /// Reading the header alone would already take more memory than the limit allows (a huge
    /// embedded profile or metadata block): refused before its sides are known.
    HeaderTooLarge,
    /// A PNG or JPEG that cannot be decoded (truncated, corrupt): the decoder's words.
    Broken(String),
    /// An image without pixels.
    Empty,
}

impl std::fmt::Display for PhotoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhotoError::NotAnImage => write!(f, "not a PNG or JPEG image"),
            PhotoError::TooLarge { width, height } => write!(
                f,
                "{width}×{height} is too large to decode (at most {MAX_DIMENSION} a side and {} megapixels)",
                MAX_PIXELS / 1_000_000
            ),
            PhotoError::HeaderTooLarge => write!(
                f,
                "too large to decode (at most {MAX_DIMENSION} a side and {} megapixels)",
                MAX_PIXELS / 1_000_000
            ),
            PhotoError::Broken(why) => write!(f, "the image cannot be decoded: {why}"),
            PhotoError::Empty => write!(f, "the image has no pixels"),
        }
    }
}

impl std::error::Error for PhotoError {}

/// How small a photo is made right after decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shrink {
    /// Keep every pixel.
    Keep,
    /// Fit the photo within a square of this side, aspect ratio kept (smaller photos stay as
    /// they are): the augmentation grid's working size.
    LongerSideTo(u32),
    /// Divide both sides by one whole factor, when the shorter side exceeds four times this,
    /// so that it lands between two and four times it: cheap, and leaves the exact resize to
    /// the classifier's preprocessing, which then still averages over several pixels.
    ShorterSideNear(u32),
}

/// Decodes a PNG or JPEG file into upright 8-bit RGB, shrunk as `shrink` says.
pub fn decode(bytes: &[u8], shrink: Shrink) -> Result<RgbImage, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Broken(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Png) => {}
        Some(ImageFormat::Jpeg) if jpeg_is_complete(bytes) => {}
        Some(ImageFormat::Jpeg) => {
            return Err(PhotoError::Broken(
                "the JPEG is truncated (no end-of-image marker after its last scan)".into(),
            ));
        }
        _ if bytes.is_empty() => return Err(PhotoError::Empty),
        _ => return Err(PhotoError::NotAnImage),
    }
    // Only the allocation is limited here: the sides are checked below, so that a refusal can
    // name them.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * BYTES_PER_PIXEL + DECODER_SLACK);
    reader.limits(limits);
    let too_large = |error: &image::ImageError| matches!(error, image::ImageError::Limits(_));
    // This reads the header only.
    let mut decoder = reader.into_decoder().map_err(|error| {
        if too_large(&error) {
            PhotoError::HeaderTooLarge
        } else {
            PhotoError::Broken(error.to_string())
        }
    })?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Empty);
    }
    if width > MAX_DIMENSION
        || height > MAX_DIMENSION
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(PhotoError::TooLarge { width, height });
    }
    // A broken EXIF block is no reason to refuse the photo: keep it as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|error| {
        if too_large(&error) {
            PhotoError::TooLarge { width, height }
        } else {
            PhotoError::Broken(error.to_string())
        }
    })?;
    // image's thumbnails average whole areas in integer arithmetic: fast on large images, exact.
    match shrink {
        Shrink::Keep => {}
        Shrink::LongerSideTo(side) if width.max(height) > side => {
            image = image.thumbnail(side, side)
        }
        Shrink::LongerSideTo(_) => {}
        Shrink::ShorterSideNear(target) => {
            // A target of 0 (a manifest's `resize_shorter` can say so) would divide by zero
            // below; the nearest meaningful target is 1.
            let target = target.max(1);
            let shorter = width.min(height);
            if shorter > target.saturating_mul(4) {
                let factor = shorter / target.saturating_mul(2);
                image = image.thumbnail_exact(width / factor, height / factor);
            }
        }
    }
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

/// Whether a JPEG's last scan is followed by its end-of-image marker. Inside entropy-coded data
/// 0xFF is always followed by 0x00 or a restart marker, so FF DA (start of scan) and FF D9 (end
/// of image) are only ever real markers; an EXIF thumbnail's own pair comes before the main
/// image's scan.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let last_end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    matches!((last_scan, last_end), (Some(scan), Some(end)) if end > scan)
}
