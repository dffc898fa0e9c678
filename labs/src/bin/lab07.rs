//! `lab07`: course section 6, on a real store. See `lab07 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(7)
}
