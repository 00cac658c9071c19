//! Running the model tiers over a tier-0 investigation.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use soc_core::investigation::{Degradation, TierRecord};
use soc_core::ioc::{IocConfig, IocSet};
use soc_core::{Alert, Investigation, Verdict};
use soc_detect::sigma::RuleSet;
use soc_intel::IntelProvider;
use soc_llm::clients::TierClient;
use soc_llm::{ContentBlock, LlmError, LlmRequest, Message, StopReason};
use tracing::{debug, warn};

use super::policy::{self, Next, Standing};
use super::{LlmTiers, Progress, tools};
use crate::ground::{Answer, Grounded, Grounds, Removal, ground, parse_answer, repair_request};
use crate::prompt::{Fence, Tier0View, case_message};

/// What the model tiers need besides the investigation.
#[derive(Clone)]
pub struct TierContext<'a> {
    /// The alert.
    pub alert: &'a Alert,
    /// Its indicators.
    pub iocs: &'a IocSet,
    /// Threat-intel providers for the tier-2 lookup tool.
    pub providers: &'a [Arc<dyn IntelProvider>],
    /// The Sigma rules in use.
    pub rules: &'a RuleSet,
    /// Indicator settings.
    pub ioc_cfg: &'a IocConfig,
    /// A tier-0 playbook recognised the alert.
    pub recognised: bool,
    /// Called on every model turn and tool call.
    pub progress: Option<Progress>,
    /// The fleet's memory, for the history tool (with the alert as history sees it).
    pub history: Option<(&'a dyn soc_history::HistoryStore, &'a soc_history::Subject)>,
}

/// The answer of the last model tier that produced one.
#[derive(Debug, Clone)]
pub struct ModelAnswer {
    /// 1 or 2.
    pub tier: u8,
    /// The model.
    pub model: String,
    /// The grounded answer; `removed` lists what grounding took out (after the repair
    /// turn, when there was one).
    pub grounded: Grounded,
    /// What the first answer lost and was sent back for repair, when a repair turn ran.
    pub repaired: Option<Vec<Removal>>,
}

/// A model tier that produced no usable answer.
#[derive(Debug, thiserror::Error)]
enum TierError {
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("no readable answer after {0} correction turn(s): {1}")]
    Unreadable(u32, String),
    #[error("the model stopped without an answer ({0})")]
    Stopped(String),
    #[error("no final answer within {0} turns")]
    OutOfTurns(u32),
}

/// Tool calls run so far in one tier-2 investigation.
#[derive(Debug, Default)]
struct ToolBudget {
    tool_calls: u32,
    lookups: u32,
}

#[derive(Debug, Default)]
struct Acct {
    calls: u32,
    retries: u32,
    tool_calls: u32,
    total: soc_llm::CostTotal,
}

impl Acct {
    fn add(&mut self, r: &soc_llm::LlmResponse) {
        self.calls += 1;
        self.retries += r.attempts.saturating_sub(1);
        self.total.add(&r.usage, &r.cost);
    }
}

