//! S3, checked against both backends: with the SDK directly, and with
//! DeployDesk's own operations in `deploydesk::cloud::s3`.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use deploydesk::cloud::s3 as ops;
use md5::Digest as _;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::crosscheck;

/// How moto departs from S3 in completing multipart uploads.
const MOTO_COMPLETE: &str = "moto answers CompleteMultipartUpload with a <CompleteMultipartUploadResponse> root, which the SDK cannot read";

/// The quoted hex MD5 of `body`: a single upload's ETag.
fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(md5::Md5::digest(body)))
}

/// A body of `size` bytes that is not all the same.
fn body_of(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The error code of a failed SDK call.
fn code<E: ProvideErrorMetadata + std::fmt::Debug, R>(
    result: Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> String {
    match result {
        Ok(_) => panic!("the call was expected to fail"),
        Err(error) => error
            .as_service_error()
            .and_then(ProvideErrorMetadata::code)
            .map_or_else(|| format!("{error:?}"), str::to_owned),
    }
}

/// The HTTP status of a failed SDK call.
fn status<E, R>(
    result: &Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> u16 {
    match result {
        Ok(_) => panic!("the call was expected to fail"),
        Err(error) => error
            .raw_response()
            .map(|response| response.status().as_u16())
            .expect("a response came back"),
    }
}

async fn make_bucket(clients: &crate::Clients, prefix: &str) -> String {
    let bucket = clients.unique(prefix);
    clients
        .s3
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("the bucket is created");
    bucket
}

async fn put(clients: &crate::Clients, bucket: &str, key: &str, body: &[u8]) -> String {
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("the object is stored")
        .e_tag()
        .unwrap_or_default()
        .to_owned()
}

async fn get(clients: &crate::Clients, bucket: &str, key: &str, range: Option<&str>) -> Vec<u8> {
    clients
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_range(range.map(str::to_owned))
        .send()
        .await
        .expect("the object is read")
        .body
        .collect()
        .await
        .expect("the body arrives")
        .into_bytes()
        .to_vec()
}

crosscheck!(
    buckets_are_created_found_and_deleted,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "bkt").await;
        clients
            .s3
            .head_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("the bucket is there");
        let listed = clients
            .s3
            .list_buckets()
            .send()
            .await
            .expect("buckets list");
        assert!(
            listed
                .buckets()
                .iter()
                .any(|b| b.name() == Some(bucket.as_str())),
            "{listed:?}"
        );
        let location = clients
            .s3
            .get_bucket_location()
            .bucket(&bucket)
            .send()
            .await
            .expect("the location is read");
        // us-east-1 is reported as no location constraint.
        assert!(
            location
                .location_constraint()
                .is_none_or(|constraint| constraint.as_str().is_empty()),
            "{location:?}"
        );
        let bad = clients
            .s3
            .create_bucket()
            .bucket("Not_A_Bucket")
            .send()
            .await;
        if !clients.moto_differs("moto creates buckets whose names break S3's naming rules") {
            assert_eq!(code(bad), "InvalidBucketName");
        }

        put(&clients, &bucket, "file.txt", b"x").await;
        let not_empty = clients.s3.delete_bucket().bucket(&bucket).send().await;
        assert_eq!(status(&not_empty), 409);
        assert_eq!(code(not_empty), "BucketNotEmpty");
        clients
            .s3
            .delete_object()
            .bucket(&bucket)
            .key("file.txt")
            .send()
            .await
            .expect("the object is deleted");
        clients
            .s3
            .delete_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("the empty bucket is deleted");
        let gone = clients.s3.head_bucket().bucket(&bucket).send().await;
        assert_eq!(status(&gone), 404);
        let missing = clients.s3.list_objects_v2().bucket(&bucket).send().await;
        assert_eq!(code(missing), "NoSuchBucket");
        clients.finish().await;
    }
);

crosscheck!(
    objects_are_put_read_and_deleted,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "obj").await;
        let body = b"hello world".to_vec();
        let etag = put(&clients, &bucket, "docs/hello.txt", &body).await;
        assert_eq!(etag, etag_of(&body));
        assert_eq!(get(&clients, &bucket, "docs/hello.txt", None).await, body);
        let head = clients
            .s3
            .head_object()
            .bucket(&bucket)
            .key("docs/hello.txt")
            .send()
            .await
            .expect("the object is found");
        assert_eq!(head.content_length(), Some(11));
        assert_eq!(head.e_tag(), Some(etag.as_str()));

        let missing = clients
            .s3
            .get_object()
            .bucket(&bucket)
            .key("nope")
            .send()
            .await;
        assert_eq!(code(missing), "NoSuchKey");
        let missing_head = clients
            .s3
            .head_object()
            .bucket(&bucket)
            .key("nope")
            .send()
            .await;
        assert_eq!(status(&missing_head), 404);
        let no_bucket = clients
            .s3
            .put_object()
            .bucket(clients.unique("absent"))
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        assert_eq!(code(no_bucket), "NoSuchBucket");

        // An overwrite replaces the body; a delete succeeds twice.
        put(&clients, &bucket, "docs/hello.txt", b"bye").await;
        assert_eq!(get(&clients, &bucket, "docs/hello.txt", None).await, b"bye");
        for _ in 0..2 {
            clients
                .s3
                .delete_object()
                .bucket(&bucket)
                .key("docs/hello.txt")
                .send()
                .await
                .expect("deleting succeeds, even when nothing is there");
        }
        let deleted = clients
            .s3
            .get_object()
            .bucket(&bucket)
            .key("docs/hello.txt")
            .send()
            .await;
        assert_eq!(code(deleted), "NoSuchKey");
        clients.finish().await;
    }
);

