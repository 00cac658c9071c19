//! The pipeline: one alert in, one grounded investigation out.
//!
//! Every statement in the output is tied to an evidence entry produced by a step that ran
//! in this investigation: intel lookups (`source_tool` = the provider) and tier-0 playbooks
//! (`tier0.*`). Techniques come only from the playbooks' observations and are rewritten
//! from the ATT&CK catalog (names, tactics, revoked ids mapped); threat groups are computed
//! from those techniques. With model tiers configured ([`Pipeline::with_llm`]), the tier
//! policy sends what tier 0 is unsure of to tier 1 and on to tier 2, and the grounded model
//! answer replaces the model-owned fields; without them tier 0's answer stands, and
//! anything it does not recognise is `inconclusive` with an escalation to a human.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde_json::json;
use soc_core::alert::Limits;
use soc_core::assets::AssetInventory;
use soc_core::attack::catalog;
use soc_core::investigation::{
    ClosureDecision, Cost, Degradation, EvidenceLog, SCHEMA_VERSION, SigmaMatch, Telemetry,
    TierRecord,
};
use soc_core::ioc::{IocConfig, RejectReason, extract};
use soc_core::{Alert, Confidence, Investigation, Ioc, IocKind, Scope};
use soc_detect::draft::{DraftInput, render};
use soc_detect::phishing::MailInventory;
use soc_detect::sigma::RuleSet;
use soc_detect::{IntelFact, SigmaFact, TriageInput, triage};
use soc_intel::{CacheLevel, IntelError, IntelProvider, IntelRecord, Reputation};
use tracing::{debug, warn};

/// After this long between the recall and the verdict, the final correlation is read
/// again instead of being worked out from what the recall read.
const REREAD_CORRELATION_AFTER: Duration = Duration::from_secs(1);

use crate::tiers::{LlmTiers, ModelAnswer, Progress, TierContext};
use soc_history::HistoryStore;

/// The default extraction settings: the fingerprint's ([`soc_history::fingerprint`]). A
/// pipeline extracting with them gives the fingerprint its indicators instead of having
/// them extracted again.
static DEFAULT_IOC: LazyLock<IocConfig> = LazyLock::new(IocConfig::default);

/// The closure decision of an investigation the memory store failed to record: the
/// policy again, now that `degraded` names the store. Alerts that follow would not see
/// this one, so it is not closed unattended either.
fn refuse_unrecorded(inv: &mut Investigation) {
    if inv.closure.as_ref().is_some_and(|c| c.eligible) {
        let (eligible, reason) = crate::policy::should_auto_close(inv);
        inv.closure = Some(ClosureDecision { eligible, reason });
    }
}

fn history_degraded(degraded: &mut Vec<Degradation>, e: &soc_history::HistoryError) {
    warn!(error = %e, "history store failed");
    if !degraded.iter().any(|d| d.component == "history") {
        degraded.push(Degradation {
            component: "history".into(),
            reason: format!("history store failed: {e}; investigated without memory"),
        });
    }
}

/// Pipeline settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Indicator extraction settings (internal domain suffixes, cap).
    pub ioc: IocConfig,
    /// Alert limits.
    pub limits: Limits,
    /// Most indicators looked up in threat intel per alert (external IPs, domains and
    /// hashes, in the order found). Default 50.
    pub max_intel_lookups: usize,
    /// How many threat groups to report. Default 5.
    pub max_groups: usize,
    /// The operator's asset inventory (empty: nothing is sanctioned).
    pub assets: Arc<AssetInventory>,
    /// Correlation window on the alerts' own timestamps. Default 72 hours.
    pub correlation_window: std::time::Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            ioc: IocConfig::default(),
            limits: Limits::default(),
            max_intel_lookups: 50,
            max_groups: 5,
            assets: Arc::new(AssetInventory::empty()),
            correlation_window: soc_history::DEFAULT_WINDOW,
        }
    }
}

