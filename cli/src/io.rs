//! Files, standard streams, and turning command-line text into values.

use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use govgate_core::source::{self, Format};
use govgate_core::{CompiledPolicy, Diagnostic, Diagnostics, Location, Map, Str, Value};

use crate::exit::Failure;

/// The first failure to write standard output, other than a closed pipe.
static STDOUT_FAILURE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// The document `policy` was compiled from. The CLI compiles every policy it evaluates from its
/// source, so this is always that document; a policy read from a compiled artifact has none,
/// and then the summaries built from it (declared parameters, rule counts, score scale) show an
/// empty document's.
pub fn document_of(policy: &CompiledPolicy) -> &govgate_core::PolicyDocument {
    static EMPTY: std::sync::LazyLock<govgate_core::PolicyDocument> =
        std::sync::LazyLock::new(govgate_core::PolicyDocument::default);
    policy.document().unwrap_or(&EMPTY)
}

/// Writes to standard output. A closed pipe (`govgate ... | head`) is not an error worth a
/// message; any other failure (a full disk) is remembered for [`stdout_failure`], so that
/// output that was lost never goes with a passing exit code.
pub fn print(text: &str) {
    print_bytes(text.as_bytes());
}

/// [`print`] for bytes that need not be text (a compiled artifact).
pub fn print_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let result = out.write_all(bytes).and_then(|()| out.flush());
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && let Ok(mut failure) = STDOUT_FAILURE.lock()
    {
        failure.get_or_insert_with(|| e.to_string());
    }
}

/// Why writing standard output failed, if it did (a closed pipe aside).
pub fn stdout_failure() -> Option<String> {
    STDOUT_FAILURE.lock().ok().and_then(|f| f.clone())
}

/// Writes to standard error, ignoring failures.
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// How a path is shown in messages.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Whether a path names standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads a file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    if is_stdin(path) {
        return read_stdin();
    }
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            _ => e.to_string(),
        };
        Failure::error(format!("cannot read `{}`: {why}", display(path)))
    })?;
    utf8(&display(path), bytes)
}

/// Reads standard input as UTF-8 text.
pub fn read_stdin() -> Result<String, Failure> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint("reading from standard input (end with Ctrl-D)...\n");
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::error(format!("cannot read standard input: {e}")))?;
    utf8("<stdin>", bytes)
}

/// Decodes text, pointing at the first byte that is not UTF-8.
fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = e.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default());
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        let byte = bytes.get(valid).copied().unwrap_or_default();
        let location = Location {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        };
        Failure::diagnostics(&Diagnostics(vec![
            Diagnostic::new(name, format!("not UTF-8 text: invalid byte 0x{byte:02X}"))
                .at(location, &String::from_utf8_lossy(bytes))
                .with_help("save it as UTF-8"),
        ]))
    })
}

/// The format of a data file: from its extension; otherwise JSON when the text looks like
/// JSON, else YAML.
pub fn format_of(name: &str, text: &str) -> Format {
    Format::from_path(name).unwrap_or_else(|| match text.trim_start().chars().next() {
        Some('{') | Some('[') => Format::Json,
        _ => Format::Yaml,
    })
}

/// One parsed document of a data file, with the line it starts on when known.
pub struct Doc {
    pub value: Value,
    pub line: Option<u32>,
    /// Where each node of the document was written.
    pub spans: source::SpanIndex,
}

fn doc_of(d: source::Document) -> Doc {
    let line = d.spans.value_location(&[]).map(|l| l.line);
    Doc {
        value: d.value,
        line,
        spans: d.spans,
    }
}

/// Parses every document of a data file like [`parse_documents`], but when one document of a
/// multi-document YAML file is broken, still reads the others (see `source::parse_each`); the
/// broken ones come back as errors in their place.
pub fn parse_documents_each(name: &str, text: &str) -> Result<Vec<Result<Doc, Failure>>, Failure> {
    let docs = source::parse_each(name, text, format_of(name, text))?;
    Ok(docs
        .into_iter()
        .map(|d| d.map(doc_of).map_err(|e| Failure::diagnostics(&e)))
        .collect())
}

/// The data formats' file extensions.
pub const EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "toml"];

/// Directories never searched.
pub const SKIP_DIRS: [&str; 3] = ["target", "node_modules", "dist"];

