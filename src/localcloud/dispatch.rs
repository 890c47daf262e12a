//! The one shape every service of the local cloud has, and what the
//! handlers of every service share.
//!
//! A service is a [`Service`]: a name, a title and a [`Protocol`], which
//! says how the server recognises the service's requests and hands them
//! over. The server routes each request by protocol to one registered
//! service (see [`services`](super::services)) and knows no operation by
//! name: the service looks the operation up in its own table of
//! [`Operations`] and runs it. As in tokio's mini-redis, each operation
//! lives in a small file that reads its input and applies it to the shared
//! store, and the server loop knows nothing about operations.
//!
//! Most operations are a [`Handler`]: a plain function over the service's
//! [`Part`] of the [`World`] (or over the whole world, for the few that
//! reach into another service), marked as reading or writing, so that the
//! world's lock is taken the right way and a change is saved only when the
//! operation succeeded. The lock is taken and let go inside [`Handler::run`],
//! never across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::future::BoxFuture;

use super::clock::{Clock, Timestamp};
use super::engine::{self, EngineSettings};
use super::faults::{FaultSpec, Faults};
use super::protocol::{ApiError, QueryFlavour, Wire, json};
use super::s3::BlobStore;
use super::ssm;
use super::world::{SharedWorld, World};

/// What every request handler shares.
#[derive(Debug)]
pub struct Shared {
    /// The world.
    pub world: SharedWorld,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How the deployment engine paces deployments.
    pub engine: EngineSettings,
    /// The faults to inject; they can be changed while the cloud runs.
    pub faults: Mutex<FaultSpec>,
    /// Requests received, by `service:Operation`.
    pub requests: Mutex<BTreeMap<String, u64>>,
    /// The bodies of S3 objects, on disk.
    pub blobs: BlobStore,
    /// How long the SSO portal's role credentials last.
    pub sso_credentials_lifetime: Duration,
}

impl Shared {
    /// Brings the running deployments up to the clock's time. Returns
    /// whether anything changed (and so was queued to be saved).
    pub fn advance(&self) -> bool {
        self.advance_to(self.clock.now())
    }

    /// Brings the EC2 instances' transitional states, the Auto Scaling
    /// groups, Systems Manager's instances, commands and associations, the
    /// running deployments and the launches CodeDeploy holds up to `now`.
    pub fn advance_to(&self, now: Timestamp) -> bool {
        self.world.update(|world| {
            let settled = world.ec2.settle(now);
            let balanced = world.settle_load_balancers(now);
            let scaled = world.autoscaling.settle(&mut world.ec2, now);
            // Systems Manager sees the instances as they are now, and its
            // commands and associations change their CodeDeploy agents
            // before deployments reach them.
            let managed = ssm::settle(world, now);
            // An alarm set since the last advance stops its deployments
            // where they were, before they move on.
            let stopped = engine::stop_on_alarms(world, now);
            let advanced = engine::advance(world, now, &self.engine);
            // Launches held at CodeDeploy's hooks get their deployments.
            let launched = engine::serve_launches(world, now, &self.engine);
            settled || balanced || scaled || stopped || advanced || launched || managed
        })
    }

    /// The faults to inject into a request for `operation` of `service`.
    pub fn faults_for(&self, service: &str, operation: &str) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .for_operation(service, operation)
    }

    /// Counts a request for `operation` of `service`.
    pub fn count(&self, service: &str, operation: &str) {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests
            .entry(format!("{service}:{operation}"))
            .or_insert(0) += 1;
    }
}

/// What the server tells a service about a request besides its input.
#[derive(Debug, Clone)]
pub struct Call {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The operation asked for, e.g. `CreateApplication`.
    pub operation: String,
}

/// A service as the server sees it.
#[derive(Debug)]
pub struct Service {
    /// Its name as fault specs, request counts and IAM actions spell it,
    /// e.g. `codedeploy`; for a query service, also the name its requests
    /// are signed for.
    pub name: &'static str,
    /// Its name in messages, e.g. `CodeDeploy`.
    pub title: &'static str,
    /// How its requests are recognised and handed to it.
    pub protocol: Protocol,
}

