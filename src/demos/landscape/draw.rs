//! The landscape's picture: the surface in log-scaled bands, the minimum, the paths as far as
//! they are revealed, and the start point.

use lab_core::landscape::Surface;

use super::{RACERS, SIZE};
use crate::widgets::value_map::{MapPainter, context_2d};

pub(super) fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    painter: &MapPainter,
    surface: Surface,
    values: &[f32],
    start: [f32; 2],
    paths: &[(usize, Vec<[f32; 2]>)],
    shown: usize,
) {
    let Some(context) = context_2d(canvas) else {
        return;
    };
    // Log-scale into bands: contour lines without tracing them.
    let (low, high) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let banded: Vec<f32> = values
        .iter()
        .map(|v| {
            let t = ((v - low).ln_1p() / (high - low).ln_1p().max(1e-6)).clamp(0.0, 1.0);
            1.0 - 2.0 * ((t * 14.0).floor() / 14.0)
        })
        .collect();
    painter.paint(&context, &banded, 0.0, 0.0, SIZE, SIZE);
    let ([x0, x1], [y0, y1]) = surface.domain();
    let to_canvas = |[x, y]: [f32; 2]| {
        (
            ((x - x0) / (x1 - x0)) as f64 * SIZE,
            ((y1 - y) / (y1 - y0)) as f64 * SIZE,
        )
    };
    if let Some(minimum) = surface.minimum() {
        let (mx, my) = to_canvas(minimum);
        context.set_font("bold 18px sans-serif");
        context.set_fill_style_str("#000");
        // A failed label only drops the marker.
        let _ = context.fill_text("×", mx - 5.0, my + 6.0);
    }
    for (index, points) in paths {
        context.begin_path();
        context.set_stroke_style_str(RACERS[*index].1);
        context.set_line_width(2.0);
        for (i, &point) in points.iter().take(shown).enumerate() {
            let (px, py) = to_canvas(point);
            if i == 0 {
                context.move_to(px, py)
            } else {
                context.line_to(px, py)
            }
        }
        context.stroke();
    }
    let (sx, sy) = to_canvas(start);
    context.begin_path();
    let _ = context.arc(sx, sy, 5.0, 0.0, std::f64::consts::TAU);
    context.set_fill_style_str("#fff");
    context.fill();
    context.stroke();
}
