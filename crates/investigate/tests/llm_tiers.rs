//! The LLM tiers against the scripted mock LLM server (real HTTP, both wire formats):
//! the agentic loop calls a tool and returns a grounded answer; invented techniques,
//! indicators and response actions are removed after one repair turn; an overloaded
//! provider leaves tier 0's answer with `degraded` set; the OpenAI-compatible path.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};
use soc_core::alert::Limits;
use soc_core::config::Secret;
use soc_core::{Alert, Investigation, Verdict};
use soc_investigate::tiers::{LlmTiers, Mode};
use soc_investigate::{Pipeline, PipelineConfig};
use soc_llm::config::{AnthropicConfig, OpenAiConfig};
use soc_llm::{LlmConfig, TierModel, TierModels};
use soc_testkit::llm_mock::{Flavor, MockLlm, OnExhausted, Turn};

const KEY: &str = "sk-test-0123456789";

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = include_str!("../../../schemas/investigation.v1.json");
    let schema: Value = serde_json::from_str(text).expect("schema parses");
    jsonschema::validator_for(&schema).expect("schema compiles")
});

fn tiers(mock: &MockLlm, mode: Mode) -> LlmTiers {
    let mut cfg = LlmConfig::default();
    match mock.flavor() {
        Flavor::Anthropic => {
            let mut a = AnthropicConfig::new(Secret::new(KEY.to_owned()));
            a.base_url = mock.base_url();
            a.http.retry.base_delay = std::time::Duration::from_millis(5);
            cfg.anthropic = Some(a);
        }
        Flavor::OpenAi => {
            let mut o = OpenAiConfig::new(Some(Secret::new(KEY.to_owned())));
            o.base_url = mock.openai_base_url();
            o.http.retry.base_delay = std::time::Duration::from_millis(5);
            cfg.openai = Some(o);
            cfg.tiers = TierModels {
                cheap: TierModel::parse("openai:small-local-model"),
                strong: TierModel::parse("openai:large-local-model"),
            };
        }
    }
    let clients = soc_llm::build_tier_clients(&cfg).expect("clients");
    let mut t = LlmTiers::new(clients);
    t.mode = mode;
    t
}

fn pipeline(t: LlmTiers) -> Pipeline {
    Pipeline::new(
        PipelineConfig::default(),
        soc_intel::providers::build_default(),
    )
    .with_llm(t)
}

/// The escalation draft tier 0 writes for `alert` with no model configured: the one an
/// investigation keeps when tier 0's answer stands.
async fn tier0_draft(alert: &Alert) -> Option<String> {
    Pipeline::new(
        PipelineConfig::default(),
        soc_intel::providers::build_default(),
    )
    .investigate(alert)
    .await
    .escalation_draft
}

/// An SSH burst from a Tor exit relay (in the offline feed), no success recorded.
fn brute_force() -> Alert {
    let v = json!({"alert_id": "LLM-1", "timestamp": "2026-04-19T03:14:22Z", "source": "siem",
        "severity": "high", "title": "Multiple failed SSH authentications",
        "raw_log": {"event_type": "auth_failure", "service": "sshd", "host": "db-3.corp.internal",
                    "source_ip": "185.220.101.47", "failed_attempts": 312, "usernames_tried": ["root", "admin", "oracle"]},
        "indicators": {"ips": ["185.220.101.47"]}});
    Alert::from_json(&v.to_string(), &Limits::default()).expect("alert")
}

/// Something no playbook recognises: tier 0 is inconclusive.
fn unknown() -> Alert {
    let v = json!({"alert_id": "LLM-2", "timestamp": "2026-04-19T03:14:22Z", "source": "edr",
        "severity": "medium", "title": "Unusual process tree",
        "raw_log": {"host": "ws-7.corp.internal", "note": "parent spawned an unusual child"}});
    Alert::from_json(&v.to_string(), &Limits::default()).expect("alert")
}

fn schema_valid(inv: &Investigation) {
    let v = serde_json::to_value(inv).expect("serialises");
    let errors: Vec<String> = VALIDATOR.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "schema errors: {errors:?}");
}

fn grounded_answer() -> Value {
    json!({"verdict": "true_positive", "confidence": "high",
        "hypothesis": "185.220.101.47, a Tor exit relay, made 312 failed SSH logins against db-3.corp.internal. No login succeeded.",
        "attack_techniques": ["T1110"],
        "suggested_pivots": [{"action": "Search sshd logs on db-3.corp.internal for Accepted lines from 185.220.101.47", "rationale": "a success would mean compromise", "priority": "high"}],
        "escalation_recommended": true,
        "escalation_draft": "SSH brute force from Tor exit 185.220.101.47 against db-3.corp.internal; no success seen.",
        "evidence_ids": ["ev-1"]})
}

