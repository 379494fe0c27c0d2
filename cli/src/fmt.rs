//! `govgate fmt`: YAML through core's comment-keeping formatter, JSON re-indented, TOML left
//! as it is.

use std::path::Path;

use govgate_core::source::{self, Format};

use crate::args::FmtArgs;
use crate::exit::{self, Failure};
use crate::io;
use crate::json_fmt;

/// What formatting a file gives.
enum Formatted {
    /// The formatted text.
    Text(String),
    /// The format is not formatted (TOML).
    Unsupported(&'static str),
}

fn format_file(path: &Path, text: &str) -> Result<Formatted, Failure> {
    let name = io::display(path);
    match io::format_of(&name, text) {
        Format::Yaml => Ok(Formatted::Text(source::format_yaml(&name, text)?)),
        Format::Json => {
            // Validate (with a located error) before re-spacing tokens.
            source::parse(&name, text, Format::Json)?;
            Ok(Formatted::Text(json_fmt::pretty(text)))
        }
        Format::Toml => Ok(Formatted::Unsupported("TOML files are not formatted")),
    }
}

pub fn run(args: &FmtArgs) -> Result<u8, Failure> {
    if !args.write && !args.check && args.files.len() > 1 {
        return Err(Failure::usage(
            "several files given: use --write to format them in place, or --check to list those that would change",
        ));
    }
    let mut errors = 0usize;
    let mut changed: Vec<String> = Vec::new();
    for path in &args.files {
        let name = io::display(path);
        if io::is_stdin(path) && (args.write || args.check) {
            return Err(Failure::usage(
                "standard input (`-`) can only be formatted to standard output",
            ));
        }
        let result =
            io::read_text(path).and_then(|text| format_file(path, &text).map(|f| (text, f)));
        let (original, formatted) = match result {
            Ok(x) => x,
            Err(f) => {
                io::eprint(&f.message);
                errors += 1;
                continue;
            }
        };
        let formatted = match formatted {
            Formatted::Text(t) => t,
            Formatted::Unsupported(why) => {
                io::eprint(&format!("note: `{name}`: {why}; left unchanged\n"));
                if !args.write && !args.check {
                    io::print(&original);
                }
                continue;
            }
        };
        if args.check {
            if formatted != original {
                changed.push(name);
            }
        } else if args.write {
            if formatted != original {
                match io::write_atomic(path, formatted.as_bytes()) {
                    Ok(()) => io::eprint(&format!("formatted {name}\n")),
                    Err(f) => {
                        io::eprint(&f.message);
                        errors += 1;
                    }
                }
            }
        } else {
            io::print(&formatted);
        }
    }
    if args.check {
        for name in &changed {
            io::print(&format!("would reformat {name}\n"));
        }
    }
    Ok(if errors > 0 {
        exit::ERROR
    } else if !changed.is_empty() {
        exit::DENIED
    } else {
        exit::OK
    })
}
