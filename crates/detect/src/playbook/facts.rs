//! Facts: what tier 0 knows about an alert, computed once by code and then read by the
//! playbooks (data). A fact is named (`auth.failures`, `mail.exec_from_cache`,
//! `context.change`), has a value (bool, number or text) and, when it came from a field,
//! the path it was read at, so the evidence can say where each fact came from.
//!
//! Extractors here are generic: they read behaviour (a burst of failed logons, a program
//! run from a mail client's attachment cache, a change ticket in the SIEM's enrichment),
//! never a sample's literal values.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;
use soc_core::investigation::{AssetEntityType, SignalStrength};
use soc_core::{IocKind, Scope};

use crate::sigma::Event;
use crate::tells::{Tell, TellKind, Tooling};
use crate::triage::{SigmaFact, TriageInput, one_line};
use crate::view::AlertView;

/// A fact's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    /// True or false.
    Bool(bool),
    /// A number.
    Num(f64),
    /// Text (names, addresses, lists joined with `, `).
    Text(String),
}

/// One fact, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// The value.
    pub value: FactValue,
    /// Field path(s) or component it was read from.
    pub source: String,
}

/// The facts of one alert, plus the views the playbooks' field conditions read.
#[derive(Debug)]
pub struct Facts<'a> {
    facts: HashMap<String, Fact, foldhash::fast::RandomState>,
    /// The key-based view of the alert.
    pub view: &'a AlertView<'a>,
    /// The alert's events with Sigma field names.
    pub events: &'a [Event],
    /// Signs of sanctioned activity in the SIEM's enrichment.
    pub tells: &'a [Tell],
    /// Technique ids of Sigma rules whose match is trusted, with their evidence ids.
    pub sigma_techniques: Vec<(String, String)>,
}

impl<'a> Facts<'a> {
    fn set(&mut self, name: &str, value: FactValue, source: impl Into<String>) {
        self.facts.insert(
            name.to_owned(),
            Fact {
                value,
                source: source.into(),
            },
        );
    }

    fn flag(&mut self, name: &str, on: bool, source: impl Into<String>) {
        if on {
            self.set(name, FactValue::Bool(true), source);
        }
    }

    fn num(&mut self, name: &str, n: f64, source: impl Into<String>) {
        self.set(name, FactValue::Num(n), source);
    }

    fn text(&mut self, name: &str, t: impl Into<String>, source: impl Into<String>) {
        let t = t.into();
        if t.trim().is_empty() {
            self.facts.remove(name);
        } else {
            self.set(name, FactValue::Text(one_line(&t, 300)), source);
        }
    }