#[tokio::test]
async fn agentic_mode_runs_the_tool_loop_and_returns_a_grounded_investigation() {
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![
            Turn::thinking(
                "look the address up",
                Turn::tool_call("lookup_indicator", json!({"indicator": "185.220.101.47"})),
            ),
            Turn::tool_call("final_answer", grounded_answer()),
        ])
        .start()
        .await;
    let inv = pipeline(tiers(&mock, Mode::Agentic))
        .investigate(&brute_force())
        .await;
    mock.assert_no_violations();
    assert_eq!(mock.calls(), 2);
    schema_valid(&inv);
    let tiers: Vec<u8> = inv.tiers.iter().map(|t| t.tier).collect();
    assert_eq!(tiers, [0, 2], "{:#?}", inv.tiers);
    assert_eq!(inv.verdict, Verdict::TruePositive);
    assert_eq!(inv.attack_techniques, ["T1110"]);
    assert!(inv.hypothesis.contains("Tor exit relay"));
    // The tool ran: a second offline-feeds entry for the address, cited in the tool result.
    let feed_entries = inv
        .evidence
        .iter()
        .filter(|e| e.source_tool == "offline_feeds")
        .count();
    assert!(feed_entries >= 2, "{:#?}", inv.evidence);
    assert_eq!(inv.cost.llm_calls, 2);
    assert!(
        !inv.cost.unpriced,
        "claude-sonnet-4-5 is in the price table"
    );
    assert!(inv.cost.usd > 0.0);
    // The second request carried the tool result for the first call.
    let reqs = mock.requests();
    let last = reqs.last().expect("requests").messages().to_vec();
    let text = serde_json::to_string(&last).expect("json");
    assert!(text.contains("tool_result"), "{text}");
    assert!(text.contains("<<<DATA"), "tool output is fenced: {text}");
    assert!(inv.escalation_recommended);
    assert!(inv.degraded.is_empty(), "{:?}", inv.degraded);
}

#[tokio::test]
async fn invented_technique_indicator_and_action_are_removed_and_the_repair_recorded() {
    let mut invented = grounded_answer();
    invented["attack_techniques"] = json!(["T1110", "T1999.999"]);
    invented["hypothesis"] = json!(
        "185.220.101.47 made 312 failed SSH logins. The same actor staged tools on 203.0.113.250 last week."
    );
    invented["response_actions"] =
        json!([{"action": "block_ip", "target": "8.8.8.8", "status": "proposed"}]);
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        // The model insists: the repair answer is the same. What fails is dropped.
        .script(vec![
            Turn::tool_call("final_answer", invented.clone()),
            Turn::tool_call("final_answer", invented),
        ])
        .start()
        .await;
    let inv = pipeline(tiers(&mock, Mode::Agentic))
        .investigate(&brute_force())
        .await;
    mock.assert_no_violations();
    assert_eq!(mock.calls(), 2, "one repair turn, no more");
    schema_valid(&inv);
    assert_eq!(inv.attack_techniques, ["T1110"]);
    assert!(
        !inv.hypothesis.contains("203.0.113.250"),
        "{}",
        inv.hypothesis
    );
    assert!(inv.hypothesis.contains("185.220.101.47"));
    assert!(
        inv.response_actions.iter().all(|a| a.target != "8.8.8.8"),
        "{:?}",
        inv.response_actions
    );
    assert!(
        inv.reasoning_transcript.contains("Repair turn")
            && inv.reasoning_transcript.contains("T1999.999")
            && inv.reasoning_transcript.contains("response_actions"),
        "{}",
        inv.reasoning_transcript
    );
    // The repair request went back as an error result of the final_answer call.
    let second = mock.requests()[1].messages().to_vec();
    let text = serde_json::to_string(&second).expect("json");
    assert!(
        text.contains("is_error") && text.contains("T1999.999"),
        "{text}"
    );
}

