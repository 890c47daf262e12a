//! One client test suite for EC2, Auto Scaling, Elastic Load Balancing (v2
//! and classic), IAM, S3, CloudWatch, SNS, Systems Manager, Lambda and ECS, written once
//! and run twice: against the local cloud and against moto's server, an
//! independent implementation of the same APIs.
//!
//! Every test is declared with [`crosscheck!`], which makes two tests of it,
//! `NAME::local` and `NAME::moto`. Where moto departs from AWS's documented
//! behaviour, the test follows AWS and says why it skips that check on moto
//! with [`Clients::moto_differs`].
//!
//! moto runs as one server for the whole binary (`python3` with
//! `moto[server]` installed), started on a free loopback port and stopped
//! when the binary exits. Its state is shared by the tests, so each test
//! names its resources with [`Clients::unique`]. When moto is not installed,
//! the moto half of each test is skipped, unless
//! `DEPLOYDESK_REQUIRE_MOTO=1` asks for it to fail instead (the README's
//! test command sets it).

mod autoscaling;
mod cloudwatch;
mod ec2;
mod ecs;
mod elb;
mod elbv2;
mod iam;
mod lambda;
mod s3;
mod sns;
mod ssm;
mod support;

pub use support::Clients;
