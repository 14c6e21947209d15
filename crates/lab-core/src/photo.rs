//! The visitor's photos, for every demo that takes one: a PNG, JPEG or WebP file decoded into
//! upright 8-bit RGB, safely.
//!
//! The format is read from the file's first bytes, never from its name. Image formats that are
//! not decoded here (HEIC from phones, AVIF, GIF, TIFF, BMP, ...) are named in the refusal, so
//! that the visitor knows what to convert. The sides, and the memory decoding will take, are
//! read from the header first, and an image over the limits is refused before any pixel is
//! decoded. A JPEG cut off before its end is refused (image's decoder would fill the rest with
//! grey). EXIF orientation is honoured; greyscale, 16-bit, alpha and CMYK-decoded images become
//! 8-bit RGB. Large photos are shrunk by area averaging right after decoding, before the
//! orientation is applied and the pixels are converted, so a 12000×12000 scan costs one decode
//! and nothing more. Every failure is an error value, never a panic.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};

/// The largest side a file may declare in its header; larger is refused before decoding.
pub const MAX_DIMENSION: u32 = 16_384;
/// The most pixels a file may declare (a 12000×12000 photo is 144 million), whatever the
/// memory: decoding and shrinking take time in proportion.
pub const MAX_PIXELS: u64 = 150_000_000;
/// The most memory one decoding may take: the decoded image at the decoder's own depth plus
/// what the decoder keeps beside it for the whole image (see `decode_bytes`).
///
/// 480 MB is 120 megapixels of 8-bit RGBA. The largest camera photos, 102 megapixels
/// (11648×8736, Fujifilm's GFX100), pass as a JPEG (3 bytes a pixel plus the file, about
/// 0.35 GB) and even as an 8-bit RGBA PNG (0.41 GB). A 16-bit RGB PNG, 6 bytes a pixel, is held
/// to 80 megapixels, and a progressive JPEG, whose decoder keeps every coefficient, to 50–80
/// by its colour sampling. A wasm page's memory only grows: what one photo reserves stays with
/// the page, beside the demo's model and the file itself, for as long as it is open. So the
/// bound is the largest photo worth taking and no more; without it, a 150-megapixel 16-bit RGBA
/// PNG would ask for 1.2 GB.
pub const MAX_DECODE_BYTES: u64 = 480_000_000;
/// The largest file read. A 100-megapixel photo saved as a PNG is about 150–250 MB (PNG
/// compresses a photo's noise about twofold); the file sits in wasm memory beside its decoding.
pub const MAX_FILE_BYTES: u64 = 300_000_000;
/// Room for a PNG's metadata (colour profile, EXIF, text), held while the image decodes; real
/// photos carry well under a megabyte of it.
const METADATA_BYTES: u64 = 64 << 20;