#[tokio::test]
async fn an_overloaded_provider_leaves_tier0_standing_with_degraded_set() {
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![Turn::Status {
            code: 529,
            retry_after: None,
            body: None,
        }])
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    let t = tiers(&mock, Mode::Auto);
    let attempts = 3; // the default retry policy's attempts per call
    let inv = pipeline(t).investigate(&unknown()).await;
    schema_valid(&inv);
    assert_eq!(inv.verdict, Verdict::Inconclusive);
    assert!(inv.escalation_recommended);
    // Tier 1 and tier 2 each tried `attempts` times.
    assert_eq!(mock.calls(), 2 * attempts);
    let comps: Vec<&str> = inv.degraded.iter().map(|d| d.component.as_str()).collect();
    assert_eq!(comps, ["llm.tier1", "llm.tier2"], "{:?}", inv.degraded);
    assert!(
        inv.degraded[0].reason.contains("overloaded"),
        "{:?}",
        inv.degraded
    );
    assert_eq!(inv.cost.llm_calls, 0);
    let tiers: Vec<u8> = inv.tiers.iter().map(|t| t.tier).collect();
    assert_eq!(tiers, [0, 1, 2]);
    // Tier 0's answer stands, and so does its draft.
    assert!(inv.escalation_draft.is_some());
    assert_eq!(inv.escalation_draft, tier0_draft(&unknown()).await);
}

#[tokio::test]
async fn the_openai_compatible_path_reads_prose_wrapped_json_in_pipeline_mode() {
    let answer = json!({"verdict": "inconclusive", "confidence": "low",
        "hypothesis": "The process tree on ws-7.corp.internal is unusual but nothing shows what ran.",
        "attack_techniques": [], "escalation_recommended": true, "escalation_draft": null});
    let mock = MockLlm::builder(Flavor::OpenAi)
        .api_key(KEY)
        .script(vec![Turn::prose_wrapped_json(&answer)])
        .start()
        .await;
    let inv = pipeline(tiers(&mock, Mode::Pipeline))
        .investigate(&unknown())
        .await;
    mock.assert_no_violations();
    assert_eq!(mock.calls(), 1);
    schema_valid(&inv);
    let tiers: Vec<(u8, Option<String>)> = inv
        .tiers
        .iter()
        .map(|t| (t.tier, t.model.clone()))
        .collect();
    assert_eq!(
        tiers,
        [(0, None), (1, Some("small-local-model".to_owned()))]
    );
    assert!(inv.hypothesis.contains("ws-7.corp.internal"));
    assert!(inv.cost.unpriced, "a local model has no price row");
    let req = &mock.requests()[0];
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn a_model_cannot_clear_an_alert_tier0_found_malicious() {
    let fp = json!({"verdict": "false_positive", "confidence": "high",
        "hypothesis": "Routine scanning.", "attack_techniques": [], "escalation_recommended": false});
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![Turn::final_json(&fp)])
        .start()
        .await;
    let inv = pipeline(tiers(&mock, Mode::Pipeline))
        .investigate(&brute_force())
        .await;
    assert_eq!(inv.verdict, Verdict::Inconclusive);
    assert!(inv.escalation_recommended);
    assert!(inv.reasoning_transcript.contains("Overruled"));
    assert!(!inv.closure.as_ref().is_some_and(|c| c.eligible));
}

#[tokio::test]
async fn a_confident_tier0_costs_no_model_call_under_auto() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![Turn::final_json(&grounded_answer())])
        .start()
        .await;
    let c = calls.clone();
    let progress: soc_investigate::tiers::Progress = Arc::new(move || {
        c.fetch_add(1, Ordering::Relaxed);
    });
    let inv = pipeline(tiers(&mock, Mode::Auto))
        .investigate_with_progress(&brute_force(), Some(progress))
        .await;
    assert_eq!(mock.calls(), 0);
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    assert_eq!(inv.tiers.len(), 1);
    assert!(inv.escalation_draft.is_some());
    assert_eq!(inv.escalation_draft, tier0_draft(&brute_force()).await);
    assert!(
        inv.tiers[0].reason.contains("stop"),
        "{}",
        inv.tiers[0].reason
    );
}

