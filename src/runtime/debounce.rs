//! A value that follows another once it has stopped changing. The text demo computes after the
//! visitor pauses typing, not on every keystroke: one pass of a 12-layer encoder takes a few
//! hundred milliseconds on the CPU, and a pass per key would queue them behind each other.

use std::time::Duration;

use leptos::prelude::*;

/// At most one pending timeout, owned by the component that made it: starting one cancels the
/// one before, and the component's cleanup cancels the last, so none runs after the signals it
/// would touch are gone.
#[derive(Clone, Copy)]
pub struct Timeout {
    pending: StoredValue<Option<TimeoutHandle>>,
}

impl Timeout {
    /// A timeout slot cleared with the current reactive owner (the component making it).
    pub fn owned() -> Self {
        let pending = StoredValue::new(None::<TimeoutHandle>);
        on_cleanup(move || {
            if let Some(handle) = pending.get_value() {
                handle.clear();
            }
        });
        Self { pending }
    }

    /// Runs `then` after `ms` milliseconds, unless started again or cleared before.
    pub fn start(&self, then: impl FnOnce() + 'static, ms: u64) {
        self.clear();
        self.pending
            .set_value(set_timeout_with_handle(then, Duration::from_millis(ms)).ok());
    }

    pub fn clear(&self) {
        if let Some(handle) = self.pending.get_value() {
            handle.clear();
        }
    }
}

/// `source`'s value, `ms` milliseconds after its last change.
pub fn debounced<T>(source: RwSignal<T>, ms: u64) -> ReadSignal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let settled = RwSignal::new(source.get_untracked());
    let pending = Timeout::owned();
    Effect::new(move |_| {
        let value = source.get();
        let settle = move || {
            if settled.get_untracked() != value {
                settled.set(value);
            }
        };
        pending.start(settle, ms);
    });
    settled.read_only()
}
