//! `nextToken` paging, as the AWS list operations do it.
//!
//! A list answers with at most one page of items and, when more remain, an
//! opaque `nextToken` that the client sends back for the next page. Here a
//! token records which list it belongs to and the sort key of the last item
//! returned, so that a page picks up after that item even when items were
//! added or removed in between: nothing is repeated and nothing that stayed
//! is skipped. A token from another list, or one that was not made here, is
//! refused with `InvalidNextTokenException`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// How many items one page holds, as CodeDeploy's list operations return.
pub const PAGE_SIZE: usize = 100;

/// What a token carries.
#[derive(Debug, Serialize, Deserialize)]
struct Token {
    /// The list the token belongs to, e.g. `ListDeploymentGroups/my-app`.
    scope: String,
    /// The sort key of the last item on the previous page.
    after: String,
}

/// One page of a list, with the token for the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page, in list order.
    pub items: Vec<T>,
    /// The token for the next page, or `None` on the last page.
    pub next_token: Option<String>,
}

/// Reads a token and returns the sort key it resumes after, or `None` if
/// the token was not made here for the list `scope`.
fn decode(scope: &str, token: &str) -> Option<String> {
    let bytes = STANDARD.decode(token).ok()?;
    let decoded: Token = serde_json::from_slice(&bytes).ok()?;
    (decoded.scope == scope).then_some(decoded.after)
}

/// CodeDeploy's error for a token that was not returned by the list.
fn invalid_next_token(token: &str) -> ApiError {
    ApiError::new(
        "InvalidNextTokenException",
        format!(
            "The nextToken \"{token}\" was not returned by this list; call the operation again without a nextToken to start from the first page."
        ),
    )
}

/// Makes the token that resumes after `after`.
fn encode(scope: &str, after: &str) -> String {
    let token = Token {
        scope: scope.to_owned(),
        after: after.to_owned(),
    };
    // Serializing two strings cannot fail; an empty token would only make
    // the next call start over.
    STANDARD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// Cuts one page out of `items`, each given with a sort key that is unique
/// within the list. The items are put in sort-key order; the page starts
/// after the key in `next_token` (or at the start) and holds at most
/// `page_size` items. A token that does not belong to the list is refused
/// with CodeDeploy's `InvalidNextTokenException`.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    page_size: usize,
) -> Result<Page<T>, ApiError> {
    page_or(scope, items, next_token, page_size, invalid_next_token)
}

/// Like [`page`], refusing a token that does not belong to the list with
/// the error `invalid_token` makes of it, for services whose error for that
/// is another.
pub fn page_or<T>(
    scope: &str,
    mut items: Vec<(String, T)>,
    next_token: Option<&str>,
    page_size: usize,
    invalid_token: impl FnOnce(&str) -> ApiError,
) -> Result<Page<T>, ApiError> {
    let after = match next_token.filter(|token| !token.is_empty()) {
        Some(token) => Some(decode(scope, token).ok_or_else(|| invalid_token(token))?),
        None => None,
    };
    items.sort_by(|left, right| left.0.cmp(&right.0));
    let start = after.map_or(0, |after| items.partition_point(|(key, _)| *key <= after));
    let remaining = items.len().saturating_sub(start);
    let page: Vec<(String, T)> = items.into_iter().skip(start).take(page_size).collect();
    let next_token = if remaining > page.len() {
        page.last().map(|(key, _)| encode(scope, key))
    } else {
        None
    };
    Ok(Page {
        items: page.into_iter().map(|(_, item)| item).collect(),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(count: usize) -> Vec<(String, String)> {
        (0..count)
            .map(|i| (format!("app-{i:03}"), format!("app-{i:03}")))
            .collect()
    }

    #[test]
    fn pages_cover_every_item_once() {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = page("List", names(25), token.as_deref(), 10).unwrap();
            seen.extend(page.items);
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        assert_eq!(
            seen,
            names(25).into_iter().map(|(_, n)| n).collect::<Vec<_>>()
        );
    }

    #[test]
    fn exact_multiple_of_the_page_size_has_no_empty_last_page() {
        let first = page("List", names(10), None, 10).unwrap();
        assert_eq!(first.items.len(), 10);
        assert_eq!(first.next_token, None);
    }

    #[test]
    fn a_page_resumes_after_the_last_key_even_if_it_was_deleted() {
        let first = page("List", names(6), None, 3).unwrap();
        assert_eq!(first.items, ["app-000", "app-001", "app-002"]);
        let mut fewer = names(6);
        fewer.remove(2);
        let second = page("List", fewer, first.next_token.as_deref(), 3).unwrap();
        assert_eq!(second.items, ["app-003", "app-004", "app-005"]);
    }

    #[test]
    fn tokens_from_another_list_or_made_up_are_refused() {
        let first = page("ListApplications", names(5), None, 2).unwrap();
        let token = first.next_token.unwrap();
        let error = page("ListDeploymentGroups/app", names(5), Some(&token), 2).unwrap_err();
        assert_eq!(error.code, "InvalidNextTokenException");
        let error = page("ListApplications", names(5), Some("not-a-token"), 2).unwrap_err();
        assert_eq!(error.code, "InvalidNextTokenException");
        assert!(error.message.contains("without a nextToken"));
    }
}