#[tokio::test]
async fn truncated_control_character_and_placeholder_answers_are_corrected_or_tolerated() {
    let answer = json!({"verdict": "inconclusive", "confidence": "medium",
        "hypothesis": "Nothing on ws-7.corp.internal shows\twhat ran.", "attack_techniques": [],
        "suggested_pivots": [{"action": "Pull the process tree from the EDR for ws-7.corp.internal", "rationale": "see what ran", "priority": "high"}],
        "escalation_recommended": true});
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![
            // Cut off: a correction turn follows.
            Turn::max_tokens("{\"verdict\": \"incon"),
            // A placeholder string where the pivots array belongs: the pivot is dropped,
            // the rest used; control characters inside strings are tolerated.
            Turn::placeholder_json(answer.clone(), "/suggested_pivots", "<pivots>"),
            Turn::control_chars_json(&answer),
        ])
        .start()
        .await;
    let inv = pipeline(tiers(&mock, Mode::Pipeline))
        .investigate(&unknown())
        .await;
    mock.assert_no_violations();
    schema_valid(&inv);
    // max_tokens → correction; the placeholder answer loses its pivot → one repair turn;
    // the repaired answer (control characters) is taken.
    assert_eq!(mock.calls(), 3, "{:#?}", inv.tiers);
    assert_eq!(inv.confidence, soc_core::Confidence::Medium);
    assert!(inv.hypothesis.contains("ws-7.corp.internal"));
    assert!(
        inv.suggested_pivots
            .iter()
            .any(|p| p.action.contains("process tree")),
        "{:?}",
        inv.suggested_pivots
    );
    assert!(inv.degraded.is_empty(), "{:?}", inv.degraded);
}

#[tokio::test]
async fn bad_tool_calls_come_back_as_errors_the_model_can_correct() {
    let mock = MockLlm::builder(Flavor::OpenAi)
        .api_key(KEY)
        .script(vec![
            Turn::empty_tool_input("lookup_indicator"),
            Turn::tool_call_raw_arguments("lookup_indicator", "{\"indicator\": \"185.220"),
            // An address the case never mentions is refused, not looked up.
            Turn::tool_call("lookup_indicator", json!({"indicator": "45.83.64.12"})),
            Turn::tool_call("final_answer", grounded_answer()),
        ])
        .start()
        .await;
    let inv = pipeline(tiers(&mock, Mode::Agentic))
        .investigate(&brute_force())
        .await;
    mock.assert_no_violations();
    assert_eq!(mock.calls(), 4);
    let reqs = mock.requests();
    let text = |i: usize| serde_json::to_string(reqs[i].messages()).expect("json");
    assert!(text(1).contains("is required"), "{}", text(1));
    assert!(text(2).contains("not a valid JSON object"), "{}", text(2));
    assert!(text(3).contains("occurs in neither"), "{}", text(3));
    assert!(
        inv.evidence
            .iter()
            .all(|e| !e.claim.contains("45.83.64.12")),
        "never looked up"
    );
    assert_eq!(inv.verdict, Verdict::TruePositive);
}

#[tokio::test]
async fn the_agentic_tier_can_ask_the_fleets_memory_about_an_indicator() {
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![
            // First alert: answered at once.
            Turn::tool_call("final_answer", grounded_answer()),
            // Second alert: asks history about the shared address first.
            Turn::tool_call(
                "lookup_indicator_history",
                json!({"indicator": "185.220.101.47"}),
            ),
            Turn::tool_call("final_answer", grounded_answer()),
        ])
        .start()
        .await;
    let p = pipeline(tiers(&mock, Mode::Agentic)).with_history(Arc::new(
        soc_history::MemoryHistory::new(Default::default(), Default::default()),
    ));
    p.investigate(&brute_force()).await;
    let mut second = serde_json::to_value(brute_force()).expect("json");
    second["alert_id"] = json!("LLM-1b");
    let second: Alert = serde_json::from_value(second).expect("alert");
    let inv = p.investigate(&second).await;
    mock.assert_no_violations();
    assert_eq!(mock.calls(), 3);
    let reqs = mock.requests();
    let text = serde_json::to_string(reqs[2].messages()).expect("json");
    assert!(
        text.contains("LLM-1") && text.contains("true_positive"),
        "{text}"
    );
    assert!(
        inv.evidence
            .iter()
            .any(|e| e.source_tool == "history" && e.claim.contains("LLM-1")),
        "{:#?}",
        inv.evidence
    );
}

/// Tier 2's answer for `unknown()`: nothing to clear it with.
fn inconclusive_answer() -> Value {
    json!({"verdict": "inconclusive", "confidence": "low",
        "hypothesis": "An unusual process tree on ws-7.corp.internal; nothing decides it.",
        "attack_techniques": [], "escalation_recommended": true})
}

