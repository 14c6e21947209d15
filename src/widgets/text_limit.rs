//! Text the visitor types or pastes, bounded in one place for every text input of the lab. A
//! `maxlength` attribute would cut a long paste without a word; here the cut is made in the input
//! handler and said in a notice that gives both lengths, and the text kept is the beginning.

use crate::i18n::Message;

/// The most characters one input keeps: far more than a model reads (128 tokens at most), little
/// enough that tokenizing it never stalls a frame.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// `value` cut to [`MAX_TEXT_CHARS`] characters, and, when it was cut, the notice saying so.
pub fn bound_text(value: String) -> (String, Option<Message>) {
    let (kept, notice) = cut(&value, MAX_TEXT_CHARS, |total| {
        Message::new(
            format!("文本共 {total} 个字符，只保留了前 {MAX_TEXT_CHARS} 个。"),
            format!("The text has {total} characters: only the first {MAX_TEXT_CHARS} were kept."),
        )
    });
    match notice {
        None => (value, None),
        Some(notice) => (kept.to_string(), Some(notice)),
    }
}

/// The most characters of a text a shared link carries: a link stays short enough for chat apps
/// and address bars (each Chinese character takes 9 bytes once escaped).
pub const MAX_LINK_CHARS: usize = 500;

/// The part of `text` a link keeps, and, when that is not all of it, the notice saying so.
pub fn link_text(text: &str) -> (&str, Option<Message>) {
    cut(text, MAX_LINK_CHARS, |total| {
        Message::new(
            format!("文本共 {total} 个字符，链接只保存前 {MAX_LINK_CHARS} 个。"),
            format!(
                "The text has {total} characters: a link keeps only the first {MAX_LINK_CHARS}."
            ),
        )
    })
}

/// `text`'s first `limit` characters and, when it has more, the notice `said` gives for its
/// length in characters.
fn cut(text: &str, limit: usize, said: impl Fn(usize) -> Message) -> (&str, Option<Message>) {
    match text.char_indices().nth(limit) {
        None => (text, None),
        Some((cut_at, _)) => (&text[..cut_at], Some(said(text.chars().count()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_long_paste_is_cut_at_a_character_boundary_and_said() {
        let short = "好".repeat(MAX_TEXT_CHARS);
        assert_eq!(bound_text(short.clone()), (short, None));
        let (kept, notice) = bound_text("好".repeat(100_000));
        assert_eq!(kept.chars().count(), MAX_TEXT_CHARS);
        let notice = notice.expect("a cut is said");
        assert!(notice.en.contains("100000 characters"), "{}", notice.en);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_keeps_the_first_500_characters_and_says_so() {
        let short = "好".repeat(MAX_LINK_CHARS);
        assert_eq!(link_text(&short), (short.as_str(), None));
        let long = format!("{short}还有");
        let (kept, notice) = link_text(&long);
        assert_eq!(kept, short);
        assert!(notice.expect("a cut is said").en.contains("502 characters"));
    }
}
