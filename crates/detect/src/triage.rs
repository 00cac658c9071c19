//! Tier 0: deterministic, offline triage.
//!
//! Each playbook ([`crate::playbook`]) looks at the alert and either passes or
//! returns an [`Assessment`]: the verdict it can defend, the techniques the evidence shows
//! (observed, never anticipated), the pivots with the alert's own indicators, and the
//! evidence entries behind all of it. The first family that recognises the alert wins.
//! An alert no family recognises gets `inconclusive`, `low` and an escalation to a human:
//! tier 0 never guesses.

use serde_json::json;
use soc_core::investigation::{EvidenceLog, Pivot};
use soc_core::{Alert, Confidence, Ioc, IocKind, IocSet, Scope, Verdict};

use crate::tells::Tell;

/// What threat intel said about one indicator, as far as tier 0 needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct IntelFact {
    /// The indicator.
    pub ioc: Ioc,
    /// Provider tags (`tor_exit`, `threatfox`).
    pub tags: Vec<String>,
    /// The provider graded it malicious.
    pub malicious: bool,
    /// The provider has something against it short of malicious.
    pub suspicious: bool,
    /// False when the lookup failed.
    pub success: bool,
    /// The evidence entry recording the lookup.
    pub evidence_id: String,
}

/// A Sigma rule that matched the alert, as far as tier 0 needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigmaFact {
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule level (`informational`, `low`, `medium`, `high`, `critical`).
    pub level: String,
    /// ATT&CK technique ids from the rule's tags.
    pub techniques: Vec<String>,
    /// The evidence entry recording the match.
    pub evidence_id: String,
    /// The rule is one of the project's own (reviewed with the playbooks).
    pub project: bool,
    /// Field = value pairs that made it match: two rules that read the same value are
    /// one piece of evidence, not two.
    pub fields: Vec<(String, String)>,
}

/// Everything tier 0 looks at.
#[derive(Debug)]
pub struct TriageInput<'a> {
    /// The alert.
    pub alert: &'a Alert,
    /// Its indicators.
    pub iocs: &'a IocSet,
    /// Intel answers about them.
    pub intel: &'a [IntelFact],
    /// Sigma rules that matched.
    pub sigma: &'a [SigmaFact],
    /// The alert's events with Sigma field names ([`crate::sigma::Event::from_alert`]),
    /// built once for the rule match and the playbooks' facts.
    pub events: &'a [crate::sigma::Event],
    /// The asset inventory's entries for the alert's entities (the only source that may
    /// call activity sanctioned).
    pub assets: &'a [soc_core::investigation::AssetMatch],
    /// Mail analysis, when the alert carries mail.
    pub phishing: Option<&'a soc_core::investigation::PhishingAnalysis>,
    /// Earlier investigations sharing an exact indicator (history).
    pub prior: &'a [soc_core::investigation::PriorSighting],
    /// Related alerts within the correlation window (history).
    pub correlation: Option<&'a soc_core::investigation::Correlation>,
}

impl TriageInput<'_> {
    /// Intel about an indicator value, when it was looked up.
    pub fn intel_for(&self, kind_is_ip: bool, value: &str) -> Option<&IntelFact> {
        self.intel
            .iter()
            .find(|f| f.ioc.value == value && f.ioc.kind.is_ip() == kind_is_ip)
    }

    /// The scope of an IP address given as text.
    pub fn ip_scope(&self, value: &str) -> Option<Scope> {
        let ip: std::net::IpAddr = value.trim().parse().ok()?;
        Some(soc_core::ioc::scope_ip(&ip))
    }

    /// Scope of an indicator recorded in the set.
    pub fn scope_of(&self, kind: IocKind, value: &str) -> Option<Scope> {
        self.iocs
            .of_kind(kind)
            .find(|f| f.ioc.value == value)
            .and_then(|f| f.ioc.scope)
    }
}

/// A technique the evidence shows, with the evidence ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTechnique {
    /// ATT&CK id.
    pub id: String,
    /// Evidence showing it.
    pub evidence_ids: Vec<String>,
}

/// A family's conclusion about an alert.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Family id (`brute_force`).
    pub family: String,
    /// Short human name of what was recognised (`SSH brute force`).
    pub headline: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Confidence.
    pub confidence: Confidence,
    /// What is believed to have happened.
    pub hypothesis: String,
    /// Observed techniques.
    pub techniques: Vec<ObservedTechnique>,
    /// Next steps.
    pub pivots: Vec<Pivot>,
    /// Whether a human should act now.
    pub escalate: bool,
    /// The reasoning, one step per line.
    pub reasoning: Vec<String>,
    /// Why the verdict, in one clause (for the `tiers` record).
    pub why: String,
}