impl LlmTiers {
    /// Runs the tiers the policy calls for over `inv` (a finished tier-0 investigation),
    /// records each step in `inv.tiers`, cost and telemetry, and returns the last model
    /// answer, if any. Never fails: a tier that cannot answer is recorded in `degraded`
    /// and the previous tier's answer stands.
    pub async fn run(&self, inv: &mut Investigation, ctx: &TierContext<'_>) -> Option<ModelAnswer> {
        let t0 = standing(inv, ctx, ctx.recognised);
        let mut next = self.reachable(policy::after_tier0(self.mode, &self.thresholds, &t0), inv);
        let mut answer: Option<ModelAnswer> = None;
        let mut acct = Acct::default();
        let mut last_model = String::new();
        if let Some(r) = inv.tiers.first_mut() {
            r.reason = format!("{}; next: {}", r.reason, next_reason(&next));
            r.next_tier = next_tier(&next);
        }
        loop {
            match next {
                Next::Stop(_) => break,
                Next::Tier1(_) => {
                    // `reachable` sends a tier 1 without a client elsewhere.
                    let Some(c) = self.clients.cheap.as_ref() else {
                        break;
                    };
                    last_model.clone_from(&c.model);
                    let started = Instant::now();
                    match self.tier1(c, inv, ctx, &mut acct).await {
                        Ok(a) => {
                            let s = self.model_standing(inv, ctx, &a, &t0);
                            next = policy::after_tier1(self.mode, &s, Some(&t0));
                            record(
                                inv,
                                1,
                                &c.model,
                                &s,
                                format!("tier 1 answered; next: {}", next_reason(&next)),
                                started,
                            );
                            set_next(inv, &next);
                            answer = Some(a);
                        }
                        Err(e) => {
                            warn!(error = %e, model = %c.model, "tier 1 failed");
                            degrade(inv, "llm.tier1", &e);
                            next = if self.mode == policy::Mode::Pipeline
                                || self.clients.strong.is_none()
                            {
                                Next::Stop("tier 1 failed".into())
                            } else {
                                Next::Tier2("tier 1 failed".into())
                            };
                            let s = t0;
                            record(
                                inv,
                                1,
                                &c.model,
                                &s,
                                format!(
                                    "tier 1 failed ({e}); the previous answer stands; next: {}",
                                    next_reason(&next)
                                ),
                                started,
                            );
                            set_next(inv, &next);
                        }
                    }
                }
                Next::Tier2(_) => {
                    let Some(c) = self.clients.strong.as_ref() else {
                        let prev = answer.as_ref().map_or(0, |a| a.tier);
                        if let Some(r) = inv.tiers.last_mut() {
                            r.reason.push_str(&format!(
                                "; no strong model is configured, so tier {prev}'s answer stands"
                            ));
                        }
                        break;
                    };
                    last_model.clone_from(&c.model);
                    let started = Instant::now();
                    match self.tier2(c, inv, ctx, &mut acct).await {
                        Ok(a) => {
                            let s = self.model_standing(inv, ctx, &a, &t0);
                            record(
                                inv,
                                2,
                                &c.model,
                                &s,
                                "tier 2 answered after its tool loop".into(),
                                started,
                            );
                            answer = Some(a);
                        }
                        Err(e) => {
                            warn!(error = %e, model = %c.model, "tier 2 failed");
                            degrade(inv, "llm.tier2", &e);
                            let prev = answer.as_ref().map_or(0, |a| a.tier);
                            let s = match &answer {
                                Some(a) => self.model_standing(inv, ctx, a, &t0),
                                None => t0,
                            };
                            record(
                                inv,
                                2,
                                &c.model,
                                &s,
                                format!("tier 2 failed ({e}); tier {prev}'s answer stands"),
                                started,
                            );
                        }
                    }
                    break;
                }
            }
        }
        // Cost and telemetry of every model call.
        if acct.calls > 0 {
            inv.cost.llm_calls += acct.calls;
            let u = acct.total.usage;
            inv.cost.tokens.input += u.input;
            inv.cost.tokens.output += u.output;
            inv.cost.tokens.cache_read += u.cache_read;
            inv.cost.tokens.cache_write += u.cache_write;
            inv.cost.usd += acct.total.usd;
            inv.cost.unpriced |= acct.total.unpriced;
            if let Some(t) = inv.telemetry.as_mut() {
                t.model = last_model;
                t.input_tokens += u.total_input();
                t.output_tokens += u.output;
                t.api_calls += acct.calls;
                t.tool_calls += acct.tool_calls;
                t.retries += acct.retries;
                t.cost_usd += acct.total.usd;
            }
        }
        answer
    }

    /// The step `next` names, given the clients that exist. A tier 1 without a cheap
    /// model goes to tier 2 when auto mode has a strong one (a stronger tier answers). A
    /// tier the run cannot reach otherwise (pipeline mode's tier 1, agentic mode's tier 2,
    /// or tier 1 with no model at all) is recorded in `degraded` (`llm.tier1` /
    /// `llm.tier2`) and the step becomes a stop that says why, so no tier record claims a
    /// next tier that never runs. Auto mode's tier 2 without a strong model stays as it
    /// is: the documented set-up where the record says `next: tier 2`, then that no strong
    /// model is configured, and closure is refused for it.
    fn reachable(&self, next: Next, inv: &mut Investigation) -> Next {
        let (tier, why, model) = match next {
            Next::Tier1(why) if self.clients.cheap.is_none() => {
                if self.mode != policy::Mode::Pipeline && self.clients.strong.is_some() {
                    return Next::Tier2(format!(
                        "{why}; no cheap model is configured, so the strong one takes it"
                    ));
                }
                (1, why, "cheap")
            }
            Next::Tier2(why)
                if self.clients.strong.is_none() && self.mode == policy::Mode::Agentic =>
            {
                (2, why, "strong")
            }
            n => return n,
        };
        let skipped =
            format!("tier {tier} was required ({why}) but no {model} model is configured");
        warn!(tier, mode = self.mode.as_str(), "{skipped}");
        inv.degraded.push(Degradation {
            component: format!("llm.tier{tier}"),
            reason: skipped.clone(),
        });
        Next::Stop(format!("{skipped}; the last tier's answer stands"))
    }

