//! The sender: display name (mixed scripts, an embedded address, a brand the sending
//! domain may not speak for), `Reply-To` (free mail, another organization), and
//! look-alike sending domains (a brand's or the recipient organization's domain with a
//! letter changed, a hyphen inserted or moved, homoglyphs, confusable unicode).

use soc_core::investigation::SignalStrength;

use super::Signals;
use super::brands::Brands;
use super::extract::MailRecord;
use super::headers::Auth;
use super::names::{
    Script, address_domain, edit_distance, host_to_unicode, org_domain, org_label, same_org,
    scripts, skeleton,
};

/// Words that commonly make up business domain names; a hyphen that splits a domain
/// label into non-words, where moving it by a letter or two splits it into two of these,
/// reads as a typo-squat of the tidy name (`suppliersi-nvoices` → `suppliers-invoices`).
#[rustfmt::skip]
const DOMAIN_WORDS: &[&str] = &[
    "access", "account", "accounts", "admin", "alert", "alerts", "app", "apps", "auth", "bank",
    "banking", "billing", "business", "care", "center", "centre", "check", "claim", "claims",
    "client", "cloud", "connect", "corp", "credit", "customer", "customers", "data", "delivery",
    "desk", "direct", "doc", "docs", "document", "documents", "drive", "express", "file",
    "files", "finance", "financial", "global", "group", "help", "helpdesk", "home", "info",
    "invoice", "invoices", "login", "mail", "manage", "manager", "member", "members", "message",
    "messages", "mobile", "net", "network", "notice", "notify", "office", "online", "order",
    "orders", "parcel", "partner", "partners", "pay", "payment", "payments", "payroll",
    "portal", "post", "private", "purchase", "receipt", "receipts", "recovery", "refund",
    "remit", "report", "reports", "reset", "review", "safe", "sales", "secure", "security",
    "send", "server", "service", "services", "session", "share", "shared", "shipping", "sign",
    "signin", "site", "solutions", "staff", "store", "supplier", "suppliers", "supply",
    "support", "system", "systems", "team", "tech", "track", "tracking", "trade", "transfer",
    "update", "updates", "user", "users", "vendor", "vendors", "verify", "wallet", "web",
    "work",
];

fn is_word(s: &str) -> bool {
    DOMAIN_WORDS.contains(&s)
}

/// A hyphen moved off a word boundary: returns the tidy label.
fn hyphen_shift(label: &str) -> Option<String> {
    if !label.is_ascii() || label.len() > 63 {
        return None;
    }
    let parts: Vec<&str> = label.split('-').collect();
    for i in 0..parts.len().saturating_sub(1) {
        let (left, right) = (parts[i], parts[i + 1]);
        if is_word(left) && is_word(right) {
            continue;
        }
        for k in 1..=2usize {
            // Move the hyphen left by k.
            if left.len() > k {
                let (l, moved) = left.split_at(left.len() - k);
                let r = format!("{moved}{right}");
                if is_word(l) && is_word(&r) {
                    let mut tidy = parts.clone();
                    let joined = format!("{l}-{r}");
                    tidy.splice(i..=i + 1, [joined.as_str()]);
                    return Some(tidy.join("-"));
                }
            }
            // Move it right by k.
            if right.len() > k {
                let (moved, r) = right.split_at(k);
                let l = format!("{left}{moved}");
                if is_word(&l) && is_word(r) {
                    let mut tidy = parts.clone();
                    let joined = format!("{l}-{r}");
                    tidy.splice(i..=i + 1, [joined.as_str()]);
                    return Some(tidy.join("-"));
                }
            }
        }
    }
    None
}

/// Why `domain` looks like another organization's domain, if it does: the matched
/// domain and how. A brand's own domains and the recipients' organizations
/// (`recipient_orgs`) are never reported as look-alikes of anything.
pub(crate) fn lookalike(
    domain: &str,
    brands: &Brands,
    recipient_orgs: &[String],
) -> Option<String> {
    let org = org_domain(domain);
    if org.is_empty() || super::names::is_ip_literal(&org) || !org.contains('.') {
        return None;
    }
    if brands.owner_of(&org).is_some() || recipient_orgs.contains(&org) {
        return None;
    }
    let (label, _) = org_label(&org);
    let label = host_to_unicode(&label).to_lowercase();
    if label.chars().count() > 63 {
        return None;
    }
    let label_sk = skeleton(&label);
    let unhyphen = label.replace('-', "");
    let compare = |tl: &str, tsk: &str, distinctive: bool| -> Option<String> {
        if tl == label || tl.is_empty() {
            return None;
        }
        if label_sk == tsk {
            return Some("reads the same (look-alike characters)".to_owned());
        }
        if unhyphen == tl.replace('-', "") {
            return Some("the same name with a hyphen inserted or moved".to_owned());
        }
        let (a, b) = (label.chars().count(), tl.chars().count());
        if !distinctive || a.abs_diff(b) > 2 {
            return None;
        }
        let d = edit_distance(&label, tl);
        let short = a.min(b);
        ((d == 1 && short >= 6) || (d == 2 && short >= 9)).then(|| format!("{d} letter(s) away"))
    };
    for b in &brands.brands {
        for t in &b.labels {
            if let Some(how) = compare(&t.label, &t.skeleton, t.distinctive) {
                return Some(format!(
                    "{} looks like {} (a domain of the brand {}): {how}",
                    super::clean(&org, 120),
                    t.domain,
                    b.name
                ));
            }
        }
    }
    for r in recipient_orgs {
        let (tl, _) = org_label(r);
        if let Some(how) = compare(&tl, &skeleton(&tl), true) {
            return Some(format!(
                "{} looks like {} (the recipient's organization): {how}",
                super::clean(&org, 120),
                super::clean(r, 120)
            ));
        }
    }
    hyphen_shift(&label).map(|tidy| {
        let suffix = org.split_once('.').map(|(_, s)| s).unwrap_or("");
        format!(
            "{} reads as {tidy}.{suffix} with the hyphen moved off the word boundary: a typo-squat of a tidy name",
            super::clean(&org, 120)
        )
    })
}

