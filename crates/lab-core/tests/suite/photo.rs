//! Photo decoding (`lab_core::photo`), shared by the augmentation and classification demos:
//! EXIF orientation, every PNG pixel format, WebP and CMYK JPEG into RGB, the formats not
//! decoded named, limits (sides, pixels, memory) checked from the header, refusals as errors,
//! and the shrinking each demo asks for.
//! long file: every case builds its file with the same encoders and header forgers.

use image::{DynamicImage, GrayImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, RgbImage, Rgba};
use lab_core::photo::{
    self, MAX_DECODE_BYTES, MAX_DIMENSION, MAX_FILE_BYTES, MAX_PIXELS, PhotoError, Shrink,
};

use crate::common::photo_files::{
    RGB8, RGB16, RGBA8, RGBA16, encode, jpeg_with_orientation, png_claiming,
};

#[test]
fn honours_exif_orientation() {
    // 64 wide, 32 tall: red left half, blue right half.
    let image = RgbImage::from_fn(64, 32, |x, _| {
        if x < 32 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let upright = photo::decode(&jpeg_with_orientation(&image, 1), Shrink::Keep).unwrap();
    assert_eq!(upright.dimensions(), (64, 32));
    let rotated = photo::decode(&jpeg_with_orientation(&image, 6), Shrink::Keep).unwrap();
    assert_eq!(
        rotated.dimensions(),
        (32, 64),
        "orientation 6 turns the photo upright"
    );
    // Rotated 90° clockwise, the left (red) half is now on top.
    let top = rotated.get_pixel(16, 8).0;
    let bottom = rotated.get_pixel(16, 56).0;
    assert!(top[0] > 200 && top[2] < 60, "top should be red, is {top:?}");
    assert!(
        bottom[2] > 200 && bottom[0] < 60,
        "bottom should be blue, is {bottom:?}"
    );
}

#[test]
fn greyscale_sixteen_bit_and_alpha_become_rgb() {
    let grey = DynamicImage::ImageLuma8(ImageBuffer::from_fn(50, 40, |x, _| Luma([(x * 5) as u8])));
    let grey16 = DynamicImage::ImageLuma16(ImageBuffer::from_fn(50, 40, |x, _| {
        Luma([(x * 1000) as u16])
    }));
    let grey_alpha = DynamicImage::ImageLumaA8(ImageBuffer::from_fn(50, 40, |_, y| {
        LumaA([100, (y * 6) as u8])
    }));
    let rgba16 = DynamicImage::ImageRgba16(ImageBuffer::from_fn(50, 40, |x, y| {
        Rgba([(x * 1300) as u16, (y * 1600) as u16, 40_000, 65_535])
    }));
    for (what, image) in [
        ("L8", grey),
        ("L16", grey16),
        ("LA8", grey_alpha),
        ("RGBA16", rgba16),
    ] {
        let bytes = encode(image, ImageFormat::Png);
        let rgb = photo::decode(&bytes, Shrink::Keep).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(rgb.dimensions(), (50, 40), "{what}");
    }
}

#[test]
fn refuses_oversized_headers_before_decoding() {
    // Over the side limit, and over the pixel limit with both sides allowed: a 1×1 image whose
    // header lies is refused from the header alone.
    for (w, h) in [(100_000, 10), (MAX_DIMENSION + 1, 1), (13_000, 13_000)] {
        assert_eq!(
            photo::decode(&png_claiming(w, h, RGB8), Shrink::Keep),
            Err(PhotoError::TooLarge {
                width: w,
                height: h,
                megapixels: MAX_PIXELS / 1_000_000
            }),
            "{w}×{h}"
        );
    }
    assert!(
        u64::from(13_000u32 * 13_000) > MAX_PIXELS && u64::from(12_000u32 * 12_000) <= MAX_PIXELS
    );
}

#[test]
fn bad_files_are_errors_not_panics() {
    let sample = || {
        encode(
            DynamicImage::ImageRgb8(RgbImage::from_fn(64, 64, |x, y| {
                Rgb([x as u8 * 4, y as u8 * 4, 90])
            })),
            ImageFormat::Png,
        )
    };
    assert_eq!(
        photo::decode(b"just some text, not a picture", Shrink::Keep),
        Err(PhotoError::NotAnImage)
    );
    assert_eq!(photo::decode(&[], Shrink::Keep), Err(PhotoError::Empty));
    let png = sample();
    assert!(
        matches!(
            photo::decode(&png[..png.len() / 2], Shrink::Keep),
            Err(PhotoError::Broken(_))
        ),
        "a truncated PNG"
    );
    assert!(
        matches!(
            photo::decode(&png[..40], Shrink::Keep),
            Err(PhotoError::Broken(_))
        ),
        "a PNG header alone"
    );
    let jpeg = encode(
        DynamicImage::ImageRgb8(RgbImage::new(64, 64)),
        ImageFormat::Jpeg,
    );
    assert!(
        matches!(
            photo::decode(&jpeg[..jpeg.len() / 2], Shrink::Keep),
            Err(PhotoError::Broken(_))
        ),
        "a truncated JPEG"
    );
}

/// A 12000×12000 photo (144 million pixels) decodes, shrunk as each demo asks, right after
/// decoding.
#[test]
fn a_huge_photo_is_shrunk_as_asked() {
    let mut huge = GrayImage::new(12_000, 12_000);
    for (x, y, pixel) in huge.enumerate_pixels_mut() {
        pixel.0 = [if (x / 1000 + y / 1000) % 2 == 0 {
            230
        } else {
            20
        }];
    }
    let bytes = encode(DynamicImage::ImageLuma8(huge), ImageFormat::Png);
    let started = std::time::Instant::now();
    let grid = photo::decode(&bytes, Shrink::LongerSideTo(512)).expect("a 12000×12000 PNG decodes");
    eprintln!(
        "12000×12000 PNG ({} KB) decoded and shrunk in {:?}",
        bytes.len() / 1024,
        started.elapsed()
    );
    assert_eq!(grid.dimensions(), (512, 512));
    // The checkerboard survives: top-left square light, the next one dark.
    assert!(grid.get_pixel(10, 10).0[0] > 200 && grid.get_pixel(60, 10).0[0] < 50);
    let classifier = photo::decode(&bytes, Shrink::ShorterSideNear(256)).unwrap();
    assert!(
        (512..=1024).contains(&classifier.width()) && classifier.width() == classifier.height(),
        "{:?}",
        classifier.dimensions()
    );
}

#[test]
fn photos_within_the_bounds_keep_their_size() {
    let image = RgbImage::from_fn(3000, 2000, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 0])
    });
    let bytes = encode(DynamicImage::ImageRgb8(image), ImageFormat::Png);
    let near = photo::decode(&bytes, Shrink::ShorterSideNear(256)).unwrap();
    assert!(
        (512..=1024).contains(&near.height()),
        "shorter side {}",
        near.height()
    );
    assert_eq!(
        photo::decode(&bytes, Shrink::Keep).unwrap().dimensions(),
        (3000, 2000)
    );
    let small = encode(
        DynamicImage::ImageRgb8(RgbImage::new(300, 200)),
        ImageFormat::Png,
    );
    assert_eq!(
        photo::decode(&small, Shrink::LongerSideTo(512))
            .unwrap()
            .dimensions(),
        (300, 200)
    );
    assert_eq!(
        photo::decode(&small, Shrink::ShorterSideNear(256))
            .unwrap()
            .dimensions(),
        (300, 200)
    );
}