/// Tier 0's result.
#[derive(Debug, Clone)]
pub struct Triage {
    /// The assessment (the fallback one when no family recognised the alert).
    pub assessment: Assessment,
    /// True when a family recognised the alert.
    pub recognised: bool,
    /// Signs of sanctioned activity the alert itself carries (untrusted).
    pub tells: Vec<Tell>,
}

/// Runs tier 0: the compiled-in playbooks ([`crate::playbook`]); the first that claims
/// the alert decides, and an alert none claims is `inconclusive`, `low`, escalated.
pub fn triage(input: &TriageInput<'_>, log: &mut EvidenceLog) -> Triage {
    crate::playbook::run(input, crate::playbook::embedded(), log)
}

pub(crate) fn unrecognised(
    input: &TriageInput<'_>,
    tells: &[Tell],
    log: &mut EvidenceLog,
) -> Assessment {
    let alert = input.alert;
    let host = alert.host().unwrap_or("the affected host");
    let listed: Vec<&IntelFact> = input
        .intel
        .iter()
        .filter(|f| f.malicious || f.suspicious)
        .collect();
    let mut reasoning = vec![format!(
        "No tier-0 playbook recognises `{}`; tier 0 does not guess.",
        one_line(&alert.title, 120)
    )];
    let mut hypothesis = format!(
        "Unrecognised alert `{}` ({} severity from {}). soc-copilot's deterministic tier has no playbook for it and makes no claim about what happened; a human analyst must review it.",
        one_line(&alert.title, 120),
        alert.severity,
        one_line(&alert.source, 40)
    );
    if !listed.is_empty() {
        let names: Vec<String> = listed.iter().map(|f| f.ioc.value.clone()).collect();
        hypothesis.push_str(&format!(
            " Threat intel lists {} of its indicators ({}); see the evidence.",
            listed.len(),
            names.join(", ")
        ));
        reasoning.push(format!("Intel lists {}.", names.join(", ")));
    }
    if !tells.is_empty() {
        reasoning.push(format!(
            "The alert carries {} sign(s) of sanctioned activity ({}); only the asset inventory can confirm them.",
            tells.len(),
            tells.iter().map(|t| t.path.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let id = log.push(
        "tier0.triage",
        format!(
            "No tier-0 playbook matched alert `{}`; verdict left to a human.",
            one_line(&alert.title, 120)
        ),
        json!({"title": alert.title, "source": alert.source, "severity": alert.severity.as_str(), "playbooks_tried": crate::playbook::embedded().iter().map(|p| p.id.as_str()).collect::<Vec<_>>()}),
        Confidence::Low,
        true,
    );
    reasoning.push(format!("Recorded as {id}."));
    let mut pivots = vec![Pivot {
        action: format!(
            "Review the raw event behind `{}` on {host} and confirm with its owner whether the activity was expected",
            one_line(&alert.title, 80)
        ),
        rationale: "No deterministic playbook covers this alert, so the first step is a human reading of the event in context.".to_owned(),
        priority: Confidence::Medium,
    }];
    for f in listed.iter().take(3) {
        pivots.push(Pivot {
            action: format!(
                "Search the SIEM for other activity involving {} in the last 7 days",
                f.ioc.value
            ),
            rationale: format!(
                "{} is listed by threat intel ({}).",
                f.ioc.value,
                f.tags.join(", ")
            ),
            priority: Confidence::High,
        });
    }
    Assessment {
        family: "unrecognised".to_owned(),
        headline: "Unrecognised alert".to_owned(),
        verdict: Verdict::Inconclusive,
        confidence: Confidence::Low,
        hypothesis,
        techniques: Vec::new(),
        pivots,
        escalate: true,
        reasoning,
        why: "no playbook claims the alert, and tier 0 does not guess".to_owned(),
    }
}

/// True for characters that change how the text around them is displayed without showing
/// themselves: bidirectional controls (which make `invoice\u{202E}fdp.exe` read as
/// `invoiceexe.pdf`), zero-width characters, the soft hyphen and the byte-order mark.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Makes untrusted text safe to print on one line: control characters and line separators
/// become spaces, whitespace runs collapse, invisible formatting characters are shown
/// escaped (`\u{202e}`), and the result is clipped to `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4).saturating_add(8)));
    let mut last_space = false;
    // Characters in `out`: once more than `max` end in a visible one, the clipped result
    // is known and the rest of `s` cannot change it.
    let mut count = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Printable ASCII is copied as it is, with the single spaces between words (each
        // followed by printable ASCII, so the run ends in a visible character): a run at a
        // time, and no further than the one character past `max` that decides the clipping.
        if is_plain_ascii(bytes[i]) {
            let room = max.saturating_sub(count).saturating_add(1);
            let limit = bytes.len().min(i.saturating_add(room));
            let mut end = i + 1;
            while end < limit {
                if is_plain_ascii(bytes[end]) {
                    end += 1;
                } else if bytes[end] == b' ' && end + 1 < limit && is_plain_ascii(bytes[end + 1]) {
                    end += 2;
                } else {
                    break;
                }
            }
            // ASCII bytes are whole characters, so `i..end` lies on char boundaries.
            out.push_str(&s[i..end]);
            count += end - i;
            last_space = false;
            i = end;
            if count > max {
                break;
            }
            continue;
        }
        // The rest of ASCII is the space and control characters: all become a space.
        if bytes[i].is_ascii() {
            i += 1;
            if !last_space && !out.is_empty() {
                out.push(' ');
                count += 1;
            }
            last_space = true;
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        if is_invisible_format(c) {
            let escaped = format!("\\u{{{:04x}}}", u32::from(c));
            count += escaped.chars().count();
            out.push_str(&escaped);
            last_space = false;
        } else {
            let c = if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            };
            if c.is_whitespace() {
                if !last_space && !out.is_empty() {
                    out.push(' ');
                    count += 1;
                }
                last_space = true;
                continue;
            }
            out.push(c);
            count += 1;
            last_space = false;
        }
        if count > max {
            break;
        }
    }
    let trimmed = out.trim_end();
    // Only a single collapsed space can trail, so the characters left are known.
    let kept = count - (out.len() - trimmed.len());
    if kept > max {
        let cut = if trimmed.is_ascii() {
            max
        } else {
            trimmed
                .char_indices()
                .nth(max)
                .map_or(trimmed.len(), |(at, _)| at)
        };
        let mut clipped = String::with_capacity(cut + '…'.len_utf8());
        clipped.push_str(&trimmed[..cut]);
        clipped.push('…');
        clipped
    } else {
        out.truncate(trimmed.len());
        out
    }
}

/// Printable ASCII other than the space: copied by [`one_line`] unchanged.
fn is_plain_ascii(b: u8) -> bool {
    (0x21..0x7f).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_stops_early_with_the_same_answer() {
        // The clipped answer equals clipping the whole line, for every cut point.
        let samples = [
            "a  b\tc\n\nd   eeee f",
            "  lead and trail   ",
            "x\u{202e}y z\u{200b}\u{200b}w",
            "word \u{2028} next\u{0007}bell    ",
            "ünï cödé  ⚠ ok",
            "",
        ];
        for s in samples {
            let whole = one_line(s, usize::MAX);
            for max in 0..30 {
                let expect = if whole.chars().count() > max {
                    let mut c: String = whole.chars().take(max).collect();
                    c.push('…');
                    c
                } else {
                    whole.clone()
                };
                assert_eq!(one_line(s, max), expect, "{s:?} at {max}");
            }
        }
    }

    /// The character-at-a-time definition `one_line` must keep to.
    fn one_line_by_definition(s: &str, max: usize) -> String {
        let mut out = String::new();
        let mut last_space = false;
        for c in s.chars() {
            if is_invisible_format(c) {
                out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
                last_space = false;
                continue;
            }
            let c = if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            };
            if c.is_whitespace() {
                if !last_space && !out.is_empty() {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
        let trimmed = out.trim_end();
        if trimmed.chars().count() > max {
            let mut clipped: String = trimmed.chars().take(max).collect();
            clipped.push('…');
            clipped
        } else {
            trimmed.to_owned()
        }
    }

    #[test]
    fn one_line_keeps_to_its_definition_on_mixed_text() {
        // Runs of plain ASCII take the fast path; everything else goes one character at a
        // time. Strings built from pieces of both, at every cut point up to past the end.
        let pieces = [
            "abc",
            "x",
            " ",
            "  ",
            "\t",
            "\n",
            "\u{7f}",
            "\u{0}",
            "é",
            "ü",
            "\u{a0}",
            "\u{3000}",
            "\u{2028}",
            "\u{202e}",
            "\u{200b}",
            "\u{feff}",
            "⚠",
            "𝔘",
            "~",
            "!",
            "C:\\Windows\\System32",
            "powershell -enc AAAA",
        ];
        let mut state = 0x2545_f491_u64;
        for _ in 0..400 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 12) as usize;
            for k in 0..len {
                let r = state.rotate_left(5 * k as u32) as usize;
                s.push_str(pieces[r % pieces.len()]);
            }
            for max in 0..(s.chars().count() + 3) {
                assert_eq!(
                    one_line(&s, max),
                    one_line_by_definition(&s, max),
                    "{s:?} at {max}"
                );
            }
        }
    }

    #[test]
    fn one_line_neutralises_layout_tricks() {
        assert_eq!(one_line("a\nb\r\n\u{1b}[31mc\u{2028}d", 100), "a b [31mc d");
        assert_eq!(
            one_line("invoice\u{202E}fdp.exe", 100),
            "invoice\\u{202e}fdp.exe"
        );
        assert_eq!(one_line("zero\u{200B}width", 100), "zero\\u{200b}width");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
