//! Project automation: `cargo xtask <command>`.

use std::process::ExitCode;

mod pkg;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(_) if pkg::handles(&args) => pkg::run(&args),
        _ => {
            eprintln!("usage: cargo xtask <command>\n\ncommands:\n  {}", pkg::ABOUT);
            ExitCode::from(2)
        }
    }
}
