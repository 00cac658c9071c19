//! What is stored per investigation ([`Summary`]) and per analyst ruling ([`Ruling`]),
//! and the key names both stores use.
//!
//! A summary is a compact record, not the report: the fields correlation, prior sightings
//! and dedup need, each bounded ([`Summary::bounded`]), typically 400–700 bytes of JSON
//! (up to about 1.3 KB for a record a near-duplicate may reuse: it keeps a hypothesis
//! excerpt).
//!
//! Keys (relative to the store's prefix, `soc:` by default):
//!
//! | key | holds |
//! |---|---|
//! | `inv:{investigation_id}` | the summary (JSON) |
//! | `ruling:{investigation_id}` | the analyst ruling (JSON) |
//! | `ioc:{kind}:{value}` | investigation ids sharing an indicator, scored by alert time (ms; no later than the investigation's start plus `future_skew`, [`Summary::index_score`]) |
//! | `host:{host}` | investigation ids on a host, same scoring |
//! | `net24:{a.b.c}` | investigation ids with an IPv4 address in `a.b.c.0/24`, same scoring |
//! | `fp:{fingerprint}` | real (not suppressed) investigations of alerts with this near-duplicate fingerprint, scored by completion time (ms): the dedup anchors |
//! | `fpdup:{fingerprint}` | suppressed near-duplicates of this fingerprint, same scoring: the reuse cap |
//! | `fpruled:{fingerprint}` | investigations of this fingerprint carrying an analyst ruling, scored by ruling time (Redis only; the memory store looks rulings up directly) |
//! | `worked:{alert_id}` | real investigations of alerts with this id (of any source: the gate keeps those of the alert's own source), scored by completion time: the already-worked guard |
//! | `fplock:{fingerprint}` | the fleet-wide claim on a fingerprint (Redis string, `PX`): who investigates it now |

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use soc_core::{Confidence, Investigation, Severity, Verdict};

use crate::subject::{
    MAX_HOST_LEN, MAX_HOSTS, MAX_INDICATOR_LEN, MAX_INDICATORS, Subject, ipv4_values,
    normalise_techniques,
};

/// Longest title kept (bytes).
pub const MAX_TITLE_LEN: usize = 200;
/// Longest source, id or fingerprint kept (bytes).
pub const MAX_SHORT_LEN: usize = 128;
/// Longest ruling summary kept (bytes).
pub const MAX_RULING_SUMMARY_LEN: usize = 2000;
/// Characters of an anchor's hypothesis kept for the suppressed copies that reuse it
/// (the reference's `HYPOTHESIS_EXCERPT`).
pub const MAX_HYPOTHESIS_CHARS: usize = 600;

/// The stored record of one investigation: written pending by
/// [`crate::HistoryStore::begin`], completed by [`crate::HistoryStore::record`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The alert.
    pub alert_id: String,
    /// The investigation.
    pub investigation_id: String,
    /// The alert's own time.
    pub timestamp: DateTime<Utc>,
    /// When the investigation started (the `begin` call, or `record` without one).
    pub begun_at: DateTime<Utc>,
    /// When it was completed (recorded by the store, not the investigation's own
    /// `created_at`, which is when it started); `None` while it is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigated_at: Option<DateTime<Utc>>,
    /// Alert title (at most [`MAX_TITLE_LEN`] bytes).
    pub title: String,
    /// Alert source.
    pub source: String,
    /// Alert severity.
    pub severity: Severity,
    /// Host names, lower case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Indicators as `kind:value` (`kind:#digest` for long values); the IPv4 list is the
    /// `ipv4:` entries ([`Summary::ipv4s`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// ATT&CK technique ids of the completed investigation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    /// The copilot's verdict; `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The copilot's confidence; `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Whether escalation was recommended.
    #[serde(default, skip_serializing_if = "is_false")]
    pub escalation: bool,
    /// The alert's near-duplicate fingerprint (empty while pending).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
    /// The investigation reused, for a suppressed near-duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// How many injection flags the investigation raised.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub injection_flags: u32,
    /// Whether any lookup failed (an evidence entry with `success: false`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed_lookup: bool,
    /// The model that wrote the final answer (empty for tier 0), kept only for a record a
    /// near-duplicate may reuse ([`Summary::reusable`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    /// The first [`MAX_HYPOTHESIS_CHARS`] characters of the hypothesis, kept only for a
    /// record a near-duplicate may reuse ([`Summary::reusable`]): the suppressed copy quotes
    /// it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hypothesis: String,
    /// What the investigation paid for models, in millionths of a USD (what a reuse saves).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub cost_micro_usd: u64,
    /// Why the investigation could not close its alert unattended (its closure decision's
    /// reason, at most [`MAX_HYPOTHESIS_CHARS`] characters), kept only for a record a
    /// near-duplicate may reuse: a copy of an alert that needed a human needs one too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure_refused: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
