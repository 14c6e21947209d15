//! "Similar sentences": sentences whose sentence vectors were computed when the asset was built,
//! and the ones nearest to a new sentence's vector by cosine.
//!
//! The file is safetensors: `vectors` int8 `[n, dim]` with one f32 scale per row in `scales`
//! (symmetric, as the int8 weights are: a cosine ranking needs no more), `labels` u8 `[n]`,
//! and `texts` u8: the sentences in UTF-8, one per line.

use safetensors::{Dtype, SafeTensors};

use crate::asset::{AssetError, Verified, dequantize_per_channel, quantize_per_channel, serialize};

pub const FILE: &str = "neighbours.safetensors";

/// One sentence with its class and vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbour {
    pub text: String,
    pub label: usize,
    pub vector: Vec<f32>,
}

/// The sentences of a neighbours file, ready to search.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbours {
    pub texts: Vec<String>,
    pub labels: Vec<usize>,
    /// `[n, dim]`, each row scaled to unit length.
    vectors: Vec<f32>,
    dim: usize,
}

/// A sentence found near another, with its cosine similarity.
#[derive(Clone, Debug, PartialEq)]
pub struct Similar {
    pub index: usize,
    pub cosine: f32,
}

/// The file's bytes for `items` (every vector of the same length; no text holds a newline).
pub fn encode(items: &[Neighbour]) -> Result<Vec<u8>, String> {
    let dim = items.first().map_or(0, |n| n.vector.len());
    if items
        .iter()
        .any(|n| n.vector.len() != dim || n.text.contains('\n'))
    {
        return Err("neighbours need one vector length and single-line texts".into());
    }
    let flat: Vec<f32> = items
        .iter()
        .flat_map(|n| n.vector.iter().copied())
        .collect();
    let (q, scales) = quantize_per_channel(&flat, items.len());
    let q: Vec<u8> = q.iter().map(|&v| v as u8).collect();
    let scales: Vec<u8> = scales.iter().flat_map(|s| s.to_le_bytes()).collect();
    let labels: Vec<u8> = items.iter().map(|n| n.label as u8).collect();
    let texts = items
        .iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let n = items.len();
    let buffers = [
        ("vectors", Dtype::I8, vec![n, dim], q),
        ("scales", Dtype::F32, vec![n], scales),
        ("labels", Dtype::U8, vec![n], labels),
        ("texts", Dtype::U8, vec![texts.len()], texts),
    ]
    .map(|(name, dtype, shape, bytes)| (name.to_string(), dtype, shape, bytes));
    serialize(&buffers, None)
}

impl Neighbours {
    pub fn decode(file: &Verified) -> Result<Self, AssetError> {
        let err = |msg: &str| AssetError::Weights(format!("{}: {msg}", file.file()));
        let st = SafeTensors::deserialize(file.bytes()).map_err(|e| err(&e.to_string()))?;
        let tensor = |name: &str, dtype: Dtype| {
            st.tensor(name)
                .ok()
                .filter(|t| t.dtype() == dtype)
                .ok_or_else(|| err(&format!("no {dtype:?} tensor {name}")))
        };
        let vectors = tensor("vectors", Dtype::I8)?;
        let [n, dim] = vectors.shape()[..] else {
            return Err(err("vectors are not [n, dim]"));
        };
        let scales: Vec<f32> = tensor("scales", Dtype::F32)?
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let labels: Vec<usize> = tensor("labels", Dtype::U8)?
            .data()
            .iter()
            .map(|&l| l as usize)
            .collect();
        let texts: Vec<String> = std::str::from_utf8(tensor("texts", Dtype::U8)?.data())
            .map_err(|e| err(&e.to_string()))?
            .split('\n')
            .map(String::from)
            .collect();
        if scales.len() != n || labels.len() != n || texts.len() != n {
            return Err(err("vectors, scales, labels and texts differ in number"));
        }
        let q: Vec<i8> = vectors.data().iter().map(|&b| b as i8).collect();
        let mut vectors = dequantize_per_channel(&q, &scales);
        for row in vectors.chunks_mut(dim.max(1)) {
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            row.iter_mut().for_each(|v| *v /= norm);
        }
        Ok(Self {
            texts,
            labels,
            vectors,
            dim,
        })
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The `k` sentences nearest to `vector` by cosine, nearest first.
    pub fn nearest(&self, vector: &[f32], k: usize) -> Vec<Similar> {
        if vector.len() != self.dim {
            return Vec::new();
        }
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        let mut all: Vec<Similar> = self
            .vectors
            .chunks(self.dim.max(1))
            .enumerate()
            .map(|(index, row)| Similar {
                index,
                cosine: row.iter().zip(vector).map(|(a, b)| a * b).sum::<f32>() / norm,
            })
            .collect();
        all.sort_by(|a, b| b.cosine.total_cmp(&a.cosine));
        all.truncate(k);
        all
    }
}