/// Whether a file name has one of the data formats' extensions (`yaml`, `yml`, `json`, `toml`).
pub fn has_known_ext(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

/// The data files below a directory: every `*.yaml`, `*.yml`, `*.json` and `*.toml`, in name
/// order, skipping hidden entries and build directories; directories that cannot be read go
/// to `unreadable`. Symbolic links to directories are not followed (a link to `.` or `..`
/// would walk forever, or out of the tree); links to files are.
pub fn data_files_in(
    dir: &Path,
    out: &mut Vec<std::path::PathBuf>,
    unreadable: &mut Vec<(std::path::PathBuf, std::io::Error)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            unreadable.push((dir.to_path_buf(), e));
            return;
        }
    };
    let mut paths: Vec<(std::path::PathBuf, bool)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let link = e.file_type().ok()?.is_symlink();
            Some((e.path(), link))
        })
        .collect();
    paths.sort();
    for (p, link) in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if !link && !SKIP_DIRS.contains(&name.as_str()) {
                data_files_in(&p, out, unreadable);
            }
        } else if has_known_ext(&p) {
            out.push(p);
        }
    }
}

/// How much of `path` `value` has: the number of leading segments present, and the value the
/// last of them reaches (`value` itself for none).
pub fn present<'v>(value: &'v Value, path: &[source::PathSeg]) -> (usize, &'v Value) {
    let mut node = value;
    let mut depth = 0;
    for seg in path {
        let next = match seg {
            source::PathSeg::Key(k) => node.get(k),
            source::PathSeg::Index(i) => node.as_list().and_then(|l| l.get(*i)),
        };
        match next {
            Some(v) => {
                node = v;
                depth += 1;
            }
            None => break,
        }
    }
    (depth, node)
}

/// Reads a file (or standard input) that must hold exactly one document: an action.
///
/// `None` (no input named) reads standard input only when it is not a terminal: nobody is
/// left waiting on a prompt they did not ask for. `-` reads it in any case.
pub fn read_single(path: Option<&Path>) -> Result<(String, Value), Failure> {
    let (name, doc) = read_single_document(path)?;
    Ok((name, doc.value))
}

/// Like [`read_single`], keeping where each node of the document was written.
pub fn read_single_document(path: Option<&Path>) -> Result<(String, source::Document), Failure> {
    use std::io::IsTerminal;
    let (name, text) = match path {
        Some(p) if !is_stdin(p) => (display(p), read_text(p)?),
        None if std::io::stdin().is_terminal() => {
            return Err(Failure::usage(
                "no input given and standard input is a terminal: pass the action with --input FILE, or pipe it in",
            ));
        }
        _ => ("<stdin>".to_owned(), read_stdin()?),
    };
    let mut docs = source::parse(&name, &text, format_of(&name, &text))?;
    match docs.len() {
        1 => match docs.pop() {
            Some(doc) => Ok((name, doc)),
            None => Err(Failure::error(
                "internal error: the input's document was lost",
            )),
        },
        0 => Err(Failure::diagnostics(&Diagnostics(vec![
            Diagnostic::new(&name, "the input holds no document")
                .with_help("pass the action as a JSON or YAML object"),
        ]))),
        n => Err(Failure::diagnostics(&Diagnostics(vec![
            Diagnostic::new(
                &name,
                format!("the input holds {n} documents; `eval` decides on one action"),
            )
            .with_help("use `govgate check` for multi-document files, or split the file"),
        ]))),
    }
}

/// Reads and compiles a policy file.
pub fn load_policy(path: &Path) -> Result<CompiledPolicy, Failure> {
    let text = read_text(path)?;
    CompiledPolicy::compile_str(&display(path), &text).map_err(|d| Failure::diagnostics(&d))
}

/// Parses `--param NAME=VALUE` flags: VALUE is JSON if it parses, else a string.
pub fn parse_params(flags: &[String]) -> Result<Map, Failure> {
    let mut out = Map::new();
    for flag in flags {
        let Some((name, raw)) = flag.split_once('=') else {
            return Err(Failure::usage(format!(
                "invalid --param `{flag}`: expected NAME=VALUE (for example `--param min_accuracy=0.9`)"
            )));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(Failure::usage(format!(
                "invalid --param `{flag}`: the name is empty"
            )));
        }
        let value = match serde_json::from_str::<Value>(raw) {
            Ok(v) => v,
            // A number JSON cannot hold (`1e999`) is not meant as a string.
            Err(_) if looks_like_number(raw) => {
                return Err(Failure::usage(format!(
                    "invalid --param `{flag}`: the number `{}` is out of range",
                    raw.trim()
                )));
            }
            Err(_) => Value::string(raw),
        };
        if out.insert(Str::from(name), value).is_some() {
            return Err(Failure::usage(format!("--param `{name}` is given twice")));
        }
    }
    Ok(out)
}