#[tokio::test]
async fn a_forced_tier_without_a_model_is_degraded_not_skipped_in_silence() {
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![])
        .start()
        .await;
    for (mode, tier) in [(Mode::Pipeline, 1u8), (Mode::Agentic, 2)] {
        let mut t = tiers(&mock, mode);
        match tier {
            1 => t.clients.cheap = None,
            _ => t.clients.strong = None,
        }
        let setting = if tier == 1 {
            "SOC_LLM__CHEAP_MODEL"
        } else {
            "SOC_LLM__STRONG_MODEL"
        };
        let e = t.check().expect_err("the mode cannot run").to_string();
        assert!(e.contains(mode.as_str()) && e.contains(setting), "{e}");
        let inv = pipeline(t).investigate(&unknown()).await;
        schema_valid(&inv);
        let path: Vec<u8> = inv.tiers.iter().map(|t| t.tier).collect();
        assert_eq!(path, [0], "{:#?}", inv.tiers);
        let reason = &inv.tiers[0].reason;
        assert!(!reason.contains("next: tier"), "{reason}");
        assert_eq!(inv.tiers[0].next_tier, None);
        assert!(reason.contains("model is configured"), "{reason}");
        let component = format!("llm.tier{tier}");
        let d = inv
            .degraded
            .iter()
            .find(|d| d.component == component)
            .unwrap_or_else(|| panic!("{component} in {:?}", inv.degraded));
        assert!(d.reason.contains(mode.as_str()), "{}", d.reason);
        assert!(!inv.closure.as_ref().is_some_and(|c| c.eligible));
    }
    assert_eq!(mock.calls(), 0);
}

#[tokio::test]
async fn auto_mode_without_a_cheap_model_hands_tier_1_to_the_strong_one() {
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![Turn::tool_call("final_answer", inconclusive_answer())])
        .start()
        .await;
    let mut t = tiers(&mock, Mode::Auto);
    t.clients.cheap = None;
    t.check().expect("auto mode runs with either tier");
    let inv = pipeline(t).investigate(&unknown()).await;
    schema_valid(&inv);
    let path: Vec<u8> = inv.tiers.iter().map(|t| t.tier).collect();
    assert_eq!(path, [0, 2], "{:#?}", inv.tiers);
    let reason = &inv.tiers[0].reason;
    assert!(
        reason.contains("next: tier 2 (") && reason.contains("no cheap model is configured"),
        "{reason}"
    );
    assert_eq!(inv.tiers[0].next_tier, Some(2));
    assert!(inv.degraded.is_empty(), "{:?}", inv.degraded);
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn url_credentials_query_and_key_never_reach_errors_or_the_investigation() {
    let secrets = ["proxyuser", "pr0xy-PW-123", "query-K-456", KEY];
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![])
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    let base = format!(
        "http://proxyuser:pr0xy-PW-123@{}/?key=query-K-456",
        mock.addr()
    );
    // A proxy that echoes the request line and the key back in its error.
    let echo = json!({"type": "error", "error": {"type": "invalid_request_error",
        "message": format!("bad request to {base}v1/messages?key=query-K-456 (user proxyuser, \
                            password pr0xy-PW-123, key {KEY})")}});
    mock.push_turns([Turn::Raw {
        code: 400,
        content_type: "application/json".into(),
        body: echo.to_string(),
    }]);
    let mut a = AnthropicConfig::new(Secret::new(KEY.to_owned()));
    a.base_url = base;
    let cfg = LlmConfig {
        anthropic: Some(a),
        ..LlmConfig::default()
    };
    let clients = soc_llm::build_tier_clients(&cfg).expect("clients");
    let cheap = clients.cheap.clone().expect("cheap client");
    let mut req = cheap.request();
    req.messages.push(soc_llm::Message::user("hello"));
    let err = cheap
        .client
        .complete(&req)
        .await
        .expect_err("the proxy refuses");
    assert!(
        matches!(err, soc_llm::LlmError::BadRequest { status: 400, .. }),
        "{err:?}"
    );
    let mut t = LlmTiers::new(clients);
    t.mode = Mode::Pipeline;
    let shown_tiers = format!("{t:?} {cfg:?} {:?}", cfg.describe());
    let inv = pipeline(t).investigate(&unknown()).await;
    assert!(
        inv.degraded.iter().any(|d| d.component == "llm.tier1"),
        "{:?}",
        inv.degraded
    );
    let shown = format!(
        "{err} {err:?} {shown_tiers} {}",
        serde_json::to_string(&inv).expect("serialises")
    );
    assert!(shown.contains("[redacted]"), "{shown}");
    for s in secrets {
        assert!(!shown.contains(s), "{s} in {shown}");
    }
    assert_eq!(mock.calls(), 2);
}
