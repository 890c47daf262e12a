//! S3, checked against both backends.
