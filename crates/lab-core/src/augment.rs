//! Image augmentation as article 1.3 shows it: random flips, resized crops, rotations, colour
//! long file: the six operations share one seeded grid and one set of limits; apart they would each need all of it.
//! jitter, gaussian noise and cutout applied to a real photo, a grid of variants at a time.
//!
//! # Contracts
//!
//! - **Size and range.** Every variant has the size of the (downscaled) input and `u8` pixels;
//!   geometric ops resample back to that size, colour ops clamp to `0..=255`.
//! - **Seeded, per variant and per op.** Variant `i` of a grid draws each op's random numbers
//!   from its own `StdRng`, seeded from `(seed, i, op)`: the same seed gives the same grid, and
//!   switching one op on or off leaves what the others draw unchanged.
//! - **The same bytes natively and on wasm.** std's `sin`, `cos`, `ln`, `exp` call the
//!   platform's libm natively but another implementation on wasm32, which can differ in the
//!   last bit and flip a rounded pixel. Every transcendental here comes from the pure-Rust
//!   [`libm`] crate; the library operations used (image's flips, crop, `resize` with a triangle
//!   filter, `thumbnail`, `brighten`, `contrast`; imageproc's `warp`, `map_pixels_mut`,
//!   `draw_filled_rect`) use only `+ − × ÷`, `sqrt` and rounding, which IEEE 754 fixes
//!   exactly. image's `huerotate` uses std's `cos`/`sin`, so hue is rotated here with the same
//!   matrix built from libm. The browser test checks the grid's digest against the native one.
//! - **Bad input is an error, not a panic.** Photos come through [`crate::photo::decode`], shrunk
//!   to fit [`MAX_SIDE`]; [`AugmentSpec::check`] refuses strengths that are negative, NaN or out
//!   of range.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp};
use imageproc::rect::Rect;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The longer side a loaded image is downscaled to, so that a grid stays quick to compute.
pub const MAX_SIDE: u32 = 512;
/// Variants per grid, at most.
pub const MAX_VARIANTS: usize = 64;

/// One augmentation. Each has a strength whose meaning and range [`Op::range`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Mirror left–right; strength: the probability.
    FlipHorizontal,
    /// Mirror top–bottom; strength: the probability.
    FlipVertical,
    /// Random resized crop: keep a share of the area in `[1 − strength, 1]`, its aspect ratio
    /// stretched by up to 4/3 either way (at the largest strength), resized back to full size.
    Crop,
    /// Rotate about the centre by up to ± strength degrees; corners outside are black.
    Rotate,
    /// Shift every channel by up to ± strength × 255.
    Brightness,
    /// Scale contrast about mid-grey by a factor in `[1 − strength, 1 + strength]`.
    Contrast,
    /// Scale saturation (distance from the pixel's luma) by a factor in `[1 − s, 1 + s]`.
    Saturation,
    /// Rotate hue by up to ± strength degrees.
    Hue,
    /// Add gaussian noise of standard deviation `strength` (in levels of 255) to each channel.
    Noise,
    /// Black out a square whose side is `strength` × the shorter side, centred anywhere.
    Cutout,
}

impl Op {
    pub const ALL: [Op; 10] = [
        Op::FlipHorizontal,
        Op::FlipVertical,
        Op::Crop,
        Op::Rotate,
        Op::Brightness,
        Op::Contrast,
        Op::Saturation,
        Op::Hue,
        Op::Noise,
        Op::Cutout,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Op::FlipHorizontal => "hflip",
            Op::FlipVertical => "vflip",
            Op::Crop => "crop",
            Op::Rotate => "rotate",
            Op::Brightness => "brightness",
            Op::Contrast => "contrast",
            Op::Saturation => "saturation",
            Op::Hue => "hue",
            Op::Noise => "noise",
            Op::Cutout => "cutout",
        }
    }

    /// The strengths this op accepts, inclusive.
    pub fn range(self) -> (f32, f32) {
        match self {
            Op::FlipHorizontal
            | Op::FlipVertical
            | Op::Brightness
            | Op::Contrast
            | Op::Saturation
            | Op::Cutout => (0.0, 1.0),
            Op::Crop => (0.0, 0.9),
            Op::Rotate | Op::Hue => (0.0, 180.0),
            Op::Noise => (0.0, 100.0),
        }
    }

    /// Whether `strength` is a number within [`Op::range`] (NaN is not).
    pub fn accepts(self, strength: f32) -> bool {
        let (low, high) = self.range();
        (low..=high).contains(&strength)
    }

    fn index(self) -> usize {
        Op::ALL
            .iter()
            .position(|&op| op == self)
            .expect("every op is in ALL")
    }
}

/// Whether an op is applied, and how strongly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting {
    pub on: bool,
    pub strength: f32,
}

/// Which ops a grid applies and how strongly. They run in the order of [`Op::ALL`]: geometry
/// first, then colour, then noise and cutout, as training pipelines usually chain them.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentSpec {
    settings: [Setting; Op::ALL.len()],
}

