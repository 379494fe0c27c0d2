//! Whether a verified override applies to this action at this time.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use super::signing::OverridePayload;

/// When an override stops applying, read from [`OverridePayload::expires`].
///
/// Two forms are accepted:
///
/// * an RFC 3339 date-time with an offset (`2025-02-01T12:00:00Z`,
///   `2025-02-01T14:00:00.5+02:00`): the override applies up to **and including** that
///   instant;
/// * a bare date `YYYY-MM-DD` (`2025-02-01`): the override applies through the **end of that
///   UTC day**, and is expired from `2025-02-02T00:00:00Z` on. (A leap second at the end of
///   the day still counts as that day.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Valid while `now <= instant`.
    At(DateTime<Utc>),
    /// Valid while `now`'s UTC date is on or before this date.
    EndOfDay(NaiveDate),
}

impl Expiry {
    /// Reads an expiry; `None` if it is neither a full RFC 3339 date-time with an offset nor
    /// exactly `YYYY-MM-DD` naming a real date.
    pub fn parse(text: &str) -> Option<Expiry> {
        if let Some(date) = parse_date(text) {
            return Some(Expiry::EndOfDay(date));
        }
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Expiry::At(t.with_timezone(&Utc)))
    }

    /// Whether the override no longer applies at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        match self {
            Expiry::At(instant) => now > *instant,
            Expiry::EndOfDay(date) => now.date_naive() > *date,
        }
    }
}

/// Reads exactly `YYYY-MM-DD` (four-digit year) naming a real date.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes: &[u8; 10] = text.as_bytes().try_into().ok()?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *bytes else {
        return None;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(number(&[y0, y1, y2, y3])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&[m0, m1])?, number(&[d0, d1])?)
}

/// Why a validly signed override does not apply here and now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideRejection {
    /// The payload's `expires` is neither an RFC 3339 date-time nor a `YYYY-MM-DD` date.
    BadExpiry {
        /// The text found.
        expires: String,
    },
    /// The override was signed for a different action (its fingerprint differs): replaying it
    /// on this one is refused.
    Replayed {
        /// The fingerprint the override was signed for.
        signed_for: String,
    },
    /// The override's time is up.
    Expired {
        /// The payload's `expires`, as written.
        expires: String,
    },
}

impl fmt::Display for OverrideRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideRejection::BadExpiry { expires } => write!(
                f,
                "the override's expiry `{expires}` is neither an RFC 3339 date-time nor a \
                 YYYY-MM-DD date"
            ),
            OverrideRejection::Replayed { signed_for } => write!(
                f,
                "the override was signed for another action (fingerprint `{signed_for}`)"
            ),
            OverrideRejection::Expired { expires } => {
                write!(f, "the override expired at `{expires}`")
            }
        }
    }
}

impl std::error::Error for OverrideRejection {}

