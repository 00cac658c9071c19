//! The gates over hand-built inputs: each gate, and the order when several would refuse.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::sync::Arc;

use chrono::TimeZone;

use super::*;

const FP: &str = "f00d";

fn t(mins: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + mins * 60, 0).unwrap()
}

fn subject(alert: &str) -> Subject {
    Subject {
        investigation_id: format!("inv-{alert}-new"),
        alert_id: alert.to_owned(),
        timestamp: t(0),
        title: "SSH brute force".to_owned(),
        source: "siem".to_owned(),
        severity: soc_core::Severity::Medium,
        hosts: Vec::new(),
        indicators: Vec::new(),
        techniques: Vec::new(),
    }
}

/// A completed clean high-confidence false positive of `alert` at minute `at`.
fn clean(alert: &str, id: &str, at: i64) -> Summary {
    let mut s = Summary::pending(&subject(alert).with_investigation_id(id), t(at));
    s.investigated_at = Some(t(at));
    s.verdict = Some(Verdict::FalsePositive);
    s.confidence = Some(Confidence::High);
    s.fingerprint = FP.to_owned();
    s
}

fn ruling(v: Verdict, at: i64) -> Ruling {
    Ruling {
        verdict: v,
        summary: String::new(),
        analyst: "ana".to_owned(),
        recorded_at: t(at),
    }
}

struct Case {
    subject: Subject,
    worked: Vec<Summary>,
    anchors: Vec<Summary>,
    suppressed_at: Vec<i64>,
    ruled: Vec<(Summary, Ruling)>,
    unreadable: Option<String>,
    fp_ruled_alerts: Vec<(String, String)>,
    waited_for: Option<String>,
}

impl Case {
    fn new() -> Self {
        Self {
            subject: subject("NEW"),
            worked: Vec::new(),
            anchors: vec![clean("A", "inv-a", 10)],
            suppressed_at: Vec::new(),
            ruled: Vec::new(),
            unreadable: None,
            fp_ruled_alerts: Vec::new(),
            waited_for: None,
        }
    }

    fn decide(&self) -> Decision {
        let input = Input {
            subject: &self.subject,
            fp: FP,
            cutoff: t(0),
            max_consecutive: 3,
            window: DEFAULT_DEDUP_WINDOW,
            worked: self.worked.iter().collect(),
            anchors: self.anchors.iter().collect(),
            suppressed_at: &self.suppressed_at,
            ruled: self.ruled.iter().map(|(s, r)| (s, r)).collect(),
            unreadable: self.unreadable.clone(),
            fp_ruled_alerts: &self.fp_ruled_alerts,
            waited_for: self.waited_for.as_deref(),
        };
        decide(&input)
    }

    fn label(&self) -> &'static str {
        match self.decide() {
            Decision::Reuse(d) => d.label(),
            Decision::Investigate(r) => r.label(),
        }
    }

    fn anchor(&mut self) -> &mut Summary {
        &mut self.anchors[0]
    }
}

#[test]
fn a_clean_recent_false_positive_is_reused() {
    let c = Case::new();
    let Decision::Reuse(Dedup::Reuse {
        anchor,
        reason,
        analyst_confirmed,
    }) = c.decide()
    else {
        panic!("expected reuse");
    };
    assert_eq!(anchor.investigation_id, "inv-a");
    assert!(!analyst_confirmed);
    assert!(
        reason.starts_with("near-duplicate of A investigated 2026-")
            && reason.ends_with(
                ": high-confidence false positive with no escalation or injection signals"
            ),
        "{reason}"
    );
}

