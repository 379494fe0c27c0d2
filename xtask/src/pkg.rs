//! The npm package `govgate` (crate `govgate-wasm` in `pkg/`):
//!
//! - `cargo xtask dist pkg`: installs what is missing (the wasm32 target, wasm-bindgen-cli at
//!   exactly the crate's version, wasm-opt from binaryen), then builds each of the package's two
//!   wasm modules ([`MODULES`]: the whole API, and the evaluate-only scorer, the same crate
//!   without its `compiler` feature): cargo, wasm-bindgen for the `web`, `bundler` and `nodejs`
//!   targets, `wasm-opt -Oz` ([`WASM_OPT_FLAGS`]), and assembles one package in `pkg/dist/`
//!   whose `exports` serve ESM, CommonJS and the browser for `govgate` and `govgate/scorer`.
//! - [`test`] (run by `cargo xtask test`, or alone as `cargo xtask test-pkg`): the native
//!   tests of the crate, the dist build, `npm pack`, the `node:test` suites importing the packed
//!   package as ESM and as CommonJS, and `tsc --noEmit --strict` over a TypeScript consumer.
//! - `cargo xtask bench pkg [--markdown]`: sizes and timings against the budgets, side by side
//!   with `@cedar-policy/cedar-wasm`.
//! - `cargo xtask size pkg [--top N]`: what takes the space in each module's wasm, by origin
//!   and by function (the same build, optimised the same way, keeping its function names).
//!
//! A tool that is missing and cannot be installed is an error, never a skip (CI sets `CI=true`;
//! it changes nothing here but the log line).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::step;

/// binaryen's npm release that provides `wasm-opt` (Debian's is too old for current rustc).
const BINARYEN_VERSION: &str = "132";
/// Where the wasm comes from.
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The cargo profile for the package's wasm (LTO, one codegen unit; see the root Cargo.toml).
const WASM_PROFILE: &str = "wasm-release";
/// `wasm-opt`'s flags. `-Oz`: the `-O` levels differ by under 1% in size here and not
/// measurably in speed. `--one-caller-inline-max-function-size`: binaryen otherwise inlines every
/// function that has one caller, whatever its size, which turned the policy compiler into a few
/// functions of 20-60 KB each; V8 compiles wasm lazily, one whole function at a time (Liftoff on
/// first call, TurboFan once it is hot), so giant functions made the first `fromYaml` compile
/// mostly-cold code and tier up huge hot ones. Capped, the first compile of agent-trading.yaml
/// costs about 40% less TurboFan work in V8's background threads and the wasm is the same size.
/// The bulk-memory, nontrapping-fptoint and sign-ext features need no flag: rustc enables them
/// for wasm32 by default and wasm-opt reads them from the module's `target_features` section.
const WASM_OPT_FLAGS: [&str; 6] = [
    "-Oz",
    "--one-caller-inline-max-function-size",
    "20",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
];
/// wasm-bindgen's targets, combined into one package.
const BINDGEN_TARGETS: [&str; 3] = ["web", "bundler", "nodejs"];

/// One wasm of the package, with its glue for every target.
struct Module {
    /// wasm-bindgen's `--out-name`: the stem of the module's files (`govgate_bg.wasm`, ...).
    name: &'static str,
    /// Where in the package its files go (`""`: the package root).
    dir: &'static str,
    /// What a consumer imports (`govgate/scorer`); `<specifier>/web` is its explicit-`init()`
    /// build.
    specifier: &'static str,
    /// The crate's cargo feature flags for this module.
    cargo_flags: &'static [&'static str],
    /// Whether its declarations get the policy document's types (it has `jsonSchema`).
    document_types: bool,
}

/// The whole API: `import { Policy } from "govgate"`.
const FULL: Module = Module {
    name: "govgate",
    dir: "",
    specifier: "govgate",
    cargo_flags: &[],
    document_types: true,
};

