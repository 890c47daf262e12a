//! Receiving a request body: streamed to a temporary file in the blob store
//! while its MD5 and any requested checksums are computed, `aws-chunked`
//! bodies decoded on the way. Nothing is kept unless the whole body arrived
//! and every check passed: the temporary file is removed when the
//! [`BlobFile`] guarding it is dropped, which also happens when the client
//! disconnects and the request's future is dropped midway.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use md5::Digest as _;
use tokio::io::AsyncWriteExt as _;

use super::BlobStore;
use super::request::{Request, error, storage_error};
use crate::localcloud::protocol::ApiError;

/// The largest object a single PUT may carry: 5 GiB.
pub const MAX_SINGLE_UPLOAD: u64 = 5 * 1024 * 1024 * 1024;

/// The longest line of chunk framing or trailer accepted.
const MAX_LINE: usize = 8 * 1024;

/// A file in the blob store that is removed when dropped, unless kept.
#[derive(Debug)]
pub struct BlobFile {
    /// The file.
    path: PathBuf,
    /// Whether it is to stay.
    keep: bool,
}

impl BlobFile {
    /// Guards `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path, keep: false }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the file to the blob `name` in `store`, still guarded. In a
    /// store kept on disk the body is synced to the disk first, so that
    /// metadata committed after this never names a body a crash lost.
    pub async fn place(mut self, store: &BlobStore, name: &str) -> Result<Self, ApiError> {
        let target = store.path(name);
        if store.is_durable() {
            sync_file(&self.path)
                .await
                .map_err(|problem| storage_error("store the object's body", &problem))?;
        }
        tokio::fs::rename(&self.path, &target)
            .await
            .map_err(|problem| storage_error("store the object's body", &problem))?;
        if store.is_durable() {
            sync_file(store.root())
                .await
                .map_err(|problem| storage_error("store the object's body", &problem))?;
        }
        self.keep = true;
        Ok(Self::new(target))
    }

    /// Keeps the file: its metadata is committed.
    pub fn keep(mut self) {
        self.keep = true;
    }
}

/// Waits until the file or directory `path` is on disk.
async fn sync_file(path: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(path).await?.sync_all().await
}

impl Drop for BlobFile {
    fn drop(&mut self) {
        if !self.keep {
            // A small synchronous unlink: this also runs when a request's
            // future is dropped, where nothing can be awaited.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The checksum algorithms S3 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// CRC-32 (ISO-HDLC).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// The name in headers, lower case: `crc32`, `crc64nvme`, ...
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Crc64Nvme => "crc64nvme",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }

    /// The name in messages: `CRC32`, `SHA256`, ...
    pub fn label(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The header carrying it: `x-amz-checksum-crc32`, ...
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name())
    }

    /// The algorithm named `name` (any case, with or without the
    /// `x-amz-checksum-` prefix).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        let name = name.strip_prefix("x-amz-checksum-").unwrap_or(&name);
        Self::ALL
            .into_iter()
            .find(|algorithm| algorithm.name() == name)
    }

    /// The size of its digest in bytes.
    fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// A running checksum.
enum Hasher {
    /// A CRC, with the algorithm it is for.
    Crc(crc_fast::Digest, Algorithm),
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Crc32 => Self::Crc(
                crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32IsoHdlc),
                algorithm,
            ),
            Algorithm::Crc32c => Self::Crc(
                crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi),
                algorithm,
            ),
            Algorithm::Crc64Nvme => Self::Crc(
                crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme),
                algorithm,
            ),
            Algorithm::Sha1 => Self::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc(digest, _) => digest.update(data),
            Self::Sha1(digest) => digest.update(data),
            Self::Sha256(digest) => digest.update(data),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Self::Crc(digest, Algorithm::Crc64Nvme) => digest.finalize().to_be_bytes().to_vec(),
            Self::Crc(digest, _) => (digest.finalize() as u32).to_be_bytes().to_vec(),
            Self::Sha1(digest) => digest.finalize().to_vec(),
            Self::Sha256(digest) => digest.finalize().to_vec(),
        }
    }
}

/// The checksum of `data` with `algorithm`, base64 as S3 writes it.
pub fn checksum(algorithm: Algorithm, data: &[u8]) -> String {
    let mut hasher = Hasher::new(algorithm);
    hasher.update(data);
    BASE64.encode(hasher.finish())
}