crosscheck!(
    ranges_read_parts_of_objects,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "rng").await;
        put(&clients, &bucket, "digits", b"0123456789").await;
        assert_eq!(
            get(&clients, &bucket, "digits", Some("bytes=0-3")).await,
            b"0123"
        );
        assert_eq!(
            get(&clients, &bucket, "digits", Some("bytes=7-")).await,
            b"789"
        );
        assert_eq!(
            get(&clients, &bucket, "digits", Some("bytes=-2")).await,
            b"89"
        );
        assert_eq!(
            get(&clients, &bucket, "digits", Some("bytes=8-100")).await,
            b"89"
        );
        let partial = clients
            .s3
            .get_object()
            .bucket(&bucket)
            .key("digits")
            .range("bytes=2-4")
            .send()
            .await
            .expect("the range is read");
        assert_eq!(partial.content_range(), Some("bytes 2-4/10"));
        assert_eq!(partial.content_length(), Some(3));
        let beyond = clients
            .s3
            .get_object()
            .bucket(&bucket)
            .key("digits")
            .range("bytes=10-20")
            .send()
            .await;
        assert_eq!(status(&beyond), 416);
        assert_eq!(code(beyond), "InvalidRange");
        clients.finish().await;
    }
);

crosscheck!(
    listings_page_and_roll_up_prefixes,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "lst").await;
        for key in [
            "a/1.txt",
            "a/2.txt",
            "b.txt",
            "c/d/e.txt",
            "c/f.txt",
            "z.txt",
        ] {
            put(&clients, &bucket, key, key.as_bytes()).await;
        }
        let list = |prefix: Option<&str>, delimiter: Option<&str>| {
            clients
                .s3
                .list_objects_v2()
                .bucket(&bucket)
                .set_prefix(prefix.map(str::to_owned))
                .set_delimiter(delimiter.map(str::to_owned))
                .send()
        };
        let keys = |output: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
            output
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let prefixes = |output: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
            output
                .common_prefixes()
                .iter()
                .filter_map(|prefix| prefix.prefix().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let all = list(None, None).await.expect("lists");
        assert_eq!(
            keys(&all),
            [
                "a/1.txt",
                "a/2.txt",
                "b.txt",
                "c/d/e.txt",
                "c/f.txt",
                "z.txt"
            ]
        );
        assert_eq!(all.key_count(), Some(6));
        assert_eq!(all.contents()[2].size(), Some(5));
        let top = list(None, Some("/")).await.expect("lists");
        assert_eq!(keys(&top), ["b.txt", "z.txt"]);
        assert_eq!(prefixes(&top), ["a/", "c/"]);
        assert_eq!(top.key_count(), Some(4));
        let under_c = list(Some("c/"), Some("/")).await.expect("lists");
        assert_eq!(keys(&under_c), ["c/f.txt"]);
        assert_eq!(prefixes(&under_c), ["c/d/"]);

        // Pages of two, followed to the end by continuation token.
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = clients
                .s3
                .list_objects_v2()
                .bucket(&bucket)
                .max_keys(2)
                .set_continuation_token(token.clone())
                .send()
                .await
                .expect("a page lists");
            pages += 1;
            assert_eq!(page.key_count(), Some(2));
            seen.extend(keys(&page));
            if page.is_truncated() != Some(true) {
                break;
            }
            token = page.next_continuation_token().map(str::to_owned);
            assert!(token.is_some());
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 6);
        let after = clients
            .s3
            .list_objects_v2()
            .bucket(&bucket)
            .start_after("c/f.txt")
            .send()
            .await
            .expect("lists");
        assert_eq!(keys(&after), ["z.txt"]);

        // DeleteObjects clears the bucket in one request.
        let ids: Vec<_> = seen
            .iter()
            .map(|key| {
                aws_sdk_s3::types::ObjectIdentifier::builder()
                    .key(key)
                    .build()
                    .expect("an identifier")
            })
            .collect();
        let deleted = clients
            .s3
            .delete_objects()
            .bucket(&bucket)
            .delete(
                aws_sdk_s3::types::Delete::builder()
                    .set_objects(Some(ids))
                    .build()
                    .expect("a delete request"),
            )
            .send()
            .await
            .expect("the objects are deleted");
        assert_eq!(deleted.deleted().len(), 6);
        assert!(keys(&list(None, None).await.expect("lists")).is_empty());
        clients.finish().await;
    }
);