    fn model_standing(
        &self,
        inv: &Investigation,
        ctx: &TierContext<'_>,
        a: &ModelAnswer,
        t0: &Standing,
    ) -> Standing {
        let ans = &a.grounded.answer;
        let settled = super::settle(
            t0.verdict,
            !inv.injection_flags.is_empty(),
            ans.verdict.unwrap_or(Verdict::Inconclusive),
            ans.confidence.unwrap_or(soc_core::Confidence::Low),
            ans.escalation_recommended,
        );
        Standing {
            recognised: true,
            verdict: settled.verdict,
            confidence: settled.confidence,
            escalate: settled.escalate,
            ..standing(inv, ctx, true)
        }
    }

    async fn tier1(
        &self,
        c: &TierClient,
        inv: &Investigation,
        ctx: &TierContext<'_>,
        acct: &mut Acct,
    ) -> Result<ModelAnswer, TierError> {
        let (fence, first, grounds) = self.case(inv, ctx);
        let mut req = c.request();
        req.system = Some(self.prompts.pipeline_system());
        req.system_suffix = Some(fence.note());
        req.max_tokens = self.limits.tier1_max_tokens;
        req.temperature = Some(0.0);
        req.messages.push(Message::user(first));
        let mut conv = Conversation::new(self.limits.max_corrections);
        loop {
            if let Some(cb) = &ctx.progress {
                cb();
            }
            let resp = c.client.complete(&req).await?;
            acct.add(&resp);
            push_assistant(&mut req, &resp);
            match conv.on_text(&resp.stop_reason, &resp.text(), &grounds) {
                Step::Done(g, repaired) => {
                    return Ok(ModelAnswer {
                        tier: 1,
                        model: c.model.clone(),
                        grounded: g,
                        repaired,
                    });
                }
                Step::Ask(text) => req.messages.push(Message::user(text)),
                Step::Fail(e) => return Err(e),
            }
        }
    }

