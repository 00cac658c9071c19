//! `soc-copilot ruling`: an analyst's ruling on an investigation, written straight into
//! the fleet's Redis. The rules (and the validation) are the ingest API's:
//! [`soc_fleet::ingest::ruling`].

use std::io::Write;
use std::process::ExitCode;

use soc_fleet::ingest::ruling::{
    self as rules, RulingAnswer, RulingError, RulingLookup, RulingOutcome,
};
use soc_history::{HistoryError, HistorySettings, RedisHistory};

use crate::cli::RulingArgs;

/// clap parser for `INVESTIGATION_ID`.
pub(crate) fn parse_investigation_id(text: &str) -> Result<String, String> {
    rules::check_investigation_id(text)
        .map(|()| text.to_owned())
        .map_err(|p| p.message)
}

/// clap parser for `--summary`. Unlike a plain function parser, its error does not repeat
/// the value, which can be thousands of characters long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SummaryParser;

impl clap::builder::TypedValueParser for SummaryParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        rules::check_summary(text).map_err(|p| {
            let arg = arg.map_or_else(|| "--summary".to_owned(), ToString::to_string);
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '{arg}': {}\n", p.message),
            )
            .with_cmd(cmd)
        })
    }
}

/// clap parser for `--analyst`.
pub(crate) fn parse_analyst(text: &str) -> Result<String, String> {
    rules::check_analyst(text).map_err(|p| p.message)
}

/// `soc-copilot ruling`.
pub(crate) async fn run(args: RulingArgs) -> anyhow::Result<ExitCode> {
    let cfg = crate::fleet::load_config(
        args.store.config.as_deref(),
        None,
        args.store.redis_url.as_deref(),
    )?;
    let prefix = cfg.redis.key_prefix.clone();
    let store = RedisHistory::connect_lazy(
        cfg.redis.url.expose(),
        prefix.clone(),
        HistorySettings::default(),
    )
    .map_err(anyhow::Error::msg)?;
    let id = args.investigation_id.as_str();
    let redis_shown = soc_fleet::jetstream::redact_url(cfg.redis.url.expose());
    let explain = |e: RulingError| -> anyhow::Error {
        match e {
            RulingError::UnknownInvestigation { .. } => {
                anyhow::anyhow!("{e} (looked in Redis under the key prefix `{prefix}`)")
            }
            RulingError::Pending { .. } => anyhow::Error::new(e),
            RulingError::Store(e) => store_error(&e, &redis_shown),
        }
    };
    let out = match args.verdict {
        Some(verdict) if !args.show => {
            let ruling = rules::build_ruling(
                verdict.verdict().as_str(),
                args.summary.as_deref().unwrap_or_default(),
                args.analyst.as_deref().unwrap_or_default(),
            )
            .map_err(|problems| {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("invalid ruling: {}", text.join("; "))
            })?;
            let answer = rules::record_ruling(&store, id, ruling)
                .await
                .map_err(explain)?;
            if args.json {
                serde_json::to_string_pretty(&answer)?
            } else {
                let headline = match answer.outcome {
                    Some(RulingOutcome::Replaced) => {
                        "Ruling recorded (it replaces the earlier one)."
                    }
                    Some(RulingOutcome::Unchanged) => {
                        "Ruling unchanged: the same ruling was already recorded."
                    }
                    _ => "Ruling recorded.",
                };
                format!("{headline}\n{}", render(&answer))
            }
        }
        _ => {
            let found = rules::lookup_ruling(&store, id).await.map_err(explain)?;
            if args.json {
                match found.answer() {
                    Some(answer) => serde_json::to_string_pretty(&answer)?,
                    None => serde_json::to_string_pretty(&unruled_json(&found))?,
                }
            } else {
                match found.answer() {
                    Some(answer) => render(&answer),
                    None => render_unruled(&found),
                }
            }
        }
    };
    let mut stdout = crate::out::stdout();
    writeln!(stdout, "{}", out.trim_end())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Where the flags and settings that point at the fleet's Redis are.
const REDIS_SETTINGS: &str = "--redis-url, REDIS_URL or the configuration's [redis] section";

/// Why Redis failed, in the operator's terms, with the hint that fits: credentials for an
/// authentication failure, reachability for a connection failure. `redis` is the URL
/// with its credentials redacted.
fn store_error(e: &HistoryError, redis: &str) -> anyhow::Error {
    match e {
        HistoryError::Redis { detail, .. } if is_auth_failure(detail) => anyhow::anyhow!(
            "Redis at `{redis}` refused the credentials ({}): check the user and password \
             in the Redis URL ({REDIS_SETTINGS})",
            auth_reason(detail)
        ),
        HistoryError::Redis { detail, .. } if is_connection_failure(detail) => anyhow::anyhow!(
            "cannot reach Redis at `{redis}` ({detail}): check that the fleet's Redis is \
             running and reachable ({REDIS_SETTINGS})"
        ),
        HistoryError::Redis { detail, .. } => anyhow::anyhow!(
            "Redis at `{redis}` failed: {detail} (Redis settings: {REDIS_SETTINGS})"
        ),
        HistoryError::Timeout { .. } => anyhow::anyhow!(
            "Redis at `{redis}` did not answer in time: check that the fleet's Redis is \
             running and reachable ({REDIS_SETTINGS})"
        ),
        other => anyhow::anyhow!("the fleet's history store at `{redis}`: {other}"),
    }
}

/// Whether a Redis failure is the server refusing the credentials (or wanting some): the
/// client's `authentication failed`, the server's `NOAUTH` and `WRONGPASS`.
fn is_auth_failure(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "noauth",
        "wrongpass",
        "authentication",
        "invalid password",
        "invalid username-password",
    ]
    .iter()
    .any(|m| d.contains(m))
}

