//! cel: bare precompiled `Program`s, executed against one root `Context`.
//!
//! Prepared once: the `Program`s (`Program::compile`), ONE root `Context` (the standard
//! library's functions; building a fresh default `Context` per call costs far more than the
//! evaluation itself), and per input the input converted into a `Box<dyn Val>` held by a
//! [`CelInput`]. Per call: `root.new_inner_scope()`, the input bound in that scope by reference
//! (`set_variable_resolver`, no copy of the tree), and `Program::execute`. This is the cheapest
//! way the public API offers to evaluate a compiled expression over a prepared input; binding
//! with `add_variable_from_value` instead would convert the whole input tree on every call.
//!
//! cel is an expression evaluator, not a policy engine: first match over many rules is a scan
//! in Rust over one program per rule, and B4's band is placed in Rust from the score the
//! expression computes.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::objects::{Key, Map};
use cel::{Context, Program, Value};
use serde_json::Value as Json;

use crate::workloads::{B4Outcome, b4_band};

/// The input, bound as the variable `input`.
#[derive(Debug)]
pub struct CelInput {
    input: Box<dyn Val>,
}

impl VariableResolver for CelInput {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        (variable == "input").then(|| CowVal::Borrowed(self.input.as_ref()))
    }
}

/// Converts the neutral JSON input into the variable's value.
pub fn input(input: &Json) -> CelInput {
    CelInput {
        input: to_cel(input).try_into().expect("cel value conversion"),
    }
}

fn to_cel(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Json::Object(map) => {
            let entries: HashMap<Key, Value> = map
                .iter()
                .map(|(k, v)| (Key::from(k.as_str()), to_cel(v)))
                .collect();
            Value::Map(Map::from(entries))
        }
    }
}

/// Compiles one program (also B5's timed call, once per rule).
pub fn compile(source: &str) -> Program {
    Program::compile(source).expect("cel program compiles")
}

/// The root context, built once per benchmark.
pub fn root_context() -> Context<'static, 'static> {
    Context::default()
}

/// The timed call for one program.
pub fn eval(root: &Context<'_, '_>, program: &Program, input: &CelInput) -> Value {
    let mut scope = root.new_inner_scope();
    // `set_variable_resolver` wants the root's value lifetime; the input outlives the call.
    scope_bind(&mut scope, input);
    program.execute(&scope).expect("cel evaluation")
}

fn scope_bind<'p, 'v>(scope: &mut Context<'p, 'v>, input: &'v CelInput) {
    scope.set_variable_resolver(input);
}

/// The timed call for a first-match scan: the index of the first program that yields `true`.
pub fn first_match(
    root: &Context<'_, '_>,
    programs: &[Program],
    input: &CelInput,
) -> Option<usize> {
    let mut scope = root.new_inner_scope();
    scope_bind(&mut scope, input);
    programs
        .iter()
        .position(|p| matches!(p.execute(&scope), Ok(Value::Bool(true))))
}

/// B1: denied.
pub fn decide_b1(root: &Context<'_, '_>, program: &Program, input: &CelInput) -> bool {
    match eval(root, program, input) {
        Value::Bool(b) => b,
        other => panic!("cel b1: not a bool: {other:?}"),
    }
}

/// B4: the score from the expression, the band placed from it.
pub fn decide_b4(root: &Context<'_, '_>, program: &Program, input: &CelInput) -> B4Outcome {
    match eval(root, program, input) {
        Value::Float(score) => B4Outcome {
            score,
            band: b4_band(score).to_owned(),
        },
        other => panic!("cel b4: not a double: {other:?}"),
    }
}

/// For comparison only: the common way to bind a variable, `add_variable_from_value`, which
/// converts the whole input tree into the context's representation on every call.
pub fn eval_bind_value(root: &Context<'_, '_>, program: &Program, input: &Value) -> Value {
    let mut scope = root.new_inner_scope();
    scope.add_variable_from_value("input", input.clone());
    program.execute(&scope).expect("cel evaluation")
}

/// The input as a `cel::Value`, for [`eval_bind_value`].
pub fn input_value(input: &Json) -> Value {
    to_cel(input)
}
