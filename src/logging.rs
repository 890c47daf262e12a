//! Logging: to the terminal, and to a daily log file that never holds
//! credentials.
//!
//! [`init`] installs two layers. The terminal layer writes to stderr and
//! follows `RUST_LOG` (default `info`). The file layer writes daily files
//! named `deploydesk.log.YYYY-MM-DD` (UTC dates) into a log folder, keeps the
//! last [`MAX_LOG_FILES`] of them, and writes from a background thread so a
//! slow disk never holds up the window.
//!
//! Credentials are kept out of the file in two ways. The AWS SDK and the HTTP
//! crates can log request headers at debug and trace level, so the file layer
//! caps their targets at `info` whatever `RUST_LOG` says ([`file_filter`]).
//! And every formatted line passes through [`RedactingMakeWriter`], which
//! masks access key ids, secret keys, session and bearer tokens,
//! `Authorization` values and signature version 4 `Credential=` scopes ([`redact`]). The
//! terminal layer masks the same shapes.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The log files' name before the date: `deploydesk.log.2025-01-31`.
pub const LOG_FILE_PREFIX: &str = "deploydesk.log";

/// How many daily log files are kept; older ones are deleted.
pub const MAX_LOG_FILES: usize = 7;

/// Target prefixes whose events the log file keeps only up to `info`: the
/// AWS SDK (`aws_config`, `aws_sigv4`, `aws_smithy_*`, ...) and the HTTP
/// and TLS crates, which log headers, credentials included, at debug and
/// trace level.
pub const CAPPED_TARGETS: &[&str] = &["aws_", "hyper", "h2", "rustls"];

/// The folder [`init`] was given, once it has been called with one.
static ACTIVE_LOG_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The folder the log files are written to: the one given to [`init`]
/// (such as `--log-dir`), else the default.
pub fn log_dir() -> Option<PathBuf> {
    ACTIVE_LOG_DIR.get().cloned().or_else(default_log_dir)
}

/// The default folder of the log files: `<data dir>/logs`, next to the
/// local cloud's `<data dir>/localcloud` (on Linux
/// `~/.local/share/deploydesk/logs`). `None` when the platform has no home
/// directory.
pub fn default_log_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "DeployDesk", "DeployDesk")
        .map(|dirs| dirs.data_dir().join("logs"))
}

/// Keeps the log file's background writer alive. Hold it for the life of
/// the program: dropping it flushes what is buffered and stops the writer.
#[must_use = "the log file stops being written when the guard is dropped"]
pub struct LogGuard {
    file: Option<WorkerGuard>,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LogGuard")
            .field("writes_file", &self.file.is_some())
            .finish()
    }
}

/// The filter directives asked for by `RUST_LOG`, or `info` when it is unset.
pub fn directives_from_env() -> String {
    std::env::var(EnvFilter::DEFAULT_ENV)
        .ok()
        .filter(|directives| !directives.trim().is_empty())
        .unwrap_or_else(|| "info".to_owned())
}

/// Installs the global logger: stderr, and daily files in `log_dir` if it is
/// given, both filtered by `directives` (`RUST_LOG` syntax, see
/// [`directives_from_env`]). Never fails: if the folder cannot be created or
/// the file cannot be opened, it logs to stderr only and says so once.
/// Calling it again (or after another logger was installed) leaves the first
/// one in place.
pub fn init(log_dir: Option<&Path>, directives: &str) -> LogGuard {
    if let Some(dir) = log_dir {
        // The first call decides, as it does for the subscriber.
        let _ = ACTIVE_LOG_DIR.set(dir.to_path_buf());
    }
    let (file_layer, file_guard, file_error) = match log_dir.map(|dir| file_layer(dir, directives))
    {
        Some(Ok((layer, guard))) => (Some(layer), Some(guard), None),
        Some(Err(error)) => (None, None, Some(error)),
        None => (None, None, None),
    };
    let installed = tracing_subscriber::registry()
        .with(stderr_layer(directives))
        .with(file_layer)
        .try_init()
        .is_ok();
    if let (Some(error), Some(dir)) = (file_error, log_dir) {
        tracing::warn!(
            "could not write log files to {}: {error}; logging to the terminal only",
            dir.display()
        );
    }
    LogGuard {
        file: file_guard.filter(|_| installed),
    }
}

/// The terminal layer: stderr, filtered by `directives`, with credentials
/// masked.
pub fn stderr_layer<S>(directives: &str) -> impl Layer<S> + Send + Sync + use<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(RedactingMakeWriter::new(io::stderr))
        .with_filter(env_filter(directives))
}

/// The log-file layer writing daily files into `dir` (created if missing),
/// with [`file_filter`] of `directives` and [`RedactingMakeWriter`]. The
/// returned guard keeps the background writer alive; dropping it flushes
/// the file.
pub fn file_layer<S>(
    dir: &Path,
    directives: &str,
) -> io::Result<(Box<dyn Layer<S> + Send + Sync>, WorkerGuard)>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    std::fs::create_dir_all(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(MAX_LOG_FILES)
        .build(dir)
        .map_err(io::Error::other)?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .thread_name("deploydesk-log")
        .finish(appender);
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(RedactingMakeWriter::new(writer))
        .with_filter(file_filter(directives));
    Ok((Box::new(layer), guard))
}

