//! The visitor's own peptide: typed or pasted, checked letter by letter, and read by the network
//! being trained: P(antimicrobial) and each residue coloured by its saliency.

use lab_core::peptides::data::{self, AMINO_ACIDS, MAX_RESIDUES, SequenceError};
use leptos::prelude::*;

use super::State;
use crate::i18n::{Lang, tr, use_lang};
use crate::runtime::url;

/// Sequences to try: two antimicrobial peptides and a transmembrane segment.
pub(super) const EXAMPLES: [(&str, &str); 3] = [
    ("magainin 2", "GIGKFLHSAKKFGKAFVGEIMNS"),
    ("LL-37", "LLGDFFRKSKEKIGKEFKRIVQRIKDFLRNLVPRTES"),
    ("glycophorin A TM", "ITLIIFGVMAGVIGTILLISYGI"),
];
/// The most characters the box keeps: a paste beyond it is refused with a message rather than
/// cut, so nothing the visitor pasted is silently lost.
const MAX_INPUT_CHARS: usize = 1_000;

#[component]
pub(super) fn SequencePanel(state: State) -> impl IntoView {
    let lang = use_lang();
    let refused_paste = RwSignal::new(None::<usize>);
    let set = move |text: String| {
        if text.chars().count() > MAX_INPUT_CHARS {
            refused_paste.set(Some(text.chars().count()));
            return false;
        }
        refused_paste.set(None);
        url::set_query(&[("seq", text.clone())]);
        state.sequence.set(text);
        true
    };
    let checked = move || state.sequence.with(|s| data::read_sequence(s));
    view! {
        <h2>{tr("你的序列", "Your sequence")}</h2>
        <p class="hint">{tr(
            "用单字母氨基酸代码输入（大小写、空格和换行都可以）。颜色是梯度×输入：橙色把判断推向“抗菌”，蓝色推向另一边。序列只在本页计算。",
            "One-letter amino-acid codes (any case; spaces and line breaks are ignored). Colour is gradient × input: orange pushes the call towards antimicrobial, blue away. The sequence is computed on in this page only.",
        )}</p>
        <div class="controls">
            {EXAMPLES.iter().map(|&(name, sequence)| view! {
                <button on:click=move |_| { set(sequence.to_string()); }>{name}</button>
            }).collect_view()}
        </div>
        <textarea class="text-input" rows=2 data-testid="peptides-input" aria-label=tr("氨基酸序列", "amino-acid sequence")
            prop:value=move || state.sequence.get()
            on:input=move |ev| {
                if !set(event_target_value(&ev)) {
                    // The box shows the refused paste until it is given the kept sequence back.
                    if let Some(target) = ev.target() {
                        let kept = state.sequence.get_untracked();
                        let _ = js_sys::Reflect::set(&target, &"value".into(), &kept.into());
                    }
                }
            }></textarea>
        {move || refused_paste.get().map(|n| view! {
            <p class="notice" role="alert" data-testid="peptides-input-problem">{match lang.get() {
                Lang::Zh => format!("粘贴的内容有 {n} 个字符，超过了 {MAX_INPUT_CHARS} 个字符的上限，没有替换原来的序列。"),
                Lang::En => format!("The pasted text has {n} characters, over the {MAX_INPUT_CHARS}-character limit; the sequence was kept as it was."),
            }}</p>
        })}
        {move || match checked() {
            Err(error) => view! {
                <p class="notice" role="alert" data-testid="peptides-input-problem">{explain(&error, lang.get())}</p>
            }.into_any(),
            Ok(residues) => view! { <ReadingView state=state residues=residues /> }.into_any(),
        }}
    }
}

