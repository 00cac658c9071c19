//! The investigation: soc-copilot's output, schema version 1.
//!
//! Every field of the reference system's `Investigation` keeps its name and meaning, so its
//! consumers can switch without rewriting anything. Added fields: `schema_version`,
//! `investigation_id`, `alert_fingerprint`, `created_at`, `evidence[].id`, `techniques`
//! (the detail behind `attack_techniques`, each technique tied to the evidence that shows
//! it), `indicators` (what was extracted and how it was scoped), `tiers` (the path taken),
//! `cost`, and `degraded` (what was missing and why).
//!
//! Which fields code owns and which a model may write is decided in soc-investigate; the
//! types here only describe the shape. `schemas/investigation.v1.json` is generated from
//! them (see [`crate::schema`]).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ioc::FoundIoc;

/// The schema version this crate writes.
pub const SCHEMA_VERSION: &str = "1";

/// The conclusion about an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Malicious or unauthorised activity.
    TruePositive,
    /// The detection fired but nothing attack-like happened, or the activity is sanctioned.
    FalsePositive,
    /// The evidence does not decide it; a human must.
    Inconclusive,
}

impl Verdict {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TruePositive => "true_positive",
            Self::FalsePositive => "false_positive",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "true_positive" => Some(Self::TruePositive),
            "false_positive" => Some(Self::FalsePositive),
            "inconclusive" => Some(Self::Inconclusive),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a conclusion or a piece of evidence is. Ordered low < medium < high.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Confidence {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            _ => None,
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fact a tool established, with the tool's output behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Stable id within the investigation (`ev-1`, `ev-2`, ...); techniques and pivots
    /// refer to it.
    pub id: String,
    /// The tool or component that produced it (`offline_feeds`, `tier0.brute_force`, ...).
    pub source_tool: String,
    /// The fact, in one sentence naming the indicator or field it is about.
    pub claim: String,
    /// What the tool returned (or `{"error": ...}` when it failed).
    pub raw_data: serde_json::Value,
    /// How much weight the fact carries.
    pub confidence: Confidence,
    /// False when the lookup failed: the fact is then the absence of an answer.
    #[serde(default = "default_true")]
    pub success: bool,
}

fn default_true() -> bool {
    true
}

/// A next step for an analyst.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pivot {
    /// What to do, with the alert's own indicators filled in.
    pub action: String,
    /// Why it matters.
    pub rationale: String,
    /// How urgent it is.
    pub priority: Confidence,
}

/// An ATT&CK technique the evidence shows, with its catalog details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TechniqueRef {
    /// ATT&CK id (`T1110`, `T1566.001`).
    pub id: String,
    /// Name from the catalog (sub-techniques as `Parent: Sub`).
    pub name: String,
    /// Tactic short names from the catalog (`credential-access`).
    pub tactics: Vec<String>,
    /// Ids of the evidence entries that show it.
    pub evidence_ids: Vec<String>,
    /// When the id given was revoked in the catalog: the id it replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
}

/// A threat group known to use some of the investigation's techniques.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupMatch {
    /// Group name.
    pub group: String,
    /// ATT&CK group id (`G0007`).
    #[serde(default)]
    pub group_id: String,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The investigation's techniques (or their parents) this group uses.
    pub matched_techniques: Vec<String>,
    /// `matched_techniques.len()`.
    pub overlap_count: usize,
}

/// A Sigma rule that matched the alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SigmaMatch {
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule level.
    #[serde(default = "default_level")]
    pub level: String,
    /// Rule tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Rule author (DRL 1.1 attribution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

fn default_level() -> String {
    "medium".to_owned()
}

/// Kind of inventoried entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetEntityType {
    /// An IP address.
    Ip,
    /// A host.
    Host,
    /// A service account.
    ServiceAccount,
    /// A SaaS application (OAuth client).
    SaasApp,
}

