//! The loop that walks every enabled optimizer across the surface, as many steps a frame as fit
//! its budget, and reveals the paths a few points a frame. When the GPU is lost the walks carry
//! on on the CPU from the last points read back, so the paths already drawn stay.

use lab_core::landscape::{Surface, Tracer};
use lab_core::optim::OptimizerSpec;
use leptos::prelude::*;

use super::{Landscape, RACERS, STEPS, default_learning_rate};
use crate::i18n::{Lang, Message, Text};
use crate::runtime::backend::{ActiveBackend, Backend, Failure};
use crate::runtime::job::{Job, Place, Placement, StepsPerFrame};

/// Path points revealed per animation frame, so the race across the surface is visible.
const REVEAL_PER_FRAME: usize = 4;

/// One optimizer's walk; `None` once it is over (all steps taken, or the value blew up).
type Walk = Option<Tracer>;

pub(super) async fn path_loop(
    mut job: Job,
    state: Landscape,
    backend: Backend,
    lang: RwSignal<Lang>,
) {
    let mut placement = Placement::new();
    let mut walks: Vec<Walk> = Vec::new();
    let mut steps = StepsPerFrame::new(STEPS);
    while job.frame().await {
        let longest = state
            .paths
            .with_untracked(|p| p.iter().map(|(_, points)| points.len()).max().unwrap_or(0));
        if state.shown.get_untracked() < longest {
            state
                .shown
                .update(|n| *n = (*n + REVEAL_PER_FRAME).min(longest));
        }
        let Some(active) = backend.active.get_untracked() else {
            continue;
        };
        let key = (
            state.surface.get_untracked(),
            state.start.get_untracked(),
            state.enabled.get_untracked(),
        );
        let Some(place) = placement.place(key, active.generation) else {
            continue;
        };
        let built = match place {
            Place::Stay => Ok(()),
            Place::Fresh => start_walks(&mut walks, state, &active, key.0),
            Place::Move => move_walks(&mut walks, state, &active, key.0),
        };
        let walked = match built {
            Ok(()) => walk(&mut walks, state, steps.get()).await.map_err(|why| {
                Failure::device(&active, Text::new("路径计算出错", "A path failed"), why)
            }),
            Err(failure) => Err(failure),
        };
        match walked {
            Ok(true) => steps.adapt(job.spent_ms(), job.budget_ms()),
            Ok(false) => {}
            Err(failure) => placement.fail(backend, &active, failure, |message| {
                state
                    .problem
                    .set(Some(message.get(lang.get_untracked()).to_string()))
            }),
        }
    }
}

/// A new walk per enabled optimizer from the start point; the paths hold just that point.
fn start_walks(
    walks: &mut Vec<Walk>,
    state: Landscape,
    active: &ActiveBackend,
    surface: Surface,
) -> Result<(), Failure> {
    let (start, enabled) = (state.start.get_untracked(), state.enabled.get_untracked());
    let racers: Vec<usize> = (0..RACERS.len()).filter(|i| enabled[*i]).collect();
    state
        .paths
        .set(racers.iter().map(|&i| (i, vec![start])).collect());
    state.shown.set(1);
    let started = racers
        .iter()
        .map(|&i| tracer(surface, i, start, active).map(Some))
        .collect();
    replace(walks, started)
}

/// The unfinished walks again on `active`'s device, each from the last point of its path.
fn move_walks(
    walks: &mut Vec<Walk>,
    state: Landscape,
    active: &ActiveBackend,
    surface: Surface,
) -> Result<(), Failure> {
    let paths = state.paths.get_untracked();
    let moved: Result<Vec<Walk>, Failure> = walks
        .iter()
        .zip(&paths)
        .map(|(walk, (index, points))| match (walk, points.last()) {
            (Some(_), Some(&last)) => tracer(surface, *index, last, active).map(Some),
            _ => Ok(None),
        })
        .collect::<Result<_, _>>();
    replace(walks, moved)
}

/// The new walks, or none when one could not start: they must match the paths one to one.
fn replace(walks: &mut Vec<Walk>, new: Result<Vec<Walk>, Failure>) -> Result<(), Failure> {
    match new {
        Ok(new) => {
            *walks = new;
            Ok(())
        }
        Err(failure) => {
            walks.clear();
            Err(failure)
        }
    }
}

/// A walk of optimizer `index` from `from`; refused only for a setting out of range, which the
/// page's fixed settings never are.
fn tracer(
    surface: Surface,
    index: usize,
    from: [f32; 2],
    active: &ActiveBackend,
) -> Result<Tracer, Failure> {
    let kind = RACERS[index].0;
    let learning_rate = default_learning_rate(surface, kind);
    let spec = OptimizerSpec::defaults(kind);
    Tracer::new(surface, &spec, learning_rate, from, &active.device)
        .map_err(|why| Failure::Shown(Message::new(why.clone(), why)))
}

/// Takes up to `steps` more steps on every unfinished walk and appends the points reached.
/// Returns whether any walk was advanced.
async fn walk(walks: &mut [Walk], state: Landscape, steps: usize) -> Result<bool, String> {
    let mut walked = false;
    for (slot, walk) in walks.iter_mut().enumerate() {
        let Some(tracer) = walk else {
            continue;
        };
        let taken = state.paths.with_untracked(|p| p[slot].1.len() - 1);
        let wanted = steps.min(STEPS - taken);
        let points = tracer.advance(wanted).await?;
        if points.len() < wanted || taken + wanted == STEPS {
            *walk = None;
        }
        state.paths.update(|p| p[slot].1.extend(points));
        walked = true;
    }
    Ok(walked)
}