/// Whether text is a number too large for JSON (`1e999`): written with digits (not `inf` or
/// `NaN`, which stay strings) and infinite as a float.
fn looks_like_number(text: &str) -> bool {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && t.parse::<f64>().is_ok_and(|x| !x.is_finite())
}

/// Checks parameters against a policy's declarations: an unknown or ill-typed one is a usage
/// error.
pub fn check_params(policy: &CompiledPolicy, params: &Map) -> Result<(), Failure> {
    let problems = policy.check_parameters(params);
    if problems.is_empty() {
        return Ok(());
    }
    let declared: Vec<&str> = document_of(policy)
        .parameters
        .keys()
        .map(String::as_str)
        .collect();
    let mut message = String::new();
    for p in &problems {
        message.push_str(&format!("error: --param: {p}"));
        // Core suggests close spellings; also suggest a declared name the given one abbreviates.
        if let Some(name) = p
            .strip_prefix("unknown parameter `")
            .and_then(|r| r.split('`').next())
        {
            let lower = name.to_ascii_lowercase();
            let longer = declared
                .iter()
                .find(|d| d.to_ascii_lowercase().contains(&lower));
            if let (false, Some(d)) = (p.contains("did you mean"), longer) {
                message.push_str(&format!("; did you mean `{d}`?"));
            }
        }
        message.push('\n');
    }
    if declared.is_empty() {
        message.push_str(&format!(
            "  = note: policy `{}` declares no parameters\n",
            policy.name()
        ));
    } else {
        message.push_str(&format!(
            "  = note: policy `{}` declares: {}\n",
            policy.name(),
            declared.join(", ")
        ));
    }
    Err(Failure {
        code: crate::exit::USAGE,
        message,
    })
}

/// The evaluation time: `--now` (RFC 3339) or the clock.
pub fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, Failure> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                Failure::usage(format!(
                    "invalid --now `{text}`: {e} (expected RFC 3339, like 2026-01-31T12:00:00Z)"
                ))
            }),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename,
/// so readers never see half a file. Keeps the original file's permissions; a symbolic link
/// is followed (the file it points to is replaced, the link stays); a read-only file is
/// refused rather than replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |what: &str, e: std::io::Error| {
        Failure::error(format!("cannot {what} `{}`: {e}", display(path)))
    };
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let meta = std::fs::metadata(&target).ok();
    if meta.as_ref().is_some_and(|m| m.permissions().readonly()) {
        return Err(Failure::error(format!(
            "cannot write `{}`: the file is read-only; left unchanged",
            display(path)
        )));
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mut tmp = dir.join(format!(".{name}.govgate-{}.tmp", std::process::id()));
    let mut created = false;
    let result = (|| {
        // create_new: never write through whatever already sits at the temporary name. A
        // name left by an earlier run that was killed (containers reuse process ids) is
        // skipped for the next one, not a failure.
        let mut attempt = 0u32;
        let mut file = loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(file) => break file,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                    tmp = dir.join(format!(
                        ".{name}.govgate-{}-{attempt}.tmp",
                        std::process::id()
                    ));
                }
                Err(e) => {
                    return Err(Failure::error(format!(
                        "cannot write `{}`: cannot create a temporary file beside it (`{}`): {e}",
                        display(path),
                        display(&tmp)
                    )));
                }
            }
        };
        created = true;
        file.write_all(bytes).map_err(|e| fail("write", e))?;
        file.sync_all().map_err(|e| fail("write", e))?;
        if let Some(meta) = &meta {
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
        std::fs::rename(&tmp, &target).map_err(|e| fail("replace", e))
    })();
    if result.is_err() && created {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_steps_over_a_stale_temporary_file() {
        let dir = std::env::temp_dir().join(format!("govgate-io-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("p.yaml");
        std::fs::write(&target, "a: 1\n").unwrap();
        // What a killed run with this process id would have left behind.
        let stale = dir.join(format!(".p.yaml.govgate-{}.tmp", std::process::id()));
        std::fs::write(&stale, "stale").unwrap();
        assert!(write_atomic(&target, b"a: 2\n").is_ok());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "a: 2\n");
        assert_eq!(std::fs::read_to_string(&stale).unwrap(), "stale");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