/// An entity of the alert found in the operator's asset inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AssetMatch {
    /// The identifier as seen in the alert.
    pub entity: String,
    /// What kind of entity it is.
    pub entity_type: AssetEntityType,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Sanctioned role.
    pub role: String,
    /// Owning team.
    #[serde(default)]
    pub owner: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// What the inventory says this entity is expected to do.
    #[serde(default)]
    pub expected_activity: Vec<String>,
}

/// An earlier investigation sharing an exact indicator with this alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PriorSighting {
    /// The earlier alert.
    pub alert_id: String,
    /// The earlier alert's own time.
    pub timestamp: DateTime<Utc>,
    /// Its verdict.
    pub verdict: String,
    /// Its confidence.
    pub confidence: String,
    /// Its title.
    pub title: String,
    /// Indicators in common, sorted.
    pub matched_iocs: Vec<String>,
    /// The analyst's ruling, when there is one (it outranks the verdict).
    #[serde(default)]
    pub human_verdict: Option<String>,
    /// The analyst's note.
    #[serde(default)]
    pub human_summary: Option<String>,
}

/// An alert related to this one within the correlation window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RelatedAlert {
    /// The related alert.
    pub alert_id: String,
    /// Its own time.
    pub timestamp: DateTime<Utc>,
    /// Its verdict.
    pub verdict: String,
    /// Why it is related: `shared_ioc:<v>`, `related_ip:<ip>/24`, `shared_host:<h>`,
    /// `shared_technique:<T>`.
    pub signals: Vec<String>,
}

/// Correlation with recent alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Correlation {
    /// Two or more related prior alerts.
    pub is_campaign: bool,
    /// Window, in hours, on the alerts' own timestamps.
    pub window_hours: u32,
    /// Related alerts, newest first.
    #[serde(default)]
    pub related_alerts: Vec<RelatedAlert>,
    /// One-line summary.
    pub summary: String,
}

/// A suspected instruction-injection attempt in untrusted content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InjectionFlag {
    /// Where (`title`, `raw_log.a.b[0]`, `tool_output:<tool>.…`).
    pub location: String,
    /// Which pattern.
    pub pattern: String,
    /// The text around the match.
    pub excerpt: String,
}

/// Strength of a phishing signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalStrength {
    /// Strong.
    Strong,
    /// Moderate.
    Moderate,
    /// Weak.
    Weak,
}

/// One phishing signal, with its fact and its innocent explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhishingSignal {
    /// Stable signal id.
    pub name: String,
    /// Strength.
    pub strength: SignalStrength,
    /// The fact, naming the identifier.
    pub fact: String,
    /// A benign cause that would also explain it.
    #[serde(default)]
    pub benign_cause: Option<String>,
}

/// Mail analysis of an alert that carries mail material.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhishingAnalysis {
    /// `From:` address domain.
    #[serde(default)]
    pub header_from: Option<String>,
    /// Envelope sender.
    #[serde(default)]
    pub envelope_from: Option<String>,
    /// DKIM signing domain.
    #[serde(default)]
    pub dkim_domain: Option<String>,
    /// SPF result.
    #[serde(default)]
    pub spf_result: Option<String>,
    /// DKIM result.
    #[serde(default)]
    pub dkim_result: Option<String>,
    /// DMARC result.
    #[serde(default)]
    pub dmarc_result: Option<String>,
    /// SPF aligned with `From:` (None: not computable).
    #[serde(default)]
    pub spf_aligned: Option<bool>,
    /// DKIM aligned with `From:` (None: not computable).
    #[serde(default)]
    pub dkim_aligned: Option<bool>,
    /// ARC headers present.
    #[serde(default)]
    pub arc_present: bool,
    /// URLs examined.
    #[serde(default)]
    pub urls_examined: Vec<String>,
    /// Attachments examined.
    #[serde(default)]
    pub attachments_examined: Vec<String>,
    /// Signals found.
    #[serde(default)]
    pub signals: Vec<PhishingSignal>,
    /// Summary.
    #[serde(default)]
    pub summary: String,
}