/// Uploads `body` as part `number` and returns the completed part.
async fn upload_part(
    clients: &crate::Clients,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: i32,
    body: &[u8],
) -> CompletedPart {
    let output = clients
        .s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(number)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("the part is uploaded");
    assert_eq!(output.e_tag(), Some(etag_of(body).as_str()));
    CompletedPart::builder()
        .part_number(number)
        .e_tag(output.e_tag().unwrap_or_default())
        .build()
}

async fn start_upload(clients: &crate::Clients, bucket: &str, key: &str) -> String {
    clients
        .s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("the upload starts")
        .upload_id()
        .expect("an upload id")
        .to_owned()
}

async fn complete(
    clients: &crate::Clients,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: Vec<CompletedPart>,
) -> Result<
    aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
> {
    clients
        .s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
}

crosscheck!(
    multipart_uploads_complete_with_the_multipart_etag,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "mpu").await;
        let upload_id = start_upload(&clients, &bucket, "big.bin").await;
        let first = body_of(5 * 1024 * 1024, 1);
        let second = body_of(1000, 2);
        let parts = vec![
            upload_part(&clients, &bucket, "big.bin", &upload_id, 1, &first).await,
            upload_part(&clients, &bucket, "big.bin", &upload_id, 2, &second).await,
        ];
        let uploads = clients
            .s3
            .list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .expect("uploads list");
        assert!(
            uploads
                .uploads()
                .iter()
                .any(|u| u.upload_id() == Some(upload_id.as_str()))
        );
        if !clients.moto_differs(
            "moto answers ListParts with a <ListPartsResponse> root, which the SDK cannot read",
        ) {
            let listed = clients
                .s3
                .list_parts()
                .bucket(&bucket)
                .key("big.bin")
                .upload_id(&upload_id)
                .send()
                .await
                .expect("parts list");
            let sizes: Vec<_> = listed
                .parts()
                .iter()
                .map(aws_sdk_s3::types::Part::size)
                .collect();
            assert_eq!(sizes, [Some(5 * 1024 * 1024), Some(1000)]);
        }

        let completed = complete(&clients, &bucket, "big.bin", &upload_id, parts).await;
        let mut md5s = Vec::new();
        md5s.extend_from_slice(&md5::Md5::digest(&first));
        md5s.extend_from_slice(&md5::Md5::digest(&second));
        let expected = format!("\"{}-2\"", hex::encode(md5::Md5::digest(&md5s)));
        if !clients.moto_differs(MOTO_COMPLETE) {
            let completed = completed.expect("the upload completes");
            assert_eq!(completed.e_tag(), Some(expected.as_str()));
        }
        let head = clients
            .s3
            .head_object()
            .bucket(&bucket)
            .key("big.bin")
            .send()
            .await
            .expect("the object is there");
        assert_eq!(head.e_tag(), Some(expected.as_str()));
        assert_eq!(head.content_length(), Some(5 * 1024 * 1024 + 1000));
        let mut whole = first.clone();
        whole.extend_from_slice(&second);
        assert_eq!(get(&clients, &bucket, "big.bin", None).await, whole);
        let gone = clients
            .s3
            .abort_multipart_upload()
            .bucket(&bucket)
            .key("big.bin")
            .upload_id(&upload_id)
            .send()
            .await;
        assert_eq!(code(gone), "NoSuchUpload");
        clients.finish().await;
    }
);

