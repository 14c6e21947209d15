//! Peptide sequences as the model reads them: modlamp's labelled CSV files, the visitor's typed
//! sequence checked letter by letter, one-hot batches padded per batch, and the fixed split.

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// The 20 standard amino acids in one-letter code, alphabetical: a residue's one-hot channel is
/// its index here.
pub const AMINO_ACIDS: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";
/// The longest sequence the model reads. Antimicrobial peptides are short (the datasets' median
/// is about 30 residues); the 43 of AMPvsUniProt's 5,200 that are longer are left out.
pub const MAX_RESIDUES: usize = 100;
/// Every fifth peptide of each class (after a seeded shuffle) is held out.
pub const TEST_EVERY: usize = 5;
const SPLIT_SEED: u64 = 2023;

/// One of modlamp's labelled sets, as the site serves it (pinned by size and sha256: the bytes
/// are the package's, so these never change).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetFile {
    pub id: &'static str,
    pub file: &'static str,
    pub size: u64,
    pub sha256: &'static str,
    /// What the negative class is, zh and en.
    pub negatives: (&'static str, &'static str),
}

pub const DATASETS: [DatasetFile; 2] = [
    DatasetFile {
        id: "tm",
        file: "AMPvsTMset.csv",
        size: 11_194,
        sha256: "e3cd0201c12fa66a550cf74553c083990dc02984907d00b50a8e3d9b94f792d0",
        negatives: ("跨膜肽段", "transmembrane segments"),
    },
    DatasetFile {
        id: "uniprot",
        file: "AMPvsUniProt.csv",
        size: 191_952,
        sha256: "e1db3dd659179118dcfca63723385f2f0c95c49d27060a90f7a9d5848250eb48",
        negatives: ("随机 UniProt 肽段", "random UniProt peptides"),
    },
];

/// A peptide as residue indices into [`AMINO_ACIDS`], with its class (1: antimicrobial).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peptide {
    pub residues: Vec<u8>,
    pub label: u8,
}

/// Why a typed sequence cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SequenceError {
    Empty,
    TooLong {
        length: usize,
    },
    /// The first character that is not one of the 20 one-letter codes, and its 1-based place.
    Invalid {
        character: char,
        position: usize,
    },
}

impl std::fmt::Display for SequenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SequenceError::Empty => write!(f, "the sequence is empty"),
            SequenceError::TooLong { length } => write!(
                f,
                "the sequence has {length} residues; the model reads at most {MAX_RESIDUES}"
            ),
            SequenceError::Invalid {
                character,
                position,
            } => write!(
                f,
                "`{character}` at position {position} is not one of the 20 amino-acid letters {}",
                std::str::from_utf8(AMINO_ACIDS).unwrap_or_default()
            ),
        }
    }
}

/// The residues of a typed or pasted sequence: case and whitespace (line breaks of a pasted
/// FASTA body) are ignored; anything else must be one of the 20 letters.
pub fn read_sequence(text: &str) -> Result<Vec<u8>, SequenceError> {
    let mut residues = Vec::new();
    for character in text.chars().filter(|c| !c.is_whitespace()) {
        let upper = character.to_ascii_uppercase();
        let index = u8::try_from(upper)
            .ok()
            .and_then(|byte| AMINO_ACIDS.iter().position(|&a| a == byte))
            .ok_or(SequenceError::Invalid {
                character,
                position: residues.len() + 1,
            })?;
        residues.push(index as u8);
        if residues.len() > MAX_RESIDUES {
            let length = text.chars().filter(|c| !c.is_whitespace()).count();
            return Err(SequenceError::TooLong { length });
        }
    }
    if residues.is_empty() {
        return Err(SequenceError::Empty);
    }
    Ok(residues)
}

/// A dataset's peptides and how many rows were left out for being longer than [`MAX_RESIDUES`].
#[derive(Clone, Debug)]
pub struct Dataset {
    pub peptides: Vec<Peptide>,
    pub too_long: usize,
}

/// modlamp's CSV: a header `count,1,negative name,positive name`, then `SEQUENCE,label` rows
/// (label 1 antimicrobial, 0 not; some files pad the label with a space).
pub fn parse_modlamp_csv(text: &str) -> Result<Dataset, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or("the file is empty")?;
    let declared: usize = header
        .split(',')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("the header `{header}` does not start with a row count"))?;
    let mut peptides = Vec::new();
    let mut too_long = 0;
    for (row, line) in lines.enumerate() {
        let (sequence, label) = line
            .split_once(',')
            .ok_or_else(|| format!("row {} has no label: `{line}`", row + 2))?;
        let label = match label.trim() {
            "0" => 0,
            "1" => 1,
            other => return Err(format!("row {} has label `{other}`, not 0 or 1", row + 2)),
        };
        match read_sequence(sequence) {
            Ok(residues) => peptides.push(Peptide { residues, label }),
            Err(SequenceError::TooLong { .. }) => too_long += 1,
            Err(e) => return Err(format!("row {}: {e}", row + 2)),
        }
    }
    if peptides.len() + too_long != declared {
        return Err(format!(
            "the header declares {declared} peptides, the file has {}",
            peptides.len() + too_long
        ));
    }
    Ok(Dataset { peptides, too_long })
}

/// The fixed split: each class shuffled with a fixed seed, every [`TEST_EVERY`]th held out, so
/// both halves keep the classes' proportions. Returns (train, test).
pub fn split(peptides: &[Peptide]) -> (Vec<Peptide>, Vec<Peptide>) {
    let mut rng = StdRng::seed_from_u64(SPLIT_SEED);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for label in [0, 1] {
        let mut class: Vec<&Peptide> = peptides.iter().filter(|p| p.label == label).collect();
        class.shuffle(&mut rng);
        for (i, peptide) in class.into_iter().enumerate() {
            if i % TEST_EVERY == 0 {
                test.push(peptide.clone());
            } else {
                train.push(peptide.clone());
            }
        }
    }
    (train, test)
}

/// Peptides on a device: one-hot residues `[batch, 20, length]` padded with zeros to the
/// longest in the batch, a mask `[batch, 1, length]` (1 on residues), labels `[batch]`.
#[derive(Clone, Debug)]
pub struct Batch {
    pub one_hot: Tensor<3>,
    pub mask: Tensor<3>,
    pub labels: Tensor<1, Int>,
}

impl Batch {
    pub fn new(peptides: &[&Peptide], device: &Device) -> Self {
        let length = peptides.iter().map(|p| p.residues.len()).max().unwrap_or(1);
        let n = peptides.len();
        let mut one_hot = vec![0f32; n * AMINO_ACIDS.len() * length];
        let mut mask = vec![0f32; n * length];
        for (row, peptide) in peptides.iter().enumerate() {
            for (position, &residue) in peptide.residues.iter().enumerate() {
                let channel = usize::from(residue);
                one_hot[(row * AMINO_ACIDS.len() + channel) * length + position] = 1.0;
                mask[row * length + position] = 1.0;
            }
        }
        let labels: Vec<i64> = peptides.iter().map(|p| i64::from(p.label)).collect();
        Self {
            one_hot: Tensor::from_data(
                TensorData::new(one_hot, [n, AMINO_ACIDS.len(), length]),
                device,
            ),
            mask: Tensor::from_data(TensorData::new(mask, [n, 1, length]), device),
            labels: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}