/// Why a file could not be used as a photo.
#[derive(Clone, Debug, PartialEq)]
pub enum PhotoError {
    /// Not an image: its first bytes are those of no image format this module knows.
    NotAnImage,
    /// An image in a format that is not decoded here, by its usual name ("HEIC", "GIF").
    Unsupported(&'static str),
    /// A file of more than [`MAX_FILE_BYTES`]: refused before it is read.
    FileTooLarge { bytes: u64 },
    /// The header declares more than [`MAX_DIMENSION`] a side, more than [`MAX_PIXELS`] in all,
    /// or an image whose decoding would take more than [`MAX_DECODE_BYTES`]; nothing was
    /// decoded. `megapixels` is the limit for an image of this kind: [`MAX_PIXELS`], or fewer
    /// where each pixel takes more memory (16-bit, alpha, progressive JPEG).
    TooLarge {
        width: u32,
        height: u32,
        megapixels: u64,
    },
    /// The metadata in the file (an embedded profile, text) would take more memory than the
    /// limit allows: refused, before the sides are known when it comes first.
    HeaderTooLarge,
    /// A PNG, JPEG or WebP that cannot be decoded (truncated, corrupt): the decoder's words.
    Broken(String),
    /// An image without pixels.
    Empty,
}

impl std::fmt::Display for PhotoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhotoError::NotAnImage => write!(f, "not a PNG, JPEG or WebP image"),
            PhotoError::Unsupported(format) => write!(
                f,
                "{format} images cannot be read here: save it as JPEG, PNG or WebP"
            ),
            PhotoError::FileTooLarge { bytes } => write!(
                f,
                "a {} MB file is too large (at most {} MB)",
                bytes / 1_000_000,
                MAX_FILE_BYTES / 1_000_000
            ),
            PhotoError::TooLarge {
                width,
                height,
                megapixels,
            } => write!(
                f,
                "{width}×{height} is too large to decode (at most {MAX_DIMENSION} a side and {megapixels} megapixels for an image of this kind)"
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
    /// Keep every pixel. The conversion to RGB and a rotation may each copy the image, beyond
    /// [`MAX_DECODE_BYTES`]: for tests and tools, not for the page.
    Keep,
    /// Fit the photo within a square of this side, aspect ratio kept (smaller photos stay as
    /// they are): the augmentation grid's working size.
    LongerSideTo(u32),
    /// Divide both sides by one whole factor, when the shorter side exceeds four times this,
    /// so that it lands between two and four times it: cheap, and leaves the exact resize to
    /// the classifier's preprocessing, which then still averages over several pixels.
    ShorterSideNear(u32),
}

/// Decodes a PNG, JPEG or WebP file into upright 8-bit RGB, shrunk as `shrink` says.
pub fn decode(bytes: &[u8], shrink: Shrink) -> Result<RgbImage, PhotoError> {
    let file_bytes = bytes.len() as u64;
    if file_bytes > MAX_FILE_BYTES {
        return Err(PhotoError::FileTooLarge { bytes: file_bytes });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Broken(e.to_string()))?;
    let format = match reader.format() {
        Some(ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err(PhotoError::Broken(
                "the JPEG is truncated (no end-of-image marker after its last scan)".into(),
            ));
        }
        Some(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => format,
        _ if bytes.is_empty() => return Err(PhotoError::Empty),
        _ => {
            return Err(
                undecoded_format(bytes).map_or(PhotoError::NotAnImage, PhotoError::Unsupported)
            );
        }
    };
    // Only PNG's decoder applies this, to the metadata it holds; the image's own memory is
    // checked below from the header, so that a refusal can name the sides.
    let mut limits = Limits::default();
    limits.max_alloc = Some(METADATA_BYTES);
    reader.limits(limits);
    let refused = |error: ImageError| match error {
        ImageError::Limits(_) => PhotoError::HeaderTooLarge,
        error => PhotoError::Broken(error.to_string()),
    };
    // This reads the header only.
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Empty);
    }
    let pixels = u64::from(width) * u64::from(height);
    let need = decode_bytes(format, bytes, decoder.total_bytes(), pixels);
    if width > MAX_DIMENSION
        || height > MAX_DIMENSION
        || pixels > MAX_PIXELS
        || need > MAX_DECODE_BYTES
    {
        return Err(PhotoError::TooLarge {
            width,
            height,
            megapixels: megapixel_limit(pixels, need),
        });
    }
    // A broken EXIF block is no reason to refuse the photo: keep it as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
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

/// The memory decoding takes, known from the header: the image at the decoder's own depth
/// (`image_bytes`) plus what the decoder keeps beside it for the whole image, as image 0.25's
/// decoders do (zune-jpeg 0.5, image-webp 0.2). Buffers of a few rows and the decoders' tables
/// are left out, small next to these; PNG is decoded row by row straight into the image.
fn decode_bytes(format: ImageFormat, bytes: &[u8], image_bytes: u64, pixels: u64) -> u64 {
    let beside = match format {
        // image's JPEG decoder first copies the whole file. A header this reading cannot follow
        // is charged the most coefficients there can be: four full-size components.
        ImageFormat::Jpeg => {
            bytes.len() as u64 + jpeg_coefficient_bytes(bytes).unwrap_or(pixels.saturating_mul(8))
        }
        ImageFormat::WebP => webp_working_bytes(bytes, pixels),
        _ => 0,
    };
    image_bytes.saturating_add(beside)
}

/// The most megapixels an image of this kind may have: the memory limit shared out at what this
/// image takes a pixel, and at most [`MAX_PIXELS`].
fn megapixel_limit(pixels: u64, need: u64) -> u64 {
    let by_memory = u128::from(MAX_DECODE_BYTES) * u128::from(pixels) / u128::from(need.max(1));
    (by_memory.min(u128::from(MAX_PIXELS)) / 1_000_000) as u64
}

/// The bytes zune-jpeg keeps for the coefficients of the whole image, 2 for each sample of each
/// component, when it cannot decode a row of blocks at a time: a progressive JPEG, or a baseline
/// one whose first scan lacks a component. Read from the frame header (SOFn) and the first scan
/// header (SOS), whose segments are walked by their lengths (so that an EXIF thumbnail's own
/// markers are skipped); None where the walk fails.
fn jpeg_coefficient_bytes(bytes: &[u8]) -> Option<u64> {
    let mut at = 2; // after the start-of-image marker
    let mut frame = None;
    let scan_components = loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker's code.
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        let marker = bytes[at];
        at += 1;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue; // markers without a segment
        }
        // The length counts its own two bytes.
        let length = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        if length < 2 {
            return None;
        }
        let segment = bytes.get(at + 2..at + length)?;
        match marker {
            // Huffman and arithmetic-coding tables, and a reserved code, share the SOFn range.
            0xC4 | 0xC8 | 0xCC => {}
            0xC0..=0xCF => frame = Some((marker, segment)),
            0xDA => break *segment.first()?,
            _ => {}
        }
        at += length;
    };
    let (marker, frame) = frame?;
    let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
    let height = u64::from(u16::from_be_bytes([*frame.get(1)?, *frame.get(2)?]));
    let width = u64::from(u16::from_be_bytes([*frame.get(3)?, *frame.get(4)?]));
    let components = *frame.get(5)?;
    if !progressive && scan_components >= components {
        return Some(0);
    }
    // Each component's (horizontal, vertical) sampling factors.
    let sampling = frame
        .get(6..6 + 3 * usize::from(components))?
        .chunks_exact(3);
    let sampling = sampling.map(|c| (u64::from(c[1] >> 4).max(1), u64::from(c[1] & 15).max(1)));
    let h_max = sampling.clone().map(|(h, _)| h).max()?;
    let v_max = sampling.clone().map(|(_, v)| v).max()?;
    // Whole MCUs of 8×8 blocks, each holding h×v blocks of a component.
    let mcus = width.div_ceil(8 * h_max) * height.div_ceil(8 * v_max);
    Some(sampling.map(|(h, v)| mcus * h * v * 64 * 2).sum())
}

