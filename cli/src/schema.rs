//! `govgate schema`: the JSON Schema of the policy document, for editors.

use govgate_core::PolicyDocument;

use crate::exit::{self, Failure};
use crate::io;

pub fn run() -> Result<u8, Failure> {
    let schema = schemars::schema_for!(PolicyDocument);
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Failure::error(format!("cannot write the schema: {e}")))?;
    io::print(&format!("{text}\n"));
    Ok(exit::OK)
}
