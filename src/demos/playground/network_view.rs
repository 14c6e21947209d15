//! Drawing the network on one canvas: a small map per neuron (what it computes over the input
//! square) and links coloured by weight, blue positive and orange negative, thicker when larger.

use lab_core::data;
use lab_core::train::Snapshot;
use web_sys::HtmlCanvasElement;

use crate::widgets::value_map::{MapPainter, context_2d, css, normalized};

pub const WIDTH: f64 = 560.0;
const GAP: f64 = 6.0;

/// Node size for the widest layer, so that 32 neurons still fit.
fn node_size(widest: usize) -> f64 {
    match widest {
        0..=4 => 40.0,
        5..=8 => 30.0,
        9..=16 => 20.0,
        _ => 13.0,
    }
}

pub fn height(widths: &[usize]) -> f64 {
    let widest = widths.iter().copied().max().unwrap_or(1);
    (widest as f64 * (node_size(widest) + GAP) + GAP).max(160.0)
}

/// The two input features' maps: x₁ grows to the right, x₂ upwards.
pub fn input_maps(resolution: usize) -> [Vec<f32>; 2] {
    let cells = data::grid(resolution);
    [
        cells.iter().map(|c| c[0]).collect(),
        cells.iter().map(|c| c[1]).collect(),
    ]
}

pub fn draw(
    canvas: &HtmlCanvasElement,
    painter: &MapPainter,
    snapshot: &Snapshot,
    inputs: &[Vec<f32>; 2],
    classification: bool,
) {
    let Some(context) = context_2d(canvas) else {
        return;
    };
    let widths: Vec<usize> = std::iter::once(2)
        .chain(snapshot.weights.iter().map(|w| w.outputs))
        .collect();
    let widest = widths.iter().copied().max().unwrap_or(1);
    let size = node_size(widest);
    let height = height(&widths);
    canvas.set_width(WIDTH as u32);
    canvas.set_height(height as u32);
    context.clear_rect(0.0, 0.0, WIDTH, height);

    let column_x =
        |layer: usize| GAP + layer as f64 * (WIDTH - size - 2.0 * GAP) / (widths.len() - 1) as f64;
    let node_y = |layer: usize, index: usize| {
        let column = widths[layer] as f64 * (size + GAP) - GAP;
        (height - column) / 2.0 + index as f64 * (size + GAP)
    };

    let peak = snapshot
        .weights
        .iter()
        .flat_map(|w| w.weight.iter())
        .fold(1e-6f32, |m, w| m.max(w.abs()));
    for (layer, weights) in snapshot.weights.iter().enumerate() {
        for from in 0..weights.inputs {
            for to in 0..weights.outputs {
                let w = weights.link(from, to) / peak;
                context.begin_path();
                context.set_stroke_style_str(&css(w.signum() * (0.35 + 0.65 * w.abs())));
                context.set_line_width(0.4 + 3.2 * w.abs() as f64);
                context.move_to(column_x(layer) + size, node_y(layer, from) + size / 2.0);
                context.line_to(column_x(layer + 1), node_y(layer + 1, to) + size / 2.0);
                context.stroke();
            }
        }
    }

    let output: Vec<f32> = if classification {
        snapshot.output_grid.iter().map(|p| 2.0 * p - 1.0).collect()
    } else {
        snapshot.output_grid.clone()
    };
    let maps = inputs
        .iter()
        .cloned()
        .chain(
            snapshot
                .neuron_grids
                .iter()
                .flatten()
                .map(|m| normalized(m)),
        )
        .chain(std::iter::once(output));
    let positions = widths
        .iter()
        .enumerate()
        .flat_map(|(layer, &width)| (0..width).map(move |i| (layer, i)));
    for ((layer, index), map) in positions.zip(maps) {
        let (x, y) = (column_x(layer), node_y(layer, index));
        painter.paint(&context, &map, x, y, size, size);
        context.set_stroke_style_str("#555");
        context.set_line_width(1.0);
        context.stroke_rect(x, y, size, size);
    }
}
