//! The playground's trainer in a tight loop, for `cargo xtask bench --compare`: TensorFlow.js's
//! loops step back to back, while the page paces its steps to frames (training.rs). The page's own
//! readout therefore cannot be compared with them like for like, and this loop can.

use js_sys::Object;
use lab_core::backend::{BackendKind, read_host};
use lab_core::train::Trainer;
use wasm_bindgen::prelude::*;

use super::{GRID, settings};
use crate::runtime::frame::now_ms;
use crate::runtime::worker::set;

/// Trains the network of a playground address's `query` (the data, layers, batch, learning rate
/// and optimizer keys the page reads) on `backend` for `ms` milliseconds. Steps run back to back
/// with nothing drawn. With `read_back_every_step`, each step's loss is read back, as tfjs's
/// `dataSync` after `minimize`. Without it, one loss is read back at the end, inside the time.
/// Answers `{steps, seconds, lossBefore, lossAfter}`; the losses are over the whole training
/// set, read outside the time. It holds the page's thread for `ms`, so only the benchmark calls
/// it (through trunk's `window.wasmBindings`).
#[wasm_bindgen(js_name = playgroundTightLoop)]
pub async fn tight_loop(
    query: String,
    backend: String,
    read_back_every_step: bool,
    ms: f64,
) -> Result<JsValue, JsValue> {
    let params = web_sys::UrlSearchParams::new_with_str(&query)?;
    let (spec, problems) = settings::parse(|key| params.get(key));
    if !problems.is_empty() {
        return Err(format!("the query's keys {problems:?} were refused").into());
    }
    let kind = BackendKind::from_id(&backend)
        .ok_or_else(|| JsValue::from_str(&format!("no backend {backend:?}")))?;
    let device = kind.open().await.map_err(|e| JsValue::from_str(&e))?;
    let mut trainer = Trainer::new(spec, device, GRID);
    let loss_now = async |trainer: &Trainer| {
        trainer
            .snapshot()
            .await
            .map(|snapshot| snapshot.train_loss)
            .map_err(|e| JsValue::from_str(&e.to_string()))
    };
    let loss_before = loss_now(&trainer).await?;
    let read = async |loss| read_host(loss).await.map_err(|e| JsValue::from_str(&e));
    let started = now_ms();
    let mut last = trainer.step();
    while now_ms() - started < ms {
        if read_back_every_step {
            read(last).await?;
        }
        last = trainer.step();
    }
    read(last).await?;
    let seconds = (now_ms() - started) / 1e3;
    let answer = Object::new();
    set(&answer, "steps", &(trainer.steps() as f64).into());
    set(&answer, "seconds", &seconds.into());
    set(&answer, "lossBefore", &loss_before.into());
    set(&answer, "lossAfter", &loss_now(&trainer).await?.into());
    Ok(answer.into())
}
