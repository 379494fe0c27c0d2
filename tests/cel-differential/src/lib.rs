//! Holds nothing: the differential tests live in `tests/`.