/// A body that arrived whole and passed its checks, in a temporary file.
#[derive(Debug)]
pub struct Ingested {
    /// The temporary file holding it.
    pub file: BlobFile,
    /// Its size in bytes.
    pub size: u64,
    /// Its MD5.
    pub md5: [u8; 16],
    /// The checksums computed, base64, by algorithm name.
    pub checksums: BTreeMap<String, String>,
}

impl Ingested {
    /// The ETag of a single upload: the quoted hex MD5.
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }
}

/// The value of header `name` as text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// `BadDigest` for a checksum that does not match.
fn bad_checksum(algorithm: Algorithm) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "BadDigest",
        format!(
            "The {} you specified did not match the calculated checksum.",
            algorithm.label()
        ),
    )
}

/// `IncompleteBody`: fewer bytes arrived than announced.
fn incomplete(detail: &str) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "IncompleteBody",
        format!(
            "You did not provide the number of bytes specified by the Content-Length HTTP header ({detail}); send the whole body again."
        ),
    )
}

/// `EntityTooLarge` for a body over `limit` bytes.
pub fn too_large(limit: u64) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        format!(
            "Your proposed upload exceeds the maximum allowed object size ({limit} bytes); upload larger objects in parts with a multipart upload."
        ),
    )
}

/// Decodes a checksum header value: base64 of a digest of the right size.
fn expected_digest(algorithm: Algorithm, value: &str) -> Result<Vec<u8>, ApiError> {
    BASE64
        .decode(value.trim())
        .ok()
        .filter(|digest| digest.len() == algorithm.digest_len())
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                format!(
                    "Value for {} header is invalid: send the base64 of the {}-byte {} digest.",
                    algorithm.header(),
                    algorithm.digest_len(),
                    algorithm.label()
                ),
            )
        })
}

/// Streams the body of a request that stores one object or part (at most
/// [`MAX_SINGLE_UPLOAD`] bytes) into a temporary file of the blob store, as
/// [`ingest`] does.
pub async fn ingest_request(request: &Request, body: Body) -> Result<Ingested, ApiError> {
    ingest(
        &request.shared.blobs,
        &request.parts.headers,
        body,
        MAX_SINGLE_UPLOAD,
    )
    .await
}

