//! The output panel: the metrics, the decision boundary with the data on top, the loss curves
//! and the weight histogram.

use lab_core::data::{Point, Task};
use lab_core::regularize::weight_histogram;
use lab_core::train::Snapshot;
use leptos::html::Canvas;
use leptos::prelude::*;

use super::{Controls, GRID, View};
use crate::i18n::{Lang, Text, tr, use_lang};
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::save_png::{Figure, SavePng};
use crate::widgets::value_map::{MapPainter, context_2d, css};

#[component]
pub(super) fn OutputPanel(controls: Controls, view_state: View) -> impl IntoView {
    let spec = controls.spec;
    let show_test = RwSignal::new(false);
    let canvas = NodeRef::<Canvas>::new();
    let painter = StoredValue::new_local(MapPainter::new(GRID));
    // The trainer generates the same points from the same spec; the page keeps its own copy.
    let split = Memo::new(move |_| spec.with(|s| s.data.generate()));
    Effect::new(move |_| {
        let (Some(canvas), Some(snapshot)) = (canvas.get(), view_state.snapshot.get()) else {
            return;
        };
        let task = spec.with_untracked(|s| s.data.kind.task());
        let split = split.get();
        let test = show_test.get();
        painter.with_value(|painter| {
            if let Some(painter) = painter {
                draw_boundary(
                    &canvas,
                    painter,
                    &snapshot,
                    task,
                    &split.train,
                    test.then_some(&split.test[..]),
                );
            }
        });
    });
    let metric =
        |value: Option<f32>| value.map_or("–".to_string(), |v| format!("{:.1}%", v * 100.0));
    let lang = use_lang();
    let step_label = tr("步", "step");
    let series = Signal::derive(move || {
        let history = view_state.history.get();
        let lang = lang.get();
        vec![
            Series {
                name: Text::new("训练损失", "train loss").get(lang).into(),
                color: "#1f77b4",
                points: history.iter().map(|&(x, train, _)| (x, train)).collect(),
            },
            Series {
                name: Text::new("测试损失", "test loss").get(lang).into(),
                color: "#d62728",
                points: history.iter().map(|&(x, _, test)| (x, test)).collect(),
            },
        ]
    });
    let snapshot = view_state.snapshot;
    // The map in words: what its colours mean and how well it separates the test points.
    let boundary_text = move || {
        let accuracy = metric(snapshot.get().and_then(|s| s.test_accuracy));
        match lang.get() {
            Lang::Zh => format!(
                "决策边界：网络在输入平面上的输出，橙色为 −1，蓝色为 +1，圆点是数据；测试准确率 {accuracy}"
            ),
            Lang::En => format!(
                "Decision boundary: the network's output over the input plane, orange −1, blue +1, dots are the data; test accuracy {accuracy}"
            ),
        }
    };
    view! {
        <section class="panel output-panel">
            <h2>{tr("输出", "Output")}</h2>
            <dl class="metrics">
                <dt>{tr("训练损失", "Train loss")}</dt>
                <dd data-testid="train-loss" data-value=move || snapshot.get().map(|s| s.train_loss)>
                    {move || snapshot.get().map_or("–".into(), |s| format!("{:.4}", s.train_loss))}</dd>
                <dt>{tr("测试损失", "Test loss")}</dt>
                <dd data-testid="test-loss" data-value=move || snapshot.get().map(|s| s.test_loss)>
                    {move || snapshot.get().map_or("–".into(), |s| format!("{:.4}", s.test_loss))}</dd>
                <dt>{tr("训练准确率", "Train accuracy")}</dt>
                <dd data-testid="train-accuracy" data-value=move || snapshot.get().and_then(|s| s.train_accuracy)>
                    {move || metric(snapshot.get().and_then(|s| s.train_accuracy))}</dd>
                <dt>{tr("测试准确率", "Test accuracy")}</dt>
                <dd data-testid="test-accuracy" data-value=move || snapshot.get().and_then(|s| s.test_accuracy)>
                    {move || metric(snapshot.get().and_then(|s| s.test_accuracy))}</dd>
            </dl>
            <canvas node_ref=canvas data-testid="boundary-canvas" width="300" height="300"
                role="img" aria-label=boundary_text></canvas>
            <SavePng figure=Figure::Canvas(canvas) name="decision-boundary" />
            <label class="check">
                <input type="checkbox" data-testid="show-test" prop:checked=move || show_test.get()
                    on:change=move |ev| show_test.set(event_target_checked(&ev)) />
                {tr("显示测试数据", "Show test data")}
            </label>
            <LineChart name="loss" series=series x_label=Signal::derive(move || step_label().to_string()) />
            <WeightHistogram snapshot=snapshot />
        </section>
    }
}

