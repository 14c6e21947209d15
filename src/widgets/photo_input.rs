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
use web_sys::{Blob, DragEvent, File, HtmlInputElement, MediaStream, MediaStreamConstraints};

use lab_core::photo::Shrink;

use crate::i18n::{Message, Text, tr, use_lang};
use crate::runtime::host::{self, Input, InputKind};
use crate::runtime::photo::{self, NotDecoded};
use crate::runtime::{bytes_blob, download, js_error_text as js_text};
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

pub fn sample_url(file: &str) -> String {
    format!("assets/samples/{file}")
}

async fn sample_file(file: &str) -> Result<Blob, Message> {
    download::fetch_bytes(&sample_url(file))
        .await
        .map_err(|why| why.to_string())
        .and_then(|bytes| bytes_blob(&bytes))
        .map_err(|why| {
            Message::new(
                format!("示例照片加载失败：{why}"),
                format!("The sample photo did not load: {why}"),
            )
        })
}

/// The picker. `on_photo` receives each photo, decoded and shrunk by `shrink`; a photo that
/// cannot be read or decoded is refused here, with the reason shown under the picker. Of photos
/// picked in quick succession only the last is given, whichever finishes decoding first.
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
    let decoding = RwSignal::new(false);
    // The photo whose decoding the worker did not survive: the retry button shows while it is set.
    let retry = RwSignal::new_local(None::<(String, Option<&'static str>, Blob)>);
    // Every photo asked for takes the next ticket; only the latest one's photo is shown, so a
    // slow decoding (a huge file, the first sample) that ends after a later pick is dropped.
    let latest = RwSignal::new(0u32);
    let ticket = move || {
        latest.update(|n| *n += 1);
        latest.get_untracked()
    };
    let on_error = Callback::new(move |message| problem.set(Some(message)));
    let deliver = move |ticket: u32, name: String, sample, file: Result<Blob, Message>| {
        if ticket != latest.get_untracked() {
            return;
        }
        let file = match file {
            Ok(file) => file,
            Err(message) => {
                // An earlier photo still decoding is dropped now: its "decoding" status goes too.
                decoding.set(false);
                return problem.set(Some(message));
            }
        };
        decoding.set(true);
        spawn_local(async move {
            let decoded = photo::decode(&name, &file, shrink).await;
            if ticket != latest.get_untracked() {
                return;
            }
            decoding.set(false);
            match decoded {
                Ok(image) => {
                    problem.set(None);
                    retry.set(None);
                    on_photo.run(Photo {
                        name,
                        image: Arc::new(image),
                        sample,
                    });
                }
                Err(NotDecoded {
                    message,
                    retry: again,
                }) => {
                    problem.set(Some(message));
                    retry.set(again.then_some((name, sample, file)));
                }
            }
        });
    };
    let try_again = move |_| {
        if let Some((name, sample, file)) = retry.get_untracked() {
            deliver(ticket(), name, sample, Ok(file));
        }
    };
    let deliver_bytes = Callback::new(move |(name, bytes): (String, Vec<u8>)| {
        deliver(
            ticket(),
            name,
            None,
            bytes_blob(&bytes).map_err(|why| read_problem(&why)),
        )
    });
    // A photo the embedding article hands over is the visitor's photo like any other.
    host::accept(InputKind::Image, move |input| {
        if let Input::Image { name, bytes } = input {
            deliver(
                ticket(),
                name,
                None,
                bytes_blob(&bytes).map_err(|why| read_problem(&why)),
            );
        }
    });

    // A file goes to the worker as it is: its bytes are never copied into the page's memory.
    let from_file = move |file: File| deliver(ticket(), file.name(), None, Ok(file.into()));
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

    let load_sample = move |file: &'static str| {
        let ticket = ticket();
        spawn_local(async move {
            deliver(
                ticket,
                file.to_string(),
                Some(file),
                sample_file(file).await,
            )
        })
    };
    // The first sample is the first pick: any the visitor makes before it arrives outranks it.
    if let Some(file) = first {
        load_sample(file);
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
            <SamplePhotos on_pick=Callback::new(load_sample) />
            <label class="file-button">
                {tr("选择图片…", "Choose a photo…")}
                // Every image, not only what decodes: a HEIC or GIF picked here is named in
                // the refusal, with what to save it as, where a narrower list would hide it.
                <input type="file" accept="image/*" data-testid="photo-file" on:change=on_pick />
            </label>
            <span class="hint">{tr("或拖放、粘贴图片到这里。图片只在本页处理，不会上传。", "or drop or paste one here. The photo is processed in this page and never uploaded.")}</span>
            {camera.then(|| view! { <CameraSnapshot on_photo=deliver_bytes on_error=on_error /> })}
        </div>
        <Show when=move || decoding.get()>
            <p class="hint" role="status" data-testid="photo-decoding">{tr("正在解码照片…", "Decoding the photo…")}</p>
        </Show>
        <Problem problem=problem testid="photo-problem" />
        <Show when=move || retry.with(Option::is_some)>
            <button data-testid="photo-retry" on:click=try_again>{tr("重试", "Try again")}</button>
        </Show>
    }
}

/// A photo's bytes that could not be handed on (the browser refused to make a blob of them).
fn read_problem(why: &str) -> Message {
    Message::new(
        format!("无法读取这张照片：{why}"),
        format!("Could not read the photo: {why}"),
    )
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
