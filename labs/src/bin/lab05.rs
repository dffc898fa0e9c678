//! `lab05`: course section 4, on a real store. See `lab05 --help`.

fn main() -> std::process::ExitCode {
    capas_labs::lab::main(5)
}
