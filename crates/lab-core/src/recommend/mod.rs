//! Article 2.3, recommender systems: MovieLens ratings (`data`), a bias-only model and matrix
//! factorisation trained side by side (`model`, `trainer`), and the visitor folded in as a new
//! user with explained suggestions and a map of the movies' tastes (`suggest`).

pub mod data;
pub mod model;
pub mod suggest;
pub mod trainer;