crosscheck!(
    multipart_uploads_refuse_bad_parts_and_abort,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "mpx").await;
        let upload_id = start_upload(&clients, &bucket, "k").await;
        let parts = vec![
            upload_part(
                &clients,
                &bucket,
                "k",
                &upload_id,
                1,
                &body_of(5 * 1024 * 1024, 7),
            )
            .await,
            upload_part(&clients, &bucket, "k", &upload_id, 2, b"too small").await,
            upload_part(&clients, &bucket, "k", &upload_id, 3, b"last").await,
        ];
        let too_small = complete(&clients, &bucket, "k", &upload_id, parts.clone()).await;
        assert_eq!(code(too_small), "EntityTooSmall");
        let wrong_etag = vec![
            CompletedPart::builder()
                .part_number(1)
                .e_tag(etag_of(b"something else"))
                .build(),
        ];
        let invalid = complete(&clients, &bucket, "k", &upload_id, wrong_etag).await;
        assert_eq!(code(invalid), "InvalidPart");
        if !clients.moto_differs("moto completes an upload that names a part twice") {
            let twice = vec![parts[0].clone(), parts[0].clone()];
            let out_of_order = complete(&clients, &bucket, "k", &upload_id, twice).await;
            assert_eq!(code(out_of_order), "InvalidPartOrder");
        }

        clients
            .s3
            .abort_multipart_upload()
            .bucket(&bucket)
            .key("k")
            .upload_id(&upload_id)
            .send()
            .await
            .expect("the upload is aborted");
        let after = complete(&clients, &bucket, "k", &upload_id, parts).await;
        if !clients.moto_differs("moto fails with a 500 when an aborted upload is completed") {
            assert_eq!(code(after), "NoSuchUpload");
        }
        let object = clients
            .s3
            .head_object()
            .bucket(&bucket)
            .key("k")
            .send()
            .await;
        assert_eq!(status(&object), 404);
        clients.finish().await;
    }
);

crosscheck!(
    a_wrong_checksum_is_refused,
    |clients: crate::Clients| async move {
        let bucket = make_bucket(&clients, "sum").await;
        let wrong = clients
            .s3
            .put_object()
            .bucket(&bucket)
            .key("k")
            .checksum_crc32("AAAAAA==")
            .body(ByteStream::from_static(b"hello world"))
            .send()
            .await;
        if !clients.moto_differs("moto stores an object whose x-amz-checksum-crc32 does not match")
        {
            assert_eq!(status(&wrong), 400);
            assert_eq!(code(wrong), "BadDigest");
            let object = clients
                .s3
                .head_object()
                .bucket(&bucket)
                .key("k")
                .send()
                .await;
            assert_eq!(status(&object), 404);
        }
        let right = clients
            .s3
            .put_object()
            .bucket(&bucket)
            .key("k")
            .checksum_crc32("DUoRhQ==")
            .body(ByteStream::from_static(b"hello world"))
            .send()
            .await
            .expect("the right checksum is accepted");
        if !clients.moto_differs(
            "moto sends no x-amz-checksum-crc32 back on PutObject, nor on GetObject with checksum mode enabled",
        ) {
            assert_eq!(right.checksum_crc32(), Some("DUoRhQ=="));
            let read = clients
                .s3
                .get_object()
                .bucket(&bucket)
                .key("k")
                .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                .send()
                .await
                .expect("the object is read with its checksum");
            assert_eq!(read.checksum_crc32(), Some("DUoRhQ=="));
        }
        clients.finish().await;
    }
);