    /// A fact by name.
    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.facts.get(name)
    }

    /// Whether a fact is present and truthy (true, non-zero, non-empty).
    pub fn truthy(&self, name: &str) -> bool {
        match self.facts.get(name).map(|f| &f.value) {
            Some(FactValue::Bool(b)) => *b,
            Some(FactValue::Num(n)) => *n != 0.0,
            Some(FactValue::Text(t)) => !t.is_empty(),
            None => false,
        }
    }

    /// A numeric fact.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.facts.get(name).map(|f| &f.value) {
            Some(FactValue::Num(n)) => Some(*n),
            Some(FactValue::Bool(b)) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// A fact rendered as text (for templates).
    pub fn render(&self, name: &str) -> Option<String> {
        self.facts.get(name).map(|f| match &f.value {
            FactValue::Bool(b) => b.to_string(),
            FactValue::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            FactValue::Num(n) => format!("{n:.2}"),
            FactValue::Text(t) => t.clone(),
        })
    }

    /// Every fact, for the evidence trail.
    pub fn all(&self) -> impl Iterator<Item = (&String, &Fact)> {
        self.facts.iter()
    }

    /// Values of a field: Sigma-named fields of the alert's events first (`Image`,
    /// `CommandLine`, ...), then `raw_log` keys (case-insensitive, or a dotted suffix such
    /// as `source.ip`). Each with the path it was read at.
    pub fn field_values(&self, field: &str) -> Vec<(String, String)> {
        const MAX: usize = 64;
        let mut out: Vec<(String, String)> = Vec::new();
        // A value already listed (under another path) is not listed again.
        let listed = |out: &[(String, String)], v: &str| out.iter().any(|(_, x)| x == v);
        // `raw_log` first: its paths are real. Then the Sigma view of the events, which
        // maps other spellings of the field (`process.command_line`, `CommandLine`).
        let lower: Cow<'_, str> = if field.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(field.to_ascii_lowercase())
        } else {
            Cow::Borrowed(field)
        };
        let dotted = lower.contains('.');
        for l in self.view.leaves() {
            if out.len() >= MAX {
                break;
            }
            let hit = l.key == *lower || (dotted && ends_with_dot_field(&l.path, &lower));
            if hit {
                let v = l.text();
                if !listed(&out, &v) {
                    out.push((l.path.clone(), v));
                }
            }
        }
        // The events' keys are lower-cased as Unicode; for an ASCII name that is `lower`.
        let event_key: Cow<'_, str> = if field.is_ascii() {
            Cow::Borrowed(&lower)
        } else {
            Cow::Owned(field.to_lowercase())
        };
        for (i, ev) in self.events.iter().enumerate() {
            if out.len() >= MAX {
                break;
            }
            if let Some(v) = ev.first_orig(&event_key)
                && !listed(&out, v)
            {
                let path = if self.events.len() > 1 {
                    format!("raw_log.events[{i}].{field}")
                } else {
                    format!("raw_log.{field}")
                };
                out.push((path, v.to_owned()));
            }
        }
        out
    }
}

impl Facts<'_> {
    /// Whether a field is present: a scalar value (see [`Facts::field_values`]), or an
    /// object or list node of that name holding at least one value (`ti_match: {...}`),
    /// at any depth of `raw_log`.
    pub fn field_exists(&self, field: &str) -> bool {
        if !self.field_values(field).is_empty() {
            return true;
        }
        let lower = field.to_ascii_lowercase();
        let n = lower.split('.').count();
        self.view.leaves().iter().any(|l| {
            // The path's keys without list indices: `raw_log.ti_match[0].ioc` ->
            // [raw_log, ti_match, ioc]. The node is any run of keys above the leaf.
            let keys: Vec<String> = l
                .path
                .split('.')
                .map(|k| k.split('[').next().unwrap_or(k).to_ascii_lowercase())
                .collect();
            keys.len() > n
                && keys[1..keys.len() - 1]
                    .windows(n)
                    .any(|w| w.join(".") == lower)
        })
    }
}

/// Whether `path` ends with `.` and then `field` (lower case), ASCII case ignored, without
/// building the suffix.
fn ends_with_dot_field(path: &str, field: &str) -> bool {
    let (p, f) = (path.as_bytes(), field.as_bytes());
    p.len() > f.len()
        && p[p.len() - f.len() - 1] == b'.'
        && p[p.len() - f.len()..].eq_ignore_ascii_case(f)
}