/// A response action kind.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Block an IP address.
    BlockIp,
    /// Block a domain.
    BlockDomain,
    /// Block a file hash.
    BlockHash,
    /// Disable an account.
    DisableAccount,
    /// Reset an account's credentials.
    ResetCredentials,
    /// Isolate a host.
    IsolateHost,
    /// Quarantine mail from a sender.
    QuarantineEmail,
    /// Revoke an OAuth grant.
    RevokeOauthGrant,
}

/// Whether an action may go ahead.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Proposed.
    Proposed,
    /// Needs an owner's approval (inventoried target).
    NeedsApproval,
    /// Withheld, with the reason in the rationale.
    Withheld,
}

/// What an action is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionBasis {
    /// Threat-intel reputation.
    Reputation,
    /// An observed technique.
    Technique,
    /// Deterministic analysis (mail).
    Analysis,
}

/// A response action, computed by code from the verdict and the evidence; never written
/// by a model and never executed by soc-copilot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResponseAction {
    /// Kind.
    pub action: ActionKind,
    /// Target.
    pub target: String,
    /// Status.
    pub status: ActionStatus,
    /// Basis.
    pub basis: ActionBasis,
    /// Why.
    pub rationale: String,
    /// Source tools of the evidence behind it.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Inventory owner of the target.
    #[serde(default)]
    pub owner: Option<String>,
    /// Inventory role of the target.
    #[serde(default)]
    pub inventory_role: Option<String>,
}

/// Run statistics in the reference system's shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Telemetry {
    /// The model that wrote the final answer (empty for tier 0).
    #[serde(default)]
    pub model: String,
    /// Input tokens, summed across calls.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens, summed across calls.
    #[serde(default)]
    pub output_tokens: u64,
    /// LLM API calls.
    #[serde(default)]
    pub api_calls: u32,
    /// Tool calls (intel lookups and other tools).
    #[serde(default)]
    pub tool_calls: u32,
    /// Retries and correction turns.
    #[serde(default)]
    pub retries: u32,
    /// Wall time, seconds (2 decimals).
    #[serde(default)]
    pub duration_seconds: f64,
    /// LLM spend, USD (6 decimals).
    #[serde(default)]
    pub cost_usd: f64,
    /// The routing decision, in words.
    #[serde(default)]
    pub routing: Option<String>,
}

/// One tier on the path an investigation took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TierRecord {
    /// 0 triage, 1 cheap model, 2 strong model.
    pub tier: u8,
    /// The model, for LLM tiers.
    #[serde(default)]
    pub model: Option<String>,
    /// This tier's verdict.
    pub verdict: Verdict,
    /// This tier's confidence.
    pub confidence: Confidence,
    /// Why the path stopped here or went on.
    pub reason: String,
    /// The tier the tier policy sent the alert to after this one, when it sent it on
    /// (`reason` says why). A later record of that tier or a higher one shows it answered;
    /// none means the policy's required tier never did, and nothing may close the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_tier: Option<u8>,
    /// Wall time spent in this tier, milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
}

/// Tokens by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenUsage {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
}

/// What the investigation cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cost {
    /// LLM calls made.
    pub llm_calls: u32,
    /// Tokens by kind.
    pub tokens: TokenUsage,
    /// LLM spend in USD at list prices.
    pub usd: f64,
    /// True when a model without a configured price was used (`usd` then undercounts).
    pub unpriced: bool,
    /// Intel lookups that reached a provider, by provider.
    pub intel_calls: BTreeMap<String, u32>,
    /// Intel lookups answered from a cache.
    pub cache_hits: u32,
}

/// Whether the investigation may close its alert without a human, and why (or why not).
/// Computed by code; nothing acts on it yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClosureDecision {
    /// True when every closure condition holds.
    pub eligible: bool,
    /// The deciding condition.
    pub reason: String,
}

/// Something the investigation had to do without.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Degradation {
    /// The component (`intel.virustotal`, `llm.tier1`, `indicators`).
    pub component: String,
    /// What was missing and why.
    pub reason: String,
}

