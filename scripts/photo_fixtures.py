"""Small real files for lab-core's photo tests (crates/lab-core/tests/suite/photo.rs), made by
encoders other than the image crate's own: a CMYK JPEG as Photoshop writes it (Adobe APP14
marker, inverted ink values), a lossy WebP (image's WebP encoder writes only lossless) and an
AVIF, which the page names but does not decode.

Run from the repository root:
    python3 -m venv .cache/photo-venv && .cache/photo-venv/bin/pip install pillow==13.0.0
    .cache/photo-venv/bin/python scripts/photo_fixtures.py
It writes crates/lab-core/tests/fixtures/photo/{cmyk.jpg,lossy.webp,tiny.avif}.
"""

from pathlib import Path

from PIL import Image

OUT = Path("crates/lab-core/tests/fixtures/photo")


def halves(mode, size, left, right):
    image = Image.new(mode, size, left)
    image.paste(Image.new(mode, (size[0] // 2, size[1]), right), (size[0] // 2, 0))
    return image


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # Cyan ink on the left, magenta on the right: RGB (0, 255, 255) and (255, 0, 255).
    cmyk = halves("CMYK", (32, 16), (255, 0, 0, 0), (0, 255, 0, 0))
    cmyk.save(OUT / "cmyk.jpg", quality=95, subsampling=0)
    rgb = halves("RGB", (64, 32), (220, 30, 30), (30, 30, 220))
    rgb.save(OUT / "lossy.webp", quality=90, lossless=False)
    rgb.save(OUT / "tiny.avif", quality=60)


if __name__ == "__main__":
    main()
