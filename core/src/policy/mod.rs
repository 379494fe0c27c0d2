//! Policies: the authoring document and its compiled, immutable form.

pub mod document;
