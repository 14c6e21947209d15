//! A value that follows another once it has stopped changing. The text demo computes after the
//! visitor pauses typing, not on every keystroke: one pass of a 12-layer encoder takes a few
//! hundred milliseconds on the CPU, and a pass per key would queue them behind each other.

use std::time::Duration;

use leptos::prelude::*;

/// `source`'s value, `ms` milliseconds after its last change.
pub fn debounced<T>(source: RwSignal<T>, ms: u64) -> ReadSignal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let settled = RwSignal::new(source.get_untracked());
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let value = source.get();
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let settle = move || {
            if settled.get_untracked() != value {
                settled.set(value);
            }
        };
        pending.set_value(set_timeout_with_handle(settle, Duration::from_millis(ms)).ok());
    });
    on_cleanup(move || {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
    });
    settled.read_only()
}
