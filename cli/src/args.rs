//! The command line, declared with clap's derive API.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::exit::HELP;

/// govgate: a governance gate for AI agents and automated pipelines.
#[derive(Debug, Parser)]
#[command(
    name = "govgate",
    version,
    about = "govgate: a governance gate for AI agents and automated pipelines",
    after_help = HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide on one action under a policy: score, band, reasons, suggestions.
    #[command(after_help = concat!(
        "The exit code is the outcome: 0 auto, 3 approval required, 4 blocked.\n\n",
        "Exit codes:\n  0  auto\n  1  error (unreadable or invalid policy or input)\n  2  usage error (bad flag, unknown or ill-typed --param)\n",
        "  3  approval required\n  4  blocked"
    ))]
    Eval(EvalArgs),
    /// Check manifests against a policy's deny/warn rules, like conftest.
    #[command(after_help = concat!(
        "Exit codes:\n  0  every document allowed\n  1  error (unreadable file, invalid policy, evaluation error)\n",
        "  2  usage error\n  3  a document needs approval (a rule's verdict), none denied\n",
        "  4  an unwaived deny (or a warning with --fail-on-warn)"
    ))]
    Check(CheckArgs),
    /// Run policy tests (`tests:` sections and `*_test.yaml` files), like `opa test`.
    #[command(
        after_help = "Exit codes:\n  0  all tests passed\n  1  error (a policy or test file does not load, no tests found)\n  2  usage error\n  4  a test failed"
    )]
    Test(TestArgs),
    /// Compile a policy into a compiled-policy artifact (`.ggc`), for the npm package's
    /// evaluate-only scorer (`govgate/scorer`, `Policy.fromCompiled`).
    #[command(
        after_help = "The artifact decides exactly as the policy; it holds no policy text to edit, only what\nevaluation reads, and a checksum.\n\nExit codes:\n  0  written\n  1  error (unreadable or invalid policy, unwritable output)\n  2  usage error"
    )]
    Compile(CompileArgs),
    /// Format policy files: YAML keeps its comments; JSON is pretty-printed.
    #[command(
        after_help = "Exit codes:\n  0  formatted (or, with --check, already formatted)\n  1  error (unreadable or unparsable file)\n  2  usage error\n  4  --check: some files would change"
    )]
    Fmt(FmtArgs),
    /// Compile policies and parse test files, reporting every problem with its location.
    #[command(
        after_help = "Exit codes:\n  0  every file is valid\n  1  a file is invalid or unreadable\n  2  usage error"
    )]
    Validate(ValidateArgs),
    /// Print the JSON Schema of the policy document (for editors).
    #[command(after_help = "Exit codes:\n  0  printed\n  1  error")]
    Schema,
    /// Create and inspect Ed25519-signed overrides.
    #[command(
        subcommand,
        after_help = "Exit codes:\n  0  done\n  1  error (unreadable file, invalid seed file, existing key file)\n  2  usage error (bad --seed-hex, --expires)"
    )]
    Override(OverrideCommand),
}

/// Text for people, or JSON for programs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The policy file (YAML, JSON or TOML).
    #[arg(long, short = 'p', value_name = "FILE")]
    pub policy: PathBuf,
    /// The action (JSON or YAML); `-` or omitted reads standard input.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The action file, as an alternative to --input (`-` reads standard input).
    #[arg(value_name = "INPUT", conflicts_with = "input")]
    pub input_file: Option<PathBuf>,
    /// Override a policy parameter for this call; VALUE is JSON if it parses, else a string.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The time expiries are judged against (RFC 3339); defaults to now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub format: Format,
    /// Put the action fingerprint in the decision.
    #[arg(long)]
    pub fingerprint: bool,
    /// Append the decision (and the action, secrets redacted) to this JSON-lines file.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// `check` output formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    /// conftest-style lines and a summary.
    #[default]
    Text,
    /// One object per file/document and policy.
    Json,
    /// JUnit XML: a testsuite per policy, a testcase per file/document.
    Junit,
    /// GitHub Actions annotations (`::error file=...::message`).
    Github,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A policy file, or a directory whose policies (not `*_test.*`) all apply.
    #[arg(long, short = 'p', value_name = "FILE|DIR")]
    pub policy: PathBuf,
    /// Manifests to check (multi-document YAML allowed); `-` reads standard input.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: CheckOutput,
    /// Treat warnings as failures (exit 4).
    #[arg(long)]
    pub fail_on_warn: bool,
    /// Override a policy parameter; VALUE is JSON if it parses, else a string.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The time exception expiries are judged against (RFC 3339); defaults to now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy files, test files or directories (searched recursively).
    #[arg(value_name = "PATHS", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Show every case, not only failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files to format.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 4 if any would.
    #[arg(long, conflicts_with = "write")]
    pub check: bool,
    /// Rewrite the files in place (atomically: a temporary file, then a rename).
    #[arg(long, short = 'w')]
    pub write: bool,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The policy file (YAML, JSON or TOML).
    #[arg(value_name = "POLICY")]
    pub policy: PathBuf,
    /// Where to write the artifact (default: the policy's path with the extension `.ggc`;
    /// `-` writes it to standard output). Written atomically.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Policy files, test files (`*_test.yaml`) or directories.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// Create a signing key: writes its 32-byte seed (hex) to a file, prints the public key.
    Keygen(KeygenArgs),
    /// Sign an override for one action; prints `{key_id, signature, payload}`.
    Sign(SignArgs),
    /// Print an action's fingerprint (what an override is bound to).
    Fingerprint(FingerprintArgs),
    /// Print the public key (base64) of a seed, for a policy's `overrides.trusted_keys`.
    PublicKey(SeedArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the seed (64 hex digits); refuses to overwrite an existing file.
    #[arg(long, value_name = "FILE")]
    pub seed_file: PathBuf,
    /// Use this seed instead of 32 bytes from the operating system's random source.
    #[arg(long, value_name = "HEX")]
    pub seed_hex: Option<String>,
    /// The key id to show in the policy snippet.
    #[arg(long, value_name = "ID", default_value = "my-key")]
    pub key_id: String,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("seed").required(true).args(["seed_hex", "seed_file"])))]
pub struct SeedArgs {
    /// The signing key's 32-byte seed as 64 hex digits.
    #[arg(long, value_name = "HEX")]
    pub seed_hex: Option<String>,
    /// A file holding the seed as 64 hex digits (as `keygen` writes it).
    #[arg(long, value_name = "FILE")]
    pub seed_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub seed: SeedArgs,
    /// The key id the policy trusts the key under.
    #[arg(long, value_name = "ID")]
    pub key_id: String,
    /// The action to override (JSON or YAML); `-` reads standard input.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: PathBuf,
    /// The verdict to impose (from the policy's vocabulary, or auto/approval/block).
    #[arg(long, value_name = "VERDICT")]
    pub verdict: Option<String>,
    /// A flag to set (rules with `unless_flag` equal to it are skipped); repeatable.
    #[arg(long = "flag", value_name = "FLAG")]
    pub flags: Vec<String>,
    /// Why the override is granted (recorded in the decision).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// When it stops applying: RFC 3339, or a date meaning the end of that UTC day.
    #[arg(long, value_name = "TIME")]
    pub expires: String,
    /// Print the whole action with the override appended to its `overrides` list.
    #[arg(long)]
    pub attach: bool,
}

#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// The action (JSON or YAML); `-` or omitted reads standard input.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<PathBuf>,
}
