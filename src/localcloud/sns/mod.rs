//! SNS in the local cloud (the `awsQuery` protocol, API version
//! 2010-03-31): topics, HTTP subscriptions on loopback with their
//! confirmation, and publishing.
//!
//! A request is a form (`Action=CreateTopic&Version=2010-03-31&Name=...`).
//! [`service`] registers SNS with the server and maps an action to its
//! function. Each family of operations lives in its own file ([`topics`],
//! [`subscriptions`], [`publish`]) over the state in [`state`]; [`common`]
//! reads parameters and writes SNS's XML envelope and errors.
//!
//! Deliveries: `Subscribe` and `Publish` (and the engine, through
//! [`SnsState::publish`]) only queue what is to be sent in the state's
//! [`Outbox`]; [`delivery`] is the background task that takes the queued
//! deliveries and POSTs them to the subscribers, off the request, with
//! retries, without holding the world's lock across the network.

pub mod common;
pub mod delivery;
pub mod publish;
pub mod service;
pub mod state;
pub mod subscriptions;
pub mod topics;

pub use state::{Delivery, DeliveryKind, MessageAttribute, Outbox, SnsState, Subscription, Topic};