/// Streams `body` into a temporary file in `store`, decoding `aws-chunked`
/// framing and checking `Content-MD5`, `x-amz-checksum-*` (headers or
/// trailers) and a hex `x-amz-content-sha256`. At most `limit` bytes are
/// taken.
pub async fn ingest(
    store: &BlobStore,
    headers: &HeaderMap,
    body: Body,
    limit: u64,
) -> Result<Ingested, ApiError> {
    let content_sha256 = header(headers, "x-amz-content-sha256").unwrap_or_default();
    let chunked = header(headers, "content-encoding")
        .is_some_and(|value| value.split(',').any(|part| part.trim() == "aws-chunked"))
        || content_sha256.starts_with("STREAMING-");
    let length_header = if chunked {
        "x-amz-decoded-content-length"
    } else {
        "content-length"
    };
    let announced = match header(headers, length_header) {
        Some(value) => Some(value.trim().parse::<u64>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!(
                    "The {length_header} header must be a whole number of bytes, not \"{value}\"."
                ),
            )
        })?),
        None => None,
    };
    if announced.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let content_md5 = match header(headers, "content-md5") {
        Some(value) => Some(
            BASE64
                .decode(value.trim())
                .ok()
                .filter(|digest| digest.len() == 16)
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "InvalidDigest",
                        "The Content-MD5 you specified was not valid: send the base64 of the body's 16-byte MD5.",
                    )
                })?,
        ),
        None => None,
    };
    let mut expected = BTreeMap::new();
    for algorithm in Algorithm::ALL {
        if let Some(value) = header(headers, &algorithm.header()) {
            expected.insert(algorithm, expected_digest(algorithm, value)?);
        }
    }
    let mut wanted: Vec<Algorithm> = expected.keys().copied().collect();
    let trailer_names = header(headers, "x-amz-trailer").unwrap_or_default();
    for name in trailer_names.split(',') {
        if let Some(algorithm) = Algorithm::from_name(name) {
            wanted.push(algorithm);
        }
    }
    if let Some(algorithm) =
        header(headers, "x-amz-sdk-checksum-algorithm").and_then(Algorithm::from_name)
    {
        wanted.push(algorithm);
    }
    wanted.sort();
    wanted.dedup();
    let payload_sha256 = if !chunked && content_sha256.len() == 64 {
        Some(hex::decode(content_sha256).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "x-amz-content-sha256 must be the hex SHA-256 of the payload, UNSIGNED-PAYLOAD or a STREAMING-* value.",
            )
        })?)
    } else {
        None
    };

    let guard = BlobFile::new(store.temporary_path());
    let file = tokio::fs::File::create(guard.path())
        .await
        .map_err(|problem| storage_error("create a file for the upload", &problem))?;
    let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut md5 = md5::Md5::new();
    let mut hashers: Vec<(Algorithm, Hasher)> = wanted
        .iter()
        .map(|algorithm| (*algorithm, Hasher::new(*algorithm)))
        .collect();
    let mut payload_hasher = payload_sha256.as_ref().map(|_| sha2::Sha256::new());
    let mut decoder = chunked.then(ChunkDecoder::default);
    let mut size: u64 = 0;
    let mut pieces = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let frame = frame.map_err(|problem| incomplete(&problem.to_string()))?;
        pieces.clear();
        match decoder.as_mut() {
            Some(decoder) => decoder.feed(frame, &mut pieces)?,
            None => pieces.push(frame),
        }
        for piece in &pieces {
            size += piece.len() as u64;
            if size > limit {
                return Err(too_large(limit));
            }
            md5.update(piece);
            for (_, hasher) in &mut hashers {
                hasher.update(piece);
            }
            if let Some(hasher) = payload_hasher.as_mut() {
                hasher.update(piece);
            }
            file.write_all(piece)
                .await
                .map_err(|problem| storage_error("write the upload to disk", &problem))?;
        }
    }
    file.flush()
        .await
        .map_err(|problem| storage_error("write the upload to disk", &problem))?;
    drop(file);
    let trailers = match decoder {
        Some(decoder) => decoder.finish()?,
        None => Vec::new(),
    };
    if let Some(announced) = announced
        && announced != size
    {
        return Err(incomplete(&format!(
            "{announced} bytes announced, {size} received"
        )));
    }
    let md5: [u8; 16] = md5.finalize().into();
    if content_md5.as_deref().is_some_and(|digest| digest != md5) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        ));
    }
    if let (Some(expected), Some(hasher)) = (payload_sha256, payload_hasher)
        && hasher.finalize().as_slice() != expected.as_slice()
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    for (name, value) in &trailers {
        if let Some(algorithm) = Algorithm::from_name(name) {
            expected.insert(algorithm, expected_digest(algorithm, value)?);
        }
    }
    let mut checksums = BTreeMap::new();
    for (algorithm, hasher) in hashers {
        let digest = hasher.finish();
        if expected
            .get(&algorithm)
            .is_some_and(|wanted| *wanted != digest)
        {
            return Err(bad_checksum(algorithm));
        }
        checksums.insert(algorithm.name().to_owned(), BASE64.encode(digest));
    }
    Ok(Ingested {
        file: guard,
        size,
        md5,
        checksums,
    })
}

/// Where an `aws-chunked` decoder is in the framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ChunkState {
    /// Expecting a chunk header line: `<hex size>[;chunk-signature=..]`.
    #[default]
    Size,
    /// Inside a chunk's data, with this many bytes to go.
    Data(u64),
    /// Expecting the line break after a chunk's data.
    DataEnd,
    /// After the last (empty) chunk: trailer lines until an empty one.
    Trailer,
    /// The body is complete.
    Done,
}

/// Decodes the `aws-chunked` content encoding that `SigV4` streaming
/// uploads use: chunks of `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n`,
/// a last chunk of size 0, then trailers such as
/// `x-amz-checksum-crc32:<base64>\r\n` and an empty line.
#[derive(Debug, Default)]
pub struct ChunkDecoder {
    /// Where it is.
    state: ChunkState,
    /// A framing line not yet complete.
    line: Vec<u8>,
    /// The trailers read.
    trailers: Vec<(String, String)>,
}

/// `IncompleteBody`-style error for broken chunk framing.
fn bad_framing(detail: &str) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidChunkSizeError",
        format!(
            "The aws-chunked body is malformed ({detail}); each chunk must be \"<hex size>\\r\\n<data>\\r\\n\", ending with a chunk of size 0."
        ),
    )
}

