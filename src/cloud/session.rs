//! The session: one SDK configuration for the chosen backend and the
//! service clients built from it.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::error::{CloudError, ErrorContext};
use crate::settings::BackendChoice;

/// The region used when neither the user nor the profile gives one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Clients for CodeDeploy, EC2, Auto Scaling, Elastic Load Balancing, IAM,
/// S3, CloudWatch, SNS, Systems Manager, Lambda and ECS, all configured for
/// one backend.
#[derive(Debug, Clone)]
pub struct Session {
    backend: BackendChoice,
    region: String,
    context: ErrorContext,
    /// The CloudWatch client, for the alarms groups watch.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// The CodeDeploy client.
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// The EC2 client.
    pub ec2: aws_sdk_ec2::Client,
    /// The IAM client.
    pub iam: aws_sdk_iam::Client,
    /// The S3 client (path-style addressing for custom endpoints).
    pub s3: aws_sdk_s3::Client,
    /// The Auto Scaling client, for the groups a deployment group names.
    pub autoscaling: aws_sdk_autoscaling::Client,
    /// The Elastic Load Balancing v2 client, for target groups.
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// The classic Elastic Load Balancing client.
    pub elb: aws_sdk_elasticloadbalancing::Client,
    /// The SNS client, for the topics triggers notify.
    pub sns: aws_sdk_sns::Client,
    /// The Systems Manager client, for the CodeDeploy agent on instances.
    pub ssm: aws_sdk_ssm::Client,
    /// The STS client, which tells which account the session is in.
    pub sts: aws_sdk_sts::Client,
    /// The Lambda client, for the functions and aliases Lambda deployments
    /// move.
    pub lambda: aws_sdk_lambda::Client,
    /// The ECS client, for the services ECS deployments move.
    pub ecs: aws_sdk_ecs::Client,
}

impl Session {
    /// A session for the local cloud at `endpoint_url`, with dummy
    /// credentials that never leave this machine.
    pub async fn local(endpoint_url: &str) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            "local-cloud",
            "local-cloud",
            None,
            None,
            "deploydesk-local-cloud",
        );
        let config = base_loader()
            .region(Region::new(DEFAULT_REGION))
            .endpoint_url(endpoint_url)
            .credentials_provider(credentials)
            .load()
            .await;
        Self::from_config(
            &config,
            BackendChoice::Demo,
            None,
            Some(endpoint_url.to_owned()),
        )
    }

    /// A session for a profile or a custom endpoint, with the standard
    /// credential chain (SSO included). The demo backend needs the local
    /// cloud's address: use [`Session::local`] for it.
    pub async fn connect(backend: &BackendChoice) -> Result<Self, CloudError> {
        match backend {
            BackendChoice::Demo => Err(CloudError::Other(
                "The demo backend runs on the local cloud; start it first.".to_owned(),
            )),
            BackendChoice::Profile { profile, region } => {
                let config = load(base_loader().profile_name(profile), region.as_deref()).await;
                // A profile may send its requests elsewhere (`endpoint_url`).
                let endpoint = config.endpoint_url().map(str::to_owned);
                Ok(Self::from_config(
                    &config,
                    backend.clone(),
                    Some(profile.clone()),
                    endpoint,
                ))
            }
            BackendChoice::Endpoint { url, region } => {
                let config = load(base_loader().endpoint_url(url), region.as_deref()).await;
                Ok(Self::from_config(
                    &config,
                    backend.clone(),
                    None,
                    Some(url.clone()),
                ))
            }
        }
    }

    fn from_config(
        config: &SdkConfig,
        backend: BackendChoice,
        profile: Option<String>,
        endpoint: Option<String>,
    ) -> Self {
        let region = config
            .region()
            .map_or_else(|| DEFAULT_REGION.to_owned(), ToString::to_string);
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(endpoint.is_some())
            .build();
        let context = ErrorContext {
            profile,
            endpoint: endpoint.unwrap_or_else(|| format!("AWS ({region})")),
        };
        Self {
            backend,
            region,
            context,
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            codedeploy: aws_sdk_codedeploy::Client::new(config),
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sns: aws_sdk_sns::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(config),
            elb: aws_sdk_elasticloadbalancing::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
        }
    }

    /// The backend this session talks to.
    pub fn backend(&self) -> &BackendChoice {
        &self.backend
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// What errors need to know about this session.
    pub fn error_context(&self) -> &ErrorContext {
        &self.context
    }

    /// Asks STS who this session signs in as. This is the first request a
    /// new session makes, so it is where expired SSO sessions, missing
    /// credentials, unknown regions and a missing network show up.
    ///
    /// An endpoint that does not serve STS (some AWS-compatible emulators
    /// do not) is not an error: the identity is then unknown.
    pub async fn verify(&self) -> Result<Option<Identity>, CloudError> {
        let result = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(super::error::sdk_error(self, "GetCallerIdentity"));
        match result {
            Ok(output) => Ok(Some(Identity {
                account: output.account.unwrap_or_default(),
                arn: output.arn.unwrap_or_default(),
            })),
            Err(
                error @ (CloudError::SsoExpired { .. }
                | CloudError::Credentials { .. }
                | CloudError::Unreachable { .. }),
            ) => Err(error),
            Err(error) if self.context.endpoint.starts_with("AWS") => Err(error),
            Err(error) => {
                tracing::info!("the endpoint did not tell who the caller is: {error}");
                Ok(None)
            }
        }
    }
}