/// The filter of the log file: `directives` (`RUST_LOG` syntax), with the
/// [`CAPPED_TARGETS`] never more verbose than `info` whatever they say.
pub fn file_filter<S>(
    directives: &str,
) -> impl tracing_subscriber::layer::Filter<S> + Send + Sync + use<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let caps = CAPPED_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |targets, prefix| targets.with_target(*prefix, LevelFilter::INFO),
    );
    env_filter(directives).and(caps)
}

/// The filter for `directives`, or `info` when they cannot be parsed.
fn env_filter(directives: &str) -> EnvFilter {
    EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The mask written in place of a secret.
const MASK: &str = "<redacted>";

/// The redaction rules: a pattern, and what replaces each match (`MASK`
/// for the secret, keeping any name and separator captured before it).
///
/// Names are not anchored at a word boundary: on a colour terminal a field
/// name follows an escape code such as `\x1b[0m`, whose `m` would hide the
/// boundary. Masking a little too much is better than too little.
static RULES: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| {
    let keep_name = format!("${{name}}{MASK}");
    [
        // `Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=...`,
        // `authorization="Bearer ..."` or `"authorization": "..."`: the whole
        // value, up to a quote or the end of the line.
        (
            r#"(?i)(?P<name>authorization["']?\s*[:=]\s*["']?)[^"'\r\n]+"#,
            keep_name.clone(),
        ),
        // Session and bearer tokens in headers and query strings.
        (
            r#"(?i)(?P<name>x-amz-(?:security-token|sso_bearer_token)["']?\s*[:=]\s*["']?)[^\s"'&,;]+"#,
            keep_name.clone(),
        ),
        // Secret keys and session tokens in config files, environment
        // variables, JSON and debug output: `aws_secret_access_key = ...`,
        // `"SecretAccessKey":"..."`, `sessionToken: ...`.
        (
            r#"(?i)(?P<name>(?:aws_)?(?:secret_?access_?key|session_?token)["']?\s*[:=]\s*["']?)[^\s"',;&}]+"#,
            keep_name.clone(),
        ),
        // The same in XML answers (STS, SSO): `<SecretAccessKey>...</...>`.
        (
            r"(?P<name><(?:SecretAccessKey|SessionToken)>)[^<]*",
            keep_name.clone(),
        ),
        // The SigV4 credential scope, which starts with the access key id:
        // `Credential=AKIA.../20250131/us-east-1/s3/aws4_request` and
        // `X-Amz-Credential=...` in presigned URLs.
        (
            r"(?i)(?P<name>(?:x-amz-)?credential=)[^\s,&]+",
            keep_name.clone(),
        ),
        // Access key ids anywhere else.
        (r"(?:AKIA|ASIA)[A-Z0-9]{16}\b", MASK.to_owned()),
    ]
    .into_iter()
    .filter_map(|(pattern, replacement)| {
        Regex::new(pattern)
            .ok()
            .map(|regex| (regex, replacement))
    })
    .collect()
});

/// `text` with every credential shape masked as `<redacted>`: AWS access
/// key ids (`AKIA`/`ASIA` and 16 upper-case letters or digits), secret
/// access keys and session tokens (`aws_secret_access_key`,
/// `aws_session_token` and their JSON and XML spellings), `Authorization`
/// header values, `X-Amz-Security-Token` and `x-amz-sso_bearer_token`
/// values, and the signature version 4 `Credential=` scope. Text without any of them is
/// returned as it is, without copying.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut result = Cow::Borrowed(text);
    for (regex, replacement) in RULES.iter() {
        if let Cow::Owned(replaced) = regex.replace_all(&result, replacement.as_str()) {
            result = Cow::Owned(replaced);
        }
    }
    result
}

/// A [`MakeWriter`] that masks credentials ([`redact`]) in every formatted
/// event before the inner writer sees it.
#[derive(Debug, Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    /// Wraps `inner`, which receives each event already masked.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M> MakeWriter<'a> for RedactingMakeWriter<M>
where
    M: MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.inner.make_writer_for(meta))
    }
}

