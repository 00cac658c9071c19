//! The report: figures computed from a pass, the machine, and the text and JSON renderings.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::measure::{Baseline, Pass};
use crate::stats::percentile;

/// Appends one formatted line to a `String`.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// The machine the figures were measured on.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Machine {
    /// Logical CPUs available to this process.
    pub(crate) nproc: usize,
    /// `uname -r`.
    pub(crate) kernel: String,
    /// `model name` from /proc/cpuinfo.
    pub(crate) cpu_model: String,
    /// 1, 5 and 15 minute load averages at start (/proc/loadavg): other work on the box.
    pub(crate) load_average: String,
}

impl Machine {
    /// Reads it.
    pub(crate) fn detect() -> Self {
        let kernel = std::process::Command::new("uname")
            .arg("-r")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/osrelease")
                    .ok()
                    .map(|s| s.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into());
        Self {
            nproc: std::thread::available_parallelism().map_or(1, usize::from),
            kernel,
            cpu_model,
            load_average,
        }
    }
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Latency {
    /// Median.
    pub(crate) p50_ms: f64,
    /// 95th percentile.
    pub(crate) p95_ms: f64,
    /// 99th percentile.
    pub(crate) p99_ms: f64,
    /// Largest.
    pub(crate) max_ms: f64,
}

/// Intel figures.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Intel {
    /// Sum of `cost.intel_calls` (lookups that reached a provider).
    pub(crate) upstream_calls: u64,
    /// The same, by provider.
    pub(crate) by_provider: BTreeMap<String, u64>,
    /// Distinct indicators worth a lookup (external IPs and domains, hashes).
    pub(crate) distinct_looked_up: usize,
    /// The same by kind (`ip`, `domain`, `hash`).
    pub(crate) distinct_by_kind: BTreeMap<String, usize>,
    /// `upstream_calls / distinct_looked_up` (1.0 is the floor with a shared cache).
    pub(crate) calls_per_distinct: Option<f64>,
    /// Sum of `cost.cache_hits`.
    pub(crate) cache_hits: u64,
}

/// The figures of one pass.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PassReport {
    /// What the pass was (`flat out`, `half rate`).
    pub(crate) label: String,
    /// Alerts published.
    pub(crate) alerts: usize,
    /// The target rate, alerts/s, when paced.
    pub(crate) target_rate: Option<f64>,
    /// Achieved publish rate, alerts/s (first publish → last publish ack).
    pub(crate) publish_rate: f64,
    /// Alerts with an investigation on the output stream.
    pub(crate) investigated: usize,
    /// The timeout expired before every alert had its investigation.
    pub(crate) timed_out: bool,
    /// Alerts without one when the timeout expired.
    pub(crate) missing: usize,
    /// Up to 20 of their ids.
    pub(crate) missing_ids: Vec<String>,
    /// First publish → last investigation received, seconds.
    pub(crate) elapsed_s: f64,
    /// `investigated / elapsed_s`, alerts/s.
    pub(crate) throughput: f64,
    /// `throughput / baseline throughput`.
    pub(crate) ratio_to_baseline: Option<f64>,
    /// Publish → investigation received.
    pub(crate) latency: Option<Latency>,
    /// Investigations by deciding tier (the last entry of `tiers`).
    pub(crate) by_tier: BTreeMap<String, usize>,
    /// Investigations by verdict.
    pub(crate) by_verdict: BTreeMap<String, usize>,
    /// Intel calls and caching.
    pub(crate) intel: Intel,
    /// Sum of `cost.usd`.
    pub(crate) cost_usd_total: f64,
    /// `cost_usd_total / alerts`.
    pub(crate) cost_per_alert_usd: f64,
    /// Near-duplicates in the generated stream.
    pub(crate) near_duplicates_sent: usize,
    /// Investigations with `duplicate_of` set.
    pub(crate) near_duplicates_recognised: usize,
    /// Output messages for an alert already seen in this pass (must be 0).
    pub(crate) output_duplicates: usize,
    /// Output messages for alerts not in this pass.
    pub(crate) output_unexpected: usize,
    /// Output messages that were not readable investigations.
    pub(crate) output_unreadable: usize,
    /// Publish acks marked duplicate (must be 0: ids are unique).
    pub(crate) publish_duplicates: usize,
    /// CPU per published alert, by process (measured pass; spawned servers, Linux).
    pub(crate) cpu: Option<crate::cpu::CpuSplit>,
}

