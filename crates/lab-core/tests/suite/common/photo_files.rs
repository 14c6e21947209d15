//! Photo files made for tests: encoded images, a JPEG with an EXIF orientation, a PNG whose
//! header lies about its size. Shared by the photo tests and the fuzz corpus' generator
//! (`tests/fuzz/seeds.rs`, through `#[path]`).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};

pub fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A JPEG with an EXIF block giving its orientation (6: "rotate 90° clockwise to display").
pub fn jpeg_with_orientation(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode(DynamicImage::ImageRgb8(image.clone()), ImageFormat::Jpeg);
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes()); // first IFD
    tiff.extend(1u16.to_le_bytes()); // one entry
    tiff.extend(0x0112u16.to_le_bytes()); // Orientation
    tiff.extend(3u16.to_le_bytes()); // SHORT
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(orientation.to_le_bytes());
    tiff.extend([0, 0]);
    tiff.extend(0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

/// Standard CRC-32 (PNG chunks).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// PNG colour types: 8-bit RGB and RGBA, 16-bit RGB and RGBA, as (bit depth, colour type).
pub const RGB8: (u8, u8) = (8, 2);
pub const RGBA8: (u8, u8) = (8, 6);
pub const RGB16: (u8, u8) = (16, 2);
pub const RGBA16: (u8, u8) = (16, 6);

/// A 1×1 PNG whose header claims `width × height` pixels of the given depth and colour type
/// (valid CRC): a decompression bomb's shape.
pub fn png_claiming(width: u32, height: u32, (depth, colour): (u8, u8)) -> Vec<u8> {
    let mut png = encode(
        DynamicImage::ImageRgb8(RgbImage::new(1, 1)),
        ImageFormat::Png,
    );
    // 8-byte signature, then IHDR: length (4), "IHDR" (4), width (4), height (4), bit depth,
    // colour type, ...
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png[24] = depth;
    png[25] = colour;
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}
