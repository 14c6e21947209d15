//! Saved weights: the file a demo's "Download weights" writes and its "Load weights" reads back.
//! long file: the format, every refusal and the round-trip tests of each model change together.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 4 | magic `OMLW` |
//! | 4 | format version, [`VERSION`] |
//! | 8 | length of the payload |
//! | 32 | sha256 of the payload |
//! | rest | the payload: a safetensors file of f32 tensors ([`HostTensor`]s, this crate's module paths, PyTorch conventions) whose metadata names the demo, the model, the steps trained and every setting that defines the network (`setting.<key>`) |
//!
//! safetensors has no checksum of its own and would accept a flipped weight, so the header
//! carries one; the length tells a truncated download from an altered one. The demo checks the
//! model name and settings and fills a freshly built network, which refuses any tensor whose
//! shape differs: a file never changes a model it does not fit.

use std::collections::{BTreeMap, HashMap};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::store::ModuleSnapshot;
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};
use sha2::{Digest, Sha256};

use crate::asset::{self, Buffer, HostTensor, MAX_FILE_BYTES};
use crate::backend::read_host;
use crate::mlp::{LayerWeights, MlpSpec};

/// The file name's extension.
pub const EXTENSION: &str = "omlw";
pub const VERSION: u32 = 1;
const MAGIC: &[u8; 4] = b"OMLW";
const HEADER_BYTES: usize = 4 + 4 + 8 + 32;
const DEMO_KEY: &str = "demo";
const MODEL_KEY: &str = "model";
const STEPS_KEY: &str = "steps";
const SETTING_PREFIX: &str = "setting.";

/// A demo's trained model on the host, as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    /// The demo's id, as in `?demo=`.
    pub demo: String,
    /// Which of the demo's models (with its architecture's version, e.g. `peptide-cnn-v1`).
    pub model: String,
    /// Training steps behind these weights.
    pub steps: u64,
    /// Everything besides the tensors that defines the network (layer sizes, activation, the
    /// encoder a head was trained on...), as the demo writes it.
    pub settings: BTreeMap<String, String>,
    pub tensors: Vec<HostTensor>,
}

/// Why a file was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum SavedError {
    /// No `OMLW` magic: some other file.
    NotWeights,
    /// Written by another version of the format.
    Version(u32),
    TooLarge(u64),
    /// Shorter than its header says: an interrupted download or copy.
    Truncated {
        expected: u64,
        actual: u64,
    },
    /// The checksum or the safetensors structure does not hold: altered or damaged.
    Corrupted(String),
    /// Saved by another demo (its id).
    OtherDemo(String),
    /// Another model of this demo, or another version of its architecture.
    OtherModel {
        expected: String,
        found: String,
    },
    /// A setting is missing or has a value this demo cannot use.
    Settings(String),
    /// The tensors do not fit the network the settings describe.
    Shape(String),
}

impl std::fmt::Display for SavedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SavedError::NotWeights => write!(f, "not a weights file of this lab"),
            SavedError::Version(v) => {
                write!(f, "format version {v}, this page reads version {VERSION}")
            }
            SavedError::TooLarge(bytes) => write!(
                f,
                "{bytes} bytes, more than the {} MiB a weights file may have",
                MAX_FILE_BYTES >> 20
            ),
            SavedError::Truncated { expected, actual } => {
                write!(f, "truncated: {actual} bytes of {expected}")
            }
            SavedError::Corrupted(why) => write!(f, "damaged or altered: {why}"),
            SavedError::OtherDemo(demo) => write!(f, "saved by another demo ({demo})"),
            SavedError::OtherModel { expected, found } => {
                write!(f, "weights of {found}, this demo needs {expected}")
            }
            SavedError::Settings(why) => write!(f, "settings: {why}"),
            SavedError::Shape(why) => write!(f, "the weights do not fit the network: {why}"),
        }
    }
}

/// Refuses a file larger than any weights file may be, before it is read.
pub fn check_size(bytes: u64) -> Result<(), SavedError> {
    if bytes > MAX_FILE_BYTES {
        return Err(SavedError::TooLarge(bytes));
    }
    Ok(())
}

