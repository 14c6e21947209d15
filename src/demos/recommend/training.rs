//! The loop that owns the recommender's trainer: once per frame it trains as many steps as fit,
//! and every half epoch reads back an evaluation and the movies' side of the factorisation,
//! which the visitor's suggestions are computed from. A saved file asked for is written here, and
//! a loaded one replaces both models, evaluated at once so that the scores and the suggestions
//! are the file's.

use std::rc::Rc;

use lab_core::recommend::trainer::{EPOCHS, RecommendSpec, RecommendTrainer};
use leptos::prelude::*;

use super::{Data, Settings, State};
use crate::runtime::backend::Backend;
use crate::runtime::job::{EpochPace, Job, Place, Placement};

/// More steps a frame would make the curves jump.
const MAX_STEPS_PER_FRAME: usize = 20;
/// Epochs between two evaluations.
const EVALUATE_EVERY: f32 = 0.5;

pub(super) async fn training_loop(mut job: Job, state: State, backend: Backend) {
    let mut trainer: Option<RecommendTrainer> = None;
    let mut placement = Placement::<(Settings, usize)>::new();
    let mut pace = EpochPace::new(MAX_STEPS_PER_FRAME, EVALUATE_EVERY, EPOCHS);
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
            pace.restart();
        }
        let Some(current) = trainer.as_mut() else {
            continue;
        };
        if state.weights.take_save_request() {
            state.weights.offer(current.save().await);
        }
        if let Some(file) = state.weights.take_file() {
            match current.restore(&file) {
                Ok(()) => {
                    state.running.set(false);
                    state.history.set(Vec::new());
                    pace.restart();
                    state.weights.accept(&file);
                }
                Err(why) => state.weights.refuse(why),
            }
        }
        let running = state.running.get_untracked();
        let clock = current.clock();
        if !pace.train(
            &job,
            running,
            clock,
            || current.step(),
            state.steps_per_second,
        ) {
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
                placement.fail_run(backend, &active, why, state.running, state.problem);
                continue;
            }
        }
        if pace.evaluated(current.clock()) {
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