fn is_false(b: &bool) -> bool {
    !*b
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Summary {
    /// The pending record of a subject whose investigation starts now.
    pub fn pending(s: &Subject, now: DateTime<Utc>) -> Self {
        Self {
            alert_id: s.alert_id.clone(),
            investigation_id: s.investigation_id.clone(),
            timestamp: s.timestamp,
            begun_at: now,
            investigated_at: None,
            title: s.title.clone(),
            source: s.source.clone(),
            severity: s.severity,
            hosts: s.normalised_hosts(),
            indicators: s.indicator_forms().into_iter().map(|(f, _)| f).collect(),
            techniques: s.normalised_techniques(),
            verdict: None,
            confidence: None,
            escalation: false,
            fingerprint: String::new(),
            duplicate_of: None,
            injection_flags: 0,
            failed_lookup: false,
            model: String::new(),
            hypothesis: String::new(),
            cost_micro_usd: 0,
            closure_refused: None,
        }
        .bounded()
    }

    /// The completed record of `inv`, an investigation of `s`, begun at `begun_at` and
    /// finished at `completed_at` (when the store records it: `inv.created_at` is when
    /// the investigation *started*, and a slow investigation must not rank behind a fast
    /// one that began later). Techniques come from the investigation (the subject's when
    /// it has none).
    pub fn completed(
        s: &Subject,
        inv: &Investigation,
        begun_at: DateTime<Utc>,
        completed_at: DateTime<Utc>,
    ) -> Self {
        let mut techniques = normalise_techniques(&inv.attack_techniques);
        if techniques.is_empty() {
            techniques = s.normalised_techniques();
        }
        let mut summary = Self {
            alert_id: s.alert_id.clone(),
            investigation_id: inv.investigation_id.clone(),
            timestamp: s.timestamp,
            begun_at,
            investigated_at: Some(completed_at),
            title: s.title.clone(),
            source: s.source.clone(),
            severity: s.severity,
            hosts: s.normalised_hosts(),
            indicators: s.indicator_forms().into_iter().map(|(f, _)| f).collect(),
            techniques,
            verdict: Some(inv.verdict),
            confidence: Some(inv.confidence),
            escalation: inv.escalation_recommended,
            fingerprint: inv.alert_fingerprint.clone(),
            duplicate_of: inv.duplicate_of.clone(),
            injection_flags: u32::try_from(inv.injection_flags.len()).unwrap_or(u32::MAX),
            failed_lookup: inv.evidence.iter().any(|e| !e.success),
            model: String::new(),
            hypothesis: String::new(),
            // Saturating float-to-int: NaN and negatives become 0.
            cost_micro_usd: (inv.cost.usd * 1e6).round() as u64,
            closure_refused: None,
        };
        // Only a record a near-duplicate may reuse carries what the copy quotes.
        if summary.reusable() {
            summary.model = inv
                .telemetry
                .as_ref()
                .map(|t| t.model.clone())
                .unwrap_or_default();
            summary.hypothesis = inv.hypothesis.chars().take(MAX_HYPOTHESIS_CHARS).collect();
            summary.closure_refused = inv
                .closure
                .as_ref()
                .filter(|c| !c.eligible)
                .map(|c| c.reason.chars().take(MAX_HYPOTHESIS_CHARS).collect());
        }
        summary.bounded()
    }

    /// True for a completed, real (not suppressed) high-confidence false positive with no
    /// escalation, no injection flag and no failed lookup: the only kind of investigation
    /// whose conclusion a near-duplicate may reuse (the anchor gates of
    /// [`crate::dedup`], before analyst rulings).
    pub fn reusable(&self) -> bool {
        !self.is_pending()
            && self.duplicate_of.is_none()
            && self.verdict == Some(Verdict::FalsePositive)
            && self.confidence == Some(Confidence::High)
            && !self.escalation
            && self.injection_flags == 0
            && !self.failed_lookup
    }

    /// True for a suppressed near-duplicate (it reused another investigation).
    pub fn is_suppressed(&self) -> bool {
        self.duplicate_of.is_some()
    }

    /// The dedup index keys (relative) of a completed record, each with its score (the
    /// completion time, ms): `fp:` or `fpdup:` for its fingerprint (when it has one) and,
    /// for a real investigation, `worked:` for its alert. Empty while pending.
    pub fn dedup_keys(&self) -> Vec<(String, i64)> {
        let Some(at) = self.investigated_at.filter(|_| !self.is_pending()) else {
            return Vec::new();
        };
        let score = at.timestamp_millis();
        let mut keys = Vec::with_capacity(2);
        if !self.fingerprint.is_empty() {
            if self.is_suppressed() {
                keys.push((fpdup_key(&self.fingerprint), score));
            } else {
                keys.push((fp_key(&self.fingerprint), score));
            }
        }
        if !self.is_suppressed() {
            keys.push((worked_key(&self.alert_id), score));
        }
        keys
    }

    /// True when this is a record of the alert `s` is about: the same alert id from the
    /// same source (alert ids are only unique within a source: alert `1` of the EDR is not
    /// alert `1` of the SIEM).
    pub fn is_alert_of(&self, s: &Subject) -> bool {
        self.alert_id == s.alert_id && self.source == truncated(&s.source, MAX_SHORT_LEN)
    }

    /// The alert this record is about, for grouping records per alert: (source, alert id).
    pub(crate) fn alert_key(&self) -> (&str, &str) {
        (self.source.as_str(), self.alert_id.as_str())
    }

    /// True while the investigation has not been recorded.
    pub fn is_pending(&self) -> bool {
        self.investigated_at.is_none() || self.verdict.is_none()
    }

    /// The verdict as a string, `pending` while there is none.
    pub fn verdict_str(&self) -> &'static str {
        self.verdict.map_or("pending", Verdict::as_str)
    }

    /// The IPv4 addresses among the indicators.
    pub fn ipv4s(&self) -> Vec<&str> {
        ipv4_values(self.indicators.iter().map(String::as_str))
    }

    /// The score of this record's entries in the `ioc:`, `host:` and `net24:` indexes
    /// (ms): the alert's own time, but no later than the start of the investigation plus
    /// `future_skew` ([`crate::HistorySettings::future_skew`]). A function of the record
    /// alone, so every write of it gives the same score.
    pub fn index_score(&self, future_skew: std::time::Duration) -> i64 {
        clamped_time(self.timestamp, self.begun_at, future_skew)
    }

    /// When this record was last written: completion time, else start time.
    pub(crate) fn written_at(&self) -> DateTime<Utc> {
        self.investigated_at.unwrap_or(self.begun_at)
    }

    /// The index keys (relative) this record is listed under.
    pub fn index_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.indicators.iter().map(|f| ioc_key(f)).collect();
        keys.extend(self.hosts.iter().map(|h| host_key(h)));
        for ip in self.ipv4s() {
            if let Some(k) = net24_key(ip)
                && !keys.contains(&k)
            {
                keys.push(k);
            }
        }
        keys
    }

    /// The same record with every string and list within its cap (titles and ids cut at a
    /// character boundary; over-long indicators and hosts dropped, since a cut value
    /// could match a different one).
    #[must_use]
    pub fn bounded(mut self) -> Self {
        truncate(&mut self.alert_id, MAX_SHORT_LEN);
        truncate(&mut self.investigation_id, MAX_SHORT_LEN);
        truncate(&mut self.title, MAX_TITLE_LEN);
        truncate(&mut self.source, MAX_SHORT_LEN);
        truncate(&mut self.fingerprint, MAX_SHORT_LEN);
        if let Some(d) = &mut self.duplicate_of {
            truncate(d, MAX_SHORT_LEN);
        }
        truncate(&mut self.model, MAX_SHORT_LEN);
        if let Some((cut, _)) = self.hypothesis.char_indices().nth(MAX_HYPOTHESIS_CHARS) {
            self.hypothesis.truncate(cut);
        }
        if let Some(r) = &mut self.closure_refused
            && let Some((cut, _)) = r.char_indices().nth(MAX_HYPOTHESIS_CHARS)
        {
            r.truncate(cut);
        }
        self.hosts
            .retain(|h| !h.is_empty() && h.len() <= MAX_HOST_LEN);
        self.hosts.truncate(MAX_HOSTS);
        // `kind:` + a value within the limit.
        self.indicators
            .retain(|f| !f.is_empty() && f.len() <= MAX_INDICATOR_LEN + 17);
        self.indicators.truncate(MAX_INDICATORS);
        self.techniques = normalise_techniques(&self.techniques);
        self
    }
}