impl Saved {
    /// The file's bytes.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let buffers: Vec<Buffer> = self
            .tensors
            .iter()
            .map(|t| {
                let bytes = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
                (t.name.clone(), Dtype::F32, t.shape.clone(), bytes)
            })
            .collect();
        let mut metadata = HashMap::from([
            (DEMO_KEY.to_string(), self.demo.clone()),
            (MODEL_KEY.to_string(), self.model.clone()),
            (STEPS_KEY.to_string(), self.steps.to_string()),
        ]);
        for (key, value) in &self.settings {
            metadata.insert(format!("{SETTING_PREFIX}{key}"), value.clone());
        }
        let views = buffers
            .iter()
            .map(|(name, dtype, shape, bytes)| {
                safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes)
                    .map(|view| (name.clone(), view))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let payload = safetensors::serialize(views, Some(metadata)).map_err(|e| e.to_string())?;
        let mut file = Vec::with_capacity(HEADER_BYTES + payload.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&VERSION.to_le_bytes());
        file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        file.extend_from_slice(&Sha256::digest(&payload));
        file.extend_from_slice(&payload);
        Ok(file)
    }

    /// Reads a file for `demo`: magic, version, length and checksum first, then the payload.
    pub fn decode(bytes: &[u8], demo: &str) -> Result<Saved, SavedError> {
        check_size(bytes.len() as u64)?;
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(SavedError::NotWeights);
        }
        let actual = bytes.len() as u64;
        if bytes.len() < HEADER_BYTES {
            return Err(SavedError::Truncated {
                expected: HEADER_BYTES as u64,
                actual,
            });
        }
        let word = |range: std::ops::Range<usize>| {
            let mut le = [0u8; 8];
            le[..range.len()].copy_from_slice(&bytes[range]);
            u64::from_le_bytes(le)
        };
        let version = word(4..8) as u32;
        if version != VERSION {
            return Err(SavedError::Version(version));
        }
        let expected = (HEADER_BYTES as u64).saturating_add(word(8..16));
        if actual < expected {
            return Err(SavedError::Truncated { expected, actual });
        }
        if actual > expected {
            return Err(SavedError::Corrupted(format!(
                "{} bytes after the end",
                actual - expected
            )));
        }
        let payload = &bytes[HEADER_BYTES..];
        if Sha256::digest(payload).as_slice() != &bytes[16..HEADER_BYTES] {
            return Err(SavedError::Corrupted("the checksum does not match".into()));
        }
        let (_, header) = SafeTensors::read_metadata(payload)
            .map_err(|e| SavedError::Corrupted(e.to_string()))?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let field = |key: &str| {
            metadata
                .get(key)
                .cloned()
                .ok_or_else(|| SavedError::Corrupted(format!("no {key:?} in the header")))
        };
        let found = field(DEMO_KEY)?;
        if found != demo {
            return Err(SavedError::OtherDemo(found));
        }
        let steps = field(STEPS_KEY)?
            .parse()
            .map_err(|_| SavedError::Corrupted("the step count is not a number".into()))?;
        let settings = metadata
            .iter()
            .filter_map(|(key, value)| {
                key.strip_prefix(SETTING_PREFIX)
                    .map(|key| (key.to_string(), value.clone()))
            })
            .collect();
        if let Some((name, _)) = header
            .tensors()
            .iter()
            .find(|(_, info)| info.dtype != Dtype::F32)
        {
            return Err(SavedError::Corrupted(format!("{name} is not f32")));
        }
        let mut tensors =
            asset::decode_weights(payload).map_err(|e| SavedError::Corrupted(e.to_string()))?;
        // safetensors keeps no order; models look tensors up by name, the name order is stable.
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Saved {
            demo: found,
            model: field(MODEL_KEY)?,
            steps,
            settings,
            tensors,
        })
    }

    /// Refuses weights of another model than `expected`.
    pub fn expect_model(&self, expected: &str) -> Result<(), SavedError> {
        if self.model != expected {
            return Err(SavedError::OtherModel {
                expected: expected.into(),
                found: self.model.clone(),
            });
        }
        Ok(())
    }

    /// A setting the demo needs.
    pub fn setting(&self, key: &str) -> Result<&str, SavedError> {
        self.settings
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| SavedError::Settings(format!("{key} is missing")))
    }

    /// The setting `key` as a count within `bounds`: what a file may make the page build.
    pub fn count_setting(
        &self,
        key: &str,
        bounds: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, SavedError> {
        self.setting(key)?
            .parse()
            .ok()
            .filter(|n| bounds.contains(n))
            .ok_or_else(|| {
                SavedError::Settings(format!(
                    "{key} must be a number from {} to {}",
                    bounds.start(),
                    bounds.end()
                ))
            })
    }

    /// The tensors under `prefix` (`"cnn"` for `cnn.first.weight`...), the prefix taken off.
    pub fn part(&self, prefix: &str) -> Vec<HostTensor> {
        let prefix = format!("{prefix}.");
        self.tensors
            .iter()
            .filter_map(|t| {
                t.name.strip_prefix(&prefix).map(|name| HostTensor {
                    name: name.into(),
                    ..t.clone()
                })
            })
            .collect()
    }
}

