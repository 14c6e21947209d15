//! Widgets every demo shares.

pub mod line_chart;
pub mod photo_input;
pub mod value_map;
