//! Deterministic e-mail analysis for alerts that carry mail material.
//!
//! [`analyze`] reads what the gateway or the EDR recorded about a message, wherever the
//! source put it (native fields such as `email_sender`, an `email{...}` block, a
//! `headers` object or raw header block, `Authentication-Results` strings, ECS
//! `email.*`, attachment records with extracted links and QR payloads), and returns a
//! [`PhishingAnalysis`]: the authentication picture and a list of graded signals, each
//! with the fact that raised it and a benign cause that would also explain it. It
//! returns `None` when the alert carries no mail material at all: `None` means "nothing
//! to analyze", never "clean".
//!
//! # Tour
//!
//! - `extract`: finds the mail material (a bounded walk; header semantics inside
//!   header containers; body text is never read as headers).
//! - `headers`: `Authentication-Results` (per DKIM signature; results of another
//!   authserv-id are not trusted), SPF/DKIM alignment with `From:` on organizational
//!   domains, DMARC and composite authentication, the `Received` chain's time order.
//! - `sender`: display name (mixed scripts, embedded address, brand mismatch),
//!   `Reply-To`, look-alike sending domains.
//! - `urls`: URL anatomy (userinfo, brand in subdomain, recipient in fragment, raw IP,
//!   shortener, credential path, punycode, look-alike link domains).
//! - `attachments`: file names as the OS resolves them, types, flags, embedded links,
//!   graded QR destinations.
//! - `brands`: the brand list (`crates/detect/data/brands.json`), shorteners, free mail.
//! - [`MailInventory`]: the operator's sanctioned bulk senders (`mail_senders` in the
//!   asset inventory); the only source of `sanctioned_bulk_sender`, and only for an
//!   identifier that authenticated.
//!
//! Signals (strength as in the reference catalogue): authentication
//! (`no_aligned_authentication`, `dmarc_fail`, `multiple_from_headers` strong;
//! `dmarc_no_policy`, `dmarc_best_guess`, `composite_auth_fail`,
//! `untrusted_authentication_results` moderate), sender (`display_name_mixed_script`
//! strong; `reply_to_free_mail`, `display_name_contains_other_address`,
//! `display_name_brand_mismatch`, `lookalike_domain` moderate; `reply_to_other_domain`
//! weak), URLs (`url_userinfo_authority`, `brand_in_subdomain`,
//! `recipient_in_url_fragment` strong; `url_raw_ip_host` moderate; `url_shortener`,
//! `credential_harvest_path` weak; `punycode_domain` strong when confusable, else
//! moderate), attachments (`attachment_bidi_filename`, `attachment_double_extension`,
//! `attachment_executable_type`, `attachment_shortcut_type`, `attachment_html_document`
//! strong; `attachment_filename_obscured`, `attachment_mark_of_the_web_container`,
//! `attachment_macro_enabled_document`, `attachment_encrypted_archive`,
//! `attachment_type_mismatch`, `attachment_embedded_url`, and the truncation signals
//! `attachment_qr_urls_truncated`, `attachment_embedded_urls_truncated`,
//! `attachments_truncated`, `urls_truncated` moderate; `attachment_qr_url` graded),
//! trace (`received_chain_non_monotonic` strong; `sanctioned_bulk_sender` weak).
//!
//! Deliberately no signal: a Return-Path unlike `From:`, the number of hops, private
//! addresses, links to domains unrelated to the sender.
//!
//! Budgets: 25 attachments, 25 URLs per attachment and kind, 200 URLs in all; beyond
//! them a truncation signal says what was not examined. Every input is untrusted:
//! nothing here panics, and facts are one line with invisible characters shown as
//! `<U+XXXX>`.

mod attachments;
mod brands;
mod extract;
mod headers;
pub(crate) mod names;
mod sender;
#[cfg(test)]
mod tests;
mod urls;

use std::collections::BTreeMap;

use serde_json::Value;
use soc_core::Alert;
use soc_core::investigation::{PhishingAnalysis, PhishingSignal, SignalStrength};

