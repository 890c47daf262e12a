//! Starting the two backends and building SDK clients for them.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_ec2::config::Region;
use deploydesk::cloud::session::Session;
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};

/// Which implementation a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// DeployDesk's local cloud.
    Local,
    /// moto's server.
    Moto,
}

/// The region every cross-check test uses.
pub const REGION: &str = "us-east-1";

/// SDK clients for one backend, and what the test needs to know about it.
pub struct Clients {
    /// Which backend these clients talk to.
    pub backend: Backend,
    /// The endpoint URL, for the AWS CLI or raw HTTP.
    pub endpoint: String,
    /// Auto Scaling.
    pub autoscaling: aws_sdk_autoscaling::Client,
    /// `CloudWatch`.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// EC2.
    pub ec2: aws_sdk_ec2::Client,
    /// ECS.
    pub ecs: aws_sdk_ecs::Client,
    /// Elastic Load Balancing (classic load balancers).
    pub elb: aws_sdk_elasticloadbalancing::Client,
    /// Elastic Load Balancing v2.
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// Lambda.
    pub lambda: aws_sdk_lambda::Client,
    /// S3, path-style.
    pub s3: aws_sdk_s3::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// Systems Manager.
    pub ssm: aws_sdk_ssm::Client,
    /// DeployDesk's own client session for the same endpoint, for testing
    /// the operations in `deploydesk::cloud` against both backends.
    pub session: Session,
    /// The local cloud, kept running for the test; `None` on moto.
    pub local: Option<LocalCloud>,
}

impl Clients {
    /// Clients for a fresh local cloud in memory.
    pub async fn local() -> Self {
        let cloud = LocalCloud::start(LocalCloudOptions::default())
            .await
            .expect("the local cloud starts");
        let endpoint = cloud.endpoint_url();
        Self::at(Backend::Local, endpoint, Some(cloud)).await
    }

    /// Clients for the shared moto server, or `None` (with a note) when moto
    /// is not installed and not required.
    pub async fn moto() -> Option<Self> {
        match moto_endpoint() {
            Ok(endpoint) => Some(Self::at(Backend::Moto, endpoint.clone(), None).await),
            Err(problem) => {
                assert!(
                    std::env::var("DEPLOYDESK_REQUIRE_MOTO").as_deref() != Ok("1"),
                    "moto is required but could not start: {problem}"
                );
                println!("skipping the moto half of this test: {problem}");
                None
            }
        }
    }

    async fn at(backend: Backend, endpoint: String, local: Option<LocalCloud>) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        Self {
            backend,
            session: Session::local(&endpoint).await,
            endpoint,
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            ecs: aws_sdk_ecs::Client::new(&config),
            elb: aws_sdk_elasticloadbalancing::Client::new(&config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            s3,
            sns: aws_sdk_sns::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            local,
        }
    }

    /// Whether these clients talk to moto.
    pub fn is_moto(&self) -> bool {
        self.backend == Backend::Moto
    }

    /// `true` on moto, where the check that follows is skipped because moto
    /// departs from AWS's documented behaviour as `why` says; `false` on the
    /// local cloud, which follows AWS.
    pub fn moto_differs(&self, why: &str) -> bool {
        if self.is_moto() {
            println!("not checked on moto: {why}");
            true
        } else {
            false
        }
    }

    /// A name unique to this run, starting with `prefix`, so that tests
    /// sharing the moto server never see each other's resources.
    pub fn unique(&self, prefix: &str) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{}-{n}", std::process::id())
    }

    /// Stops the local cloud, if these clients have one.
    pub async fn finish(self) {
        if let Some(cloud) = self.local {
            cloud.shutdown().await;
        }
    }
}

/// Declares a cross-check test: `crosscheck!(name, |clients| async move {...})`
/// makes `name::local` and `name::moto`, each running the body with
/// [`Clients`] for its backend.
#[macro_export]
macro_rules! crosscheck {
    ($(#[$meta:meta])* $name:ident, $body:expr) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn local() {
                let clients = $crate::support::Clients::local().await;
                let endpoint = clients.endpoint.clone();
                let _ = endpoint;
                ($body)(clients).await;
            }

            #[tokio::test]
            async fn moto() {
                // moto's server is not safe under concurrent requests from
                // many tests (it answers some with a 500): its tests take
                // turns.
                let _turn = $crate::support::moto_turn().await;
                if let Some(clients) = $crate::support::Clients::moto().await {
                    ($body)(clients).await;
                }
            }
        }
    };
}

/// Waits for this test's turn with moto; the turn lasts as long as the
/// guard is kept.
pub async fn moto_turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// The moto server shared by this binary: started once, stopped when the
/// binary exits (it watches its standard input, which closes then).
struct Moto {
    endpoint: String,
    _child: Child,
}

/// The endpoint of the shared moto server, starting it on first use.
fn moto_endpoint() -> Result<String, String> {
    static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
    MOTO.get_or_init(start_moto)
        .as_ref()
        .map(|moto| moto.endpoint.clone())
        .map_err(Clone::clone)
}

/// The Python that runs moto: its server exits when its standard input
/// closes, so it never outlives the test binary.
const MOTO_LAUNCHER: &str = r"
import os, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(['-H', '127.0.0.1', '-p', sys.argv[1]])
";

fn start_moto() -> Result<Moto, String> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map_err(|error| format!("no free port: {error}"))?
        .port();
    let mut child = Command::new("python3")
        .args(["-c", MOTO_LAUNCHER, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("python3 could not be started: {error}"))?;
    // moto logs every request to stderr: keep draining it (so it never
    // blocks on a full pipe), remembering the first lines for a diagnosis.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    if let Some(stderr) = child.stderr.take() {
        let log = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = log
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if log.len() < 40 {
                    log.push(line);
                }
            }
        });
    }
    // The child's stdin stays open for the life of the binary: it is kept
    // in `child`, which lives in a static.
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_mins(1);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            std::thread::sleep(Duration::from_millis(200));
            let problem = log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .join("\n");
            return Err(format!(
                "moto's server exited ({status}); install it with `python3 -m pip install 'moto[server]'`.\n{problem}"
            ));
        }
        if ready(address) {
            return Ok(Moto {
                endpoint: format!("http://{address}"),
                _child: child,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    Err("moto's server did not answer within 60 s".to_owned())
}

/// Whether moto answers its own API at `address`.
fn ready(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status).is_ok() && status.contains(" 200")
}