/// Real files from other encoders (scripts/photo_fixtures.py, Pillow).
const CMYK_JPEG: &[u8] = include_bytes!("../fixtures/photo/cmyk.jpg");
const LOSSY_WEBP: &[u8] = include_bytes!("../fixtures/photo/lossy.webp");
const AVIF: &[u8] = include_bytes!("../fixtures/photo/tiny.avif");

fn near(pixel: Rgb<u8>, expected: [u8; 3], tolerance: u8) -> bool {
    pixel
        .0
        .iter()
        .zip(expected)
        .all(|(&a, b)| a.abs_diff(b) <= tolerance)
}

#[test]
fn webp_decodes_lossy_and_lossless() {
    // Lossy (VP8), from libwebp: red left half, blue right half.
    let lossy = photo::decode(LOSSY_WEBP, Shrink::Keep).expect("a lossy WebP decodes");
    assert_eq!(lossy.dimensions(), (64, 32));
    let (left, right) = (*lossy.get_pixel(8, 16), *lossy.get_pixel(56, 16));
    assert!(
        near(left, [220, 30, 30], 12),
        "left should be red, is {left:?}"
    );
    assert!(
        near(right, [30, 30, 220], 12),
        "right should be blue, is {right:?}"
    );

    // Lossless (VP8L), from image's own encoder: every pixel comes back, alpha dropped.
    let rgb = RgbImage::from_fn(40, 30, |x, y| Rgb([x as u8 * 6, y as u8 * 8, 77]));
    let bytes = encode(DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::WebP);
    assert_eq!(photo::decode(&bytes, Shrink::Keep).unwrap(), rgb);
    let rgba = ImageBuffer::from_fn(40, 30, |x, y| Rgba([x as u8 * 6, y as u8 * 8, 77, 255]));
    let bytes = encode(DynamicImage::ImageRgba8(rgba), ImageFormat::WebP);
    assert_eq!(photo::decode(&bytes, Shrink::Keep).unwrap(), rgb);
}