/// Who a session signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The AWS account id.
    pub account: String,
    /// The ARN of the user or assumed role.
    pub arn: String,
}

fn base_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .build(),
    )
}

/// Loads the configuration, in `region` when one is given, else the
/// profile's or the environment's, else the default.
async fn load(loader: aws_config::ConfigLoader, region: Option<&str>) -> SdkConfig {
    let loader = match region {
        Some(region) => loader.region(Region::new(region.to_owned())),
        None => loader,
    };
    with_default_region(loader.load().await)
}

/// Fills in the default region when the profile and environment give none.
fn with_default_region(config: SdkConfig) -> SdkConfig {
    if config.region().is_some() {
        return config;
    }
    config
        .into_builder()
        .region(Region::new(DEFAULT_REGION))
        .build()
}

/// A profile found in the standard AWS config files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileInfo {
    /// The profile's name.
    pub name: String,
    /// The profile's region, if it sets one.
    pub region: Option<String>,
    /// Whether the profile signs in through IAM Identity Center (SSO).
    pub uses_sso: bool,
}

/// Lists the profiles in the standard AWS config and credentials files (as
/// the AWS CLI finds them, `AWS_CONFIG_FILE` and friends included). Missing
/// files give an empty list.
pub async fn list_profiles() -> Result<Vec<ProfileInfo>, CloudError> {
    use aws_types::os_shim_internal::{Env, Fs};

    list_profiles_in(&Fs::real(), &Env::real()).await
}

/// Lists the profiles that `fs` and `env` describe.
async fn list_profiles_in(
    fs: &aws_types::os_shim_internal::Fs,
    env: &aws_types::os_shim_internal::Env,
) -> Result<Vec<ProfileInfo>, CloudError> {
    use aws_runtime::env_config::file::EnvConfigFiles;

    let profiles = aws_config::profile::load(fs, env, &EnvConfigFiles::default(), None)
        .await
        .map_err(|error| {
            CloudError::Other(format!("Could not read the AWS config files: {error}"))
        })?;
    let mut list: Vec<ProfileInfo> = profiles
        .profiles()
        .filter_map(|name| {
            let profile = profiles.get_profile(name)?;
            Some(ProfileInfo {
                name: name.to_owned(),
                region: profile.get("region").map(str::to_owned),
                uses_sso: profile.get("sso_session").is_some()
                    || profile.get("sso_start_url").is_some(),
            })
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_types::os_shim_internal::{Env, Fs};

    #[tokio::test]
    async fn profiles_come_from_both_files_with_region_and_sso() {
        let config = "[default]\nregion = eu-west-1\n\n[profile ops]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Admin\nregion = us-east-2\n\n[sso-session corp]\nsso_start_url = https://corp.example\nsso_region = us-east-1\n";
        let credentials = "[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n";
        let fs = Fs::from_slice(&[
            ("/home/me/.aws/config", config),
            ("/home/me/.aws/credentials", credentials),
        ]);
        let env = Env::from_slice(&[("HOME", "/home/me")]);
        let profiles = list_profiles_in(&fs, &env).await.unwrap();
        let names: Vec<&str> = profiles
            .iter()
            .map(|profile| profile.name.as_str())
            .collect();
        assert_eq!(names, ["ci", "default", "ops"]);
        assert_eq!(profiles[1].region.as_deref(), Some("eu-west-1"));
        assert!(profiles[2].uses_sso);
        assert!(!profiles[0].uses_sso);
    }

    #[tokio::test]
    async fn no_config_files_give_no_profiles() {
        let env = Env::from_slice(&[("HOME", "/home/nobody")]);
        let profiles = list_profiles_in(&Fs::from_slice(&[]), &env).await.unwrap();
        assert!(profiles.is_empty());
    }
}
