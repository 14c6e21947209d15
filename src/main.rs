// The full module (runtime/modules.rs): what trunk builds. src/bin/first_module.rs is the same
// program, built without the `full` feature.
fn main() {
    open_model_lab::start();
}
