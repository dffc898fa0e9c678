//! `lab09`: course section 8 and the final challenge. See `lab09 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(9)
}
