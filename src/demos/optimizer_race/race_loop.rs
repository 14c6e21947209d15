//! The loop that owns the race's trainers: every frame each run takes the same number of steps
//! and reads one snapshot back. Controls only write signals (as in the playground).

use lab_core::mlp::LayerWeights;
use lab_core::train::{TrainError, Trainer};
use leptos::prelude::*;

use super::entrants::race_spec;
use super::{Progress, Race};
use crate::i18n::{Lang, Text};
use crate::runtime::backend::{ActiveBackend, Backend, Failure, Reason};
use crate::runtime::frame::now_ms;
use crate::runtime::job::{Job, Place, Placement};

/// Steps every run takes per frame: equal for all, so the race stays in lockstep.
const STEPS_PER_FRAME: usize = 10;
/// Cells per side of the snapshot's prediction map, which the race does not draw.
const GRID: usize = 4;

/// A run's last snapshot weights and step count: where it resumes on another device.
type Saved = Option<(Vec<LayerWeights>, usize)>;

pub(super) async fn race_loop(mut job: Job, race: Race, backend: Backend, lang: RwSignal<Lang>) {
    let mut trainers: Vec<Trainer> = Vec::new();
    let mut saved: Vec<Saved> = Vec::new();
    let mut placement = Placement::new();
    while job.frame().await {
        let Some(active) = backend.active.get_untracked() else {
            continue;
        };
        let key = (
            race.entrants.get_untracked(),
            race.dataset.get_untracked(),
            race.seed.get_untracked(),
            race.resets.get_untracked(),
        );
        let Some(place) = placement.place(key.clone(), active.generation) else {
            continue;
        };
        // A backend the visitor picks restarts the race; a lost GPU moves it to the CPU.
        let lost = matches!(active.reason, Reason::GpuLost(_));
        match place {
            Place::Stay => {}
            Place::Move if lost => trainers = build(&key, &active, &saved),
            Place::Move | Place::Fresh => {
                race.running.set(false);
                saved = vec![None; key.0.len()];
                trainers = build(&key, &active, &saved);
                race.progress.set(vec![Progress::default(); trainers.len()]);
            }
        }
        let done = trainers
            .first()
            .is_some_and(|t| t.steps() >= race.finish.get_untracked());
        if done {
            race.running.set(false);
        }
        if !race.running.get_untracked() || done {
            continue;
        }
        let mut updates = race.progress.get_untracked();
        match run_frame(&mut trainers, &mut updates).await {
            // Only a frame every run finished is kept, so that all resume at one step count.
            Ok(weights) => {
                for (slot, weights) in saved.iter_mut().zip(weights) {
                    if weights.is_some() {
                        *slot = weights;
                    }
                }
                race.progress.set(updates);
            }
            Err(why) => {
                let what = Text::new("计算出错", "Computation failed");
                let failure = Failure::device(&active, what, why);
                placement.fail(backend, &active, failure, |message| {
                    race.running.set(false);
                    race.problem
                        .set(Some(message.get(lang.get_untracked()).to_string()));
                });
            }
        }
    }
}

/// A trainer per entrant on `active`'s device, each from its saved state when it has one.
fn build(
    (entrants, data, seed, _): &(Vec<super::Entrant>, lab_core::data::DatasetKind, u64, u32),
    active: &ActiveBackend,
    saved: &[Saved],
) -> Vec<Trainer> {
    entrants
        .iter()
        .zip(saved)
        .map(|(entrant, saved)| {
            let (spec, device) = (race_spec(entrant, *data, *seed), active.device.clone());
            match saved {
                Some((weights, steps)) => Trainer::resume(spec, device, GRID, weights, *steps),
                None => Trainer::new(spec, device, GRID),
            }
        })
        .collect()
}

/// One frame of the race: each run that has not diverged steps and reports. Returns each run's
/// new weights and step count (none for a run that sat out or diverged), or the device's error.
async fn run_frame(
    trainers: &mut [Trainer],
    updates: &mut [Progress],
) -> Result<Vec<Saved>, String> {
    let mut weights = Vec::with_capacity(trainers.len());
    for (trainer, update) in trainers.iter_mut().zip(updates.iter_mut()) {
        if update.diverged {
            // A diverged run sits out but keeps its step count in line with the others.
            weights.push(None);
            continue;
        }
        let started = now_ms();
        for _ in 0..STEPS_PER_FRAME {
            trainer.step();
        }
        match trainer.snapshot().await {
            Ok(snapshot) => {
                update.curve.push((
                    snapshot.steps as f32,
                    snapshot.train_loss,
                    snapshot.test_loss,
                ));
                weights.push(Some((snapshot.weights, snapshot.steps)));
            }
            Err(TrainError::Diverged { .. }) => {
                update.diverged = true;
                weights.push(None);
            }
            Err(TrainError::Device(why)) => return Err(why),
        }
        let elapsed = (now_ms() - started).max(0.01);
        update.steps_per_second = (STEPS_PER_FRAME as f64 * 1000.0 / elapsed) as f32;
    }
    Ok(weights)
}