/// `tensors` named under `prefix`, for [`Saved::tensors`] of a file with several modules.
pub fn prefixed(prefix: &str, tensors: Vec<HostTensor>) -> Vec<HostTensor> {
    tensors
        .into_iter()
        .map(|t| HostTensor {
            name: format!("{prefix}.{}", t.name),
            ..t
        })
        .collect()
}

/// Every tensor of `module` on the host, from any backend: the parameters are read back in one
/// transfer (on WebGPU the only way, since a synchronous read cannot wait in the browser), then
/// named by burn-store from a copy on the CPU.
pub async fn read_module<M: Module + ModuleSnapshot>(
    module: &M,
) -> Result<Vec<HostTensor>, String> {
    let mut gather = Gather(Vec::new());
    module.visit(&mut gather);
    let shapes: Vec<Vec<usize>> = gather.0.iter().map(|(shape, _)| shape.clone()).collect();
    let values = match gather.0.is_empty() {
        true => Vec::new(),
        false => {
            read_host(Tensor::cat(
                gather.0.into_iter().map(|(_, t)| t).collect(),
                0,
            ))
            .await?
        }
    };
    let mut place = Place {
        values,
        shapes: shapes.into_iter(),
        offset: 0,
        device: Device::flex(),
    };
    let host = module.valid().map(&mut place);
    asset::host_tensors(&host)
}

/// Each float parameter's shape and values flattened, in visiting order, on the module's device.
struct Gather(Vec<(Vec<usize>, Tensor<1>)>);

impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let shape = tensor.dims().to_vec();
        let len = shape.iter().product::<usize>();
        self.0.push((shape, tensor.reshape([len])));
    }
}

/// Puts the read-back values into the same parameters, in the same order, on the CPU.
struct Place {
    values: Vec<f32>,
    shapes: std::vec::IntoIter<Vec<usize>>,
    offset: usize,
    device: Device,
}

impl ModuleMapper for Place {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let shape = self.shapes.next().expect("the same parameters are visited");
        let len: usize = shape.iter().product();
        let values = self.values[self.offset..self.offset + len].to_vec();
        self.offset += len;
        let device = self.device.clone();
        param.map(|_| Tensor::from_data(TensorData::new(values, shape), &device))
    }
}

/// `fresh` (a network built from the file's settings) with the saved tensors in place of its
/// own; refuses any missing, extra or differently shaped tensor, leaving nothing changed.
pub fn restore_module<M: ModuleSnapshot>(
    mut fresh: M,
    tensors: Vec<HostTensor>,
) -> Result<M, SavedError> {
    if let Some(t) = tensors
        .iter()
        .find(|t| t.data.iter().any(|v| !v.is_finite()))
    {
        return Err(SavedError::Corrupted(format!(
            "{} holds a non-finite value",
            t.name
        )));
    }
    let result = asset::apply_host_tensors(&mut fresh, tensors);
    asset::check_applied(&result).map_err(SavedError::Shape)?;
    Ok(fresh)
}

