//! Identity: canonical JSON, digests, action fingerprints and signed overrides.
//!
//! * [`canonical_json`] writes a [`Value`] in RFC 8785 (JCS) form, so equal data always gives
//!   equal bytes, whatever key order or number spelling it arrived in.
//! * [`sha256_hex`] and [`digest_value`] hash bytes and values.
//! * [`fingerprint`] names an action: the digest of its envelope without the top-level
//!   `overrides` member, so attaching an override does not change what it is bound to.
//! * [`OverridePayload`], [`sign_override`], [`verify_override`] and [`check_binding`] let a
//!   holder of a trusted Ed25519 key grant a one-action, time-limited exception.
//!
//! Everything here is pure: no I/O, no clock (the current time is an argument), no panics.

mod binding;
mod canonical;
#[cfg(not(target_arch = "wasm32"))]
mod direct;
mod signing;

pub use binding::{Expiry, OverrideRejection, check_binding};
// The wasm build digests documents through `Value` only (see `policy::load::digest_of`).
pub(crate) use canonical::decimal_digits;
pub use canonical::{CanonicalError, MAX_DEPTH, canonical_json};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use direct::canonical_digest_of;
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) use direct::{canonical_json_of, reordered_struct_types};
pub use signing::{
    KeyError, OverridePayload, SIGNING_DOMAIN, SignatureError, TrustedKey, public_key_base64,
    sign_override, signing_bytes, verify_override,
};

use sha2::{Digest, Sha256};

use crate::value::Value;

/// The top-level member of an action envelope that [`fingerprint`] leaves out.
pub const OVERRIDES_FIELD: &str = "overrides";

/// The SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    to_hex(&Sha256::digest(bytes.as_ref()))
}

/// The SHA-256 (lowercase hex) of the canonical JSON of `value`.
///
/// Fails where [`canonical_json`] does: a non-finite double, or nesting past [`MAX_DEPTH`].
pub fn digest_value(value: &Value) -> Result<String, CanonicalError> {
    Ok(sha256_hex(canonical_json(value)?))
}

/// The fingerprint of an action: SHA-256 (lowercase hex) of the canonical JSON of the action
/// envelope without its top-level `overrides` member.
///
/// Only the top level is affected: an `overrides` key nested deeper is part of the action. A
/// value that is not a map is fingerprinted whole. Anyone can recompute it with an RFC 8785
/// library and `sha256sum` (mind the `Int`-beyond-2^53 note in [`canonical_json`]'s module).
///
/// Fails where [`canonical_json`] does; an action that cannot be fingerprinted cannot be
/// overridden.
pub fn fingerprint(action: &Value) -> Result<String, CanonicalError> {
    let text = match action {
        Value::Map(map) => {
            let mut out = String::new();
            canonical::write_map(map, Some(OVERRIDES_FIELD), &mut out, 0)?;
            out
        }
        other => canonical_json(other)?,
    };
    Ok(sha256_hex(text))
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(*HEX.get(usize::from(nibble)).unwrap_or(&b'0')));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answers() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn digest_value_hashes_canonical_text() {
        let v: Value = serde_json::from_str(r#"{"b": 1.0, "a": "x"}"#).unwrap();
        assert_eq!(canonical_json(&v).unwrap(), r#"{"a":"x","b":1}"#);
        assert_eq!(digest_value(&v).unwrap(), sha256_hex(r#"{"a":"x","b":1}"#));
        assert!(digest_value(&Value::Double(f64::NAN)).is_err());
    }

    #[test]
    fn fingerprint_is_stable_under_key_order_and_spelling() {
        let a: Value = serde_json::from_str(
            r#"{"tool": "shell", "args": {"cmd": "rm -rf /tmp/x", "timeout": 30, "ratio": 0.5},
                "agent": {"id": "a-1", "tags": ["x", "y"]}}"#,
        )
        .unwrap();
        let b: Value = serde_json::from_str(
            r#"{ "agent" : { "tags" : ["x","y"], "id" : "a-1" },
                 "args" : { "ratio" : 5e-1, "timeout" : 30, "cmd" : "rm -rf /tmp/x" },
                 "tool" : "shell" }"#,
        )
        .unwrap();
        assert_eq!(fingerprint(&a).unwrap(), fingerprint(&b).unwrap());
        assert_eq!(fingerprint(&a).unwrap().len(), 64);
        // List order is data, not spelling.
        let c: Value = serde_json::from_str(
            r#"{"tool": "shell", "args": {"cmd": "rm -rf /tmp/x", "timeout": 30, "ratio": 0.5},
                "agent": {"id": "a-1", "tags": ["y", "x"]}}"#,
        )
        .unwrap();
        assert_ne!(fingerprint(&a).unwrap(), fingerprint(&c).unwrap());
    }

    #[test]
    fn fingerprint_ignores_top_level_overrides_only() {
        let bare: Value = serde_json::from_str(r#"{"tool": "deploy", "env": "prod"}"#).unwrap();
        let with: Value = serde_json::from_str(
            r#"{"env": "prod", "overrides": [{"key_id": "k", "signature": "AAAA"}], "tool": "deploy"}"#,
        )
        .unwrap();
        assert_eq!(fingerprint(&bare).unwrap(), fingerprint(&with).unwrap());
        // The fingerprint is the digest of the envelope minus `overrides`.
        assert_eq!(fingerprint(&bare).unwrap(), digest_value(&bare).unwrap());
        assert_eq!(
            fingerprint(&bare).unwrap(),
            sha256_hex(r#"{"env":"prod","tool":"deploy"}"#)
        );
        // Nested `overrides` is part of the action.
        let nested: Value =
            serde_json::from_str(r#"{"tool": "deploy", "env": "prod", "args": {"overrides": 1}}"#)
                .unwrap();
        let nested_other: Value =
            serde_json::from_str(r#"{"tool": "deploy", "env": "prod", "args": {"overrides": 2}}"#)
                .unwrap();
        assert_ne!(
            fingerprint(&nested).unwrap(),
            fingerprint(&nested_other).unwrap()
        );
    }

    #[test]
    fn fingerprint_of_non_map_and_of_bad_values() {
        assert_eq!(
            fingerprint(&Value::string("x")).unwrap(),
            sha256_hex("\"x\"")
        );
        let bad = Value::map([("n", Value::Double(f64::INFINITY))]);
        assert_eq!(fingerprint(&bad).unwrap_err().pointer(), "/n");
        // A non-finite number inside `overrides` does not matter: it is left out.
        let ok = Value::map([
            ("overrides", Value::Double(f64::NAN)),
            ("tool", Value::from("x")),
        ]);
        assert_eq!(fingerprint(&ok).unwrap(), sha256_hex(r#"{"tool":"x"}"#));
    }
}
