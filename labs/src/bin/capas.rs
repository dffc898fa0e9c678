//! `capas`: Docker's image commands over a capas store. See `capas --help`.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = capas_labs::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = capas_labs::cli::run(cli, &mut out);
    // A closed pipe (`capas images | head -1`) is not an error worth a message.
    let _ = out.flush();
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            // One line, the outermost context first, as Docker prints `Error: …`. Core errors
            // already quote their cause in their text, so a cause seen before is not repeated.
            let mut line = String::new();
            for cause in err.chain().map(|c| c.to_string()) {
                if !line.contains(&cause) {
                    if !line.is_empty() {
                        line.push_str(": ");
                    }
                    line.push_str(&cause);
                }
            }
            eprintln!("Error: {line}");
            ExitCode::from(1)
        }
    }
}
