//! The fine-tuning sentences in a link: `examples=` holds one `label:sentence` line per sentence
//! (1 positive, 0 negative). A link carries whole sentences up to the lab's link bound
//! ([`MAX_LINK_CHARS`] characters in all), and says when some were left out; reading one keeps
//! the same bound, so a crafted link cannot ask for more encoder passes than the page allows.

use crate::i18n::Message;
use crate::runtime::url::NO_ITEMS;
use crate::widgets::text_limit::MAX_LINK_CHARS;

/// The query key.
pub const EXAMPLES_KEY: &str = "examples";

/// `examples` as a link's value (empty when they are `defaults`, which is what no value reads
/// as), and the notice saying how many were left out, if any.
pub fn examples_value(
    examples: &[(String, usize)],
    defaults: &[(String, usize)],
) -> (String, Option<Message>) {
    if examples == defaults {
        return (String::new(), None);
    }
    if examples.is_empty() {
        return (NO_ITEMS.to_string(), None);
    }
    let kept = within_bound(examples.iter().map(|(text, _)| text.as_str()));
    let value = examples[..kept]
        .iter()
        .map(|(text, label)| format!("{label}:{text}"))
        .collect::<Vec<_>>()
        .join("\n");
    let total = examples.len();
    let notice = (kept < total).then(|| {
        Message::new(
            format!("共 {total} 句，链接只保存前 {kept} 句（最多 {MAX_LINK_CHARS} 个字符）。"),
            format!(
                "{total} sentences: a link keeps only the first {kept} ({MAX_LINK_CHARS} characters at most)."
            ),
        )
    });
    (value, notice)
}

/// The sentences a link holds, at most `most` of them; `defaults` when it holds none that can be
/// read (a line needs a `0:` or `1:` label).
pub fn parse_examples(
    value: Option<&str>,
    defaults: &[(String, usize)],
    most: usize,
) -> Vec<(String, usize)> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return defaults.to_vec();
    };
    if value == NO_ITEMS {
        return Vec::new();
    }
    let read: Vec<(String, usize)> = value
        .split('\n')
        .filter_map(|line| match line.split_once(':') {
            Some(("1", text)) => Some((text.to_string(), 1)),
            Some(("0", text)) => Some((text.to_string(), 0)),
            _ => None,
        })
        .take(most)
        .collect();
    let kept = within_bound(read.iter().map(|(text, _)| text.as_str()));
    match kept {
        0 => defaults.to_vec(),
        kept => read[..kept].to_vec(),
    }
}

/// How many of `texts`, from the first, fit [`MAX_LINK_CHARS`] characters together.
fn within_bound<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
    let mut used = 0;
    texts
        .take_while(|text| {
            used += text.chars().count();
            used <= MAX_LINK_CHARS
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn defaults() -> Vec<(String, usize)> {
        vec![("好".into(), 1), ("坏".into(), 0)]
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn labelled_sentences_round_trip_and_the_defaults_leave_no_value() {
        let mine = vec![
            ("味道好极了: 下次还来".to_string(), 1),
            ("等了一个小时".into(), 0),
            (String::new(), 1),
        ];
        let (value, notice) = examples_value(&mine, &defaults());
        assert_eq!(notice, None);
        assert_eq!(parse_examples(Some(&value), &defaults(), 32), mine);
        assert_eq!(examples_value(&defaults(), &defaults()).0, "");
        assert_eq!(parse_examples(Some(""), &defaults(), 32), defaults());
        assert_eq!(parse_examples(None, &defaults(), 32), defaults());
        let (none, _) = examples_value(&[], &defaults());
        assert_eq!(parse_examples(Some(&none), &defaults(), 32), vec![]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_keeps_whole_sentences_up_to_the_bound_and_says_so() {
        let long: Vec<(String, usize)> = (0..8).map(|i| ("好".repeat(100), i % 2)).collect();
        let (value, notice) = examples_value(&long, &defaults());
        assert_eq!(parse_examples(Some(&value), &defaults(), 32), long[..5]);
        let notice = notice.expect("the sentences left out are said");
        assert!(
            notice
                .en
                .contains("8 sentences: a link keeps only the first 5"),
            "{}",
            notice.en
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_crafted_link_is_bounded_and_bad_lines_are_skipped() {
        let many = vec!["1:a"; 100].join("\n");
        assert_eq!(parse_examples(Some(&many), &defaults(), 32).len(), 32);
        let huge = format!("1:{}", "好".repeat(10_000));
        assert_eq!(parse_examples(Some(&huge), &defaults(), 32), defaults());
        let mixed = "2:no\nyes\n0:坏了\n1";
        assert_eq!(
            parse_examples(Some(mixed), &defaults(), 32),
            vec![("坏了".to_string(), 0)]
        );
    }
}