/// A writer that collects one formatted event and writes it masked to the
/// inner writer when flushed or dropped. A secret split across two writes
/// is therefore still found.
#[derive(Debug)]
pub struct RedactingWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    /// A writer that masks what is written before passing it to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
        }
    }

    /// Writes out what was collected, masked.
    fn write_out(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let buffer = std::mem::take(&mut self.buffer);
        let text = String::from_utf8_lossy(&buffer);
        self.inner.write_all(redact(&text).as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // A log line that cannot be written has nowhere to be reported.
        let _ = self.write_out();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(RULES.len(), 6);
    }

    #[test]
    fn access_key_ids_are_masked() {
        let line = "using key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A for the call";
        let masked = redact(line);
        assert_eq!(masked, "using key <redacted> and <redacted> for the call");
    }

    #[test]
    fn access_key_id_shapes_that_are_not_keys_pass() {
        // Too short, lower case, or too long to be a key id.
        let line = "AKIA123 akiaiosfodnn7example AKIAIOSFODNN7EXAMPLE42";
        assert_eq!(redact(line), line);
    }

    #[test]
    fn secret_keys_in_config_and_env_form_are_masked() {
        let masked = redact("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(masked, "aws_secret_access_key = <redacted>");
        let masked = redact("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY rest");
        assert_eq!(masked, "AWS_SECRET_ACCESS_KEY=<redacted> rest");
    }

    #[test]
    fn session_tokens_are_masked() {
        let masked = redact("aws_session_token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH");
        assert_eq!(masked, "aws_session_token=<redacted>");
        let masked =
            redact(r#"{"accessKeyId":"x","secretAccessKey":"abc/def+g","sessionToken":"tok=="}"#);
        assert_eq!(
            masked,
            r#"{"accessKeyId":"x","secretAccessKey":"<redacted>","sessionToken":"<redacted>"}"#
        );
    }

    #[test]
    fn secrets_in_xml_answers_are_masked() {
        let xml = "<SecretAccessKey>abc/def</SecretAccessKey><SessionToken>tok</SessionToken>";
        assert_eq!(
            redact(xml),
            "<SecretAccessKey><redacted></SecretAccessKey><SessionToken><redacted></SessionToken>"
        );
    }

    #[test]
    fn authorization_header_values_are_masked() {
        let line = "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250131/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
        assert_eq!(redact(line), "Authorization: <redacted>");
        let debug = r#"headers: {"authorization": "Bearer eyJhbGciOi.abc", "host": "example.com"}"#;
        assert_eq!(
            redact(debug),
            r#"headers: {"authorization": "<redacted>", "host": "example.com"}"#
        );
        assert_eq!(
            redact("authorization=Bearer abc.def"),
            "authorization=<redacted>"
        );
    }

    #[test]
    fn security_and_bearer_tokens_are_masked() {
        assert_eq!(
            redact("x-amz-security-token: FwoGZXIvYXdzEJr//abc+def"),
            "x-amz-security-token: <redacted>"
        );
        assert_eq!(
            redact("GET /b/k?X-Amz-Security-Token=FwoGZXIv%2Fabc&X-Amz-Date=20250131T000000Z"),
            "GET /b/k?X-Amz-Security-Token=<redacted>&X-Amz-Date=20250131T000000Z"
        );
        assert_eq!(
            redact(r#""x-amz-sso_bearer_token": "aoaAAAAAGfoo:bar""#),
            r#""x-amz-sso_bearer_token": "<redacted>""#
        );
    }

    #[test]
    fn sigv4_credential_scopes_are_masked() {
        assert_eq!(
            redact(
                "canonical: Credential=AKIAIOSFODNN7EXAMPLE/20250131/us-east-1/s3/aws4_request, SignedHeaders=host"
            ),
            "canonical: Credential=<redacted>, SignedHeaders=host"
        );
        assert_eq!(
            redact(
                "url: /b/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250131%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=60"
            ),
            "url: /b/k?X-Amz-Credential=<redacted>&X-Amz-Expires=60"
        );
    }

    #[test]
    fn ordinary_lines_pass_unchanged() {
        for line in [
            "2025-01-31T10:00:00Z  INFO deploydesk::cloud::session: connected to the local cloud at http://127.0.0.1:40123",
            "deployment d-ABCDEF123 succeeded on 10 of 10 instances",
            "the role name may only contain letters, digits and +=,.@_- (max 64)",
            "GET /bucket/key?list-type=2&prefix=revisions%2F HTTP/1.1",
            "could not sign in: the authorization was refused; check the profile",
            "credentials loaded from profile demo (no secret shown)",
        ] {
            assert!(
                matches!(redact(line), Cow::Borrowed(_)),
                "changed an ordinary line: {line}"
            );
        }
    }

    #[test]
    fn secrets_after_terminal_colour_codes_are_masked() {
        let line = "\u{1b}[3mheader\u{1b}[0m\u{1b}[2m=\u{1b}[0mAuthorization: AWS4-HMAC-SHA256 Signature=abc";
        let masked = redact(line);
        assert!(masked.ends_with("Authorization: <redacted>"), "{masked}");
        let line = "\u{1b}[3mkey\u{1b}[0m\u{1b}[2m=\u{1b}[0mAKIAIOSFODNN7EXAMPLE";
        let masked = redact(line);
        assert!(masked.ends_with("\u{1b}[0m<redacted>"), "{masked}");
    }

    #[test]
    fn the_writer_masks_a_secret_split_across_writes() {
        let mut out = Vec::new();
        {
            let mut writer = RedactingWriter::new(&mut out);
            writer.write_all(b"key AKIAIOSFOD").expect("write");
            writer.write_all(b"NN7EXAMPLE done\n").expect("write");
        }
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "key <redacted> done\n"
        );
    }
}
