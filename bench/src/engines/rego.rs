//! regorus: `Engine::set_input` + `Engine::eval_rule` on an engine whose module was added and
//! prepared once.
//!
//! Prepared once: the `Engine` with the module added (`add_policy`) and prepared (regorus
//! analyses and schedules the modules lazily, on the first evaluation, so `new` runs one
//! evaluation before returning), and per input a `regorus::Value` converted from the input
//! JSON. Per call: `set_input(value.clone())` (a reference-count increment: regorus is built
//! with its `arc` feature) and `eval_rule(path)`; `eval_rule` takes the rule path as an owned
//! `String`, so the call also allocates that short string, as every caller of this API does.
//!
//! We use `Engine` rather than `CompiledPolicy::eval_with_input`, which builds a fresh `Engine`
//! from the compiled policy on every call and is therefore slower.

use regorus::{Engine, Value};
use serde_json::Value as Json;

use crate::workloads::B4Outcome;

/// A prepared regorus engine.
pub struct RegoEngine {
    engine: Engine,
    rule: String,
}

impl RegoEngine {
    /// Adds `module` and prepares the engine by evaluating `rule` once on `warm_input`.
    pub fn new(module: &str, rule: &str, warm_input: &Json) -> RegoEngine {
        let mut engine = Engine::new();
        engine
            .add_policy("policy.rego".to_owned(), module.to_owned())
            .expect("rego module parses");
        let mut this = RegoEngine {
            engine,
            rule: rule.to_owned(),
        };
        let warm = this.input(warm_input);
        this.eval(&warm);
        this
    }

    /// The input value for `input`.
    pub fn input(&self, input: &Json) -> Value {
        let value = Value::from(input.clone());
        assert!(value != Value::Undefined, "rego input conversion failed");
        value
    }

    /// The timed call.
    pub fn eval(&mut self, input: &Value) -> Value {
        self.engine.set_input(input.clone());
        self.engine
            .eval_rule(self.rule.clone())
            .expect("rego evaluation")
    }

    /// B1: denied.
    pub fn decide_b1(&mut self, input: &Value) -> bool {
        match self
            .eval(input)
            .as_string()
            .expect("rego b1 verdict is a string")
            .as_ref()
        {
            "deny" => true,
            "allow" => false,
            other => panic!("rego b1: unexpected verdict {other}"),
        }
    }

    /// B3: the rule that matched, if any.
    pub fn decide_b3(&mut self, input: &Value) -> Option<usize> {
        let value = self.eval(input);
        let id = value.as_string().expect("rego b3 result is a string");
        if id.as_ref() == "none" {
            return None;
        }
        Some(
            id.strip_prefix('r')
                .and_then(|n| n.parse().ok())
                .expect("rego rule id"),
        )
    }

    /// B4: score and band.
    pub fn decide_b4(&mut self, input: &Value) -> B4Outcome {
        let value = self.eval(input);
        let score = value[&Value::from("score")]
            .as_f64()
            .expect("rego b4 score");
        let band = value[&Value::from("band")]
            .as_string()
            .expect("rego b4 band")
            .to_string();
        B4Outcome { score, band }
    }
}

/// B5's timed call: a fresh engine, the module added, and the first evaluation (which is when
/// regorus prepares: there is no public method that prepares without evaluating).
pub fn load_and_prepare(module: &str, rule: &str, input: &Value) -> Value {
    let mut engine = Engine::new();
    engine
        .add_policy("policy.rego".to_owned(), module.to_owned())
        .expect("rego module parses");
    engine.set_input(input.clone());
    engine.eval_rule(rule.to_owned()).expect("rego evaluation")
}

/// B5, parse only: a fresh engine and the module added (not yet prepared).
pub fn load_parse_only(module: &str) -> Engine {
    let mut engine = Engine::new();
    engine
        .add_policy("policy.rego".to_owned(), module.to_owned())
        .expect("rego module parses");
    engine
}