/// Computes the figures of a pass.
pub(crate) fn pass_report(
    label: &str,
    pass: &Pass,
    near_duplicates_sent: usize,
    baseline: Option<f64>,
) -> PassReport {
    let n = pass.alert_ids.len();
    let mut latencies = Vec::with_capacity(n);
    let mut by_tier = BTreeMap::new();
    let mut by_verdict = BTreeMap::new();
    let mut by_provider: BTreeMap<String, u64> = BTreeMap::new();
    let mut cache_hits = 0;
    let mut usd = 0.0;
    let mut distinct = HashSet::new();
    let mut recognised = 0;
    let mut missing_ids = Vec::new();
    let mut missing = 0;
    for (i, slot) in pass.received.first.iter().enumerate() {
        let Some((at, inv)) = slot else {
            missing += 1;
            if missing_ids.len() < 20 {
                missing_ids.push(pass.alert_ids[i].clone());
            }
            continue;
        };
        let sent = pass.published.sent_at[i];
        latencies.push(at.saturating_duration_since(sent).as_secs_f64() * 1_000.0);
        let tier = inv
            .tier
            .map_or_else(|| "none".to_owned(), |t| format!("tier {t}"));
        *by_tier.entry(tier).or_insert(0) += 1;
        *by_verdict.entry(inv.verdict.clone()).or_insert(0) += 1;
        for (p, c) in &inv.intel_calls {
            *by_provider.entry(p.clone()).or_insert(0) += c;
        }
        cache_hits += inv.cache_hits;
        usd += inv.usd;
        recognised += usize::from(inv.duplicate_of);
        distinct.extend(inv.lookup_worthy.iter().cloned());
    }
    latencies.sort_by(f64::total_cmp);
    let latency = (!latencies.is_empty()).then(|| Latency {
        p50_ms: percentile(&latencies, 50.0).unwrap_or_default(),
        p95_ms: percentile(&latencies, 95.0).unwrap_or_default(),
        p99_ms: percentile(&latencies, 99.0).unwrap_or_default(),
        max_ms: latencies.last().copied().unwrap_or_default(),
    });
    let investigated = n - missing;
    let end = pass.received.last.unwrap_or(pass.published.last_sent);
    let elapsed_s = end
        .saturating_duration_since(pass.published.first)
        .as_secs_f64();
    let throughput = investigated as f64 / elapsed_s.max(1e-9);
    let publish_s = pass
        .published
        .last_acked
        .saturating_duration_since(pass.published.first)
        .as_secs_f64();
    let upstream_calls: u64 = by_provider.values().sum();
    let mut distinct_by_kind = BTreeMap::new();
    for key in &distinct {
        let kind = match key.split_once(':').map_or("", |(k, _)| k) {
            "ipv4" | "ipv6" => "ip",
            "domain" => "domain",
            _ => "hash",
        };
        *distinct_by_kind.entry(kind.to_owned()).or_insert(0) += 1;
    }
    PassReport {
        label: label.to_owned(),
        alerts: n,
        target_rate: pass.target_rate,
        publish_rate: if publish_s > 0.0 {
            n as f64 / publish_s
        } else {
            0.0
        },
        investigated,
        timed_out: pass.timed_out,
        missing,
        missing_ids,
        elapsed_s,
        throughput,
        ratio_to_baseline: baseline.map(|b| throughput / b),
        latency,
        by_tier,
        by_verdict,
        intel: Intel {
            upstream_calls,
            by_provider,
            distinct_looked_up: distinct.len(),
            distinct_by_kind,
            calls_per_distinct: (!distinct.is_empty())
                .then(|| upstream_calls as f64 / distinct.len() as f64),
            cache_hits,
        },
        cost_usd_total: usd,
        cost_per_alert_usd: usd / n.max(1) as f64,
        near_duplicates_sent,
        near_duplicates_recognised: recognised,
        output_duplicates: pass.received.duplicates,
        output_unexpected: pass.received.unexpected,
        output_unreadable: pass.received.unreadable,
        publish_duplicates: pass.published.duplicates,
        cpu: None,
    }
}

/// One worker count.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunReport {
    /// Worker processes.
    pub(crate) workers: usize,
    /// The warm-up pass (`--warm`), reported only in short.
    pub(crate) warm_up: Option<WarmUp>,
    /// The measured flat-out (or `--rate`) pass.
    pub(crate) measured: PassReport,
    /// The pass at half the measured throughput (`--half-rate`).
    pub(crate) half_rate: Option<PassReport>,
    /// Messages on the investigation stream at the end of the run.
    pub(crate) output_stream_messages: Option<u64>,
    /// Alerts published to the fleet in this run (every pass).
    pub(crate) alerts_published: usize,
    /// New messages on the dead-letter stream during the run.
    pub(crate) dead_letters: Option<u64>,
    /// How each worker ended.
    pub(crate) workers_exit: Vec<String>,
    /// Worker log lines (they log at `warn`: each line is a warning or an error).
    pub(crate) worker_log_lines: usize,
    /// The fleet's memory in Redis after the run (spawned Redis only).
    pub(crate) history: Option<crate::history::HistoryFigures>,
}