#[test]
fn the_latest_anchor_is_the_one_judged() {
    let mut c = Case::new();
    let mut newer = clean("B", "inv-b", 20);
    newer.verdict = Some(Verdict::TruePositive);
    c.anchors.push(newer);
    assert_eq!(c.label(), "anchor_verdict");
    // Suppressed records, pending ones, other fingerprints, the alert itself and
    // records before the window never anchor.
    let mut c = Case::new();
    let mut dup = clean("S", "inv-s", 30);
    dup.duplicate_of = Some("inv-a".into());
    dup.verdict = Some(Verdict::TruePositive);
    let mut pending = clean("P", "inv-p", 31);
    pending.investigated_at = None;
    pending.verdict = None;
    let mut other_fp = clean("O", "inv-o", 32);
    other_fp.fingerprint = "beef".into();
    other_fp.verdict = Some(Verdict::TruePositive);
    let mut own = clean("NEW", "inv-own", 33);
    own.verdict = Some(Verdict::TruePositive);
    c.anchors.extend([dup, pending, other_fp, own]);
    assert_eq!(c.label(), "reuse");
    c.anchors[0].investigated_at = Some(t(-1));
    assert_eq!(c.label(), "no_anchor");
}

#[test]
fn already_worked_comes_before_the_anchor() {
    let mut c = Case::new();
    c.worked.push(clean("NEW", "inv-earlier", 5));
    match c.decide() {
        Decision::Investigate(InvestigateReason::AlreadyInvestigated { investigation_id }) => {
            assert_eq!(investigation_id, "inv-earlier");
        }
        other => panic!("{other:?}"),
    }
    // A suppressed record of the alert does not count as worked.
    c.worked[0].duplicate_of = Some("inv-a".into());
    assert_eq!(c.label(), "reuse");
    // Neither does no anchor at all.
    c.worked[0].duplicate_of = None;
    c.anchors.clear();
    assert_eq!(c.label(), "already_investigated");
}

#[test]
fn the_same_alert_id_from_another_source_is_another_alert() {
    // Alert `NEW` of another source was worked: not this alert.
    let mut c = Case::new();
    let mut other = clean("NEW", "inv-other-source", 5);
    other.source = "edr".to_owned();
    c.worked.push(other.clone());
    assert_eq!(c.label(), "reuse");
    // And it may anchor this one.
    other.investigated_at = Some(t(20));
    c.anchors.push(other);
    let Decision::Reuse(Dedup::Reuse { anchor, .. }) = c.decide() else {
        panic!("expected reuse");
    };
    assert_eq!(anchor.investigation_id, "inv-other-source");
}

#[test]
fn the_cap_counts_suppressions_since_the_anchor() {
    let mut c = Case::new();
    let anchor_ms = t(10).timestamp_millis();
    c.suppressed_at = vec![anchor_ms - 1, anchor_ms, anchor_ms + 1];
    assert_eq!(c.label(), "reuse");
    c.suppressed_at.push(anchor_ms + 2);
    match c.decide() {
        Decision::Investigate(r @ InvestigateReason::CapReached { .. }) => {
            assert_eq!(
                r,
                InvestigateReason::CapReached {
                    anchor_id: "inv-a".into(),
                    cap: 3
                }
            );
            assert!(r.single_flight());
        }
        other => panic!("{other:?}"),
    }
    // A copy that waited for this anchor's investigation is part of its burst: no cap.
    c.waited_for = Some("inv-a".into());
    assert_eq!(c.label(), "reuse");
    c.waited_for = Some("inv-other".into());
    assert_eq!(c.label(), "cap_reached");
    c.waited_for = None;
    // The cap comes before an overturn and before the anchor gates.
    c.ruled
        .push((clean("X", "inv-x", 1), ruling(Verdict::TruePositive, 40)));
    c.anchor().confidence = Some(Confidence::Low);
    assert_eq!(c.label(), "cap_reached");
}

