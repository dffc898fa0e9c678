//! `lab06`: course section 5, on a real store. See `lab06 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(6)
}