/// Serves an `awsJson1_1` request: the call and the raw body; the answer
/// is the operation's output.
pub type JsonServe = fn(&Shared, &Call, &[u8]) -> Result<serde_json::Value, ApiError>;
/// Serves a query request: the call and the form; the answer is the XML
/// document.
pub type QueryServe = fn(&Shared, &Call, &[u8]) -> Result<String, ApiError>;
/// Serves a Smithy RPC v2 CBOR request (or its JSON 1.0 flavour): the call
/// and the input, already read into a JSON value; the answer is the
/// operation's output, which the server writes in the request's protocol.
pub type RpcServe = fn(&Shared, &Call, &serde_json::Value) -> Result<serde_json::Value, ApiError>;
/// Serves a REST request: the call, the request's head and its body,
/// unread; the answer is the whole response, errors included.
pub type RestServe = fn(Arc<Shared>, Parts, Body, Call) -> BoxFuture<'static, Response>;

/// How the server recognises a service's requests, and what it hands over.
#[derive(Debug)]
pub enum Protocol {
    /// `awsJson1_1`.
    AwsJson(JsonApi),
    /// A query protocol.
    Query(QueryApi),
    /// Smithy RPC v2 CBOR.
    RpcV2Cbor(CborApi),
    /// REST, addressed by path.
    Rest(RestApi),
}

/// An `awsJson1_1` service: `POST /` with
/// `X-Amz-Target: {target_prefix}.Operation`.
#[derive(Debug)]
pub struct JsonApi {
    /// The target prefix, e.g. `CodeDeploy_20141006`.
    pub target_prefix: &'static str,
    /// Serves a request.
    pub serve: JsonServe,
}

/// A query service: a form with an `Action`, signed for the service's name
/// or, unsigned, naming its `Version`.
#[derive(Debug)]
pub struct QueryApi {
    /// The name its requests are signed for: the service's name, except
    /// for services that share one (both Elastic Load Balancing APIs sign
    /// for `elasticloadbalancing`).
    pub signing_name: &'static str,
    /// The API version, e.g. `2016-11-15`.
    pub version: &'static str,
    /// How its errors are written.
    pub flavour: QueryFlavour,
    /// Serves a request.
    pub serve: QueryServe,
}

/// A Smithy RPC v2 CBOR service: `POST /service/{service_name}/operation/Operation`
/// with `smithy-protocol: rpc-v2-cbor`. A service that also speaks the
/// `awsJson1_0` flavour of the same operations (CloudWatch, which the AWS
/// CLI v1 reaches that way) is served that way too, for requests whose
/// `X-Amz-Target` is `{service_name}.Operation`.
#[derive(Debug)]
pub struct CborApi {
    /// The service's name in the path, e.g. `GraniteServiceVersion20100801`,
    /// which is also its JSON target prefix.
    pub service_name: &'static str,
    /// The members of its outputs that hold timestamps (as epoch seconds),
    /// which CBOR writes as timestamps.
    pub timestamps: &'static [&'static str],
    /// The `__type` of an error, the shape of its exception with its
    /// namespace (e.g. `com.amazonaws.cloudwatch#ResourceNotFound` for the
    /// query code `ResourceNotFound`).
    pub error_type: fn(&ApiError) -> String,
    /// Serves a request.
    pub serve: RpcServe,
}

/// A REST service, addressed by path. It claims its requests by their
/// head, names their operation, and reads their bodies itself (S3 streams
/// uploads of hundreds of megabytes).
#[derive(Debug)]
pub struct RestApi {
    /// How its answers and errors are written.
    pub wire: Wire,
    /// Whether a request is this service's.
    pub claims: fn(&Parts) -> bool,
    /// The operation a request asks for, e.g. `PutObject`.
    pub operation: fn(&Parts) -> &'static str,
    /// Serves a request.
    pub serve: RestServe,
}

impl Service {
    /// An `awsJson1_1` service named `name` (`title` in messages) whose
    /// requests carry `X-Amz-Target: {target_prefix}.Operation`.
    pub const fn json(
        name: &'static str,
        title: &'static str,
        target_prefix: &'static str,
        serve: JsonServe,
    ) -> Self {
        let api = JsonApi {
            target_prefix,
            serve,
        };
        Self {
            name,
            title,
            protocol: Protocol::AwsJson(api),
        }
    }

    /// A query service named `name` (`title` in messages) that speaks the
    /// API `version` and writes its errors in the `flavour` of the query
    /// protocol.
    pub const fn query(
        name: &'static str,
        title: &'static str,
        version: &'static str,
        flavour: QueryFlavour,
        serve: QueryServe,
    ) -> Self {
        Self::query_signed_as(name, name, title, version, flavour, serve)
    }

