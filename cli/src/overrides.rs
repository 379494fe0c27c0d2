//! `govgate override`: keys, fingerprints and Ed25519-signed overrides.
//!
//! An override is `{key_id, signature, payload: {fingerprint, verdict, flags, reason, expires}}`
//! added to the action's `overrides` list. The payload is bound to the action's fingerprint
//! (the action without `overrides`), so it cannot be replayed on another action.

use std::io::{Read, Write};
use std::path::Path;

use govgate_core::Value;
use govgate_core::identity::{self, Expiry, OverridePayload};

use crate::args::{KeygenArgs, OverrideCommand, SeedArgs, SignArgs};
use crate::exit::{self, Failure};
use crate::io;

pub fn run(cmd: &OverrideCommand) -> Result<u8, Failure> {
    match cmd {
        OverrideCommand::Keygen(a) => keygen(a),
        OverrideCommand::Sign(a) => sign(a),
        OverrideCommand::Fingerprint(a) => {
            let (_, action) = io::read_single(a.input.as_deref())?;
            io::print(&format!("{}\n", fingerprint(&action)?));
            Ok(exit::OK)
        }
        OverrideCommand::PublicKey(a) => {
            let seed = seed_of(a)?;
            io::print(&format!("{}\n", identity::public_key_base64(&seed)));
            Ok(exit::OK)
        }
    }
}

fn fingerprint(action: &Value) -> Result<String, Failure> {
    identity::fingerprint(action)
        .map_err(|e| Failure::error(format!("the action cannot be fingerprinted: {e}")))
}

/// Decodes 64 hex digits into a 32-byte seed.
pub fn parse_seed_hex(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    if text.len() != 64 {
        return Err(format!(
            "a seed is 64 hex digits (32 bytes); this has {} characters",
            text.chars().count()
        ));
    }
    let mut seed = [0u8; 32];
    for (byte, pair) in seed.iter_mut().zip(text.as_bytes().chunks(2)) {
        let digit = |b: u8| (b as char).to_digit(16);
        match pair {
            [hi, lo] => match (digit(*hi), digit(*lo)) {
                (Some(h), Some(l)) => *byte = (h * 16 + l) as u8,
                _ => return Err("a seed holds only hex digits (0-9, a-f)".into()),
            },
            _ => return Err("a seed is 64 hex digits".into()),
        }
    }
    Ok(seed)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn seed_of(a: &SeedArgs) -> Result<[u8; 32], Failure> {
    match (&a.seed_hex, &a.seed_file) {
        (Some(hex), _) => {
            parse_seed_hex(hex).map_err(|e| Failure::usage(format!("invalid --seed-hex: {e}")))
        }
        (None, Some(file)) => {
            let text = io::read_text(file)?;
            parse_seed_hex(&text).map_err(|e| {
                Failure::error(format!("invalid seed in `{}`: {e}", io::display(file)))
            })
        }
        (None, None) => Err(Failure::usage(
            "give the signing key with --seed-hex or --seed-file",
        )),
    }
}

/// 32 bytes from the operating system's random source.
fn random_seed() -> Result<[u8; 32], Failure> {
    let mut seed = [0u8; 32];
    if cfg!(unix) {
        let mut f = std::fs::File::open("/dev/urandom")
            .map_err(|e| Failure::error(format!("cannot open /dev/urandom: {e}")))?;
        f.read_exact(&mut seed)
            .map_err(|e| Failure::error(format!("cannot read /dev/urandom: {e}")))?;
        Ok(seed)
    } else {
        Err(Failure::usage(
            "no random source on this platform: pass --seed-hex with 64 random hex digits",
        ))
    }
}

fn write_new_secret(path: &Path, text: &str) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::error(format!(
                "`{}` already exists; refusing to overwrite a key",
                io::display(path)
            ))
        } else {
            Failure::error(format!("cannot create `{}`: {e}", io::display(path)))
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            // Never leave half a key behind (it would block the next keygen as "exists").
            drop(file);
            let _ = std::fs::remove_file(path);
            Failure::error(format!("cannot write `{}`: {e}", io::display(path)))
        })
}

