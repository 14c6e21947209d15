//! Every way a visitor can hand the page a photo: the sample photos, a file picker, drag and
//! drop, paste from the clipboard, and a camera snapshot. All of them end in the same place: the
//! photo decoded (shrunk as the demo asks) and given to `on_photo`, or the reason it cannot be
//! used shown under the picker while the demo keeps the photo it had. Nothing is uploaded.

use std::sync::Arc;

use image::RgbImage;
use leptos::ev;
use leptos::html::{Canvas, Video};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, HtmlInputElement, MediaStream, MediaStreamConstraints};

use lab_core::photo::{self, MAX_DIMENSION, MAX_FILE_BYTES, MAX_PIXELS, PhotoError, Shrink};

use crate::i18n::{Message, Text, tr, use_lang};
use crate::runtime::frame::next_frame;
use crate::runtime::host::{self, Input, InputKind};
use crate::runtime::{blob_bytes, download, js_error_text as js_text};
use crate::widgets::problem::Problem;

/// A photo the visitor gave, decoded: a name to show and its upright RGB pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Photo {
    pub name: String,
    pub image: Arc<RgbImage>,
    /// Which of [`SAMPLE_PHOTOS`] it is; `None` for the visitor's own, which no link can carry.
    pub sample: Option<&'static str>,
}

/// Real photos served from `assets/samples/` (unpacked from scikit-image's wheel by
/// `cargo xtask setup`; sources and licences in `assets/NOTICE.txt`).
pub const SAMPLE_PHOTOS: &[(&str, Text)] = &[
    ("chelsea.png", Text::new("猫", "cat")),
    ("coffee.png", Text::new("咖啡", "coffee")),
    ("astronaut.png", Text::new("宇航员", "astronaut")),
    ("rocket.jpg", Text::new("火箭", "rocket")),
];

/// What the page says when the photo `name` cannot be used; the demo keeps the photo it had.
fn photo_problem(name: &str, why: &PhotoError) -> Message {
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

/// Refuses a file over [`MAX_FILE_BYTES`] before its bytes are decoded, however it came (a
/// picker, a drop, the embedding article).
fn within_file_limit(name: &str, bytes: u64) -> Result<(), Message> {
    if bytes > MAX_FILE_BYTES {
        return Err(photo_problem(name, &PhotoError::FileTooLarge { bytes }));
    }
    Ok(())
}

pub fn sample_url(file: &str) -> String {
    format!("assets/samples/{file}")
}

async fn sample_bytes(file: &str) -> Result<Vec<u8>, Message> {
    download::fetch_bytes(&sample_url(file))
        .await
        .map_err(|why| {
            Message::new(
                format!("示例照片加载失败：{why}"),
                format!("The sample photo did not load: {why}"),
            )
        })
}

/// The picker. `on_photo` receives each photo, decoded and shrunk by `shrink`; a photo that
/// cannot be read or decoded is refused here, with the reason shown under the picker.
#[component]
pub fn PhotoInput(
    #[prop(into)] on_photo: Callback<Photo>,
    shrink: Shrink,
    /// A sample photo to show first, unless the visitor is quicker.
    #[prop(optional)]
    first: Option<&'static str>,
    /// Offer the camera (off where a demo has no use for live snapshots).
    #[prop(default = true)]
    camera: bool,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let problem = RwSignal::new(None::<Message>);
    let given = RwSignal::new(0u32);
    let on_error = Callback::new(move |message| problem.set(Some(message)));
    let deliver = move |name: String, sample, bytes: Result<Vec<u8>, Message>| {
        given.update(|n| *n += 1);
        spawn_local(async move {
            // Let the page paint before a large photo takes the thread to decode.
            next_frame().await;
            match bytes.and_then(|bytes| {
                photo::decode(&bytes, shrink).map_err(|why| photo_problem(&name, &why))
            }) {
                Ok(image) => {
                    problem.set(None);
                    on_photo.run(Photo {
                        name,
                        image: Arc::new(image),
                        sample,
                    });
                }
                Err(message) => problem.set(Some(message)),
            }
        });
    };
    let deliver_bytes =
        Callback::new(move |(name, bytes): (String, Vec<u8>)| deliver(name, None, Ok(bytes)));
    // A photo the embedding article hands over is the visitor's photo like any other.
    host::accept(InputKind::Image, move |input| {
        if let Input::Image { name, bytes } = input {
            let checked = within_file_limit(&name, bytes.len() as u64).map(|()| bytes);
            deliver(name, None, checked);
        }
    });

    let from_file = move |file: File| {
        spawn_local(async move {
            let name = file.name();
            // Refused before its bytes are copied into wasm memory, where they would stay.
            if let Err(problem) = within_file_limit(&name, file.size() as u64) {
                return deliver(name, None, Err(problem));
            }
            let read = blob_bytes(&file).await.map_err(|why| {
                Message::new(
                    format!("无法读取 {name}：{why}"),
                    format!("Could not read {name}: {why}"),
                )
            });
            deliver(name, None, read);
        })
    };
    let on_pick = move |event: ev::Event| {
        let input: HtmlInputElement = event_target(&event);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            from_file(file);
        }
        // Picking the same file again must fire `change` again.
        input.set_value("");
    };
    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        dragging.set(false);
        match event
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|files| files.get(0))
        {
            Some(file) => from_file(file),
            None => on_error
                .run(Text::new("拖进来的不是文件。", "What was dropped is not a file.").into()),
        }
    };
    // Paste works anywhere on the page while the picker is shown.
    let paste = window_event_listener(ev::paste, move |event| {
        if let Some(file) = event
            .clipboard_data()
            .and_then(|data| data.files())
            .and_then(|files| files.get(0))
        {
            event.prevent_default();
            from_file(file);
        }
    });
    on_cleanup(move || paste.remove());

    let load_sample = Callback::new(move |file: &'static str| {
        spawn_local(async move { deliver(file.to_string(), Some(file), sample_bytes(file).await) })
    });
    if let Some(file) = first {
        spawn_local(async move {
            let fetched = sample_bytes(file).await;
            if given.get_untracked() == 0 {
                deliver(file.to_string(), Some(file), fetched);
            }
        });
    }

    view! {
        <div
            class="photo-input"
            class:dragging=move || dragging.get()
            on:dragover=move |event: DragEvent| {
                event.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <SamplePhotos on_pick=load_sample />
            <label class="file-button">
                {tr("选择图片…", "Choose a photo…")}
                // Every image, not only what decodes: a HEIC or GIF picked here is named in
                // the refusal, with what to save it as, where a narrower list would hide it.
                <input type="file" accept="image/*" data-testid="photo-file" on:change=on_pick />
            </label>
            <span class="hint">{tr("或拖放、粘贴图片到这里。图片只在本页处理，不会上传。", "or drop or paste one here. The photo is processed in this page and never uploaded.")}</span>
            {camera.then(|| view! { <CameraSnapshot on_photo=deliver_bytes on_error=on_error /> })}
        </div>
        <Problem problem=problem testid="photo-problem" />
    }
}

