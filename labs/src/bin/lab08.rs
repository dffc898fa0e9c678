//! `lab08`: course section 7, on a real store. See `lab08 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(8)
}