/// The evaluate-only scorer: `import { Policy } from "govgate/scorer"`, which reads compiled
/// policies (`Policy.fromCompiled`) and has no policy compiler.
const SCORER: Module = Module {
    name: "govgate_scorer",
    dir: "scorer",
    specifier: "govgate/scorer",
    cargo_flags: &["--no-default-features"],
    document_types: false,
};

/// The package's modules, in build order.
const MODULES: [&Module; 2] = [&FULL, &SCORER];

/// Whether these arguments are one of this module's commands besides `dist pkg`:
/// `bench pkg [--markdown]` (plain `bench` belongs to bench.rs) and `test-pkg` (only the
/// package's part of `cargo xtask test`).
pub fn handles(args: &[String]) -> bool {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    matches!(
        args.as_slice(),
        ["bench", "pkg", ..] | ["size", "pkg", ..] | ["test-pkg"]
    )
}

/// Runs a command [`handles`] accepts.
pub fn run(args: &[String]) -> Result<(), String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["test-pkg"] => test(),
        ["bench", "pkg", rest @ ..] => bench(rest.contains(&"--markdown")),
        ["size", "pkg"] => size(40),
        ["size", "pkg", "--top", n] => {
            size(n.parse().map_err(|_| format!("--top {n}: not a number"))?)
        }
        _ => Err(
            "usage: cargo xtask dist pkg | test-pkg | bench pkg [--markdown] | size pkg [--top N]"
                .to_owned(),
        ),
    }
}

/// The workspace root.
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs a command, failing unless it exits 0.
fn run_cmd(command: &mut Command) -> Result<(), String> {
    println!("$ {command:?}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{command:?} failed ({status})")),
        Err(e) => Err(format!("cannot run {command:?}: {e}")),
    }
}

/// A command's stdout, or `None` when it cannot run or fails.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The wasm-bindgen version the crate is built with, from Cargo.lock (the CLI must match it
/// exactly).
fn wasm_bindgen_version() -> Result<String, String> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err("Cargo.lock names no wasm-bindgen version".to_owned())
}

/// Installs what the build needs when it is missing; an error when that fails.
fn ensure_tools() -> Result<(), String> {
    // A tool that is missing is installed; one that cannot be installed is an error (with or
    // without CI=true: never a skip).
    let why = "installing a missing tool";

    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        eprintln!("xtask: {why}: rustup target {WASM_TARGET}");
        run_cmd(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }

    let wanted = wasm_bindgen_version()?;
    let have = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have != format!("wasm-bindgen {wanted}") {
        eprintln!("xtask: {why}: wasm-bindgen-cli {wanted} (found `{have}`)");
        // No `--locked`: the CLI's lock file names a dependency version the registry may lack.
        // `--force`: cargo's own records may say it is installed when the binary is gone.
        run_cmd(Command::new(cargo()).args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wanted,
            "--force",
        ]))?;
        let have = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
        if have != format!("wasm-bindgen {wanted}") {
            return Err(format!(
                "wasm-bindgen {wanted} is still not on PATH (found `{have}`)"
            ));
        }
    }

    let node = output_of("node", &["--version"])
        .ok_or("node is not installed (Node.js 18 or later is required)")?;
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 18 {
        return Err(format!("Node.js 18 or later is required, found {node}"));
    }
    output_of("npm", &["--version"]).ok_or("npm is not installed")?;

    let opt_ok = |v: &str| v.contains(&format!("version {BINARYEN_VERSION}"));
    let have = output_of("wasm-opt", &["--version"]).unwrap_or_default();
    if !opt_ok(&have) {
        eprintln!("xtask: {why}: wasm-opt (binaryen@{BINARYEN_VERSION}; found `{have}`)");
        run_cmd(Command::new("npm").args([
            "install",
            "-g",
            "--no-audit",
            "--no-fund",
            &format!("binaryen@{BINARYEN_VERSION}"),
        ]))?;
        let have = output_of("wasm-opt", &["--version"]).unwrap_or_default();
        if !opt_ok(&have) {
            return Err(format!(
                "wasm-opt version {BINARYEN_VERSION} is still not on PATH (found `{have}`)"
            ));
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

/// `text` with `from` replaced by `to`, which must occur exactly once (so a wasm-bindgen upgrade
/// that changes its glue fails here instead of shipping a package that cannot find its wasm).
fn replace_once(text: &str, from: &str, to: &str, what: &str) -> Result<String, String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => Err(format!(
            "{what}: expected `{from}` once in wasm-bindgen's glue, found it {n} times"
        )),
    }
}

