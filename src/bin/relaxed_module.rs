// The site's relaxed module (xtask/src/modules.rs): the full module's program, src/main.rs, which
// `cargo xtask finish-site` builds with the `relaxed-simd` feature under this name of its own, so
// that its wasm never replaces the full module's in target/.
include!("../main.rs");
