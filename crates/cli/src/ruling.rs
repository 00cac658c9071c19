//! `soc-copilot ruling`: an analyst's ruling on an investigation, written straight into
//! the fleet's Redis. The rules (and the validation) are the ingest API's:
//! [`soc_fleet::ingest::ruling`].

use std::process::ExitCode;

use soc_fleet::ingest::ruling::{
    self as rules, RulingAnswer, RulingError, RulingLookup, RulingOutcome,
};
use soc_history::{HistorySettings, RedisHistory};

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
    let explain = |e: RulingError| -> anyhow::Error {
        match e {
            RulingError::UnknownInvestigation { .. } => {
                anyhow::anyhow!("{e} (looked in Redis under the key prefix `{prefix}`)")
            }
            RulingError::Pending { .. } => anyhow::Error::new(e),
            RulingError::Store(_) => anyhow::anyhow!(
                "{e}: check that the fleet's Redis is reachable (--redis-url, REDIS_URL or \
                 the configuration's [redis] section)"
            ),
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
    println!("{}", out.trim_end());
    Ok(ExitCode::SUCCESS)
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
