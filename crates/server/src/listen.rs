//! The connection loop: how sockets become requests, and how many at once.
//!
//! `axum::serve` gives no way to set hyper's header read timeout (its connections have no
//! timer, so a client that never finishes its headers keeps its socket forever) nor to cap
//! connections. This loop serves the same router with hyper's HTTP/1 connection builder:
//!
//! - **Header read timeout** (`header_read_timeout_ms`): hyper closes a connection whose
//!   request head is not complete in time, counted from when it starts waiting for one — a
//!   fresh connection that sends nothing or a partial head, and an idle keep-alive connection.
//! - **Connection cap** (`max_connections`): a connection is accepted only when one of the
//!   permits is free; further clients wait in the listen queue (holding no descriptor of the
//!   process), so a flood of sockets cannot starve the index reloads or the events database of
//!   file descriptors.
//! - **Per-client cap** (`max_connections_per_client`): connections from one address (IPv6 per
//!   /64) beyond it are closed at once, so one client cannot take every permit and `/healthz`
//!   and other clients still get through. Off with `trust_forwarded_for`: the peer is the proxy.
//!
//! Each request gets the peer address as axum's `ConnectInfo<SocketAddr>`. When `shutdown`
//! completes, no more connections are accepted, open ones finish the request in flight, and
//! the loop returns once they are all closed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Service;

use crate::client::client_key;

/// How connections are limited.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Close connections whose request head takes longer (`None`: never).
    pub header_read_timeout: Option<Duration>,
    /// Open connections at most.
    pub max_connections: usize,
    /// Open connections per client address at most (0: no limit).
    pub max_per_client: usize,
}

impl ConnectionLimits {
    pub fn from_config(config: &crate::Config) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: (config.header_read_timeout_ms > 0).then(|| Duration::from_millis(config.header_read_timeout_ms)),
            max_connections: config.max_connections.max(1),
            max_per_client: if config.trust_forwarded_for { 0 } else { config.max_connections_per_client },
        }
    }
}

/// Open connections per client.
struct PerClient {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of a client; counted until dropped.
struct ClientSlot {
    clients: Arc<PerClient>,
    key: IpAddr,
}

impl PerClient {
    fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<ClientSlot> {
        let key = client_key(ip);
        let mut open = self.open.lock().ok()?;
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ClientSlot { clients: self.clone(), key })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.clients.open.lock()
            && let Some(n) = open.get_mut(&self.key)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Whether an accept error concerns only the connection being accepted.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// Serve `router` on `listener` within `limits` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let clients = (limits.max_per_client > 0).then(|| Arc::new(PerClient { max: limits.max_per_client, open: Mutex::new(HashMap::new()) }));
    // Connections hold a receiver: `true` asks them to finish; all dropped means all closed.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of descriptors, most likely: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match &clients {
            Some(clients) => match clients.enter(peer.ip()) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(client = %peer.ip(), "too many connections from one client: closed");
                    drop(stream);
                    continue;
                }
            },
            None => None,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move { Ok::<_, Infallible>(router.call(request.map(Body::new)).await.unwrap_or_else(|e| match e {})) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::trace!(client = %peer, error = %e, "connection ended");
                        }
                        break;
                    }
                    changed = stop.changed(), if !stopping => {
                        stopping = true;
                        if changed.is_ok() {
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            drop(slot);
            drop(permit);
            drop(stop);
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    stop_tx.closed().await;
    Ok(())
}

