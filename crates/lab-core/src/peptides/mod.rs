//! Article 2.3, bioinformatics: telling antimicrobial peptides from others by their sequence.
//! modlamp's labelled sets ([`data`]), a 1-D convolutional network beside an amino-acid
//! composition baseline ([`model`]), both trained live on the same batches ([`trainer`]), and
//! the network's per-residue saliency by burn's autodiff.

pub mod data;
pub mod model;
pub mod trainer;