/// The server's words for an authentication failure, without the client's error kind.
fn auth_reason(detail: &str) -> &'static str {
    if detail.to_ascii_lowercase().contains("noauth") {
        "it requires a password and none was given"
    } else {
        "wrong user name or password"
    }
}

/// Whether a Redis failure is the connection itself (refused, reset, unresolvable host),
/// not TLS (whose message carries its own hint) nor an answer from the server.
fn is_connection_failure(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    if d.contains("certificate") || d.contains("tls") {
        return false;
    }
    d.starts_with("i/o error")
        || d.starts_with("io:")
        || [
            "connection refused",
            "connection reset",
            "no route to host",
            "failed to lookup address",
            "broken pipe",
        ]
        .iter()
        .any(|m| d.contains(m))
}

fn line(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("  {label:<18}{value}\n"));
}

/// A ruling and its investigation, as text.
fn render(a: &RulingAnswer) -> String {
    let mut out = String::new();
    line(&mut out, "investigation", &a.investigation_id);
    if let Some(alert) = &a.alert_id {
        line(&mut out, "alert", alert);
    }
    if let Some(v) = a.copilot_verdict {
        line(&mut out, "copilot verdict", v.as_str());
    }
    let r = &a.ruling;
    line(
        &mut out,
        "ruling",
        &format!(
            "{} by {} at {}",
            r.verdict.as_str(),
            r.analyst,
            r.recorded_at.format("%Y-%m-%dT%H:%M:%SZ")
        ),
    );
    if !r.summary.is_empty() {
        let mut lines = r.summary.lines();
        if let Some(first) = lines.next() {
            line(&mut out, "summary", first);
        }
        for rest in lines {
            line(&mut out, "", rest);
        }
    }
    out
}

/// An investigation without a ruling, as text.
fn render_unruled(found: &RulingLookup) -> String {
    let mut out = String::new();
    line(&mut out, "investigation", &found.investigation_id);
    if let Some(s) = &found.summary {
        line(&mut out, "alert", &s.alert_id);
        let copilot = if s.is_pending() {
            "pending (still being investigated)"
        } else {
            s.verdict_str()
        };
        line(&mut out, "copilot verdict", copilot);
    }
    line(&mut out, "ruling", "none");
    out
}

/// `--show --json` without a ruling: the API's answer shape with `"ruling": null`.
fn unruled_json(found: &RulingLookup) -> serde_json::Value {
    serde_json::json!({
        "investigation_id": found.investigation_id,
        "alert_id": found.summary.as_ref().map(|s| &s.alert_id),
        "copilot_verdict": found.summary.as_ref().and_then(|s| s.verdict),
        "ruling": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(e: &HistoryError) -> String {
        store_error(e, "redis://[redacted]@127.0.0.1:6379/").to_string()
    }

    #[test]
    fn a_redis_failure_gets_the_hint_that_fits_and_no_operation_name() {
        let auth = shown(&HistoryError::Redis {
            op: "summary",
            detail: "AuthenticationFailed: Password authentication failed - AuthenticationFailed"
                .into(),
        });
        assert!(auth.contains("refused the credentials"), "{auth}");
        assert!(auth.contains("password"), "{auth}");
        assert!(!auth.contains("reachable"), "{auth}");
        let noauth = shown(&HistoryError::Redis {
            op: "summary",
            detail: "Extension: \"NOAUTH\": Authentication required.".into(),
        });
        assert!(noauth.contains("requires a password"), "{noauth}");
        let auth2 = shown(&HistoryError::Redis {
            op: "summary",
            detail: "authentication failed: Password authentication failed".into(),
        });
        assert!(auth2.contains("refused the credentials"), "{auth2}");
        let tls = shown(&HistoryError::Redis {
            op: "summary",
            detail: "I/O error: invalid peer certificate: UnknownIssuer (set SSL_CERT_FILE)".into(),
        });
        assert!(tls.contains("UnknownIssuer (set SSL_CERT_FILE)"), "{tls}");
        assert!(!tls.contains("running and reachable"), "{tls}");
        let down = shown(&HistoryError::Redis {
            op: "summary",
            detail: "I/O error: Connection refused (os error 111)".into(),
        });
        assert!(
            down.starts_with("cannot reach Redis at `redis://[redacted]@"),
            "{down}"
        );
        assert!(down.contains("running and reachable"), "{down}");
        let slow = shown(&HistoryError::Timeout { op: "summary" });
        assert!(slow.contains("did not answer in time"), "{slow}");
        for m in [auth, auth2, noauth, tls, down, slow] {
            assert!(!m.contains("summary"), "{m}");
        }
    }
}
