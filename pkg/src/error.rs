//! The one error type every exported function throws.
//!
//! `wasm_bindgen::JsError` can only carry a message, and a policy error must carry every
//! diagnostic, so functions return [`Error`], which becomes a real JavaScript `Error` (never a
//! bare string) named `GovgateError`, with `path` and `diagnostics` properties.

use std::fmt;

use govgate_core::{Diagnostic, Diagnostics};

/// What kind of problem an [`Error`] reports (shown to JavaScript as `error.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The policy did not compile; `diagnostics` lists every problem.
    Policy,
    /// A JavaScript argument has the wrong shape, type or size.
    Input,
}

impl ErrorKind {
    /// The kind's name as JavaScript sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Policy => "policy",
            ErrorKind::Input => "input",
        }
    }
}

/// A failure of an exported function.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    path: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// A problem with the JavaScript argument `what` (`action`, `options.now`, `cases[2]`).
    pub fn input(what: &str, message: impl fmt::Display) -> Error {
        Error {
            kind: ErrorKind::Input,
            message: format!("invalid `{what}`: {message}"),
            path: Some(what.to_owned()),
            diagnostics: Vec::new(),
        }
    }

    /// A policy that did not compile. The message is the first diagnostic (and a count of the
    /// rest); every diagnostic stays available as `error.diagnostics`.
    pub fn policy(diagnostics: Diagnostics) -> Error {
        let all = diagnostics.0;
        let message = match all.as_slice() {
            [] => "the policy did not compile".to_owned(),
            [only] => only.to_string(),
            [first, rest @ ..] => format!("{first} (and {} more problems)", rest.len()),
        };
        let path = all.first().and_then(|d| d.path.clone());
        Error {
            kind: ErrorKind::Policy,
            message,
            path,
            diagnostics: all,
        }
    }

    /// The kind of problem.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message JavaScript sees as `error.message`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the argument or document the (first) problem is.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Every diagnostic (policy errors only).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(target_arch = "wasm32")]
impl From<Error> for wasm_bindgen::JsValue {
    fn from(error: Error) -> wasm_bindgen::JsValue {
        use wasm_bindgen::JsValue;

        let js = js_sys::Error::new(&error.message);
        js.set_name("GovgateError");
        let diagnostics = serde_json::to_string(&error.diagnostics)
            .ok()
            .and_then(|text| js_sys::JSON::parse(&text).ok())
            .unwrap_or_else(|| js_sys::Array::new().into());
        let path = error
            .path
            .as_deref()
            .map_or(JsValue::UNDEFINED, JsValue::from_str);
        // Setting a property on a fresh Error object cannot fail; if it somehow did, the
        // message alone still says what is wrong.
        let _ = js_sys::Reflect::set(
            &js,
            &JsValue::from_str("kind"),
            &JsValue::from_str(error.kind.as_str()),
        );
        let _ = js_sys::Reflect::set(&js, &JsValue::from_str("path"), &path);
        let _ = js_sys::Reflect::set(&js, &JsValue::from_str("diagnostics"), &diagnostics);
        js.into()
    }
}