impl ChunkDecoder {
    /// Decodes `input`, appending the pieces of data it holds to `out`.
    pub fn feed(&mut self, mut input: Bytes, out: &mut Vec<Bytes>) -> Result<(), ApiError> {
        while !input.is_empty() {
            match self.state {
                ChunkState::Data(remaining) => {
                    let take = remaining.min(input.len() as u64);
                    out.push(input.split_to(take as usize));
                    let left = remaining - take;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                }
                ChunkState::Done => {
                    if input.iter().any(|byte| !byte.is_ascii_whitespace()) {
                        return Err(bad_framing("data after the final chunk"));
                    }
                    return Ok(());
                }
                _ => {
                    let Some(end) = input.iter().position(|&byte| byte == b'\n') else {
                        self.line.extend_from_slice(&input);
                        if self.line.len() > MAX_LINE {
                            return Err(bad_framing("a framing line is too long"));
                        }
                        return Ok(());
                    };
                    self.line.extend_from_slice(&input.split_to(end + 1));
                    let mut line = BytesMut::from(&std::mem::take(&mut self.line)[..]);
                    while line
                        .last()
                        .is_some_and(|byte| *byte == b'\n' || *byte == b'\r')
                    {
                        line.truncate(line.len() - 1);
                    }
                    self.line_done(&String::from_utf8_lossy(&line))?;
                }
            }
        }
        Ok(())
    }

    /// Handles one complete framing line.
    fn line_done(&mut self, line: &str) -> Result<(), ApiError> {
        match self.state {
            ChunkState::Size => {
                let size = line.split(';').next().unwrap_or_default().trim();
                let size = u64::from_str_radix(size, 16)
                    .map_err(|_| bad_framing(&format!("\"{size}\" is not a hex chunk size")))?;
                self.state = if size == 0 {
                    ChunkState::Trailer
                } else {
                    ChunkState::Data(size)
                };
            }
            ChunkState::DataEnd => {
                if !line.is_empty() {
                    return Err(bad_framing("a chunk is longer than its size says"));
                }
                self.state = ChunkState::Size;
            }
            ChunkState::Trailer => {
                if line.is_empty() {
                    self.state = ChunkState::Done;
                } else {
                    let (name, value) = line
                        .split_once(':')
                        .ok_or_else(|| bad_framing("a trailer is not \"name:value\""))?;
                    self.trailers
                        .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
            ChunkState::Data(_) | ChunkState::Done => {}
        }
        Ok(())
    }

    /// The trailers, once the body has ended; an error if it ended before
    /// the final chunk.
    pub fn finish(self) -> Result<Vec<(String, String)>, ApiError> {
        match self.state {
            ChunkState::Done => Ok(self.trailers),
            // Some clients end the trailers without the final empty line.
            ChunkState::Trailer if self.line.is_empty() => Ok(self.trailers),
            _ => Err(incomplete(
                "the aws-chunked body ended before its final chunk",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data and trailers of a chunked body.
    type Decoded = (Vec<u8>, Vec<(String, String)>);

    fn decode(parts: &[&[u8]]) -> Result<Decoded, ApiError> {
        let mut decoder = ChunkDecoder::default();
        let mut data = Vec::new();
        for part in parts {
            let mut out = Vec::new();
            decoder.feed(Bytes::copy_from_slice(part), &mut out)?;
            for piece in out {
                data.extend_from_slice(&piece);
            }
        }
        Ok((data, decoder.finish()?))
    }

    #[test]
    fn chunks_and_trailers_decode_across_any_split() {
        let body: &[u8] = b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        for split in 0..body.len() {
            let (data, trailers) = decode(&[&body[..split], &body[split..]]).unwrap();
            assert_eq!(data, b"hello world");
            assert_eq!(
                trailers,
                vec![("x-amz-checksum-crc32".to_owned(), "DUoRhQ==".to_owned())]
            );
        }
    }

    #[test]
    fn a_body_cut_short_or_malformed_is_refused() {
        assert_eq!(decode(&[b"5\r\nhel"]).unwrap_err().code, "IncompleteBody");
        assert_eq!(
            decode(&[b"zz\r\nhello\r\n"]).unwrap_err().code,
            "InvalidChunkSizeError"
        );
        assert_eq!(
            decode(&[b"2\r\nhello\r\n0\r\n\r\n"]).unwrap_err().code,
            "InvalidChunkSizeError"
        );
    }

    #[test]
    fn checksums_match_known_values() {
        // Known values for "hello world".
        assert_eq!(checksum(Algorithm::Crc32, b"hello world"), "DUoRhQ==");
        assert_eq!(checksum(Algorithm::Crc32c, b"hello world"), "yZRlqg==");
        assert_eq!(
            checksum(Algorithm::Sha256, b"hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
    }
}