/// Bins of the weight histogram, over [-HISTOGRAM_RANGE, HISTOGRAM_RANGE].
const HISTOGRAM_BINS: usize = 24;
const HISTOGRAM_RANGE: f32 = 2.0;

/// How the weights are spread: L1 piles them at zero, L2 pulls them in.
#[component]
fn WeightHistogram(snapshot: RwSignal<Option<Snapshot>>) -> impl IntoView {
    let counts = move || {
        snapshot.with(|s| {
            s.as_ref()
                .map(|s| weight_histogram(&s.weights, HISTOGRAM_BINS, HISTOGRAM_RANGE))
                .unwrap_or_default()
        })
    };
    let width = 300.0 / HISTOGRAM_BINS as f64;
    let svg = NodeRef::<leptos::svg::Svg>::new();
    let lang = use_lang();
    let counts_text = move || {
        let counts = counts()
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        match lang.get() {
            Lang::Zh => {
                format!("权重直方图，−2 到 2 分成 {HISTOGRAM_BINS} 格，各格权重数：{counts}")
            }
            Lang::En => format!(
                "Weight histogram, −2 to 2 in {HISTOGRAM_BINS} bins, weights per bin: {counts}"
            ),
        }
    };
    view! {
        <div class="histogram">
            <p class="hint">{tr("权重分布（−2 到 2）", "Weights, −2 to 2")}</p>
            <svg node_ref=svg viewBox="0 0 300 60" data-testid="weight-histogram" role="img" aria-label=counts_text>
                {move || {
                    let counts = counts();
                    let peak = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
                    counts.iter().enumerate().map(|(i, &count)| {
                        let height = 58.0 * count as f64 / peak;
                        view! { <rect x=i as f64 * width y=60.0 - height width=width - 1.0 height=height data-count=count /> }
                    }).collect_view()
                }}
            </svg>
            <SavePng figure=Figure::Svg(svg) name="weight-histogram" />
        </div>
    }
}

/// The network's prediction over the input square, with the data points on top: filled by
/// label, outlined white for training points and black for test points.
fn draw_boundary(
    canvas: &web_sys::HtmlCanvasElement,
    painter: &MapPainter,
    snapshot: &Snapshot,
    task: Task,
    train: &[Point],
    test: Option<&[Point]>,
) {
    let Some(context) = context_2d(canvas) else {
        return;
    };
    let size = canvas.width() as f64;
    let map: Vec<f32> = match task {
        Task::Classification => snapshot.output_grid.iter().map(|p| 2.0 * p - 1.0).collect(),
        Task::Regression => snapshot.output_grid.clone(),
    };
    painter.paint(&context, &map, 0.0, 0.0, size, size);
    let label_value = |y: f32| match task {
        Task::Classification => 2.0 * y - 1.0,
        Task::Regression => y,
    };
    let sets = std::iter::once((train, "#fff")).chain(test.map(|t| (t, "#000")));
    for (points, outline) in sets {
        for point in points {
            let x = (point.x[0] as f64 + 1.0) / 2.0 * size;
            let y = (1.0 - point.x[1] as f64) / 2.0 * size;
            context.begin_path();
            // Failing to add an arc only drops one dot from the picture.
            let _ = context.arc(x, y, 3.5, 0.0, std::f64::consts::TAU);
            context.set_fill_style_str(&css(label_value(point.y)));
            context.fill();
            context.set_stroke_style_str(outline);
            context.set_line_width(1.0);
            context.stroke();
        }
    }
}
