//! lab-core's native tests, one module per concept, linked into one binary: every module links
//! all of burn (three backends), and one binary per file cost a gigabyte and a link each, which
//! filled CI's disk.

mod common;

mod augment;
mod backends;
mod gradients;
mod kernels;
mod landscape;
mod linear_example;
mod optimizers;
mod peptides;
mod photo;
mod recommend;
mod regularization;
mod speech;
mod text;
mod text_kernels;
mod training;
mod vision;
