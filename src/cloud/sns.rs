//! SNS topics as the app reads them, for the deployment group wizard's
//! notification triggers.

use super::error::{CloudResult, sdk_error};
use super::session::Session;

/// The ARNs of the account's topics in the session's region, sorted.
pub async fn list_topics(session: &Session) -> CloudResult<Vec<String>> {
    let mut topics = Vec::new();
    let mut next_token = None;
    loop {
        let page = session
            .sns
            .list_topics()
            .set_next_token(next_token)
            .send()
            .await
            .map_err(sdk_error(session, "ListTopics"))?;
        topics.extend(
            page.topics()
                .iter()
                .filter_map(|topic| topic.topic_arn().map(str::to_owned)),
        );
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    topics.sort();
    Ok(topics)
}

/// A topic's name: the last part of its ARN.
pub fn topic_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}
