//! Lambda, as the Deploy dialog needs it: the account's functions with
//! their published versions and aliases, to build a Lambda deployment's
//! AppSpec from.

use super::error::{CloudError, sdk_error as error};
use super::session::Session;

/// A function with what a deployment can move between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaFunction {
    /// Its name.
    pub name: String,
    /// Its published versions, oldest first (`$LATEST` left out).
    pub versions: Vec<String>,
    /// Its aliases: name and the version each points at.
    pub aliases: Vec<(String, String)>,
}

/// Every function of the account, with its versions and aliases, by name.
pub async fn list_functions(session: &Session) -> Result<Vec<LambdaFunction>, CloudError> {
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = session
            .lambda
            .list_functions()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(error(session, "ListFunctions"))?;
        names.extend(
            page.functions()
                .iter()
                .filter_map(|function| function.function_name().map(str::to_owned)),
        );
        match page.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
            _ => break,
        }
    }
    names.sort();
    let mut functions = Vec::with_capacity(names.len());
    for name in names {
        let versions = session
            .lambda
            .list_versions_by_function()
            .function_name(&name)
            .send()
            .await
            .map_err(error(session, "ListVersionsByFunction"))?;
        let mut numbers: Vec<u64> = versions
            .versions()
            .iter()
            .filter_map(|version| version.version()?.parse().ok())
            .collect();
        numbers.sort_unstable();
        let aliases = session
            .lambda
            .list_aliases()
            .function_name(&name)
            .send()
            .await
            .map_err(error(session, "ListAliases"))?;
        functions.push(LambdaFunction {
            versions: numbers.iter().map(u64::to_string).collect(),
            aliases: aliases
                .aliases()
                .iter()
                .map(|alias| {
                    (
                        alias.name().unwrap_or_default().to_owned(),
                        alias.function_version().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            name,
        });
    }
    Ok(functions)
}
