//! S3 in the local cloud where a client library cannot show it: raw
//! `aws-chunked` bodies with trailers, a client that disconnects midway,
//! and object bodies kept on disk across a restart.

use crate::support;

use std::path::Path;
use std::time::Duration;

use deploydesk::localcloud::objects_dir;
use support::{exchange, request, start_with_state};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

/// The files in the directory of object bodies.
fn blob_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A streaming PUT of "hello world" as the SDK sends it: `aws-chunked`
/// with a CRC32 trailer.
fn chunked_put(key: &str, trailer_value: &str) -> Vec<u8> {
    let body =
        format!("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:{trailer_value}\r\n\r\n");
    request(
        &format!(
            "PUT /bundles/{key} HTTP/1.1\r\nContent-Encoding: aws-chunked\r\nx-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-decoded-content-length: 11\r\nx-amz-trailer: x-amz-checksum-crc32"
        ),
        body.as_bytes(),
    )
}

#[tokio::test]
async fn chunked_bodies_are_decoded_and_checked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("state.json");
    let (cloud, _clock) = start_with_state(Some(state.clone())).await;
    let addr = cloud.local_addr();
    let (status, _) = exchange(addr, &request("PUT /bundles HTTP/1.1", b"")).await;
    assert_eq!(status, 200);

    let (status, text) = exchange(addr, &chunked_put("web.txt", "DUoRhQ==")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("x-amz-checksum-crc32: DUoRhQ=="), "{text}");
    let world = cloud.snapshot();
    let object = world
        .s3
        .object("bundles", "web.txt")
        .expect("the object is stored");
    assert_eq!(object.size, 11);
    assert_eq!(object.etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    let (status, text) = exchange(addr, &request("GET /bundles/web.txt HTTP/1.1", b"")).await;
    assert_eq!(status, 200);
    assert!(text.ends_with("\r\n\r\nhello world"), "{text}");

    // A trailer that does not match: BadDigest, and nothing stored.
    let (status, text) = exchange(addr, &chunked_put("bad.txt", "AAAAAA==")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>BadDigest</Code>"), "{text}");
    assert!(
        text.contains("The CRC32 you specified did not match the calculated checksum."),
        "{text}"
    );
    assert!(cloud.snapshot().s3.object("bundles", "bad.txt").is_none());
    assert_eq!(
        blob_files(&objects_dir(&state)),
        std::slice::from_ref(&object.blob)
    );

    // A wrong Content-MD5 and a wrong payload digest are refused too.
    let (status, text) = exchange(
        addr,
        &request(
            "PUT /bundles/md5.txt HTTP/1.1\r\nContent-MD5: AAAAAAAAAAAAAAAAAAAAAA==",
            b"hello",
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("<Code>BadDigest</Code>"), "{text}");
    let (status, text) = exchange(
        addr,
        &request(
            "PUT /bundles/sha.txt HTTP/1.1\r\nx-amz-content-sha256: 0000000000000000000000000000000000000000000000000000000000000000",
            b"hello",
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        text.contains("<Code>XAmzContentSHA256Mismatch</Code>"),
        "{text}"
    );
    assert_eq!(blob_files(&objects_dir(&state)).len(), 1);
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_dropped_upload_leaves_nothing_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("state.json");
    let (cloud, _clock) = start_with_state(Some(state.clone())).await;
    let addr = cloud.local_addr();
    let (status, _) = exchange(addr, &request("PUT /bundles HTTP/1.1", b"")).await;
    assert_eq!(status, 200);

    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream
        .write_all(
            b"PUT /bundles/half.zip HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n",
        )
        .await
        .expect("sends the head");
    stream
        .write_all(&vec![7_u8; 100_000])
        .await
        .expect("sends a tenth");
    // Wait until the server has begun writing the body to disk.
    let blobs = objects_dir(&state);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while blob_files(&blobs).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(blob_files(&blobs).len(), 1, "the upload is being received");
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !blob_files(&blobs).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(blob_files(&blobs).is_empty(), "{:?}", blob_files(&blobs));
    assert!(cloud.snapshot().s3.object("bundles", "half.zip").is_none());

    let (status, text) = exchange(addr, &request("GET /bundles?list-type=2 HTTP/1.1", b"")).await;
    assert_eq!(status, 200);
    assert!(text.contains("<KeyCount>0</KeyCount>"), "{text}");
    cloud.shutdown().await;
}

#[tokio::test]
async fn objects_survive_a_restart_and_reset_removes_their_bodies() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("state.json");
    let (cloud, _clock) = start_with_state(Some(state.clone())).await;
    let addr = cloud.local_addr();
    exchange(addr, &request("PUT /bundles HTTP/1.1", b"")).await;
    let (status, _) = exchange(
        addr,
        &request("PUT /bundles/app.txt HTTP/1.1", b"version one"),
    )
    .await;
    assert_eq!(status, 200);
    // An overwritten body is removed from disk.
    let (status, _) = exchange(
        addr,
        &request("PUT /bundles/app.txt HTTP/1.1", b"version two"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(blob_files(&objects_dir(&state)).len(), 1);
    cloud.shutdown().await;
    // A stray file (an upload cut off by a crash) is tidied on start.
    std::fs::write(objects_dir(&state).join("incoming-stray"), b"junk").expect("writes");

    let (cloud, _clock) = start_with_state(Some(state.clone())).await;
    let addr = cloud.local_addr();
    let (status, text) = exchange(addr, &request("GET /bundles/app.txt HTTP/1.1", b"")).await;
    assert_eq!(status, 200);
    assert!(text.ends_with("\r\n\r\nversion two"), "{text}");
    assert_eq!(blob_files(&objects_dir(&state)).len(), 1);

    cloud.reset().expect("the cloud resets");
    assert!(blob_files(&objects_dir(&state)).is_empty());
    let (status, text) = exchange(addr, &request("GET /bundles/app.txt HTTP/1.1", b"")).await;
    assert_eq!(status, 404);
    assert!(text.contains("<Code>NoSuchBucket</Code>"), "{text}");
    cloud.shutdown().await;
}

#[tokio::test]
async fn head_errors_have_no_body_and_wrong_methods_are_refused() {
    let (cloud, _clock) = support::start().await;
    let addr = cloud.local_addr();
    exchange(addr, &request("PUT /bundles HTTP/1.1", b"")).await;
    let (status, text) = exchange(addr, &request("HEAD /bundles/none HTTP/1.1", b"")).await;
    assert_eq!(status, 404);
    assert!(text.ends_with("\r\n\r\n"), "{text}");
    let (status, text) = exchange(addr, &request("POST /bundles/key HTTP/1.1", b"")).await;
    assert_eq!(status, 405);
    assert!(text.contains("<Code>MethodNotAllowed</Code>"), "{text}");
    let (status, text) = exchange(
        addr,
        &request("PUT /bundles/big HTTP/1.1\r\nx-amz-decoded-content-length: 6000000000\r\nContent-Encoding: aws-chunked", b""),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("<Code>EntityTooLarge</Code>"), "{text}");
    let (status, text) = exchange(addr, &request("PUT /Bad_Bucket HTTP/1.1", b"")).await;
    assert_eq!(status, 400);
    assert!(text.contains("<Code>InvalidBucketName</Code>"), "{text}");
    cloud.shutdown().await;
}
