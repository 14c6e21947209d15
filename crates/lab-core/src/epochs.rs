//! Epochs counted from minibatch steps, for the trainers that step through a fixed set in
//! batches of one size (peptides, recommender, keywords). Counting in whole steps gives every
//! caller the same answer to "has epoch e been reached?", which a float epoch compared by each
//! caller does not: the pages evaluate at exact multiples of half an epoch whatever the number
//! of steps a frame takes, and the benches stop at the same step the page does.

/// Where a minibatch trainer stands: `steps` taken, each on `batch` of `examples`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochClock {
    pub steps: usize,
    pub batch: usize,
    pub examples: usize,
}

impl EpochClock {
    /// Passes over the examples so far.
    pub fn epochs(&self) -> f32 {
        (self.steps * self.batch) as f32 / self.examples.max(1) as f32
    }

    /// The steps still to take before `epochs` passes are complete; zero once they are.
    pub fn steps_until(&self, epochs: f32) -> usize {
        let needed = (f64::from(epochs) * self.examples as f64 / self.batch.max(1) as f64).ceil();
        (needed.max(0.0) as usize).saturating_sub(self.steps)
    }

    /// Whether `epochs` passes are complete.
    pub fn reached(&self, epochs: f32) -> bool {
        self.steps_until(epochs) == 0
    }
}