static MGMT_AGENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^c:\\windows\\ccm\\ccmexec\.exe$|^c:\\program files(?: \(x86\))?\\(?:microsoft intune management extension|tanium\\tanium client|bigfix enterprise\\bes client|puppet labs\\puppet|opscode\\chef|chef\\|salt project\\salt|jamf|ninjarmmagent|kaseya|manageengine\\uems_agent|ivanti|landesk|altiris|lansweeper)\\[^/]*\.exe$")
        .expect("constant regex compiles")
});
/// A per-user application updater (Squirrel-style `%LOCALAPPDATA%\<app>\Update.exe`).
static UPDATER_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^c:\\users\\[^\\]+\\appdata\\local\\[^\\]+(?:\\[^\\]+)?\\update\.exe$")
        .expect("constant regex compiles")
});
static USER_WRITABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\\users\\public\\|\\appdata\\local\\temp\\|\\windows\\temp\\|\\programdata\\|\\perflogs\\|\\downloads\\|\\\$recycle\.bin\\|^/tmp/|^/dev/shm/").expect("constant regex compiles")
});
/// Credential access, impact, defence-evasion and remote-service (lateral movement)
/// techniques whose detection no SIEM context can make benign on its own: a change ticket
/// names work on a host, not which account may reach it from where.
const SENSITIVE: &[&str] = &[
    "T1003", "T1558", "T1555", "T1552", "T1556", "T1212", "T1486", "T1490", "T1485", "T1561",
    "T1070", "T1562", "T1548", "T1055", "T1134", "T1564", "T1090", "T1219", "T1021",
];
/// A credential change: a password changed, reset or rotated, keys or certificates rotated.
static CREDENTIAL_CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(password (change|changed|reset|rotation|rotated|update|updated|expir\w*)|(key|keys|credential|credentials|secret|certificate) (rotation|rotated|change|changed|renewal|renewed|update|updated)|rotat\w* (of )?(the )?(ssh |api |service )?(keys?|credentials?|passwords?|secrets?)|\b4723\b|\b4724\b)")
        .expect("constant regex compiles")
});
/// A scan named as the work: vulnerability or credentialed scans, penetration tests.
static SCAN_WORK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(scan|scans|scanner|scanners|scanning|vulnerability assessment|pen[- ]?test\w*|penetration test\w*)\b")
        .expect("constant regex compiles")
});
static SEVERITY_WORDS: &[(&str, f64)] = &[
    ("informational", 0.0),
    ("low", 1.0),
    ("medium", 2.0),
    ("high", 3.0),
    ("critical", 4.0),
];

/// How many separate detections `rules` are: rules that made their match on the same field
/// value (a project rule and the public rule it mirrors, or two rules reading one command
/// line) are one detection, joined transitively; rules that name no field add nothing
/// beyond one detection in all, whatever their order. "Several high rules agree" must
/// mean several pieces of evidence.
fn independent_detections(rules: &[&SigmaFact]) -> usize {
    let mut groups: Vec<Vec<&(String, String)>> = Vec::new();
    for r in rules {
        if r.fields.is_empty() {
            continue;
        }
        let (joined, mut rest): (Vec<_>, Vec<_>) = std::mem::take(&mut groups)
            .into_iter()
            .partition(|g| g.iter().any(|pair| r.fields.contains(pair)));
        let mut merged: Vec<&(String, String)> = joined.into_iter().flatten().collect();
        merged.extend(r.fields.iter());
        rest.push(merged);
        groups = rest;
    }
    if groups.is_empty() && !rules.is_empty() {
        1
    } else {
        groups.len()
    }
}

fn level_num(level: &str) -> f64 {
    SEVERITY_WORDS
        .iter()
        .find(|(w, _)| *w == level)
        .map_or(2.0, |(_, n)| *n)
}

