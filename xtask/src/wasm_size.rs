//! What takes the space in a wasm module: each function's body size, by the names in the
//! module's `name` section, grouped by where the code comes from.
//!
//! A small reader of the wasm binary format (the import, code and name sections only) rather
//! than a parsing crate: xtask has no dependencies, and this is all it needs.

use std::collections::BTreeMap;

/// One function's name (as the `name` section gives it, demangled) and body size in bytes.
pub struct Function {
    pub name: String,
    pub size: usize,
}

/// The module's functions with their body sizes; names are `?` where the module has none.
pub fn functions(wasm: &[u8]) -> Result<Vec<Function>, String> {
    if wasm.get(..4) != Some(b"\0asm".as_slice()) {
        return Err("not a wasm module".to_owned());
    }
    let mut reader = Reader { bytes: wasm, at: 8 };
    let mut imported = 0usize;
    let mut sizes = Vec::new();
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    while reader.at < wasm.len() {
        let id = reader.byte()?;
        let len = reader.leb()?;
        let end = reader.at + len;
        let mut section = Reader {
            bytes: wasm.get(..end).ok_or("a section runs past the end")?,
            at: reader.at,
        };
        match id {
            // Imports: functions are numbered after the imported ones.
            2 => {
                for _ in 0..section.leb()? {
                    section.skip_name()?;
                    section.skip_name()?;
                    match section.byte()? {
                        0 => {
                            section.leb()?;
                            imported += 1;
                        }
                        1 => {
                            section.byte()?;
                            section.limits()?;
                        }
                        2 => section.limits()?,
                        3 => {
                            section.byte()?;
                            section.byte()?;
                        }
                        4 => {
                            section.byte()?;
                            section.leb()?;
                        }
                        kind => return Err(format!("unknown import kind {kind}")),
                    }
                }
            }
            // Code: one body per defined function.
            10 => {
                for _ in 0..section.leb()? {
                    let size = section.leb()?;
                    sizes.push(size);
                    section.at += size;
                }
            }
            // Custom: the `name` section's function names (subsection 1).
            0 if section.name()? == "name" => {
                while section.at < end {
                    let sub = section.byte()?;
                    let sub_len = section.leb()?;
                    let sub_end = section.at + sub_len;
                    if sub == 1 {
                        for _ in 0..section.leb()? {
                            let index = section.leb()?;
                            names.insert(index, section.name()?);
                        }
                    }
                    section.at = sub_end;
                }
            }
            _ => {}
        }
        reader.at = end;
    }
    Ok(sizes
        .into_iter()
        .enumerate()
        .map(|(i, size)| Function {
            name: names
                .remove(&(imported + i))
                .unwrap_or_else(|| "?".to_owned()),
            size,
        })
        .collect())
}

/// Where a function's code comes from: the crate, and for govgate's own crates the module
/// (`govgate_core::policy`, `serde_json`, `core`). Trait impls count for the implementing
/// type's crate (`<govgate_core::value::EntryAccess as serde::de::MapAccess>::...` is
/// `govgate_core::value`).
pub fn origin(name: &str) -> String {
    let path = name.trim_start_matches(['<', '&', ' ', '*']);
    let path = path
        .strip_prefix("mut ")
        .or_else(|| path.strip_prefix("dyn "))
        .unwrap_or(path);
    let mut segments = path.split("::").map(|s| {
        s.split(['[', '<', ' ', '>', '(', '{'])
            .next()
            .unwrap_or_default()
    });
    let krate = segments.next().unwrap_or_default();
    if krate.starts_with("govgate_") {
        match segments.next() {
            Some(module) if !module.is_empty() => format!("{krate}::{module}"),
            _ => krate.to_owned(),
        }
    } else if krate.is_empty() {
        "?".to_owned()
    } else if PRIMITIVES.contains(&krate) {
        // `<f64 as core::fmt::Display>::fmt`: the standard library's.
        "core".to_owned()
    } else {
        krate.to_owned()
    }
}

/// Types whose impls live in the standard library.
const PRIMITIVES: [&str; 17] = [
    "bool", "char", "str", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize",
];

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or("unexpected end of the module")?;
        self.at += 1;
        Ok(b)
    }

    fn leb(&mut self) -> Result<usize, String> {
        let mut value = 0usize;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a LEB128 number is too long".to_owned())
    }

    fn name(&mut self) -> Result<String, String> {
        let len = self.leb()?;
        let text = self
            .bytes
            .get(self.at..self.at + len)
            .ok_or("a name runs past the end")?;
        self.at += len;
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    fn skip_name(&mut self) -> Result<(), String> {
        let len = self.leb()?;
        self.at += len;
        Ok(())
    }

    fn limits(&mut self) -> Result<(), String> {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        for (name, want) in [
            (
                "govgate_core::policy::compile::CompiledPolicy::compile_owned::h2b09",
                "govgate_core::policy",
            ),
            (
                "<govgate_core::value::EntryAccess as serde_core::de::MapAccess>::next_value_seed::h1",
                "govgate_core::value",
            ),
            (
                "<&mut serde_json::ser::Serializer<W,F> as serde_core::ser::Serializer>::serialize_str",
                "serde_json",
            ),
            (
                "core[c5930c85a12de822]::num::flt2dec::strategy::dragon::format_shortest",
                "core",
            ),
            (
                "core::ptr::drop_in_place<govgate_core::decision::Decision>::h1",
                "core",
            ),
            ("dlmalloc::dlmalloc::Dlmalloc<A>::malloc", "dlmalloc"),
            ("memcpy", "memcpy"),
            ("<f64 as core::fmt::Display>::fmt::h1", "core"),
            ("?", "?"),
        ] {
            assert_eq!(origin(name), want, "{name}");
        }
    }

    /// A hand-made module: one imported function, two bodies (3 and 2 bytes), names for both.
    #[test]
    fn reads_bodies_and_names() {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // Import section: one function import "m"."f" of type 0 (it takes index 0).
        wasm.extend_from_slice(&[2, 7, 1, 1, b'm', 1, b'f', 0, 0]);
        // Code section: two bodies, `nop end` and `end`, each after an empty locals list.
        wasm.extend_from_slice(&[10, 8, 2, 3, 0, 0x01, 0x0b, 2, 0, 0x0b]);
        // Name section, function names (subsection 1): index 1 "a", index 2 "bc".
        wasm.extend_from_slice(&[0, 15, 4, b'n', b'a', b'm', b'e', 1, 8, 2, 1, 1, b'a', 2, 2]);
        wasm.extend_from_slice(b"bc");
        let got: Vec<(String, usize)> = functions(&wasm)
            .unwrap()
            .into_iter()
            .map(|f| (f.name, f.size))
            .collect();
        assert_eq!(got, [("a".to_owned(), 3), ("bc".to_owned(), 2)]);
    }
}
