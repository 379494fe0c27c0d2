//! `govgate compile`: a policy to its compiled-policy artifact (`.ggc`), which the npm
//! package's evaluate-only scorer reads (`Policy.fromCompiled`).

use std::path::Path;

use govgate_core::CompiledPolicy;

use crate::args::CompileArgs;
use crate::exit::{self, Failure};
use crate::io;

pub fn run(args: &CompileArgs) -> Result<u8, Failure> {
    let name = io::display(&args.policy);
    let text = if io::is_stdin(&args.policy) {
        io::read_stdin()?
    } else {
        io::read_text(&args.policy)?
    };
    let policy = CompiledPolicy::compile_str(&name, &text)?;
    let bytes = policy.to_artifact();
    let output = match &args.output {
        Some(path) => path.clone(),
        None if io::is_stdin(&args.policy) => {
            return Err(Failure::usage(
                "a policy read from standard input needs `--output FILE` (or `-o -`)",
            ));
        }
        None => args.policy.with_extension("ggc"),
    };
    if io::is_stdin(&output) {
        io::print_bytes(&bytes);
        return Ok(exit::OK);
    }
    if output == args.policy || same_file(&output, &args.policy) {
        return Err(Failure::usage(format!(
            "`{}` is the policy itself; choose another --output",
            io::display(&output)
        )));
    }
    io::write_atomic(&output, &bytes)?;
    io::print(&format!(
        "compiled {name} -> {} ({} bytes, policy `{}`, digest {})\n",
        io::display(&output),
        bytes.len(),
        policy.name(),
        policy.digest()
    ));
    Ok(exit::OK)
}

/// Whether two paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
