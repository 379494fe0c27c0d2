//! cedar-policy: `Authorizer::is_authorized` over a `PolicySet`, no schema, no entities.
//!
//! Prepared once: the `PolicySet` (parsed from text), the `Authorizer`, empty `Entities`, and per
//! input the whole `Request` (principal, action, resource, and the `Context` built from the
//! input JSON). Per call: `is_authorized(&request, &policies, &entities)`.

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicyId, PolicySet, Request, Response,
};
use serde_json::Value as Json;

/// A prepared cedar policy set.
pub struct CedarEngine {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
}

impl CedarEngine {
    /// Parses `policies` (cedar syntax).
    pub fn new(policies: &str) -> CedarEngine {
        CedarEngine {
            authorizer: Authorizer::new(),
            policies: load(policies),
            entities: Entities::empty(),
        }
    }

    /// The request for `input`: the input JSON is the request's context.
    pub fn input(&self, input: &Json) -> Request {
        let principal = EntityUid::from_str(r#"Agent::"agent""#).expect("principal uid");
        let action = EntityUid::from_str(r#"Action::"evaluate""#).expect("action uid");
        let resource = EntityUid::from_str(r#"Resource::"target""#).expect("resource uid");
        let context = Context::from_json_value(input.clone(), None).expect("cedar context");
        Request::new(principal, action, resource, context, None).expect("cedar request")
    }

    /// The timed call.
    pub fn eval(&self, request: &Request) -> Response {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
    }

    /// B1: denied.
    pub fn decide_b1(&self, request: &Request) -> bool {
        let response = self.eval(request);
        assert!(
            response.diagnostics().errors().next().is_none(),
            "cedar errors: {response:?}"
        );
        response.decision() == Decision::Deny
    }

    /// B3: the forbid policy that denied (`policyN` is rule N, as [`crate::workloads::b3_cedar`]
    /// writes them in order), if any.
    pub fn decide_b3(&self, request: &Request) -> Option<usize> {
        let response = self.eval(request);
        assert!(
            response.diagnostics().errors().next().is_none(),
            "cedar errors: {response:?}"
        );
        if response.decision() == Decision::Allow {
            return None;
        }
        let reasons: Vec<&PolicyId> = response.diagnostics().reason().collect();
        assert_eq!(
            reasons.len(),
            1,
            "cedar: more than one forbid matched: {reasons:?}"
        );
        let id = reasons[0].to_string();
        Some(
            id.strip_prefix("policy")
                .and_then(|n| n.parse().ok())
                .expect("cedar policy id"),
        )
    }
}

/// B5's timed call: parse a policy set.
pub fn load(policies: &str) -> PolicySet {
    PolicySet::from_str(policies).expect("cedar policies parse")
}
