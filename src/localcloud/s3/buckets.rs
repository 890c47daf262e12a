//! Buckets: `ListBuckets`, `CreateBucket`, `HeadBucket`,
//! `GetBucketLocation`, `DeleteBucket` and the versioning switch.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde::{Deserialize, Serialize};

use super::request::{Request, error, no_such_bucket};
use super::{Bucket, xml};
use crate::domain::names::validate_bucket_name;
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;

/// The owner S3 names in listings.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    /// The canonical id.
    #[serde(rename = "ID")]
    pub id: &'static str,
    /// The display name.
    pub display_name: &'static str,
}

/// The local cloud's one owner.
pub const OWNER: Owner = Owner {
    id: ACCOUNT_ID,
    display_name: "local-cloud",
};

/// `ListAllMyBucketsResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListBucketsXml {
    owner: Owner,
    buckets: BucketsXml,
}

/// `<Buckets>`.
#[derive(Serialize)]
struct BucketsXml {
    #[serde(rename = "Bucket")]
    bucket: Vec<BucketXml>,
}

/// One `<Bucket>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BucketXml {
    name: String,
    creation_date: String,
    bucket_region: String,
}

/// `ListBuckets`.
pub fn list_buckets(request: &Request) -> Result<Response, ApiError> {
    let bucket = request.shared.world.read(|world| {
        world
            .s3
            .buckets
            .iter()
            .map(|(name, bucket)| BucketXml {
                name: name.clone(),
                creation_date: bucket.created.to_iso8601(),
                bucket_region: bucket.region.clone(),
            })
            .collect()
    });
    xml::ok(
        "ListAllMyBucketsResult",
        &ListBucketsXml {
            owner: OWNER,
            buckets: BucketsXml { bucket },
        },
    )
}

/// `<CreateBucketConfiguration>`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateBucketConfiguration {
    #[serde(default)]
    location_constraint: Option<String>,
}

/// `CreateBucket`.
pub async fn create_bucket(request: &Request, body: Body) -> Result<Response, ApiError> {
    let name = request.bucket.clone();
    if let Err(problem) = validate_bucket_name(&name) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            format!("The specified bucket is not valid. {problem}"),
        ));
    }
    let configuration: Option<CreateBucketConfiguration> = xml::read(body).await?;
    let constraint = configuration
        .and_then(|configuration| configuration.location_constraint)
        .map(|region| region.trim().to_owned())
        .filter(|region| !region.is_empty());
    let signed = request.region();
    let region = match constraint {
        Some(region) if region == "us-east-1" => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid: leave it out to create a bucket in us-east-1.",
            ));
        }
        Some(region) if region != signed => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "IllegalLocationConstraintException",
                format!(
                    "The {region} location constraint is incompatible for the region specific endpoint this request was sent to ({signed}); send the request to {region}."
                ),
            ));
        }
        Some(region) => region,
        None if signed != "us-east-1" => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "IllegalLocationConstraintException",
                format!(
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to ({signed}); give LocationConstraint {signed}."
                ),
            ));
        }
        None => signed,
    };
    let now = request.now;
    request.shared.world.write(|world| {
        if let Some(existing) = world.s3.buckets.get(&name) {
            // In us-east-1, creating a bucket you already own succeeds.
            if existing.region == "us-east-1" && region == "us-east-1" {
                return Ok(());
            }
            return Err(error(
                StatusCode::CONFLICT,
                "BucketAlreadyOwnedByYou",
                format!("Your previous request to create the named bucket succeeded and you already own it: \"{name}\" exists; use it, or pick another name."),
            ));
        }
        world.s3.buckets.insert(name.clone(), Bucket::new(region, now));
        Ok(())
    })?;
    Ok((StatusCode::OK, [("location", format!("/{name}"))]).into_response())
}

/// `HeadBucket`.
pub fn head_bucket(request: &Request) -> Result<Response, ApiError> {
    let region = request.read_bucket(|bucket| Ok(bucket.region.clone()))?;
    Ok((StatusCode::OK, [("x-amz-bucket-region", region)]).into_response())
}

/// `GetBucketLocation`: empty for us-east-1, as S3 answers.
pub fn get_bucket_location(request: &Request) -> Result<Response, ApiError> {
    let region = request.read_bucket(|bucket| Ok(bucket.region.clone()))?;
    let region = if region == "us-east-1" {
        String::new()
    } else {
        region
    };
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{}\">{region}</LocationConstraint>",
        xml::NAMESPACE
    );
    Ok((StatusCode::OK, [("content-type", "application/xml")], text).into_response())
}

/// `DeleteBucket`.
pub fn delete_bucket(request: &Request) -> Result<Response, ApiError> {
    let name = &request.bucket;
    let removed = request.shared.world.write(|world| {
        let bucket = world
            .s3
            .buckets
            .get(name)
            .ok_or_else(|| no_such_bucket(name))?;
        if !bucket.objects.is_empty() || bucket.versions.values().any(|versions| !versions.is_empty()) {
            return Err(error(
                StatusCode::CONFLICT,
                "BucketNotEmpty",
                format!("The bucket you tried to delete is not empty: delete every object (and version) in \"{name}\" first."),
            ));
        }
        Ok(world.s3.buckets.remove(name))
    })?;
    // Parts of multipart uploads never completed go with the bucket.
    let blobs: Vec<String> = removed
        .into_iter()
        .flat_map(|bucket| bucket.uploads.into_values())
        .flat_map(|upload| upload.parts.into_values())
        .map(|part| part.blob)
        .collect();
    let shared = std::sync::Arc::clone(&request.shared);
    tokio::spawn(async move {
        // Bodies go once the change that dropped them is on disk.
        shared.world.settled().await;
        shared.blobs.remove(blobs).await;
    });
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `<VersioningConfiguration>`, read and written.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersioningConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
}

/// `GetBucketVersioning`.
pub fn get_bucket_versioning(request: &Request) -> Result<Response, ApiError> {
    let status = request.read_bucket(|bucket| Ok(bucket.versioning.clone()))?;
    xml::ok(
        "VersioningConfiguration",
        &VersioningConfiguration { status },
    )
}

/// `PutBucketVersioning`.
pub async fn put_bucket_versioning(request: &Request, body: Body) -> Result<Response, ApiError> {
    let configuration: Option<VersioningConfiguration> = xml::read(body).await?;
    let status = configuration
        .and_then(|configuration| configuration.status)
        .filter(|status| status == "Enabled" || status == "Suspended")
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema: give <VersioningConfiguration><Status>Enabled</Status> or Suspended.",
            )
        })?;
    request.write_bucket(|bucket| {
        bucket.versioning = Some(status);
        Ok(())
    })?;
    Ok(StatusCode::OK.into_response())
}
