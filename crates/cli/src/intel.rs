//! `soc-copilot intel lookup`.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use soc_core::ioc::{IocConfig, classify};
use soc_detect::triage::one_line;
use soc_intel::cache::SharedRedis;
use soc_intel::config::IntelConfig;

use crate::cli::IntelLookupArgs;

pub(crate) async fn lookup(args: IntelLookupArgs) -> anyhow::Result<ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let cfg = IntelConfig::from_env(&env);
    let redis = match &args.redis_url {
        Some(url) => {
            let conn = SharedRedis::connect_lazy(url, Duration::from_millis(500))
                .map_err(anyhow::Error::msg)?;
            Some(SharedRedis::new(
                conn,
                &args.redis_prefix,
                Duration::from_millis(500),
                None,
            ))
        }
        None => None,
    };
    let providers = soc_intel::build_stack(&cfg, redis.as_ref(), None)?;
    let mut out = crate::out::stdout();
    if !args.json {
        for line in cfg.describe() {
            writeln!(out, "# {line}")?;
        }
    }
    let mut bad = 0;
    let mut failed = 0;
    for raw in &args.indicators {
        let Some(ioc) = classify(raw, &IocConfig::default()) else {
            let reason = "not an indicator soc-copilot can look up";
            if args.json {
                let v =
                    serde_json::json!({"indicator": raw, "status": "invalid", "reason": reason});
                writeln!(out, "{v}")?;
            }
            eprintln!("error: `{}` is {reason}", one_line(raw, 80));
            bad += 1;
            continue;
        };
        let mut answered = false;
        for p in providers.iter().filter(|p| p.supports(ioc.kind)) {
            answered = true;
            let started = std::time::Instant::now();
            let r = p.lookup_with_provenance(&ioc).await;
            let ms = started.elapsed().as_millis();
            match r {
                Ok((rec, prov)) => {
                    let age = (Utc::now() - prov.fetched_at).num_seconds().max(0);
                    if args.json {
                        let v = serde_json::json!({"indicator": ioc.value, "kind": ioc.kind.as_str(), "status": "ok", "provider": rec.provider,
                            "from": prov.level.as_str(), "age_seconds": age, "reputation": rec.reputation, "confidence": rec.confidence,
                            "claim": rec.claim, "tags": rec.tags, "raw": rec.raw});
                        writeln!(out, "{v}")?;
                    } else {
                        writeln!(
                            out,
                            "{} [{}] {}: {:?}/{} (from {}, age {age}s, {ms} ms)\n    {}",
                            ioc.value,
                            ioc.kind,
                            rec.provider,
                            rec.reputation,
                            rec.confidence,
                            prov.level.as_str(),
                            one_line(&rec.claim, 600)
                        )?;
                    }
                }
                Err(e) => {
                    failed += 1;
                    if args.json {
                        writeln!(
                            out,
                            "{}",
                            serde_json::json!({"indicator": ioc.value, "kind": ioc.kind.as_str(), "status": "failed", "provider": p.name(), "error": e.to_string()})
                        )?;
                    } else {
                        writeln!(
                            out,
                            "{} [{}] {}: lookup failed: {e}",
                            ioc.value,
                            ioc.kind,
                            p.name()
                        )?;
                    }
                }
            }
        }
        if !answered {
            let reason = "no configured provider looks up this kind";
            if args.json {
                let v = serde_json::json!({"indicator": ioc.value, "kind": ioc.kind.as_str(), "status": "unsupported", "reason": reason});
                writeln!(out, "{v}")?;
            } else {
                writeln!(out, "{} [{}]: {reason}", ioc.value, ioc.kind)?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("error: {failed} lookup(s) failed");
    }
    Ok(if bad > 0 || failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