#[test]
fn an_overturn_anywhere_on_the_fingerprint_blocks_and_the_latest_ruling_wins() {
    let mut c = Case::new();
    c.ruled
        .push((clean("X", "inv-x1", 1), ruling(Verdict::TruePositive, 40)));
    match c.decide() {
        Decision::Investigate(InvestigateReason::Overturned {
            alert_id,
            investigation_id,
            verdict,
        }) => {
            assert_eq!(
                (alert_id.as_str(), investigation_id.as_str(), verdict),
                ("X", "inv-x1", Verdict::TruePositive)
            );
        }
        other => panic!("{other:?}"),
    }
    // A later false-positive ruling on another investigation of that alert wins.
    c.ruled
        .push((clean("X", "inv-x2", 2), ruling(Verdict::FalsePositive, 41)));
    assert_eq!(c.label(), "reuse");
    // A ruling on another fingerprint's investigation does not count.
    let mut elsewhere = clean("Y", "inv-y", 3);
    elsewhere.fingerprint = "beef".into();
    c.ruled.push((elsewhere, ruling(Verdict::TruePositive, 42)));
    assert_eq!(c.label(), "reuse");
    // The overturn comes before the anchor gates.
    c.ruled
        .push((clean("Z", "inv-z", 4), ruling(Verdict::Inconclusive, 43)));
    c.anchor().verdict = Some(Verdict::TruePositive);
    assert_eq!(c.label(), "overturned");
}

#[test]
fn analyst_confirmed_anchor_says_so() {
    let mut c = Case::new();
    c.ruled
        .push((clean("A", "inv-a", 10), ruling(Verdict::FalsePositive, 40)));
    let Decision::Reuse(Dedup::Reuse {
        reason,
        analyst_confirmed,
        ..
    }) = c.decide()
    else {
        panic!("expected reuse");
    };
    assert!(analyst_confirmed);
    assert!(
        reason.contains("false positive (analyst-confirmed) with"),
        "{reason}"
    );
}

#[test]
fn the_anchor_gates_refuse_in_order() {
    // Every gate fails at once; undo them one at a time and watch the next one refuse.
    let mut c = Case::new();
    let a = c.anchor();
    a.verdict = Some(Verdict::Inconclusive);
    a.confidence = Some(Confidence::Medium);
    a.escalation = true;
    a.injection_flags = 2;
    a.failed_lookup = true;
    let mut order = Vec::new();
    for step in 0..6 {
        let Decision::Investigate(r) = c.decide() else {
            panic!("reused at step {step}");
        };
        order.push((r.label(), r.to_string()));
        let a = c.anchor();
        match step {
            0 => a.verdict = Some(Verdict::FalsePositive),
            1 => a.confidence = Some(Confidence::High),
            2 => a.escalation = false,
            3 => a.injection_flags = 0,
            4 => a.failed_lookup = false,
            _ => break,
        }
        if step == 4 {
            assert_eq!(c.label(), "reuse");
            break;
        }
    }
    let labels: Vec<&str> = order.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        labels,
        [
            "anchor_verdict",
            "anchor_confidence",
            "anchor_escalated",
            "anchor_injection",
            "anchor_failed_lookup"
        ]
    );
    assert_eq!(
        order[0].1,
        "anchor verdict is inconclusive; only a false-positive conclusion may be reused without a fresh look"
    );
    assert_eq!(
        order[1].1,
        "anchor confidence is medium; reuse requires high"
    );
    assert_eq!(order[2].1, "anchor recommended escalation");
    assert_eq!(order[3].1, "anchor carried injection flags");
}

#[test]
fn the_anchor_ruling_gate_message() {
    // Gate 6a reads the same per-alert latest ruling as gate 5, which refuses first: like
    // the reference's, it is a second line that cannot fire on its own. Its wording is
    // the reference's.
    let r = InvestigateReason::AnchorRuled {
        alert_id: "A".into(),
        verdict: Verdict::TruePositive,
    };
    assert_eq!(
        r.to_string(),
        "analyst ruled the anchor A 'true_positive' \u{2014} a documented correction on exactly this detection; every repeat gets a fresh look"
    );
    assert_eq!(r.label(), "anchor_ruled");
    assert!(!r.single_flight());
}

/// A store whose `candidates` read fails from the `fail_from`-th call on.
struct FailingReads {
    inner: crate::MemoryHistory,
    calls: std::sync::atomic::AtomicUsize,
    fail_from: usize,
}

