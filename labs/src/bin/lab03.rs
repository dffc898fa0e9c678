//! `lab03`: course section 2.5, on a real store. See `lab03 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(3)
}
