//! `lab02`: course section 2, on a real store. See `lab02 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(2)
}