impl Default for AugmentSpec {
    /// A typical photo pipeline: horizontal flips, crops, small rotations and colour jitter on;
    /// vertical flips, noise and cutout off but ready at a usual strength.
    fn default() -> Self {
        let setting = |op| match op {
            Op::FlipHorizontal => Setting {
                on: true,
                strength: 0.5,
            },
            Op::FlipVertical => Setting {
                on: false,
                strength: 0.5,
            },
            Op::Crop => Setting {
                on: true,
                strength: 0.5,
            },
            Op::Rotate => Setting {
                on: true,
                strength: 15.0,
            },
            Op::Brightness => Setting {
                on: true,
                strength: 0.2,
            },
            Op::Contrast => Setting {
                on: true,
                strength: 0.3,
            },
            Op::Saturation => Setting {
                on: true,
                strength: 0.3,
            },
            Op::Hue => Setting {
                on: true,
                strength: 20.0,
            },
            Op::Noise => Setting {
                on: false,
                strength: 12.0,
            },
            Op::Cutout => Setting {
                on: false,
                strength: 0.3,
            },
        };
        Self {
            settings: Op::ALL.map(setting),
        }
    }
}

impl AugmentSpec {
    /// Every op off (strengths as in the default): variants equal the input.
    pub fn none() -> Self {
        let mut spec = Self::default();
        for setting in &mut spec.settings {
            setting.on = false;
        }
        spec
    }

    /// Only `op`, at `strength`.
    pub fn only(op: Op, strength: f32) -> Self {
        let mut spec = Self::none();
        spec.set(op, Setting { on: true, strength });
        spec
    }

    pub fn get(&self, op: Op) -> Setting {
        self.settings[op.index()]
    }

    pub fn set(&mut self, op: Op, setting: Setting) {
        self.settings[op.index()] = setting;
    }

    /// Refuses strengths outside each op's range (negative, NaN, too large), with a message.
    pub fn check(&self) -> Result<(), String> {
        for op in Op::ALL {
            let strength = self.get(op).strength;
            if !op.accepts(strength) {
                let (low, high) = op.range();
                return Err(format!(
                    "{} strength must be a number within {low}..={high}, not {strength}",
                    op.id()
                ));
            }
        }
        Ok(())
    }
}

/// `n` augmented variants of `image` (at most [`MAX_VARIANTS`]); variant `i` is
/// [`augment_variant`]`(image, spec, seed, i)`.
pub fn augment_grid(image: &RgbImage, spec: &AugmentSpec, seed: u64, n: usize) -> Vec<RgbImage> {
    (0..n.min(MAX_VARIANTS))
        .map(|i| augment_variant(image, spec, seed, i))
        .collect()
}

/// Variant `index` of the grid seeded by `seed`: each op that is on, in the order of
/// [`Op::ALL`], with random numbers from its own generator seeded from `(seed, index, op)`.
/// Same size as `image`.
///
/// Strengths outside an op's range are clamped into it (NaN counts as the lowest); the page
/// refuses them at the control ([`AugmentSpec::check`]). An op at strength 0 changes nothing.
pub fn augment_variant(image: &RgbImage, spec: &AugmentSpec, seed: u64, index: usize) -> RgbImage {
    let mut out = image.clone();
    for op in Op::ALL {
        let Setting { on, strength } = spec.get(op);
        let (low, high) = op.range();
        let strength = if strength.is_nan() {
            low
        } else {
            strength.clamp(low, high)
        };
        // At strength 0 every op is the identity; skipping it also avoids image's `contrast`
        // truncating (rather than rounding) its output by up to one level.
        if on && strength > 0.0 {
            let stream = splitmix64(seed ^ splitmix64(((index as u64) << 8) | op.index() as u64));
            out = apply(op, strength, out, &mut StdRng::seed_from_u64(stream));
        }
    }
    out
}

/// A well-mixed 64-bit hash (SplitMix64's finaliser), so that nearby seeds give unrelated streams.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Uniform in `[-1, 1)`.
fn symmetric(rng: &mut StdRng) -> f32 {
    2.0 * rng.random::<f32>() - 1.0
}

