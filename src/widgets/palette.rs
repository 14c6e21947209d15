//! Categorical colours that readers with red–green colour blindness still tell apart: Okabe and
//! Ito's palette (2008), for charts whose series, runs or groups are told by colour. The pages
//! never pair red with green to carry a meaning; value maps use orange–blue (value_map.rs).

pub const BLUE: &str = "#0072b2";
pub const VERMILLION: &str = "#d55e00";
pub const BLUISH_GREEN: &str = "#009e73";
pub const REDDISH_PURPLE: &str = "#cc79a7";
pub const ORANGE: &str = "#e69f00";
pub const SKY_BLUE: &str = "#56b4e9";
pub const YELLOW: &str = "#f0e442";
pub const BLACK: &str = "#000000";
