//! `lab04`: course section 3, on a real store. See `lab04 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(4)
}