/// The investigation pipeline.
#[derive(Clone)]
pub struct Pipeline {
    cfg: PipelineConfig,
    providers: Vec<Arc<dyn IntelProvider>>,
    rules: Arc<RuleSet>,
    llm: Option<Arc<LlmTiers>>,
    history: Option<Arc<dyn HistoryStore>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("cfg", &self.cfg)
            .field(
                "providers",
                &self.providers.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Pipeline {
    /// A pipeline over the given providers.
    pub fn new(cfg: PipelineConfig, providers: Vec<Arc<dyn IntelProvider>>) -> Self {
        Self {
            cfg,
            providers,
            rules: Arc::new(RuleSet::embedded()),
            llm: None,
            history: None,
        }
    }

    /// Adds a history store: prior sightings and correlation for every alert, and every
    /// finished investigation remembered.
    #[must_use]
    pub fn with_history(mut self, store: Arc<dyn HistoryStore>) -> Self {
        self.history = Some(store);
        self
    }

    /// The history store, when there is one.
    pub fn history(&self) -> Option<&Arc<dyn HistoryStore>> {
        self.history.as_ref()
    }

    /// Adds the LLM tiers (ignored when no tier has a client).
    #[must_use]
    pub fn with_llm(mut self, tiers: LlmTiers) -> Self {
        self.llm = tiers.any_configured().then(|| Arc::new(tiers));
        self
    }

    /// The LLM tiers, when configured.
    pub fn llm(&self) -> Option<&LlmTiers> {
        self.llm.as_deref()
    }

    /// Replaces the Sigma rules (the default is the project's own rules, compiled in).
    #[must_use]
    pub fn with_rules(mut self, rules: Arc<RuleSet>) -> Self {
        self.rules = rules;
        self
    }

    /// The Sigma rules in use.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The embedded default: offline feeds, no key, no server, no LLM.
    pub fn embedded_default() -> Self {
        Self::new(
            PipelineConfig::default(),
            soc_intel::providers::build_default(),
        )
    }

    /// The settings.
    pub fn config(&self) -> &PipelineConfig {
        &self.cfg
    }

    /// Investigates one alert. Never fails: a step that cannot run is recorded in
    /// `degraded` and the investigation goes on without it.
    pub async fn investigate(&self, alert: &Alert) -> Investigation {
        self.investigate_with_progress(alert, None).await
    }

    /// [`Self::investigate`], calling `progress` on every model turn and tool call of the
    /// LLM tiers (a worker uses it to keep the message's ack deadline moving).
    pub async fn investigate_with_progress(
        &self,
        alert: &Alert,
        progress: Option<Progress>,
    ) -> Investigation {
        let started = Instant::now();
        let created_at = Utc::now();
        let mut degraded = Vec::new();
        let mut log = EvidenceLog::new();
        let mut cost = Cost::default();

        // 1. Indicators.
        let iocs = extract(alert, &self.cfg.ioc);
        if iocs.truncated {
            degraded.push(Degradation {
                component: "indicators".into(),
                reason: format!(
                    "extraction stopped at {} indicators",
                    self.cfg.ioc.max_indicators
                ),
            });
        }
        // Invalid declared values are the source's fault and worth a line; an import hash
        // declared among the file hashes was set aside on purpose and is not.
        let invalid: Vec<&(String, String, RejectReason)> = iocs
            .rejected
            .iter()
            .filter(|r| r.2 == RejectReason::NotAnIndicator)
            .collect();
        if let Some((value, path, _)) = invalid.first() {
            degraded.push(Degradation {
                component: "indicators".into(),
                reason: format!(
                    "{} declared value(s) are not valid indicators and were skipped (first: `{}` at {})",
                    invalid.len(),
                    soc_detect::triage::one_line(value, 60),
                    path
                ),
            });
        }

        // Near-duplicate suppression (before any lookup or model call): an equivalent
        // alert recently closed as a clean high-confidence false positive is reused.
        let fp = if self.cfg.ioc == *DEFAULT_IOC {
            soc_history::fingerprint_with(alert, &iocs)
        } else {
            soc_history::fingerprint(alert)
        };
        let subject = soc_history::Subject::from_alert(alert, &iocs);
        // Planted instructions in the alert (scanned once: dedup refuses on them, and they
        // are reported below).
        let alert_flags = soc_detect::injection::scan_alert(alert);
        if let Some(h) = &self.history
            && let Some(anchor) = self
                .reusable_anchor(h.as_ref(), &subject, &fp, !alert_flags.is_empty())
                .await
        {
            return self
                .suppressed(
                    h.as_ref(),
                    alert,
                    &subject,
                    &fp,
                    iocs,
                    anchor,
                    started,
                    created_at,
                )
                .await;
        }

        // 2. Threat intel on what can be looked up.
        let targets: Vec<&Ioc> = iocs
            .iter()
            .map(|f| &f.ioc)
            .filter(|i| lookup_worthy(i))
            .collect();
        if targets.len() > self.cfg.max_intel_lookups {
            degraded.push(Degradation {
                component: "intel".into(),
                reason: format!(
                    "{} indicators qualify for lookups; only the first {} were looked up",
                    targets.len(),
                    self.cfg.max_intel_lookups
                ),
            });
        }
        let pairs: Vec<(Ioc, Arc<dyn IntelProvider>)> = targets
            .into_iter()
            .take(self.cfg.max_intel_lookups)
            .flat_map(|ioc| {
                self.providers
                    .iter()
                    .filter(|p| p.supports(ioc.kind))
                    .map(|p| (ioc.clone(), p.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let tool_calls = u32::try_from(pairs.len()).unwrap_or(u32::MAX);
        // Concurrent lookups, results kept in a stable order (indicator, then provider).
        // Futures built before the first await: a lazy iterator adapter held across the await
        // trips the compiler's Send analysis in spawned tasks.
        let lookups: Vec<_> = pairs.into_iter().map(lookup_one).collect();
        let answers: Vec<(Ioc, Arc<dyn IntelProvider>, Result<_, IntelError>)> =
            futures::stream::iter(lookups).buffered(8).collect().await;
        let mut facts = Vec::new();
        let mut records = Vec::new();
        for (ioc, provider, answer) in answers {
            match answer {
                Ok((rec, prov)) => {
                    records.push(rec.clone());
                    match prov.level {
                        CacheLevel::L1 | CacheLevel::L2 => cost.cache_hits += 1,
                        CacheLevel::Upstream => {
                            *cost
                                .intel_calls
                                .entry(provider.name().to_owned())
                                .or_default() += 1
                        }
                        CacheLevel::Local => {}
                    }
                    facts.push(self.record_intel(&mut log, rec));
                }
                Err(e) => {
                    if !matches!(
                        e,
                        IntelError::QuotaExhausted { .. } | IntelError::CircuitOpen { .. }
                    ) {
                        *cost
                            .intel_calls
                            .entry(provider.name().to_owned())
                            .or_default() += 1;
                    }
                    warn!(provider = provider.name(), kind = %ioc.kind, error = %e, "intel lookup failed");
                    let id = log.push(
                        provider.name(),
                        format!("Lookup of {} in {} failed: {e}. Nothing is known from this source.", ioc.value, provider.name()),
                        json!({"error": e.to_string(), "indicator": ioc.value, "kind": ioc.kind.as_str()}),
                        Confidence::Low,
                        false,
                    );
                    let component = format!("intel.{}", provider.name());
                    if !degraded
                        .iter()
                        .any(|d: &Degradation| d.component == component)
                    {
                        degraded.push(Degradation {
                            component,
                            reason: format!("lookup failed: {e}"),
                        });
                    }
                    facts.push(IntelFact {
                        ioc: ioc.clone(),
                        tags: Vec::new(),
                        malicious: false,
                        suspicious: false,
                        success: false,
                        evidence_id: id,
                    });
                }
            }
        }

        // History: register the alert (so a related alert investigated at the same moment
        // sees it), then what the fleet saw before and what this alert is related to.
        let (prior_sightings, pre_correlation, recalled) = match &self.history {
            Some(h) => {
                self.recall(h.as_ref(), &subject, &mut log, &mut degraded)
                    .await
            }
            None => (Vec::new(), None, None),
        };
        let recalled_at = Instant::now();

        // 3. Sigma: which detection logic the alert's events satisfy, with the fields that
        // made each rule fire.
        let mut sigma_matches = Vec::new();
        let mut sigma_facts = Vec::new();
        // Built once: the rule match here and tier 0's facts both read them.
        let events = soc_detect::sigma::Event::from_alert(alert);
        for m in self.rules.match_events(&events) {
            let r = &m.rule;
            let level = r.level.clone().unwrap_or_else(|| "medium".to_owned());
            let fields: Vec<String> = m
                .fields
                .iter()
                .map(|(f, v)| format!("{f} = {}", soc_detect::triage::one_line(v, 160)))
                .collect();
            let confidence = match level.as_str() {
                "critical" | "high" => Confidence::High,
                "medium" => Confidence::Medium,
                _ => Confidence::Low,
            };
            let id = log.push(
                "sigma",
                format!(
                    "Sigma rule `{}` ({}, level {}{}) matched: {}.",
                    soc_detect::triage::one_line(&r.title, 160),
                    r.id,
                    level,
                    r.author.as_deref().map(|a| format!(", by {}", soc_detect::triage::one_line(a, 120))).unwrap_or_default(),
                    if fields.is_empty() { "the rule's conditions".to_owned() } else { fields.join("; ") }
                ),
                json!({"rule_id": r.id, "title": r.title, "level": level, "tags": r.tags, "author": r.author,
                       "logsource": {"product": r.logsource.product, "category": r.logsource.category, "service": r.logsource.service},
                       "fields": m.fields.iter().map(|(f, v)| json!({"field": f, "value": v})).collect::<Vec<_>>()}),
                confidence,
                true,
            );
            sigma_facts.push(SigmaFact {
                rule_id: r.id.clone(),
                title: r.title.clone(),
                level: level.clone(),
                techniques: r.attack_techniques(),
                evidence_id: id,
                project: r.author.as_deref() == Some("soc-copilot"),
                fields: m.fields,
            });
            sigma_matches.push(SigmaMatch {
                rule_id: r.id.clone(),
                title: r.title.clone(),
                level,
                tags: r.tags.clone(),
                author: r.author.clone(),
            });
        }

        // 4. Context: the inventory, the mail, planted instructions.
        let asset_matches = self.cfg.assets.match_alert(alert, &iocs);
        let mail_inventory = MailInventory::from_value(self.cfg.assets.mail_senders());
        let phishing = soc_detect::phishing::analyze(alert, &mail_inventory);
        let mut injection_flags = alert_flags;
        for p in &prior_sightings {
            soc_detect::injection::scan_value(
                &format!("memory:{}.title", p.alert_id),
                &serde_json::Value::String(p.title.clone()),
                &mut injection_flags,
            );
        }
        for r in records.iter().filter(|r| !r.raw.is_null()) {
            soc_detect::injection::scan_value(
                &format!("tool_output:{}", r.provider),
                &r.raw,
                &mut injection_flags,
            );
        }

        // 5. Tier 0.
        let tier0_started = Instant::now();
        let result = triage(
            &TriageInput {
                alert,
                iocs: &iocs,
                intel: &facts,
                sigma: &sigma_facts,
                events: &events,
                assets: &asset_matches,
                phishing: phishing.as_ref(),
                prior: &prior_sightings,
                correlation: pre_correlation.as_ref(),
            },
            &mut log,
        );
        let a = &result.assessment;
        debug!(family = %a.family, verdict = %a.verdict, confidence = %a.confidence, "tier 0 done");

        // 4. Techniques from the catalog; groups from the techniques.
        let cat = catalog();
        let mut techniques = Vec::new();
        for t in &a.techniques {
            match cat.technique_ref(&t.id, t.evidence_ids.clone()) {
                Some(r) => {
                    if !techniques
                        .iter()
                        .any(|x: &soc_core::investigation::TechniqueRef| x.id == r.id)
                    {
                        techniques.push(r);
                    }
                }
                None => degraded.push(Degradation {
                    component: "attack".into(),
                    reason: format!(
                        "technique `{}` is not in the ATT&CK {} catalog and was dropped",
                        t.id,
                        cat.version()
                    ),
                }),
            }
        }
        let attack_techniques: Vec<String> = techniques.iter().map(|t| t.id.clone()).collect();
        let associated_groups = cat.associated_groups(&attack_techniques, self.cfg.max_groups);

        // 5. Draft and report. With a model tier the draft waits for its outcome: an answer
        // brings its own (`apply_model`), and tier 0's is drawn only when tier 0's stands.
        let evidence = log.into_vec();
        let tier0_evidence = evidence.len();
        // Planted instructions always force human review; they never change the verdict.
        let escalate = a.escalate || !injection_flags.is_empty();
        let escalation_draft =
            (escalate && self.llm.is_none()).then(|| tier0_draft(alert, a, &evidence, &techniques));
        let tier0_ms = u64::try_from(tier0_started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let reason = match (result.recognised, self.llm.is_some()) {
            (true, false) => format!(
                "tier-0 playbook `{}` concluded {} ({} confidence) because {}; no LLM tier is configured, so tier 0's answer stands",
                a.family, a.verdict, a.confidence, a.why
            ),
            (true, true) => format!(
                "tier-0 playbook `{}` concluded {} ({} confidence) because {}",
                a.family, a.verdict, a.confidence, a.why
            ),
            (false, false) => "no tier-0 playbook recognised the alert and no LLM tier is configured: inconclusive, escalated to a human".to_owned(),
            (false, true) => "no tier-0 playbook recognised the alert: inconclusive".to_owned(),
        };
        let mut transcript = a.reasoning.clone();
        transcript.push(format!("Path: {reason}."));
        let duration = started.elapsed().as_secs_f64();
        if !injection_flags.is_empty() {
            transcript.push(format!(
                "{} suspected instruction(s) to the reader found in untrusted content ({}): human review forced, actions withheld, closure refused; the verdict is unchanged.",
                injection_flags.len(),
                injection_flags.iter().map(|f| f.location.as_str()).take(5).collect::<Vec<_>>().join(", ")
            ));
        }
        let mut inv = Investigation {
            schema_version: SCHEMA_VERSION.to_owned(),
            investigation_id: subject.investigation_id.clone(),
            alert_id: alert.alert_id.clone(),
            alert_fingerprint: fp.clone(),
            created_at,
            verdict: a.verdict,
            confidence: a.confidence,
            hypothesis: a.hypothesis.clone(),
            attack_techniques,
            techniques,
            indicators: iocs.to_vec(),
            evidence,
            suggested_pivots: a.pivots.clone(),
            sigma_matches,
            asset_matches,
            phishing,
            associated_groups,
            prior_sightings,
            correlation: pre_correlation,
            injection_flags,
            response_actions: Vec::new(),
            closure: None,
            escalation_recommended: escalate,
            escalation_draft,
            duplicate_of: None,
            reasoning_transcript: transcript.join("\n"),
            telemetry: Some(Telemetry {
                model: String::new(),
                tool_calls,
                duration_seconds: (duration * 100.0).round() / 100.0,
                routing: Some(reason.clone()),
                ..Telemetry::default()
            }),
            tiers: vec![TierRecord {
                tier: 0,
                model: None,
                verdict: a.verdict,
                confidence: a.confidence,
                reason,
                next_tier: None,
                duration_ms: tier0_ms,
            }],
            cost,
            degraded,
        };
        if let Some(llm) = &self.llm {
            let ctx = TierContext {
                alert,
                iocs: &iocs,
                providers: &self.providers,
                rules: &self.rules,
                ioc_cfg: &self.cfg.ioc,
                recognised: result.recognised,
                progress,
                history: self.history.as_deref().map(|h| (h, &subject)),
            };
            match llm.run(&mut inv, &ctx).await {
                Some(answer) => self.apply_model(&mut inv, alert, &a.headline, answer),
                // The model tiers only append evidence: tier 0's is the first part.
                None if escalate => {
                    let evidence = inv.evidence.get(..tier0_evidence).unwrap_or(&inv.evidence);
                    inv.escalation_draft = Some(tier0_draft(alert, a, evidence, &inv.techniques));
                }
                None => {}
            }
            if let Some(t) = inv.telemetry.as_mut() {
                let d = started.elapsed().as_secs_f64();
                t.duration_seconds = (d * 100.0).round() / 100.0;
                t.routing = inv.tiers.last().map(|r| r.reason.clone());
            }
        }
        // History after the verdict: correlation again with the final techniques (this one
        // is recorded), then the investigation is remembered. A verdict reached soon after
        // the recall is correlated over the candidates the recall read; a later one (a
        // model in the loop) reads again, so alerts registered meanwhile are linked. So
        // does a verdict that could close the alert on its own: a campaign must stop that,
        // including one whose other alerts began after this one's recall.
        let subject = subject.with_techniques(inv.attack_techniques.iter().cloned());
        let mut reused = false;
        if let Some(h) = &self.history {
            let from_recall = recalled
                .as_ref()
                .filter(|_| recalled_at.elapsed() < REREAD_CORRELATION_AFTER)
                .and_then(|r| r.correlation_for(&subject));
            match from_recall {
                Some(c) => {
                    inv.correlation = Some(c);
                    reused = true;
                }
                None => self.correlate_again(h.as_ref(), &subject, &mut inv).await,
            }
        }
        let (mut eligible, mut why) = crate::policy::should_auto_close(&inv);
        if eligible
            && reused
            && let Some(h) = &self.history
        {
            self.correlate_again(h.as_ref(), &subject, &mut inv).await;
            (eligible, why) = crate::policy::should_auto_close(&inv);
        }
        inv.response_actions = crate::actions::propose(&crate::actions::ActionInput {
            alert,
            iocs: &iocs,
            inv: &inv,
            intel: &records,
        });
        inv.closure = Some(ClosureDecision {
            eligible,
            reason: why,
        });
        if let Some(h) = &self.history
            && let Err(e) = h.record(&subject, &inv).await
        {
            history_degraded(&mut inv.degraded, &e);
            refuse_unrecorded(&mut inv);
        }
        inv
    }

    /// Reads the correlation of `subject` afresh into `inv`. A failed read is recorded in
    /// `degraded` and the correlation read before (at recall) is kept: a campaign the
    /// recall found must not vanish because the second read failed.
    async fn correlate_again(
        &self,
        h: &dyn HistoryStore,
        subject: &soc_history::Subject,
        inv: &mut Investigation,
    ) {
        match h.correlate(subject, self.cfg.correlation_window).await {
            Ok(c) => inv.correlation = Some(c),
            Err(e) => history_degraded(&mut inv.degraded, &e),
        }
    }

    /// The anchor to reuse, when the dedup gates allow it. While another worker holds the
    /// fingerprint's claim, waits (up to the claim's wait) for its verdict.
    async fn reusable_anchor(
        &self,
        h: &dyn HistoryStore,
        subject: &soc_history::Subject,
        fp: &str,
        injection: bool,
    ) -> Option<(soc_history::Summary, String)> {
        let deadline = Instant::now() + soc_history::HistorySettings::default().dedup.claim_wait;
        loop {
            match h.dedup(subject, fp, injection, Utc::now()).await {
                Ok(soc_history::Dedup::Reuse { anchor, reason, .. }) => {
                    return Some((anchor, reason));
                }
                Ok(soc_history::Dedup::Investigate { reason, .. }) => {
                    debug!(reason = %reason, "investigating (no reuse)");
                    return None;
                }
                Ok(soc_history::Dedup::Wait { retry_after, .. }) if Instant::now() < deadline => {
                    tokio::time::sleep(retry_after.min(std::time::Duration::from_secs(2))).await;
                }
                Ok(soc_history::Dedup::Wait { .. }) => return None,
                Err(e) => {
                    warn!(error = %e, "dedup check failed; investigating");
                    return None;
                }
            }
        }
    }

    /// The investigation of a near-duplicate: the anchor's verdict reused at no cost, said
    /// so in the hypothesis, `duplicate_of` set, and remembered like any other.
    #[allow(clippy::too_many_arguments)]
    async fn suppressed(
        &self,
        h: &dyn HistoryStore,
        alert: &Alert,
        subject: &soc_history::Subject,
        fp: &str,
        iocs: soc_core::ioc::IocSet,
        (anchor, reason): (soc_history::Summary, String),
        started: Instant,
        created_at: chrono::DateTime<Utc>,
    ) -> Investigation {
        let mut log = EvidenceLog::new();
        let mut degraded = Vec::new();
        let prior_sightings = match h.prior_sightings(subject).await {
            Ok(p) => p,
            Err(e) => {
                history_degraded(&mut degraded, &e);
                Vec::new()
            }
        };
        // An anchor without a verdict or confidence (a pending or damaged record) vouches
        // for nothing: the copy is inconclusive at low confidence, never a clean false
        // positive by default.
        let verdict = anchor.verdict.unwrap_or(soc_core::Verdict::Inconclusive);
        let confidence = match anchor.verdict {
            Some(_) => anchor.confidence.unwrap_or(Confidence::Low),
            None => Confidence::Low,
        };
        let id = log.push(
            "history",
            format!(
                "Near-duplicate of alert {} (investigation {}, {} at {} confidence): {reason}.",
                anchor.alert_id, anchor.investigation_id, verdict, confidence
            ),
            serde_json::to_value(&anchor).unwrap_or_default(),
            Confidence::High,
            true,
        );
        let cat = catalog();
        let techniques: Vec<_> = anchor
            .techniques
            .iter()
            .filter_map(|t| cat.technique_ref(t, vec![id.clone()]))
            .collect();
        let attack_techniques: Vec<String> = techniques.iter().map(|t| t.id.clone()).collect();
        let why = format!(
            "near-duplicate of investigation {} (alert {}), reused without a new investigation: {reason}",
            anchor.investigation_id, anchor.alert_id
        );
        let mut inv = Investigation {
            schema_version: SCHEMA_VERSION.to_owned(),
            investigation_id: subject.investigation_id.clone(),
            alert_id: alert.alert_id.clone(),
            alert_fingerprint: fp.to_owned(),
            created_at,
            verdict,
            confidence,
            hypothesis: soc_history::suppressed_hypothesis(&anchor, &reason),
            associated_groups: cat.associated_groups(&attack_techniques, self.cfg.max_groups),
            attack_techniques,
            techniques,
            indicators: iocs.to_vec(),
            evidence: log.into_vec(),
            suggested_pivots: Vec::new(),
            sigma_matches: Vec::new(),
            asset_matches: Vec::new(),
            phishing: None,
            prior_sightings,
            correlation: None,
            injection_flags: Vec::new(),
            response_actions: Vec::new(),
            closure: None,
            escalation_recommended: false,
            escalation_draft: None,
            duplicate_of: Some(anchor.investigation_id.clone()),
            reasoning_transcript: format!("Path: {why}."),
            telemetry: Some(Telemetry {
                model: anchor.model.clone(),
                duration_seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
                routing: Some(why.clone()),
                ..Telemetry::default()
            }),
            tiers: vec![TierRecord {
                tier: 0,
                model: None,
                verdict,
                confidence,
                reason: why,
                next_tier: None,
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }],
            cost: Cost::default(),
            degraded,
        };
        if inv.verdict != soc_core::Verdict::FalsePositive {
            // A reused conclusion other than a false positive (an anchor without a
            // verdict) is not one to act on unattended: a human decides.
            inv.escalation_recommended = true;
            inv.escalation_draft = Some(render(&DraftInput {
                alert,
                headline: &alert.title,
                verdict: inv.verdict,
                confidence: inv.confidence,
                hypothesis: &inv.hypothesis,
                evidence: &inv.evidence,
                techniques: &inv.techniques,
                pivots: &inv.suggested_pivots,
            }));
        }
        let (mut eligible, mut why) = crate::policy::should_auto_close(&inv);
        if eligible && let Some(refused) = &anchor.closure_refused {
            // The copy knows less than its anchor did (no correlation of its own): what
            // kept the anchor's alert open keeps this one open.
            eligible = false;
            why = format!(
                "the investigation reused ({}) could not close its alert: {refused}",
                anchor.investigation_id
            );
        }
        inv.closure = Some(ClosureDecision {
            eligible,
            reason: why,
        });
        if let Err(e) = h.record(subject, &inv).await {
            history_degraded(&mut inv.degraded, &e);
            refuse_unrecorded(&mut inv);
        }
        inv
    }

    /// Registers the subject and reads its prior sightings and correlation, each recorded
    /// as evidence (`history`). A store that fails is recorded in `degraded`; the
    /// investigation goes on without memory.
    async fn recall(
        &self,
        h: &dyn HistoryStore,
        subject: &soc_history::Subject,
        log: &mut EvidenceLog,
        degraded: &mut Vec<Degradation>,
    ) -> (
        Vec<soc_core::investigation::PriorSighting>,
        Option<soc_core::investigation::Correlation>,
        Option<soc_history::Recalled>,
    ) {
        let (priors, recalled, kept) = match h
            .begin_and_recall(subject, self.cfg.correlation_window)
            .await
        {
            Ok(mut r) => (
                std::mem::take(&mut r.priors),
                Some(r.correlation.clone()),
                Some(r),
            ),
            Err(e) => {
                history_degraded(degraded, &e);
                (Vec::new(), None, None)
            }
        };
        for p in priors.iter().take(5) {
            let ruled = match (&p.human_verdict, &p.human_summary) {
                (Some(v), Some(s)) => format!(
                    " An analyst ruled it {v}: \"{}\".",
                    soc_detect::triage::one_line(s, 160)
                ),
                (Some(v), None) => format!(" An analyst ruled it {v}."),
                _ => String::new(),
            };
            log.push(
                "history",
                format!(
                    "Prior sighting: alert {} ({}, {}) was investigated as {} ({} confidence) and shares {}.{ruled}",
                    p.alert_id,
                    soc_detect::triage::one_line(&p.title, 120),
                    p.timestamp.format("%Y-%m-%d %H:%M UTC"),
                    p.verdict,
                    p.confidence,
                    p.matched_iocs.join(", "),
                ),
                serde_json::to_value(p).unwrap_or_default(),
                Confidence::Medium,
                true,
            );
        }
        let correlation = match recalled {
            Some(c) => {
                if !c.related_alerts.is_empty() {
                    let links: Vec<String> = c
                        .related_alerts
                        .iter()
                        .take(5)
                        .map(|r| {
                            format!("{} ({}; {})", r.alert_id, r.verdict, r.signals.join(", "))
                        })
                        .collect();
                    log.push(
                        "history",
                        format!("{} Related: {}.", c.summary, links.join("; ")),
                        serde_json::to_value(&c).unwrap_or_default(),
                        if c.is_campaign {
                            Confidence::High
                        } else {
                            Confidence::Medium
                        },
                        true,
                    );
                }
                Some(c)
            }
            None => None,
        };
        (priors, correlation, kept)
    }

    /// Puts a grounded model answer into the model-owned fields, under the safety rules
    /// of [`crate::tiers::settle`].
    fn apply_model(&self, inv: &mut Investigation, alert: &Alert, headline: &str, m: ModelAnswer) {
        let tier0_verdict = inv.tiers.first().map_or(inv.verdict, |t| t.verdict);
        let ans = m.grounded.answer;
        let settled = crate::tiers::settle(
            tier0_verdict,
            !inv.injection_flags.is_empty(),
            ans.verdict.unwrap_or(soc_core::Verdict::Inconclusive),
            ans.confidence.unwrap_or(Confidence::Low),
            ans.escalation_recommended,
        );
        let mut notes = vec![format!(
            "Tier {} ({}) answered {} ({} confidence).",
            m.tier,
            m.model,
            ans.verdict.map_or("nothing usable", |v| v.as_str()),
            ans.confidence.unwrap_or(Confidence::Low)
        )];
        if let Some(r) = &m.repaired {
            notes.push(format!(
                "Repair turn: the first answer lost {} part(s) to grounding: {}.",
                r.len(),
                r.iter()
                    .map(ToString::to_string)
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if !m.grounded.removed.is_empty() {
            notes.push(format!(
                "Grounding removed from the final answer: {}.",
                m.grounded
                    .removed
                    .iter()
                    .map(ToString::to_string)
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if let Some(c) = &m.grounded.capped {
            notes.push(format!("Grounding: {c}."));
        }
        if let Some(o) = &settled.overruled {
            notes.push(format!("Overruled: {o}."));
        }
        inv.verdict = settled.verdict;
        inv.confidence = settled.confidence;
        if !ans.hypothesis.trim().is_empty() {
            inv.hypothesis = ans.hypothesis.clone();
        }
        // Techniques: tier 0's observations stay (code-backed); the model's grounded ids are
        // added, pointing at the evidence it cited. A false positive shows none.
        let cat = catalog();
        if settled.verdict == soc_core::Verdict::FalsePositive {
            inv.techniques.clear();
        } else {
            for id in &ans.attack_techniques {
                if inv.techniques.iter().any(|t| &t.id == id) {
                    continue;
                }
                if let Some(r) = cat.technique_ref(id, ans.evidence_ids.clone()) {
                    inv.techniques.push(r);
                }
            }
        }
        inv.attack_techniques = inv.techniques.iter().map(|t| t.id.clone()).collect();
        inv.associated_groups = cat.associated_groups(&inv.attack_techniques, self.cfg.max_groups);
        inv.suggested_pivots =
            crate::tiers::merge_pivots(&ans.suggested_pivots, &inv.suggested_pivots);
        inv.escalation_recommended = settled.escalate;
        inv.escalation_draft = if settled.escalate {
            Some(ans.escalation_draft.clone().unwrap_or_else(|| {
                render(&DraftInput {
                    alert,
                    headline,
                    verdict: inv.verdict,
                    confidence: inv.confidence,
                    hypothesis: &inv.hypothesis,
                    evidence: &inv.evidence,
                    techniques: &inv.techniques,
                    pivots: &inv.suggested_pivots,
                })
            }))
        } else {
            None
        };
        inv.reasoning_transcript.push('\n');
        inv.reasoning_transcript.push_str(&notes.join("\n"));
    }

    fn record_intel(&self, log: &mut EvidenceLog, rec: IntelRecord) -> IntelFact {
        let id = log.push(
            rec.provider,
            rec.claim.clone(),
            rec.raw.clone(),
            rec.confidence,
            true,
        );
        IntelFact {
            ioc: rec.ioc,
            tags: rec.tags,
            malicious: rec.reputation == Reputation::Malicious,
            suspicious: rec.reputation == Reputation::Suspicious,
            success: true,
            evidence_id: id,
        }
    }
}

async fn lookup_one(
    (ioc, p): (Ioc, Arc<dyn IntelProvider>),
) -> (
    Ioc,
    Arc<dyn IntelProvider>,
    Result<(IntelRecord, soc_intel::Provenance), IntelError>,
) {
    let r = p.lookup_with_provenance(&ioc).await;
    (ioc, p, r)
}

/// Indicators worth asking threat intel about: external network indicators and hashes.
/// Internal and reserved addresses and names are never sent anywhere.
pub(crate) fn lookup_worthy(ioc: &Ioc) -> bool {
    match ioc.kind {
        IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Domain => ioc.scope == Some(Scope::External),
        IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 => true,
        IocKind::Url | IocKind::Email | IocKind::User | IocKind::Host => false,
    }
}

/// Tier 0's escalation draft: its own findings first, then intel hits, then the rest.
fn tier0_draft(
    alert: &Alert,
    a: &soc_detect::Assessment,
    evidence: &[soc_core::investigation::Evidence],
    techniques: &[soc_core::investigation::TechniqueRef],
) -> String {
    let mut ordered: Vec<_> = evidence
        .iter()
        .filter(|e| e.source_tool.starts_with("tier0."))
        .cloned()
        .collect();
    ordered.extend(
        evidence
            .iter()
            .filter(|e| !e.source_tool.starts_with("tier0.") && e.confidence > Confidence::Low)
            .cloned(),
    );
    render(&DraftInput {
        alert,
        headline: &a.headline,
        verdict: a.verdict,
        confidence: a.confidence,
        hypothesis: &a.hypothesis,
        evidence: &ordered,
        techniques,
        pivots: &a.pivots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_core::alert::Format;

    fn alert(raw: &serde_json::Value) -> Alert {
        Alert::from_value(
            json!({"alert_id": "P-1", "timestamp": "2026-04-19T03:14:22Z", "source": "siem", "severity": "high",
                   "title": "Multiple failed SSH authentications", "raw_log": raw.clone()}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn an_ipv4_mapped_tor_exit_is_still_found_in_the_feed() {
        let a = alert(
            &json!({"event_type": "auth_failure", "source_ip": "::ffff:185.220.101.47", "failed_attempts": 300}),
        );
        let inv = Pipeline::embedded_default().investigate(&a).await;
        assert!(
            inv.evidence.iter().any(
                |e| e.source_tool == "offline_feeds" && e.claim.contains("Tor exit relay list")
            ),
            "{:#?}",
            inv.evidence
        );
        assert_eq!(inv.confidence, Confidence::High);
    }

    #[tokio::test]
    async fn an_invalid_declared_value_is_named_but_a_declared_import_hash_is_not_a_degradation() {
        let imphash = "94F3EFC2A1B2C3D4E5F60718293A4B5C";
        let a = Alert::from_value(
            json!({"alert_id": "P-2", "timestamp": "2026-04-19T03:14:22Z", "source": "edr", "severity": "high",
                   "title": "Process creation",
                   "raw_log": {"event_data": {"Image": "C:\\Tools\\x.exe", "Hashes": format!("SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08,IMPHASH={imphash}")}},
                   "indicators": {"hashes": [imphash]}}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap();
        let inv = Pipeline::embedded_default().investigate(&a).await;
        assert!(
            !inv.indicators
                .iter()
                .any(|f| f.ioc.value.eq_ignore_ascii_case(imphash)),
            "{:?}",
            inv.indicators
        );
        assert!(
            inv.degraded.iter().all(|d| d.component != "indicators"),
            "{:?}",
            inv.degraded
        );

        let a = Alert::from_value(
            json!({"alert_id": "P-3", "timestamp": "2026-04-19T03:14:22Z", "source": "siem", "severity": "high",
                   "title": "x", "raw_log": {"note": "n"}, "indicators": {"ips": ["not-an-ip"]}}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap();
        let inv = Pipeline::embedded_default().investigate(&a).await;
        let line = inv
            .degraded
            .iter()
            .find(|d| d.component == "indicators")
            .map(|d| d.reason.clone())
            .unwrap_or_default();
        assert!(
            line.contains("(first: `not-an-ip` at indicators.ips[0])"),
            "{line}"
        );
    }

    #[tokio::test]
    async fn internal_addresses_are_never_looked_up() {
        let a = alert(
            &json!({"event_type": "auth_failure", "source_ip": "10.1.2.3", "failed_attempts": 300}),
        );
        let inv = Pipeline::embedded_default().investigate(&a).await;
        assert!(inv.cost.intel_calls.is_empty(), "{:?}", inv.cost);
        assert!(
            inv.evidence
                .iter()
                .all(|e| e.source_tool != "offline_feeds")
        );
    }

    #[tokio::test]
    async fn every_technique_points_at_existing_evidence_and_groups_are_grounded() {
        let a = alert(
            &json!({"event_type": "auth_failure", "source_ip": "45.1.2.3", "failed_attempts": 300, "successful_logins": 2}),
        );
        let inv = Pipeline::embedded_default().investigate(&a).await;
        assert_eq!(inv.attack_techniques, ["T1110", "T1078"]);
        for t in &inv.techniques {
            for id in &t.evidence_ids {
                assert!(inv.evidence.iter().any(|e| &e.id == id), "dangling {id}");
            }
        }
        for g in &inv.associated_groups {
            assert!(
                g.matched_techniques
                    .iter()
                    .all(|m| inv.attack_techniques.contains(m)),
                "{g:?}"
            );
        }
        assert_eq!(inv.tiers.len(), 1);
        assert!(
            inv.escalation_draft
                .as_deref()
                .is_some_and(|d| d.contains("45.1.2.3"))
        );
    }
}