#[async_trait]
impl Index for FailingReads {
    async fn members(
        &self,
        keys: &[String],
        range: Option<(i64, i64)>,
        per_key: usize,
    ) -> Result<Vec<Vec<String>>, HistoryError> {
        self.inner.members(keys, range, per_key).await
    }

    async fn summaries(&self, ids: &[String]) -> Result<Vec<Arc<Summary>>, HistoryError> {
        self.inner.summaries(ids).await
    }

    async fn rulings(&self, ids: &[String]) -> Result<Vec<(String, Ruling)>, HistoryError> {
        self.inner.rulings(ids).await
    }
}

#[async_trait]
impl DedupIndex for FailingReads {
    async fn candidates(
        &self,
        alert_id: &str,
        fp: &str,
        since_ms: i64,
        cap: usize,
    ) -> Result<Candidates, HistoryError> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n + 1 >= self.fail_from {
            return Err(HistoryError::Timeout { op: "dedup" });
        }
        self.inner.candidates(alert_id, fp, since_ms, cap).await
    }

    async fn try_claim(
        &self,
        fp: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<String>, HistoryError> {
        self.inner.try_claim(fp, holder, ttl).await
    }

    async fn claim(&self, fp: &str) -> Result<Option<(String, Duration)>, HistoryError> {
        self.inner.claim(fp).await
    }

    async fn ruled(&self, ids: &[String]) -> Result<Vec<RuledRead>, HistoryError> {
        self.inner.ruled(ids).await
    }

    async fn release(&self, fp: &str, holders: &[&str]) -> Result<(), HistoryError> {
        self.inner.release(fp, holders).await
    }
}

#[tokio::test]
async fn a_failed_read_after_the_claim_releases_it() {
    let st = HistorySettings::default();
    let s = subject("A");
    for (fail_from, claim_left) in [(1, false), (2, false), (usize::MAX, true)] {
        let idx = FailingReads {
            inner: crate::MemoryHistory::new(st.clone(), crate::MemoryOptions::default()),
            calls: std::sync::atomic::AtomicUsize::new(0),
            fail_from,
        };
        // A new fingerprint: no anchor, so the claim is taken and the gates passed again.
        let d = dedup(&idx, &s, FP, false, t(0), &st).await;
        let held = idx.claim(FP).await.unwrap();
        if claim_left {
            assert!(
                matches!(d, Ok(Dedup::Investigate { claimed: true, .. })),
                "{d:?}"
            );
            assert_eq!(held.map(|(h, _)| h), Some(s.investigation_id.clone()));
        } else if fail_from == 2 {
            // The read right after the claim failed: the error, and no claim left behind.
            assert!(d.is_err(), "{d:?}");
            assert_eq!(held, None, "the claim outlived the failed pass");
        } else {
            // The first pass's read failed: nothing was claimed.
            assert!(d.is_err(), "{d:?}");
            assert_eq!(held, None);
        }
    }
}

#[test]
fn an_unreadable_ruling_refuses_after_the_overturns_and_before_the_anchor_gates() {
    let mut c = Case::new();
    c.unreadable = Some("inv-x".to_owned());
    let Decision::Investigate(r) = c.decide() else {
        panic!("expected an investigation");
    };
    assert_eq!(
        r,
        InvestigateReason::RulingUnreadable {
            investigation_id: "inv-x".into()
        }
    );
    assert_eq!(r.label(), "ruling_unreadable");
    assert!(!r.single_flight());
    assert!(r.to_string().contains("cannot be read"), "{r}");
    // A readable overturn is reported first.
    let mut ruled = clean("B", "inv-b", 5);
    ruled.fingerprint = FP.to_owned();
    c.ruled.push((ruled, ruling(Verdict::TruePositive, 6)));
    let Decision::Investigate(r) = c.decide() else {
        panic!("expected an investigation");
    };
    assert_eq!(r.label(), "overturned");
}

