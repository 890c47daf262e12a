//! IAM, checked against both backends.
