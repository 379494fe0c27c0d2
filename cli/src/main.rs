//! `govgate`: evaluate actions, check manifests, test, format, validate and compile policies, and sign
//! overrides, from the command line.
//!
//! Every command exits with the same codes (see [`exit`]): 0 auto / allowed / passed,
//! 3 approval required, 4 blocked / denied / failed, 5 expired, 1 error, 2 usage.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod args;
mod check;
mod compile;
mod eval;
mod exit;
mod fmt;
mod io;
mod json_fmt;
mod overrides;
mod render;
mod schema;
mod style;
mod test;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    // A panic is a bug in govgate or a dependency: say so plainly, without a backtrace, and
    // exit with the error code rather than 101.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        io::eprint(&format!(
            "error: govgate hit an internal error{place}; please report it\n"
        ));
        std::process::exit(i32::from(exit::ERROR));
    }));

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0; usage errors exit 2 (clap's own code).
        Err(e) => e.exit(),
    };
    let style = style::Style::for_stdout();
    let result = match cli.command {
        Command::Eval(a) => eval::run(&a, style),
        Command::Check(a) => check::run(&a, style),
        Command::Compile(a) => compile::run(&a),
        Command::Test(a) => test::run(&a, style),
        Command::Fmt(a) => fmt::run(&a),
        Command::Validate(a) => validate::run(&a, style),
        Command::Schema => schema::run(),
        Command::Override(a) => overrides::run(&a),
    };
    let code = match result {
        Ok(code) => code,
        Err(failure) => {
            io::eprint(&failure.message);
            failure.code
        }
    };
    // Output that could not be written is an error, whatever the command decided.
    if let Some(why) = io::stdout_failure() {
        io::eprint(&format!("error: cannot write to standard output: {why}\n"));
        return ExitCode::from(exit::ERROR);
    }
    ExitCode::from(code)
}