/// Computes the facts of an alert.
pub fn compute<'a>(
    input: &TriageInput<'a>,
    view: &'a AlertView<'a>,
    tells: &'a [Tell],
) -> Facts<'a> {
    let alert = input.alert;
    let events = input.events;
    let mut f = Facts {
        // A playbook run sets a few dozen facts; hashed with foldhash (the keys are the
        // code's own fact names, not attacker-chosen).
        facts: HashMap::with_capacity_and_hasher(64, foldhash::fast::RandomState::default()),
        view,
        events,
        tells,
        sigma_techniques: Vec::new(),
    };
    let sev = match alert.severity {
        soc_core::Severity::Low => 1.0,
        soc_core::Severity::Medium => 2.0,
        soc_core::Severity::High => 3.0,
        soc_core::Severity::Critical => 4.0,
    };
    f.num("alert.severity", sev, "severity");
    f.text("title", &alert.title, "title");
    f.text("source", &alert.source, "source");
    if let Some(h) = alert.host() {
        f.text("host", h, "raw_log.host");
    } else if let Some((h, p)) = f
        .field_values("Computer")
        .into_iter()
        .next()
        .map(|(p, v)| (v, p))
    {
        f.text("host", h, p);
    }

    // Indicators by kind, for templates.
    let join = |kind: IocKind, only_external: bool| -> String {
        input
            .iocs
            .of_kind(kind)
            .filter(|x| !only_external || crate::playbook::detectors::outside(x.ioc.scope))
            .map(|x| x.ioc.value.clone())
            .take(5)
            .collect::<Vec<_>>()
            .join(", ")
    };
    f.text("ips", join(IocKind::Ipv4, false), "indicators");
    f.text("external_ips", join(IocKind::Ipv4, true), "indicators");
    f.text("domains", join(IocKind::Domain, false), "indicators");
    f.text(
        "external_domains",
        join(IocKind::Domain, true),
        "indicators",
    );
    let named: Vec<String> = input
        .iocs
        .of_kind(IocKind::Domain)
        .filter(|x| x.ioc.scope != Some(Scope::Internal))
        .map(|x| x.ioc.value.clone())
        .take(5)
        .collect();
    f.text("named_domains", named.join(", "), "indicators");
    f.text("urls", join(IocKind::Url, false), "indicators");
    let hash = input
        .iocs
        .of_kind(IocKind::Sha256)
        .chain(input.iocs.of_kind(IocKind::Sha1))
        .chain(input.iocs.of_kind(IocKind::Md5))
        .next()
        .map(|x| x.ioc.value.clone());
    if let Some(h) = hash {
        f.text("hash", h, "indicators");
    }
    let declared_users: Vec<String> = alert.indicators.users.iter().take(5).cloned().collect();
    let users = if declared_users.is_empty() {
        input
            .iocs
            .of_kind(IocKind::User)
            .map(|x| x.ioc.value.clone())
            .take(5)
            .collect::<Vec<_>>()
    } else {
        declared_users
    };
    f.text("users", users.join(", "), "indicators.users");
    if let Some(u) = users.first() {
        f.text("user", u.clone(), "indicators.users");
    }
    if let Some(app) = alert.indicators.other.get("apps").and_then(|a| a.first()) {
        f.text("app", app.clone(), "indicators.apps");
    }
    f.flag(
        "indicators.external_ip",
        input
            .iocs
            .of_kind(IocKind::Ipv4)
            .chain(input.iocs.of_kind(IocKind::Ipv6))
            .any(|x| crate::playbook::detectors::outside(x.ioc.scope)),
        "indicators",
    );

    // Threat intel.
    let listed: Vec<&crate::triage::IntelFact> = input
        .intel
        .iter()
        .filter(|i| i.malicious || i.suspicious)
        .collect();
    f.flag("intel.listed", !listed.is_empty(), "intel");
    f.flag(
        "intel.malicious",
        input.intel.iter().any(|i| i.malicious),
        "intel",
    );
    f.flag(
        "intel.tor",
        input
            .intel
            .iter()
            .any(|i| i.tags.iter().any(|t| t == "tor_exit" || t == "tor")),
        "intel",
    );
    f.flag(
        "intel.threatfox_only",
        !listed.is_empty()
            && listed
                .iter()
                .all(|i| i.tags.iter().all(|t| t == "threatfox")),
        "intel",
    );
    f.flag(
        "intel.failed",
        input.intel.iter().any(|i| !i.success),
        "intel",
    );
    if let Some(i) = listed.first() {
        f.text(
            "listed_indicator",
            i.ioc.value.clone(),
            i.evidence_id.clone(),
        );
    }

    // Sigma: trusted when the rule's events have an exact log source (a known Windows
    // channel), or the rule is the project's own.
    let exact = f.events.iter().any(Event::logsource_is_exact);
    f.flag("sigma.any", !input.sigma.is_empty(), "sigma");
    let mut max_level = -1.0f64;
    let mut high: Vec<&SigmaFact> = Vec::new();
    let mut titles = Vec::new();
    // A trusted rule without ATT&CK tags: nothing says what it saw, so no context can be
    // judged to speak for it.
    let mut untagged = false;
    for s in input.sigma {
        let lvl = level_num(&s.level);
        titles.push(s.title.clone());
        if exact || s.project {
            untagged |= s.techniques.is_empty();
            max_level = max_level.max(lvl);
            if lvl >= 3.0 {
                high.push(s);
            }
            for t in &s.techniques {
                f.sigma_techniques.push((t.clone(), s.evidence_id.clone()));
            }
        }
    }
    f.num("sigma.max_level", max_level, "sigma");
    f.flag("sigma.trusted", max_level >= 0.0, "sigma");
    // Techniques no SIEM note may explain away: credential theft, destruction, hiding.
    let sensitive = f.sigma_techniques.iter().any(|(t, _)| {
        SENSITIVE
            .iter()
            .any(|p| t == p || t.starts_with(&format!("{p}.")))
    });
    f.flag("sigma.sensitive", sensitive, "sigma");
    f.flag("sigma.untagged", untagged, "sigma");
    // Only discovery, and the interpreters or WMI that ran it: what inventory and
    // monitoring software does all day.
    let discovery_only = !untagged
        && f.sigma_techniques
            .iter()
            .any(|(t, _)| crate::tells::only_discovery(t))
        && f.sigma_techniques
            .iter()
            .all(|(t, _)| Tooling::Management.explains(t));
    f.flag("sigma.discovery_only", discovery_only, "sigma");
    if let Some((w, _)) = SEVERITY_WORDS
        .iter()
        .find(|(_, n)| (*n - max_level).abs() < f64::EPSILON)
    {
        f.text("sigma.level_name", *w, "sigma");
    }
    f.num(
        "sigma.high_rules",
        independent_detections(&high) as f64,
        "sigma",
    );
    f.flag("sigma.exact_source", exact, "sigma");
    f.text(
        "rule_titles",
        titles.into_iter().take(3).collect::<Vec<_>>().join("; "),
        "sigma",
    );

    // The asset inventory.
    f.flag("assets.any", !input.assets.is_empty(), "asset inventory");
    f.flag(
        "assets.expected",
        input.assets.iter().any(|a| !a.expected_activity.is_empty()),
        "asset inventory",
    );
    for kind in [
        AssetEntityType::Host,
        AssetEntityType::Ip,
        AssetEntityType::ServiceAccount,
        AssetEntityType::SaasApp,
    ] {
        let name = match kind {
            AssetEntityType::Host => "assets.host",
            AssetEntityType::Ip => "assets.ip",
            AssetEntityType::ServiceAccount => "assets.service_account",
            AssetEntityType::SaasApp => "assets.saas_app",
        };
        let verified = input.assets.iter().any(|a| {
            a.entity_type == kind
                && !a
                    .notes
                    .as_deref()
                    .is_some_and(|n| n.starts_with("matched by display name only"))
        });
        f.flag(name, verified, "asset inventory");
    }
    if !input.assets.is_empty() {
        let roles: Vec<String> = input
            .assets
            .iter()
            .map(|a| format!("{} ({})", a.name.as_deref().unwrap_or(&a.entity), a.role))
            .collect();
        f.text("asset_roles", roles.join("; "), "asset inventory");
        let owners: Vec<String> = input
            .assets
            .iter()
            .filter_map(|a| a.owner.clone())
            .collect();
        f.text("asset_owners", owners.join(", "), "asset inventory");
        let expected: Vec<String> = input
            .assets
            .iter()
            .flat_map(|a| a.expected_activity.iter().cloned())
            .take(6)
            .collect();
        f.text("asset_expected", expected.join("; "), "asset inventory");
        let names: Vec<String> = input.assets.iter().filter_map(|a| a.name.clone()).collect();
        f.text("asset_names", names.join(", "), "asset inventory");
        let all_roles = input
            .assets
            .iter()
            .map(|a| a.role.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        f.flag(
            "assets.scanner",
            all_roles.contains("scan"),
            "asset inventory",
        );
        f.flag(
            "assets.backup",
            all_roles.contains("backup"),
            "asset inventory",
        );
        f.flag(
            "assets.management",
            all_roles.contains("sccm")
                || all_roles.contains("management")
                || all_roles.contains("configuration"),
            "asset inventory",
        );
    }

    // The SIEM's enrichment (the root `siem_context` block, ECS `labels`): trusted as much
    // as the alert's source; it may support a benign verdict. Each fact names the paths
    // it was read at.
    let ctx: Vec<&Tell> = tells
        .iter()
        .filter(|t| crate::tells::is_enrichment_path(&t.path))
        .collect();
    let paths = |kinds: &[TellKind]| -> String {
        ctx.iter()
            .filter(|t| kinds.contains(&t.kind))
            .map(|t| t.path.clone())
            .take(3)
            .collect::<Vec<_>>()
            .join(", ")
    };
    f.flag(
        "context.any",
        view.leaves()
            .iter()
            .any(|l| crate::tells::is_enrichment_path(&l.path)),
        "raw_log.siem_context",
    );
    f.flag(
        "context.change",
        ctx.iter().any(|t| t.kind == TellKind::Change),
        paths(&[TellKind::Change]),
    );
    f.flag(
        "context.tooling",
        ctx.iter().any(|t| t.kind == TellKind::ToolingAsset),
        paths(&[TellKind::ToolingAsset]),
    );
    f.flag(
        "context.sanctioned",
        ctx.iter().any(|t| {
            matches!(
                t.kind,
                TellKind::Context | TellKind::Change | TellKind::ToolingAsset
            )
        }),
        paths(&[TellKind::Context, TellKind::Change, TellKind::ToolingAsset]),
    );
    // Whether that context speaks for what the rules saw: a change ticket or an explicit
    // approval only when it names the activity (see `activity`: "routine maintenance" on
    // the host does not explain an attack during the window); a tooling tag only the
    // activity such tooling does (a backup server's tag does not explain a domain trust
    // dump, nor a remote-assistance session a download), and only when the rules name
    // what they saw.
    let tickets: Vec<&&Tell> = ctx
        .iter()
        .filter(|t| matches!(t.kind, TellKind::Context | TellKind::Change))
        .collect();
    let explicit = !tickets.is_empty() && {
        let image = f.field_values("Image").into_iter().next();
        let vocabulary = super::activity::vocabulary(
            image.as_ref().map(|(_, v)| v.as_str()),
            f.sigma_techniques.iter().map(|(t, _)| t.as_str()),
        );
        let titles = super::activity::title_words(
            std::iter::once(alert.title.as_str())
                .chain(input.sigma.iter().map(|s| s.title.as_str())),
        );
        tickets.iter().any(|t| {
            super::activity::names(&t.text, &vocabulary)
                || super::activity::names_two(&t.text, &titles)
        })
    };
    let tooling: Vec<Tooling> = ctx
        .iter()
        .filter(|t| t.kind == TellKind::ToolingAsset)
        .flat_map(|t| Tooling::named_in(&t.text))
        .collect();
    let tooling_explains = !tooling.is_empty()
        && !f.sigma_techniques.is_empty()
        && !f.truthy("sigma.untagged")
        && f.sigma_techniques
            .iter()
            .all(|(t, _)| tooling.iter().any(|k| k.explains(t)));
    f.flag(
        "context.scanner",
        tooling.contains(&Tooling::Scanner),
        paths(&[TellKind::ToolingAsset]),
    );
    // Tickets that say why authentication failed: a credential change (stale passwords
    // or keys still in use), or a scan (a scanner's checks). They explain nothing else.
    for (name, re) in [
        ("context.credential_change", &*CREDENTIAL_CHANGE),
        ("context.scan_ticket", &*SCAN_WORK),
    ] {
        let saying: Vec<&str> = tickets
            .iter()
            .filter(|t| re.is_match(&t.text))
            .map(|t| t.path.as_str())
            .take(3)
            .collect();
        f.flag(name, !saying.is_empty(), saying.join(", "));
    }
    f.flag(
        "context.explains",
        explicit || tooling_explains,
        paths(&[TellKind::Context, TellKind::Change, TellKind::ToolingAsset]),
    );
    let sched: Vec<&Tell> = tells
        .iter()
        .filter(|t| t.kind == TellKind::Schedule)
        .collect();
    f.flag(
        "context.schedule",
        !sched.is_empty(),
        sched
            .iter()
            .map(|t| t.path.clone())
            .take(3)
            .collect::<Vec<_>>()
            .join(", "),
    );
    let rec: Vec<&Tell> = tells
        .iter()
        .filter(|t| t.kind == TellKind::Recurrence)
        .collect();
    f.flag(
        "context.recurrence",
        !rec.is_empty(),
        rec.iter()
            .map(|t| t.path.clone())
            .take(3)
            .collect::<Vec<_>>()
            .join(", "),
    );
    f.flag("tells.any", !tells.is_empty(), "alert");
    if !tells.is_empty() {
        f.text(
            "tell_text",
            tells
                .iter()
                .map(|t| t.text.clone())
                .take(3)
                .collect::<Vec<_>>()
                .join("; "),
            tells
                .iter()
                .map(|t| t.path.clone())
                .take(3)
                .collect::<Vec<_>>()
                .join(", "),
        );
    }

    // Processes (Sigma field names across the alert's events).
    let image = f.field_values("Image").into_iter().next();
    let parent = f.field_values("ParentImage").into_iter().next();
    let cmd = f.field_values("CommandLine").into_iter().next();
    let puser = f.field_values("User").into_iter().next();
    if let Some((p, v)) = &image {
        f.text("image", v.clone(), p.clone());
        f.flag("proc.user_writable", USER_WRITABLE.is_match(v), p.clone());
    }
    if let Some((p, v)) = &parent {
        f.text("parent", v.clone(), p.clone());
    }
    let system = puser.as_ref().is_none_or(|(_, v)| {
        let l = v.to_ascii_lowercase();
        l.ends_with("\\system") || l == "system" || l.contains("nt authority")
    });
    // The parent's full path (a bare name proves nothing about where it runs from).
    let parent_full = ["ParentImage", "parent_process_path", "parent.executable"]
        .iter()
        .flat_map(|k| f.field_values(k))
        .find(|(_, v)| v.contains('\\'));
    let unsigned = f
        .field_values("parent_signature_status")
        .iter()
        .any(|(_, v)| v.to_ascii_lowercase().contains("unsigned"));
    if let Some((p, v)) = &parent_full {
        f.flag(
            "proc.parent_mgmt_agent",
            MGMT_AGENT.is_match(v.trim().trim_matches('"')) && system && !unsigned,
            p.clone(),
        );
    }
    if let Some((p, v)) = &cmd {
        f.text("cmdline", v.clone(), p.clone());
        // An updater: the program (or its parent) is the per-user Update.exe and the
        // command registers or runs that same Update.exe with --processStart.
        let updater = [image.as_ref(), parent_full.as_ref()]
            .into_iter()
            .flatten()
            .map(|(_, x)| x.trim().trim_matches('"').to_owned())
            .find(|x| UPDATER_IMAGE.is_match(x));
        let registers_itself = updater.as_ref().is_some_and(|u| {
            let l = v.to_ascii_lowercase();
            let u = u.to_ascii_lowercase();
            l.contains(&format!("{u}\" --processstart"))
                || l.contains(&format!("{u} --processstart"))
                || l.contains(&format!("{u}\\\" --processstart"))
        });
        f.flag("proc.software_updater", registers_itself, p.clone());
    }
    if let Some((p, v)) = &puser {
        f.text("proc_user", v.clone(), p.clone());
        let l = v.to_ascii_lowercase();
        f.flag(
            "proc.user_system",
            l.ends_with("\\system") || l == "system" || l.contains("nt authority"),
            p.clone(),
        );
    }

    // Mail.
    if let Some(p) = input.phishing {
        f.flag("mail.present", true, "mail analysis");
        let strong = p
            .signals
            .iter()
            .filter(|s| s.strength == SignalStrength::Strong)
            .count();
        let moderate = p
            .signals
            .iter()
            .filter(|s| s.strength == SignalStrength::Moderate)
            .count();
        f.num("mail.strong", strong as f64, "mail analysis");
        f.num("mail.moderate", moderate as f64, "mail analysis");
        f.flag(
            "mail.sanctioned_sender",
            p.signals.iter().any(|s| s.name == "sanctioned_bulk_sender"),
            "mail analysis",
        );
        f.flag(
            "mail.lookalike",
            p.signals.iter().any(|s| {
                matches!(
                    s.name.as_str(),
                    "lookalike_domain"
                        | "brand_in_subdomain"
                        | "punycode_domain"
                        | "display_name_brand_mismatch"
                )
            }),
            "mail analysis",
        );
        f.flag(
            "mail.auth_failed",
            p.signals.iter().any(|s| {
                matches!(
                    s.name.as_str(),
                    "no_aligned_authentication" | "dmarc_fail" | "composite_auth_fail"
                )
            }),
            "mail analysis",
        );
        f.flag(
            "mail.credential_lure",
            p.signals.iter().any(|s| {
                matches!(
                    s.name.as_str(),
                    "credential_harvest_path" | "recipient_in_url_fragment" | "brand_in_subdomain"
                )
            }),
            "mail analysis",
        );
        f.flag(
            "mail.qr",
            p.signals
                .iter()
                .any(|s| s.name.starts_with("attachment_qr")),
            "mail analysis",
        );
        if let Some(from) = &p.header_from {
            f.text("sender_domain", from.clone(), "mail analysis");
        }
        f.text("mail_summary", p.summary.clone(), "mail analysis");
        let names: Vec<String> = p
            .signals
            .iter()
            .filter(|s| s.strength != SignalStrength::Weak)
            .map(|s| s.name.clone())
            .collect();
        f.text("mail_signals", names.join(", "), "mail analysis");
    }
    for key in [
        "email_sender",
        "sender",
        "from",
        "email.from",
        "mail_from",
        "from_address",
        "initiated_by",
    ] {
        if let Some((p, v)) = f
            .field_values(key)
            .into_iter()
            .find(|(_, v)| v.contains('@'))
        {
            f.text("sender", v, p);
            break;
        }
    }
    f
}