/// An analyst's ruling on an investigation. It outranks the copilot's verdict wherever
/// both are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruling {
    /// The analyst's verdict.
    pub verdict: Verdict,
    /// The analyst's note (at most [`MAX_RULING_SUMMARY_LEN`] bytes).
    #[serde(default)]
    pub summary: String,
    /// Who ruled (at most [`MAX_SHORT_LEN`] bytes).
    #[serde(default)]
    pub analyst: String,
    /// When the ruling was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl Ruling {
    /// A ruling recorded now.
    pub fn new(verdict: Verdict, summary: impl Into<String>, analyst: impl Into<String>) -> Self {
        Self {
            verdict,
            summary: summary.into(),
            analyst: analyst.into(),
            recorded_at: Utc::now(),
        }
        .bounded()
    }

    /// The same ruling with its strings within their caps.
    #[must_use]
    pub fn bounded(mut self) -> Self {
        truncate(&mut self.summary, MAX_RULING_SUMMARY_LEN);
        truncate(&mut self.analyst, MAX_SHORT_LEN);
        self
    }
}

/// `t` in ms, no later than `now` + `skew` (see [`Summary::index_score`]).
pub(crate) fn clamped_time(t: DateTime<Utc>, now: DateTime<Utc>, skew: std::time::Duration) -> i64 {
    let skew = i64::try_from(skew.as_millis()).unwrap_or(i64::MAX);
    t.timestamp_millis()
        .min(now.timestamp_millis().saturating_add(skew))
}