use self::extract::{MAX_ATTACHMENTS, MAX_URLS_TOTAL};
use self::headers::Auth;
use self::names::{org_domain, same_org};

/// One sanctioned bulk sender from the operator's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SanctionedSender {
    /// The From domain it sends as.
    domain: String,
    /// Domains it is authorized to authenticate with (its own and its provider's).
    authorized: Vec<String>,
    /// Who sends (the provider).
    provider: Option<String>,
    /// Who owns the arrangement.
    owner: Option<String>,
}

/// The operator's sanctioned bulk senders: the `mail_senders` section of the asset
/// inventory (`{"domain": {"provider", "owner", "authorized_domains": [...], "notes"}}`).
/// Trusted by provenance, unlike anything in an alert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailInventory {
    senders: Vec<SanctionedSender>,
}

impl MailInventory {
    /// No sanctioned senders.
    pub fn empty() -> MailInventory {
        MailInventory::default()
    }

    /// Reads the whole asset inventory document (its `mail_senders` key) or the
    /// `mail_senders` section itself. Keys starting with `_` are comments; entries that
    /// are not objects are skipped.
    pub fn from_value(v: &Value) -> MailInventory {
        let section = match v.get("mail_senders") {
            Some(s) => s,
            None => v,
        };
        let Value::Object(map) = section else {
            return MailInventory::empty();
        };
        let text = |e: &serde_json::Map<String, Value>, k: &str| {
            e.get(k)
                .and_then(Value::as_str)
                .map(|s| extract::cap(s.trim(), 200).to_owned())
                .filter(|s| !s.is_empty())
        };
        let senders = map
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .filter_map(|(domain, entry)| {
                let Value::Object(e) = entry else {
                    return None;
                };
                let domain = domain.trim().trim_end_matches('.').to_lowercase();
                if domain.is_empty() {
                    return None;
                }
                let mut authorized: Vec<String> = e
                    .get("authorized_domains")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|s| s.trim().trim_end_matches('.').to_lowercase())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                if !authorized.contains(&domain) {
                    authorized.push(domain.clone());
                }
                Some(SanctionedSender {
                    provider: text(e, "provider"),
                    owner: text(e, "owner"),
                    domain,
                    authorized,
                })
            })
            .collect();
        MailInventory { senders }
    }

    /// Number of sanctioned senders.
    pub fn len(&self) -> usize {
        self.senders.len()
    }

    /// True when no sender is inventoried.
    pub fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }
}

/// Most signals kept per name; the rest are counted on the last one kept.
const MAX_PER_NAME: usize = 10;

/// The signals being collected.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    list: Vec<PhishingSignal>,
    dropped: BTreeMap<&'static str, usize>,
}

impl Signals {
    /// Adds a signal (deduplicated on name and fact).
    pub(crate) fn add(&mut self, name: &'static str, strength: SignalStrength, fact: String) {
        let fact = one_line(fact, 600);
        if self.list.iter().any(|s| s.name == name && s.fact == fact) {
            return;
        }
        if self.list.iter().filter(|s| s.name == name).count() >= MAX_PER_NAME {
            *self.dropped.entry(name).or_default() += 1;
            return;
        }
        self.list.push(PhishingSignal {
            name: name.to_owned(),
            strength,
            fact,
            benign_cause: Some(benign_cause(name).to_owned()),
        });
    }

    /// The signals, strongest first (stable otherwise).
    fn finish(mut self) -> Vec<PhishingSignal> {
        for (name, n) in &self.dropped {
            if let Some(last) = self.list.iter_mut().rev().find(|s| s.name == *name) {
                last.fact.push_str(&format!(" (and {n} more like it)"));
            }
        }
        let rank = |s: &PhishingSignal| match s.strength {
            SignalStrength::Strong => 0,
            SignalStrength::Moderate => 1,
            SignalStrength::Weak => 2,
        };
        self.list.sort_by_key(rank);
        self.list
    }
}

