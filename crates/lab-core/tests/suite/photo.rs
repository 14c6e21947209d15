//! Photo decoding (`lab_core::photo`), shared by the augmentation and classification demos:
//! EXIF orientation, every PNG pixel format into RGB, limits checked from the header, refusals
//! as errors, and the shrinking each demo asks for.

use image::{DynamicImage, GrayImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, RgbImage, Rgba};
use lab_core::photo::{self, MAX_DIMENSION, MAX_PIXELS, PhotoError, Shrink};

use crate::common::photo_files::{encode, jpeg_with_orientation, png_claiming};

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
            photo::decode(&png_claiming(w, h), Shrink::Keep),
            Err(PhotoError::TooLarge {
                width: w,
                height: h
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
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_eq!(
        photo::decode(gif, Shrink::Keep),
        Err(PhotoError::NotAnImage),
        "GIF is not decoded"
    );
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
