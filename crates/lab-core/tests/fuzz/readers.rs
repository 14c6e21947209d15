//! The 2.3 demos' readers of fetched or typed input: the visitor's peptide sequence, modlamp's
//! CSV sets, the recommender's MovieLens asset and the speech demo's WAV recordings.

use lab_core::peptides::data::{self, AMINO_ACIDS, MAX_RESIDUES, SequenceError};
use lab_core::recommend::data::MovieLens;
use lab_core::speech::audio::{self, FFT_SIZE, HOP, LogMel, MAX_SECONDS, SAMPLE_RATE};
use proptest::prelude::*;

use crate::harness::{Target, fuzz};

/// Only the bytes vary.
fn no_param() -> BoxedStrategy<()> {
    Just(()).boxed()
}

pub struct PeptideSequence;

impl Target for PeptideSequence {
    const NAME: &'static str = "peptide_sequence";
    const DICTIONARY: &'static [&'static [u8]] = &[
        AMINO_ACIDS,
        b"acdefghiklmnpqrstvwy",
        b">sp|P0C1|AMP\n",
        b"\r\n",
        b"\t",
        "\u{3000}".as_bytes(),
        "\u{a0}".as_bytes(),
        "Ｋ".as_bytes(),
        b"BJOUXZ*-",
    ];
    type Param = ();

    fn param() -> BoxedStrategy<()> {
        no_param()
    }

    fn replay_params() -> Vec<()> {
        vec![()]
    }

    /// The reader against a model of its rules: whitespace ignored, case ignored, the first
    /// letter outside the 20 reported with its place, more than [`MAX_RESIDUES`] refused.
    fn check(bytes: &[u8], _: &()) -> bool {
        let text = String::from_utf8_lossy(bytes);
        let letters: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let residue = |c: char| {
            AMINO_ACIDS
                .iter()
                .position(|&a| char::from(a) == c.to_ascii_uppercase())
        };
        // The reader stops at the first bad letter or at the first residue over the limit.
        let first_bad = letters.iter().position(|&c| residue(c).is_none());
        let expected = match first_bad {
            Some(i) if i <= MAX_RESIDUES => Err(SequenceError::Invalid {
                character: letters[i],
                position: i + 1,
            }),
            _ if letters.len() > MAX_RESIDUES => Err(SequenceError::TooLong {
                length: letters.len(),
            }),
            _ if letters.is_empty() => Err(SequenceError::Empty),
            _ => Ok(letters.iter().map(|&c| residue(c).unwrap() as u8).collect()),
        };
        let read = data::read_sequence(&text);
        assert_eq!(read, expected, "{text:?}");
        read.is_ok()
    }
}

pub struct PeptideCsv;

impl Target for PeptideCsv {
    const NAME: &'static str = "peptide_csv";
    const DICTIONARY: &'static [&'static [u8]] =
        &[b",", b"\n", b"\r\n", b",1\n", b",0\n", b", 1", b"KWKLFKK"];
    type Param = ();

    fn param() -> BoxedStrategy<()> {
        no_param()
    }

    fn replay_params() -> Vec<()> {
        vec![()]
    }

    fn check(bytes: &[u8], _: &()) -> bool {
        let text = String::from_utf8_lossy(bytes);
        let Ok(set) = data::parse_modlamp_csv(&text) else {
            return false;
        };
        let declared: usize = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .and_then(|header| header.split(',').next()?.trim().parse().ok())
            .expect("an accepted file declares its row count");
        assert_eq!(set.peptides.len() + set.too_long, declared);
        for peptide in &set.peptides {
            assert!((1..=MAX_RESIDUES).contains(&peptide.residues.len()));
            assert!(
                peptide
                    .residues
                    .iter()
                    .all(|&r| usize::from(r) < AMINO_ACIDS.len())
            );
            assert!(peptide.label <= 1);
        }
        true
    }
}

pub struct MovieLensAsset;

impl Target for MovieLensAsset {
    const NAME: &'static str = "movielens";
    const DICTIONARY: &'static [&'static [u8]] = &[
        b"\"dtype\":\"U32\"",
        b"\"dtype\":\"U16\"",
        b"\"dtype\":\"U8\"",
        b"\"shape\":[0]",
        b"\"data_offsets\":[0,0]",
        b"\"__metadata__\"",
        b"\"titles\"",
        b"\"user_ends\"",
        b"\"movies\"",
        b"\"half_stars\"",
        b"\"genres\"",
        b"[\\\"\\\"]",
    ];
    type Param = ();

    fn param() -> BoxedStrategy<()> {
        no_param()
    }

    fn replay_params() -> Vec<()> {
        vec![()]
    }

    fn check(bytes: &[u8], _: &()) -> bool {
        let Ok(set) = MovieLens::from_asset(bytes) else {
            return false;
        };
        for rating in set.users.iter().flatten() {
            assert!((rating.movie as usize) < set.movies.len());
            assert!((1..=10).contains(&((rating.stars * 2.0) as u32)));
            assert_eq!(rating.stars * 2.0, (rating.stars * 2.0).round());
        }
        let written = set.to_asset().expect("an accepted asset writes back");
        assert_eq!(
            MovieLens::from_asset(&written).as_ref(),
            Ok(&set),
            "written back, the asset reads differently"
        );
        true
    }
}

pub struct Wav;

impl Target for Wav {
    const NAME: &'static str = "wav";
    const DICTIONARY: &'static [&'static [u8]] = &[
        b"RIFF",
        b"WAVE",
        b"fmt ",
        b"data",
        b"LIST",
        b"fact",
        b"\x01\x00",
        b"\x03\x00",
        b"\xfe\xff",
        b"\x80\x3e\x00\x00",
    ];
    type Param = ();

    fn param() -> BoxedStrategy<()> {
        no_param()
    }

    fn replay_params() -> Vec<()> {
        vec![()]
    }

    fn check(bytes: &[u8], _: &()) -> bool {
        let Ok(samples) = audio::read_wav(bytes) else {
            return false;
        };
        assert!(samples.len() <= (MAX_SECONDS * SAMPLE_RATE) as usize);
        assert!(
            samples.iter().all(|s| s.is_finite()),
            "a non-finite sample was read"
        );
        // 16-bit samples are scaled into [-1, 1); the analyser then gives one finite frame per
        // hop once a window is full.
        let spec = hound::WavReader::new(bytes).expect("read once").spec();
        if spec.sample_format == hound::SampleFormat::Int {
            assert!(samples.iter().all(|s| (-1.0..1.0).contains(s)));
            let frames = LogMel::frames(&samples);
            let expected = samples
                .len()
                .checked_sub(FFT_SIZE)
                .map_or(0, |n| n / HOP + 1);
            assert_eq!(frames.len(), expected);
            assert!(frames.iter().all(|f| f.mel.iter().all(|m| m.is_finite())));
        }
        true
    }
}

#[test]
fn peptide_sequence() {
    fuzz::<PeptideSequence>();
}

#[test]
fn peptide_csv() {
    fuzz::<PeptideCsv>();
}

#[test]
fn movielens() {
    fuzz::<MovieLensAsset>();
}

#[test]
fn wav() {
    fuzz::<Wav>();
}