fn apply(op: Op, strength: f32, mut image: RgbImage, rng: &mut StdRng) -> RgbImage {
    let (width, height) = image.dimensions();
    match op {
        Op::FlipHorizontal => {
            if rng.random::<f32>() < strength {
                imageops::flip_horizontal_in_place(&mut image);
            }
            image
        }
        Op::FlipVertical => {
            if rng.random::<f32>() < strength {
                imageops::flip_vertical_in_place(&mut image);
            }
            image
        }
        Op::Crop => {
            let share = 1.0 - strength * rng.random::<f32>();
            // Stretched by a log-uniform factor, up to 4/3 either way at full strength.
            let stretch =
                libm::expf(libm::logf(4.0 / 3.0) * strength / Op::Crop.range().1 * symmetric(rng));
            let crop_width =
                ((width as f32 * (share * stretch).sqrt()).round() as u32).clamp(1, width);
            let crop_height =
                ((height as f32 * (share / stretch).sqrt()).round() as u32).clamp(1, height);
            // u32 ranges draw the same on 32- and 64-bit targets (usize ones do not).
            let x = rng.random_range(0..=width - crop_width);
            let y = rng.random_range(0..=height - crop_height);
            let crop = imageops::crop_imm(&image, x, y, crop_width, crop_height);
            imageops::resize(&*crop, width, height, FilterType::Triangle)
        }
        Op::Rotate => {
            let radians = strength.to_radians() * symmetric(rng);
            let (sin, cos) = (libm::sinf(radians), libm::cosf(radians));
            let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
            // Rotation about the centre, input → output, row-major homogeneous.
            let matrix = [
                cos,
                -sin,
                cx - cos * cx + sin * cy,
                sin,
                cos,
                cy - sin * cx - cos * cy,
                0.0,
                0.0,
                1.0,
            ];
            let projection = Projection::from_matrix(matrix).expect("a rotation is invertible");
            warp(
                &image,
                projection,
                Interpolation::Bilinear,
                Border::Constant(Rgb([0, 0, 0])),
            )
        }
        Op::Brightness => {
            imageops::colorops::brighten_in_place(
                &mut image,
                (strength * 255.0 * symmetric(rng)).round() as i32,
            );
            image
        }
        Op::Contrast => {
            // image's contrast scales by ((100 + c) / 100)²: pick c for the wanted factor.
            let factor = 1.0 + strength * symmetric(rng);
            imageops::colorops::contrast_in_place(
                &mut image,
                100.0 * (factor.max(0.0).sqrt() - 1.0),
            );
            image
        }
        Op::Saturation => {
            let factor = 1.0 + strength * symmetric(rng);
            let [r, g, b] = LUMA;
            let keep = 1.0 - factor;
            let row = |i: usize| {
                let mut row = [keep * r, keep * g, keep * b];
                row[i] += factor;
                row
            };
            color_matrix(&mut image, [row(0), row(1), row(2)]);
            image
        }
        Op::Hue => {
            let radians = strength.to_radians() * symmetric(rng);
            color_matrix(
                &mut image,
                hue_rotation(libm::cosf(radians), libm::sinf(radians)),
            );
            image
        }
        Op::Noise => {
            add_gaussian_noise(&mut image, strength, rng);
            image
        }
        Op::Cutout => {
            let side = (strength * width.min(height) as f32).round() as u32;
            if side > 0 {
                let cx = rng.random_range(0..width) as i32;
                let cy = rng.random_range(0..height) as i32;
                let half = (side / 2) as i32;
                let rect = Rect::at(cx - half, cy - half).of_size(side, side);
                imageproc::drawing::draw_filled_rect_mut(&mut image, rect, Rgb([0, 0, 0]));
            }
            image
        }
    }
}

/// Rec. 601 luma weights, which saturation and hue rotation keep fixed.
const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// The hue-rotation matrix of the CSS/SVG `hue-rotate` filter (also image's `huerotate`),
/// from a cosine and sine computed by the caller.
fn hue_rotation(cos: f32, sin: f32) -> [[f32; 3]; 3] {
    [
        [
            0.213 + cos * 0.787 - sin * 0.213,
            0.715 - cos * 0.715 - sin * 0.715,
            0.072 - cos * 0.072 + sin * 0.928,
        ],
        [
            0.213 - cos * 0.213 + sin * 0.143,
            0.715 + cos * 0.285 + sin * 0.140,
            0.072 - cos * 0.072 - sin * 0.283,
        ],
        [
            0.213 - cos * 0.213 - sin * 0.787,
            0.715 - cos * 0.715 + sin * 0.715,
            0.072 + cos * 0.928 + sin * 0.072,
        ],
    ]
}

/// Every pixel's RGB multiplied by `matrix`, rounded and clamped to `0..=255`.
fn color_matrix(image: &mut RgbImage, matrix: [[f32; 3]; 3]) {
    imageproc::map::map_pixels_mut(image, |Rgb(c)| {
        let [r, g, b] = c.map(f32::from);
        Rgb(matrix.map(|[mr, mg, mb]| (mr * r + mg * g + mb * b).round().clamp(0.0, 255.0) as u8))
    });
}

/// Adds `sigma`·z to every channel, z standard normal by the Box–Muller transform (libm's
/// `logf`, `cosf`, `sinf`, so the same on every platform), rounded and clamped.
fn add_gaussian_noise(image: &mut RgbImage, sigma: f32, rng: &mut StdRng) {
    for pair in image.chunks_mut(2) {
        // 1 − u is in (0, 1], so the logarithm is finite.
        let radius = sigma * (-2.0 * libm::logf(1.0 - rng.random::<f32>())).sqrt();
        let angle = std::f32::consts::TAU * rng.random::<f32>();
        let noise = [radius * libm::cosf(angle), radius * libm::sinf(angle)];
        for (channel, z) in pair.iter_mut().zip(noise) {
            *channel = (f32::from(*channel) + z).round().clamp(0.0, 255.0) as u8;
        }
    }
}
