//! [`ParsedSummaries`]: the Redis store's memo of summaries it has parsed, keyed by their
//! stored JSON.
//!
//! A recall reads up to twice `max_candidates` summaries, and consecutive alerts that
//! share indicators read mostly the same ones; parsing them again cost about 7% of a
//! worker's CPU with memory on. The memo is keyed by the whole stored text, not by
//! investigation id, so a summary that changed in Redis (a pending one completed, a
//! record written again) is a different key and is parsed afresh: an answer from the memo
//! is always exactly what parsing that text gives. Bounded: two generations of at most
//! [`ParsedSummaries::GENERATION`] entries each; a full young generation becomes the old
//! one (the previous old one is dropped), and a hit in the old one moves it back.

use std::collections::HashMap;
use std::sync::Mutex;

use tracing::debug;

use crate::summary::Summary;

type Map = HashMap<String, Summary, foldhash::fast::RandomState>;

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
    fn get(&mut self, raw: &str) -> Option<Summary> {
        if let Some(s) = self.young.get(raw) {
            return Some(s.clone());
        }
        let (raw, s) = self.old.remove_entry(raw)?;
        let out = s.clone();
        self.insert(raw, s);
        Some(out)
    }

    fn insert(&mut self, raw: String, s: Summary) {
        if self.young.len() >= ParsedSummaries::GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(raw, s);
    }
}

impl ParsedSummaries {
    /// Entries per generation: at most twice this many summaries are kept (about 2 KB
    /// each with their text, so ~8 MB at most).
    pub(crate) const GENERATION: usize = 2048;

    /// The summaries of `raw` (stored JSON, `None` for a missing key), in order, absent
    /// and unreadable ones left out (the latter logged at debug); each bounded
    /// ([`Summary::bounded`]).
    pub(crate) fn parse(&self, raw: Vec<Option<String>>) -> Vec<Summary> {
        let mut out: Vec<Option<Summary>> = Vec::with_capacity(raw.len());
        let mut misses: Vec<(usize, String)> = Vec::new();
        {
            let mut g = self.lock();
            for text in raw.into_iter().flatten() {
                match g.get(&text) {
                    Some(s) => out.push(Some(s)),
                    None => {
                        misses.push((out.len(), text));
                        out.push(None);
                    }
                }
            }
        }
        if !misses.is_empty() {
            let mut parsed = Vec::with_capacity(misses.len());
            for (at, text) in misses {
                match serde_json::from_str::<Summary>(&text) {
                    Ok(s) => {
                        let s = s.bounded();
                        if let Some(slot) = out.get_mut(at) {
                            *slot = Some(s.clone());
                        }
                        parsed.push((text, s));
                    }
                    Err(e) => debug!(error = %e, "Unreadable history summary skipped"),
                }
            }
            let mut g = self.lock();
            for (text, s) in parsed {
                g.insert(text, s);
            }
        }
        out.into_iter().flatten().collect()
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
    use crate::subject::Subject;
    use chrono::{TimeZone, Utc};
    use soc_core::Severity;

    fn summary_json(n: usize) -> String {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 20, 0, 0, 1)
            .single()
            .expect("time");
        let s = Subject {
            investigation_id: format!("inv-{n}"),
            alert_id: format!("A-{n}"),
            timestamp: at,
            title: format!("Alert number {n}"),
            source: "siem".to_owned(),
            severity: Severity::High,
            hosts: vec![format!("host-{}", n % 7)],
            indicators: vec![format!("ipv4:198.51.100.{}", n % 250)],
            techniques: Vec::new(),
        };
        serde_json::to_string(&Summary::pending(&s, at)).expect("json")
    }

    fn fresh(raw: &[Option<String>]) -> Vec<Summary> {
        raw.iter()
            .flatten()
            .filter_map(|t| {
                serde_json::from_str::<Summary>(t)
                    .ok()
                    .map(Summary::bounded)
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
        // Read with every batch, so never dropped: still kept (and still right).
        let g = memo.lock();
        assert!(g.young.contains_key(&keep) || g.old.contains_key(&keep));
    }
}
