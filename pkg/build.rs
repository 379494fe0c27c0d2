//! Writes the JSON Schema of core's policy document to `$OUT_DIR/policy.schema.json`, so the
//! wasm embeds it as text: schemars itself would add about 130 KB to the wasm.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = schemars::schema_for!(govgate_core::policy::document::PolicyDocument);
    let text = serde_json::to_string(&schema)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("policy.schema.json");
    std::fs::write(out, text)?;
    Ok(())
}
