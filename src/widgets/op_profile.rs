//! "Where the time went": a forward pass's per-op profile (lab_core::profile), one row per kind
//! of operation with its milliseconds, calls and share of the pass, so that a reader sees which
//! operations a model's time is spent in (and `cargo xtask bench` reads the rows' data).

use lab_core::profile::{OpKind, Profile};
use leptos::prelude::*;

use crate::i18n::{Text, tr, use_lang};

/// What the page calls each kind.
fn name(kind: OpKind) -> Text {
    match kind {
        OpKind::Embeddings => Text::new("词嵌入", "embeddings"),
        OpKind::Dense => Text::new("全连接层（矩阵乘法）", "dense layers (matrix products)"),
        OpKind::AttentionScores => Text::new("注意力分数 Q·Kᵀ", "attention scores Q·Kᵀ"),
        OpKind::Softmax => Text::new("softmax", "softmax"),
        OpKind::AttentionValues => Text::new("注意力加权求和 ·V", "attention times values ·V"),
        OpKind::Gelu => Text::new("GELU 激活", "GELU"),
        OpKind::LayerNorm => Text::new("残差与层归一化", "residuals and layer norm"),
        OpKind::Conv => Text::new("卷积", "convolutions"),
        OpKind::DepthwiseConv => Text::new("逐通道卷积", "depthwise convolutions"),
        OpKind::BatchNorm => Text::new("批归一化", "batch norm"),
        OpKind::Activation => Text::new("激活与残差", "activations and residuals"),
        OpKind::Head => Text::new("分类头", "classifier head"),
    }
}

#[component]
pub fn OpProfileView(profile: Profile) -> impl IntoView {
    let lang = use_lang();
    let total = profile.total_ms.max(1e-9);
    let share = move |ms: f64| format!("{:.0}%", 100.0 * ms / total);
    let rows = profile
        .ops
        .iter()
        .map(|op| {
            let label = name(op.kind);
            view! {
                <tr data-op=op.kind.id() data-ms=op.ms data-calls=op.calls>
                    <td>{move || label.get(lang.get())}</td>
                    <td>{format!("{:.1} ms", op.ms)}</td>
                    <td>{op.calls}</td>
                    <td>{share(op.ms)}</td>
                </tr>
            }
        })
        .collect_view();
    let unmarked = profile.unmarked_ms();
    view! {
        <details class="op-profile" data-testid="op-profile" data-total-ms=profile.total_ms>
            <summary>
                {tr("时间花在哪里（在 CPU 上计算）", "Where the time went (computed on the CPU)")}
                {format!(" {:.1} ms", profile.total_ms)}
            </summary>
            <table>
                <thead>
                    <tr>
                        <th>{tr("运算", "operation")}</th>
                        <th>{tr("时间", "time")}</th>
                        <th>{tr("次数", "calls")}</th>
                        <th>{tr("占比", "share")}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows}
                    <tr data-op="other" data-ms=unmarked>
                        <td>{tr("其他（变形、读入、输出头）", "other (reshapes, inputs, output heads)")}</td>
                        <td>{format!("{unmarked:.1} ms")}</td>
                        <td></td>
                        <td>{share(unmarked)}</td>
                    </tr>
                </tbody>
            </table>
        </details>
    }
}
