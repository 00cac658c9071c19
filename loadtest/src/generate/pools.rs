//! Indicator pools with Zipf-distributed popularity, and the small random helpers the
//! families share.

use std::collections::HashSet;

use super::GenConfig;

/// Samples ranks 0..n with probability proportional to 1/(rank+1)^s.
#[derive(Debug, Clone)]
pub(super) struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// A sampler over `n` ranks (at least one).
    pub(super) fn new(n: usize, s: f64) -> Self {
        let n = n.max(1);
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for k in 1..=n {
            total += 1.0 / (k as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Self { cdf }
    }

    /// One rank.
    pub(super) fn sample(&self, rng: &mut fastrand::Rng) -> usize {
        let u = rng.f64();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

#[derive(Debug)]
pub(super) struct Pool<T> {
    items: Vec<T>,
    zipf: Zipf,
}

impl<T> Pool<T> {
    fn new(items: Vec<T>, s: f64) -> Self {
        let zipf = Zipf::new(items.len(), s);
        Self { items, zipf }
    }

    pub(super) fn pick(&self, rng: &mut fastrand::Rng) -> &T {
        &self.items[self.zipf.sample(rng).min(self.items.len() - 1)]
    }
}

#[derive(Debug, Clone)]
pub(super) struct User {
    /// `a.nakamura`
    pub(super) sam: String,
    /// `CORP`
    pub(super) domain: &'static str,
}

impl User {
    pub(super) fn qualified(&self) -> String {
        format!("{}\\{}", self.domain, self.sam)
    }
    pub(super) fn email(&self) -> String {
        format!("{}@corp.example", self.sam)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Host {
    /// `WS-FIN-0142` or `db-07`
    pub(super) short: String,
    /// `WS-FIN-0142.corp.internal`
    pub(super) fqdn: String,
    /// Its address.
    pub(super) ip: String,
}

#[derive(Debug, Clone)]
pub(super) struct FileInfo {
    pub(super) name: String,
    pub(super) md5: String,
    pub(super) sha1: String,
    pub(super) sha256: String,
    pub(super) size: u64,
}

#[derive(Debug)]
pub(super) struct Pools {
    /// External IPs: documentation ranges and a few listed (Tor exit) addresses.
    pub(super) ext_ips: Pool<String>,
    /// Only the listed addresses.
    pub(super) listed_ips: Pool<String>,
    pub(super) domains: Pool<String>,
    pub(super) files: Pool<FileInfo>,
    pub(super) users: Pool<User>,
    pub(super) win_hosts: Pool<Host>,
    pub(super) linux_hosts: Pool<Host>,
    /// Builds of Windows system binaries (certutil, powershell ...): few, very common.
    pub(super) system_builds: Pool<FileInfo>,
}

const FIRST: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s", "t",
    "v", "w", "y",
];
const LAST: &[&str] = &[
    "nakamura",
    "martinez",
    "okafor",
    "schmidt",
    "kowalski",
    "silva",
    "nguyen",
    "haddad",
    "johansson",
    "rossi",
    "dubois",
    "oconnor",
    "patel",
    "kim",
    "mendes",
    "larsen",
    "novak",
    "fischer",
    "moreau",
    "tanaka",
    "abara",
    "lindqvist",
    "costa",
    "weber",
    "ivanova",
    "chen",
    "garcia",
    "murphy",
    "santos",
    "keller",
    "bauer",
    "hughes",
    "ali",
    "park",
    "romero",
];
const DEPTS: &[&str] = &[
    "FIN", "HR", "ENG", "OPS", "MKT", "SALES", "LEGAL", "IT", "RND", "SUP",
];
const SERVER_ROLES: &[&str] = &[
    "web", "db", "app", "api", "bastion", "build", "jump", "mail", "file", "k8s-node", "log",
    "vpn", "git", "ci", "cache",
];
const DOMAIN_A: &[&str] = &[
    "cdn",
    "update",
    "api",
    "sync",
    "telemetry",
    "static",
    "login",
    "secure",
    "files",
    "dl",
    "img",
    "portal",
    "track",
    "metrics",
    "docs",
    "invoice",
    "billing",
    "share",
    "drive",
    "auth",
    "notify",
    "office",
    "cloud",
    "mail",
];
const DOMAIN_B: &[&str] = &[
    "service", "edge", "hub", "node", "data", "web", "app", "box", "point", "zone", "link",
    "center", "sys", "stack", "host", "flow", "desk", "store",
];
const TLDS: &[&str] = &[
    "com", "net", "org", "io", "xyz", "top", "info", "biz", "online", "site", "ru", "co", "live",
    "cc",
];
const FILE_STEMS: &[&str] = &[
    "invoice",
    "INV",
    "payment_advice",
    "scan",
    "order",
    "remittance",
    "statement",
    "resume",
    "CV",
    "shipping_label",
    "quote",
    "contract",
    "payroll",
    "voicemail",
    "fax",
];
const EXEC_EXTS: &[&str] = &["exe", "scr", "com", "pif"];

pub(super) fn hex(rng: &mut fastrand::Rng, len: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..len)
        .map(|_| char::from(DIGITS[rng.usize(0..16)]))
        .collect()
}

pub(super) fn upper_alnum(rng: &mut fastrand::Rng, len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| char::from(CHARS[rng.usize(0..CHARS.len())]))
        .collect()
}

pub(super) fn pick<'a, T: ?Sized>(rng: &mut fastrand::Rng, items: &'a [&'a T]) -> &'a T {
    items[rng.usize(0..items.len())]
}

/// Fills up to `n` distinct values from `make`, giving up after a generous number of tries.
fn distinct<T>(
    n: usize,
    rng: &mut fastrand::Rng,
    key: impl Fn(&T) -> String,
    mut make: impl FnMut(&mut fastrand::Rng, usize) -> T,
) -> Vec<T> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut attempt = 0;
    while out.len() < n && attempt < n * 20 + 100 {
        let v = make(rng, attempt);
        attempt += 1;
        if seen.insert(key(&v)) {
            out.push(v);
        }
    }
    out
}

impl Pools {
    pub(super) fn new(cfg: &GenConfig) -> Self {
        let mut rng = fastrand::Rng::with_seed(cfg.seed);
        let n = cfg.pool.max(1);
        let s = cfg.zipf_s;

        // Listed addresses: a few real ones (about 2% of the pool, at least 10).
        let mut listed = cfg.listed_ips.clone();
        rng.shuffle(&mut listed);
        listed.truncate((n / 50).max(10));
        let mut ext: Vec<String> = Vec::new();
        for net in ["192.0.2", "198.51.100", "203.0.113"] {
            for host in 1..=254 {
                ext.push(format!("{net}.{host}"));
            }
        }
        rng.shuffle(&mut ext);
        ext.truncate(n.saturating_sub(listed.len()).max(1));
        ext.extend(listed.iter().cloned());
        rng.shuffle(&mut ext);
        if listed.is_empty() {
            listed.push(ext[0].clone());
        }

        let domains = distinct(n, &mut rng, Clone::clone, |rng, attempt| {
            let a = pick(rng, DOMAIN_A);
            let b = pick(rng, DOMAIN_B);
            let tld = pick(rng, TLDS);
            match (attempt / 3000, rng.u8(0..4)) {
                (0, 0) => format!("{a}{b}.{tld}"),
                (0, 1) => format!("{a}-{b}.{tld}"),
                (_, 2) => format!("{a}-{b}{}.{tld}", rng.u16(2..999)),
                _ => format!("{a}{}-{b}.{tld}", rng.u16(1..99)),
            }
        });
        let files = distinct(
            n,
            &mut rng,
            |f: &FileInfo| f.sha256.clone(),
            |rng, _| FileInfo {
                name: format!(
                    "{}_{}.{}",
                    pick(rng, FILE_STEMS),
                    rng.u32(1000..99_999),
                    pick(rng, EXEC_EXTS)
                ),
                md5: hex(rng, 32),
                sha1: hex(rng, 40),
                sha256: hex(rng, 64),
                size: rng.u64(40_000..4_000_000),
            },
        );
        let users = distinct(
            n,
            &mut rng,
            |u: &User| u.sam.clone(),
            |rng, attempt| {
                let f = pick(rng, FIRST);
                let l = pick(rng, LAST);
                let sam = match (attempt / 2000, rng.u8(0..3)) {
                    (0, 0) => format!("{f}.{l}"),
                    (0, 1) => format!("{f}{l}"),
                    (0, _) => format!("{l}.{f}"),
                    _ => format!("{f}.{l}{}", rng.u16(2..999)),
                };
                User {
                    sam,
                    domain: if rng.u8(0..10) == 0 { "EMEA" } else { "CORP" },
                }
            },
        );
        let win_hosts = distinct(
            n,
            &mut rng,
            |h: &Host| h.short.clone(),
            |rng, _| {
                let kind = pick(rng, &["WS", "LT", "WS", "LT", "SRV", "RDS"]);
                let short = format!("{kind}-{}-{:04}", pick(rng, DEPTS), rng.u16(1..9999));
                Host {
                    fqdn: format!("{short}.corp.internal"),
                    ip: format!(
                        "10.{}.{}.{}",
                        rng.u8(0..64),
                        rng.u8(0..=255),
                        rng.u8(1..255)
                    ),
                    short,
                }
            },
        );
        let linux_hosts = distinct(
            n,
            &mut rng,
            |h: &Host| h.short.clone(),
            |rng, _| {
                let env = pick(rng, &["prod", "stg", "dev", "prod", "prod"]);
                let short = format!("{env}-{}-{:02}", pick(rng, SERVER_ROLES), rng.u16(1..999));
                Host {
                    fqdn: format!("{short}.corp.internal"),
                    ip: format!(
                        "10.{}.{}.{}",
                        rng.u8(64..128),
                        rng.u8(0..=255),
                        rng.u8(1..255)
                    ),
                    short,
                }
            },
        );
        let system_builds = (0..6)
            .map(|i| FileInfo {
                name: format!(
                    "10.0.{}.{}",
                    [19041, 19045, 20348, 22621, 22631, 26100][i],
                    rng.u16(1..8000)
                ),
                md5: hex(&mut rng, 32),
                sha1: hex(&mut rng, 40),
                sha256: hex(&mut rng, 64),
                size: rng.u64(100_000..2_000_000),
            })
            .collect();
        Self {
            ext_ips: Pool::new(ext, s),
            listed_ips: Pool::new(listed, s),
            domains: Pool::new(domains, s),
            files: Pool::new(files, s),
            users: Pool::new(users, s),
            win_hosts: Pool::new(win_hosts, s),
            linux_hosts: Pool::new(linux_hosts, s),
            system_builds: Pool::new(system_builds, 1.0),
        }
    }
}
