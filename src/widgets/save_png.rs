//! "Save as PNG" for the lab's figures: a line chart (SVG, drawn onto a canvas with its computed
//! styles inlined, since the stylesheet does not travel with it) or a canvas (its pixels as
//! they are). The file is named after the demo and the figure: `optimizers-test-loss.png`.

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, Element, HtmlCanvasElement, Url};

use crate::i18n::{Message, tr};
use crate::runtime::{js_error_text, save_file};
use crate::widgets::problem::Problem;
use crate::widgets::value_map::context_2d;

/// The demo on the page, which the shell provides, for the files' names.
#[derive(Clone, Copy)]
pub struct CurrentDemo(pub &'static str);

/// The figure a save button saves.
#[derive(Clone, Copy)]
pub enum Figure {
    Svg(NodeRef<leptos::svg::Svg>),
    Canvas(NodeRef<Canvas>),
}

/// Chart pixels per displayed pixel: a saved chart stays sharp on a printed page.
const SVG_SCALE: f64 = 2.0;
/// What the chart's marks take from the stylesheet.
const STYLED: [&str; 8] = [
    "fill",
    "stroke",
    "stroke-width",
    "font-size",
    "font-family",
    "font-weight",
    "opacity",
    "text-anchor",
];

/// A button saving `figure` as `<demo>-<name>.png`, and why it could not, if it could not.
#[component]
pub fn SavePng(figure: Figure, name: &'static str) -> impl IntoView {
    let demo = use_context::<CurrentDemo>().map_or("lab", |d| d.0);
    let file_name = format!("{demo}-{name}.png");
    let problem = RwSignal::new(None::<Message>);
    let save = move |_| {
        let file_name = file_name.clone();
        spawn_local(async move {
            let saved = match figure {
                Figure::Svg(svg) => match svg.get_untracked() {
                    Some(svg) => svg_png(&svg).await,
                    None => Err("the chart is not on the page".into()),
                },
                Figure::Canvas(canvas) => match canvas.get_untracked() {
                    Some(canvas) => canvas_png(&canvas).await,
                    None => Err("the picture is not on the page".into()),
                },
            }
            .and_then(|png| save_file::offer(png, &file_name, "image/png"));
            problem.set(saved.err().map(|why| {
                Message::new(
                    format!("无法保存 PNG：{why}"),
                    format!("Could not save the PNG: {why}"),
                )
            }));
        });
    };
    view! {
        <button class="save-png" data-testid=format!("save-png-{name}") on:click=save>
            {tr("保存为 PNG", "Save as PNG")}
        </button>
        <Problem problem=problem testid="save-png-problem" />
    }
}

/// `canvas`'s pixels as a PNG blob, from `canvas.toBlob`.
async fn canvas_png(canvas: &HtmlCanvasElement) -> Result<Blob, String> {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |ok, _| resolve = Some(ok));
    let resolve = resolve.ok_or("no promise")?;
    let done = Closure::once(move |blob: JsValue| {
        let _ = resolve.call1(&JsValue::NULL, &blob);
    });
    canvas
        .to_blob_with_type(done.as_ref().unchecked_ref(), "image/png")
        .map_err(|e| js_error_text(&e))?;
    let blob = JsFuture::from(promise)
        .await
        .map_err(|e| js_error_text(&e))?;
    blob.dyn_into::<Blob>()
        .map_err(|_| "the browser made no image of it".to_string())
}

/// The chart drawn at [`SVG_SCALE`] on white, as a PNG blob.
async fn svg_png(svg: &Element) -> Result<Blob, String> {
    let js = |e: JsValue| js_error_text(&e);
    let shown = svg.get_bounding_client_rect();
    if shown.width() < 1.0 || shown.height() < 1.0 {
        return Err("the chart is not shown".into());
    }
    let (width, height) = (
        (shown.width() * SVG_SCALE).round(),
        (shown.height() * SVG_SCALE).round(),
    );
    let copy: Element = svg.clone_node_with_deep(true).map_err(js)?.unchecked_into();
    inline_styles(svg, &copy)?;
    copy.set_attribute("xmlns", "http://www.w3.org/2000/svg")
        .map_err(js)?;
    copy.set_attribute("width", &width.to_string())
        .map_err(js)?;
    copy.set_attribute("height", &height.to_string())
        .map_err(js)?;
    let markup = web_sys::XmlSerializer::new()
        .map_err(js)?
        .serialize_to_string(&copy)
        .map_err(js)?;
    let options = BlobPropertyBag::new();
    options.set_type("image/svg+xml;charset=utf-8");
    let parts = js_sys::Array::of1(&JsValue::from_str(&markup));
    let source = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js)?;
    let address = Url::create_object_url_with_blob(&source).map_err(js)?;
    let image = web_sys::HtmlImageElement::new().map_err(js)?;
    image.set_src(&address);
    let decoded = JsFuture::from(image.decode()).await;
    let _ = Url::revoke_object_url(&address);
    decoded.map_err(js)?;
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("canvas")
        .map_err(js)?
        .unchecked_into();
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let context = context_2d(&canvas).ok_or("no 2-D canvas")?;
    context.set_fill_style_str("#fff");
    context.fill_rect(0.0, 0.0, width, height);
    context
        .draw_image_with_html_image_element_and_dw_and_dh(&image, 0.0, 0.0, width, height)
        .map_err(js)?;
    canvas_png(&canvas).await
}

/// Copies [`STYLED`] from each element's computed style onto its copy's `style` attribute.
fn inline_styles(original: &Element, copy: &Element) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    if let Some(computed) = window
        .get_computed_style(original)
        .map_err(|e| js_error_text(&e))?
    {
        let style: String = STYLED
            .iter()
            .filter_map(|property| {
                let value = computed.get_property_value(property).ok()?;
                (!value.is_empty()).then(|| format!("{property}:{value};"))
            })
            .collect();
        copy.set_attribute("style", &style)
            .map_err(|e| js_error_text(&e))?;
    }
    let (originals, copies) = (original.children(), copy.children());
    for i in 0..originals.length() {
        if let (Some(original), Some(copy)) = (originals.item(i), copies.item(i)) {
            inline_styles(&original, &copy)?;
        }
    }
    Ok(())
}
