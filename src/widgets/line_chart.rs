//! An SVG line chart of one or more series sharing axes, e.g. train and test loss.

use leptos::prelude::*;

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

#[component]
pub fn LineChart(
    series: Signal<Vec<Series>>,
    #[prop(into)] x_label: Signal<String>,
    /// What the chart shows, for its saved file's name: `test-loss`.
    name: &'static str,
) -> impl IntoView {
    let svg = NodeRef::<leptos::svg::Svg>::new();
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
        <svg class="line-chart" node_ref=svg data-testid=format!("chart-{name}") viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img">
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
                        view! {
                            <polyline points=path(&s.points, b) stroke=s.color class="series" />
                            <text x=PAD + 6.0 + 58.0 * i as f32 y=HEIGHT - 4.0 fill=s.color class="legend">
                                {s.name.clone()}
                            </text>
                        }
                    })
                    .collect_view()
            }}
        </svg>
        <SavePng figure=Figure::Svg(svg) name=name />
    }
}
