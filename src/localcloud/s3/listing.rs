//! Listing a bucket: `ListObjectsV2` (and the older `ListObjects`), with
//! prefixes, delimiters and common prefixes, paging and URL encoding.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN;
use serde::Serialize;

use super::buckets::{OWNER, Owner};
use super::request::{Request, error};
use super::xml;
use crate::localcloud::protocol::ApiError;

/// The most keys one page lists.
pub const MAX_KEYS: usize = 1000;

/// One listed object.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContentsXml {
    key: String,
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    size: u64,
    storage_class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<Owner>,
}

/// One `<CommonPrefixes>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CommonPrefixXml {
    prefix: String,
}

/// `<ListBucketResult>`, both versions; members a version lacks are
/// `None` and left out.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ListBucketResult {
    name: String,
    prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<String>,
    max_keys: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_count: Option<usize>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_after: Option<String>,
    contents: Vec<ContentsXml>,
    common_prefixes: Vec<CommonPrefixXml>,
}

/// An `InvalidArgument` error.
fn invalid(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// One entry of a listing page.
enum Entry {
    /// An object, by key.
    Object(String),
    /// A common prefix.
    Prefix(String),
}

/// Lists keys of `keys` (in order) after `marker` that start with
/// `prefix`, rolling keys up to common prefixes at `delimiter`; at most
/// `max` entries. Returns them and whether more remain.
fn page<'a>(
    keys: impl Iterator<Item = &'a String>,
    prefix: &str,
    delimiter: Option<&str>,
    marker: &str,
    max: usize,
) -> (Vec<Entry>, bool) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut truncated = false;
    for key in keys {
        if key.as_str() <= marker || !key.starts_with(prefix) {
            continue;
        }
        let rolled = delimiter
            .filter(|delimiter| !delimiter.is_empty())
            .and_then(|delimiter| {
                key[prefix.len()..]
                    .find(delimiter)
                    .map(|at| key[..prefix.len() + at + delimiter.len()].to_owned())
            });
        let entry = match rolled {
            Some(common) => {
                // Keys under a prefix already listed (on this page or one
                // before) add nothing.
                if common.as_str() <= marker
                    || matches!(entries.last(), Some(Entry::Prefix(last)) if *last == common)
                {
                    continue;
                }
                Entry::Prefix(common)
            }
            None => Entry::Object(key.clone()),
        };
        if entries.len() == max {
            truncated = true;
            break;
        }
        entries.push(entry);
    }
    (entries, truncated)
}

/// `ListObjectsV2` when `v2`, else `ListObjects`.
pub fn list_objects(request: &Request, v2: bool) -> Result<Response, ApiError> {
    let query = &request.query;
    let prefix = query.get("prefix").unwrap_or_default().to_owned();
    let delimiter = query
        .get("delimiter")
        .filter(|delimiter| !delimiter.is_empty())
        .map(str::to_owned);
    let max_keys = match query.get("max-keys") {
        Some(value) => value
            .parse::<usize>()
            .map_err(|_| invalid(format!("Provided max-keys not an integer or within integer range: \"{value}\"; give 0 to {MAX_KEYS}.")))?
            .min(MAX_KEYS),
        None => MAX_KEYS,
    };
    let encode = match query.get("encoding-type") {
        Some("url") => true,
        Some(other) => {
            return Err(invalid(format!(
                "Invalid Encoding Method specified in Request: \"{other}\"; the only encoding type is url."
            )));
        }
        None => false,
    };
    let continuation = query.get("continuation-token").map(str::to_owned);
    let start_after = query.get("start-after").map(str::to_owned);
    let v1_marker = query.get("marker").map(str::to_owned);
    let marker = if v2 {
        match &continuation {
            Some(token) => TOKEN
                .decode(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| invalid("The continuation token provided is incorrect: pass the NextContinuationToken of the previous page unchanged."))?,
            None => start_after.clone().unwrap_or_default(),
        }
    } else {
        v1_marker.clone().unwrap_or_default()
    };
    let (entries, truncated, objects) = request.read_bucket(|bucket| {
        let (entries, truncated) = page(
            bucket.objects.keys(),
            &prefix,
            delimiter.as_deref(),
            &marker,
            max_keys,
        );
        let objects: Vec<_> = entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Object(key) => bucket
                    .objects
                    .get(key)
                    .map(|object| (key.clone(), object.clone())),
                Entry::Prefix(_) => None,
            })
            .collect();
        Ok::<_, ApiError>((entries, truncated, objects))
    })?;
    let url = |text: &str| -> String {
        if encode {
            form_urlencoded::byte_serialize(text.as_bytes()).collect()
        } else {
            text.to_owned()
        }
    };
    let last = entries.last().map(|entry| match entry {
        Entry::Object(key) | Entry::Prefix(key) => key.clone(),
    });
    let common_prefixes: Vec<CommonPrefixXml> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Prefix(prefix) => Some(CommonPrefixXml {
                prefix: url(prefix),
            }),
            Entry::Object(_) => None,
        })
        .collect();
    let contents: Vec<ContentsXml> = objects
        .into_iter()
        .map(|(key, object)| ContentsXml {
            key: url(&key),
            last_modified: object.last_modified.to_iso8601(),
            etag: object.etag,
            size: object.size,
            storage_class: "STANDARD",
            owner: (!v2).then_some(OWNER),
        })
        .collect();
    let mut result = ListBucketResult {
        name: request.bucket.clone(),
        prefix: url(&prefix),
        delimiter: delimiter.as_deref().map(url),
        max_keys,
        encoding_type: encode.then_some("url"),
        is_truncated: truncated,
        ..ListBucketResult::default()
    };
    if v2 {
        result.key_count = Some(contents.len() + common_prefixes.len());
        result.continuation_token = continuation;
        result.next_continuation_token = truncated
            .then(|| last.map(|last| TOKEN.encode(last)))
            .flatten();
        result.start_after = start_after.as_deref().map(url);
    } else {
        result.marker = Some(url(&v1_marker.unwrap_or_default()));
        result.next_marker = truncated.then(|| last.map(|last| url(&last))).flatten();
    }
    result.contents = contents;
    result.common_prefixes = common_prefixes;
    xml::ok("ListBucketResult", &result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|entry| match entry {
                Entry::Object(key) => key.clone(),
                Entry::Prefix(prefix) => format!("{prefix}*"),
            })
            .collect()
    }

    #[test]
    fn delimiters_roll_keys_up_and_paging_resumes_after_a_prefix() {
        let keys: Vec<String> = ["a/1", "a/2", "b", "c/1", "c/2/x", "d"]
            .iter()
            .map(|key| (*key).to_owned())
            .collect();
        let (entries, truncated) = page(keys.iter(), "", Some("/"), "", 2);
        assert_eq!(names(&entries), ["a/*", "b"]);
        assert!(truncated);
        let (entries, truncated) = page(keys.iter(), "", Some("/"), "b", 2);
        assert_eq!(names(&entries), ["c/*", "d"]);
        assert!(!truncated);
        let (entries, _) = page(keys.iter(), "", Some("/"), "a/", 10);
        assert_eq!(names(&entries), ["b", "c/*", "d"]);
        let (entries, _) = page(keys.iter(), "c/", Some("/"), "", 10);
        assert_eq!(names(&entries), ["c/1", "c/2/*"]);
    }
}
