//! Sigma matching throughput: the whole loadable SigmaHQ corpus against a stream of
//! Windows events (the regression samples' events and the dev-set alerts), one core.
//!
//! Two passes over the same inputs, measured in the same run:
//! - `baseline`: parse the JSON and build the prepared events (field mapping), no rules;
//! - `match`: the same plus matching every event against the corpus.
//!
//! Before criterion's own measurement, alternating half-second passes of each (3 s each
//! in all) print events/s and the ratio. Needs `../shared/data/sigma` (and optionally `../shared/data/alerts-dev`);
//! without it the bench prints why and exits.
//!
//! `cargo bench -p soc-detect --bench sigma`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use soc_core::Alert;
use soc_core::alert::Limits;
use soc_detect::sigma::{Event, RuleSet};

/// One input document, kept as text so every pass pays the JSON parse.
enum Input {
    /// An EVTX-JSON event.
    Evtx(String),
    /// A dev-set alert (may carry several events).
    Alert(String),
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().and_then(|x| x.to_str()) == Some("json") {
            out.push(p);
        }
    }
}

fn inputs() -> Vec<Input> {
    let mut files = Vec::new();
    json_files(&shared().join("data/sigma/regression_data"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for v in serde_json::Deserializer::from_str(&text)
            .into_iter::<serde_json::Value>()
            .flatten()
        {
            out.push(Input::Evtx(v.to_string()));
        }
    }
    let mut alerts = Vec::new();
    json_files(&shared().join("data/alerts-dev"), &mut alerts);
    alerts.sort();
    for f in alerts {
        if f.file_name().and_then(|n| n.to_str()) == Some("labels.json") {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&f) {
            out.push(Input::Alert(text));
        }
    }
    out
}

/// Parse + field map: the events of every input.
fn prepare(inputs: &[Input], limits: &Limits, mut each: impl FnMut(&Event)) -> usize {
    let mut n = 0;
    for i in inputs {
        match i {
            Input::Evtx(text) => {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
                    each(&Event::from_value(&v));
                    n += 1;
                }
            }
            Input::Alert(text) => {
                if let Ok(a) = Alert::from_json(text, limits) {
                    for ev in Event::from_alert(&a) {
                        each(&ev);
                        n += 1;
                    }
                }
            }
        }
    }
    n
}

/// Events handled by repeating `pass` for about `budget`.
fn count_for(budget: Duration, mut pass: impl FnMut() -> usize) -> usize {
    let start = Instant::now();
    let mut events = 0usize;
    while start.elapsed() < budget {
        events += pass();
    }
    events
}

fn main() {
    let dir = shared().join("data/sigma");
    if !dir.join("rules").exists() {
        println!(
            "sigma bench skipped: SigmaHQ corpus not found at {}",
            dir.display()
        );
        return;
    }
    let paths: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| dir.join(d))
        .collect();
    let t = Instant::now();
    let (mut set, report) = match RuleSet::load(&paths, false) {
        Ok(x) => x,
        Err(e) => {
            println!("sigma bench skipped: {e}");
            return;
        }
    };
    set.extend(RuleSet::embedded());
    let load_time = t.elapsed();
    let inputs = inputs();
    let limits = Limits::default();
    let events = prepare(&inputs, &limits, |_| {});
    let mut matches = 0usize;
    prepare(&inputs, &limits, |ev| matches += set.matches(ev).len());
    println!(
        "{} (+{} project rules) loaded in {load_time:.2?}; {:?}",
        report.summary_line(),
        RuleSet::embedded().len(),
        set.stats()
    );
    println!(
        "{} inputs -> {events} events, {matches} rule matches per pass",
        inputs.len()
    );

    // Alternate the two passes so that a burst of load elsewhere hits both alike.
    let (mut base_n, mut base_t, mut full_n, mut full_t) = (0usize, 0f64, 0usize, 0f64);
    for _ in 0..6 {
        let t = Instant::now();
        base_n += count_for(Duration::from_millis(500), || {
            prepare(&inputs, &limits, |ev| {
                black_box(ev);
            })
        });
        base_t += t.elapsed().as_secs_f64();
        let t = Instant::now();
        full_n += count_for(Duration::from_millis(500), || {
            prepare(&inputs, &limits, |ev| {
                black_box(set.matches(ev));
            })
        });
        full_t += t.elapsed().as_secs_f64();
    }
    let (base, full) = (base_n as f64 / base_t, full_n as f64 / full_t);
    println!(
        "one core: match {full:.0} events/s, baseline (parse + field map) {base:.0} events/s, \
         match/baseline = {:.2} (matching costs {:.1} µs/event over the baseline)",
        full / base,
        1e6 / full - 1e6 / base
    );

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("sigma");
    g.throughput(Throughput::Elements(events as u64));
    g.sample_size(20);
    g.bench_function("baseline_parse_map", |b| {
        b.iter(|| {
            prepare(&inputs, &limits, |ev| {
                black_box(ev);
            })
        })
    });
    g.bench_function("match_full_corpus", |b| {
        b.iter(|| {
            prepare(&inputs, &limits, |ev| {
                black_box(set.matches(ev));
            })
        })
    });
    g.finish();
    c.final_summary();
}
