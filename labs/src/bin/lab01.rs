//! `lab01`: course section 1, on a real store. See `lab01 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(1)
}
