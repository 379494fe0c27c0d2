//! Ed25519-signed override payloads.
//!
//! The signed message is [`SIGNING_DOMAIN`] followed by the RFC 8785 canonical JSON of the
//! payload as an object (see [`signing_bytes`]); any language with a JCS library and Ed25519
//! can produce it. Keys and signatures travel as standard, padded base64 (RFC 4648 §4);
//! surrounding whitespace is ignored, anything else non-canonical is rejected.
//!
//! Verification is strict (`verify_strict`: no small-order keys or `R` points, canonical `s`),
//! so a signature cannot be altered into another valid one for the same payload.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::canonical;
use crate::value::Value;

/// The bytes every signed message starts with, so an override signature can never be taken
/// for a signature over anything else, nor a later payload format for this one.
pub const SIGNING_DOMAIN: &[u8] = b"govgate-override-v1\n";

/// What a key holder signs to override the decision on one action.
///
/// `flags` are signed in the order given and are not deduplicated: the signature covers
/// exactly the list written down, and a reordered list no longer verifies. Readers that treat
/// flags as a set may do so after verification.
///
/// `verdict: None` is signed as an absent member (a JSON `null` in a file reads as `None` and
/// is signed the same way). Unknown members in a file are ignored and not signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct OverridePayload {
    /// The [`fingerprint`](super::fingerprint) of the one action this override is for.
    pub fingerprint: String,
    /// The verdict to impose (for example `allow`), if the override sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Rule or factor flags the override waives.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Why the override was granted, for the audit trail.
    pub reason: String,
    /// When the override stops applying: an RFC 3339 instant, or a date `YYYY-MM-DD` meaning
    /// the end of that UTC day (see [`Expiry`](super::Expiry)).
    pub expires: String,
}

impl OverridePayload {
    /// The payload as the JSON object that is canonicalized and signed.
    pub fn to_value(&self) -> Value {
        let mut entries = vec![
            ("fingerprint", Value::string(&self.fingerprint)),
            (
                "flags",
                Value::list(self.flags.iter().map(Value::string).collect()),
            ),
            ("reason", Value::string(&self.reason)),
            ("expires", Value::string(&self.expires)),
        ];
        if let Some(verdict) = &self.verdict {
            entries.push(("verdict", Value::string(verdict)));
        }
        Value::map(entries)
    }
}

/// The exact bytes an override signature covers: [`SIGNING_DOMAIN`], then the canonical JSON
/// of [`OverridePayload::to_value`].
pub fn signing_bytes(payload: &OverridePayload) -> Vec<u8> {
    let mut text = String::new();
    // The payload holds only strings, so every member is written; no number or depth limit
    // applies. Writing it member by member (keys are ASCII, so byte order is UTF-16 order)
    // keeps this infallible; a test checks it equals `canonical_json(&payload.to_value())`.
    text.push('{');
    text.push_str("\"expires\":");
    canonical::write_string(&payload.expires, &mut text);
    text.push_str(",\"fingerprint\":");
    canonical::write_string(&payload.fingerprint, &mut text);
    text.push_str(",\"flags\":[");
    for (i, flag) in payload.flags.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        canonical::write_string(flag, &mut text);
    }
    text.push_str("],\"reason\":");
    canonical::write_string(&payload.reason, &mut text);
    if let Some(verdict) = &payload.verdict {
        text.push_str(",\"verdict\":");
        canonical::write_string(verdict, &mut text);
    }
    text.push('}');

    let mut bytes = Vec::with_capacity(SIGNING_DOMAIN.len() + text.len());
    bytes.extend_from_slice(SIGNING_DOMAIN);
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// Signs `payload` with the Ed25519 key derived from the 32-byte `seed` (RFC 8032's secret
/// key); returns the 64-byte signature in standard padded base64.
pub fn sign_override(seed: &[u8; 32], payload: &OverridePayload) -> String {
    let key = SigningKey::from_bytes(seed);
    let signature = key.sign(&signing_bytes(payload));
    STANDARD.encode(signature.to_bytes())
}

/// The public key of the Ed25519 key derived from `seed`, in standard padded base64: the form
/// [`TrustedKey::from_base64`] reads.
pub fn public_key_base64(seed: &[u8; 32]) -> String {
    STANDARD.encode(SigningKey::from_bytes(seed).verifying_key().to_bytes())
}