    /// A query service named `name` whose requests are signed for
    /// `signing_name`, which it shares with another service; the server
    /// tells them apart by `version`.
    pub const fn query_signed_as(
        name: &'static str,
        signing_name: &'static str,
        title: &'static str,
        version: &'static str,
        flavour: QueryFlavour,
        serve: QueryServe,
    ) -> Self {
        let api = QueryApi {
            signing_name,
            version,
            flavour,
            serve,
        };
        Self {
            name,
            title,
            protocol: Protocol::Query(api),
        }
    }

    /// A Smithy RPC v2 CBOR service named `name` (`title` in messages),
    /// served as `api` says.
    pub const fn rpc_v2_cbor(name: &'static str, title: &'static str, api: CborApi) -> Self {
        Self {
            name,
            title,
            protocol: Protocol::RpcV2Cbor(api),
        }
    }

    /// A REST service named `name` (`title` in messages), served as `api`
    /// says.
    pub const fn rest(name: &'static str, title: &'static str, api: RestApi) -> Self {
        Self {
            name,
            title,
            protocol: Protocol::Rest(api),
        }
    }

    /// How this service's answers and errors are written.
    pub fn wire(&self) -> Wire {
        match &self.protocol {
            Protocol::AwsJson(_) => Wire::AwsJson,
            Protocol::Query(api) => Wire::Query(api.flavour),
            Protocol::RpcV2Cbor(_) => Wire::RpcV2Cbor,
            Protocol::Rest(api) => api.wire,
        }
    }
}

/// A service's operations: its handlers by operation name, in the order
/// messages list them.
#[derive(Debug)]
pub struct Operations<H: 'static> {
    /// The operations.
    table: &'static [(&'static str, H)],
}

impl<H> Operations<H> {
    /// The operations in `table`.
    pub const fn new(table: &'static [(&'static str, H)]) -> Self {
        Self { table }
    }

    /// The handler of `operation`, if the service has it.
    pub fn find(&self, operation: &str) -> Option<&'static H> {
        self.table
            .iter()
            .find(|(name, _)| *name == operation)
            .map(|(_, handler)| handler)
    }

    /// The operations' names, listed in words: `A, B and C`.
    pub fn listed(&self) -> String {
        listed(&self.table.iter().map(|(name, _)| *name).collect::<Vec<_>>())
    }
}

impl<S: Clone, C> Operations<Handler<S, C, serde_json::Value, serde_json::Value>> {
    /// Serves an `awsJson1_1` request of `service` (whose operations these
    /// are, over the world's `part`): finds the operation `call` names,
    /// reads the JSON `body` and runs the operation with `context`.
    pub fn serve_json(
        &self,
        service: &Service,
        part: &Part<S>,
        world: &SharedWorld,
        call: &Call,
        body: &[u8],
        context: &C,
    ) -> Result<serde_json::Value, ApiError> {
        let prefix = match &service.protocol {
            Protocol::AwsJson(api) => api.target_prefix,
            _ => service.name,
        };
        let handler = self
            .find(&call.operation)
            .ok_or_else(|| json::unknown_operation(prefix, service.title, &call.operation))?;
        let input = json::parse_body(body)?;
        handler.run(Run::Plain, world, part, context, &input)
    }
}

/// `items` in words: `A`, `A and B`, `A, B and C`.
pub fn listed(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Where a service's state is in the [`World`].
#[derive(Debug)]
pub struct Part<S: 'static> {
    /// The state, to read.
    pub of: fn(&World) -> &S,
    /// The state, to change.
    pub of_mut: fn(&mut World) -> &mut S,
}

/// An operation that takes the state `S`, the context `C` and the input
/// `I`, and answers `O`: by how it touches the world. An operation that may
/// write must check everything before it changes anything, so that a
/// failure leaves the world as it was (or be run with
/// [`Run::AllOrNothing`]).
#[derive(Debug)]
pub enum Handler<S, C, I: ?Sized, O> {
    /// Reads its service's state only.
    Read(fn(&S, &C, &I) -> Result<O, ApiError>),
    /// May change its service's state.
    Write(fn(&mut S, &C, &I) -> Result<O, ApiError>),
    /// Reads the whole world (CodeDeploy's revisions read S3's objects).
    ReadWorld(fn(&World, &C, &I) -> Result<O, ApiError>),
    /// May change the whole world (deployments launch EC2 instances).
    WriteWorld(fn(&mut World, &C, &I) -> Result<O, ApiError>),
}