#[test]
fn a_cmyk_jpeg_decodes_to_rgb() {
    // The fixture is what it claims: an Adobe APP14 marker, and four components in its frame.
    let sof = CMYK_JPEG
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .unwrap();
    assert_eq!(CMYK_JPEG[sof + 9], 4, "components");
    assert!(CMYK_JPEG.windows(5).any(|w| w == b"Adobe"));
    let rgb = photo::decode(CMYK_JPEG, Shrink::Keep).expect("a CMYK JPEG decodes");
    assert_eq!(rgb.dimensions(), (32, 16));
    // Cyan ink is green and blue light, magenta red and blue; inverted inks would give red and
    // green instead.
    let (left, right) = (*rgb.get_pixel(4, 8), *rgb.get_pixel(28, 8));
    assert!(
        near(left, [0, 255, 255], 12),
        "left should be cyan, is {left:?}"
    );
    assert!(
        near(right, [255, 0, 255], 12),
        "right should be magenta, is {right:?}"
    );
}

/// An ISO-BMFF file's leading `ftyp` box: the major brand, a version, the compatible brands.
fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let size = 16 + 4 * compatible.len() as u32;
    let mut bytes = size.to_be_bytes().to_vec();
    bytes.extend(b"ftyp");
    bytes.extend(major);
    bytes.extend([0; 4]);
    compatible.iter().for_each(|brand| bytes.extend(*brand));
    bytes.extend(b"\0\0\0\x20meta"); // what follows in a real file
    bytes.extend([0; 28]);
    bytes
}

/// A 2×1 24-bit BMP: file header, BITMAPINFOHEADER, one row padded to 4 bytes.
fn bmp() -> Vec<u8> {
    let mut bytes = b"BM".to_vec();
    bytes.extend(62u32.to_le_bytes()); // file size
    bytes.extend([0; 4]);
    bytes.extend(54u32.to_le_bytes()); // pixels' offset
    bytes.extend(40u32.to_le_bytes()); // BITMAPINFOHEADER
    bytes.extend(2i32.to_le_bytes());
    bytes.extend(1i32.to_le_bytes());
    bytes.extend(1u16.to_le_bytes()); // planes
    bytes.extend(24u16.to_le_bytes());
    bytes.extend([0; 24]); // no compression, sizes, resolution, palette
    bytes.extend([0, 0, 255, 255, 0, 0, 0, 0]);
    bytes
}

#[test]
fn formats_not_decoded_are_named() {
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("iPhone HEIC", ftyp(b"heic", &[b"mif1", b"heic"]), "HEIC"),
        (
            "HEIC with a generic major brand",
            ftyp(b"mif1", &[b"mif1", b"heic"]),
            "HEIC",
        ),
        ("AVIF from libavif", AVIF.to_vec(), "AVIF"),
        (
            "AVIF with a generic major brand",
            ftyp(b"mif1", &[b"avif", b"miaf"]),
            "AVIF",
        ),
        ("animated AVIF", ftyp(b"avis", &[b"avis", b"msf1"]), "AVIF"),
        ("HEIF of no named codec", ftyp(b"mif1", &[b"mif1"]), "HEIF"),
        ("BMP", bmp(), "BMP"),
        (
            "little-endian TIFF",
            b"II*\0\x08\0\0\0\x00\x00".to_vec(),
            "TIFF",
        ),
        (
            "big-endian TIFF",
            b"MM\0*\0\0\0\x08\x00\x00".to_vec(),
            "TIFF",
        ),
        ("GIF", gif, "GIF"),
        ("JPEG XL", vec![0xFF, 0x0A, 0xFA, 0x7F], "JPEG XL"),
    ];
    for (what, bytes, name) in cases {
        let error = photo::decode(&bytes, Shrink::Keep).unwrap_err();
        assert_eq!(error, PhotoError::Unsupported(name), "{what}");
        assert_eq!(
            error.to_string(),
            format!("{name} images cannot be read here: save it as JPEG, PNG or WebP"),
        );
    }
    // Files that share a box or a first letter with an image format are still not images.
    let mp4 = ftyp(b"isom", &[b"isom", b"iso2", b"mp41"]);
    let text = b"BM stands for bowel movement; this is a text file".to_vec();
    for (what, bytes) in [("MP4 video", mp4), ("text starting with BM", text)] {
        assert_eq!(
            photo::decode(&bytes, Shrink::Keep),
            Err(PhotoError::NotAnImage),
            "{what}"
        );
    }
}