crosscheck!(
    deploydesk_uploads_with_progress_and_lists,
    |clients: crate::Clients| async move {
        let session = &clients.session;
        let bucket = clients.unique("dd");
        ops::create_bucket(session, &bucket)
            .await
            .expect("the bucket is created");
        let buckets = ops::list_buckets(session).await.expect("buckets list");
        assert!(buckets.iter().any(|b| b.name == bucket));

        let dir = tempfile::tempdir().expect("a temporary directory");
        let small_path = dir.path().join("small.zip");
        let small = body_of(1000, 3);
        std::fs::write(&small_path, &small).expect("the file is written");
        let big_path = dir.path().join("big.zip");
        let big = body_of(20 * 1024 * 1024 + 5, 4);
        std::fs::write(&big_path, &big).expect("the file is written");

        let (progress, mut seen) = watch::channel(ops::UploadProgress::default());
        let cancel = CancellationToken::new();
        let uploaded = ops::upload_file(
            session,
            &small_path,
            &bucket,
            "rev/small.zip",
            &progress,
            &cancel,
        )
        .await
        .expect("the small file is uploaded");
        assert_eq!(uploaded.etag, etag_of(&small));
        assert_eq!(
            *seen.borrow_and_update(),
            ops::UploadProgress {
                sent: 1000,
                total: 1000
            }
        );

        if clients.moto_differs(MOTO_COMPLETE) {
            drop(progress);
        } else {
            // Progress is reported part by part.
            let watcher = tokio::spawn(async move {
                let mut steps = Vec::new();
                while seen.changed().await.is_ok() {
                    steps.push(seen.borrow_and_update().sent);
                }
                steps
            });
            let uploaded = ops::upload_file(
                session,
                &big_path,
                &bucket,
                "rev/big.zip",
                &progress,
                &cancel,
            )
            .await
            .expect("the big file is uploaded");
            drop(progress);
            let steps = watcher.await.expect("the watcher ends");
            assert_eq!(steps.last().copied(), Some(big.len() as u64));
            assert!(steps.len() >= 3, "{steps:?}");
            assert!(uploaded.etag.ends_with("-3\""), "{uploaded:?}");
            let head = ops::head_object(session, &bucket, "rev/big.zip")
                .await
                .expect("found");
            assert_eq!(head.size, big.len() as u64);
            assert_eq!(head.etag, uploaded.etag);
            assert_eq!(get(&clients, &bucket, "rev/big.zip", None).await, big);
        }
        let missing = ops::head_object(session, &bucket, "rev/none.zip").await;
        assert!(
            matches!(missing, Err(deploydesk::cloud::CloudError::NotFound { .. })),
            "{missing:?}"
        );

        let listed = ops::list_objects(session, &bucket, "rev/")
            .await
            .expect("lists");
        let keys: Vec<_> = listed.iter().map(|object| object.key.as_str()).collect();
        if clients.is_moto() {
            assert_eq!(keys, ["rev/small.zip"]);
        } else {
            assert_eq!(keys, ["rev/big.zip", "rev/small.zip"]);
        }
        clients.finish().await;
    }
);

crosscheck!(
    a_cancelled_upload_leaves_nothing,
    |clients: crate::Clients| async move {
        let session = &clients.session;
        let bucket = clients.unique("cn");
        ops::create_bucket(session, &bucket)
            .await
            .expect("the bucket is created");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("big.zip");
        std::fs::write(&path, body_of(40 * 1024 * 1024, 5)).expect("the file is written");

        // Cancel once the first part is in.
        let (progress, mut seen) = watch::channel(ops::UploadProgress::default());
        let cancel = CancellationToken::new();
        let canceller = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                while seen.changed().await.is_ok() {
                    if seen.borrow_and_update().sent >= ops::PART_SIZE {
                        cancel.cancel();
                        break;
                    }
                }
            })
        };
        let result = ops::upload_file(session, &path, &bucket, "big.zip", &progress, &cancel).await;
        assert_eq!(result, Err(ops::UploadError::Cancelled));
        canceller.await.expect("the canceller ends");
        let uploads = clients
            .s3
            .list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .expect("uploads list");
        assert!(uploads.uploads().is_empty(), "{uploads:?}");
        let object = clients
            .s3
            .head_object()
            .bucket(&bucket)
            .key("big.zip")
            .send()
            .await;
        assert_eq!(status(&object), 404);

        // Cancelled before it starts: nothing is sent.
        let result = ops::upload_file(session, &path, &bucket, "big.zip", &progress, &cancel).await;
        assert_eq!(result, Err(ops::UploadError::Cancelled));
        clients.finish().await;
    }
);
