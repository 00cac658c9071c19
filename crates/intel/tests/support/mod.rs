//! Test helpers: the contract fixtures in `tests/fixtures/` served by `wiremock`, provider
//! settings pointing at a mock server, and indicators.
#![allow(dead_code)] // each test binary uses a part of it

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use soc_core::config::Secret;
use soc_core::{Ioc, IocKind};
use soc_intel::config::ProviderSettings;
use wiremock::{MockServer, ResponseTemplate};

/// The key every test provider is given; it must never show in `Debug`, errors or logs.
pub(crate) const KEY: &str = "test-key-7f3a9c1e5b2d4680";

/// The `User-Agent` every request must carry.
pub(crate) fn user_agent() -> String {
    format!("soc-copilot/{}", env!("CARGO_PKG_VERSION"))
}

fn path(provider: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(provider)
        .join(name)
}

/// A fixture's text.
pub(crate) fn text(provider: &str, name: &str) -> String {
    std::fs::read_to_string(path(provider, name)).unwrap()
}

/// A fixture as JSON (to derive variants from).
pub(crate) fn json(provider: &str, name: &str) -> Value {
    serde_json::from_str(&text(provider, name)).unwrap()
}

/// A response with `status` and the fixture as a JSON body.
pub(crate) fn respond(status: u16, provider: &str, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(text(provider, name), "application/json")
}

/// A response with `status` and `body` as JSON.
pub(crate) fn respond_json(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

/// The fixture `body` served with the status and headers of the fixture `headers` (a
/// `*.headers.json` file).
pub(crate) fn respond_with_headers(provider: &str, body: &str, headers: &str) -> ResponseTemplate {
    let headers = json(provider, headers);
    let status = headers["_status"].as_u64().unwrap();
    let mut t = respond(u16::try_from(status).unwrap(), provider, body);
    for (k, v) in headers.as_object().unwrap() {
        if k == "_status" || k.eq_ignore_ascii_case("content-type") {
            continue;
        }
        t = t.insert_header(k.as_str(), v.as_str().unwrap());
    }
    t
}

/// Settings that point at `server` with [`KEY`] and `timeout`.
pub(crate) fn settings(server: &MockServer, timeout: Duration) -> ProviderSettings {
    ProviderSettings {
        base_url: server.uri(),
        api_key: Secret::new(KEY),
        timeout,
    }
}

/// Settings that point at a local port nobody listens on.
pub(crate) fn settings_refused() -> ProviderSettings {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    ProviderSettings {
        base_url: format!("http://127.0.0.1:{port}"),
        api_key: Secret::new(KEY),
        timeout: Duration::from_secs(5),
    }
}

/// An indicator without scope.
pub(crate) fn ioc(kind: IocKind, value: &str) -> Ioc {
    Ioc {
        kind,
        value: value.to_owned(),
        scope: None,
    }
}