/// A button per sample photo, with its thumbnail.
#[component]
fn SamplePhotos(on_pick: Callback<&'static str>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="samples">
            <span>{tr("示例照片：", "Sample photos: ")}</span>
            {SAMPLE_PHOTOS
                .iter()
                .map(|&(file, label)| {
                    view! {
                        <button data-testid=format!("sample-{file}") on:click=move |_| on_pick.run(file)>
                            <img src=sample_url(file) alt="" loading="lazy" />
                            {move || label.get(lang.get())}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Live camera preview and a button that freezes one frame into a PNG.
#[component]
fn CameraSnapshot(
    on_photo: Callback<(String, Vec<u8>)>,
    on_error: Callback<Message>,
) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    let canvas = NodeRef::<Canvas>::new();
    let stream = StoredValue::new_local(None::<MediaStream>);
    let live = RwSignal::new(false);

    let stop = move || {
        if let Some(stream) = stream.get_value() {
            for track in stream.get_tracks().iter() {
                if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                    track.stop();
                }
            }
        }
        stream.set_value(None);
        live.set(false);
    };
    on_cleanup(stop);

    let start = move |_| {
        spawn_local(async move {
            match open_camera().await {
                Ok(media) => {
                    if let Some(video) = video.get_untracked() {
                        video.set_src_object(Some(&media));
                        let _ = video.play();
                    }
                    stream.set_value(Some(media));
                    live.set(true);
                }
                Err(why) => on_error.run(Message::new(
                    format!("无法打开相机：{why}"),
                    format!("Could not open the camera: {why}"),
                )),
            }
        })
    };
    let snap = move |_| {
        let (Some(video), Some(canvas)) = (video.get_untracked(), canvas.get_untracked()) else {
            return;
        };
        let (w, h) = (video.video_width(), video.video_height());
        if w == 0 || h == 0 {
            return;
        }
        canvas.set_width(w);
        canvas.set_height(h);
        let Some(context) = crate::widgets::value_map::context_2d(&canvas) else {
            return;
        };
        let _ = context.draw_image_with_html_video_element(&video, 0.0, 0.0);
        stop();
        match canvas_png(&canvas) {
            Ok(bytes) => on_photo.run(("camera.png".into(), bytes)),
            Err(why) => on_error.run(Message::new(
                format!("拍照失败：{why}"),
                format!("The snapshot failed: {why}"),
            )),
        }
    };

    view! {
        <span class="camera">
            <Show
                when=move || live.get()
                fallback=move || view! { <button data-testid="camera-start" on:click=start>{tr("拍照", "Camera")}</button> }
            >
                <button data-testid="camera-snap" on:click=snap>{tr("拍下", "Take snapshot")}</button>
                <button on:click=move |_| stop()>{tr("关闭相机", "Close camera")}</button>
            </Show>
            <video node_ref=video class="camera-preview" class:hidden=move || !live.get() muted=true playsinline=true></video>
            <canvas node_ref=canvas class="hidden"></canvas>
        </span>
    }
}

async fn open_camera() -> Result<MediaStream, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this browser has no camera access".to_string())?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&JsValue::TRUE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| js_text(&e))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| js_text(&e))?
        .dyn_into()
        .map_err(|_| "no media stream".into())
}

/// The canvas's pixels as a PNG file, so that a snapshot takes the same path as any photo.
fn canvas_png(canvas: &web_sys::HtmlCanvasElement) -> Result<Vec<u8>, String> {
    let (w, h) = (canvas.width(), canvas.height());
    let context = crate::widgets::value_map::context_2d(canvas).ok_or("no 2-D context")?;
    let pixels = context
        .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
        .map_err(|e| js_text(&e))?
        .data()
        .0;
    let image =
        image::RgbaImage::from_raw(w, h, pixels).ok_or("the snapshot has the wrong size")?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(png)
}