/// The investigation report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Investigation {
    /// Always `"1"` for this version.
    pub schema_version: String,
    /// Unique id of this investigation (UUIDv7, time-ordered).
    pub investigation_id: String,
    /// The alert investigated.
    pub alert_id: String,
    /// Content fingerprint of the alert (source, severity, title, host, indicators).
    pub alert_fingerprint: String,
    /// When the investigation was produced.
    pub created_at: DateTime<Utc>,
    /// The conclusion.
    pub verdict: Verdict,
    /// How sure.
    pub confidence: Confidence,
    /// What is believed to have happened, in a few sentences.
    pub hypothesis: String,
    /// ATT&CK ids of the techniques the evidence shows (observed, not anticipated).
    #[serde(default)]
    pub attack_techniques: Vec<String>,
    /// Detail of `attack_techniques`.
    #[serde(default)]
    pub techniques: Vec<TechniqueRef>,
    /// Indicators extracted from the alert, normalised and scoped.
    #[serde(default)]
    pub indicators: Vec<FoundIoc>,
    /// Facts established by tools, each with its source.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Next steps.
    #[serde(default)]
    pub suggested_pivots: Vec<Pivot>,
    /// Sigma rules that matched.
    #[serde(default)]
    pub sigma_matches: Vec<SigmaMatch>,
    /// Inventory entries for the alert's entities.
    #[serde(default)]
    pub asset_matches: Vec<AssetMatch>,
    /// Mail analysis; absent when the alert carries no mail material (not "clean").
    #[serde(default)]
    pub phishing: Option<PhishingAnalysis>,
    /// Threat groups using the techniques (top 5 by overlap).
    #[serde(default)]
    pub associated_groups: Vec<GroupMatch>,
    /// Earlier investigations sharing an indicator.
    #[serde(default)]
    pub prior_sightings: Vec<PriorSighting>,
    /// Correlation with recent alerts.
    #[serde(default)]
    pub correlation: Option<Correlation>,
    /// Suspected injection attempts.
    #[serde(default)]
    pub injection_flags: Vec<InjectionFlag>,
    /// Computed response actions.
    #[serde(default)]
    pub response_actions: Vec<ResponseAction>,
    /// The autonomous-closure decision.
    #[serde(default)]
    pub closure: Option<ClosureDecision>,
    /// Whether a human should take this up now.
    pub escalation_recommended: bool,
    /// A message a human can send.
    #[serde(default)]
    pub escalation_draft: Option<String>,
    /// The investigation whose conclusion was reused, for a suppressed near-duplicate.
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// How the conclusion was reached.
    #[serde(default)]
    pub reasoning_transcript: String,
    /// Run statistics (reference shape).
    #[serde(default)]
    pub telemetry: Option<Telemetry>,
    /// The tiers the investigation went through.
    #[serde(default)]
    pub tiers: Vec<TierRecord>,
    /// What it cost.
    #[serde(default)]
    pub cost: Cost,
    /// What was missing and why.
    #[serde(default)]
    pub degraded: Vec<Degradation>,
}

/// Collects evidence entries and hands out their ids (`ev-1`, `ev-2`, ...), so every
/// technique and pivot can point at the facts behind it.
#[derive(Debug, Clone, Default)]
pub struct EvidenceLog {
    items: Vec<Evidence>,
}

impl EvidenceLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a fact and returns its id.
    pub fn push(
        &mut self,
        source_tool: impl Into<String>,
        claim: impl Into<String>,
        raw_data: serde_json::Value,
        confidence: Confidence,
        success: bool,
    ) -> String {
        let id = format!("ev-{}", self.items.len() + 1);
        self.items.push(Evidence {
            id: id.clone(),
            source_tool: source_tool.into(),
            claim: claim.into(),
            raw_data,
            confidence,
            success,
        });
        id
    }

    /// The entries so far.
    pub fn items(&self) -> &[Evidence] {
        &self.items
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Evidence> {
        self.items.iter().find(|e| e.id == id)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The entries, consuming the log.
    pub fn into_vec(self) -> Vec<Evidence> {
        self.items
    }
}
