//! The grid's setup in the link: the sample photo, the seed, the number of variants and each op
//! that is on, with its strength. Plain parsers with native tests; what does not parse keeps its
//! default. The visitor's own photo is never in a link: it does not leave the page.

use lab_core::augment::{AugmentSpec, Op, Setting};

use super::{COUNTS, FIRST_SAMPLE};
use crate::runtime::url::{NO_ITEMS, list_value};
use crate::widgets::photo_input::SAMPLE_PHOTOS;

/// The seed a first visit draws with.
pub const FIRST_SEED: u64 = 1;
const DEFAULT_COUNT: usize = 8;

pub fn parse_seed(value: Option<&str>) -> u64 {
    value
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(FIRST_SEED)
}

pub fn parse_count(value: Option<&str>) -> usize {
    value
        .and_then(|v| v.parse().ok())
        .filter(|n| COUNTS.contains(n))
        .unwrap_or(DEFAULT_COUNT)
}

/// The sample photo named, as [`SAMPLE_PHOTOS`] holds it; any other name is the first sample.
pub fn parse_sample(value: Option<&str>) -> &'static str {
    SAMPLE_PHOTOS
        .iter()
        .map(|(file, _)| *file)
        .find(|file| Some(*file) == value)
        .unwrap_or(FIRST_SAMPLE)
}

/// `hflip:0.5,rotate:15`: the ops that are on and their strengths; the others are off at their
/// default strength. Entries with an unknown op or a strength out of its range are skipped; a
/// value with no usable entry (or no value) is the default setup, `none` has every op off.
pub fn parse_ops(value: Option<&str>) -> AugmentSpec {
    let Some(value) = value else {
        return AugmentSpec::default();
    };
    let mut spec = AugmentSpec::default();
    for op in Op::ALL {
        spec.set(
            op,
            Setting {
                on: false,
                ..spec.get(op)
            },
        );
    }
    if value == NO_ITEMS {
        return spec;
    }
    let mut used = false;
    for entry in value.split(',') {
        let parsed = entry.split_once(':').and_then(|(id, strength)| {
            let op = Op::ALL.into_iter().find(|op| op.id() == id)?;
            let strength = strength.parse::<f32>().ok().filter(|s| op.accepts(*s))?;
            Some((op, strength))
        });
        if let Some((op, strength)) = parsed {
            spec.set(op, Setting { on: true, strength });
            used = true;
        }
    }
    if used { spec } else { AugmentSpec::default() }
}

pub fn ops_query(spec: &AugmentSpec) -> String {
    let on: Vec<String> = Op::ALL
        .into_iter()
        .filter(|&op| spec.get(op).on)
        .map(|op| format!("{}:{}", op.id(), spec.get(op).strength))
        .collect();
    list_value(&on.iter().map(String::as_str).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_ops_round_trip_and_bad_entries_are_skipped() {
        let default = AugmentSpec::default();
        assert_eq!(parse_ops(Some(&ops_query(&default))), default);
        let mut few = parse_ops(Some("none"));
        few.set(
            Op::Noise,
            Setting {
                on: true,
                strength: 30.0,
            },
        );
        assert_eq!(ops_query(&few), "noise:30");
        assert_eq!(parse_ops(Some("noise:30,rotate:999,nope:1,crop:x")), few);
        assert_eq!(
            parse_ops(Some(&ops_query(&parse_ops(Some("none"))))),
            parse_ops(Some("none"))
        );
        for fallback in [Some("rotate:999"), Some(""), Some("x"), None] {
            assert_eq!(parse_ops(fallback), default, "{fallback:?}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn seed_count_and_photo_fall_back_to_the_first_visit() {
        assert_eq!(parse_seed(Some("123456789")), 123456789);
        assert_eq!(parse_seed(Some("-1")), FIRST_SEED);
        assert_eq!(parse_count(Some("16")), 16);
        assert_eq!(parse_count(Some("5")), DEFAULT_COUNT);
        assert_eq!(parse_sample(Some("rocket.jpg")), "rocket.jpg");
        assert_eq!(parse_sample(Some("../secret.png")), FIRST_SAMPLE);
        assert_eq!(parse_sample(None), FIRST_SAMPLE);
    }
}
