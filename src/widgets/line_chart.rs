//! An SVG line chart of one or more series sharing axes, e.g. train and test loss. Series differ
//! by dash pattern as well as colour, and the chart's accessible name gives the numbers it draws.

use leptos::prelude::*;

use crate::i18n::{Lang, use_lang};
use crate::widgets::save_png::{Figure, SavePng};

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    /// (x, y) points in increasing x.
    pub points: Vec<(f32, f32)>,
}

const WIDTH: f32 = 320.0;
const HEIGHT: f32 = 140.0;
const PAD: f32 = 28.0;
/// More points than pixels only costs time: longer series are thinned to this many.
const MAX_POINTS: usize = 400;
/// One dash pattern per series (cycled), so that lines are told apart without their colours.
const DASHES: [&str; 5] = ["none", "6 3", "2 2", "8 3 2 3", "1 3"];

/// The chart in words, for screen readers: the x range, then each series' first, last and
/// lowest value.
fn describe(series: &[Series], x_label: &str, lang: Lang) -> String {
    let x_max = series
        .iter()
        .filter_map(|s| s.points.last())
        .fold(0f32, |m, &(x, _)| m.max(x));
    let mut text = match lang {
        Lang::Zh => format!("折线图，{x_label} 0 到 {x_max:.0}"),
        Lang::En => format!("Line chart, {x_label} 0 to {x_max:.0}"),
    };
    for s in series {
        let finite = || s.points.iter().map(|&(_, y)| y).filter(|y| y.is_finite());
        let (Some(first), Some(last)) = (finite().next(), finite().next_back()) else {
            text += &match lang {
                Lang::Zh => format!("；{}：暂无数据", s.name),
                Lang::En => format!("; {}: no data yet", s.name),
            };
            continue;
        };
        let lowest = finite().fold(f32::INFINITY, f32::min);
        text += &match lang {
            Lang::Zh => format!(
                "；{}：起始 {first:.4}，最新 {last:.4}，最低 {lowest:.4}",
                s.name
            ),
            Lang::En => format!(
                "; {}: first {first:.4}, latest {last:.4}, lowest {lowest:.4}",
                s.name
            ),
        };
    }
    text
}

#[component]
pub fn LineChart(
    series: Signal<Vec<Series>>,
    #[prop(into)] x_label: Signal<String>,
    /// What the chart shows, for its saved file's name: `test-loss`.
    name: &'static str,
) -> impl IntoView {
    let svg = NodeRef::<leptos::svg::Svg>::new();
    let lang = use_lang();
    let bounds = move || {
        let all = series.get();
        let points = all
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(_, y)| y.is_finite());
        let (mut x_max, mut y_max) = (1e-6f32, 1e-6f32);
        for &(x, y) in points {
            x_max = x_max.max(x);
            y_max = y_max.max(y);
        }
        (x_max, y_max)
    };
    let path = move |points: &[(f32, f32)], (x_max, y_max): (f32, f32)| {
        let stride = points.len().div_ceil(MAX_POINTS).max(1);
        points
            .iter()
            .step_by(stride)
            .chain(points.last())
            .filter(|(_, y)| y.is_finite())
            .map(|&(x, y)| {
                let px = PAD + x / x_max * (WIDTH - PAD - 4.0);
                let py = HEIGHT - PAD + 8.0 - y / y_max * (HEIGHT - PAD);
                format!("{px:.1},{py:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    view! {
        <svg class="line-chart" node_ref=svg data-testid=format!("chart-{name}") viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
            aria-label=move || series.with(|s| describe(s, &x_label.get(), lang.get()))>
            <line x1=PAD y1=HEIGHT - PAD + 8.0 x2=WIDTH y2=HEIGHT - PAD + 8.0 class="axis" />
            <line x1=PAD y1=0 x2=PAD y2=HEIGHT - PAD + 8.0 class="axis" />
            <text x=2 y=12 class="tick">{move || format!("{:.3}", bounds().1)}</text>
            <text x=2 y=HEIGHT - PAD + 8.0 class="tick">"0"</text>
            <text x=WIDTH - 4.0 y=12 class="tick" text-anchor="end">
                {move || format!("{} {:.0}", x_label.get(), bounds().0)}
            </text>
            {move || {
                let b = bounds();
                series
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let (dash, legend_x) = (DASHES[i % DASHES.len()], PAD + 6.0 + 58.0 * i as f32);
                        view! {
                            <polyline points=path(&s.points, b) stroke=s.color stroke-dasharray=dash class="series" />
                            <line x1=legend_x y1=HEIGHT - 7.5 x2=legend_x + 10.0 y2=HEIGHT - 7.5
                                stroke=s.color stroke-dasharray=dash class="series" />
                            <text x=legend_x + 13.0 y=HEIGHT - 4.0 class="legend">{s.name.clone()}</text>
                        }
                    })
                    .collect_view()
            }}
        </svg>
        <SavePng figure=Figure::Svg(svg) name=name />
    }
}
