//! The visitor's photos decoded in the lab's worker (runtime/worker.rs), not on the page's
//! thread: a 100-megapixel photo takes seconds and hundreds of megabytes to decode, and the page
//! keeps drawing meanwhile. Only where no worker can start are they decoded in the page. Both sides of the request are here: [`decode`] on the page,
//! [`decode_here`] in the worker, which runs lab-core's `photo::decode` and sends back only the
//! shrunk pixels. What the visitor is told when a photo cannot be used is written here too.

use image::RgbImage;
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

use lab_core::photo::{self, MAX_DIMENSION, MAX_FILE_BYTES, MAX_PIXELS, PhotoError, Shrink};

use crate::i18n::Message;
use crate::runtime::blob_bytes;
use crate::runtime::worker::{self, Stopped, get, set};

/// The worker's name for this operation.
pub const DECODE_OP: &str = "decode-photo";

/// Why a photo was not decoded, in the visitor's words.
#[derive(Clone, Debug, PartialEq)]
pub struct NotDecoded {
    pub message: Message,
    /// The worker stopped while decoding: the same photo may be tried again in a fresh one.
    pub retry: bool,
}

/// Decodes the photo `file`, named `name` for messages, into upright RGB shrunk by `shrink`.
pub async fn decode(name: &str, file: &Blob, shrink: Shrink) -> Result<RgbImage, NotDecoded> {
    let refused = |message| NotDecoded {
        message,
        retry: false,
    };
    // Refused before the file's bytes are read anywhere.
    let bytes = file.size() as u64;
    if bytes > MAX_FILE_BYTES {
        return Err(refused(problem(name, &PhotoError::FileTooLarge { bytes })));
    }
    if worker::available() {
        match in_worker(name, file, shrink).await {
            Err(NotDecoded { retry: true, .. }) if !worker::available() => {
                web_sys::console::warn_1(
                    &"the lab's worker could not start here: photos are decoded in the page".into(),
                );
            }
            decoded => return decoded,
        }
    }
    decode_bytes(name, blob_bytes(file).await, shrink).map_err(refused)
}

async fn in_worker(name: &str, file: &Blob, shrink: Shrink) -> Result<RgbImage, NotDecoded> {
    let refused = |message| NotDecoded {
        message,
        retry: false,
    };
    let request = Object::new();
    set(&request, "name", &name.into());
    // A blob goes to the worker as a handle; its bytes are read there.
    set(&request, "file", file);
    let (kind, side) = match shrink {
        Shrink::Keep => ("keep", 0),
        Shrink::LongerSideTo(side) => ("longer", side),
        Shrink::ShorterSideNear(side) => ("shorter", side),
    };
    set(&request, "shrink", &kind.into());
    set(&request, "side", &side.into());
    let answer = worker::call(worker::PHOTOS, DECODE_OP, request, Array::new())
        .await
        .map_err(|stopped| NotDecoded {
            message: stopped_on(name, &stopped),
            retry: true,
        })?;
    let pixels = get(&answer, "pixels");
    if let Some(pixels) = pixels.dyn_ref::<Uint8Array>() {
        let side = |key| get(&answer, key).as_f64().unwrap_or(0.0) as u32;
        return RgbImage::from_raw(side("width"), side("height"), pixels.to_vec()).ok_or_else(
            || {
                refused(problem(
                    name,
                    &PhotoError::Broken("the pixels came back short".into()),
                ))
            },
        );
    }
    Err(refused(worker::message(&answer).unwrap_or_else(|| {
        stopped_on(name, &Stopped("its answer could not be read".into()))
    })))
}

/// The worker's side of [`decode`]: the decoded pixels `{width, height, pixels}` (transferred)
/// or the refusal `{zh, en}`.
pub async fn decode_here(request: &JsValue) -> (JsValue, Array) {
    let name = get(request, "name").as_string().unwrap_or_default();
    let side = get(request, "side").as_f64().unwrap_or(0.0) as u32;
    let shrink = match get(request, "shrink").as_string().as_deref() {
        Some("longer") => Shrink::LongerSideTo(side),
        Some("shorter") => Shrink::ShorterSideNear(side),
        _ => Shrink::Keep,
    };
    let bytes = match get(request, "file").dyn_into::<Blob>() {
        Ok(file) => blob_bytes(&file).await,
        Err(_) => Err("no file was given".to_string()),
    };
    match decode_bytes(&name, bytes, shrink) {
        Ok(image) => {
            let answer = Object::new();
            let (width, height) = image.dimensions();
            let pixels = Uint8Array::from(image.as_raw().as_slice());
            set(&answer, "width", &width.into());
            set(&answer, "height", &height.into());
            set(&answer, "pixels", &pixels);
            (answer.into(), Array::of1(&pixels.buffer()))
        }
        Err(message) => (worker::answer_message(&message), Array::new()),
    }
}

