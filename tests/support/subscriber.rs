//! An HTTP subscriber on a loopback port, for SNS deliveries: it records
//! each POST it answers 200 to, and can refuse its first few with 500.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

/// One POST the subscriber received.
#[derive(Debug)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: String,
}

impl Received {
    /// The header `name`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

/// An HTTP subscriber on a loopback port.
pub struct Subscriber {
    /// Its URL.
    pub url: String,
    /// What it received and answered 200 to, in order.
    pub received: mpsc::UnboundedReceiver<Received>,
    /// How many POSTs reached it, the refused ones included.
    pub hits: Arc<AtomicUsize>,
}

impl Subscriber {
    /// Starts a subscriber that answers its first `failures` POSTs with 500.
    pub async fn start(failures: usize) -> Subscriber {
        let (sender, received) = mpsc::unbounded_channel();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
            let sender = sender.clone();
            let counted = Arc::clone(&counted);
            async move {
                let hit = counted.fetch_add(1, Ordering::SeqCst);
                if hit < failures {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let _ = sender.send(Received { headers, body });
                StatusCode::OK
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Subscriber {
            url: format!("http://{addr}/sns"),
            received,
            hits,
        }
    }

    /// The next POST received, within five seconds.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.received.recv())
            .await
            .expect("a delivery arrives within five seconds")
            .expect("the subscriber is running")
    }

    /// Fails if anything arrives within a short while.
    pub async fn nothing_more(&mut self) {
        if let Ok(Some(received)) =
            tokio::time::timeout(Duration::from_millis(150), self.received.recv()).await
        {
            panic!("nothing more should arrive, but got {received:?}");
        }
    }
}
