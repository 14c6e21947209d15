//! The one frame-paced job runner. Every training loop and every long computation in a demo runs
//! as a [`Job`]: it hands the thread back to the page at animation frames so the page keeps
//! drawing and answering input, it spends at most a time budget per frame, and it ends when the
//! component that started it is unmounted.
//!
//! Two shapes of work use it:
//!
//! - a loop that does some work every frame (training): `while job.frame().await { … }`, with
//!   [`StepsPerFrame`] steering how many steps fit in the budget, and [`EpochPace`] placing the
//!   evaluations of a run counted in epochs;
//! - long synchronous work cut into pieces (a forward pass stage by stage): call
//!   `job.checkpoint().await` between pieces; it yields only once the budget is spent.
//!
//! [`Placement`] follows the backend for work that lives on a device, so that after a lost GPU
//! the work moves to the CPU with its state instead of starting over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lab_core::epochs::EpochClock;
use leptos::prelude::{RwSignal, Set};

use crate::i18n::{Message, Text};
use crate::runtime::backend::{ActiveBackend, Backend, Failure};
use crate::runtime::frame::{next_frame, now_ms};

/// Work paced by animation frames and cancelled when its component goes away. A clone shares
/// the cancellation, so a component makes one and hands a clone to each piece of work it starts.
#[derive(Clone)]
pub struct Job {
    live: Arc<AtomicBool>,
    budget_ms: f64,
    /// When the current frame's share of work began.
    since: f64,
}

impl Job {
    /// A job owned by the calling component, spending at most `budget_ms` per frame. Call it in
    /// the component's body: it registers the cleanup that cancels the job on unmount.
    pub fn new(budget_ms: f64) -> Self {
        let live = Arc::new(AtomicBool::new(true));
        let flag = live.clone();
        leptos::prelude::on_cleanup(move || flag.store(false, Ordering::Relaxed));
        Self {
            live,
            budget_ms,
            since: now_ms(),
        }
    }

    /// Whether the component that owns the job is still mounted.
    pub fn live(&self) -> bool {
        self.live.load(Ordering::Relaxed)
    }

    /// Waits for the next animation frame and starts its budget; false once the job is
    /// cancelled, so `while job.frame().await { … }` is the whole loop.
    pub async fn frame(&mut self) -> bool {
        if self.live() {
            next_frame().await;
            self.since = now_ms();
        }
        self.live()
    }

    /// Between pieces of long work: waits for the next frame only if this frame's budget is
    /// spent, so short pieces share a frame. False once the job is cancelled.
    pub async fn checkpoint(&mut self) -> bool {
        if self.spent_ms() >= self.budget_ms {
            return self.frame().await;
        }
        self.live()
    }

    /// Milliseconds of work since this frame's share began.
    pub fn spent_ms(&self) -> f64 {
        now_ms() - self.since
    }

    pub fn budget_ms(&self) -> f64 {
        self.budget_ms
    }
}

/// How many training steps a frame takes, steered so that the steps and their read-back fill the
/// frame's budget. On WebGPU a step is only queued; the time shows up in the read-back, so the
/// time to pass to [`StepsPerFrame::adapt`] is measured through it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepsPerFrame {
    steps: f64,
    max: f64,
}

impl StepsPerFrame {
    /// Starts at one step a frame and never goes above `max`.
    pub fn new(max: usize) -> Self {
        Self {
            steps: 1.0,
            max: max.max(1) as f64,
        }
    }

    /// The steps to take this frame.
    pub fn get(&self) -> usize {
        self.steps.round().max(1.0) as usize
    }

    /// After a frame that took [`StepsPerFrame::get`] steps in `spent_ms`: moves towards the
    /// count that fits `budget_ms`, by at most half or one and a half times per frame so that
    /// one slow frame (a garbage collection, a tab switch) does not swing it.
    pub fn adapt(&mut self, spent_ms: f64, budget_ms: f64) {
        let scale = (budget_ms / spent_ms.max(0.5)).clamp(0.5, 1.5);
        self.steps = (self.steps * scale).clamp(1.0, self.max);
    }