/// `jpeg` with its frame header rewritten: `marker` 0xC0 (baseline) or 0xC2 (progressive), and
/// the sides it claims. The scans still hold the small image: a header to check, not to decode.
fn jpeg_claiming(jpeg: &[u8], marker: u8, width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg.to_vec();
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    // FF C0, length (2), precision (1), height (2), width (2).
    bytes[sof + 1] = marker;
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

/// The memory limit: each kind of image is refused past what its pixels take, at the decoder's
/// own depth and with what the decoder keeps beside them, and the refusal names that kind's
/// megapixels; a 100-megapixel camera photo is not refused.
#[test]
fn decoding_memory_is_bounded_from_the_header() {
    let refused = |bytes: &[u8]| match photo::decode(bytes, Shrink::LongerSideTo(512)) {
        Err(PhotoError::TooLarge {
            width,
            height,
            megapixels,
        }) => Some((width, height, megapixels)),
        _ => None,
    };
    // Each is within the sides and MAX_PIXELS, but over the memory: 8, 6 and 4 bytes a pixel.
    assert_eq!(
        refused(&png_claiming(10_000, 10_000, RGBA16)),
        Some((10_000, 10_000, 60))
    );
    assert_eq!(
        refused(&png_claiming(9_000, 9_000, RGB16)),
        Some((9_000, 9_000, 80))
    );
    assert_eq!(
        refused(&png_claiming(11_000, 11_000, RGBA8)),
        Some((11_000, 11_000, 120))
    );
    assert_eq!(MAX_DECODE_BYTES, 480_000_000, "the figures above assume it");

    // 11648×8736 (102 megapixels, a medium-format camera's photo) passes the checks as 8-bit
    // RGB and RGBA: the decoder then finds one pixel's data, not a refusal from the header.
    for kind in [RGB8, RGBA8] {
        let result = photo::decode(
            &png_claiming(11_648, 8_736, kind),
            Shrink::LongerSideTo(512),
        );
        assert!(
            matches!(result, Err(PhotoError::Broken(_))),
            "a 102-megapixel {kind:?} PNG: {result:?}"
        );
    }

    // A progressive JPEG keeps every coefficient as it decodes (2 bytes a sample): refused at
    // a size whose baseline twin is let through.
    let jpeg = encode(
        DynamicImage::ImageRgb8(RgbImage::from_fn(64, 64, |x, y| Rgb([x as u8, y as u8, 9]))),
        ImageFormat::Jpeg,
    );
    let progressive = refused(&jpeg_claiming(&jpeg, 0xC2, 9_000, 9_000));
    assert!(
        matches!(progressive, Some((9_000, 9_000, limit)) if limit < 81),
        "{progressive:?}"
    );
    let started = std::time::Instant::now();
    let baseline = photo::decode(
        &jpeg_claiming(&jpeg, 0xC0, 9_000, 9_000),
        Shrink::LongerSideTo(512),
    );
    eprintln!(
        "81-megapixel baseline JPEG header decoded in {:?}",
        started.elapsed()
    );
    assert!(
        !matches!(baseline, Err(PhotoError::TooLarge { .. })),
        "{baseline:?}"
    );

    // WebP: a lossy frame's YUV planes take 1.5 bytes a pixel beside the RGB, a lossless one
    // without alpha is first decoded as RGBA (4): at 100 megapixels, the first is let through,
    // the second refused.
    let mut lossy = LOSSY_WEBP.to_vec();
    // "VP8 " chunk: frame tag (3), start code (3), then 14-bit width and height.
    lossy[26..28].copy_from_slice(&10_000u16.to_le_bytes());
    lossy[28..30].copy_from_slice(&10_000u16.to_le_bytes());
    let started = std::time::Instant::now();
    let result = photo::decode(&lossy, Shrink::LongerSideTo(512));
    eprintln!(
        "100-megapixel lossy WebP header decoded in {:?}",
        started.elapsed()
    );
    assert!(
        !matches!(result, Err(PhotoError::TooLarge { .. })),
        "{result:?}"
    );
    let rgb = DynamicImage::ImageRgb8(RgbImage::new(8, 8));
    let mut lossless = encode(rgb, ImageFormat::WebP);
    // "VP8L" chunk: signature byte, then width − 1 and height − 1 in 14 bits each, alpha, version.
    assert_eq!(&lossless[12..16], b"VP8L");
    let header = u32::from_le_bytes(lossless[21..25].try_into().unwrap());
    let claimed = (header & !0x0FFF_FFFF) | 9_999 | (9_999 << 14);
    lossless[21..25].copy_from_slice(&claimed.to_le_bytes());
    assert_eq!(refused(&lossless), Some((10_000, 10_000, 68)));

    // A file too large to read at all.
    let huge = vec![0u8; MAX_FILE_BYTES as usize + 1];
    assert_eq!(
        photo::decode(&huge, Shrink::Keep),
        Err(PhotoError::FileTooLarge {
            bytes: MAX_FILE_BYTES + 1
        })
    );
}