fn keygen(a: &KeygenArgs) -> Result<u8, Failure> {
    check_key_id(&a.key_id)?;
    let seed = match &a.seed_hex {
        Some(hex) => {
            parse_seed_hex(hex).map_err(|e| Failure::usage(format!("invalid --seed-hex: {e}")))?
        }
        None => random_seed()?,
    };
    write_new_secret(&a.seed_file, &format!("{}\n", to_hex(&seed)))?;
    let public = identity::public_key_base64(&seed);
    io::print(&format!(
        "wrote the private seed to {} (keep it secret)\npublic key: {public}\n\nadd to the policy:\n\noverrides:\n  trusted_keys:\n    - id: {}\n      public_key: {public}\n",
        io::display(&a.seed_file),
        yaml_scalar(&a.key_id)
    ));
    Ok(exit::OK)
}

/// A key id as given on the command line: not empty, on one line.
fn check_key_id(key_id: &str) -> Result<(), Failure> {
    if key_id.trim().is_empty() {
        return Err(Failure::usage("--key-id is empty"));
    }
    if key_id.chars().any(char::is_control) {
        return Err(Failure::usage(format!(
            "invalid --key-id `{}`: it holds control characters (a newline?)",
            key_id.escape_default()
        )));
    }
    Ok(())
}

/// A key id as a YAML scalar for the policy snippet: plain when it can be, else quoted.
fn yaml_scalar(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '/'))
        && text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if plain {
        text.to_owned()
    } else {
        serde_json::Value::String(text.to_owned()).to_string()
    }
}

fn sign(a: &SignArgs) -> Result<u8, Failure> {
    let seed = seed_of(&a.seed)?;
    let Some(expiry) = Expiry::parse(a.expires.trim()) else {
        return Err(Failure::usage(format!(
            "invalid --expires `{}`: expected RFC 3339 (2026-02-01T12:00:00Z) or a date (2026-02-01)",
            a.expires
        )));
    };
    check_key_id(&a.key_id)?;
    if a.reason.trim().is_empty() {
        return Err(Failure::usage(
            "--reason is empty: say why the override is granted (it is recorded in the decision)",
        ));
    }
    if a.flags.iter().any(|f| f.trim().is_empty()) {
        return Err(Failure::usage("--flag is empty"));
    }
    if a.verdict.is_none() && a.flags.is_empty() {
        return Err(Failure::usage(
            "the override would change nothing: give --verdict or at least one --flag",
        ));
    }
    if a.verdict.as_deref().is_some_and(|v| v.trim().is_empty()) {
        return Err(Failure::usage("--verdict is empty"));
    }
    if expiry.is_expired_at(chrono::Utc::now()) {
        io::eprint(&format!(
            "warning: --expires `{}` is already past: the override will be reported as expired and ignored\n",
            a.expires.trim()
        ));
    }
    let (_, action) = io::read_single(Some(a.input.as_path()))?;
    let payload = OverridePayload {
        fingerprint: fingerprint(&action)?,
        verdict: a.verdict.clone(),
        flags: a.flags.clone(),
        reason: a.reason.clone(),
        expires: a.expires.trim().to_owned(),
    };
    let signature = identity::sign_override(&seed, &payload);
    let signed = serde_json::json!({
        "key_id": a.key_id,
        "signature": signature,
        "payload": payload,
    });
    let out = if a.attach {
        let mut action = action.to_json();
        let serde_json::Value::Object(map) = &mut action else {
            return Err(Failure::error("--attach needs the action to be an object"));
        };
        match map
            .entry("overrides")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()))
        {
            serde_json::Value::Array(list) => list.push(signed),
            serde_json::Value::Null => {
                map.insert("overrides".into(), serde_json::Value::Array(vec![signed]));
            }
            _ => return Err(Failure::error("the action's `overrides` is not a list")),
        }
        action
    } else {
        signed
    };
    let text = serde_json::to_string_pretty(&out)
        .map_err(|e| Failure::error(format!("cannot write JSON: {e}")))?;
    io::print(&format!("{text}\n"));
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_round_trip_through_hex() {
        let hex = "07".repeat(32);
        let seed = parse_seed_hex(&hex).unwrap();
        assert_eq!(seed, [7u8; 32]);
        assert_eq!(to_hex(&seed), hex);
        assert!(parse_seed_hex("07").is_err());
        assert!(parse_seed_hex(&"zz".repeat(32)).is_err());
        assert!(parse_seed_hex(&format!(" {}\n", "AB".repeat(32))).is_ok());
    }
}
