//! What the browser adds to the ML core: picking the device, pacing work by frames, the URL.

pub mod backend;
pub mod frame;
pub mod url;
