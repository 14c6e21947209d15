//! The landscape's setup in the link: the surface, the start point and which optimizers walk.
//! Plain parsers with native tests; a value that does not parse keeps its default.

use lab_core::landscape::Surface;

use super::RACERS;
use crate::runtime::url::{NO_ITEMS, list_value};

/// Which of [`RACERS`] walk, in its order.
pub type Walkers = [bool; RACERS.len()];

pub fn parse_surface(value: Option<&str>) -> Surface {
    value
        .and_then(Surface::from_id)
        .unwrap_or(Surface::Rosenbrock)
}

/// `x,y` inside `surface`'s domain; anything else is the surface's default start.
pub fn parse_start(value: Option<&str>, surface: Surface) -> [f32; 2] {
    let ([x0, x1], [y0, y1]) = surface.domain();
    value
        .and_then(|v| v.split_once(','))
        .and_then(|(x, y)| Some([x.trim().parse::<f32>().ok()?, y.trim().parse::<f32>().ok()?]))
        .filter(|[x, y]| (x0..=x1).contains(x) && (y0..=y1).contains(y))
        .unwrap_or_else(|| surface.default_start())
}

/// Written at f32's shortest exact form, so the link puts the point back bit for bit.
pub fn start_query([x, y]: [f32; 2]) -> String {
    format!("{x},{y}")
}

/// `sgd,adam`: the optimizers that walk; `none` for none. Unknown ids are skipped; a value
/// naming no optimizer at all (or no value) lets every one walk.
pub fn parse_walkers(value: Option<&str>) -> Walkers {
    let Some(value) = value else {
        return [true; RACERS.len()];
    };
    if value == NO_ITEMS {
        return [false; RACERS.len()];
    }
    let ids: Vec<&str> = value.split(',').collect();
    let walkers = RACERS.map(|(kind, _)| ids.contains(&kind.id()));
    if walkers.contains(&true) {
        walkers
    } else {
        [true; RACERS.len()]
    }
}

pub fn walkers_query(walkers: &Walkers) -> String {
    let ids: Vec<&str> = RACERS
        .iter()
        .zip(walkers)
        .filter(|(_, on)| **on)
        .map(|((kind, _), _)| kind.id())
        .collect();
    list_value(&ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_start_point_round_trips_exactly_and_stays_inside_the_surface() {
        let start = [-1.2345678f32, 2.5];
        assert_eq!(
            parse_start(Some(&start_query(start)), Surface::Rosenbrock),
            start
        );
        let default = Surface::Saddle.default_start();
        for bad in ["1", "x,1", "1,NaN", "1e9,0", "", "0,-1e9", "inf,0"] {
            assert_eq!(parse_start(Some(bad), Surface::Saddle), default, "{bad}");
        }
        assert_eq!(parse_start(None, Surface::Saddle), default);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_walkers_round_trip_and_nonsense_lets_all_walk() {
        let some = [true, false, false, true, false];
        assert_eq!(walkers_query(&some), "sgd,adam");
        assert_eq!(parse_walkers(Some("sgd,adam")), some);
        assert_eq!(parse_walkers(Some(&walkers_query(&[false; 5]))), [false; 5]);
        assert_eq!(
            parse_walkers(Some("sgd,nope")),
            [true, false, false, false, false]
        );
        for all in [Some("nope"), Some(""), None] {
            assert_eq!(parse_walkers(all), [true; 5], "{all:?}");
        }
        assert_eq!(parse_surface(Some("saddle")), Surface::Saddle);
        assert_eq!(parse_surface(Some("nope")), Surface::Rosenbrock);
    }
}
