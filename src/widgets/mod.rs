//! Widgets every demo shares.

pub mod line_chart;
pub mod value_map;