/// The warm-up pass in short.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WarmUp {
    /// Alerts.
    pub(crate) alerts: usize,
    /// Investigated.
    pub(crate) investigated: usize,
    /// Seconds.
    pub(crate) elapsed_s: f64,
    /// Alerts/s.
    pub(crate) throughput: f64,
}

/// One row of the scaling table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScalingRow {
    /// Worker processes.
    pub(crate) workers: usize,
    /// Alerts/s.
    pub(crate) throughput: f64,
    /// `throughput / (workers / w0 × throughput(w0))`, w0 the smallest count measured.
    pub(crate) efficiency: f64,
}

/// The settings, echoed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Settings {
    /// Alerts per pass.
    pub(crate) alerts: usize,
    /// Worker counts.
    pub(crate) workers: Vec<usize>,
    /// Concurrency per worker.
    pub(crate) concurrency: usize,
    /// Seed.
    pub(crate) seed: u64,
    /// Zipf exponent.
    pub(crate) zipf_s: f64,
    /// Pool size.
    pub(crate) pool: usize,
    /// Near-duplicate share.
    pub(crate) dup_share: f64,
    /// `--rate`.
    pub(crate) rate: Option<f64>,
    /// `--warm`.
    pub(crate) warm: bool,
    /// `--half-rate`.
    pub(crate) half_rate: bool,
    /// Servers spawned by the load test (else given by URL).
    pub(crate) own_servers: bool,
    /// Worker binary.
    pub(crate) bin: String,
    /// Families in the generated stream, with counts.
    pub(crate) families: BTreeMap<String, usize>,
    /// Mean alert size, bytes.
    pub(crate) mean_alert_bytes: usize,
    /// `--llm-latency-ms`: every alert waits on one mock model call this long.
    pub(crate) llm_latency_ms: Option<u64>,
    /// Calls the mock LLM served over the whole invocation.
    pub(crate) llm_calls: Option<usize>,
    /// Problems the mock LLM found in the requests (must be 0).
    pub(crate) llm_malformed: Option<usize>,
    /// Workers ran with the fleet's memory (history) on.
    pub(crate) history: bool,
}

/// Everything one invocation measured.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// The machine.
    pub(crate) machine: Machine,
    /// The settings.
    pub(crate) settings: Settings,
    /// The raw JetStream baseline.
    pub(crate) baseline: Baseline,
    /// One per worker count.
    pub(crate) runs: Vec<RunReport>,
    /// With several worker counts.
    pub(crate) scaling: Vec<ScalingRow>,
    /// Where the worker logs are.
    pub(crate) log_dir: String,
}

/// The scaling table, relative to the smallest worker count.
pub(crate) fn scaling(runs: &[RunReport]) -> Vec<ScalingRow> {
    let Some(base) = runs.iter().min_by_key(|r| r.workers) else {
        return Vec::new();
    };
    let per_worker = base.measured.throughput / base.workers.max(1) as f64;
    runs.iter()
        .map(|r| ScalingRow {
            workers: r.workers,
            throughput: r.measured.throughput,
            efficiency: r.measured.throughput / (r.workers as f64 * per_worker).max(1e-9),
        })
        .collect()
}

fn ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1_000.0)
    } else {
        format!("{v:.0} ms")
    }
}

