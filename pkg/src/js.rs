//! The exported JavaScript API: JavaScript values in, JSON text to [`crate::api`], JavaScript
//! values out.

use chrono::{DateTime, Utc};
use wasm_bindgen::prelude::*;

#[cfg(feature = "compiler")]
use crate::api::Format;
use crate::api::{self, Compiled, Options};
use crate::error::Error;
use crate::tape;

#[wasm_bindgen(module = "/src/tape.js")]
extern "C" {
    /// Gives `src/tape.js` the module's memory.
    fn tape_memory(memory: &JsValue);

    /// The value on a tape (see [`crate::tape`]).
    #[wasm_bindgen(catch)]
    fn tape_read(codes: u32, count: u32, text: u32, text_len: u32) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/src/args.js")]
extern "C" {
    /// `JSON.stringify(value)` (`undefined` for functions, symbols and `undefined`), or the
    /// `Error` it threw.
    fn json_text(value: &JsValue) -> JsValue;

    /// Which common shape `evaluate`'s options have (see `src/args.js`). Throws what a
    /// Proxy's traps or a getter throw.
    #[wasm_bindgen(catch)]
    fn options_case(options: &JsValue) -> Result<u32, JsValue>;
    /// The `now` value `options_case` read when it answered 3.
    fn options_now() -> JsValue;
    /// The time of a `Date` in milliseconds (`NaN` when invalid); `undefined` for anything
    /// else, objects that only inherit from `Date.prototype` included.
    fn date_time(value: &JsValue) -> JsValue;
    /// Tells `src/args.js` the `now` string whose time [`LAST_NOW`] holds.
    fn options_remember_now(now: &JsValue);
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.stringify(value)`, straight into a Rust string (`None` for `undefined`, functions
    /// and symbols); throws on circular structures and BigInts.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    fn json_stringify(value: &JsValue) -> Result<Option<String>, JsValue>;

    /// `JSON.stringify(value, null, indent)`.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    fn json_stringify_indented(
        value: &JsValue,
        replacer: &JsValue,
        indent: u32,
    ) -> Result<Option<String>, JsValue>;

    /// `JSON.parse(text)`.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;

    /// `Array.isArray(value)`; throws on a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array_or_throw(value: &JsValue) -> Result<bool, JsValue>;

    /// `Object.keys(value)`; throws what a Proxy's traps throw.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;

    /// `Date.now()`.
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

/// A compiled policy: compile once, evaluate many times.
///
/// After any error (a bad action, bad options) the same `Policy` keeps working.
#[wasm_bindgen]
pub struct Policy {
    inner: Compiled,
}

#[wasm_bindgen]
impl Policy {
    /// Reads a compiled policy: the bytes `policy.compiled()` or `govgate compile` wrote (a
    /// `Uint8Array`). Throws a `GovgateError` saying what is wrong and at which byte when the
    /// bytes are not a compiled policy, are damaged, or come from another format version.
    ///
    /// Only the scorer (`govgate/scorer`) has it: the full module compiles from source, and
    /// leaving the artifact reader out keeps it about 10 KB (gzipped) smaller.
    #[cfg(not(feature = "compiler"))]
    #[wasm_bindgen(js_name = fromCompiled)]
    pub fn from_compiled(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
    ) -> Result<Policy, Error> {
        // Keeps the shared wire crate's TypeScript declarations in the module (see there).
        std::hint::black_box(govgate_wire::ts::keep_declarations());
        let Some(array) = bytes.dyn_ref::<js_sys::Uint8Array>() else {
            return Err(Error::input(
                "bytes",
                format_args!("expected a Uint8Array, found {}", js_kind(bytes)),
            ));
        };
        api::Compiled::from_artifact(&array.to_vec()).map(|inner| Policy { inner })
    }

    /// The policy's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// SHA-256 (hex) of the compiled policy's canonical JSON; approvals bind to it.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.inner.digest().to_owned()
    }

    /// Decides one action: the full decision object, as the server would make it.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Action")] action: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EvaluateOptions")] options: &JsValue,
    ) -> Result<JsValue, Error> {
        let options = read_options(options)?;
        let action = api::parse_input("action", &action_text(action)?)?;
        let decision = self.inner.evaluate(action, &options)?;
        to_js("decision", &decision)
    }

    /// Decides one action given as JSON text: the decision as JSON text, byte for byte what the
    /// CLI and the server write. Handy to forward a decision without re-serialising it.
    #[wasm_bindgen(js_name = evaluateJson)]
    pub fn evaluate_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] action: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EvaluateOptions")] options: &JsValue,
    ) -> Result<String, Error> {
        let action = string_arg("action", action)?;
        let options = read_options(options)?;
        self.inner.evaluate_json(&action, &options)
    }

    /// Decides a batch: outcomes, bands and scores, in order (the fast path for replaying
    /// history). Every action is decided at the same `now`.
    #[wasm_bindgen(js_name = evaluateMany, unchecked_return_type = "BatchResult")]
    pub fn evaluate_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Action[]")] actions: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EvaluateOptions")] options: &JsValue,
    ) -> Result<JsValue, Error> {
        if !is_array(actions) {
            return Err(Error::input(
                "actions",
                format_args!("expected an array, found {}", js_kind(actions)),
            ));
        }
        let options = read_options(options)?;
        let text = to_json("actions", actions, api::MAX_BATCH_CHARS)?;
        to_js("actions", &self.inner.evaluate_many(&text, &options)?)
    }
}

/// What only the full module has: compiling policies from source, running tests, writing
/// compiled artifacts.
#[cfg(feature = "compiler")]
#[wasm_bindgen]
impl Policy {
    /// Compiles a policy written in YAML. Throws a `GovgateError` whose `diagnostics` list every
    /// problem, each with line, column and path. `fileName` (default `policy.yaml`) names the
    /// source in diagnostics.
    #[wasm_bindgen(js_name = fromYaml)]
    pub fn from_yaml(
        #[wasm_bindgen(unchecked_param_type = "string")] source: &JsValue,
        #[wasm_bindgen(js_name = fileName, unchecked_optional_param_type = "string")]
        file_name: &JsValue,
    ) -> Result<Policy, Error> {
        let text = string_arg("source", source)?;
        let file = file_name_arg(file_name, Format::Yaml)?;
        api::compile(&file, &text, Format::Yaml).map(|inner| Policy { inner })
    }

    /// Compiles a policy given as a JavaScript object (or JSON text). Diagnostics' lines and
    /// columns refer to `JSON.stringify(doc, null, 2)` when `doc` is an object.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "PolicyDocument | string")] doc: &JsValue,
        #[wasm_bindgen(js_name = fileName, unchecked_optional_param_type = "string")]
        file_name: &JsValue,
    ) -> Result<Policy, Error> {
        let text = document_text(doc)?;
        let file = file_name_arg(file_name, Format::Json)?;
        api::compile(&file, &text, Format::Json).map(|inner| Policy { inner })
    }

    /// The policy compiled, as bytes (a `Uint8Array`): what the evaluate-only scorer's
    /// `Policy.fromCompiled` (`govgate/scorer`) reads back, deciding exactly as this policy.
    /// The same policy always gives the same bytes.
    pub fn compiled(&self) -> Vec<u8> {
        self.inner.to_artifact()
    }

    /// Runs policy tests: the policy's own `tests:` section when `cases` is omitted; else the
    /// given cases, a whole suite with invariants, or the text of a test file (`*_test.yaml`;
    /// `fileName`, default `policy_test.yaml`, names it in diagnostics). Test failures are in the
    /// report (`cases[i].passed`, `invariants[i].violations`); only a malformed suite throws.
    #[wasm_bindgen(unchecked_return_type = "TestReport")]
    pub fn test(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "TestCaseSpec[] | TestSuiteSpec | string")]
        cases: &JsValue,
        #[wasm_bindgen(js_name = fileName, unchecked_optional_param_type = "string")]
        file_name: &JsValue,
    ) -> Result<JsValue, Error> {
        let out = if cases.is_undefined() || cases.is_null() {
            self.inner.test_json(None)?
        } else if let Some(text) = cases.as_string() {
            let file = if file_name.is_undefined() || file_name.is_null() {
                "policy_test.yaml".to_owned()
            } else {
                string_arg("fileName", file_name)?
            };
            self.inner.test_source(&file, &text)?
        } else if is_plain_object(cases) || is_array(cases) {
            self.inner
                .test_json(Some(&to_json("cases", cases, api::MAX_INPUT_CHARS)?))?
        } else {
            return Err(Error::input(
                "cases",
                format_args!(
                    "expected cases, a test suite or its text, found {}",
                    js_kind(cases)
                ),
            ));
        };
        json_parse(&out).map_err(|e| Error::input("cases", js_message(&e)))
    }
}

/// An action as JSON text, checked to be an object and not too large.
fn action_text(action: &JsValue) -> Result<String, Error> {
    // No type checks before JSON.stringify (each is a call into JavaScript): anything but
    // an object comes out as something core's parser rejects, and the error path names
    // the JavaScript type.
    let json = json_text(action);
    let text = match json.as_string() {
        Some(text) if text.starts_with('{') => text,
        Some(text) if text.len() > api::MAX_INPUT_CHARS => {
            return Err(too_large("action", text.len()));
        }
        None if json.is_instance_of::<js_sys::Error>() => {
            return Err(Error::input("action", js_message(&json)));
        }
        _ => {
            return Err(Error::input(
                "action",
                format_args!("expected an object, found {}", js_kind(action)),
            ));
        }
    };
    if text.len() > api::MAX_INPUT_CHARS {
        return Err(too_large("action", text.len()));
    }
    Ok(text)
}

thread_local! {
    /// Whether `src/tape.js` has the module's memory yet.
    static TAPE_MEMORY_GIVEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The tape last handed to JavaScript, kept for its buffers' capacity.
    static TAPE: std::cell::RefCell<tape::Tape> = std::cell::RefCell::new(tape::Tape::default());
}

/// `value` as a JavaScript value, by way of a tape ([`crate::tape`]): the object `JSON.parse`
/// of its JSON text would give, several times faster.
fn to_js<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> Result<JsValue, Error> {
    if !TAPE_MEMORY_GIVEN.get() {
        tape_memory(&wasm_bindgen::memory());
        TAPE_MEMORY_GIVEN.set(true);
    }
    // Busy when JavaScript that `src/tape.js` reaches (a replaced built-in) decides again from
    // inside the read: that decision goes as JSON text, leaving the tape and both key tables to
    // the read under way (borrowing the tape again would panic, and trap).
    TAPE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut tape) => with_tape(what, value, &mut tape),
        Err(_) => via_json(what, value),
    })
}

/// [`to_js`] by way of `tape`.
fn with_tape<T: serde::Serialize + ?Sized>(
    what: &str,
    value: &T,
    tape: &mut tape::Tape,
) -> Result<JsValue, Error> {
    tape::KEYS
        .with_borrow_mut(|keys| {
            let written = tape.write(value, keys);
            if written.is_err() {
                // Names it met are not going to JavaScript after all.
                keys.clear();
            }
            written
        })
        .map_err(|e| Error::input(what, e))?;
    // wasm32 addresses and lengths fit in u32.
    let read = tape_read(
        tape.codes.as_ptr() as u32,
        tape.codes.len() as u32,
        tape.text.as_ptr() as u32,
        tape.text.len() as u32,
    );
    tape.trim();
    read.map_err(|e| {
        tape::KEYS.with_borrow_mut(tape::KeyTable::clear);
        Error::input(what, js_message(&e))
    })
}

/// `value` as a JavaScript value by way of its JSON text and `JSON.parse`.
fn via_json<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> Result<JsValue, Error> {
    let text = serde_json::to_string(value).map_err(|e| Error::input(what, e))?;
    json_parse(&text).map_err(|e| Error::input(what, js_message(&e)))
}

/// Every problem in a policy, without throwing: an empty array when it compiles. `source` is
/// YAML or JSON text (or a policy object); `fileName` (default `policy.yaml`, or `policy.json`
/// for an object) names it in diagnostics, and its extension picks the format.
#[cfg(feature = "compiler")]
#[wasm_bindgen(js_name = validatePolicy, unchecked_return_type = "Diagnostic[]")]
pub fn validate_policy(
    #[wasm_bindgen(unchecked_param_type = "string | PolicyDocument")] source: &JsValue,
    #[wasm_bindgen(js_name = fileName, unchecked_optional_param_type = "string")]
    file_name: &JsValue,
) -> Result<JsValue, Error> {
    let named = if file_name.is_undefined() {
        None
    } else {
        Some(string_arg("fileName", file_name)?)
    };
    let (text, format) = match source.as_string() {
        Some(text) if named.as_deref().is_some_and(|f| f.ends_with(".json")) => {
            (text, Format::Json)
        }
        Some(text) => (text, Format::Yaml),
        None => (document_text(source)?, Format::Json),
    };
    let file = named.unwrap_or_else(|| format.default_file_name().to_owned());
    let diagnostics = api::validate(&file, &text, format);
    let json = serde_json::to_string(&diagnostics).map_err(|e| Error::input("source", e))?;
    json_parse(&json).map_err(|e| Error::input("source", js_message(&e)))
}

/// The JSON Schema (draft 2020-12) of the policy document, for editors and form builders.
#[cfg(feature = "compiler")]
#[wasm_bindgen(js_name = jsonSchema, unchecked_return_type = "Record<string, JsonValue>")]
pub fn json_schema() -> Result<JsValue, Error> {
    // Keeps the shared wire crate's TypeScript declarations in the module (see there).
    std::hint::black_box(govgate_wire::ts::keep_declarations());
    json_parse(api::json_schema()).map_err(|e| Error::input("schema", js_message(&e)))
}

/// SHA-256 (hex) of the action's canonical JSON (RFC 8785) without `overrides`: what approvals
/// bind to.
#[wasm_bindgen]
pub fn fingerprint(
    #[wasm_bindgen(unchecked_param_type = "Action")] action: &JsValue,
) -> Result<String, Error> {
    if !is_plain_object(action) {
        return Err(Error::input(
            "action",
            format_args!("expected an object, found {}", js_kind(action)),
        ));
    }
    let text = to_json("action", action, api::MAX_INPUT_CHARS)?;
    api::fingerprint_json(&text)
}

/// The package's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Reads an optional `EvaluateOptions` argument field by field (no JSON round trip: this is on
/// every `evaluate` call). Fields set to `undefined` are absent, as in JSON.
///
/// This runs on every `evaluate`, and each step is a call into JavaScript (≈30 ns), so the common
/// `{now: "…"}` takes the fewest: the key is compared with a cached `"now"` and the value with
/// the last `now` string (`===` each) instead of copying both strings into wasm memory.
fn read_options(options: &JsValue) -> Result<Options, Error> {
    match options_case(options).map_err(|e| Error::input("options", js_message(&e)))? {
        0 => return Ok(Options::at(current_time())),
        1 => {
            if let Some(now) = LAST_NOW.with(|last| last.try_borrow().ok().and_then(|l| *l)) {
                return Ok(Options::at(now));
            }
        }
        // `{now}` alone, read once already (reading it again would call a getter twice).
        3 => {
            let value = options_now();
            return Ok(Options::at(if value.is_undefined() {
                current_time()
            } else {
                read_now(&value)?
            }));
        }
        _ => {}
    }
    if !is_plain_object(options) {
        return Err(Error::input(
            "options",
            format_args!("expected an object, found {}", js_kind(options)),
        ));
    }
    let mut now = None;
    let mut out = Options::at(DateTime::<Utc>::default());
    let keys = object_keys(options).map_err(|e| Error::input("options", js_message(&e)))?;
    for key in keys.iter() {
        if NOW_KEY.with(|now_key| key == *now_key) {
            let value = js_sys::Reflect::get(options, &key)
                .map_err(|e| Error::input("options.now", js_message(&e)))?;
            if !value.is_undefined() {
                now = Some(read_now(&value)?);
            }
            continue;
        }
        let name = key.as_string().unwrap_or_default();
        let value = js_sys::Reflect::get(options, &key)
            .map_err(|e| Error::input(&format!("options.{name}"), js_message(&e)))?;
        if value.is_undefined() {
            continue;
        }
        match name.as_str() {
            // Normally taken by the `NOW_KEY` comparison above.
            "now" => now = Some(read_now(&value)?),
            "parameters" if value.is_null() => {}
            "parameters" => {
                if !is_plain_object(&value) {
                    return Err(Error::input(
                        "options.parameters",
                        format_args!("expected an object, found {}", js_kind(&value)),
                    ));
                }
                let text = to_json("options.parameters", &value, api::MAX_INPUT_CHARS)?;
                match api::parse_input("options.parameters", &text)? {
                    govgate_core::Value::Map(map) => out.parameters = (*map).clone(),
                    _ => return Err(Error::input("options.parameters", "expected an object")),
                }
            }
            "fingerprint" if value.is_null() => {}
            "fingerprint" => {
                out.fingerprint = value.as_bool().ok_or_else(|| {
                    Error::input(
                        "options.fingerprint",
                        format_args!("expected a boolean, found {}", js_kind(&value)),
                    )
                })?;
            }
            other => {
                return Err(Error::input(
                    &format!("options.{other}"),
                    format_args!(
                        "unknown field `{other}`, expected one of `now`, `parameters`, `fingerprint`"
                    ),
                ));
            }
        }
    }
    out.now = match now {
        Some(now) => now,
        None => current_time(),
    };
    Ok(out)
}

/// `options.now`: a `Date` or an RFC 3339 string.
fn read_now(value: &JsValue) -> Result<DateTime<Utc>, Error> {
    if let Some(text) = value.as_string() {
        let now = api::parse_time(&text).map_err(|e| Error::input("options.now", e))?;
        LAST_NOW.with(|last| {
            if let Ok(mut l) = last.try_borrow_mut() {
                *l = Some(now);
                options_remember_now(value);
            }
        });
        return Ok(now);
    }
    if let Some(millis) = date_time(value).as_f64() {
        return (millis.is_finite())
            .then(|| DateTime::from_timestamp_millis(millis as i64))
            .flatten()
            .ok_or_else(|| {
                Error::input(
                    "options.now",
                    "expected a valid Date, found an invalid Date",
                )
            });
    }
    Err(Error::input(
        "options.now",
        format_args!(
            "expected a Date or an RFC 3339 string, found {}",
            js_kind(value)
        ),
    ))
}

thread_local! {
    /// The time of the last `now` string parsed, which `src/args.js` remembers: callers
    /// usually pass the same one many times.
    static LAST_NOW: std::cell::RefCell<Option<DateTime<Utc>>> = const { std::cell::RefCell::new(None) };
    /// The key `"now"`, to compare option keys with without copying them into wasm memory.
    static NOW_KEY: JsValue = JsValue::from_str("now");
}

fn current_time() -> DateTime<Utc> {
    let millis = date_now();
    // `Date.now()` is always a finite integer in the representable range.
    DateTime::from_timestamp_millis(millis as i64).unwrap_or_default()
}

/// A string argument (checked here: wasm-bindgen's own string glue assumes a string).
fn string_arg(what: &str, value: &JsValue) -> Result<String, Error> {
    match value.as_string() {
        Some(text) => Ok(text),
        None => Err(Error::input(
            what,
            format_args!("expected a string, found {}", js_kind(value)),
        )),
    }
}

/// An optional file name, defaulting to the format's.
#[cfg(feature = "compiler")]
fn file_name_arg(value: &JsValue, format: Format) -> Result<String, Error> {
    if value.is_undefined() || value.is_null() {
        Ok(format.default_file_name().to_owned())
    } else {
        string_arg("fileName", value)
    }
}

/// A policy document given as an object (pretty-printed, so diagnostics point at lines) or text.
#[cfg(feature = "compiler")]
fn document_text(doc: &JsValue) -> Result<String, Error> {
    if let Some(text) = doc.as_string() {
        return Ok(text);
    }
    if !is_plain_object(doc) {
        return Err(Error::input(
            "doc",
            format_args!("expected an object or JSON text, found {}", js_kind(doc)),
        ));
    }
    match json_stringify_indented(doc, &JsValue::NULL, 2) {
        Ok(Some(text)) => Ok(text),
        Ok(None) => Err(Error::input("doc", "not representable as JSON")),
        Err(e) => Err(Error::input("doc", js_message(&e))),
    }
}

fn too_large(what: &str, len: usize) -> Error {
    Error::input(
        what,
        format_args!(
            "too large: {len} bytes of JSON (limit {})",
            api::MAX_INPUT_CHARS
        ),
    )
}

/// `JSON.stringify(value)` within `limit` characters.
fn to_json(what: &str, value: &JsValue, limit: usize) -> Result<String, Error> {
    match json_stringify(value) {
        Ok(Some(text)) if text.len() <= limit => Ok(text),
        Ok(Some(text)) => Err(Error::input(
            what,
            format_args!("too large: {} bytes of JSON (limit {limit})", text.len()),
        )),
        Ok(None) => Err(Error::input(what, "not representable as JSON")),
        // V8 names the path of a cycle ("... property 'parent' closes the circle").
        Err(e) => Err(Error::input(what, js_message(&e))),
    }
}

/// `Array.isArray(value)`, a revoked Proxy counting as no array (what reads it next says why).
/// js_sys's own would throw past the wasm, leaving a `Policy` borrowed for good.
fn is_array(value: &JsValue) -> bool {
    is_array_or_throw(value).unwrap_or(false)
}

/// An object that is not an array (class instances, `Object.create(null)` included; functions
/// are not objects to `is_object`, which tests `typeof value === "object"`).
fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !is_array(value)
}

/// How a JavaScript user would name a value's type.
fn js_kind(value: &JsValue) -> &'static str {
    if value.is_undefined() {
        "undefined"
    } else if value.is_null() {
        "null"
    } else if is_array(value) {
        "an array"
    } else if value.is_string() {
        "a string"
    } else if value.as_f64().is_some() {
        "a number"
    } else if value.as_bool().is_some() {
        "a boolean"
    } else if value.is_bigint() {
        "a bigint"
    } else if value.is_function() {
        "a function"
    } else if value.is_symbol() {
        "a symbol"
    } else {
        "an object"
    }
}

/// The message of a thrown JavaScript value. Its `name` and `message` are read as
/// `Reflect.get` reads them, catching what a getter throws, and kept only when they are strings:
/// nothing here may throw past the wasm (a `Policy` would stay borrowed for good).
fn js_message(error: &JsValue) -> String {
    if let Some(text) = error.as_string() {
        return text;
    }
    let field = |name: &str| {
        js_sys::Reflect::get(error, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    if !error.is_object() {
        return "JavaScript threw a non-Error value".to_owned();
    }
    match field("message") {
        Some(message) => {
            let name = field("name").unwrap_or_else(|| "Error".to_owned());
            // V8 puts the cycle's path on several lines; keep it on one.
            let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("{name}: {message}")
        }
        None => "JavaScript threw a non-Error value".to_owned(),
    }
}