/// Checks that `payload` is bound to the action whose fingerprint is `expected_fingerprint`
/// and has not expired at `now`.
///
/// Call it after [`verify_override`](super::verify_override) succeeds. Checks run in this
/// order, reporting the first failure: the expiry must parse ([`Expiry`]), the fingerprint must
/// equal `expected_fingerprint` exactly (lowercase hex, as [`fingerprint`](super::fingerprint)
/// writes it), and `now` must not be past the expiry.
pub fn check_binding(
    payload: &OverridePayload,
    expected_fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<(), OverrideRejection> {
    let expiry = Expiry::parse(&payload.expires).ok_or_else(|| OverrideRejection::BadExpiry {
        expires: payload.expires.clone(),
    })?;
    if payload.fingerprint != expected_fingerprint {
        return Err(OverrideRejection::Replayed {
            signed_for: payload.fingerprint.clone(),
        });
    }
    if expiry.is_expired_at(now) {
        return Err(OverrideRejection::Expired {
            expires: payload.expires.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn payload(fingerprint: &str, expires: &str) -> OverridePayload {
        OverridePayload {
            fingerprint: fingerprint.into(),
            verdict: Some("allow".into()),
            flags: vec![],
            reason: "r".into(),
            expires: expires.into(),
        }
    }

    const FP: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const OTHER_FP: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn instant_expiry_is_inclusive() {
        let p = payload(FP, "2025-02-01T12:00:00Z");
        assert_eq!(check_binding(&p, FP, at("2025-01-01T00:00:00Z")), Ok(()));
        assert_eq!(check_binding(&p, FP, at("2025-02-01T12:00:00Z")), Ok(()));
        let just_after = at("2025-02-01T12:00:00Z") + TimeDelta::nanoseconds(1);
        assert_eq!(
            check_binding(&p, FP, just_after),
            Err(OverrideRejection::Expired {
                expires: "2025-02-01T12:00:00Z".into()
            })
        );
    }

    #[test]
    fn offsets_are_honoured() {
        // 14:00+02:00 is 12:00Z.
        let p = payload(FP, "2025-02-01T14:00:00+02:00");
        assert_eq!(check_binding(&p, FP, at("2025-02-01T12:00:00Z")), Ok(()));
        assert!(check_binding(&p, FP, at("2025-02-01T12:00:01Z")).is_err());
        let p = payload(FP, "2025-02-01T23:30:00.250-05:00");
        assert_eq!(check_binding(&p, FP, at("2025-02-02T04:30:00.25Z")), Ok(()));
        assert!(check_binding(&p, FP, at("2025-02-02T04:30:00.251Z")).is_err());
    }

    #[test]
    fn date_only_expiry_lasts_through_the_utc_day() {
        let p = payload(FP, "2025-02-01");
        assert_eq!(check_binding(&p, FP, at("2025-02-01T00:00:00Z")), Ok(()));
        assert_eq!(
            check_binding(&p, FP, at("2025-02-01T23:59:59.999999999Z")),
            Ok(())
        );
        assert_eq!(
            check_binding(&p, FP, at("2025-02-02T00:00:00Z")),
            Err(OverrideRejection::Expired {
                expires: "2025-02-01".into()
            })
        );
        // The day is the UTC day: 2025-02-01T23:00-05:00 is already 2025-02-02 in UTC.
        assert!(check_binding(&p, FP, at("2025-02-01T23:00:00-05:00")).is_err());
        // A leap second ending the day is still that day.
        let leap = at("2025-02-01T23:59:60.5Z");
        assert_eq!(check_binding(&p, FP, leap), Ok(()));
    }

    #[test]
    fn fingerprint_mismatch_is_a_replay() {
        let p = payload(OTHER_FP, "2099-01-01");
        assert_eq!(
            check_binding(&p, FP, at("2025-01-01T00:00:00Z")),
            Err(OverrideRejection::Replayed {
                signed_for: OTHER_FP.into()
            })
        );
        // Exact match: case matters.
        let p = payload(&FP.to_uppercase(), "2099-01-01");
        assert!(matches!(
            check_binding(&p, FP, at("2025-01-01T00:00:00Z")),
            Err(OverrideRejection::Replayed { .. })
        ));
    }

    #[test]
    fn bad_expiries() {
        for bad in [
            "",
            "tomorrow",
            "2025-02-30",
            "2025-2-01",
            "2025-02-1",
            "25-02-01",
            "+2025-02-01",
            "2025-02-01T12:00:00", // no offset
            "2025-02-01 ",
            "2025/02/01",
            "２０２５-02-01",
        ] {
            assert_eq!(
                check_binding(&payload(FP, bad), FP, at("2025-01-01T00:00:00Z")),
                Err(OverrideRejection::BadExpiry {
                    expires: bad.into()
                }),
                "{bad:?}"
            );
        }
        // A bad expiry is reported before a fingerprint mismatch.
        assert!(matches!(
            check_binding(&payload(OTHER_FP, "soon"), FP, at("2025-01-01T00:00:00Z")),
            Err(OverrideRejection::BadExpiry { .. })
        ));
    }

    #[test]
    fn expiry_parse_forms() {
        assert_eq!(
            Expiry::parse("2024-02-29"),
            Some(Expiry::EndOfDay(
                NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
            ))
        );
        assert_eq!(Expiry::parse("2023-02-29"), None);
        assert_eq!(
            Expiry::parse("2025-02-01T12:00:00Z"),
            Some(Expiry::At(at("2025-02-01T12:00:00Z")))
        );
        assert_eq!(
            Expiry::parse("0000-01-01"),
            Some(Expiry::EndOfDay(NaiveDate::from_ymd_opt(0, 1, 1).unwrap()))
        );
    }
}