    async fn tier2(
        &self,
        c: &TierClient,
        inv: &mut Investigation,
        ctx: &TierContext<'_>,
        acct: &mut Acct,
    ) -> Result<ModelAnswer, TierError> {
        let (fence, first, mut grounds) = self.case(inv, ctx);
        let mut req = c.request();
        req.system = Some(self.prompts.agentic_system(self.limits.max_iterations));
        req.system_suffix = Some(fence.note());
        req.max_tokens = self.limits.tier2_max_tokens;
        req.temperature = Some(0.0);
        req.tools = tools::definitions();
        req.messages.push(Message::user(first));
        let mut conv = Conversation::new(self.limits.max_corrections);
        let mut budget = ToolBudget::default();
        for _ in 0..self.limits.max_iterations {
            if let Some(cb) = &ctx.progress {
                cb();
            }
            let resp = c.client.complete(&req).await?;
            acct.add(&resp);
            let step = if resp.stop_reason == StopReason::MaxTokens && resp.has_tool_calls() {
                // Cut off while calling tools: the calls may be incomplete and are not
                // run. Every tool call needs a result in the next message, so they are
                // left out of the history rather than answered by a plain correction.
                push_assistant_without_tool_calls(&mut req, &resp);
                Some(conv.cut_off_tool_calls())
            } else {
                push_assistant(&mut req, &resp);
                (!resp.has_tool_calls())
                    .then(|| conv.on_text(&resp.stop_reason, &resp.text(), &grounds))
            };
            if let Some(step) = step {
                match step {
                    Step::Done(g, repaired) => {
                        return Ok(ModelAnswer {
                            tier: 2,
                            model: c.model.clone(),
                            grounded: g,
                            repaired,
                        });
                    }
                    Step::Ask(text) => req.messages.push(Message::user(text)),
                    Step::Fail(e) => return Err(e),
                }
                continue;
            }
            let mut results = Vec::new();
            let mut done = None;
            for block in &resp.content {
                match block {
                    ContentBlock::ToolUse { id, name, input } if name == tools::FINAL_ANSWER => {
                        match conv.on_object(input, &grounds) {
                            Step::Done(g, repaired) => {
                                done = Some((g, repaired));
                                results.push(ContentBlock::tool_result(id.clone(), "accepted"));
                            }
                            Step::Ask(text) => {
                                results.push(ContentBlock::tool_error(id.clone(), text))
                            }
                            Step::Fail(e) => return Err(e),
                        }
                    }
                    ContentBlock::ToolUse { id, .. }
                        if budget.tool_calls >= self.limits.max_tool_calls =>
                    {
                        results.push(ContentBlock::tool_error(
                            id.clone(),
                            format!(
                                "not run: the budget of {} tool calls for this investigation is spent; give your final answer",
                                self.limits.max_tool_calls
                            ),
                        ));
                    }
                    ContentBlock::ToolUse { id, name, .. }
                        if name == tools::LOOKUP && budget.lookups >= self.limits.max_lookups =>
                    {
                        results.push(ContentBlock::tool_error(
                            id.clone(),
                            format!(
                                "not run: the budget of {} indicator lookups for this investigation is spent; use what you have",
                                self.limits.max_lookups
                            ),
                        ));
                    }
                    ContentBlock::ToolUse { id, name, input } => {
                        acct.tool_calls += 1;
                        budget.tool_calls += 1;
                        if name == tools::LOOKUP {
                            budget.lookups += 1;
                        }
                        debug!(tool = %name, "tier-2 tool call");
                        match tools::call(
                            name,
                            input,
                            ctx,
                            inv,
                            &mut grounds,
                            &fence,
                            self.limits.max_tool_result_chars,
                        )
                        .await
                        {
                            Ok(out) => results.push(ContentBlock::tool_result(id.clone(), out)),
                            Err(e) => results.push(ContentBlock::tool_error(id.clone(), e)),
                        }
                    }
                    other => {
                        if let Some(r) = other.invalid_tool_use_result() {
                            results.push(r);
                        }
                    }
                }
            }
            if let Some((g, repaired)) = done {
                return Ok(ModelAnswer {
                    tier: 2,
                    model: c.model.clone(),
                    grounded: g,
                    repaired,
                });
            }
            req.messages.push(Message::tool_results(results));
        }
        conv.fallback()
            .ok_or(TierError::OutOfTurns(self.limits.max_iterations))
            .map(|(g, repaired)| ModelAnswer {
                tier: 2,
                model: c.model.clone(),
                grounded: g,
                repaired,
            })
    }

    /// The fence, the case message and the grounds of a model conversation; the alert and
    /// each evidence item's raw data are serialised once for all three.
    fn case(&self, inv: &Investigation, ctx: &TierContext<'_>) -> (Fence, String, Grounds) {
        let alert_text = soc_core::json::to_string(ctx.alert).unwrap_or_default();
        let fence = Fence::new(&alert_text);
        let raw_texts: Vec<String> = inv
            .evidence
            .iter()
            .map(|e| {
                if e.raw_data.is_null() {
                    String::new()
                } else {
                    tools::compact(&e.raw_data)
                }
            })
            .collect();
        let t0 = inv.tiers.first();
        let view = Tier0View {
            verdict: t0.map_or(inv.verdict, |t| t.verdict),
            confidence: t0.map_or(inv.confidence, |t| t.confidence),
            reason: t0.map_or("", |t| t.reason.as_str()),
            hypothesis: &inv.hypothesis,
            techniques: &inv.attack_techniques,
        };
        let msg = case_message(
            &fence,
            ctx.alert,
            &view,
            &inv.evidence,
            &raw_texts,
            &inv.injection_flags,
        );
        let grounds = grounds_for(inv, ctx, alert_text, raw_texts);
        (fence, msg, grounds)
    }
}