#[test]
fn rulings_missing_or_unreadable_fail_safe_unless_expired() {
    let st = HistorySettings::default();
    let now = t(0);
    let recent = t(-60).timestamp_millis();
    let expired = (now - chrono::Duration::days(181)).timestamp_millis();
    let read = |id: &str, summary: Read<Summary>, ruling: Read<Ruling>| RuledRead {
        id: id.to_owned(),
        summary,
        ruling,
    };
    let ok = || Read::Readable(clean("A", "a", 1));
    let r = || Read::Readable(ruling(Verdict::FalsePositive, -60));
    let cases: [(RuledRead, i64, bool); 7] = [
        (read("x", ok(), r()), recent, false),
        (read("x", ok(), Read::Unreadable), recent, true),
        (read("x", Read::Unreadable, r()), recent, true),
        (read("x", Read::Absent, r()), recent, true),
        (read("x", ok(), Read::Absent), recent, true),
        (read("x", Read::Absent, Read::Absent), recent, true),
        // Both gone once the ruling's retention is over: expired, not a failure.
        (read("x", Read::Absent, Read::Absent), expired, false),
    ];
    for (i, (rr, at, refuses)) in cases.into_iter().enumerate() {
        let readable = matches!(
            (&rr.summary, &rr.ruling),
            (Read::Readable(_), Read::Readable(_))
        );
        let all = [rr];
        let (ok_list, bad) = readable_rulings(&[("x".to_owned(), at)], &all, &st, now);
        assert_eq!(bad.is_some(), refuses, "case {i}");
        assert_eq!(ok_list.len(), usize::from(readable), "case {i}");
    }
    // An id the store did not answer for is read as absent.
    let (_, bad) = readable_rulings(&[("y".to_owned(), recent)], &[], &st, now);
    assert_eq!(bad.as_deref(), Some("y"));
}

#[test]
fn a_false_positive_ruling_known_by_its_alert_confirms_the_anchor() {
    let mut c = Case::new();
    // Another alert's ruling, or the same alert id from another source: not the anchor's.
    c.fp_ruled_alerts = vec![
        ("siem".to_owned(), "B".to_owned()),
        ("edr".to_owned(), "A".to_owned()),
    ];
    let Decision::Reuse(Dedup::Reuse {
        analyst_confirmed, ..
    }) = c.decide()
    else {
        panic!("expected reuse");
    };
    assert!(!analyst_confirmed);
    c.fp_ruled_alerts.push(("siem".to_owned(), "A".to_owned()));
    let Decision::Reuse(Dedup::Reuse {
        analyst_confirmed, ..
    }) = c.decide()
    else {
        panic!("expected reuse");
    };
    assert!(analyst_confirmed);
}

/// A store answering gate 5's first read as scripted, recording what else is read.
#[derive(Default)]
struct Scripted {
    /// The rulings of the recent ids, then the lapsed ones.
    rulings: Vec<RulingRead>,
    /// How many recent records are stored.
    recent_records: usize,
    /// The lapsed records.
    lapsed_records: Vec<Read<Summary>>,
    /// The records `records` answers with, by id.
    records: BTreeMap<String, Read<Summary>>,
    /// Calls of `rulings_first` (recent and lapsed ids), then of `records` (ids).
    firsts: std::sync::Mutex<Vec<(Vec<String>, Vec<String>)>>,
    asked: std::sync::Mutex<Vec<Vec<String>>>,
}

#[async_trait]
impl Index for Scripted {
    async fn members(
        &self,
        _keys: &[String],
        _range: Option<(i64, i64)>,
        _per_key: usize,
    ) -> Result<Vec<Vec<String>>, HistoryError> {
        Ok(Vec::new())
    }

    async fn summaries(&self, ids: &[String]) -> Result<Vec<Arc<Summary>>, HistoryError> {
        Ok(ids
            .iter()
            .filter(|id| *id == "inv-a")
            .map(|_| Arc::new(clean("A", "inv-a", 10)))
            .collect())
    }

