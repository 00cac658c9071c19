//! [`ParsedSummaries`]: the Redis store's memo of summaries it has parsed, keyed by their
//! stored JSON.
//!
//! A recall reads up to twice `max_candidates` summaries, and consecutive alerts that
//! share indicators read mostly the same ones; parsing them again was about 9% of a
//! worker's instructions per alert with memory on. The memo is keyed by the whole stored text, not by
//! investigation id, so a summary that changed in Redis (a pending one completed, a
//! record written again) is a different key and is parsed afresh: an answer from the memo
//! is always exactly what parsing that text gives. Bounded: only texts of at most
//! [`ParsedSummaries::MAX_TEXT`] bytes are kept (a summary this program writes is
//! typically under 1 KB; one with dozens of hash indicators or a long hypothesis can
//! exceed the cap and is then parsed every time), in two
//! generations of at most [`ParsedSummaries::GENERATION`] entries each; a full young
//! generation becomes the old one (the previous old one is dropped), and a hit in the old
//! one moves it back. The lock is held only to look up and insert shared pointers, and
//! shared pointers are what is handed out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tracing::debug;

use crate::summary::Summary;

type Map = HashMap<String, Arc<Summary>, foldhash::fast::RandomState>;

/// Parsed summaries by their stored JSON (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ParsedSummaries {
    generations: Mutex<Generations>,
}

#[derive(Debug, Default)]
struct Generations {
    young: Map,
    old: Map,
}

impl Generations {
    fn get(&mut self, raw: &str) -> Option<Arc<Summary>> {
        if let Some(s) = self.young.get(raw) {
            return Some(Arc::clone(s));
        }
        let (raw, s) = self.old.remove_entry(raw)?;
        let out = Arc::clone(&s);
        self.insert(raw, s);
        Some(out)
    }

    fn insert(&mut self, raw: String, s: Arc<Summary>) {
        if self.young.len() >= ParsedSummaries::GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(raw, s);
    }
}

impl ParsedSummaries {
    /// Entries per generation: at most twice this many summaries are kept.
    pub(crate) const GENERATION: usize = 2048;

    /// The longest text kept, in bytes: with its parsed copy (about as large), the memo
    /// holds at most about 2 x 2,048 x 8 KiB = 32 MiB (under 8 MiB for summaries of
    /// typical size).
    pub(crate) const MAX_TEXT: usize = 4096;

