//! Amazon ECS in the local cloud (`awsJson1_1`, target prefix
//! `AmazonEC2ContainerServiceV20141113`, signed for `ecs`): clusters, task
//! definitions, services with the `ECS` or `CODE_DEPLOY` deployment
//! controller, and the task sets that CodeDeploy's blue/green deployments
//! of ECS services move traffic between.
//!
//! [`service`] registers it with the server and maps each operation's name
//! to its function; [`clusters`], [`task_definitions`], [`services`],
//! [`task_sets`] and [`tags`] answer their families of operations, and
//! [`common`] holds what they share. The stored model is [`state`];
//! [`task_set_state`] says how a task set's (or a deployment's) tasks start
//! on the clock and is the API the deployment engine drives an ECS
//! blue/green deployment through.

pub mod clusters;
pub mod common;
pub mod service;
pub mod services;
pub mod state;
pub mod tags;
pub mod task_definitions;
pub mod task_set_state;
pub mod task_sets;

pub use state::{
    Cluster, ContainerDefinition, Deployment, EcsService, EcsState, Launch, LoadBalancer,
    PortMapping, TaskDefinition, TaskSet, Tasks,
};
pub use task_set_state::{NewTaskSet, TASK_START_MS, TaskCounts};