/// `cargo xtask dist pkg`: builds the package into `pkg/dist/`.
pub fn dist() -> Result<(), String> {
    let dir = build_dist()?;
    println!("xtask: npm package in {}", dir.display());
    Ok(())
}

/// Builds the package into `pkg/dist/` and returns that directory.
fn build_dist() -> Result<PathBuf, String> {
    step("building the npm package (pkg/dist)");
    ensure_tools()?;
    let root = root();
    let dist = root.join("pkg").join("dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist).map_err(|e| format!("create {}: {e}", dist.display()))?;
    for module in MODULES {
        build_module(&root, module, &dist.join(module.dir))?;
    }
    let version = crate_version(&root)?;
    write(&dist.join("package.json"), &package_json(&version))?;
    fs::copy(root.join("pkg/README.md"), dist.join("README.md"))
        .map_err(|e| format!("copy README.md: {e}"))?;
    Ok(dist)
}

/// Where wasm-bindgen's output for `module` goes, one folder per target.
fn bindgen_dir(module: &Module) -> PathBuf {
    target_dir().join("pkg").join("bindgen").join(module.name)
}

/// Builds one module: cargo, wasm-bindgen for every target, `wasm-opt`, and its files in `out`.
fn build_module(root: &Path, module: &Module, out: &Path) -> Result<(), String> {
    run_cmd(
        Command::new(cargo())
            .current_dir(root)
            .args([
                "build",
                "-p",
                "govgate-wasm",
                "--profile",
                WASM_PROFILE,
                "--target",
                WASM_TARGET,
            ])
            .args(module.cargo_flags),
    )?;
    let wasm = target_dir()
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join("govgate_wasm.wasm");

    let bindgen = bindgen_dir(module);
    let _ = fs::remove_dir_all(&bindgen);
    for t in BINDGEN_TARGETS {
        run_cmd(
            Command::new("wasm-bindgen")
                .arg("--target")
                .arg(t)
                .arg("--out-dir")
                .arg(bindgen.join(t))
                .args(["--out-name", module.name])
                .arg(&wasm),
        )?;
    }
    // The three targets differ only in their JavaScript glue; ship one wasm.
    let wasm_name = format!("{}_bg.wasm", module.name);
    let bytes: Vec<Vec<u8>> = BINDGEN_TARGETS
        .iter()
        .map(|t| fs::read(bindgen.join(t).join(&wasm_name)).map_err(|e| format!("read wasm: {e}")))
        .collect::<Result<_, _>>()?;
    if bytes.windows(2).any(|w| w.first() != w.get(1)) {
        return Err("wasm-bindgen produced different wasm for web, bundler and nodejs".to_owned());
    }
    fs::create_dir_all(out).map_err(|e| format!("create {}: {e}", out.display()))?;
    run_cmd(
        Command::new("wasm-opt")
            .args(WASM_OPT_FLAGS)
            .arg(bindgen.join("nodejs").join(&wasm_name))
            .arg("-o")
            .arg(out.join(&wasm_name)),
    )?;
    assemble(root, module, &bindgen, out)
}

/// Lays out a module's files in `dist` (the package root, or the module's folder in it) from
/// wasm-bindgen's three outputs.
fn assemble(root: &Path, module: &Module, bindgen: &Path, dist: &Path) -> Result<(), String> {
    let web = bindgen.join("web");
    let bundler = bindgen.join("bundler");
    let nodejs = bindgen.join("nodejs");
    let name = module.name;
    let dts_name = format!("{name}.d.ts");

    // TypeScript: wasm-bindgen's declarations (tsify's wire types included), plus, for the
    // module that compiles policies, the policy document's types generated from its JSON Schema
    // (core's serde types, via schemars).
    let document_types = if module.document_types {
        let mut command = Command::new("node");
        command
            .arg(root.join("pkg/scripts/schema-to-ts.mjs"))
            .arg(nodejs.join(format!("{name}.js")))
            .arg(nodejs.join(&dts_name));
        println!("$ {command:?}");
        let out = command
            .output()
            .map_err(|e| format!("cannot run node: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "schema-to-ts.mjs failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::new()
    };
    // `Policy` declares `[Symbol.dispose]` (for `using`); the reference makes that type-check
    // for consumers whose `lib` predates it.
    let header = "/// <reference lib=\"esnext.disposable\" />\n";
    let lint = "/* tslint:disable */\n/* eslint-disable */\n";
    let dts = format!(
        "{header}{}\n{document_types}",
        read(&nodejs.join(&dts_name))?.replace(lint, "")
    );
    write(&dist.join(&dts_name), &dts)?;
    write(&dist.join(format!("{name}.d.cts")), &dts)?;
    let web_dts = format!(
        "{header}{}\n{document_types}",
        read(&web.join(&dts_name))?.replace(lint, "")
    );
    write(&dist.join("web").join(&dts_name), &web_dts)?;

    // Node, CommonJS: wasm-bindgen's nodejs glue, reading the one wasm from the package root.
    let cjs = read(&nodejs.join(format!("{name}.js")))?;
    let cjs = replace_once(
        &cjs,
        &format!("`${{__dirname}}/{name}_bg.wasm`"),
        &format!("`${{__dirname}}/../{name}_bg.wasm`"),
        "nodejs",
    )?;
    let cjs = replace_once(
        &cjs,
        &format!("/* @ts-self-types=\"./{name}.d.ts\" */"),
        &format!("/* @ts-self-types=\"../{name}.d.cts\" */"),
        "nodejs",
    )?;
    let names: Vec<String> = cjs
        .lines()
        .filter_map(|l| l.strip_prefix("exports."))
        .filter_map(|l| l.split_once(" = ").map(|(name, _)| name))
        .filter(|name| !name.starts_with("__"))
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err("nodejs glue: found no `exports.NAME = ...` lines".to_owned());
    }
    // wasm-bindgen's nodejs glue `require`s the crate's JavaScript snippets (src/tape.js),
    // which are ES modules (Node before 22 cannot `require` those), several times each, sharing
    // one instance. Each is inlined once at the top of the glue, as a constant holding its
    // exports, and every `require` of it reads that constant: a fresh process's `require` of
    // the package then resolves and loads one file instead of three, about 0.5 ms less
    // (BENCHMARKS.md).
    let (first_line, rest) = cjs.split_once('\n').ok_or("nodejs glue: a single line")?;
    let mut inlined = String::new();
    let mut rest = rest.to_owned();
    for (index, (path, snippet)) in snippets(&nodejs)?.into_iter().enumerate() {
        let from = path.to_string_lossy().replace('\\', "/");
        let constant = format!("__govgate_snippet{index}");
        let mut required = false;
        for (open, close) in [("String.raw`", "`"), ("\"", "\"")] {
            let call = format!("require({open}./{from}{close})");
            required |= rest.contains(&call);
            rest = rest.replace(&call, &constant);
        }
        if !required {
            return Err(format!("nodejs glue: no require of ./{from}"));
        }
        inlined.push_str(&format!(
            "const {constant} = {};\n",
            snippet_inlined(&snippet, &from)?
        ));
    }
    let cjs = format!("{first_line}\n{inlined}{rest}");
    write(&dist.join("node").join(format!("{name}.cjs")), &cjs)?;
    // Node, ESM: the same CommonJS instance re-exported, so `import` and `require` in one
    // process share one wasm instance (no dual-package hazard).
    let esm = format!(
        "// ESM entry for Node: re-exports the CommonJS build, so `import` and `require` share one\n\
         // wasm instance.\n\
         import {{ createRequire }} from \"node:module\";\n\n\
         const govgate = createRequire(import.meta.url)(\"./{name}.cjs\");\n\n\
         export const {{ {} }} = govgate;\n",
        names.join(", ")
    );
    write(&dist.join("node").join(format!("{name}.mjs")), &esm)?;

    // Browsers without a bundler, and bundlers: wasm-bindgen's web glue (explicit `init()`).
    let web_js = read(&web.join(format!("{name}.js")))?;
    let web_js = replace_once(
        &web_js,
        &format!("new URL('{name}_bg.wasm', import.meta.url)"),
        &format!("new URL('../{name}_bg.wasm', import.meta.url)"),
        "web",
    )?;
    write(&dist.join("web").join(format!("{name}.js")), &web_js)?;
    for (path, snippet) in snippets(&web)? {
        write(&dist.join("web").join(path), &snippet)?;
    }
    // The module's browser entry: the web glue initialised by a top-level await, so the API is
    // the same synchronous one as in Node.
    let web_entry = format!("{}/web", module.specifier);
    write(
        &dist.join("browser/index.js"),
        &format!(
            "// Browser entry: fetches and instantiates the wasm once (top-level await), then exposes\n\
             // the same synchronous API as the Node entries. Use `{web_entry}` to call `init()` yourself.\n\
             import init from \"../web/{name}.js\";\n\n\
             await init();\n\n\
             export * from \"../web/{name}.js\";\n"
        ),
    )?;

    // Bundlers with ES module integration of wasm (webpack's asyncWebAssembly, workers): the
    // wasm imports `./govgate_bg.js` relative to itself, so this glue sits beside it at the
    // package root, unchanged.
    for file in [format!("{name}.js"), format!("{name}_bg.js")] {
        write(&dist.join(&file), &read(&bundler.join(&file))?)?;
    }
    for (path, snippet) in snippets(&bundler)? {
        write(&dist.join(path), &snippet)?;
    }
    Ok(())
}

/// The JavaScript snippets wasm-bindgen copied beside a target's glue: each one's path
/// relative to the glue (`snippets/<crate>-<hash>/src/tape.js`) and its text. There must be
/// some: the glue imports `src/tape.js`.
fn snippets(glue_dir: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<(), String> {
        let entries = fs::read_dir(dir).map_err(|e| format!("read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("read {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                walk(&path, base, out)?;
            } else {
                let relative = path.strip_prefix(base).map_err(|e| e.to_string())?;
                out.push((relative.to_path_buf(), read(&path)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&glue_dir.join("snippets"), glue_dir, &mut out)?;
    if out.is_empty() {
        return Err(format!(
            "no JavaScript snippets in {}",
            glue_dir.join("snippets").display()
        ));
    }
    out.sort();
    Ok(out)
}

/// An ES module snippet as a JavaScript expression that evaluates its code once and gives its
/// exports: `(() => { "use strict"; ...; return { NAME, ... }; })()`. Its `export function NAME`
/// lines become plain functions; any other `export`, or an `import`, is an error (the snippets
/// are written to stay within this).
fn snippet_inlined(snippet: &str, name: &str) -> Result<String, String> {
    let mut names = Vec::new();
    let mut out = format!("(() => {{ // {name}, inlined\n\"use strict\";\n");
    for line in snippet.lines() {
        if let Some(rest) = line.strip_prefix("export function ") {
            let fn_name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.push(fn_name);
            out.push_str(line.trim_start_matches("export "));
        } else if line.starts_with("export ") || line.starts_with("import ") {
            return Err(format!("snippet {name}: cannot inline `{line}`"));
        } else if line.trim() == "\"use strict\";" {
            continue;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if names.is_empty() {
        return Err(format!("snippet {name}: exports no function"));
    }
    out.push_str(&format!("return {{ {} }};\n}})()", names.join(", ")));
    Ok(out)
}

/// The crate's version (the workspace's), which the npm package carries.
fn crate_version(root: &Path) -> Result<String, String> {
    let manifest = read(&root.join("Cargo.toml"))?;
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package && let Some(v) = line.strip_prefix("version = \"") {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err("the root Cargo.toml has no [workspace.package] version".to_owned())
}

fn package_json(version: &str) -> String {
    format!(
        r#"{{
  "name": "govgate",
  "version": "{version}",
  "description": "govgate's scorer: decide locally, in microseconds, exactly what the govgate server would decide for an AI agent's action",
  "license": "Apache-2.0",
  "keywords": ["policy", "governance", "ai-agents", "risk", "approval", "wasm"],
  "type": "module",
  "main": "./node/govgate.cjs",
  "module": "./govgate.js",
  "types": "./govgate.d.ts",
  "exports": {{
    ".": {{
      "node": {{
        "import": {{ "types": "./govgate.d.ts", "default": "./node/govgate.mjs" }},
        "require": {{ "types": "./govgate.d.cts", "default": "./node/govgate.cjs" }}
      }},
      "browser": {{ "types": "./govgate.d.ts", "default": "./browser/index.js" }},
      "import": {{ "types": "./govgate.d.ts", "default": "./govgate.js" }},
      "require": {{ "types": "./govgate.d.cts", "default": "./node/govgate.cjs" }},
      "default": {{ "types": "./govgate.d.ts", "default": "./browser/index.js" }}
    }},
    "./browser": {{ "types": "./govgate.d.ts", "default": "./browser/index.js" }},
    "./web": {{ "types": "./web/govgate.d.ts", "default": "./web/govgate.js" }},
    "./bundler": {{ "types": "./govgate.d.ts", "default": "./govgate.js" }},
    "./govgate_bg.wasm": "./govgate_bg.wasm",
    "./scorer": {{
      "node": {{
        "import": {{ "types": "./scorer/govgate_scorer.d.ts", "default": "./scorer/node/govgate_scorer.mjs" }},
        "require": {{ "types": "./scorer/govgate_scorer.d.cts", "default": "./scorer/node/govgate_scorer.cjs" }}
      }},
      "browser": {{ "types": "./scorer/govgate_scorer.d.ts", "default": "./scorer/browser/index.js" }},
      "import": {{ "types": "./scorer/govgate_scorer.d.ts", "default": "./scorer/govgate_scorer.js" }},
      "require": {{ "types": "./scorer/govgate_scorer.d.cts", "default": "./scorer/node/govgate_scorer.cjs" }},
      "default": {{ "types": "./scorer/govgate_scorer.d.ts", "default": "./scorer/browser/index.js" }}
    }},
    "./scorer/browser": {{ "types": "./scorer/govgate_scorer.d.ts", "default": "./scorer/browser/index.js" }},
    "./scorer/web": {{ "types": "./scorer/web/govgate_scorer.d.ts", "default": "./scorer/web/govgate_scorer.js" }},
    "./scorer/bundler": {{ "types": "./scorer/govgate_scorer.d.ts", "default": "./scorer/govgate_scorer.js" }},
    "./scorer/govgate_scorer_bg.wasm": "./scorer/govgate_scorer_bg.wasm",
    "./package.json": "./package.json"
  }},
  "files": [
    "govgate_bg.wasm",
    "govgate.d.ts",
    "govgate.d.cts",
    "govgate.js",
    "govgate_bg.js",
    "snippets/",
    "node/",
    "browser/",
    "web/",
    "scorer/",
    "README.md"
  ],
  "sideEffects": [
    "./browser/index.js",
    "./govgate.js",
    "./node/govgate.cjs",
    "./node/govgate.mjs",
    "./scorer/browser/index.js",
    "./scorer/govgate_scorer.js",
    "./scorer/node/govgate_scorer.cjs",
    "./scorer/node/govgate_scorer.mjs"
  ],
  "engines": {{ "node": ">=18" }}
}}
"#
    )
}

/// Packs `dist/` as npm would publish it and installs the tarball into `dir` (a folder with a
/// committed package.json and package-lock.json), as a consumer would.
fn install_packed(dist: &Path, dir: &Path) -> Result<(), String> {
    let packs = target_dir().join("pkg").join("packs");
    let _ = fs::remove_dir_all(&packs);
    fs::create_dir_all(&packs).map_err(|e| format!("create {}: {e}", packs.display()))?;
    let mut pack = Command::new("npm");
    pack.current_dir(dist)
        .args(["pack", "--silent", "--pack-destination"])
        .arg(&packs);
    println!("$ {pack:?}");
    let out = pack
        .output()
        .map_err(|e| format!("cannot run npm pack: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm pack failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let name = String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let tarball = packs.join(&name);
    if !tarball.is_file() {
        return Err(format!("npm pack wrote no {}", tarball.display()));
    }
    run_cmd(
        Command::new("npm")
            .current_dir(dir)
            .args(["ci", "--no-audit", "--no-fund"]),
    )?;
    run_cmd(
        Command::new("npm")
            .current_dir(dir)
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
            ])
            .arg(&tarball),
    )
}

/// The npm package's tests: native unit tests, dist, pack and install, `node --test` as ESM and
/// CommonJS, and `tsc --noEmit --strict` over the TypeScript consumer.
pub fn test() -> Result<(), String> {
    let root = root();
    step("the npm package: native tests of govgate-wasm");
    run_cmd(
        Command::new(cargo())
            .current_dir(&root)
            .args(["test", "-p", "govgate-wasm"]),
    )?;
    let dist = build_dist()?;
    step("the npm package: node --test (ESM, CommonJS, browser builds, vectors) and tsc --strict");
    let tests = root.join("pkg").join("tests");
    install_packed(&dist, &tests)?;
    let mut files: Vec<String> = fs::read_dir(&tests)
        .map_err(|e| format!("read {}: {e}", tests.display()))?
        .filter_map(|entry| {
            entry
                .ok()
                .map(|e| e.file_name().to_string_lossy().into_owned())
        })
        .filter(|name| name.ends_with(".test.mjs") || name.ends_with(".test.cjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("pkg/tests has no *.test.mjs or *.test.cjs files".to_owned());
    }
    run_cmd(
        Command::new("node")
            .current_dir(&tests)
            .arg("--test")
            .args(&files),
    )?;
    run_cmd(Command::new("npx").current_dir(&tests).args([
        "--no-install",
        "tsc",
        "--noEmit",
        "-p",
        "tsconfig.json",
    ]))?;
    Ok(())
}

/// Builds the package (unless `GOVGATE_PKG_NO_BUILD` is set and `dist/` has every module's
/// wasm), installs it and cedar-wasm into `pkg/bench`, and prints sizes and timings against the
/// budgets.
pub fn bench(markdown: bool) -> Result<(), String> {
    let root = root();
    let built = root.join("pkg").join("dist");
    let complete = MODULES.iter().all(|m| {
        built
            .join(m.dir)
            .join(format!("{}_bg.wasm", m.name))
            .is_file()
    });
    let dist = if std::env::var_os("GOVGATE_PKG_NO_BUILD").is_some() && complete {
        built
    } else {
        build_dist()?
    };
    let bench = root.join("pkg").join("bench");
    install_packed(&dist, &bench)?;
    let mut node = Command::new("node");
    node.current_dir(&bench).arg("--expose-gc").arg("bench.mjs");
    if markdown {
        node.arg("--markdown");
    }
    run_cmd(&mut node)
}

/// `cargo xtask size pkg`: builds the package, then each module's wasm optimised the same way
/// but keeping the `name` section, and prints its code by origin and its `top` largest
/// functions.
pub fn size(top: usize) -> Result<(), String> {
    let dist = build_dist()?;
    for module in MODULES {
        module_size(module, &dist.join(module.dir), top)?;
    }
    Ok(())
}

fn module_size(module: &Module, dir: &Path, top: usize) -> Result<(), String> {
    let wasm_name = format!("{}_bg.wasm", module.name);
    let shipped = fs::read(dir.join(&wasm_name)).map_err(|e| format!("read wasm: {e}"))?;
    let named = target_dir()
        .join("pkg")
        .join(format!("{}_bg.names.wasm", module.name));
    let flags = WASM_OPT_FLAGS.iter().filter(|f| **f != "--strip-debug");
    run_cmd(
        Command::new("wasm-opt")
            .args(flags)
            .arg("--debuginfo")
            .arg(bindgen_dir(module).join("nodejs").join(&wasm_name))
            .arg("-o")
            .arg(&named),
    )?;
    let bytes = fs::read(&named).map_err(|e| format!("read {}: {e}", named.display()))?;
    let functions = crate::wasm_size::functions(&bytes)?;
    let code: usize = functions.iter().map(|f| f.size).sum();
    let mut by_origin: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for f in &functions {
        let entry = by_origin
            .entry(crate::wasm_size::origin(&f.name))
            .or_default();
        entry.0 += f.size;
        entry.1 += 1;
    }
    let mut origins: Vec<(String, (usize, usize))> = by_origin.into_iter().collect();
    origins.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    let kb = |n: usize| n as f64 / 1024.0;
    println!(
        "\n`{}` ({wasm_name}): {:.1} KB ({} bytes); its code: {:.1} KB in {} functions \
         (function bodies, from {}).\n",
        module.specifier,
        kb(shipped.len()),
        shipped.len(),
        kb(code),
        functions.len(),
        named.display()
    );
    println!("| share of code | KB | functions | origin |\n| --- | --- | --- | --- |");
    for (origin, (size, count)) in &origins {
        let share = 100.0 * *size as f64 / code.max(1) as f64;
        if share >= 0.3 {
            println!("| {share:.1}% | {:.1} | {count} | {origin} |", kb(*size));
        }
    }
    let mut largest: Vec<&crate::wasm_size::Function> = functions.iter().collect();
    largest.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    println!("\n| bytes | function |\n| --- | --- |");
    for f in largest.into_iter().take(top) {
        let name: String = f.name.chars().take(140).collect();
        println!("| {} | `{}` |", f.size, name.replace('|', "\\|"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::snippet_inlined;

    #[test]
    fn a_snippet_inlines_as_an_expression_giving_its_exports() {
        let snippet = "\"use strict\";\n// a comment\nconst seen = [];\n\
                       export function first(x) { seen.push(x); }\n\
                       function helper() {}\n\
                       export function second() { return seen; }\n";
        let inlined = snippet_inlined(snippet, "src/a.js").expect("inlines");
        assert!(inlined.starts_with("(() => { // src/a.js, inlined\n\"use strict\";\n"));
        assert!(inlined.ends_with("return { first, second };\n})()"));
        assert!(inlined.contains("\nfunction first(x) { seen.push(x); }\n"));
        assert!(inlined.contains("\nfunction helper() {}\n"));
        assert!(!inlined.contains("export"));
        // The snippet's own directive is not repeated after code.
        assert_eq!(inlined.matches("\"use strict\"").count(), 1);
    }

    #[test]
    fn a_snippet_that_imports_or_exports_otherwise_is_refused() {
        for (snippet, line) in [
            (
                "import { x } from \"./x.js\";\nexport function f() {}\n",
                "import { x }",
            ),
            ("export const f = 1;\n", "export const f"),
        ] {
            let err = snippet_inlined(snippet, "src/b.js").expect_err("refused");
            assert!(
                err.starts_with("snippet src/b.js: cannot inline `"),
                "{err}"
            );
            assert!(err.contains(line), "{err}");
        }
        assert_eq!(
            snippet_inlined("function f() {}\n", "src/c.js"),
            Err("snippet src/c.js: exports no function".to_owned())
        );
    }
}