/// A conversation's answer handling: corrections for unreadable answers, one repair turn
/// for answers that lost something to grounding.
struct Conversation {
    max_corrections: u32,
    corrections: u32,
    /// The first grounded answer, kept while its repair is pending.
    first: Option<(Grounded, Vec<Removal>)>,
}

enum Step {
    Done(Grounded, Option<Vec<Removal>>),
    Ask(String),
    Fail(TierError),
}

impl Conversation {
    fn new(max_corrections: u32) -> Self {
        Self {
            max_corrections,
            corrections: 0,
            first: None,
        }
    }

    fn on_text(&mut self, stop: &StopReason, text: &str, g: &Grounds) -> Step {
        match stop {
            StopReason::MaxTokens => {
                return self.correct("the answer was cut off at the token limit; answer again with the JSON object only, shorter");
            }
            StopReason::Refusal => {
                return match self.fallback() {
                    Some((g, r)) => Step::Done(g, r),
                    None => Step::Fail(TierError::Stopped("refusal".into())),
                };
            }
            _ => {}
        }
        match find_answer(text) {
            Some(v) => self.on_object(&v, g),
            None => self.correct("no JSON object with a `verdict` was found in it"),
        }
    }

    /// A tier-2 turn cut off at the token limit while it called tools (none ran).
    fn cut_off_tool_calls(&mut self) -> Step {
        self.correct("the turn was cut off at the token limit while calling tools, so none of its tool calls ran; make fewer tool calls per turn, or give your final answer")
    }

    fn on_object(&mut self, v: &Value, g: &Grounds) -> Step {
        match parse_answer(v) {
            Ok((a, pre)) => self.grounded(a, pre, g),
            Err(e) => self.correct(&e.to_string()),
        }
    }

    fn grounded(&mut self, a: Answer, pre: Vec<Removal>, g: &Grounds) -> Step {
        let mut out = ground(a, g);
        let mut all = pre;
        all.append(&mut out.removed);
        out.removed = all;
        if out.removed.is_empty() {
            let repaired = self.first.take().map(|(_, r)| r);
            return Step::Done(out, repaired);
        }
        match self.first.take() {
            // The repair answer: what still fails is dropped.
            Some((_, first_removed)) => Step::Done(out, Some(first_removed)),
            None => {
                let ask = repair_request(&out.removed);
                let removed = out.removed.clone();
                self.first = Some((out, removed));
                Step::Ask(ask)
            }
        }
    }

    fn correct(&mut self, why: &str) -> Step {
        if self.corrections >= self.max_corrections {
            return match self.fallback() {
                Some((g, r)) => Step::Done(g, r),
                None => Step::Fail(TierError::Unreadable(self.corrections, why.to_owned())),
            };
        }
        self.corrections += 1;
        Step::Ask(format!(
            "Your answer could not be used: {why}. Answer with the JSON object described in your instructions and nothing else."
        ))
    }

    /// The first grounded answer, when a repair turn failed to produce a better one.
    fn fallback(&mut self) -> Option<(Grounded, Option<Vec<Removal>>)> {
        self.first.take().map(|(g, r)| (g, Some(r)))
    }
}

/// The answer in `text`: the last top-level JSON object with a `verdict` (models wrap
/// answers in prose, fences or thinking, and may quote an example or the alert's own
/// planted answer first; what they conclude comes last). An object without a `verdict`
/// is looked into (a wrapper around the answer); one with a `verdict` is not (its nested
/// objects are part of it). Closed thinking sections are skipped.
fn find_answer(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text.trim())
        && v.get("verdict").is_some()
    {
        return Some(v);
    }
    let text = after_thinking(text);
    let mut found = None;
    let mut budget = text.len().saturating_mul(4);
    let mut pos = 0;
    let mut candidates = 0;
    while let Some(rel) = text.get(pos..).and_then(|t| t.find('{')) {
        candidates += 1;
        if candidates > 256 || budget == 0 {
            break;
        }
        let start = pos + rel;
        let Some(len) = balanced_len(&text[start..], &mut budget) else {
            pos = start + 1;
            continue;
        };
        let span = &text[start..start + len];
        match soc_llm::first_json_object(span) {
            Some(m) if m.contains_key("verdict") => {
                found = Some(Value::Object(m));
                pos = start + len;
            }
            _ => pos = start + 1,
        }
    }
    found
}

