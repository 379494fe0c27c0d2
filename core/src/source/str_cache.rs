//! A per-parse cache of the strings a loader has allocated, shared by the YAML fast path and
//! the JSON loader: keys and short values repeat, so later copies share one `Arc<str>`.

use crate::value::Str;

/// Longest string a [`StrCache`] shares between its copies.
const SHARE_LIMIT: usize = 32;

/// Slots in a [`StrCache`].
pub(crate) const SLOTS: usize = 64;

/// A direct-mapped cache of the strings allocated so far in one parse: keys and short values
/// repeat, and cloning an `Arc` is much cheaper than allocating another.
pub(crate) struct StrCache<'a> {
    /// A string seen (as written in the text), and its shared copy once there is one.
    slots: [Option<(&'a str, Option<Str>)>; SLOTS],
    /// Whether to keep a shared copy from a string's first sighting (keys, which mostly
    /// repeat) or only from its second (values, which often do not: keeping a copy costs a
    /// reference count update of its own).
    eager: bool,
}

impl<'a> StrCache<'a> {
    pub(crate) fn new(eager: bool) -> StrCache<'a> {
        StrCache {
            slots: [const { None }; SLOTS],
            eager,
        }
    }

    #[inline(always)]
    pub(crate) fn get(&mut self, s: &'a str) -> Str {
        if s.len() > SHARE_LIMIT {
            return Str::from(s);
        }
        let Some(slot) = self.slots.get_mut(slot_of(s.as_bytes())) else {
            return Str::from(s);
        };
        match slot {
            Some((seen, Some(shared))) if same(seen, s) => shared.clone(),
            Some((seen, kept)) if same(seen, s) => {
                let shared = Str::from(s);
                *kept = Some(shared.clone());
                shared
            }
            _ if self.eager => {
                let shared = Str::from(s);
                *slot = Some((s, Some(shared.clone())));
                shared
            }
            _ => {
                *slot = Some((s, None));
                Str::from(s)
            }
        }
    }
}

/// Whether two short strings are equal, compared in line (no call to `memcmp`).
#[inline(always)]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// The [`StrCache`] slot of a string of at most [`SHARE_LIMIT`] bytes: a multiplicative hash
/// of its length and of its first, middle and last two bytes. (Strings that collide only
/// share less.)
#[inline(always)]
pub(crate) fn slot_of(s: &[u8]) -> usize {
    let at = |i: usize| u64::from(s.get(i).copied().unwrap_or(0));
    let n = s.len();
    let w = (n as u64)
        | at(0) << 8
        | at(n / 2) << 16
        | at(n.wrapping_sub(2)) << 24
        | at(n.wrapping_sub(1)) << 32;
    (w.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize % SLOTS
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn the_string_cache_shares_equal_strings() {
        let mut cache = StrCache::new(true);
        let text =
            "when when verdict a-long-string-that-is-not-shared-at-all-because-of-its-length";
        let words: Vec<&str> = text.split(' ').collect();
        let (Some(a), Some(b), Some(c), Some(long)) =
            (words.first(), words.get(1), words.get(2), words.get(3))
        else {
            panic!("{words:?}");
        };
        let first = cache.get(a);
        assert!(Arc::ptr_eq(&first, &cache.get(b)));
        assert_eq!(&*cache.get(c), "verdict");
        assert!(!Arc::ptr_eq(&cache.get(long), &cache.get(long)));
        assert_eq!(&*cache.get(long), *long);
        for (i, s) in ["", "a", "12345678", "123456789", "é"].iter().enumerate() {
            assert!(slot_of(s.as_bytes()) < SLOTS, "{i}");
            assert_eq!(&*cache.get(s), *s);
        }
    }
}