/// How a [`Handler`] is run, and which of its changes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// With the lock taken for reading or writing as the operation needs;
    /// a write that succeeds is saved, and one that fails keeps what it
    /// changed (such operations check everything first).
    Plain,
    /// As [`Run::Plain`], except that a write to the service's state is
    /// made on a copy that replaces the state only if the operation
    /// succeeds, so a failure half way changes nothing.
    AllOrNothing,
    /// On a copy of the world, changing nothing, so that a dry run fails
    /// exactly as the real run would.
    OnCopy,
}

impl<S: Clone, C, I: ?Sized, O> Handler<S, C, I, O> {
    /// Runs the operation on the world's `part` the way `how` says.
    pub fn run(
        &self,
        how: Run,
        world: &SharedWorld,
        part: &Part<S>,
        context: &C,
        input: &I,
    ) -> Result<O, ApiError> {
        match (how, self) {
            (Run::OnCopy, _) => world.read(|world| match self {
                Handler::Read(run) => run((part.of)(world), context, input),
                Handler::Write(run) => run(&mut (part.of)(world).clone(), context, input),
                Handler::ReadWorld(run) => run(world, context, input),
                Handler::WriteWorld(run) => run(&mut world.clone(), context, input),
            }),
            (Run::AllOrNothing, Handler::Write(run)) => world.write(|world| {
                let mut copy = (part.of)(world).clone();
                let answer = run(&mut copy, context, input)?;
                *(part.of_mut)(world) = copy;
                Ok(answer)
            }),
            (_, Handler::Read(run)) => world.read(|world| run((part.of)(world), context, input)),
            (_, Handler::Write(run)) => {
                world.write(|world| run((part.of_mut)(world), context, input))
            }
            (_, Handler::ReadWorld(run)) => world.read(|world| run(world, context, input)),
            (_, Handler::WriteWorld(run)) => world.write(|world| run(world, context, input)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localcloud::codedeploy::CodeDeployState;
    use crate::localcloud::store::Notices;

    /// CodeDeploy's part of the world, where the tests count.
    const PART: Part<CodeDeployState> = Part {
        of: |world| &world.codedeploy,
        of_mut: |world| &mut world.codedeploy,
    };

    /// An operation that counts up in the state, then fails if asked to.
    type Counting = Handler<CodeDeployState, (), bool, u64>;

    /// Counts up, then fails when its input says so.
    const COUNT_UP: Counting = Handler::Write(|state, (), fail| {
        state.revision_sequence += 1;
        if *fail {
            Err(ApiError::validation("failed after counting"))
        } else {
            Ok(state.revision_sequence)
        }
    });

    /// The count in `world`.
    fn count(world: &SharedWorld) -> u64 {
        world.read(|world| world.codedeploy.revision_sequence)
    }

    #[test]
    fn writes_are_kept_as_each_runner_promises() {
        let world = SharedWorld::new(World::default(), None, Notices::default());
        let write = COUNT_UP;
        assert_eq!(write.run(Run::Plain, &world, &PART, &(), &false), Ok(1));
        assert_eq!(count(&world), 1);
        // A plain run keeps what the operation changed before it failed:
        // operations run this way check everything first.
        assert!(write.run(Run::Plain, &world, &PART, &(), &true).is_err());
        assert_eq!(count(&world), 2);
        // All or nothing: the failure leaves the state as it was, and a
        // success is kept.
        assert!(
            write
                .run(Run::AllOrNothing, &world, &PART, &(), &true)
                .is_err()
        );
        assert_eq!(count(&world), 2);
        assert_eq!(
            write.run(Run::AllOrNothing, &world, &PART, &(), &false),
            Ok(3)
        );
        assert_eq!(count(&world), 3);
        // A dry run answers as the real run would and changes nothing.
        assert_eq!(write.run(Run::OnCopy, &world, &PART, &(), &false), Ok(4));
        assert!(write.run(Run::OnCopy, &world, &PART, &(), &true).is_err());
        assert_eq!(count(&world), 3);
        let read: Counting = Handler::Read(|state, (), _| Ok(state.revision_sequence));
        assert_eq!(read.run(Run::Plain, &world, &PART, &(), &false), Ok(3));
    }

    #[test]
    fn names_are_listed_in_words() {
        assert_eq!(listed(&[]), "");
        assert_eq!(listed(&["A"]), "A");
        assert_eq!(listed(&["A", "B"]), "A and B");
        assert_eq!(listed(&["A", "B", "C"]), "A, B and C");
        let operations: Operations<u8> = Operations::new(&[("One", 1), ("Two", 2)]);
        assert_eq!(operations.find("Two"), Some(&2));
        assert_eq!(operations.find("Three"), None);
        assert_eq!(operations.listed(), "One and Two");
    }
}
