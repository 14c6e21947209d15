//! Widgets every demo shares.

pub mod kept_panel;
pub mod line_chart;
pub mod load_status;
pub mod model_picker;
pub mod op_profile;
pub mod palette;
pub mod photo_input;
pub mod problem;
pub mod run_controls;
pub mod save_png;
pub mod share;
pub mod slow_backend;
pub mod text_limit;
pub mod value_map;
pub mod weights_file;
