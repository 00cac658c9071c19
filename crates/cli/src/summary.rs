//! The short human summary printed by `investigate --pretty`. Every value from the alert
//! or a tool is collapsed to one line, so alert content cannot forge lines on a terminal.

use soc_core::Investigation;
use soc_detect::triage::one_line;

/// Renders the summary of one investigation, headed by its alert id and `title`.
pub(crate) fn render(inv: &Investigation, title: &str) -> String {
    render_with_id(inv, &inv.alert_id, title)
}

/// Renders the summary of one investigation, headed by `id` (the alert id, or the alert's
/// key `<source>:<alert_id>`) and `title`.
pub(crate) fn render_with_id(inv: &Investigation, id: &str, title: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{}  {}\n",
        one_line(id, 300),
        one_line(title, 120)
    ));
    out.push_str(&format!(
        "  verdict: {} ({} confidence)   escalate: {}\n",
        inv.verdict,
        inv.confidence,
        if inv.escalation_recommended {
            "yes"
        } else {
            "no"
        }
    ));
    if !inv.techniques.is_empty() {
        let t: Vec<String> = inv
            .techniques
            .iter()
            .map(|t| format!("{} {}", t.id, t.name))
            .collect();
        out.push_str(&format!("  techniques: {}\n", t.join("; ")));
    }
    out.push_str(&format!(
        "  hypothesis: {}\n",
        one_line(&inv.hypothesis, 600)
    ));
    if !inv.evidence.is_empty() {
        out.push_str("  evidence:\n");
        for e in &inv.evidence {
            let failed = if e.success { "" } else { " [lookup failed]" };
            out.push_str(&format!(
                "    [{}] {}: {}{failed}\n",
                e.id,
                one_line(&e.source_tool, 40),
                one_line(&e.claim, 300)
            ));
        }
    }
    if !inv.suggested_pivots.is_empty() {
        out.push_str("  pivots:\n");
        for p in &inv.suggested_pivots {
            out.push_str(&format!(
                "    [{}] {}\n",
                p.priority,
                one_line(&p.action, 300)
            ));
        }
    }
    if !inv.associated_groups.is_empty() {
        let g: Vec<String> = inv
            .associated_groups
            .iter()
            .map(|g| g.group.clone())
            .collect();
        out.push_str(&format!(
            "  groups using these techniques (ATT&CK): {}\n",
            one_line(&g.join(", "), 300)
        ));
    }
    for d in &inv.degraded {
        out.push_str(&format!(
            "  degraded: {}: {}\n",
            one_line(&d.component, 40),
            one_line(&d.reason, 200)
        ));
    }
    out
}
