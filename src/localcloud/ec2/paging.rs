//! `MaxResults` and `NextToken` as EC2's Describe operations take them: no
//! `MaxResults` returns everything, a `MaxResults` from 5 to 1000 returns at
//! most that many items and a `NextToken` for the rest. Tokens resume after
//! the last item returned (see [`crate::localcloud::protocol::paging`]), so nothing is
//! repeated or missed when items come and go between pages.

use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::{Page, page_or};
use crate::localcloud::protocol::query::{Params, invalid_value};

/// The smallest `MaxResults` EC2 accepts.
pub const MIN_RESULTS: i64 = 5;
/// The largest `MaxResults` EC2 accepts.
pub const MAX_RESULTS: i64 = 1000;

/// Reads `MaxResults`, which must be from [`MIN_RESULTS`] to
/// [`MAX_RESULTS`] when given.
pub fn max_results(params: &Params) -> Result<Option<usize>, ApiError> {
    let Some(max) = params.int("MaxResults")? else {
        return Ok(None);
    };
    if !(MIN_RESULTS..=MAX_RESULTS).contains(&max) {
        return Err(invalid_value(
            "MaxResults",
            &max.to_string(),
            &format!("Expecting a value from {MIN_RESULTS} to {MAX_RESULTS}."),
        ));
    }
    Ok(usize::try_from(max).ok())
}

/// Refuses `MaxResults` together with the list of ids `ids_name`, as EC2
/// does: a list of ids is answered whole.
pub fn not_with_ids(params: &Params, ids_name: &str) -> Result<(), ApiError> {
    if params.has("MaxResults") && params.has(ids_name) {
        return Err(ApiError::new(
            "InvalidParameterCombination",
            format!(
                "The parameter {ids_name} cannot be used with the parameter MaxResults; ask for the ids without MaxResults, or page through all items without {ids_name}."
            ),
        ));
    }
    Ok(())
}

/// The page of `items` (each with a unique sort key) that the request's
/// `NextToken` and `max_results` ask for. `scope` names the list, so that
/// a token from another list is refused.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    params: &Params,
    max_results: Option<usize>,
) -> Result<Page<T>, ApiError> {
    page_or(
        scope,
        items,
        params.get("NextToken"),
        max_results.unwrap_or(usize::MAX),
        |token| {
            ApiError::new(
                "InvalidPaginationToken",
                format!(
                    "The pagination token \"{token}\" is not valid for this request; send the NextToken from the previous page, or start again without one."
                ),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(count: usize) -> Vec<(String, usize)> {
        (0..count).map(|i| (format!("{i:04}"), i)).collect()
    }

    #[test]
    fn max_results_is_checked_and_pages_chain() {
        assert_eq!(max_results(&Params::default()).unwrap(), None);
        for bad in ["4", "1001", "-1", "five"] {
            let error = max_results(&Params::from_pairs([("MaxResults", bad)])).unwrap_err();
            assert_eq!(error.code, "InvalidParameterValue", "{bad}");
        }
        let params = Params::from_pairs([("MaxResults", "5")]);
        let first = page("List", numbers(12), &params, max_results(&params).unwrap()).unwrap();
        assert_eq!(first.items, [0, 1, 2, 3, 4]);
        let token = first.next_token.unwrap();
        let next = Params::from_pairs([("MaxResults", "5"), ("NextToken", token.as_str())]);
        let second = page("List", numbers(12), &next, Some(5)).unwrap();
        assert_eq!(second.items, [5, 6, 7, 8, 9]);
        let everything = page("List", numbers(12), &Params::default(), None).unwrap();
        assert_eq!(everything.items.len(), 12);
        assert_eq!(everything.next_token, None);
    }

    #[test]
    fn foreign_tokens_and_ids_with_max_results_are_refused() {
        let bad = Params::from_pairs([("NextToken", "made-up")]);
        let error = page("List", numbers(3), &bad, None).unwrap_err();
        assert_eq!(error.code, "InvalidPaginationToken");
        let both = Params::from_pairs([("MaxResults", "5"), ("InstanceId.1", "i-0123abcd")]);
        assert_eq!(
            not_with_ids(&both, "InstanceId").unwrap_err().code,
            "InvalidParameterCombination"
        );
        assert!(not_with_ids(&Params::from_pairs([("MaxResults", "5")]), "InstanceId").is_ok());
    }
}
