// The full module's program (runtime/modules.rs); src/bin/first_module.rs includes this file, so
// the first module is the same program, built without the `full` feature.
//
// Static constructors (the `inventory` registrations of pliron, which cubecl links in) run once,
// here. Without an explicit call, wasm-ld links a binary "command-style": it wraps every export so
// that each call from JavaScript into wasm (every event handler, animation frame and string
// passed) runs all the constructors again, which a profile of the playground showed taking about
// a fifth of the page's main thread. Referencing `__wasm_call_ctors` tells wasm-ld that the
// program calls them itself, so it leaves the exports unwrapped (wit-bindgen does the same). Here
// in the binaries, not in the library: the wasm tests link the library without calling `main`,
// and need the wrapped exports to have the constructors run at all.
unsafe extern "C" {
    fn __wasm_call_ctors();
}

fn main() {
    // SAFETY: the linker's synthetic constructor runner, called once before anything else runs.
    unsafe { __wasm_call_ctors() };
    // One program, two roles: the page, and the lab's worker that the page starts from the same
    // wasm (runtime/worker.rs), so the worker costs no second download or build.
    if web_sys::window().is_some() {
        open_model_lab::mount();
    } else {
        open_model_lab::worker_program::serve();
    }
}
