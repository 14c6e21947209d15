//! The loop that owns the peptide trainer: once per frame it trains as many steps as fit, reads
//! an evaluation back every half epoch, and re-reads the visitor's sequence after each
//! evaluation or edit, so the saliency follows the training.

use std::rc::Rc;

use lab_core::peptides::data::{self, DATASETS};
use lab_core::peptides::trainer::{self, EPOCHS, PeptideSpec, PeptideTrainer, SAVED_SET};
use lab_core::saved::{Saved, SavedError};
use leptos::prelude::*;

use super::{Settings, Split, State};
use crate::runtime::backend::Backend;
use crate::runtime::job::{EpochPace, Job, Place, Placement};

/// More steps a frame would make the curves jump.
const MAX_STEPS_PER_FRAME: usize = 50;
/// Epochs between two evaluations.
const EVALUATE_EVERY: f32 = 0.5;

pub(super) async fn training_loop(mut job: Job, state: State, backend: Backend) {
    let mut trainer: Option<PeptideTrainer> = None;
    let mut placement = Placement::<(Settings, usize)>::new();
    let mut pace = EpochPace::new(MAX_STEPS_PER_FRAME, EVALUATE_EVERY, EPOCHS);
    let mut read_text: Option<String> = None;
    // A loaded file trained on another set, waiting for that set's trainer.
    let mut waiting: Option<Saved> = None;
    while job.frame().await {
        let (Some(active), Some(split)) =
            (backend.active.get_untracked(), state.data.get_untracked())
        else {
            continue;
        };
        let settings = state.settings.get_untracked();
        // The split's address tells a reloaded set from the one the trainer was built on.
        let key = (settings, Rc::as_ptr(&split) as usize);
        let Some(place) = placement.place(key, active.generation) else {
            continue;
        };
        if place != Place::Stay {
            // After a lost GPU too the run starts again on the CPU: it is seconds long.
            trainer = Some(build(&split, settings, &active.device));
            state.history.set(Vec::new());
            pace.restart();
            read_text = None;
        }
        let Some(current) = trainer.as_mut() else {
            continue;
        };
        if state.weights.take_save_request() {
            state.weights.offer(current.save(split.set.id).await);
        }
        if let Some(file) = state.weights.take_file().or_else(|| waiting.take()) {
            match file
                .setting(SAVED_SET)
                .map(|id| DATASETS.iter().find(|d| d.id == id))
            {
                Err(why) => state.weights.refuse(why),
                Ok(None) => state.weights.refuse(SavedError::Settings(format!(
                    "unknown data set {:?}",
                    file.settings[SAVED_SET]
                ))),
                Ok(Some(set)) if set != split.set => {
                    state.running.set(false);
                    state.settings.update(|s| s.set = set);
                    waiting = Some(file);
                    continue;
                }
                Ok(Some(_)) => match current.restore(&file) {
                    Ok(()) => {
                        state.running.set(false);
                        state.history.set(Vec::new());
                        pace.restart();
                        read_text = None;
                        state.weights.accept(&file);
                    }
                    Err(why) => state.weights.refuse(why),
                },
            }
        }
        let running = state.running.get_untracked();
        let clock = current.clock();
        if pace.train(
            &job,
            running,
            clock,
            || current.step(),
            state.steps_per_second,
        ) {
            match current.evaluate().await {
                Ok(evaluation) => state.history.update(|h| h.push(evaluation)),
                Err(why) => {
                    placement.fail_run(backend, &active, why, state.running, state.problem);
                    continue;
                }
            }
            read_text = None;
            if pace.evaluated(current.clock()) {
                state.running.set(false);
            }
        }
        let text = state.sequence.get_untracked();
        if read_text.as_ref() != Some(&text) {
            read_text = Some(text.clone());
            match data::read_sequence(&text) {
                Ok(residues) => {
                    match trainer::read(current.network(), &residues, &active.device).await {
                        Ok(reading) => state.reading.set(Some(reading)),
                        Err(why) => {
                            placement.fail_run(backend, &active, why, state.running, state.problem)
                        }
                    }
                }
                // The panel says what is wrong with the text.
                Err(_) => state.reading.set(None),
            }
        }
    }
}

fn build(split: &Split, settings: Settings, device: &burn::tensor::Device) -> PeptideTrainer {
    let spec = PeptideSpec {
        seed: 1 + u64::from(settings.resets),
        ..PeptideSpec::for_optimizer(settings.optimizer)
    };
    PeptideTrainer::new(&spec, split.train.clone(), split.test.clone(), device)
}