/// A public key allowed to sign overrides, under the id signers name it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key's id, as overrides name it (`key_id`). Ids should be unique; the first key with
    /// a given id is the one used.
    pub id: String,
    /// The 32-byte Ed25519 public key (RFC 8032 encoding).
    pub public_key: [u8; 32],
}

impl TrustedKey {
    /// The public key in standard padded base64, as [`TrustedKey::from_base64`] reads it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.public_key)
    }

    /// Reads a public key from standard padded base64 (surrounding whitespace ignored).
    ///
    /// Rejects text that is not canonical base64, is not 32 bytes, is not a point on the curve,
    /// or is a weak (small-order) key that would verify forged signatures.
    pub fn from_base64(id: impl Into<String>, text: &str) -> Result<TrustedKey, KeyError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|e| KeyError::Base64 {
            detail: e.to_string(),
        })?;
        let public_key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength { found: bytes.len() })?;
        let key = VerifyingKey::from_bytes(&public_key).map_err(|_| KeyError::NotOnCurve)?;
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(TrustedKey {
            id: id.into(),
            public_key,
        })
    }

    /// The public key in standard padded base64.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key)
    }
}

/// Why a public key could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The text is not standard padded base64.
    Base64 {
        /// What the decoder objected to.
        detail: String,
    },
    /// The bytes are not 32 long.
    WrongLength {
        /// How many bytes the text decoded to.
        found: usize,
    },
    /// The bytes do not encode a point on Curve25519.
    NotOnCurve,
    /// The point has small order: such a key would accept forged signatures.
    WeakKey,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Base64 { detail } => {
                write!(f, "the public key is not valid standard base64: {detail}")
            }
            KeyError::WrongLength { found } => write!(
                f,
                "the public key decodes to {found} bytes; an Ed25519 public key has 32"
            ),
            KeyError::NotOnCurve => f.write_str("the public key is not a valid Ed25519 point"),
            KeyError::WeakKey => f.write_str(
                "the public key is a weak (small-order) Ed25519 key and cannot be trusted",
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why an override signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No trusted key has the id the override names.
    UnknownKey {
        /// The id named.
        key_id: String,
    },
    /// The signature text is not base64 of 64 bytes.
    MalformedSignature {
        /// What is wrong with it.
        detail: String,
    },
    /// The trusted key's bytes are not a usable Ed25519 key (a [`TrustedKey`] built by hand
    /// rather than by [`TrustedKey::from_base64`]).
    InvalidKey {
        /// The key's id.
        key_id: String,
    },
    /// The signature does not verify: the payload was changed, or another key signed it.
    BadSignature {
        /// The id of the key it was checked against.
        key_id: String,
    },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::UnknownKey { key_id } => {
                write!(f, "no trusted key has the id `{key_id}`")
            }
            SignatureError::MalformedSignature { detail } => {
                write!(f, "the signature is malformed: {detail}")
            }
            SignatureError::InvalidKey { key_id } => {
                write!(
                    f,
                    "the trusted key `{key_id}` is not a valid Ed25519 public key"
                )
            }
            SignatureError::BadSignature { key_id } => write!(
                f,
                "the signature does not match the payload under key `{key_id}`"
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Checks that `signature_b64` is the signature of `payload` by the trusted key `key_id`.
///
/// Only the signature is checked here; whether the payload is bound to the action at hand and
/// still unexpired is [`check_binding`](super::check_binding)'s job.
pub fn verify_override(
    keys: &[TrustedKey],
    key_id: &str,
    payload: &OverridePayload,
    signature_b64: &str,
) -> Result<(), SignatureError> {
    let trusted =
        keys.iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| SignatureError::UnknownKey {
                key_id: key_id.to_owned(),
            })?;
    let bytes =
        STANDARD
            .decode(signature_b64.trim())
            .map_err(|e| SignatureError::MalformedSignature {
                detail: format!("not valid standard base64: {e}"),
            })?;
    let raw: [u8; 64] =
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| SignatureError::MalformedSignature {
                detail: format!(
                    "decodes to {} bytes; an Ed25519 signature has 64",
                    bytes.len()
                ),
            })?;
    let signature = Signature::from_bytes(&raw);
    let key =
        VerifyingKey::from_bytes(&trusted.public_key).map_err(|_| SignatureError::InvalidKey {
            key_id: trusted.id.clone(),
        })?;
    key.verify_strict(&signing_bytes(payload), &signature)
        .map_err(|_| SignatureError::BadSignature {
            key_id: trusted.id.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::canonical_json;

    const SEED: [u8; 32] = [7; 32];
    const OTHER_SEED: [u8; 32] = [9; 32];

    fn payload() -> OverridePayload {
        OverridePayload {
            fingerprint: "3f".repeat(32),
            verdict: Some("allow".into()),
            flags: vec!["pii".into(), "after_hours".into()],
            reason: "incident INC-42, approved by on-call".into(),
            expires: "2025-02-01T12:00:00Z".into(),
        }
    }

    fn keys() -> Vec<TrustedKey> {
        vec![
            TrustedKey::from_base64("other", &public_key_base64(&OTHER_SEED)).unwrap(),
            TrustedKey::from_base64("ops", &public_key_base64(&SEED)).unwrap(),
        ]
    }

    #[test]
    fn signing_bytes_are_domain_then_canonical_json() {
        for p in [
            payload(),
            OverridePayload {
                verdict: None,
                flags: vec![],
                reason: "quote \" and \u{1} and é".into(),
                ..payload()
            },
        ] {
            let mut want = SIGNING_DOMAIN.to_vec();
            want.extend_from_slice(canonical_json(&p.to_value()).unwrap().as_bytes());
            assert_eq!(signing_bytes(&p), want);
        }
        let text = String::from_utf8(signing_bytes(&payload())).unwrap();
        assert_eq!(
            text,
            format!(
                "govgate-override-v1\n{{\"expires\":\"2025-02-01T12:00:00Z\",\"fingerprint\":\"{}\",\
                 \"flags\":[\"pii\",\"after_hours\"],\"reason\":\"incident INC-42, approved by \
                 on-call\",\"verdict\":\"allow\"}}",
                "3f".repeat(32)
            )
        );
    }

    #[test]
    fn payload_serde_round_trip_and_null_verdict() {
        let p = payload();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<OverridePayload>(&json).unwrap(), p);
        let q: OverridePayload = serde_json::from_str(
            r#"{"fingerprint": "ab", "verdict": null, "reason": "r", "expires": "2025-02-01"}"#,
        )
        .unwrap();
        assert_eq!(q.verdict, None);
        assert!(q.flags.is_empty());
        assert!(!serde_json::to_string(&q).unwrap().contains("verdict"));
    }

    #[test]
    fn sign_verify_round_trip() {
        let p = payload();
        let sig = sign_override(&SEED, &p);
        assert_eq!(STANDARD.decode(&sig).unwrap().len(), 64);
        assert_eq!(verify_override(&keys(), "ops", &p, &sig), Ok(()));
        // Signing is deterministic (RFC 8032).
        assert_eq!(sign_override(&SEED, &p), sig);
        // Surrounding whitespace is tolerated.
        assert_eq!(
            verify_override(&keys(), "ops", &p, &format!(" {sig}\n")),
            Ok(())
        );
    }

    /// RFC 8032 §7.1 test 1: the seed, its public key and the signature of the empty message,
    /// to pin the primitive independently of our own encoding.
    #[test]
    fn rfc8032_test_vector_1() {
        let seed: [u8; 32] =
            hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let public: [u8; 32] =
            hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assert_eq!(public_key_base64(&seed), STANDARD.encode(public));
        let sig = SigningKey::from_bytes(&seed).sign(b"").to_bytes();
        assert_eq!(
            STANDARD.encode(sig),
            STANDARD.encode(hex64(concat!(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
                "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )))
        );
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    fn hex32(s: &str) -> [u8; 32] {
        hex_bytes(s).try_into().unwrap()
    }
    fn hex64(s: &str) -> [u8; 64] {
        hex_bytes(s).try_into().unwrap()
    }

    #[test]
    fn tampering_with_any_field_breaks_the_signature() {
        let p = payload();
        let sig = sign_override(&SEED, &p);
        let tampered = [
            OverridePayload {
                fingerprint: "3e".repeat(32),
                ..p.clone()
            },
            OverridePayload {
                verdict: Some("deny".into()),
                ..p.clone()
            },
            OverridePayload {
                verdict: None,
                ..p.clone()
            },
            OverridePayload {
                flags: vec!["pii".into()],
                ..p.clone()
            },
            OverridePayload {
                flags: vec!["after_hours".into(), "pii".into()],
                ..p.clone()
            },
            OverridePayload {
                flags: vec!["pii".into(), "after_hours".into(), "pii".into()],
                ..p.clone()
            },
            OverridePayload {
                reason: "incident INC-43, approved by on-call".into(),
                ..p.clone()
            },
            OverridePayload {
                expires: "2025-02-01T12:00:01Z".into(),
                ..p.clone()
            },
        ];
        for t in &tampered {
            assert_eq!(
                verify_override(&keys(), "ops", t, &sig),
                Err(SignatureError::BadSignature {
                    key_id: "ops".into()
                }),
                "{t:?}"
            );
        }
    }

    #[test]
    fn wrong_or_unknown_key_id() {
        let p = payload();
        let sig = sign_override(&SEED, &p);
        assert_eq!(
            verify_override(&keys(), "other", &p, &sig),
            Err(SignatureError::BadSignature {
                key_id: "other".into()
            })
        );
        assert_eq!(
            verify_override(&keys(), "nobody", &p, &sig),
            Err(SignatureError::UnknownKey {
                key_id: "nobody".into()
            })
        );
        assert_eq!(
            verify_override(&[], "ops", &p, &sig),
            Err(SignatureError::UnknownKey {
                key_id: "ops".into()
            })
        );
    }

    #[test]
    fn malformed_signatures() {
        let p = payload();
        let sig = sign_override(&SEED, &p);
        let cases: Vec<String> = vec![
            "not base64!".into(),
            sig.trim_end_matches('=').into(), // padding removed
            sig[..sig.len() - 4].into(),      // 60 characters: 45 bytes
            STANDARD.encode([0u8; 63]),
            STANDARD.encode([0u8; 65]),
            String::new(),
        ];
        for case in &cases {
            let err = verify_override(&keys(), "ops", &p, case).unwrap_err();
            assert!(
                matches!(err, SignatureError::MalformedSignature { .. }),
                "{case:?}: {err:?}"
            );
        }
        let err = verify_override(&keys(), "ops", &p, &STANDARD.encode([0u8; 63])).unwrap_err();
        assert!(err.to_string().contains("63 bytes"), "{err}");
        // Right length, wrong bytes.
        assert_eq!(
            verify_override(&keys(), "ops", &p, &STANDARD.encode([0u8; 64])),
            Err(SignatureError::BadSignature {
                key_id: "ops".into()
            })
        );
        // A URL-safe alphabet signature is not accepted.
        let url_safe = sig.replace('+', "-").replace('/', "_");
        if url_safe != sig {
            assert!(matches!(
                verify_override(&keys(), "ops", &p, &url_safe),
                Err(SignatureError::MalformedSignature { .. })
            ));
        }
    }

    #[test]
    fn key_parsing_errors() {
        assert!(matches!(
            TrustedKey::from_base64("k", "@@@@"),
            Err(KeyError::Base64 { .. })
        ));
        assert_eq!(
            TrustedKey::from_base64("k", &STANDARD.encode([1u8; 31])),
            Err(KeyError::WrongLength { found: 31 })
        );
        assert_eq!(
            TrustedKey::from_base64("k", &STANDARD.encode([1u8; 33])),
            Err(KeyError::WrongLength { found: 33 })
        );
        // The identity point (y = 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            TrustedKey::from_base64("k", &STANDARD.encode(identity)),
            Err(KeyError::WeakKey)
        );
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(
            TrustedKey::from_base64("k", &STANDARD.encode(off_curve)),
            Err(KeyError::NotOnCurve)
        );
        let key = TrustedKey::from_base64("ops", &public_key_base64(&SEED)).unwrap();
        assert_eq!(key.id, "ops");
        assert_eq!(key.public_key_base64(), public_key_base64(&SEED));
        assert!(
            KeyError::WrongLength { found: 31 }
                .to_string()
                .contains("31 bytes")
        );
    }

    #[test]
    fn hand_built_invalid_key_is_reported() {
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        let keys = [TrustedKey {
            id: "bad".into(),
            public_key: off_curve,
        }];
        let sig = sign_override(&SEED, &payload());
        assert_eq!(
            verify_override(&keys, "bad", &payload(), &sig),
            Err(SignatureError::InvalidKey {
                key_id: "bad".into()
            })
        );
    }
}