fn explain(error: &SequenceError, lang: Lang) -> String {
    let letters = std::str::from_utf8(AMINO_ACIDS).unwrap_or_default();
    match (error, lang) {
        (SequenceError::Empty, Lang::Zh) => "请输入一段氨基酸序列。".into(),
        (SequenceError::Empty, Lang::En) => "Type an amino-acid sequence.".into(),
        (SequenceError::TooLong { length }, Lang::Zh) => {
            format!("这段序列有 {length} 个残基；模型最多读 {MAX_RESIDUES} 个（抗菌肽通常很短）。")
        }
        (SequenceError::TooLong { length }, Lang::En) => format!(
            "This sequence has {length} residues; the model reads at most {MAX_RESIDUES} (antimicrobial peptides are short)."
        ),
        (
            SequenceError::Invalid {
                character,
                position,
            },
            Lang::Zh,
        ) => {
            format!("第 {position} 个字符“{character}”不是氨基酸字母；只能用 {letters}。")
        }
        (
            SequenceError::Invalid {
                character,
                position,
            },
            Lang::En,
        ) => format!(
            "Character {position}, `{character}`, is not an amino-acid letter; use only {letters}."
        ),
    }
}

/// P(antimicrobial) and the residues coloured by saliency, once the network has read them.
#[component]
fn ReadingView(state: State, residues: Vec<u8>) -> impl IntoView {
    let lang = use_lang();
    move || {
        let Some(reading) = state
            .reading
            .get()
            .filter(|r| r.saliency.len() == residues.len())
        else {
            return view! { <p class="status">{tr("等待数据和网络…", "Waiting for the data and the network…")}</p> }.into_any();
        };
        let scale = reading.saliency.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
        let named = |i: usize| {
            let letter = char::from(AMINO_ACIDS[usize::from(residues[i])]);
            format!("{letter}{} {:+.3}", i + 1, reading.saliency[i])
        };
        // The colours in words, for screen readers: the three residues pushing each way most.
        let mut order: Vec<usize> = (0..residues.len()).collect();
        order.sort_by(|&a, &b| reading.saliency[b].total_cmp(&reading.saliency[a]));
        let raising = order
            .iter()
            .take(3)
            .filter(|&&i| reading.saliency[i] > 0.0)
            .map(|&i| named(i))
            .collect::<Vec<_>>()
            .join(", ");
        let lowering = order
            .iter()
            .rev()
            .take(3)
            .filter(|&&i| reading.saliency[i] < 0.0)
            .map(|&i| named(i))
            .collect::<Vec<_>>()
            .join(", ");
        let summary = match lang.get() {
            Lang::Zh => format!("最推高 P(抗菌) 的残基：{raising}；最压低的：{lowering}"),
            Lang::En => format!(
                "Residues raising P(antimicrobial) most: {raising}; lowering it most: {lowering}"
            ),
        };
        view! {
            <p data-testid="peptides-probability" data-probability=reading.probability.to_string()>
                {tr("P(抗菌) = ", "P(antimicrobial) = ")}{format!("{:.1}%", reading.probability * 100.0)}
            </p>
            <p class="residues" data-testid="peptides-saliency"
                data-saliency=serde_json::to_string(&reading.saliency).unwrap_or_default()>
                {residues.iter().zip(&reading.saliency).enumerate().map(|(i, (&residue, &value))| {
                    let letter = char::from(AMINO_ACIDS[usize::from(residue)]);
                    view! {
                        <span class="residue" style=colour(value / scale)
                            title=format!("{}{}: {value:+.3}", letter, i + 1)>{letter.to_string()}</span>
                    }
                }).collect_view()}
            </p>
            <p class="visually-hidden" data-testid="peptides-saliency-text">{summary}</p>
        }.into_any()
    }
}

/// Orange for positive, blue for negative (a pair colour-blind readers tell apart), its strength
/// the share of the largest magnitude.
fn colour(share: f32) -> String {
    let alpha = share.abs().clamp(0.0, 1.0);
    if share >= 0.0 {
        format!("background: rgba(230, 126, 34, {alpha:.2})")
    } else {
        format!("background: rgba(41, 128, 185, {alpha:.2})")
    }
}