/// The benign cause for each signal: what would also explain it.
fn benign_cause(name: &str) -> &'static str {
    match name {
        "no_aligned_authentication" => {
            "Mail sent through a third-party service or forwarder that signs with its own domain and was never set up to align with the sender's domain."
        }
        "dmarc_fail" => {
            "A forwarder or mailing list that rewrote the message after it was signed, or a sender's service missing from its own SPF/DKIM setup."
        }
        "multiple_from_headers" => {
            "Very rarely a broken mailer; legitimate mail almost never carries more than one author address."
        }
        "dmarc_no_policy" => {
            "Many legitimate, small or older domains have never published a DMARC record."
        }
        "dmarc_best_guess" => {
            "Many legitimate domains publish no DMARC record; the receiver's guess was a pass."
        }
        "composite_auth_fail" => {
            "Microsoft's composite check also fails legitimate mail from senders with incomplete SPF/DKIM setups or sent through forwarders."
        }
        "untrusted_authentication_results" => {
            "Mail forwarded from another organization, or passed through more than one filtering service, keeps the earlier servers' results."
        }
        "display_name_mixed_script" => {
            "A genuinely bilingual or transliterated name, or a font-substituting mail client."
        }
        "reply_to_free_mail" => {
            "Small businesses and individuals sometimes route replies to a personal mailbox."
        }
        "display_name_contains_other_address" => {
            "Mailing lists and 'on behalf of' gateways put the original author's address in the display name."
        }
        "display_name_brand_mismatch" => {
            "A reseller, partner or unrelated business with the same word in its name, or a brand sending through a domain missing from the brand list."
        }
        "lookalike_domain" => {
            "A legitimately registered name that happens to resemble another, such as a partner, subsidiary or a common word."
        }
        "reply_to_other_domain" => {
            "Ticketing systems, CRMs and bulk-mail providers route replies to another domain."
        }
        "url_userinfo_authority" => {
            "Old FTP or basic-auth links embed credentials before the host; rare in modern mail."
        }
        "brand_in_subdomain" => {
            "A partner or reseller naming the brand in its own host names, or a hosting provider's customer subdomain."
        }
        "recipient_in_url_fragment" => {
            "Some legitimate sign-in and unsubscribe links pre-fill the recipient's address."
        }
        "url_raw_ip_host" => {
            "Appliances, test systems and some internal tools are linked by address."
        }
        "url_shortener" => {
            "Marketing and internal communications use shorteners; it means the destination could not be inspected, not that it is malicious."
        }
        "credential_harvest_path" => {
            "Legitimate sign-in, password-reset and MFA-enrollment pages use the same paths; meaningless on its own."
        }
        "punycode_domain" => {
            "Legitimate internationalized domain names in non-Latin scripts or with accents."
        }
        "attachment_bidi_filename" => {
            "Essentially none for a right-to-left override inside a Latin file name."
        }
        "attachment_double_extension" => {
            "Files saved by tools that append an extension (report.pdf.html exports), rarely an executable."
        }
        "attachment_executable_type" => {
            "IT staff or a vendor sending an installer or script by mail."
        }
        "attachment_shortcut_type" => {
            "Rarely legitimate: a colleague sharing a shortcut to a file share."
        }
        "attachment_html_document" => {
            "Some banks, e-signature and voicemail systems send HTML receipts or secure-message wrappers."
        }
        "attachment_filename_obscured" => {
            "Files renamed by a buggy client or copied from a right-to-left language context."
        }
        "attachment_mark_of_the_web_container" => {
            "Software, backups and large document sets are shipped as disk images or archives."
        }
        "attachment_macro_enabled_document" => {
            "Finance and operations teams exchange macro-enabled workbooks routinely."
        }
        "attachment_encrypted_archive" => {
            "Confidential documents are sent password-protected on purpose, with the password sent separately."
        }
        "attachment_type_mismatch" => {
            "Gateways and mail clients label types loosely; a renamed file is not necessarily malicious."
        }
        "attachment_embedded_url" => {
            "Most documents contain ordinary links: signatures, references, the sender's website."
        }
        "attachment_qr_url" => {
            "MFA enrollment, event check-in, parcel tracking and payments legitimately use QR codes."
        }
        "attachment_qr_urls_truncated" | "attachment_embedded_urls_truncated" => {
            "Long documents and catalogues carry many links; the unexamined ones may be ordinary."
        }
        "attachments_truncated" => {
            "Bulk document deliveries carry many files; the unexamined ones may be ordinary."
        }
        "urls_truncated" => {
            "Newsletters and digests carry many links; the unexamined ones may be ordinary."
        }
        "received_chain_non_monotonic" => "A relay with a badly wrong clock or time zone.",
        "sanctioned_bulk_sender" => {
            "This is the benign explanation itself; an inventoried sender's account or provider can still be abused."
        }
        _ => "No specific benign cause recorded.",
    }
}

