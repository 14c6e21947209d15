//! Painting a square grid of values as a smooth colour map on a canvas: the decision boundary
//! and every neuron's small map. Orange is negative, white zero, blue positive, as in
//! TensorFlow Playground.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

const NEGATIVE: [f32; 3] = [245.0, 147.0, 34.0];
const ZERO: [f32; 3] = [232.0, 234.0, 235.0];
const POSITIVE: [f32; 3] = [8.0, 119.0, 189.0];

/// The colour of `value` in [-1, 1] (clamped).
pub fn diverging(value: f32) -> [u8; 3] {
    let v = if value.is_finite() {
        value.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (end, t) = if v < 0.0 {
        (NEGATIVE, -v)
    } else {
        (POSITIVE, v)
    };
    std::array::from_fn(|i| (ZERO[i] + (end[i] - ZERO[i]) * t) as u8)
}

/// A CSS colour for `value` in [-1, 1].
pub fn css(value: f32) -> String {
    let [r, g, b] = diverging(value);
    format!("rgb({r},{g},{b})")
}

pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// Reuses one scratch canvas of `resolution`² pixels to scale maps up smoothly.
pub struct MapPainter {
    scratch: HtmlCanvasElement,
    scratch_context: CanvasRenderingContext2d,
    resolution: usize,
}

impl MapPainter {
    pub fn new(resolution: usize) -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let scratch: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
        scratch.set_width(resolution as u32);
        scratch.set_height(resolution as u32);
        let scratch_context = context_2d(&scratch)?;
        Some(Self {
            scratch,
            scratch_context,
            resolution,
        })
    }

    pub fn resolution(&self) -> usize {
        self.resolution
    }

    /// Paints `values` (row-major, top row first, already scaled to [-1, 1]) into the
    /// rectangle at (x, y) of size w×h on `target`.
    pub fn paint(
        &self,
        target: &CanvasRenderingContext2d,
        values: &[f32],
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    ) {
        let mut pixels = Vec::with_capacity(values.len() * 4);
        for &value in values {
            let [r, g, b] = diverging(value);
            pixels.extend_from_slice(&[r, g, b, 255]);
        }
        let size = self.resolution as u32;
        let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), size, size)
        else {
            return;
        };
        if self
            .scratch_context
            .put_image_data(&image, 0.0, 0.0)
            .is_err()
        {
            return;
        }
        target.set_image_smoothing_enabled(true);
        // Drawing fails only for a detached canvas, which nobody sees.
        let _ = target.draw_image_with_html_canvas_element_and_dw_and_dh(&self.scratch, x, y, w, h);
    }
}

/// Scales a map to [-1, 1] by its largest magnitude, so that each neuron's pattern is visible
/// whatever its range.
pub fn normalized(values: &[f32]) -> Vec<f32> {
    let peak = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(1e-6f32, |m, v| m.max(v.abs()));
    values.iter().map(|v| v / peak).collect()
}

/// Draws an RGB image onto `canvas` at its own size (the canvas is resized to fit; CSS scales
/// it for display).
pub fn draw_rgb(canvas: &HtmlCanvasElement, image: &image::RgbImage) {
    let (width, height) = image.dimensions();
    canvas.set_width(width);
    canvas.set_height(height);
    let Some(context) = context_2d(canvas) else {
        return;
    };
    let rgba: Vec<u8> = image
        .pixels()
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    if let Ok(data) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width, height) {
        // Drawing fails only for a detached canvas, which nobody sees.
        let _ = context.put_image_data(&data, 0.0, 0.0);
    }
}
