"""Draws the lab's app icons (a small dense network, white on the site's accent blue) into
www/static/icons/ as PNG files, with the standard library only. Run by hand after a change:
    python3 scripts/make_icons.py
The icons keep their drawing inside the central 80% so that they also serve as maskable icons."""
import math
import pathlib
import struct
import zlib

ACCENT = (8, 119, 189)
WHITE = (255, 255, 255)
LAYERS = [2, 4, 4, 1]  # nodes per layer, left to right
OUT = pathlib.Path(__file__).resolve().parent.parent / "www" / "static" / "icons"


def nodes():
    """Node centres in the unit square, inside the maskable safe zone (radius 0.4)."""
    points = []
    for i, count in enumerate(LAYERS):
        x = 0.24 + 0.52 * i / (len(LAYERS) - 1)
        layer = []
        for j in range(count):
            y = 0.5 + (j - (count - 1) / 2) * 0.15
            layer.append((x, y))
        points.append(layer)
    return points


def segment_distance(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def coverage(x, y, layers):
    """1 where white is drawn at point (x, y) of the unit square, else 0."""
    for layer in layers:
        for c in layer:
            if math.hypot(x - c[0], y - c[1]) < 0.045:
                return 1.0
    for left, right in zip(layers, layers[1:]):
        for a in left:
            for b in right:
                if segment_distance((x, y), a, b) < 0.009:
                    return 0.75
    return 0.0


def draw(size, samples=3):
    layers = nodes()
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            white = 0.0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    white += coverage(x, y, layers)
            w = white / samples**2
            row += bytes(round(a * (1 - w) + b * w) for a, b in zip(ACCENT, WHITE))
        rows.append(bytes(row))
    return b"".join(rows)


def png(size, pixels):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (32, 192, 512):
        path = OUT / f"icon-{size}.png"
        path.write_bytes(png(size, draw(size, samples=2 if size == 512 else 3)))
        print(path, path.stat().st_size, "bytes")
