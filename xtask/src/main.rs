//! Project automation: `cargo xtask <command>`.

use std::process::ExitCode;

mod bench;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <command>\n\ncommands:\n  bench [FILTER] [--markdown]  {}", bench::ABOUT);
            ExitCode::from(2)
        }
    }
}