    /// The summaries of `raw` (stored JSON, `None` for a missing key), in order, absent
    /// and unreadable ones left out (the latter logged at debug); each bounded
    /// ([`Summary::bounded`]). Shared, not copied: a summary the memo knows costs a
    /// reference count, not the dozen allocations of a deep copy.
    pub(crate) fn parse(&self, raw: Vec<Option<String>>) -> Vec<Arc<Summary>> {
        let texts: Vec<String> = raw.into_iter().flatten().collect();
        let known: Vec<Option<Arc<Summary>>> = {
            let mut g = self.lock();
            texts
                .iter()
                .map(|t| (t.len() <= Self::MAX_TEXT).then(|| g.get(t)).flatten())
                .collect()
        };
        let mut out = Vec::with_capacity(texts.len());
        let mut parsed: Vec<(String, Arc<Summary>)> = Vec::new();
        for (text, known) in texts.into_iter().zip(known) {
            if let Some(s) = known {
                out.push(s);
                continue;
            }
            match serde_json::from_str::<Summary>(&text) {
                Ok(s) => {
                    let s = Arc::new(s.bounded());
                    if text.len() <= Self::MAX_TEXT {
                        parsed.push((text, Arc::clone(&s)));
                    }
                    out.push(s);
                }
                Err(e) => debug!(error = %e, "Unreadable history summary skipped"),
            }
        }
        if !parsed.is_empty() {
            let mut g = self.lock();
            for (text, s) in parsed {
                g.insert(text, s);
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // The maps hold no invariant a panicking holder could break half-way.
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Summaries kept (both generations).
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subject::{MAX_INDICATORS, Subject};
    use crate::summary::MAX_TITLE_LEN;
    use chrono::{TimeZone, Utc};
    use soc_core::Severity;

    fn summary_json(n: usize) -> String {
        sized_json(n, format!("Alert number {n}"), 1)
    }

    /// A summary with `title` and `indicators` indicators, written as stored (not
    /// bounded: what another writer could leave).
    fn sized_json(n: usize, title: String, indicators: usize) -> String {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 20, 0, 0, 1)
            .single()
            .expect("time");
        let s = Subject {
            investigation_id: format!("inv-{n}"),
            alert_id: format!("A-{n}"),
            timestamp: at,
            title: String::new(),
            source: "siem".to_owned(),
            severity: Severity::High,
            hosts: vec![format!("host-{}", n % 7)],
            indicators: Vec::new(),
            techniques: Vec::new(),
        };
        let mut stored = Summary::pending(&s, at);
        stored.title = title;
        stored.indicators = (0..indicators)
            .map(|i| format!("ipv4:198.51.{}.{}", i % 250, n % 250))
            .collect();
        serde_json::to_string(&stored).expect("json")
    }

    fn fresh(raw: &[Option<String>]) -> Vec<Arc<Summary>> {
        raw.iter()
            .flatten()
            .filter_map(|t| {
                serde_json::from_str::<Summary>(t)
                    .ok()
                    .map(|s| Arc::new(s.bounded()))
            })
            .collect()
    }

    #[test]
    fn answers_as_parsing_does_with_gaps_and_unreadable_text() {
        let memo = ParsedSummaries::default();
        let raw = vec![
            Some(summary_json(1)),
            None,
            Some("{not json".to_owned()),
            Some(summary_json(2)),
            Some(summary_json(1)),
        ];
        let want = fresh(&raw);
        assert_eq!(want.len(), 3);
        // Cold, then warm: the same answer both times.
        assert_eq!(memo.parse(raw.clone()), want);
        assert_eq!(memo.len(), 2, "the unreadable text is not kept");
        assert_eq!(memo.parse(raw), want);
    }

    #[test]
    fn a_changed_text_under_the_same_id_is_parsed_afresh() {
        let memo = ParsedSummaries::default();
        let before = summary_json(7);
        let first = memo.parse(vec![Some(before.clone())]);
        // The same investigation completed: other text, so another answer.
        let after = before.replace("\"severity\":\"high\"", "\"severity\":\"low\"");
        assert_ne!(before, after, "the fixture must change the text");
        let second = memo.parse(vec![Some(after.clone())]);
        assert_eq!(second, fresh(&[Some(after)]));
        assert_ne!(first, second);
    }

    #[test]
    fn stays_bounded_and_keeps_what_is_read_again() {
        let memo = ParsedSummaries::default();
        let keep = summary_json(0);
        for n in 1..=(3 * ParsedSummaries::GENERATION) {
            memo.parse(vec![Some(summary_json(n)), Some(keep.clone())]);
            assert!(memo.len() <= 2 * ParsedSummaries::GENERATION);
        }
        // Read with every batch, so never dropped: still kept, and still right.
        {
            let g = memo.lock();
            assert!(g.young.contains_key(&keep) || g.old.contains_key(&keep));
        }
        let raw = vec![Some(keep)];
        assert_eq!(memo.parse(raw.clone()), fresh(&raw));
    }

    #[test]
    fn a_hit_in_the_old_generation_moves_back_to_the_young_one() {
        let memo = ParsedSummaries::default();
        let keep = summary_json(0);
        memo.parse(vec![Some(keep.clone())]);
        // Fill the young generation; the next insert makes it the old one.
        for n in 1..=ParsedSummaries::GENERATION {
            memo.parse(vec![Some(summary_json(n))]);
        }
        assert!(
            memo.lock().old.contains_key(&keep),
            "rotated into the old one"
        );
        let raw = vec![Some(keep.clone())];
        assert_eq!(memo.parse(raw.clone()), fresh(&raw));
        let g = memo.lock();
        assert!(g.young.contains_key(&keep) && !g.old.contains_key(&keep));
    }

    #[test]
    fn answers_from_the_memo_are_bounded_as_parsed_ones() {
        let memo = ParsedSummaries::default();
        // Over the title and indicator caps, under the memo's text cap: kept.
        let text = sized_json(1, "t".repeat(MAX_TITLE_LEN + 50), MAX_INDICATORS + 10);
        assert!(text.len() <= ParsedSummaries::MAX_TEXT, "{}", text.len());
        let raw = vec![Some(text)];
        let want = fresh(&raw);
        assert_eq!(want[0].title.len(), MAX_TITLE_LEN);
        assert_eq!(want[0].indicators.len(), MAX_INDICATORS);
        assert_eq!(memo.parse(raw.clone()), want, "cold");
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.parse(raw), want, "warm");
    }

    #[test]
    fn a_text_over_the_cap_is_answered_but_not_kept() {
        let memo = ParsedSummaries::default();
        let text = sized_json(2, "x".repeat(ParsedSummaries::MAX_TEXT), 1);
        let raw = vec![Some(text)];
        let want = fresh(&raw);
        assert_eq!(want.len(), 1);
        assert_eq!(memo.parse(raw.clone()), want);
        assert_eq!(memo.parse(raw), want);
        assert_eq!(memo.len(), 0);
    }
}
