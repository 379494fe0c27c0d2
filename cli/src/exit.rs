//! Exit codes shared by every command, and the error type that carries one.

use govgate_core::{Diagnostics, Outcome};

/// Auto / allowed / approved / every test passed.
pub const OK: u8 = 0;
/// An error: unreadable file, invalid policy or input, evaluation error.
pub const ERROR: u8 = 1;
/// A usage error: bad flags or arguments (clap's own code too).
pub const USAGE: u8 = 2;
/// Approval required.
pub const APPROVAL: u8 = 3;
/// Blocked / denied / rejected / a test failed / `fmt --check` found unformatted files.
pub const DENIED: u8 = 4;
/// Expired or timed out (reserved for `gate` and approvals).
#[allow(dead_code)]
pub const EXPIRED: u8 = 5;

/// The table printed under every command's `--help`.
pub const HELP: &str = "\
Exit codes:
  0  auto / allowed / approved / all tests passed
  1  error (unreadable file, invalid policy or input, evaluation error)
  2  usage error
  3  approval required
  4  blocked / denied / rejected / tests failed / files need formatting
  5  expired or timed out";

/// The exit code for an outcome.
pub fn for_outcome(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Auto => OK,
        Outcome::Approval => APPROVAL,
        Outcome::Block => DENIED,
    }
}

/// A command that could not do its job: what to print on stderr, and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code (ERROR or USAGE).
    pub code: u8,
    /// The message, ending with a newline.
    pub message: String,
}

impl Failure {
    /// An error (exit 1) with a one-line message.
    pub fn error(message: impl AsRef<str>) -> Failure {
        Failure {
            code: ERROR,
            message: format!("error: {}\n", message.as_ref()),
        }
    }

    /// A usage error (exit 2) with a one-line message.
    pub fn usage(message: impl AsRef<str>) -> Failure {
        Failure {
            code: USAGE,
            message: format!("error: {}\n", message.as_ref()),
        }
    }

    /// Rendered diagnostics (exit 1).
    pub fn diagnostics(d: &Diagnostics) -> Failure {
        let mut message = d.render();
        if !message.ends_with('\n') {
            message.push('\n');
        }
        Failure {
            code: ERROR,
            message,
        }
    }
}

impl From<Diagnostics> for Failure {
    fn from(d: Diagnostics) -> Failure {
        Failure::diagnostics(&d)
    }
}
