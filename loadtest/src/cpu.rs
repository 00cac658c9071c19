//! Where the machine's CPU went during a pass: the user + system time of each process of
//! the run (workers, nats-server, redis-server, this load test), read from
//! `/proc/<pid>/stat` before and after, per alert.
//!
//! On a machine where the servers, the load generator and the workers share the cores, the
//! pipeline's throughput is bounded by the sum; the split shows how much of it the workers
//! are, and what the rest would still cost if the workers took no CPU at all. Linux only:
//! elsewhere (or when a process is gone) the figures are absent, never guessed.

use std::collections::BTreeMap;

use serde::Serialize;

/// A process of the run, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    /// `soc-copilot worker` processes.
    Workers,
    /// The spawned nats-server.
    NatsServer,
    /// The spawned redis-server.
    RedisServer,
    /// This process: the generator, publisher and output reader.
    LoadTest,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Workers => "workers",
            Role::NatsServer => "nats-server",
            Role::RedisServer => "redis-server",
            Role::LoadTest => "soc-loadtest",
        }
    }
}

/// The processes to watch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watch {
    procs: Vec<(Role, u32)>,
}

/// CPU ticks per role at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    ticks: BTreeMap<Role, u64>,
}

/// CPU time per item (alert or message) of a pass.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CpuSplit {
    /// Microseconds of CPU per item, by process (`workers` summed over every worker).
    pub(crate) per_item_us: BTreeMap<String, f64>,
    /// Their sum.
    pub(crate) total_us: f64,
    /// The sum without the workers: what the servers and the load test cost per item.
    pub(crate) without_workers_us: f64,
    /// Resolution of the readings, milliseconds (one clock tick).
    pub(crate) tick_ms: f64,
}

impl Watch {
    /// Adds a process (ignored when the id is unknown).
    pub(crate) fn add(&mut self, role: Role, pid: Option<u32>) {
        if let Some(pid) = pid {
            self.procs.push((role, pid));
        }
    }

    /// The processes' CPU time now; `None` when one cannot be read (not Linux, or exited).
    pub(crate) fn snapshot(&self) -> Option<Snapshot> {
        let mut ticks = BTreeMap::new();
        for &(role, pid) in &self.procs {
            *ticks.entry(role).or_insert(0) += process_ticks(pid)?;
        }
        Some(Snapshot { ticks })
    }
}

impl Snapshot {
    /// The CPU spent between `self` and `later`, per item.
    pub(crate) fn split(&self, later: &Snapshot, items: usize) -> Option<CpuSplit> {
        if items == 0 {
            return None;
        }
        let tick_s = 1.0 / clock_ticks_per_second();
        let mut per_item_us = BTreeMap::new();
        let mut total_us = 0.0;
        let mut without_workers_us = 0.0;
        for (role, &after) in &later.ticks {
            let before = self.ticks.get(role).copied().unwrap_or(after);
            let us = after.saturating_sub(before) as f64 * tick_s * 1e6 / items as f64;
            per_item_us.insert(role.name().to_owned(), us);
            total_us += us;
            if *role != Role::Workers {
                without_workers_us += us;
            }
        }
        Some(CpuSplit {
            per_item_us,
            total_us,
            without_workers_us,
            tick_ms: tick_s * 1e3,
        })
    }
}

/// User + system clock ticks of a process (all its threads), from `/proc/<pid>/stat`.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_ticks(&stat)
}

/// Fields 14 and 15 (utime, stime) of a stat line. The command name (field 2) is in
/// parentheses and may hold spaces or parentheses itself, so fields are counted from the
/// last `)`.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th from here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The kernel's clock ticks per second for `/proc` times (`getconf CLK_TCK`; 100 when it
/// cannot be asked, the value on every mainstream Linux architecture).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_are_read_after_the_command_name() {
        // A name with spaces and a parenthesis must not shift the fields.
        let line = "4242 (soc (copilot) w) S 1 4242 4242 0 -1 4194560 100 0 0 0 731 69 0 0 20 0 9 0 1000 0 0";
        assert_eq!(parse_stat_ticks(line), Some(800));
        assert_eq!(parse_stat_ticks("4242 (x) S 1 2"), None);
        assert_eq!(parse_stat_ticks("no name"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_splits_per_item() {
        let mut w = Watch::default();
        w.add(Role::LoadTest, Some(std::process::id()));
        w.add(Role::Workers, None);
        let before = w.snapshot();
        if !cfg!(target_os = "linux") {
            assert!(before.is_none());
            eprintln!("skipped: /proc CPU times are read on Linux only");
            return;
        }
        let before = before.expect("this process's /proc/<pid>/stat");
        // Burn CPU until at least one tick is credited (bounded, on a busy machine too).
        let start = std::time::Instant::now();
        let mut x = 0u64;
        let after = loop {
            for _ in 0..1_000_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            let now = w.snapshot().expect("read again");
            if now.ticks != before.ticks || start.elapsed() > std::time::Duration::from_secs(10) {
                break now;
            }
        };
        assert_ne!(x, 7);
        let s = before.split(&after, 10).expect("items > 0");
        // A process without an id is not counted (not even as zero).
        assert_eq!(
            s.per_item_us.keys().collect::<Vec<_>>(),
            ["soc-loadtest"],
            "{s:?}"
        );
        assert!(s.per_item_us["soc-loadtest"] > 0.0, "{s:?}");
        assert!(before.split(&after, 0).is_none());
    }
}