/// The playground network's layers as tensors: `layers.<i>.weight` `[inputs, outputs]` and
/// `layers.<i>.bias`.
pub fn mlp_tensors(weights: &[LayerWeights]) -> Vec<HostTensor> {
    weights
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| {
            [
                HostTensor {
                    name: format!("layers.{i}.weight"),
                    shape: vec![layer.inputs, layer.outputs],
                    data: layer.weight.clone(),
                },
                HostTensor {
                    name: format!("layers.{i}.bias"),
                    shape: vec![layer.outputs],
                    data: layer.bias.clone(),
                },
            ]
        })
        .collect()
}

/// The layers of a network of `spec` from [`mlp_tensors`]' tensors, each shape checked.
pub fn mlp_weights(
    spec: &MlpSpec,
    tensors: &[HostTensor],
) -> Result<Vec<LayerWeights>, SavedError> {
    let widths = spec.widths();
    if tensors.len() != 2 * (widths.len() - 1) {
        return Err(SavedError::Shape(format!(
            "{} tensors for {} layers",
            tensors.len(),
            widths.len() - 1
        )));
    }
    widths
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let find = |name: String, shape: Vec<usize>| {
                let t = tensors
                    .iter()
                    .find(|t| t.name == name)
                    .ok_or_else(|| SavedError::Shape(format!("{name} is missing")))?;
                if t.shape != shape {
                    return Err(SavedError::Shape(format!(
                        "{name} is {:?}, the network needs {shape:?}",
                        t.shape
                    )));
                }
                if t.data.iter().any(|v| !v.is_finite()) {
                    return Err(SavedError::Corrupted(format!(
                        "{name} holds a non-finite value"
                    )));
                }
                Ok(t.data.clone())
            };
            Ok(LayerWeights {
                inputs: pair[0],
                outputs: pair[1],
                weight: find(format!("layers.{i}.weight"), vec![pair[0], pair[1]])?,
                bias: find(format!("layers.{i}.bias"), vec![pair[1]])?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor, TensorData};

    use super::*;
    use crate::mlp::{ActivationKind, Mlp};
    use crate::peptides::data::Peptide;
    use crate::peptides::trainer::{PeptideSpec, PeptideTrainer};
    use crate::recommend::data::Triple;
    use crate::recommend::trainer::{RecommendSpec, RecommendTrainer};
    use crate::speech::audio::MEL_BANDS;
    use crate::speech::keyword::{self, CLIP_FRAMES, Clip, KeywordSpec, KeywordTrainer};
    use crate::text::training::{restore_head, save_head};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        pollster::block_on(future)
    }

    fn spec() -> MlpSpec {
        MlpSpec {
            hidden: vec![5, 3],
            activation: ActivationKind::Tanh,
        }
    }

    fn playground_file() -> (Saved, Vec<LayerWeights>) {
        let device = Device::flex();
        let mlp = Mlp::init(&spec(), 3, &device);
        let weights: Vec<LayerWeights> = mlp
            .parameter_tensors()
            .into_iter()
            .map(|(w, b)| {
                let [inputs, outputs] = w.dims();
                LayerWeights {
                    inputs,
                    outputs,
                    weight: w.into_data().try_into_vec::<f32>().unwrap(),
                    bias: b.into_data().try_into_vec::<f32>().unwrap(),
                }
            })
            .collect();
        let file = Saved {
            demo: "playground".into(),
            model: "mlp-v1".into(),
            steps: 42,
            settings: [("layers".to_string(), "5,3".to_string())].into(),
            tensors: mlp_tensors(&weights),
        };
        (file, weights)
    }

    fn outputs(weights: &[LayerWeights]) -> Vec<f32> {
        let device = Device::flex();
        let input = Tensor::<2>::from_data(
            TensorData::new(vec![0.3f32, -0.7, 1.2, 0.4, -2.0, 0.1], [3, 2]),
            &device,
        );
        Mlp::from_weights(&spec(), weights, &device)
            .forward(input)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn the_playground_network_round_trips_with_identical_outputs() {
        let (file, weights) = playground_file();
        let read = Saved::decode(&file.encode().unwrap(), "playground").unwrap();
        let mut by_name = file.clone();
        by_name.tensors.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(read, by_name);
        let restored = mlp_weights(&spec(), &read.tensors).unwrap();
        assert_eq!(outputs(&restored), outputs(&weights));
    }

    #[test]
    fn a_network_of_another_shape_is_refused() {
        let (file, _) = playground_file();
        let wider = MlpSpec {
            hidden: vec![6, 3],
            ..spec()
        };
        assert!(matches!(
            mlp_weights(&wider, &file.tensors),
            Err(SavedError::Shape(why)) if why.contains("layers.0.weight")
        ));
        let deeper = MlpSpec {
            hidden: vec![5, 3, 2],
            ..spec()
        };
        assert!(matches!(
            mlp_weights(&deeper, &file.tensors),
            Err(SavedError::Shape(_))
        ));
    }

    #[test]
    fn each_damaged_file_is_refused_with_its_reason() {
        let (file, _) = playground_file();
        let bytes = file.encode().unwrap();
        assert_eq!(
            Saved::decode(b"PK\x03\x04zip", "playground"),
            Err(SavedError::NotWeights)
        );
        assert_eq!(
            Saved::decode(b"", "playground"),
            Err(SavedError::NotWeights)
        );
        let cut = &bytes[..bytes.len() - 10];
        assert_eq!(
            Saved::decode(cut, "playground"),
            Err(SavedError::Truncated {
                expected: bytes.len() as u64,
                actual: cut.len() as u64
            })
        );
        assert!(matches!(
            Saved::decode(&bytes[..20], "playground"),
            Err(SavedError::Truncated { .. })
        ));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            Saved::decode(&flipped, "playground"),
            Err(SavedError::Corrupted(why)) if why.contains("checksum")
        ));
        let mut newer = bytes.clone();
        newer[4] = 2;
        assert_eq!(
            Saved::decode(&newer, "playground"),
            Err(SavedError::Version(2))
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Saved::decode(&longer, "playground"),
            Err(SavedError::Corrupted(_))
        ));
        // A header claiming an enormous payload is a truncation, not an allocation.
        let mut huge = bytes.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            Saved::decode(&huge, "playground"),
            Err(SavedError::Truncated { .. })
        ));
        assert!(matches!(
            check_size(MAX_FILE_BYTES + 1),
            Err(SavedError::TooLarge(_))
        ));
    }

    #[test]
    fn a_file_of_another_demo_or_model_is_refused() {
        let (file, _) = playground_file();
        let bytes = file.encode().unwrap();
        assert_eq!(
            Saved::decode(&bytes, "peptides"),
            Err(SavedError::OtherDemo("playground".into()))
        );
        assert!(matches!(
            file.expect_model("mlp-v2"),
            Err(SavedError::OtherModel { found, .. }) if found == "mlp-v1"
        ));
        assert!(matches!(
            file.setting("activation"),
            Err(SavedError::Settings(_))
        ));
    }

    fn peptides(count: usize) -> Vec<Peptide> {
        (0..count)
            .map(|i| Peptide {
                residues: (0..8 + i % 5)
                    .map(|j| ((i * 7 + j * 3) % 20) as u8)
                    .collect(),
                label: (i % 2) as u8,
            })
            .collect()
    }

    #[test]
    fn the_peptide_models_round_trip_with_identical_scores() {
        let device = Device::flex().autodiff();
        let trainer = |seed| {
            let spec = PeptideSpec {
                seed,
                ..PeptideSpec::default()
            };
            PeptideTrainer::new(&spec, peptides(40), peptides(12), &device)
        };
        let mut trained = trainer(1);
        for _ in 0..5 {
            trained.step();
        }
        let file = block_on(trained.save("train-set")).unwrap();
        let read = Saved::decode(&file.encode().unwrap(), "peptides").unwrap();
        let mut fresh = trainer(2);
        assert_ne!(block_on(fresh.evaluate()), block_on(trained.evaluate()));
        fresh.restore(&read).unwrap();
        assert_eq!(block_on(fresh.evaluate()), block_on(trained.evaluate()));
        assert_eq!(read.setting("set"), Ok("train-set"));
    }

    #[test]
    fn peptide_weights_of_another_shape_leave_the_trainer_as_it_was() {
        let device = Device::flex().autodiff();
        let mut trainer =
            PeptideTrainer::new(&PeptideSpec::default(), peptides(20), peptides(6), &device);
        let before = block_on(trainer.evaluate());
        let mut file = block_on(trainer.save("s")).unwrap();
        let kernel = file
            .tensors
            .iter_mut()
            .find(|t| t.name == "cnn.second.weight")
            .unwrap();
        kernel.shape = vec![16, 32, 10];
        assert!(matches!(trainer.restore(&file), Err(SavedError::Shape(_))));
        file.model = "playground".into();
        assert!(matches!(
            trainer.restore(&file),
            Err(SavedError::OtherModel { .. })
        ));
        assert_eq!(block_on(trainer.evaluate()), before);
    }

    #[test]
    fn the_sentiment_head_round_trips_and_needs_its_encoder() {
        let device = Device::flex();
        let head = burn::nn::LinearConfig::new(6, 2).init(&device);
        let file = block_on(save_head(&head, "e5", 150)).unwrap();
        let read = Saved::decode(&file.encode().unwrap(), "text").unwrap();
        let restored = restore_head(&read, "e5", 6, &device).unwrap();
        let input = Tensor::<2>::from_data(TensorData::new(vec![0.5f32; 12], [2, 6]), &device);
        assert_eq!(
            restored.forward(input.clone()).into_data(),
            head.forward(input).into_data()
        );
        assert!(matches!(
            restore_head(&read, "lab-bert-zh", 6, &device),
            Err(SavedError::Settings(why)) if why.contains("e5")
        ));
        assert!(matches!(
            restore_head(&read, "e5", 8, &device),
            Err(SavedError::Shape(_))
        ));
    }

    fn ratings(count: usize) -> Vec<Triple> {
        (0..count)
            .map(|i| Triple {
                user: (i % 5) as u32,
                movie: (i * 3 % 7) as u32,
                stars: 0.5 + (i % 10) as f32 * 0.5,
            })
            .collect()
    }

    fn recommender(seed: u64, users: usize) -> RecommendTrainer {
        let spec = RecommendSpec {
            seed,
            factors: 4,
            ..RecommendSpec::default()
        };
        let device = Device::flex().autodiff();
        RecommendTrainer::new(&spec, (users, 7), ratings(60), ratings(25), &device)
    }

    #[test]
    fn the_recommender_models_round_trip_with_identical_rmse_and_movie_side() {
        let mut trained = recommender(1, 5);
        for _ in 0..5 {
            trained.step();
        }
        let file = block_on(trained.save()).unwrap();
        let read = Saved::decode(&file.encode().unwrap(), "recommend").unwrap();
        assert_eq!(read.setting("factors"), Ok("4"));
        let mut fresh = recommender(2, 5);
        assert_ne!(block_on(fresh.evaluate()), block_on(trained.evaluate()));
        fresh.restore(&read).unwrap();
        assert_eq!(block_on(fresh.evaluate()), block_on(trained.evaluate()));
        let side = block_on(fresh.movie_side()).unwrap();
        assert_eq!(side, block_on(trained.movie_side()).unwrap());
        // μ comes back as the constant it was, not as a parameter that training would move.
        for _ in 0..3 {
            fresh.step();
        }
        assert_eq!(block_on(fresh.movie_side()).unwrap().global, side.global);
    }

    #[test]
    fn recommender_weights_for_other_users_or_another_model_leave_the_trainer_as_it_was() {
        let file = block_on(recommender(1, 5).save()).unwrap();
        let mut other = recommender(3, 6);
        let before = block_on(other.evaluate());
        assert!(matches!(other.restore(&file), Err(SavedError::Shape(_))));
        let mut wrong = file.clone();
        wrong.settings.insert("factors".into(), "0".into());
        assert!(matches!(
            recommender(1, 5).restore(&wrong),
            Err(SavedError::Settings(_))
        ));
        wrong.model = "peptide-cnn-and-composition-v1".into();
        assert!(matches!(
            other.restore(&wrong),
            Err(SavedError::OtherModel { .. })
        ));
        assert_eq!(block_on(other.evaluate()), before);
    }

    /// Six clips of three classes, each a made-up log-mel picture of its own.
    fn keyword_clips() -> Vec<Clip> {
        (0..6)
            .map(|i| Clip {
                frames: (0..CLIP_FRAMES)
                    .map(|t| std::array::from_fn(|band| ((t * (i % 3 + 1) + band) % 17) as f32))
                    .collect(),
                label: i % 3,
            })
            .collect()
    }

    fn keyword_trainer(seed: u64, clips: Vec<Clip>, classes: usize) -> KeywordTrainer {
        let spec = KeywordSpec {
            seed,
            ..KeywordSpec::for_optimizer(crate::optim::OptimizerKind::Adam)
        };
        KeywordTrainer::new(&spec, clips, classes, &Device::flex().autodiff())
    }

    #[test]
    fn the_keyword_network_round_trips_with_its_class_names_and_identical_answers() {
        let mut trained = keyword_trainer(1, keyword_clips(), 3);
        for _ in 0..4 {
            trained.step();
        }
        let words = ["yes".to_string(), "no".into(), "背景".into()];
        let file = block_on(trained.save(&words)).unwrap();
        let read = Saved::decode(&file.encode().unwrap(), "speech").unwrap();
        let device = Device::flex().autodiff();
        let restored = keyword::restore(&read, &device).unwrap();
        assert_eq!(restored.words, words);
        assert_eq!(restored.steps, 4);
        // A page without examples classifies with the loaded network as the trained one did.
        let mut fresh = keyword_trainer(2, Vec::new(), 3);
        let heard: Vec<[f32; MEL_BANDS]> = keyword_clips()[1].frames.clone();
        let answer = |t: &KeywordTrainer| block_on(keyword::classify(t.model(), &heard, &device));
        assert_ne!(answer(&fresh), answer(&trained));
        fresh.resume(restored);
        assert_eq!(answer(&fresh), answer(&trained));
        assert_eq!(fresh.steps(), 4);
    }

    #[test]
    fn a_keyword_file_with_bad_classes_or_weights_is_refused() {
        let device = Device::flex().autodiff();
        let trainer = keyword_trainer(1, keyword_clips(), 3);
        let words = ["a".repeat(30), "b".into(), "c".into()];
        let file = block_on(trainer.save(&words)).unwrap();
        assert_eq!(
            keyword::restore(&file, &device).unwrap().words[0],
            "a".repeat(keyword::MAX_WORD_CHARS)
        );
        let mut two = file.clone();
        two.settings.insert("classes".into(), "2".into());
        assert!(matches!(
            keyword::restore(&two, &device),
            Err(SavedError::Shape(_))
        ));
        let mut many = file.clone();
        many.settings.insert("classes".into(), "9".into());
        assert!(matches!(
            keyword::restore(&many, &device),
            Err(SavedError::Settings(_))
        ));
        let mut unnamed = file.clone();
        unnamed.settings.remove("word.1");
        assert!(matches!(
            keyword::restore(&unnamed, &device),
            Err(SavedError::Settings(why)) if why.contains("word.1")
        ));
        let mut other = file;
        other.model = "mlp-v1".into();
        assert!(matches!(
            keyword::restore(&other, &device),
            Err(SavedError::OtherModel { .. })
        ));
    }
}