/// What image-webp keeps beside the image, from the file's first chunk: a lossy frame's YUV
/// planes (1.5 bytes a pixel), a lossless frame without alpha decoded as RGBA first (4), an alpha
/// channel decoded as a lossless image (5 more), an animation's canvas and frame (8 more).
fn webp_working_bytes(bytes: &[u8], pixels: u64) -> u64 {
    const ANIMATION: u8 = 0x02;
    const ALPHA: u8 = 0x10;
    let half_bytes_a_pixel = match (bytes.get(12..16), bytes.get(20)) {
        (Some(b"VP8 "), _) => 3,
        (Some(b"VP8L"), _) => 8,
        (Some(b"VP8X"), Some(flags)) if flags & ANIMATION != 0 => 3 + 10 + 16,
        (Some(b"VP8X"), Some(flags)) if flags & ALPHA != 0 => 3 + 10,
        // Without alpha, an extended file's frame is lossy, or lossless with its RGBA pass.
        (Some(b"VP8X"), Some(_)) => 8,
        _ => 3 + 10 + 16,
    };
    pixels.saturating_mul(half_bytes_a_pixel) / 2
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

/// The usual name of an image format that is not decoded here, from the file's first bytes. The
/// checks are strict enough that text or other files are not mistaken for images: BMP's two-byte
/// signature must be followed by a known header size, an icon's by a count of images. Camera raw
/// files built on TIFF (DNG, NEF, ARW) are named TIFF.
fn undecoded_format(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"\xFF\x0A", "JPEG XL"),
        (b"\0\0\0\x0CJXL \r\n\x87\n", "JPEG XL"),
        (b"\0\0\0\x0CjP  \r\n\x87\n", "JPEG 2000"),
        (b"\xFF\x4F\xFF\x51", "JPEG 2000"),
        (b"8BPS", "Photoshop (PSD)"),
        (b"v/1\x01", "OpenEXR"),
        (b"#?RADIANCE", "Radiance HDR"),
        (b"qoif", "QOI"),
        (b"DDS ", "DDS"),
    ];
    let le32 = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    if let Some(&(_, name)) = SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        Some(name)
    } else if bytes.get(4..8) == Some(b"ftyp") {
        heif_kind(bytes)
    } else if bytes.starts_with(b"BM")
        && le32(14).is_some_and(|header| [12, 16, 40, 52, 56, 64, 108, 124].contains(&header))
    {
        Some("BMP")
    } else if bytes.starts_with(&[0, 0, 1, 0])
        && bytes.get(4..6).is_some_and(|count| count != [0, 0])
        && bytes.get(9) == Some(&0)
    {
        Some("ICO")
    } else {
        None
    }
}

/// HEIC and AVIF photos are both HEIF files (ISO base media format), told apart by the brands
/// in their leading `ftyp` box: the major brand, a version, then the compatible brands. The first
/// brand that names a codec decides; a HEIF file whose brands name none is "HEIF". Video files
/// (MP4, MOV) share the box but none of these brands.
fn heif_kind(bytes: &[u8]) -> Option<&'static str> {
    // A box's size counts its 8-byte header; 0 means "to the end of the file".
    let size = usize::try_from(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    let end = if size == 0 {
        bytes.len()
    } else {
        size.min(bytes.len())
    };
    let brands = bytes.get(8..end)?.chunks_exact(4);
    let brands = brands
        .enumerate()
        .filter(|&(i, _)| i != 1)
        .map(|(_, brand)| brand);
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some("AVIF"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => {
                return Some("HEIC");
            }
            b"mif1" | b"msf1" | b"mif2" => heif = true,
            _ => {}
        }
    }
    heif.then_some("HEIF")
}
