//! The deployment engine: it runs CodeDeploy deployments in the local cloud.
//!
//! A deployment is created with its targets chosen (see [`select`]) and a
//! [`Rollout`](crate::domain::rollout::Rollout) over the instances it installs on, in target id order with
//! the health the deployment group keeps for each. From then on the rollout
//! alone decides the waves and the outcome, so the GUI's planner, which
//! drives the same rollout, predicts exactly what happens here.
//!
//! Each wave starts when the previous one has ended. When a wave starts,
//! the engine reads how each of its instances behaves (see [`agent`]) and
//! plans every lifecycle event: when it starts, when it ends and how. The
//! plans are then played out on the local cloud's clock: [`advance()`] brings
//! every running deployment up to a given time, applying the events whose
//! times have come, reporting finished instances to the rollout and starting
//! the next wave at the time the last one ended. Because everything is
//! decided by timestamps, advancing in many small steps or in one big step
//! gives the same result, which is what lets tests drive the engine with a
//! manual clock.
//!
//! Who calls [`advance()`]: the server before every request (so a client
//! always sees the deployment as of its request's time), a background task
//! on a timer (so deployments move on with nobody asking), and
//! [`LocalCloud::tick`](crate::localcloud::LocalCloud::tick).
//!
//! Load balancers: the `BlockTraffic` and `AllowTraffic` events of a
//! deployment whose `loadBalancerInfo` names target groups or classic load
//! balancers deregister the instance from them and register it again, and
//! last as long as the load balancers take on the clock: draining, then
//! health checks (see [`traffic`]).
//!
//! Blue/green deployments install on the replacement (Green) instances with
//! the rollout (first copying the group's Auto Scaling group and waiting for
//! the copy's instances, with `COPY_AUTO_SCALING_GROUP`, see
//! [`green_fleet`]), optionally wait in status `Ready` for
//! `ContinueDeployment`, reroute traffic (Green `AllowTraffic` events, then,
//! once every replacement allows traffic, Blue `BlockTraffic` events), then
//! keep or terminate the original instances. When a
//! deployment ends, instance and revision health and the group's revision
//! are updated as the rollout says, and an automatic rollback is created if
//! the deployment's rollback configuration asks for one.
//!
//! Auto Scaling: a group's deployments also go to the `InService`
//! instances of the Auto Scaling groups it names; [`autoscaling`] installs
//! CodeDeploy's launch hook in them and, after every advance
//! ([`serve_launches`]), deploys the group's last successful revision to
//! each instance held at that hook, completes the launch with the result,
//! and brings instances scaled out during a deployment up to date once it
//! succeeds.
//!
//! The parts, each in its own file and each using only the ones listed after
//! it, so that they import each other in no circle: [`autoscaling`] serves
//! Auto Scaling's launches and installs CodeDeploy's hooks; [`controls`]
//! stops and continues deployments when asked; [`advance`](mod@advance)
//! moves deployments
//! along the clock, phase by phase; [`shifting`] runs Lambda and ECS
//! deployments, whose traffic shifts by the configuration's schedule and
//! whose hooks are Lambda functions; [`waves`] runs the rollout's waves;
//! [`blue_green`] waits, reroutes traffic and terminates the original
//! instances; [`ending`] ends a deployment and rolls it back; [`tasks`]
//! starts an ECS deployment's replacement task set and moves its
//! listeners; [`traffic`]
//! makes the traffic events act on the load balancers; [`green_fleet`]
//! copies an Auto Scaling group for the replacement instances and
//! replaces the original with it; [`create`](mod@create) makes a
//! deployment; [`agent`] plays one instance's
//! lifecycle events, [`local`] runs a local instance's for real,
//! [`bundle`] reads what the revision makes them do,
//! [`select`] picks the targets, [`triggers`] publishes the group's trigger
//! messages to SNS, and [`common`] holds what they share.
//!
//! Alarms: with alarm monitoring on, [`stop_on_alarms`] (called before
//! every advance) stops a running deployment whose group names an alarm in
//! `ALARM` with `ALARM_ACTIVE`, or one whose alarm cannot be read unless
//! `ignorePollAlarmFailure` is set; its automatic rollback then follows the
//! `DEPLOYMENT_STOP_ON_ALARM` event.
//!
//! The engine sits below the request handlers: it reads and changes the
//! stored model (the [`World`](crate::localcloud::World)) and never imports
//! a handler.

pub mod advance;
pub mod agent;
pub mod autoscaling;
pub mod blue_green;
pub mod bundle;
pub mod common;
pub mod controls;
pub mod create;
pub mod ending;
pub mod green_fleet;
pub mod local;
pub mod select;
pub mod shifting;
pub mod tasks;
pub mod traffic;
pub mod triggers;
pub mod waves;

pub use advance::{advance, prepare_loaded, resume};
pub use autoscaling::{CREATOR_AUTO_UPDATE, CREATOR_AUTOSCALING, serve_launches};
pub use common::{
    AGENT_ISSUE_MESSAGE, CREATOR_ROLLBACK, CREATOR_USER, DEFAULT_EVENT_DURATION, DEFAULT_MINUTE,
    EngineSettings, HEALTH_CONSTRAINTS_MESSAGE, NO_INSTANCES_MESSAGE,
};
pub use controls::{continue_ready, end_termination_wait, stop, stop_on_alarms};
pub use create::{NewDeployment, create, is_deployment_id};
pub use local::{LocalFoldersGuard, LocalFoldersId, register as register_local_folders};