/// The file's bytes (or why they could not be read) decoded: in the worker, or in the page where
/// no worker can start.
fn decode_bytes(
    name: &str,
    bytes: Result<Vec<u8>, String>,
    shrink: Shrink,
) -> Result<RgbImage, Message> {
    let bytes = bytes.map_err(|why| {
        Message::new(
            format!("无法读取 {name}：{why}"),
            format!("Could not read {name}: {why}"),
        )
    })?;
    photo::decode(&bytes, shrink).map_err(|why| problem(name, &why))
}

/// What the page says when the worker died decoding `name`; the page itself is unharmed.
fn stopped_on(name: &str, stopped: &Stopped) -> Message {
    let message = stopped.message(&Message::new(
        format!("解码“{name}”"),
        format!("decoding “{name}”"),
    ));
    Message::new(
        format!("{}仍使用之前的照片。", message.zh),
        format!("{} The previous photo is kept.", message.en),
    )
}

/// What the page says when the photo `name` cannot be used; the demo keeps the photo it had.
pub fn problem(name: &str, why: &PhotoError) -> Message {
    let megapixels = MAX_PIXELS / 1_000_000;
    match why {
        PhotoError::NotAnImage => Message::new(
            format!("“{name}”不是 PNG、JPEG 或 WebP 图片。仍使用之前的照片。"),
            format!("“{name}” is not a PNG, JPEG or WebP image. The previous photo is kept."),
        ),
        PhotoError::Unsupported(format) => Message::new(
            format!(
                "本页无法读取 {format} 图片：请把“{name}”另存为 JPEG、PNG 或 WebP。仍使用之前的照片。"
            ),
            format!(
                "{format} images cannot be read here: save “{name}” as JPEG, PNG or WebP. The previous photo is kept."
            ),
        ),
        PhotoError::FileTooLarge { bytes } => {
            let (size, most) = (bytes / 1_000_000, MAX_FILE_BYTES / 1_000_000);
            Message::new(
                format!("“{name}”有 {size} MB，文件太大（最多 {most} MB）。仍使用之前的照片。"),
                format!(
                    "“{name}” is {size} MB, too large a file (at most {most} MB). The previous photo is kept."
                ),
            )
        }
        PhotoError::HeaderTooLarge => Message::new(
            format!(
                "“{name}”太大，无法在页面里安全解码（每边最多 {MAX_DIMENSION}，总共最多 {megapixels} 百万像素）。仍使用之前的照片。"
            ),
            format!(
                "“{name}” is too large to decode safely in the page (at most {MAX_DIMENSION} a side and {megapixels} megapixels). The previous photo is kept."
            ),
        ),
        // `limit` is this kind of image's: fewer megapixels where each takes more memory.
        PhotoError::TooLarge {
            width,
            height,
            megapixels: limit,
        } => Message::new(
            format!(
                "“{name}”有 {width}×{height} 像素，太大了（每边最多 {MAX_DIMENSION}，这类图片总共最多 {limit} 百万像素）。仍使用之前的照片。"
            ),
            format!(
                "“{name}” is {width}×{height} pixels, too large (at most {MAX_DIMENSION} a side and {limit} megapixels for an image of this kind). The previous photo is kept."
            ),
        ),
        PhotoError::Broken(detail) => Message::new(
            format!("“{name}”无法解码，文件可能已损坏（{detail}）。仍使用之前的照片。"),
            format!(
                "“{name}” cannot be decoded; the file may be damaged ({detail}). The previous photo is kept."
            ),
        ),
        PhotoError::Empty => Message::new(
            format!("“{name}”是空文件，没有像素。仍使用之前的照片。"),
            format!("“{name}” is empty: it has no pixels. The previous photo is kept."),
        ),
    }
}