/// An identifier for a fact: one line, control characters as spaces, invisible and
/// reordering characters shown as `<U+XXXX>`, at most `max` characters.
pub(crate) fn clean(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut last_space = false;
    for (count, c) in s.chars().enumerate() {
        if count >= max {
            out.push('…');
            break;
        }
        if attachments::is_format_char(c) {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
            last_space = false;
        } else if c.is_control() || c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_owned()
}

/// [`clean`], without copying text that is already clean.
fn one_line(s: String, max: usize) -> String {
    let tidy = s.chars().count() <= max
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !s.chars().any(|c| {
            attachments::is_format_char(c) || c.is_control() || (c.is_whitespace() && c != ' ')
        });
    if tidy { s } else { clean(&s, max) }
}

/// Analyzes the mail material of an alert; `None` when it carries none (which says
/// nothing about whether the alert is benign).
pub fn analyze(alert: &Alert, inventory: &MailInventory) -> Option<PhishingAnalysis> {
    let rec = extract::collect(&alert.raw_log)?;
    let brands = brands::data();
    let mut sigs = Signals::default();

    let auth = headers::evaluate(&rec, &mut sigs);
    let sanctioned = sanctioned(&auth, inventory, &mut sigs);

    let recipients: Vec<String> = rec
        .to
        .iter()
        .filter(|m| m.domain.is_some())
        .map(|m| m.address.to_lowercase())
        .take(50)
        .collect();
    let mut recipient_orgs: Vec<String> = Vec::new();
    for m in rec.to.iter().take(50) {
        if let Some(d) = &m.domain {
            let o = org_domain(d);
            if !recipient_orgs.contains(&o) && recipient_orgs.len() < 5 {
                recipient_orgs.push(o);
            }
        }
    }

    sender::check(&rec, &auth, brands, &recipient_orgs, &mut sigs);
    headers::trace_signals(&rec, &mut sigs);

    let url_cx = urls::UrlContext {
        brands,
        sender_org: auth.header_from.as_deref().map(org_domain),
        recipients: &recipients,
        recipient_orgs: &recipient_orgs,
    };
    let mut budget = MAX_URLS_TOTAL;
    let mut budget_hit = rec.links_total > rec.links.len();
    let mut urls_examined = Vec::new();
    for raw in &rec.links {
        if budget == 0 {
            budget_hit = true;
            break;
        }
        budget -= 1;
        urls_examined.push(clean(raw, 300));
        if let Some(u) = urls::parse(raw) {
            urls::check(&u, "link", &url_cx, &mut sigs);
        }
    }
    let att_cx = attachments::AttachmentContext {
        urls: &url_cx,
        sanctioned: &sanctioned,
    };
    attachments::check(
        &rec,
        &att_cx,
        &mut sigs,
        &mut budget,
        &mut urls_examined,
        &mut budget_hit,
    );
    if budget_hit {
        let listed = rec.links_total
            + rec
                .attachments
                .iter()
                .map(|a| a.urls_total + a.qr_total)
                .sum::<usize>();
        sigs.add(
            "urls_truncated",
            SignalStrength::Moderate,
            format!(
                "the message lists {listed} URLs; only {} were examined",
                urls_examined.len()
            ),
        );
    }
    if rec.attachments_total > MAX_ATTACHMENTS {
        sigs.add(
            "attachments_truncated",
            SignalStrength::Moderate,
            format!(
                "the message lists {} attachments; only the first {MAX_ATTACHMENTS} were examined",
                rec.attachments_total
            ),
        );
    }

    let signals = sigs.finish();
    Some(PhishingAnalysis {
        header_from: auth.header_from.clone(),
        envelope_from: auth.envelope.clone(),
        dkim_domain: auth.dkim_domain.clone(),
        spf_result: auth.spf.clone(),
        dkim_result: auth.dkim.clone(),
        dmarc_result: auth.dmarc.clone(),
        spf_aligned: auth.spf_aligned,
        dkim_aligned: auth.dkim_aligned,
        arc_present: auth.arc_present,
        urls_examined,
        attachments_examined: rec
            .attachments
            .iter()
            .map(|a| clean(&a.name, 200))
            .collect(),
        summary: summary(&signals),
        signals,
    })
}

/// `sanctioned_bulk_sender`: the From domain is an inventoried sender's, and the message
/// authenticated as it (aligned) with an identifier the entry authorizes. Returns the
/// entry's domains (for grading QR destinations).
fn sanctioned(auth: &Auth, inventory: &MailInventory, sigs: &mut Signals) -> Vec<String> {
    let Some(from) = auth.header_from.as_deref() else {
        return Vec::new();
    };
    if !auth.authenticates_from() {
        return Vec::new();
    }
    let passing = auth.passing();
    for entry in &inventory.senders {
        if !same_org(&entry.domain, from) {
            continue;
        }
        let authorized = |d: &str| entry.authorized.iter().any(|a| same_org(a, d));
        let Some((method, id)) = passing
            .iter()
            .find(|(_, d)| authorized(d) && same_org(d, from))
            .or_else(|| passing.iter().find(|(_, d)| authorized(d)))
        else {
            continue;
        };
        let how = if same_org(id, from) {
            format!("{method} {} passed and aligns with From", clean(id, 100))
        } else {
            format!(
                "{method} {} passed; From authenticated by the receiver's DMARC or an aligned identifier",
                clean(id, 100)
            )
        };
        let who = match (&entry.provider, &entry.owner) {
            (Some(p), Some(o)) => format!(" ({}, owner {})", clean(p, 100), clean(o, 60)),
            (Some(p), None) => format!(" ({})", clean(p, 100)),
            (None, Some(o)) => format!(" (owner {})", clean(o, 60)),
            (None, None) => String::new(),
        };
        sigs.add(
            "sanctioned_bulk_sender",
            SignalStrength::Weak,
            format!(
                "From domain {} is an inventoried sanctioned bulk sender{who}, and the message authenticated as it ({how})",
                clean(from, 100)
            ),
        );
        return entry.authorized.clone();
    }
    Vec::new()
}

/// One line: counts by strength and the signal names, or the no-signal sentence.
fn summary(signals: &[PhishingSignal]) -> String {
    if signals.is_empty() {
        return "Signals: none — evidence toward a false positive, not proof of one".to_owned();
    }
    let count = |s: SignalStrength| signals.iter().filter(|x| x.strength == s).count();
    let mut parts = Vec::new();
    for (s, label) in [
        (SignalStrength::Strong, "strong"),
        (SignalStrength::Moderate, "moderate"),
        (SignalStrength::Weak, "weak"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for s in signals {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let shown: Vec<&str> = names.iter().take(10).copied().collect();
    let more = if names.len() > shown.len() {
        ", …"
    } else {
        ""
    };
    format!("{} signal(s): {}{more}", parts.join(", "), shown.join(", "))
}