/// Sender checks.
pub(crate) fn check(
    rec: &MailRecord,
    auth: &Auth,
    brands: &Brands,
    recipient_orgs: &[String],
    sigs: &mut Signals,
) {
    let from = auth.from.as_ref();
    let from_domain = auth.header_from.as_deref();
    if let Some(display) = from.and_then(|m| m.display.as_deref()) {
        display_name(display, from_domain, brands, sigs);
    }
    if let Some(fd) = from_domain {
        reply_to(rec, fd, brands, sigs);
        if let Some(why) = lookalike(fd, brands, recipient_orgs) {
            sigs.add(
                "lookalike_domain",
                SignalStrength::Moderate,
                format!("sender domain {why}"),
            );
        }
        super::urls::punycode(fd, "sender domain", brands, recipient_orgs, sigs);
    }
}

fn script_name(s: Script) -> &'static str {
    match s {
        Script::Latin => "Latin",
        Script::Greek => "Greek",
        Script::Cyrillic => "Cyrillic",
        Script::Armenian => "Armenian",
        Script::Cherokee => "Cherokee",
    }
}

fn display_name(display: &str, from_domain: Option<&str>, brands: &Brands, sigs: &mut Signals) {
    let shown = super::clean(display, 120);
    // Mixed scripts inside one word.
    for word in display
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .take(64)
    {
        let s = scripts(word);
        if s.len() >= 2 {
            let names: Vec<&str> = s.iter().map(|x| script_name(*x)).collect();
            sigs.add(
                "display_name_mixed_script",
                SignalStrength::Strong,
                format!(
                    "display name \"{shown}\" mixes {} letters in the word \"{}\"",
                    names.join(" and "),
                    super::clean(word, 60)
                ),
            );
            break;
        }
    }
    let from_org = from_domain.map(org_domain);
    // Another address inside the display name.
    for token in display.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | ',' | ';')
    }) {
        if !token.contains('@') {
            continue;
        }
        if let Some(d) = address_domain(token)
            && d.contains('.')
            && from_org.as_deref().is_none_or(|f| org_domain(&d) != f)
        {
            sigs.add(
                "display_name_contains_other_address",
                SignalStrength::Moderate,
                format!(
                    "display name \"{shown}\" shows the address {} but the mail comes from {}",
                    super::clean(token, 100),
                    from_domain.map_or_else(|| "(unknown)".to_owned(), |f| super::clean(f, 100))
                ),
            );
            break;
        }
    }
    // A brand the sending domain may not speak for.
    if let Some(fd) = from_domain
        && let Some((brand, word)) = brands.named_in(display)
        && (!Brands::authorized(brand, fd) || brands.is_free_mail(fd))
    {
        let why = if brands.is_free_mail(fd) {
            "a free-mail domain anyone can open a mailbox on".to_owned()
        } else {
            format!("not one of {}'s domains", brand.name)
        };
        sigs.add(
            "display_name_brand_mismatch",
            SignalStrength::Moderate,
            format!(
                "display name \"{shown}\" names the brand {} (\"{}\") but the From domain {} is {why}",
                brand.name,
                super::clean(&word, 60),
                super::clean(fd, 100)
            ),
        );
    }
}

fn reply_to(rec: &MailRecord, from_domain: &str, brands: &Brands, sigs: &mut Signals) {
    for m in rec.reply_to.iter().take(5) {
        let Some(rd) = m.domain.as_deref() else {
            continue;
        };
        if same_org(rd, from_domain) {
            continue;
        }
        if brands.is_free_mail(rd) && !brands.is_free_mail(from_domain) {
            sigs.add(
                "reply_to_free_mail",
                SignalStrength::Moderate,
                format!(
                    "Reply-To {} is a free-mail mailbox while the From domain is {}",
                    super::clean(&m.address, 120),
                    super::clean(from_domain, 100)
                ),
            );
        } else {
            sigs.add(
                "reply_to_other_domain",
                SignalStrength::Weak,
                format!(
                    "Reply-To {} is in another organization ({}) than the From domain {}",
                    super::clean(&m.address, 120),
                    super::clean(&org_domain(rd), 100),
                    super::clean(from_domain, 100)
                ),
            );
        }
    }
}