    /// Takes this frame's steps with `step`, but at most `limit`, adapts to the time they took
    /// against `job`'s budget, and returns how many it took (for a loop whose steps are its
    /// whole frame). A frame cut short by `limit` adapts as if it had taken them all at the
    /// same pace.
    pub fn run(&mut self, job: &Job, limit: usize, mut step: impl FnMut()) -> usize {
        let started = now_ms();
        let count = self.get().min(limit);
        for _ in 0..count {
            step();
        }
        if count > 0 {
            let spent = (now_ms() - started) * self.get() as f64 / count as f64;
            self.adapt(spent, job.budget_ms());
        }
        count
    }
}

/// The pace of a training run counted in epochs: each frame as many steps as fit the budget but
/// never past the next evaluation, the steps/s readout, and evaluations at exact multiples of
/// `every` epochs until `last`. A curve then has the points its axis promises however many steps
/// a fast machine fits in a frame.
pub struct EpochPace {
    steps: StepsPerFrame,
    rate: StepRate,
    every: f32,
    last: f32,
    next: f32,
}

impl EpochPace {
    pub fn new(max_steps_per_frame: usize, every: f32, last: f32) -> Self {
        Self {
            steps: StepsPerFrame::new(max_steps_per_frame),
            rate: StepRate::new(),
            every,
            last,
            next: 0.0,
        }
    }

    /// For a trainer built afresh, at step zero: its first evaluation is due at once.
    pub fn restart(&mut self) {
        self.next = 0.0;
    }

    /// This frame's steps when `running`, from the trainer's `clock` before them, with the rate
    /// into `steps_per_second`. True when an evaluation is due.
    pub fn train(
        &mut self,
        job: &Job,
        running: bool,
        clock: EpochClock,
        step: impl FnMut(),
        steps_per_second: RwSignal<f32>,
    ) -> bool {
        let mut taken = 0;
        if running {
            taken = self.steps.run(job, clock.steps_until(self.next), step);
            if let Some(rate) = self.rate.count(taken) {
                steps_per_second.set(rate);
            }
        } else {
            self.rate.pause();
        }
        EpochClock {
            steps: clock.steps + taken,
            ..clock
        }
        .reached(self.next)
    }

    /// After an evaluation at `clock`: sets the next one, and says whether the run has reached
    /// its last epoch, where it stops.
    pub fn evaluated(&mut self, clock: EpochClock) -> bool {
        while clock.reached(self.next) {
            self.next += self.every;
        }
        clock.reached(self.last)
    }
}

/// Training steps per second of wall time, over windows of half a second so that the figure does
/// not flicker. On WebGPU steps are only queued, but the read-backs between windows wait for
/// them, so over a window the rate counts them all.
struct StepRate {
    since: f64,
    steps: usize,
}

impl StepRate {
    const WINDOW_MS: f64 = 500.0;

    pub fn new() -> Self {
        Self {
            since: now_ms(),
            steps: 0,
        }
    }

    /// After `steps` more steps: the rate over the window, when one has just closed.
    pub fn count(&mut self, steps: usize) -> Option<f32> {
        self.steps += steps;
        let window_ms = now_ms() - self.since;
        (window_ms > Self::WINDOW_MS).then(|| {
            let rate = (self.steps as f64 * 1000.0 / window_ms) as f32;
            *self = Self::new();
            rate
        })
    }

    /// While training is paused the window starts afresh, so a pause does not count as slowness.
    pub fn pause(&mut self) {
        *self = Self::new();
    }
}

impl Default for StepRate {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a job's device work stands on the active backend: built from settings `K`, it moves to
/// a new device with its state when the GPU is lost, and starts afresh when the settings change.
pub struct Placement<K> {
    built: Option<(K, u32)>,
    /// A device that failed is not used again while the switch to the CPU is under way.
    failed: Option<u32>,
}

/// What the work must do this frame, from [`Placement::place`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Carry on where it is.
    Stay,
    /// The settings changed (or nothing is built yet): build afresh on the device.
    Fresh,
    /// Only the device changed: rebuild there from the state last read back.
    Move,
}

impl<K: PartialEq> Placement<K> {
    pub fn new() -> Self {
        Self {
            built: None,
            failed: None,
        }
    }

