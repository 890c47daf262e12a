//! The local cloud's integration tests, one module a service or subject:
//! the AWS SDK for Rust and the AWS CLI against the local cloud on a free
//! loopback port. They are one test binary, so that the suite links once.
//!
//!     cargo test --test localcloud            # all of them
//!     cargo test --test localcloud ecs::      # one module

#[path = "../deploy_support/mod.rs"]
mod deploy_support;
#[path = "../support/mod.rs"]
mod support;

mod alarms_triggers;
mod asg_deployments;
mod asg_deployments_cli;
mod autoscaling;
mod autoscaling_cli;
mod awscli;
mod bundles;
mod cloudwatch;
mod codedeploy;
mod denied;
mod deployments;
mod deployments_cli;
mod durability;
mod ec2;
mod ecs;
mod ecs_cli;
mod ecs_deployments;
mod ecs_deployments_cli;
mod elb;
mod elb_cli;
mod elbv2;
mod iam;
mod lambda;
mod lambda_cli;
mod lambda_deployments;
mod lambda_deployments_cli;
mod layers;
mod local_instances;
mod raw_http;
mod s3;
mod serve;
mod sns;
mod ssm;
mod ssm_cli;
mod traffic;
mod traffic_cli;