fn counts(m: &BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_pass(out: &mut String, p: &PassReport) {
    match p.target_rate {
        Some(r) => say!(
            out,
            "  {}: target {r:.0} alerts/s (published at {:.0}/s)",
            p.label,
            p.publish_rate
        ),
        None => say!(
            out,
            "  {}: published at {:.0} alerts/s",
            p.label,
            p.publish_rate
        ),
    }
    let ratio = p
        .ratio_to_baseline
        .map_or_else(String::new, |r| format!("; ratio to baseline {r:.3}"));
    say!(
        out,
        "    throughput: {}/{} investigated in {:.2} s = {:.1} alerts/s{ratio}",
        p.investigated,
        p.alerts,
        p.elapsed_s,
        p.throughput
    );
    if let Some(l) = &p.latency {
        say!(
            out,
            "    latency (publish -> investigation read): p50 {}  p95 {}  p99 {}  max {}",
            ms(l.p50_ms),
            ms(l.p95_ms),
            ms(l.p99_ms),
            ms(l.max_ms)
        );
    }
    say!(out, "    by deciding tier: {}", counts(&p.by_tier));
    say!(out, "    by verdict: {}", counts(&p.by_verdict));
    let providers = if p.intel.by_provider.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            p.intel
                .by_provider
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let per = p
        .intel
        .calls_per_distinct
        .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
    say!(
        out,
        "    intel: {} upstream calls{providers} for {} distinct looked-up indicators ({}) = {per} per indicator; cache hits {}",
        p.intel.upstream_calls,
        p.intel.distinct_looked_up,
        counts(&p.intel.distinct_by_kind),
        p.intel.cache_hits
    );
    say!(
        out,
        "    cost: ${:.6} per alert (total ${:.4})",
        p.cost_per_alert_usd,
        p.cost_usd_total
    );
    say!(
        out,
        "    near-duplicates: {} sent, {} recognised (duplicate_of set)",
        p.near_duplicates_sent,
        p.near_duplicates_recognised
    );
    say!(
        out,
        "    output duplicates: {} (must be 0); unexpected {}, unreadable {}, publish acks marked duplicate {}",
        p.output_duplicates,
        p.output_unexpected,
        p.output_unreadable,
        p.publish_duplicates
    );
    if p.missing > 0 {
        say!(
            out,
            "    MISSING: {} alerts had no investigation before the timeout, e.g. {}",
            p.missing,
            p.missing_ids.join(", ")
        );
    }
}

/// `workers 249 µs, nats-server 100 µs, ... (total 410 µs; readings in 10 ms ticks)`.
fn cpu_parts(c: &crate::cpu::CpuSplit) -> String {
    let parts: Vec<String> = c
        .per_item_us
        .iter()
        .map(|(k, v)| format!("{k} {v:.0} µs"))
        .collect();
    format!(
        "{} (total {:.0} µs; /proc readings in {:.0} ms ticks)",
        parts.join(", "),
        c.total_us,
        c.tick_ms
    )
}

/// The CPU split of a pass and, when the servers were spawned (so their CPU is counted),
/// an upper bound on the throughput the rest of the run would allow if the workers cost
/// nothing: the servers and the load test share the same cores, spread evenly at best.
fn render_cpu(out: &mut String, c: &crate::cpu::CpuSplit, nproc: usize, baseline: f64) {
    say!(out, "    CPU per alert: {}", cpu_parts(c));
    if c.without_workers_us > 0.0 && c.per_item_us.contains_key("nats-server") {
        let ceiling = nproc as f64 * 1e6 / c.without_workers_us;
        let ratio = if baseline > 0.0 {
            format!(" ({:.2} of the baseline)", ceiling / baseline)
        } else {
            String::new()
        };
        say!(
            out,
            "    with workers that cost nothing, the rest would allow at most {ceiling:.0} alerts/s on {nproc} CPUs{ratio}"
        );
    }
}

/// The plain-text report.
pub(crate) fn render(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.settings;
    say!(out, "soc-loadtest report");
    say!(
        out,
        "machine: {} CPUs, kernel {}, {}; load average at start {}",
        r.machine.nproc,
        r.machine.kernel,
        r.machine.cpu_model,
        r.machine.load_average
    );
    say!(
        out,
        "stream: {} alerts per pass (mean {} bytes), seed {}, pool {}, zipf s {}, near-duplicates {:.0}%",
        s.alerts,
        s.mean_alert_bytes,
        s.seed,
        s.pool,
        s.zipf_s,
        s.dup_share * 100.0
    );
    say!(out, "families: {}", counts(&s.families));
    say!(
        out,
        "memory: {}",
        if s.history {
            "on (prior sightings, correlation, near-duplicate suppression)"
        } else {
            "off (--no-history)"
        }
    );
    if let Some(ms) = s.llm_latency_ms {
        say!(
            out,
            "LLM: mock model answering after {ms} ms, workers in pipeline mode (one call per alert); {} calls served, {} request problems (must be 0)",
            s.llm_calls.unwrap_or(0),
            s.llm_malformed.unwrap_or(0)
        );
    }
    let mode = match (s.rate, s.warm) {
        (Some(rate), true) => format!("paced at {rate} alerts/s, warm caches"),
        (Some(rate), false) => format!("paced at {rate} alerts/s"),
        (None, true) => "flat out, warm caches (second pass reported)".to_owned(),
        (None, false) => "flat out, cold start".to_owned(),
    };
    say!(
        out,
        "fleet: workers {:?} x concurrency {}, {mode}; servers {}",
        s.workers,
        s.concurrency,
        if s.own_servers {
            "spawned per run"
        } else {
            "given by URL (streams purged per run)"
        }
    );
    say!(
        out,
        "baseline (raw JetStream, same payloads, publish + pull/ack concurrently, no work): {} msgs in {:.3} s = {:.0} msgs/s (publish alone {:.0} msgs/s)",
        r.baseline.messages,
        r.baseline.elapsed_s,
        r.baseline.throughput,
        r.baseline.publish_rate
    );
    if let Some(c) = &r.baseline.cpu {
        say!(out, "  baseline CPU per message: {}", cpu_parts(c));
    }
    for run in &r.runs {
        say!(out, "");
        say!(out, "run: {} worker process(es)", run.workers);
        if let Some(w) = &run.warm_up {
            say!(
                out,
                "  warm-up pass: {}/{} investigated in {:.2} s ({:.1} alerts/s), not reported further",
                w.investigated,
                w.alerts,
                w.elapsed_s,
                w.throughput
            );
        }
        render_pass(&mut out, &run.measured);
        if let Some(c) = &run.measured.cpu {
            render_cpu(&mut out, c, r.machine.nproc, r.baseline.throughput);
        }
        if let Some(h) = &run.half_rate {
            render_pass(&mut out, h);
        }
        let stream = run
            .output_stream_messages
            .map_or_else(|| "?".to_owned(), |m| m.to_string());
        let dlq = run
            .dead_letters
            .map_or_else(|| "?".to_owned(), |m| m.to_string());
        say!(
            out,
            "  output stream: {stream} messages for {} alerts published in this run; dead letters {dlq}",
            run.alerts_published
        );
        say!(
            out,
            "  workers: {}; {} log lines at warn or above",
            run.workers_exit.join("; "),
            run.worker_log_lines
        );
        if let Some(h) = &run.history {
            say!(
                out,
                "  memory: {} investigations stored, Redis grew {:.1} MiB = {:.0} bytes per investigation ({} keys), of which the history's summaries and indexes {:.0} bytes; history lookups (prior sightings + correlation) over {}: p50 {:.2} ms, p99 {:.2} ms, {:.1} related alerts each",
                h.investigations,
                h.used_memory_delta as f64 / 1_048_576.0,
                h.bytes_per_investigation,
                h.keys,
                h.history_bytes_per_investigation,
                h.lookups,
                h.p50_ms,
                h.p99_ms,
                h.mean_related
            );
        }
    }
    if r.scaling.len() > 1 {
        say!(out, "");
        say!(out, "scaling (measured pass):");
        say!(out, "  workers  alerts/s  efficiency vs N x smallest");
        for row in &r.scaling {
            say!(
                out,
                "  {:>7}  {:>8.1}  {:.2}",
                row.workers,
                row.throughput,
                row.efficiency
            );
        }
    }
    say!(out, "");
    say!(out, "worker logs: {}", r.log_dir);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(workers: usize, throughput: f64) -> RunReport {
        RunReport {
            workers,
            warm_up: None,
            measured: PassReport {
                label: "flat out".into(),
                alerts: 10,
                target_rate: None,
                publish_rate: 0.0,
                investigated: 10,
                timed_out: false,
                missing: 0,
                missing_ids: Vec::new(),
                elapsed_s: 1.0,
                throughput,
                ratio_to_baseline: None,
                latency: None,
                by_tier: BTreeMap::new(),
                by_verdict: BTreeMap::new(),
                intel: Intel {
                    upstream_calls: 0,
                    by_provider: BTreeMap::new(),
                    distinct_looked_up: 0,
                    distinct_by_kind: BTreeMap::new(),
                    calls_per_distinct: None,
                    cache_hits: 0,
                },
                cost_usd_total: 0.0,
                cost_per_alert_usd: 0.0,
                near_duplicates_sent: 0,
                near_duplicates_recognised: 0,
                output_duplicates: 0,
                output_unexpected: 0,
                output_unreadable: 0,
                publish_duplicates: 0,
                cpu: None,
            },
            half_rate: None,
            output_stream_messages: None,
            alerts_published: 10,
            dead_letters: None,
            workers_exit: Vec::new(),
            worker_log_lines: 0,
            history: None,
        }
    }

    #[test]
    fn scaling_is_relative_to_the_smallest_count() {
        let rows = scaling(&[run(1, 100.0), run(2, 190.0), run(4, 300.0)]);
        let eff: Vec<f64> = rows
            .iter()
            .map(|r| (r.efficiency * 100.0).round())
            .collect();
        assert_eq!(eff, vec![100.0, 95.0, 75.0]);
        let rows = scaling(&[run(2, 200.0), run(4, 400.0)]);
        assert!((rows[1].efficiency - 1.0).abs() < 1e-9);
    }
}