    /// What to do for settings `key` on the backend of `generation` ([`ActiveBackend`]'s);
    /// `None` while a failed device is being replaced.
    pub fn place(&mut self, key: K, generation: u32) -> Option<Place> {
        if self.failed == Some(generation) {
            return None;
        }
        let place = match &self.built {
            Some((built, built_on)) if *built == key => {
                if *built_on == generation {
                    Place::Stay
                } else {
                    Place::Move
                }
            }
            _ => Place::Fresh,
        };
        self.built = Some((key, generation));
        Some(place)
    }

    /// The one way the work's failures end ([`Backend::handle`]): a lost GPU also parks the
    /// work until the CPU device arrives, when [`Placement::place`] says [`Place::Move`].
    pub fn fail(
        &mut self,
        backend: Backend,
        active: &ActiveBackend,
        failure: Failure,
        show: impl FnOnce(Message),
    ) {
        if matches!(failure, Failure::GpuLost { .. }) {
            self.failed = Some(active.generation);
        }
        backend.handle(failure, show);
    }

    /// A training run's failure on `active`: it stops, and its message goes to `problem`.
    pub fn fail_run(
        &mut self,
        backend: Backend,
        active: &ActiveBackend,
        why: String,
        running: RwSignal<bool>,
        problem: RwSignal<Option<Message>>,
    ) {
        let failure = Failure::device(active, Text::new("计算出错", "Computation failed"), why);
        self.fail(backend, active, failure, |message| {
            running.set(false);
            problem.set(Some(message));
        });
    }
}

impl<K: PartialEq> Default for Placement<K> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn steps_per_frame_grow_into_the_budget_and_shrink_out_of_it() {
        let mut steps = StepsPerFrame::new(500);
        assert_eq!(steps.get(), 1);
        // Fast steps: one and a half times more per frame, up to the cap.
        for _ in 0..40 {
            steps.adapt(1.0, 10.0);
        }
        assert_eq!(steps.get(), 500);
        // A frame twice over budget halves the count at most once.
        steps.adapt(20.0, 10.0);
        assert_eq!(steps.get(), 250);
        steps.adapt(1000.0, 10.0);
        assert_eq!(steps.get(), 125);
        for _ in 0..40 {
            steps.adapt(1000.0, 10.0);
        }
        assert_eq!(steps.get(), 1);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn evaluations_fall_on_each_half_epoch_whatever_the_steps_per_frame() {
        // 90 examples in batches of 32: half an epoch is 1.4 steps, so evaluations fall inside
        // what a frame would take once the unlimited budget has grown it past two steps.
        let clock = |steps| EpochClock {
            steps,
            batch: 32,
            examples: 90,
        };
        let job = Job::new(f64::INFINITY);
        let steps_per_second = RwSignal::new(0.0);
        let mut pace = EpochPace::new(20, 0.5, 3.0);
        let mut steps = 0;
        let mut evaluated_at = Vec::new();
        for _ in 0..100 {
            let before = clock(steps);
            if pace.train(&job, true, before, || steps += 1, steps_per_second) {
                evaluated_at.push(steps);
                if pace.evaluated(clock(steps)) {
                    break;
                }
            }
        }
        // ceil(k · 0.5 · 90 / 32) for k = 0..=6, then the run stops at epoch 3.
        assert_eq!(evaluated_at, [0, 2, 3, 5, 6, 8, 9]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn work_moves_when_only_the_device_changes_and_rebuilds_when_the_settings_do() {
        let mut placement = Placement::new();
        assert_eq!(placement.place("a", 0), Some(Place::Fresh));
        assert_eq!(placement.place("a", 0), Some(Place::Stay));
        assert_eq!(placement.place("a", 1), Some(Place::Move));
        assert_eq!(placement.place("b", 1), Some(Place::Fresh));
        assert_eq!(placement.place("c", 2), Some(Place::Fresh));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_lost_device_parks_the_work_until_the_next_one() {
        let mut placement = Placement::new();
        placement.place("a", 0);
        placement.failed = Some(0);
        assert_eq!(placement.place("a", 0), None);
        assert_eq!(placement.place("a", 1), Some(Place::Move));
    }
}
