//! The loop that owns the recommender's trainer: once per frame it trains as many steps as fit,
//! and every half epoch reads back an evaluation and the movies' side of the factorisation,
//! which the visitor's suggestions are computed from.

use std::rc::Rc;

use lab_core::recommend::trainer::{EPOCHS, RecommendSpec, RecommendTrainer};
use leptos::prelude::*;

use super::{Data, Settings, State};
use crate::i18n::Text;
use crate::runtime::backend::{ActiveBackend, Backend, Failure};
use crate::runtime::frame::now_ms;
use crate::runtime::job::{Job, Place, Placement, StepsPerFrame};

/// More steps a frame would make the curves jump.
const MAX_STEPS_PER_FRAME: usize = 20;
/// Epochs between two evaluations.
const EVALUATE_EVERY: f32 = 0.5;
/// Steps per second are averaged over windows this long, so the figure does not flicker.
const RATE_WINDOW_MS: f64 = 500.0;

pub(super) async fn training_loop(mut job: Job, state: State, backend: Backend) {
    let mut trainer: Option<RecommendTrainer> = None;
    let mut placement = Placement::<(Settings, usize)>::new();
    let mut steps = StepsPerFrame::new(MAX_STEPS_PER_FRAME);
    let mut evaluated_at = f32::NEG_INFINITY;
    let mut rate_window = (now_ms(), 0usize);
    while job.frame().await {
        let (Some(active), Some(data)) =
            (backend.active.get_untracked(), state.data.get_untracked())
        else {
            continue;
        };
        let settings = state.settings.get_untracked();
        let key = (settings, Rc::as_ptr(&data) as usize);
        let Some(place) = placement.place(key, active.generation) else {
            continue;
        };
        if place != Place::Stay {
            // After a lost GPU too the run starts again on the CPU: it is seconds long.
            trainer = Some(build(&data, settings, &active.device));
            state.history.set(Vec::new());
            evaluated_at = f32::NEG_INFINITY;
        }
        let Some(current) = trainer.as_mut() else {
            continue;
        };
        if state.running.get_untracked() {
            // On WebGPU the steps are only queued here; the evaluation's read-back waits for them.
            let started = now_ms();
            let count = steps.get();
            for _ in 0..count {
                current.step();
            }
            steps.adapt(now_ms() - started, job.budget_ms());
            rate_window.1 += count;
            let window_ms = now_ms() - rate_window.0;
            if window_ms > RATE_WINDOW_MS {
                state
                    .steps_per_second
                    .set((rate_window.1 as f64 * 1000.0 / window_ms) as f32);
                rate_window = (now_ms(), 0);
            }
        } else {
            rate_window = (now_ms(), 0);
        }
        if current.epochs() - evaluated_at < EVALUATE_EVERY {
            continue;
        }
        let read = async {
            let evaluation = current.evaluate().await?;
            let side = current.movie_side().await?;
            Ok::<_, String>((evaluation, side))
        };
        match read.await {
            Ok((evaluation, side)) => {
                state.history.update(|h| h.push(evaluation));
                state.side.set(Some(Rc::new(side)));
            }
            Err(why) => {
                fail(&mut placement, backend, &active, state, why);
                continue;
            }
        }
        evaluated_at = current.epochs();
        if current.epochs() >= EPOCHS {
            state.running.set(false);
        }
    }
}

fn build(data: &Data, settings: Settings, device: &burn::tensor::Device) -> RecommendTrainer {
    let spec = RecommendSpec {
        seed: 1 + u64::from(settings.resets),
        ..RecommendSpec::for_optimizer(settings.optimizer)
    };
    let shape = (data.movielens.users.len(), data.movielens.movies.len());
    RecommendTrainer::new(&spec, shape, data.train.clone(), data.test.clone(), device)
}

fn fail(
    placement: &mut Placement<(Settings, usize)>,
    backend: Backend,
    active: &ActiveBackend,
    state: State,
    why: String,
) {
    let failure = Failure::device(active, Text::new("计算出错", "Computation failed"), why);
    placement.fail(backend, active, failure, |message| {
        state.running.set(false);
        state.problem.set(Some(message));
    });
}