impl Facts<'_> {
    /// Adds a detector's facts (bool, number or text by value type).
    pub fn merge(&mut self, detector: &str, values: Vec<(&str, Value, String)>) {
        for (name, v, source) in values {
            let full = format!("{detector}.{name}");
            match v {
                Value::Bool(b) => self.flag(&full, b, source),
                Value::Number(n) => self.num(&full, n.as_f64().unwrap_or(0.0), source),
                Value::String(s) => self.text(&full, s, source),
                Value::Null => {}
                other => self.text(&full, other.to_string(), source),
            }
        }
    }

    /// Sets a flag fact (present only when true).
    pub fn set_flag(&mut self, name: &str, on: bool, source: impl Into<String>) {
        if on {
            self.set(name, FactValue::Bool(true), source);
        } else {
            self.facts.remove(name);
        }
    }

    /// Sets a number fact.
    pub fn put_num(&mut self, name: &str, n: f64, source: impl Into<String>) {
        self.num(name, n, source);
    }

    /// Adds a plain text fact (used by detectors for template values).
    pub fn put_text(&mut self, name: &str, t: impl Into<String>, source: impl Into<String>) {
        self.text(name, t, source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(fields: &[(&str, &str)]) -> SigmaFact {
        SigmaFact {
            rule_id: String::new(),
            title: String::new(),
            level: "high".to_owned(),
            techniques: Vec::new(),
            evidence_id: String::new(),
            project: true,
            fields: fields
                .iter()
                .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn detections_join_on_shared_values_whatever_the_order() {
        let none = rule(&[]);
        let image = rule(&[("Image", "x.exe")]);
        let image_too = rule(&[("Image", "x.exe"), ("CommandLine", "x -a")]);
        let cmd = rule(&[("CommandLine", "x -a")]);
        let parent = rule(&[("ParentImage", "p.exe")]);
        for order in [
            vec![&none, &image, &image_too],
            vec![&image, &none, &image_too],
            vec![&image, &image_too, &none],
        ] {
            assert_eq!(independent_detections(&order), 1);
        }
        // Joined transitively: Image and CommandLine through the rule that reads both.
        assert_eq!(independent_detections(&[&image, &cmd, &image_too]), 1);
        assert_eq!(independent_detections(&[&image, &cmd]), 2);
        assert_eq!(independent_detections(&[&image, &parent, &none]), 2);
        assert_eq!(independent_detections(&[&none]), 1);
        assert_eq!(independent_detections(&[]), 0);
    }
}
