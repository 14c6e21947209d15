//! The loop that owns the trainer: once per frame it applies what the controls asked for, trains
//! as many steps as fit in the frame's budget, and reads one [`Snapshot`] back.

use lab_core::train::{Snapshot, TrainError, TrainSpec, Trainer};
use leptos::prelude::*;

use super::{Controls, GRID, HISTORY_LIMIT, Status, View};
use crate::i18n::Text;
use crate::runtime::backend::{ActiveBackend, Backend, Failure};
use crate::runtime::frame::now_ms;
use crate::runtime::job::{Job, Place, Placement, StepsPerFrame};

/// More steps than this per frame would make the curves jump in big strides.
const MAX_STEPS_PER_FRAME: usize = 500;
/// Steps per second are averaged over windows this long, so the figure does not flicker.
const RATE_WINDOW_MS: f64 = 500.0;

pub(super) async fn training_loop(mut job: Job, controls: Controls, view: View, backend: Backend) {
    let mut trainer: Option<Trainer> = None;
    let mut placement = Placement::new();
    let mut steps_per_frame = StepsPerFrame::new(MAX_STEPS_PER_FRAME);
    let mut rate_window = (now_ms(), 0usize);
    while job.frame().await {
        let Some(active) = backend.active.get_untracked() else {
            continue;
        };
        let spec = controls.spec.get_untracked();
        let key = (spec.clone(), controls.resets.get_untracked());
        let Some(place) = placement.place(key, active.generation) else {
            continue;
        };
        if place != Place::Stay {
            trainer = Some(build(place, spec, &active, controls, view));
        }
        let Some(current) = trainer.as_mut() else {
            continue;
        };

        let running = controls.running.get_untracked() && view.status.get_untracked() == Status::Ok;
        let steps = if running {
            steps_per_frame.get()
        } else {
            let pending = controls.pending_steps.get_untracked() as usize;
            if pending > 0 {
                controls.pending_steps.set(0);
            }
            pending
        };
        for _ in 0..steps {
            current.step();
        }
        if steps == 0 && place == Place::Stay {
            rate_window = (now_ms(), 0);
            view.steps_per_second.set(0.0);
            continue;
        }

        match current.snapshot().await {
            Ok(snapshot) => show(snapshot, controls, view),
            Err(TrainError::Diverged { step }) => {
                controls.running.set(false);
                view.status.set(Status::Diverged(step));
            }
            Err(TrainError::Device(why)) => {
                let what = Text::new("计算出错", "Computation failed");
                let failure = Failure::device(&active, what, why);
                placement.fail(backend, &active, failure, |message| {
                    controls.running.set(false);
                    view.status.set(Status::Failed(message));
                });
            }
        }

        // The time includes the read-back: on WebGPU the steps were only queued.
        if running {
            steps_per_frame.adapt(job.spent_ms(), job.budget_ms());
        }
        rate_window.1 += steps;
        let window_ms = now_ms() - rate_window.0;
        if window_ms > RATE_WINDOW_MS {
            view.steps_per_second
                .set((rate_window.1 as f64 * 1000.0 / window_ms) as f32);
            rate_window = (now_ms(), 0);
        }
    }
}

/// A trainer for `spec` on `active`'s device: from a loaded file's weights and steps, or after a
/// device change alone carrying the last snapshot's over, instead of starting again.
fn build(
    place: Place,
    spec: TrainSpec,
    active: &ActiveBackend,
    controls: Controls,
    view: View,
) -> Trainer {
    let device = active.device.clone();
    if let Some((weights, steps)) = controls.restore.try_update(Option::take).flatten() {
        view.history.set(Vec::new());
        view.status.set(Status::Ok);
        return Trainer::resume(spec, device, GRID, &weights, steps);
    }
    match view.snapshot.get_untracked() {
        Some(last) if place == Place::Move => {
            Trainer::resume(spec, device, GRID, &last.weights, last.steps)
        }
        _ => {
            view.history.set(Vec::new());
            view.status.set(Status::Ok);
            Trainer::new(spec, device, GRID)
        }
    }
}

/// Puts a snapshot on the page; early stopping pauses the run.
fn show(snapshot: Snapshot, controls: Controls, view: View) {
    view.history.update(|history| {
        if history.len() >= HISTORY_LIMIT {
            *history = history.iter().step_by(2).copied().collect();
        }
        history.push((
            snapshot.steps as f32,
            snapshot.train_loss,
            snapshot.test_loss,
        ));
    });
    if snapshot.stop_early && view.status.get_untracked() == Status::Ok {
        controls.running.set(false);
        view.status.set(Status::StoppedEarly {
            best_test_loss: snapshot.best_test_loss,
            steps: snapshot.steps,
        });
    }
    view.snapshot.set(Some(snapshot));
}
