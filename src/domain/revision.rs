//! The rules for revisions CodeDeploy fetches from GitHub: a repository
//! written `owner/name` and a full commit id.

/// Why a GitHub revision was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitHubRevisionError {
    /// The repository is not `owner/name`.
    #[error(
        "The repository \"{0}\" is not written owner/name; write it as on GitHub, such as octocat/hello-world."
    )]
    Repository(String),
    /// The commit id is not 40 hexadecimal characters.
    #[error(
        "The commit id \"{0}\" is not a full commit id; paste the 40-character SHA-1 shown by `git rev-parse HEAD`, not a branch, tag or short id."
    )]
    CommitId(String),
}

/// Whether `part` is a GitHub owner or repository name: 1 to 100
/// characters from letters, digits, `-`, `_` and `.`, and not `.` or `..`.
fn is_github_name(part: &str) -> bool {
    (1..=100).contains(&part.len())
        && part != "."
        && part != ".."
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks a GitHub revision: `repository` is `owner/name` and `commit_id`
/// is a full 40-character hexadecimal commit id.
pub fn validate_github_revision(
    repository: &str,
    commit_id: &str,
) -> Result<(), GitHubRevisionError> {
    let valid_repository = repository
        .split_once('/')
        .is_some_and(|(owner, name)| is_github_name(owner) && is_github_name(name));
    if !valid_repository {
        return Err(GitHubRevisionError::Repository(repository.to_owned()));
    }
    if commit_id.len() != 40 || !commit_id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(GitHubRevisionError::CommitId(commit_id.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789ABCDEF01234567";

    #[test]
    fn owner_slash_name_and_a_full_commit_pass() {
        assert_eq!(
            validate_github_revision("octocat/hello-world", COMMIT),
            Ok(())
        );
        assert_eq!(validate_github_revision("a.b_c/d-e.f", COMMIT), Ok(()));
    }

    #[test]
    fn repositories_not_owner_slash_name_are_refused() {
        for bad in [
            "hello-world",
            "/x",
            "x/",
            "a/b/c",
            "a b/c",
            "../x",
            "https://github.com/a/b",
        ] {
            let error = validate_github_revision(bad, COMMIT).unwrap_err();
            assert_eq!(
                error,
                GitHubRevisionError::Repository(bad.to_owned()),
                "{bad}"
            );
            assert!(error.to_string().contains("owner/name"));
        }
    }

    #[test]
    fn short_or_non_hex_commits_are_refused() {
        for bad in [
            "",
            "main",
            "0123456",
            &COMMIT[..39],
            &format!("{COMMIT}0"),
            &COMMIT.replace('a', "g"),
        ] {
            let error = validate_github_revision("a/b", bad).unwrap_err();
            assert_eq!(error, GitHubRevisionError::CommitId(bad.to_owned()));
            assert!(error.to_string().contains("40-character"));
        }
    }
}
