//! The lab's ML core: everything the demos compute, written with burn and nothing else.
//!
//! No web or UI type appears here, so every piece runs and is tested natively on each backend
//! and compiles unchanged to wasm. Tensors carry no backend type in burn 0.22: a [`Device`]
//! chosen at run time decides where they live, which is what [`backend::BackendKind`] wraps.
//!
//! [`Device`]: burn::tensor::Device

pub mod asset;
pub mod augment;
pub mod backend;
pub mod data;
pub mod epochs;
pub mod kernels;
pub mod landscape;
pub mod linear_example;
pub mod mlp;
pub mod optim;
pub mod peptides;
pub mod photo;
pub mod profile;
pub mod rank;
pub mod recommend;
pub mod regularize;
pub mod saved;
pub mod speech;
pub mod text;
pub mod train;
pub mod vision;
