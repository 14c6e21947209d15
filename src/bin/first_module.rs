// The site's first module (runtime/modules.rs): the full module's program, src/main.rs, which
// `cargo xtask finish-site` builds without the `full` feature under this name of its own, so that
// its wasm never replaces the full module's in target/.
include!("../main.rs");