/// `text` after its last closed thinking section (a model's drafts are not its answer).
fn after_thinking(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    ["</think>", "</thinking>", "</reasoning>"]
        .iter()
        .filter_map(|close| lower.rfind(close).map(|i| i + close.len()))
        .max()
        .and_then(|end| text.get(end..))
        .unwrap_or(text)
}

/// The length in bytes of the span from the `{` at the start of `text` to its matching
/// `}` (braces inside JSON strings do not count), or `None` when it never closes or
/// `budget` (characters, decremented) runs out.
fn balanced_len(text: &str, budget: &mut usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn push_assistant(req: &mut LlmRequest, resp: &soc_llm::LlmResponse) {
    let mut m = resp.to_message();
    if m.content.is_empty() {
        m = Message::assistant("(no content)");
    }
    req.messages.push(m);
}

/// The assistant turn without its tool calls (for a turn cut off while calling tools,
/// whose calls are not run and so get no results).
fn push_assistant_without_tool_calls(req: &mut LlmRequest, resp: &soc_llm::LlmResponse) {
    let mut m = resp.to_message();
    m.content.retain(|b| {
        !matches!(
            b,
            ContentBlock::ToolUse { .. } | ContentBlock::InvalidToolUse { .. }
        )
    });
    if !m
        .content
        .iter()
        .any(|b| matches!(b, ContentBlock::Text { .. }))
    {
        m.content
            .push(ContentBlock::text("(cut off while calling tools)"));
    }
    req.messages.push(m);
}

/// What a model's answer may rest on: the alert (`alert_text`, its compact JSON) and the
/// evidence, with `raw_texts` each item's raw data as compact JSON (empty for `null`).
fn grounds_for(
    inv: &Investigation,
    ctx: &TierContext<'_>,
    alert_text: String,
    raw_texts: Vec<String>,
) -> Grounds {
    let mut g = Grounds::new(ctx.iocs, alert_text, ctx.ioc_cfg.clone());
    for (e, raw) in inv.evidence.iter().zip(raw_texts) {
        g.add_evidence(&e.id);
        g.add_text(&e.claim);
        if !raw.is_empty() {
            g.add_text(raw);
        }
    }
    g
}

fn standing(inv: &Investigation, ctx: &TierContext<'_>, recognised: bool) -> Standing {
    Standing {
        recognised,
        verdict: inv.verdict,
        confidence: inv.confidence,
        escalate: inv.escalation_recommended,
        critical: ctx.alert.severity == soc_core::alert::Severity::Critical,
        injection: !inv.injection_flags.is_empty(),
        failed_lookups: inv.evidence.iter().any(|e| !e.success),
        campaign: inv.correlation.as_ref().is_some_and(|c| c.is_campaign),
        overturned: inv
            .prior_sightings
            .iter()
            .any(|p| p.human_verdict.as_deref().is_some_and(|h| h != p.verdict)),
    }
}

/// The tier a step names, if it names one.
fn next_tier(n: &Next) -> Option<u8> {
    match n {
        Next::Stop(_) => None,
        Next::Tier1(_) => Some(1),
        Next::Tier2(_) => Some(2),
    }
}

/// Records on the last tier record where the policy sent the alert next.
fn set_next(inv: &mut Investigation, next: &Next) {
    if let Some(r) = inv.tiers.last_mut() {
        r.next_tier = next_tier(next);
    }
}

fn next_reason(n: &Next) -> String {
    match n {
        Next::Stop(r) => format!("stop ({r})"),
        Next::Tier1(r) => format!("tier 1 ({r})"),
        Next::Tier2(r) => format!("tier 2 ({r})"),
    }
}

fn record(
    inv: &mut Investigation,
    tier: u8,
    model: &str,
    s: &Standing,
    reason: String,
    started: Instant,
) {
    inv.tiers.push(TierRecord {
        tier,
        model: Some(model.to_owned()),
        verdict: s.verdict,
        confidence: s.confidence,
        reason,
        next_tier: None,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
}

fn degrade(inv: &mut Investigation, component: &str, e: &TierError) {
    inv.degraded.push(Degradation {
        component: component.to_owned(),
        reason: e.to_string(),
    });
}

#[cfg(test)]
mod tests;