    async fn rulings(&self, _ids: &[String]) -> Result<Vec<(String, Ruling)>, HistoryError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl DedupIndex for Scripted {
    async fn candidates(
        &self,
        _alert_id: &str,
        _fp: &str,
        _since_ms: i64,
        _cap: usize,
    ) -> Result<Candidates, HistoryError> {
        Ok(Candidates::default())
    }

    async fn try_claim(
        &self,
        _fp: &str,
        _holder: &str,
        _ttl: Duration,
    ) -> Result<Option<String>, HistoryError> {
        Ok(None)
    }

    async fn claim(&self, _fp: &str) -> Result<Option<(String, Duration)>, HistoryError> {
        Ok(None)
    }

    async fn ruled(&self, _ids: &[String]) -> Result<Vec<RuledRead>, HistoryError> {
        panic!("gate 5 reads through `rulings_first` and `records`");
    }

    async fn rulings_first(
        &self,
        _fp: &str,
        recent: &[String],
        lapsed: &[String],
    ) -> Result<FirstRead, HistoryError> {
        self.firsts
            .lock()
            .unwrap()
            .push((recent.to_vec(), lapsed.to_vec()));
        Ok(FirstRead {
            rulings: self.rulings.clone(),
            recent_records: self.recent_records,
            lapsed_records: self.lapsed_records.clone(),
        })
    }

    async fn records(&self, ids: &[String]) -> Result<Vec<Read<Summary>>, HistoryError> {
        self.asked.lock().unwrap().push(ids.to_vec());
        Ok(ids
            .iter()
            .map(|id| self.records.get(id).cloned().unwrap_or(Read::Absent))
            .collect())
    }

    async fn release(&self, _fp: &str, _holders: &[&str]) -> Result<(), HistoryError> {
        Ok(())
    }
}

fn fp_of(alert: &str, at: i64) -> RulingRead {
    RulingRead {
        ruling: Read::Readable(ruling(Verdict::FalsePositive, at)),
        alert: Some(("siem".to_owned(), alert.to_owned())),
    }
}

/// Which records gate 5 reads after the rulings: none when every ruling is a readable
/// false positive carrying its alert and every recent record is stored; a ruling without
/// its alert has its record read; anything else has every recent record read.
#[tokio::test]
async fn gate_5_reads_the_records_only_when_they_can_change_the_answer() {
    let st = HistorySettings::default();
    let now = t(0);
    let recent = |n: i64| t(-n).timestamp_millis();
    let ruled: Vec<(String, i64)> = ["x", "y", "z"]
        .iter()
        .zip(1..)
        .map(|(id, n)| ((*id).to_owned(), recent(n)))
        .collect();
    let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let all_fp = || Scripted {
        rulings: vec![fp_of("X", -1), fp_of("Y", -2), fp_of("X", -3)],
        recent_records: 3,
        records: ["x", "y", "z"]
            .iter()
            .map(|id| ((*id).to_owned(), Read::Readable(clean("X", id, 1))))
            .collect(),
        ..Scripted::default()
    };

    // All false positives, alerts known, records stored: no record read.
    let idx = all_fp();
    let r = read_ruled(&idx, FP, &ruled, &st, now).await.unwrap();
    assert!(idx.asked.lock().unwrap().is_empty());
    assert!(r.full.is_empty() && r.full_ids.is_empty());
    let alerts: Vec<&str> = r.fp_alerts.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(alerts, ["X", "Y", "X"]);

    // A ruling stored without its alert: that record alone.
    let mut idx = all_fp();
    idx.rulings[1].alert = None;
    let r = read_ruled(&idx, FP, &ruled, &st, now).await.unwrap();
    assert_eq!(*idx.asked.lock().unwrap(), [ids(&["y"])]);
    assert_eq!(r.full_ids, [("y".to_owned(), recent(2))]);
    assert_eq!(r.fp_alerts.len(), 2);

    // Not a false positive, unreadable, missing, or a record gone: every record, and no
    // alert taken from a ruling.
    let breaks: [fn(&mut Scripted); 4] = [
        |s| s.rulings[2].ruling = Read::Readable(ruling(Verdict::TruePositive, -3)),
        |s| s.rulings[0].ruling = Read::Unreadable,
        |s| s.rulings[1].ruling = Read::Absent,
        |s| s.recent_records = 2,
    ];
    for (i, break_it) in breaks.into_iter().enumerate() {
        let mut idx = all_fp();
        break_it(&mut idx);
        let r = read_ruled(&idx, FP, &ruled, &st, now).await.unwrap();
        assert_eq!(
            *idx.asked.lock().unwrap(),
            [ids(&["x", "y", "z"])],
            "case {i}"
        );
        assert_eq!(r.full_ids, ruled, "case {i}");
        assert!(r.fp_alerts.is_empty(), "case {i}");
    }

    // A ruling past its retention comes with its record in the first read; gone with
    // it, it is expired and the rest stays on the fast path.
    let lapsed = (now - chrono::Duration::days(181)).timestamp_millis();
    let mut with_lapsed = ruled.clone();
    with_lapsed.insert(1, ("old".to_owned(), lapsed));
    let mut idx = all_fp();
    idx.rulings.push(RulingRead::ABSENT);
    idx.lapsed_records = vec![Read::Absent];
    let r = read_ruled(&idx, FP, &with_lapsed, &st, now).await.unwrap();
    assert_eq!(
        *idx.firsts.lock().unwrap(),
        [(ids(&["x", "y", "z"]), ids(&["old"]))]
    );
    assert!(idx.asked.lock().unwrap().is_empty());
    assert_eq!(r.full_ids, [("old".to_owned(), lapsed)]);
    assert_eq!(r.fp_alerts.len(), 3);
    let (ok, bad) = readable_rulings(&r.full_ids, &r.full, &st, now);
    assert!(ok.is_empty() && bad.is_none());
    // Its record still there: it fails safe, as before.
    idx.lapsed_records = vec![Read::Readable(clean("O", "old", 1))];
    let r = read_ruled(&idx, FP, &with_lapsed, &st, now).await.unwrap();
    let (_, bad) = readable_rulings(&r.full_ids, &r.full, &st, now);
    assert_eq!(bad.as_deref(), Some("old"));
}

/// Gates 2–4 come first and need no ruling: when one refuses, none is read.
#[tokio::test]
async fn no_ruling_is_read_when_gates_2_to_4_refuse() {
    let st = HistorySettings::default();
    let idx = Scripted::default();
    let s = subject("NEW");
    // Recent, whenever the test runs (`decide_over` judges retention from the clock).
    let ruled = vec![("x".to_owned(), Utc::now().timestamp_millis())];
    // No anchor.
    let c = Candidates {
        ruled: ruled.clone(),
        ..Candidates::default()
    };
    let d = decide_over(&idx, &s, FP, c, t(0), None, &st).await.unwrap();
    assert!(matches!(
        d,
        Decision::Investigate(InvestigateReason::NoAnchor { .. })
    ));
    assert!(idx.firsts.lock().unwrap().is_empty());
    // An anchor, but the cap reached.
    let c = Candidates {
        anchors: vec!["inv-a".to_owned()],
        suppressed_at: vec![t(11).timestamp_millis(); 25],
        ruled: ruled.clone(),
        ..Candidates::default()
    };
    let d = decide_over(&idx, &s, FP, c, t(0), None, &st).await.unwrap();
    assert!(matches!(
        d,
        Decision::Investigate(InvestigateReason::CapReached { .. })
    ));
    assert!(idx.firsts.lock().unwrap().is_empty());
    // The gates passed: the rulings are read (none stored here: it fails safe).
    let c = Candidates {
        anchors: vec!["inv-a".to_owned()],
        ruled,
        ..Candidates::default()
    };
    let d = decide_over(&idx, &s, FP, c, t(0), None, &st).await.unwrap();
    assert!(
        matches!(&d, Decision::Investigate(InvestigateReason::RulingUnreadable { investigation_id }) if investigation_id == "x"),
        "{d:?}"
    );
    assert_eq!(idx.firsts.lock().unwrap().len(), 1);
}