/// Cuts `s` to at most `max` bytes at a character boundary.
pub(crate) fn truncate(s: &mut String, max: usize) {
    let n = truncated(s, max).len();
    s.truncate(n);
}

/// The longest prefix of `s` of at most `max` bytes that ends at a character boundary
/// (what [`truncate`] keeps).
pub(crate) fn truncated(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// The parts joined, allocated once (keys are built for every candidate of every
/// lookup; `format!` cost several times as much).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `ioc:{kind}:{value}` for a stored indicator form.
pub(crate) fn ioc_key(form: &str) -> String {
    concat(&["ioc:", form])
}

/// `host:{h}`.
pub(crate) fn host_key(host: &str) -> String {
    concat(&["host:", host])
}

/// `net24:{a.b.c}` for an IPv4 address, `None` when it is not one.
pub(crate) fn net24_key(ip: &str) -> Option<String> {
    net24(ip).map(|n| concat(&["net24:", &n]))
}

/// `a.b.c` of `a.b.c.d`.
pub(crate) fn net24(ip: &str) -> Option<String> {
    let addr: Ipv4Addr = ip.parse().ok()?;
    let [a, b, c, _] = addr.octets();
    Some(format!("{a}.{b}.{c}"))
}

/// `inv:{id}`.
pub(crate) fn inv_key(id: &str) -> String {
    concat(&["inv:", id])
}

/// `ruling:{id}`.
pub(crate) fn ruling_key(id: &str) -> String {
    concat(&["ruling:", id])
}

/// `fp:{fingerprint}`: real investigations, the dedup anchors.
pub(crate) fn fp_key(fp: &str) -> String {
    concat(&["fp:", fp])
}

/// `fpdup:{fingerprint}`: suppressed near-duplicates.
pub(crate) fn fpdup_key(fp: &str) -> String {
    concat(&["fpdup:", fp])
}

/// `fpruled:{fingerprint}`: ruled investigations of a fingerprint.
pub(crate) fn fpruled_key(fp: &str) -> String {
    concat(&["fpruled:", fp])
}

/// `fplock:{fingerprint}`: the fleet-wide claim on a fingerprint.
pub(crate) fn fplock_key(fp: &str) -> String {
    concat(&["fplock:", fp])
}

/// `worked:{alert_id}`: real investigations of an alert.
pub(crate) fn worked_key(alert_id: &str) -> String {
    concat(&["worked:", alert_id])
}

/// Every relative key a subject is listed under.
pub(crate) fn subject_index_keys(s: &Subject) -> IndexKeys {
    let forms = s.indicator_forms();
    let iocs: Vec<String> = forms.iter().map(|(f, _)| ioc_key(f)).collect();
    let hosts: Vec<String> = s.normalised_hosts().iter().map(|h| host_key(h)).collect();
    let mut nets: Vec<String> = Vec::new();
    for ip in ipv4_values(forms.iter().map(|(f, _)| f.as_str())) {
        if let Some(k) = net24_key(ip)
            && !nets.contains(&k)
        {
            nets.push(k);
        }
    }
    IndexKeys { iocs, hosts, nets }
}

/// The index keys of a subject, by signal.
#[derive(Debug, Clone, Default)]
pub(crate) struct IndexKeys {
    /// `ioc:` keys.
    pub(crate) iocs: Vec<String>,
    /// `host:` keys.
    pub(crate) hosts: Vec<String>,
    /// `net24:` keys.
    pub(crate) nets: Vec<String>,
}

impl IndexKeys {
    /// All of them.
    pub(crate) fn all(&self) -> Vec<String> {
        self.iocs
            .iter()
            .chain(&self.hosts)
            .chain(&self.nets)
            .cloned()
            .collect()
    }
}
