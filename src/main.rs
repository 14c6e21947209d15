fn main() {
    open_model_lab::mount();
}
