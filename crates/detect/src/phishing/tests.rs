//! The mail analysis against crafted messages: every signal on a minimal positive and
//! not on its benign counterpart, alignment on organizational domains, the sanctioned
//! bulk sender, hostile input, and (when the shared reference files are present) the
//! reference mail alerts.

use serde_json::{Value, json};
use soc_core::Alert;
use soc_core::alert::{Format, Limits};
use soc_core::investigation::{PhishingAnalysis, SignalStrength};

use super::brands::{Brands, data};
use super::names::{edit_distance, org_domain, punycode_decode, skeleton};
use super::{MailInventory, analyze};

fn alert(raw: Value) -> Alert {
    let mut doc = json!({"alert_id": "T-1", "timestamp": "2026-05-14T08:26:41Z", "source": "email_gateway",
               "severity": "high", "title": "mail"});
    doc["raw_log"] = raw;
    Alert::from_value(doc, Format::Native, &Limits::default()).unwrap()
}

fn run(raw: Value) -> PhishingAnalysis {
    analyze(&alert(raw), &MailInventory::empty()).expect("mail material")
}

fn names(a: &PhishingAnalysis) -> Vec<&str> {
    a.signals.iter().map(|s| s.name.as_str()).collect()
}

fn has(a: &PhishingAnalysis, name: &str) -> bool {
    a.signals.iter().any(|s| s.name == name)
}

fn strength(a: &PhishingAnalysis, name: &str) -> Option<SignalStrength> {
    a.signals
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.strength)
}

fn counts(a: &PhishingAnalysis) -> (usize, usize, usize) {
    let n = |s| a.signals.iter().filter(|x| x.strength == s).count();
    (
        n(SignalStrength::Strong),
        n(SignalStrength::Moderate),
        n(SignalStrength::Weak),
    )
}

/// A message with `From`, an optional `Authentication-Results`, and extra raw fields.
fn msg(from: &str, ar: Option<&str>, extra: Value) -> Value {
    let mut headers = json!({"From": from, "Subject": "Hello"});
    if let Some(ar) = ar {
        headers["Authentication-Results"] = json!(ar);
    }
    let mut raw = json!({"event_type": "email_delivered", "recipient": "p.nowak@corp.example", "headers": headers});
    if let (Value::Object(r), Value::Object(e)) = (&mut raw, extra) {
        r.extend(e);
    }
    raw
}

const PASS_ALIGNED: &str = "mx.corp.example; spf=pass smtp.mailfrom=vendor.com; dkim=pass header.d=vendor.com; dmarc=pass header.from=vendor.com";

fn clean_vendor(extra: Value) -> Value {
    msg("Jane Doe <jane@vendor.com>", Some(PASS_ALIGNED), extra)
}

// ---------------------------------------------------------------- helpers and data

#[test]
fn brand_data_parses_and_has_the_usual_brands() {
    let raw = include_str!("../../data/brands.json");
    let b = Brands::parse(raw).unwrap();
    assert!(b.brands.len() >= 15);
    assert!(data().brands.iter().any(|x| x.name == "microsoft"));
    assert!(data().is_free_mail("gmail.com") && !data().is_free_mail("corp.example"));
    assert!(data().is_shortener("bit.ly"));
}

#[test]
fn organizational_domains_respect_multi_part_suffixes() {
    assert_eq!(org_domain("mail.example.co.uk"), "example.co.uk");
    assert_eq!(org_domain("example.co.uk"), "example.co.uk");
    assert_eq!(org_domain("a.b.corp.example"), "corp.example");
    assert_eq!(org_domain("45.147.230.18"), "45.147.230.18");
    assert_eq!(edit_distance("paypal", "paypla"), 1);
    assert_eq!(skeleton("rnicr0soft"), skeleton("microsoft"));
    assert_eq!(punycode_decode("pple-43d").as_deref(), Some("аpple"));
    assert_eq!(punycode_decode("mnchen-3ya").as_deref(), Some("münchen"));
    assert!(
        punycode_decode("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").is_none_or(|s| !s.is_empty())
    );
}

// ---------------------------------------------------------------- material

#[test]
fn alerts_without_mail_material_give_none() {
    let inv = MailInventory::empty();
    for raw in [
        json!({"event_type": "process", "process_path": "C:\\x\\invoice.exe", "parent_process": "OUTLOOK.EXE"}),
        json!({"events": [{"event_data": {"SubjectUserName": "bob", "SubjectDomainName": "CORP"}}]}),
        json!({"operation": "Consent to application", "initiated_by": "j.moreau@corp.example", "scopes_granted": "Mail.Read Mail.Send"}),
        json!({"request": {"headers": {"User-Agent": "curl", "Host": "x.example", "From": "bot@crawler.example"}}}),
        json!({"user": {"email": "a@corp.example", "name": "a"}, "url": "https://x.example/login", "referer": "outlook.office.com"}),
        json!({"transfer": {"from": "10.0.0.1", "to": "10.0.0.2"}}),
    ] {
        assert!(analyze(&alert(raw.clone()), &inv).is_none(), "{raw}");
    }
}

#[test]
fn native_and_ecs_shapes_are_read() {
    // Flat native fields.
    let a = run(json!({"email_sender": "accounting@vendor.com", "email_subject": "Invoice"}));
    assert_eq!(a.header_from.as_deref(), Some("vendor.com"));
    // An email block with verdicts as plain fields.
    let a = run(
        json!({"email": {"from": "billing@invoice-portal.example", "to": "j@corp.example",
        "spf": "softfail", "dkim": "none", "attachments": [{"filename": "INV-1.com"}]}}),
    );
    assert_eq!(a.spf_result.as_deref(), Some("softfail"));
    assert_eq!(a.dkim_result.as_deref(), Some("none"));
    assert!(has(&a, "no_aligned_authentication"));
    assert!(has(&a, "attachment_executable_type"));
    assert_eq!(a.attachments_examined, ["INV-1.com"]);
    // ECS: email.from.address is a list, attachments carry a file object.
    let ecs = Alert::from_value(
        json!({"@timestamp": "2026-05-14T08:26:41Z", "kibana.alert.rule.name": "Mail",
               "email.from.address": ["x@vendor.com"], "email.to.address": ["p@corp.example"],
               "email.subject": "hi", "email.attachments": [{"file": {"name": "a.html", "mime_type": "text/html"}}]}),
        Format::Ecs,
        &Limits::default(),
    )
    .unwrap();
    let a = analyze(&ecs, &MailInventory::empty()).unwrap();
    assert_eq!(a.header_from.as_deref(), Some("vendor.com"));
    assert!(has(&a, "attachment_html_document"), "{:?}", names(&a));
    // Graph-style header list, and a raw header block.
    let a = run(json!({"message": {"internetMessageHeaders": [
        {"name": "From", "value": "x@vendor.com"},
        {"name": "Authentication-Results", "value": "mx.corp.example; spf=fail smtp.mailfrom=vendor.com; dmarc=fail header.from=vendor.com"}]}}));
    assert_eq!(a.dmarc_result.as_deref(), Some("fail"));
    let a = run(
        json!({"raw_headers": "Received: from a.example by mx.corp.example; Thu, 14 May 2026 08:26:31 +0000\r\nFrom: \"Bob\" <bob@vendor.com>\r\nAuthentication-Results: mx.corp.example;\r\n spf=pass smtp.mailfrom=vendor.com;\r\n dkim=pass header.d=vendor.com\r\nSubject: x\r\n\r\nAuthentication-Results: evil; dmarc=fail"}),
    );
    assert_eq!(a.spf_aligned, Some(true));
    assert_eq!(a.dkim_aligned, Some(true));
    assert!(a.signals.is_empty(), "{:?}", names(&a));
    // Splunk CIM Email fields.
    let a = run(json!({"src_user": "a@vendor.com", "recipient": "b@corp.example", "subject": "s"}));
    assert_eq!(a.header_from.as_deref(), Some("vendor.com"));
    assert!(
        analyze(
            &alert(json!({"src_user": "bob", "action": "login", "subject": "x"})),
            &MailInventory::empty()
        )
        .is_none()
    );
    // Microsoft's AuthenticationDetails as a JSON string.
    let a = run(json!({"SenderFromAddress": "x@vendor.com", "Subject": "s",
        "AuthenticationDetails": "{\"SPF\":\"fail\",\"DKIM\":\"none\",\"DMARC\":\"fail\",\"CompAuth\":\"fail\"}"}));
    assert!(
        has(&a, "dmarc_fail") && has(&a, "composite_auth_fail"),
        "{:?}",
        names(&a)
    );
}

#[test]
fn body_text_is_never_read_as_headers() {
    let a = run(json!({"email_sender": "x@vendor.com", "email_subject": "s",
        "body_text": "Authentication-Results: mx; spf=pass; dkim=pass; dmarc=pass\nFrom: ceo@corp.example"}));
    assert_eq!(a.spf_result, None);
    assert_eq!(a.dmarc_result, None);
}

// ---------------------------------------------------------------- authentication

#[test]
fn alignment_is_computed_on_organizational_domains() {
    let a = run(msg(
        "a@example.co.uk",
        Some(
            "mx.corp.example; spf=pass smtp.mailfrom=bounce.other.co.uk; dkim=pass header.d=mail.example.co.uk",
        ),
        json!({}),
    ));
    assert_eq!(a.spf_aligned, Some(false));
    assert_eq!(a.dkim_aligned, Some(true));
    assert!(!has(&a, "no_aligned_authentication"));
    // `co.uk` is a suffix, not an organization: other.co.uk does not align with example.co.uk.
    let a = run(msg(
        "a@example.co.uk",
        Some("mx.corp.example; spf=pass smtp.mailfrom=other.co.uk; dkim=pass header.d=other.co.uk"),
        json!({}),
    ));
    assert_eq!((a.spf_aligned, a.dkim_aligned), (Some(false), Some(false)));
    assert_eq!(
        strength(&a, "no_aligned_authentication"),
        Some(SignalStrength::Strong)
    );
}

#[test]
fn dkim_is_read_per_signature() {
    let a = run(msg(
        "a@vendor.com",
        Some(
            "mx.corp.example; dkim=pass header.d=esp.example; dkim=pass header.d=vendor.com; spf=softfail smtp.mailfrom=esp.example",
        ),
        json!({}),
    ));
    assert_eq!(a.dkim_domain.as_deref(), Some("vendor.com"));
    assert_eq!(
        (a.dkim_result.as_deref(), a.dkim_aligned),
        (Some("pass"), Some(true))
    );
    assert!(!has(&a, "no_aligned_authentication"));
}

#[test]
fn no_aligned_authentication() {
    let a = run(msg(
        "a@vendor.com",
        Some(
            "mx.corp.example; spf=pass smtp.mailfrom=bulk.example; dkim=pass header.d=bulk.example",
        ),
        json!({}),
    ));
    assert_eq!(
        strength(&a, "no_aligned_authentication"),
        Some(SignalStrength::Strong)
    );
    assert!(!has(
        &run(clean_vendor(json!({}))),
        "no_aligned_authentication"
    ));
    // No authentication material at all: nothing to conclude.
    assert!(!has(
        &run(msg("a@vendor.com", None, json!({}))),
        "no_aligned_authentication"
    ));
}

#[test]
fn dmarc_verdicts() {
    let ar = |d: &str| {
        format!(
            "mx.corp.example; spf=fail smtp.mailfrom=vendor.com; dmarc={d} header.from=vendor.com"
        )
    };
    let a = run(msg("a@vendor.com", Some(&ar("fail")), json!({})));
    assert_eq!(strength(&a, "dmarc_fail"), Some(SignalStrength::Strong));
    assert!(
        !has(&a, "no_aligned_authentication"),
        "one failure, one signal"
    );
    let a = run(msg("a@vendor.com", Some(&ar("none")), json!({})));
    assert_eq!(
        strength(&a, "dmarc_no_policy"),
        Some(SignalStrength::Moderate)
    );
    let a = run(msg("a@vendor.com", Some(&ar("bestguesspass")), json!({})));
    assert_eq!(
        strength(&a, "dmarc_best_guess"),
        Some(SignalStrength::Moderate)
    );
    let a = run(clean_vendor(json!({})));
    for n in ["dmarc_fail", "dmarc_no_policy", "dmarc_best_guess"] {
        assert!(!has(&a, n), "{n}");
    }
}

#[test]
fn composite_auth_fail() {
    let a = run(msg(
        "a@vendor.com",
        Some(&format!("{PASS_ALIGNED}; compauth=fail reason=001")),
        json!({}),
    ));
    assert_eq!(
        strength(&a, "composite_auth_fail"),
        Some(SignalStrength::Moderate)
    );
    let a = run(msg(
        "a@vendor.com",
        Some(&format!("{PASS_ALIGNED}; compauth=pass reason=100")),
        json!({}),
    ));
    assert!(!has(&a, "composite_auth_fail"));
}

#[test]
fn multiple_from_headers() {
    let a = run(json!({"headers": {"From": ["a@vendor.com", "ceo@corp.example"], "Subject": "s"}}));
    assert_eq!(
        strength(&a, "multiple_from_headers"),
        Some(SignalStrength::Strong)
    );
    let a = run(json!({"raw_headers": "From: a@vendor.com\nFrom: b@other.example\nSubject: s\n"}));
    assert!(has(&a, "multiple_from_headers"));
    let a = run(json!({"headers": {"From": "a@vendor.com, b@other.example", "Subject": "s"}}));
    assert!(has(&a, "multiple_from_headers"));
    // One From in two containers, or a display name with a comma, is one author.
    let a = run(
        json!({"headers": {"From": "\"Doe, Jane\" <a@vendor.com>", "Subject": "s"}, "email_sender": "a@vendor.com"}),
    );
    assert!(!has(&a, "multiple_from_headers"), "{:?}", a.signals);
}

#[test]
fn untrusted_authentication_results() {
    let a = run(
        json!({"headers": {"From": "a@vendor.com", "Authentication-Results": [
        "mx.corp.example; spf=fail smtp.mailfrom=vendor.com; dkim=none",
        "attacker.example; spf=pass smtp.mailfrom=vendor.com; dkim=pass header.d=vendor.com; dmarc=pass"]}}),
    );
    assert_eq!(
        strength(&a, "untrusted_authentication_results"),
        Some(SignalStrength::Moderate)
    );
    assert_eq!(
        a.spf_result.as_deref(),
        Some("fail"),
        "the foreign claim is not used"
    );
    assert!(has(&a, "no_aligned_authentication"));
    // A forwarded message keeping an earlier server's failing results: no claim, no signal.
    let a = run(
        json!({"headers": {"From": "a@vendor.com", "Authentication-Results": [
        PASS_ALIGNED, "relay.partner.example; spf=fail smtp.mailfrom=vendor.com"]}}),
    );
    assert!(!has(&a, "untrusted_authentication_results"));
    // Microsoft's form without an authserv-id.
    let a = run(msg(
        "a@vendor.com",
        Some(
            "spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=vendor.com; dkim=pass (signature was verified) header.d=vendor.com;dmarc=pass action=none header.from=vendor.com;compauth=pass reason=100",
        ),
        json!({}),
    ));
    assert!(a.signals.is_empty(), "{:?}", a.signals);
    assert_eq!(a.spf_aligned, Some(true));
}

#[test]
fn arc_is_detected() {
    let a = run(
        json!({"headers": {"From": "a@vendor.com", "ARC-Seal": "i=1; a=rsa-sha256; d=google.com"}}),
    );
    assert!(a.arc_present);
    assert!(!run(clean_vendor(json!({}))).arc_present);
}

// ---------------------------------------------------------------- sender

#[test]
fn display_name_mixed_script() {
    let a = run(msg(
        "\"P\u{0430}yPal Support\" <service@pay-help.example>",
        None,
        json!({}),
    ));
    assert_eq!(
        strength(&a, "display_name_mixed_script"),
        Some(SignalStrength::Strong)
    );
    let a = run(msg("\"Иван Petrov\" <ivan@vendor.com>", None, json!({})));
    assert!(!has(&a, "display_name_mixed_script"));
}

#[test]
fn display_name_contains_other_address() {
    let a = run(msg(
        "\"ceo@corp.example\" <ceo.corp@gmail.com>",
        None,
        json!({}),
    ));
    assert_eq!(
        strength(&a, "display_name_contains_other_address"),
        Some(SignalStrength::Moderate)
    );
    let a = run(msg(
        "\"jane@vendor.com\" <jane@vendor.com>",
        None,
        json!({}),
    ));
    assert!(!has(&a, "display_name_contains_other_address"));
}

#[test]
fn display_name_brand_mismatch() {
    let a = run(msg(
        "\"DocuSign\" <dse@docs-sign-secure.example>",
        None,
        json!({}),
    ));
    assert_eq!(
        strength(&a, "display_name_brand_mismatch"),
        Some(SignalStrength::Moderate)
    );
    let a = run(msg(
        "\"Google Security\" <google.alerts@gmail.com>",
        None,
        json!({}),
    ));
    assert!(
        has(&a, "display_name_brand_mismatch"),
        "a free mailbox never speaks for the brand"
    );
    let a = run(msg(
        "\"Office 365 Admin\" <admin@o365-team.example>",
        None,
        json!({}),
    ));
    assert!(has(&a, "display_name_brand_mismatch"));
    let a = run(msg(
        "\"Alice via DocuSign\" <dse@docusign.net>",
        None,
        json!({}),
    ));
    assert!(!has(&a, "display_name_brand_mismatch"));
    let a = run(msg(
        "\"Microsoft\" <msonlineservicesteam@email.microsoftonline.com>",
        None,
        json!({}),
    ));
    assert!(!has(&a, "display_name_brand_mismatch"));
}

#[test]
fn reply_to_checks() {
    let a = run(clean_vendor(
        json!({"reply_to": "vendor.payments@gmail.com"}),
    ));
    assert_eq!(
        strength(&a, "reply_to_free_mail"),
        Some(SignalStrength::Moderate)
    );
    assert!(
        !has(&a, "reply_to_other_domain"),
        "one signal per reply address"
    );
    let a = run(clean_vendor(
        json!({"reply_to": "support@helpdesk-tickets.example"}),
    ));
    assert_eq!(
        strength(&a, "reply_to_other_domain"),
        Some(SignalStrength::Weak)
    );
    let a = run(clean_vendor(json!({"reply_to": "billing@mail.vendor.com"})));
    assert!(!has(&a, "reply_to_other_domain") && !has(&a, "reply_to_free_mail"));
}

#[test]
fn lookalike_domains() {
    for (from, want) in [
        ("a@paypa1.com", "paypal.com"),
        ("a@rnicrosoft.com", "microsoft.com"),
        ("a@micro-soft.com", "microsoft.com"),
        ("a@docusing.com", "docusign.com"),
        ("a@suppliersi-nvoices.com", "suppliers-invoices.com"),
        ("a@c0rp.example", "corp.example"),
    ] {
        let a = run(msg(from, None, json!({})));
        let s = a.signals.iter().find(|s| s.name == "lookalike_domain");
        assert!(
            s.is_some_and(|s| s.fact.contains(want) && s.strength == SignalStrength::Moderate),
            "{from}: {:?}",
            a.signals
        );
    }
    for from in [
        "a@paypal.com",
        "a@corp-payroll.example",
        "a@suppliers-invoices.com",
        "a@vendor.com",
        "a@corp.example",
        "a@apple-orchards.example",
    ] {
        let a = run(msg(from, None, json!({})));
        assert!(!has(&a, "lookalike_domain"), "{from}: {:?}", a.signals);
    }
    // The recipient's organization, a letter changed.
    let a = run(json!({"headers": {"From": "it@contosso.com", "To": "bob@contoso.com"}}));
    assert!(has(&a, "lookalike_domain"), "{:?}", a.signals);
}

// ---------------------------------------------------------------- URLs

fn link(url: &str) -> PhishingAnalysis {
    run(clean_vendor(
        json!({"links": [{"text": "Open", "href": url}]}),
    ))
}

#[test]
fn url_userinfo_authority() {
    let a = link("https://login.microsoftonline.com@evil.example/x");
    assert_eq!(
        strength(&a, "url_userinfo_authority"),
        Some(SignalStrength::Strong)
    );
    assert!(!has(
        &link("https://login.microsoftonline.com/x"),
        "url_userinfo_authority"
    ));
}

#[test]
fn brand_in_subdomain() {
    for url in [
        "https://paypal.com.secure-login.top/x",
        "https://login-microsoftonline.verify-session.app/auth",
        "https://docusign.files-share.example/d",
    ] {
        assert_eq!(
            strength(&link(url), "brand_in_subdomain"),
            Some(SignalStrength::Strong),
            "{url}"
        );
    }
    for url in [
        "https://www.paypal.com/signin",
        "https://contoso.sharepoint.com/sites/x",
        "https://ups.corp.example/status",
        "https://groups.vendor.com/x",
    ] {
        assert!(!has(&link(url), "brand_in_subdomain"), "{url}");
    }
}

#[test]
fn recipient_in_url_fragment() {
    let a = link("https://x.example/a#p.nowak@corp.example");
    assert_eq!(
        strength(&a, "recipient_in_url_fragment"),
        Some(SignalStrength::Strong)
    );
    let a = link("https://x.example/a#cC5ub3dha0Bjb3JwLmV4YW1wbGU");
    assert!(has(&a, "recipient_in_url_fragment"), "base64");
    assert!(!has(
        &link("https://x.example/a#section-2"),
        "recipient_in_url_fragment"
    ));
    assert!(!has(
        &link("https://x.example/a?u=p.nowak@corp.example"),
        "recipient_in_url_fragment"
    ));
}

#[test]
fn url_raw_ip_host_shortener_and_path() {
    assert_eq!(
        strength(&link("http://45.147.230.18/login"), "url_raw_ip_host"),
        Some(SignalStrength::Moderate)
    );
    assert!(
        has(&link("http://3232235777/x"), "url_raw_ip_host")
            || has(&link("http://3232235777/x"), "url_raw_ip_host")
    );
    assert!(
        !has(&link("http://10.1.2.3/x"), "url_raw_ip_host"),
        "internal address"
    );
    assert!(!has(&link("https://vendor.com/x"), "url_raw_ip_host"));
    assert_eq!(
        strength(&link("https://bit.ly/3abc"), "url_shortener"),
        Some(SignalStrength::Weak)
    );
    assert!(!has(&link("https://vendor.com/3abc"), "url_shortener"));
    assert_eq!(
        strength(
            &link("https://x.example/auth/verify"),
            "credential_harvest_path"
        ),
        Some(SignalStrength::Weak)
    );
    assert!(has(
        &link("https://x.example/account/sign-in"),
        "credential_harvest_path"
    ));
    assert!(!has(
        &link("https://x.example/news/today"),
        "credential_harvest_path"
    ));
}

#[test]
fn punycode_domains() {
    let a = link("https://xn--pple-43d.com/id");
    assert_eq!(
        strength(&a, "punycode_domain"),
        Some(SignalStrength::Strong),
        "{:?}",
        a.signals
    );
    let a = link("https://xn--mnchen-3ya.de/");
    assert_eq!(
        strength(&a, "punycode_domain"),
        Some(SignalStrength::Moderate)
    );
    assert!(!has(&link("https://muenchen.de/"), "punycode_domain"));
    // A sender domain too.
    let a = run(msg("a@xn--l-7sba6dbr.com", None, json!({})));
    assert_eq!(
        strength(&a, "punycode_domain"),
        Some(SignalStrength::Strong),
        "{:?}",
        a.signals
    );
}

#[test]
fn lookalike_link_hosts_and_unrelated_links() {
    assert!(has(&link("https://paypa1.com/x"), "lookalike_domain"));
    // A link to a domain unrelated to the sender is ordinary.
    let a = link("https://click.mail.esp.example/ls/click?upn=1");
    assert!(a.signals.is_empty(), "{:?}", a.signals);
}

// ---------------------------------------------------------------- attachments

fn attach(att: Value) -> PhishingAnalysis {
    let mut extra = json!({});
    extra["attachments"] = Value::Array(vec![att]);
    run(clean_vendor(extra))
}

#[test]
fn attachment_name_signals() {
    let cases: &[(&str, &str, SignalStrength)] = &[
        (
            "invoice\u{202e}fdp.exe",
            "attachment_bidi_filename",
            SignalStrength::Strong,
        ),
        (
            "invoice.pdf.exe",
            "attachment_double_extension",
            SignalStrength::Strong,
        ),
        (
            "INV-20931.com",
            "attachment_executable_type",
            SignalStrength::Strong,
        ),
        (
            "statement.js",
            "attachment_executable_type",
            SignalStrength::Strong,
        ),
        (
            "Document.lnk",
            "attachment_shortcut_type",
            SignalStrength::Strong,
        ),
        (
            "remittance.html",
            "attachment_html_document",
            SignalStrength::Strong,
        ),
        (
            "invoice.exe.",
            "attachment_filename_obscured",
            SignalStrength::Moderate,
        ),
        (
            "in\u{200b}voice.pdf",
            "attachment_filename_obscured",
            SignalStrength::Moderate,
        ),
        (
            "scan.pdf::$DATA",
            "attachment_filename_obscured",
            SignalStrength::Moderate,
        ),
        (
            "docs.iso",
            "attachment_mark_of_the_web_container",
            SignalStrength::Moderate,
        ),
        (
            "budget.xlsm",
            "attachment_macro_enabled_document",
            SignalStrength::Moderate,
        ),
    ];
    for (name, signal, s) in cases {
        let a = attach(json!({"filename": name}));
        assert_eq!(strength(&a, signal), Some(*s), "{name}: {:?}", a.signals);
    }
    let a = attach(json!({"filename": "invoice\u{202e}fdp.exe"}));
    let fact = &a
        .signals
        .iter()
        .find(|s| s.name == "attachment_bidi_filename")
        .unwrap()
        .fact;
    assert!(
        fact.contains("invoiceexe.pdf") && fact.contains("<U+202E>"),
        "{fact}"
    );
    assert!(has(&a, "attachment_executable_type"));
    for benign in [
        "Rechnung.pdf",
        "report.final.pdf",
        "photo.png",
        "budget.xlsx",
        "archive.zip",
        "notes.txt",
    ] {
        let a = attach(json!({"filename": benign}));
        assert!(a.signals.is_empty(), "{benign}: {:?}", a.signals);
    }
    let a = attach(json!({"filename": "setup.v2.exe"}));
    assert!(!has(&a, "attachment_double_extension"));
}

#[test]
fn attachment_record_signals() {
    let a = attach(json!({"filename": "a.xls", "has_macros": true}));
    assert_eq!(
        strength(&a, "attachment_macro_enabled_document"),
        Some(SignalStrength::Moderate)
    );
    assert!(!has(
        &attach(json!({"filename": "a.xls", "has_macros": false})),
        "attachment_macro_enabled_document"
    ));
    let a = attach(json!({"filename": "docs.zip", "encrypted": true}));
    assert_eq!(
        strength(&a, "attachment_encrypted_archive"),
        Some(SignalStrength::Moderate)
    );
    assert!(!has(
        &attach(json!({"filename": "docs.zip", "encrypted": false})),
        "attachment_encrypted_archive"
    ));
    let a = attach(
        json!({"filename": "invoice.pdf", "detected_type": "PE32 executable (GUI) Intel 80386"}),
    );
    assert_eq!(
        strength(&a, "attachment_type_mismatch"),
        Some(SignalStrength::Moderate)
    );
    assert!(has(&a, "attachment_executable_type"));
    for benign in [
        json!({"filename": "a.docx", "detected_type": "Zip archive data"}),
        json!({"filename": "a.pdf", "content_type": "application/octet-stream"}),
        json!({"filename": "a.pdf", "content_type": "application/pdf"}),
    ] {
        assert!(
            !has(&attach(benign.clone()), "attachment_type_mismatch"),
            "{benign}"
        );
    }
    let a = attach(json!({"filename": "a.pdf", "urls": ["https://files.example/doc"]}));
    assert_eq!(
        strength(&a, "attachment_embedded_url"),
        Some(SignalStrength::Moderate)
    );
    assert_eq!(a.urls_examined, ["https://files.example/doc"]);
    assert!(!has(
        &attach(json!({"filename": "a.pdf"})),
        "attachment_embedded_url"
    ));
    let a = attach(json!({"filename": "pack.zip", "contents": ["readme.txt", "invoice.pdf.scr"]}));
    assert!(
        has(&a, "attachment_double_extension") && has(&a, "attachment_executable_type"),
        "{:?}",
        a.signals
    );
}

#[test]
fn qr_destinations_are_graded() {
    let qr = |from: Option<&str>, url: &str| {
        let mut raw = json!({"email_subject": "Scan to pay", "attachments": [{"filename": "scan.png", "content_type": "image/png", "qr_codes": [url]}]});
        if let Some(f) = from {
            raw["headers"] = json!({"From": f, "Authentication-Results": "mx.corp.example; spf=pass smtp.mailfrom=corp.example; dkim=pass header.d=corp.example; dmarc=pass"});
        }
        run(raw)
    };
    let a = qr(
        Some("servicedesk@corp.example"),
        "https://sso.corp.example/mfa/enroll",
    );
    assert_eq!(
        strength(&a, "attachment_qr_url"),
        Some(SignalStrength::Weak)
    );
    let a = qr(
        Some("servicedesk@corp.example"),
        "https://login.microsoftonline.com/common",
    );
    assert_eq!(
        strength(&a, "attachment_qr_url"),
        Some(SignalStrength::Moderate)
    );
    let a = qr(None, "https://pay.parking-meter.example/zone/12");
    assert_eq!(
        strength(&a, "attachment_qr_url"),
        Some(SignalStrength::Moderate)
    );
    let a = qr(
        Some("servicedesk@corp.example"),
        "https://pay.parking-meter.example/zone/12",
    );
    assert_eq!(
        strength(&a, "attachment_qr_url"),
        Some(SignalStrength::Strong)
    );
    let a = qr(
        Some("servicedesk@corp.example"),
        "otpauth://totp/Corp:bob?secret=ABC",
    );
    assert!(
        !has(&a, "attachment_qr_url"),
        "a non-URL payload is not a destination"
    );
}

#[test]
fn budgets_and_truncation() {
    let many: Vec<Value> = (0..30)
        .map(|i| json!({"filename": format!("f{i}.pdf")}))
        .collect();
    let a = run(clean_vendor(json!({"attachments": many})));
    assert_eq!(a.attachments_examined.len(), 25);
    assert!(has(&a, "attachments_truncated"));
    let urls: Vec<String> = (0..30).map(|i| format!("https://x.example/{i}")).collect();
    let a = attach(json!({"filename": "a.pdf", "urls": urls.clone(), "qr_codes": urls}));
    assert!(
        has(&a, "attachment_embedded_urls_truncated") && has(&a, "attachment_qr_urls_truncated")
    );
    let links: Vec<String> = (0..250).map(|i| format!("https://x.example/{i}")).collect();
    let a = run(clean_vendor(json!({"links": links})));
    assert_eq!(a.urls_examined.len(), 200);
    assert_eq!(
        strength(&a, "urls_truncated"),
        Some(SignalStrength::Moderate)
    );
    let a = run(clean_vendor(json!({"links": ["https://x.example/1"]})));
    assert!(!has(&a, "urls_truncated"));
}

// ---------------------------------------------------------------- trace and inventory

#[test]
fn received_chain_order() {
    let chain = |top: &str, below: &str| {
        run(json!({"headers": {"From": "a@vendor.com", "Received": [
            format!("from mx.corp.example by mbx.corp.example; {top}"),
            format!("from out.vendor.com by mx.corp.example; {below}")]}}))
    };
    let a = chain(
        "Thu, 14 May 2026 08:26:39 +0000",
        "Thu, 14 May 2026 11:26:31 +0000",
    );
    assert_eq!(
        strength(&a, "received_chain_non_monotonic"),
        Some(SignalStrength::Strong)
    );
    let a = chain(
        "Thu, 14 May 2026 08:26:39 +0000",
        "Thu, 14 May 2026 08:26:31 +0000",
    );
    assert!(!has(&a, "received_chain_non_monotonic"));
    // Two minutes of clock skew, and the same instant in two zones.
    let a = chain(
        "Thu, 14 May 2026 08:26:39 +0000",
        "Thu, 14 May 2026 08:28:31 +0000",
    );
    assert!(!has(&a, "received_chain_non_monotonic"));
    let a = chain(
        "Thu, 14 May 2026 10:26:39 +0200",
        "Thu, 14 May 2026 04:26:31 -0400 (EDT)",
    );
    assert!(!has(&a, "received_chain_non_monotonic"));
    // A chain listed oldest first reads in that order.
    let a = run(json!({"headers": {"From": "a@vendor.com", "Received": [
        "from out.vendor.com by mx.corp.example; Thu, 14 May 2026 08:26:31 +0000",
        "from mx.corp.example by mbx.corp.example; Thu, 14 May 2026 08:26:39 +0000"]}}));
    assert!(!has(&a, "received_chain_non_monotonic"));
}

fn payroll() -> Value {
    json!({
        "recipient": "e.varga@corp.example",
        "headers": {
            "From": "\"Payroll Notifications\" <no-reply@corp-payroll.example>",
            "Reply-To": "<payroll-support@corp-payroll.example>",
            "Return-Path": "<bounces+8841-e.varga=corp.example@mail.sg-relay.example>",
            "Authentication-Results": "corp-mx.example; spf=pass smtp.mailfrom=mail.sg-relay.example; corp-mx.example; dkim=pass header.d=corp-payroll.example; corp-mx.example; dmarc=pass action=none header.from=corp-payroll.example; compauth=pass reason=100"
        },
        "links": [
            {"text": "View", "href": "https://click.mail.sg-relay.example/ls/click?upn=X"},
            {"text": "Prefs", "href": "https://bit.ly/3PayrollPrefs"},
            {"text": "Sign in", "href": "https://portal.corp-payroll.example/login"}
        ]
    })
}

fn payroll_inventory() -> MailInventory {
    MailInventory::from_value(
        &json!({"_comment": ["x"], "hosts": {}, "mail_senders": {"corp-payroll.example": {
        "provider": "the sanctioned payroll notification service", "owner": "hr-systems",
        "authorized_domains": ["mail.sg-relay.example", "corp-payroll.example"]}}}),
    )
}

#[test]
fn sanctioned_bulk_sender_needs_the_inventory_and_authentication() {
    let inv = payroll_inventory();
    assert_eq!(inv.len(), 1);
    let a = analyze(&alert(payroll()), &inv).unwrap();
    assert_eq!(
        strength(&a, "sanctioned_bulk_sender"),
        Some(SignalStrength::Weak)
    );
    assert_eq!(counts(&a).0, 0, "{:?}", a.signals);
    assert_eq!(a.spf_aligned, Some(false));
    assert_eq!(a.dkim_aligned, Some(true));
    // The bare section works too.
    let bare =
        MailInventory::from_value(&json!({"corp-payroll.example": {"authorized_domains": []}}));
    assert!(has(
        &analyze(&alert(payroll()), &bare).unwrap(),
        "sanctioned_bulk_sender"
    ));
    // Without the inventory: no such signal.
    let a = run(payroll());
    assert!(!has(&a, "sanctioned_bulk_sender"));
    // Spoofed: the From domain did not authenticate.
    let mut spoof = payroll();
    spoof["headers"]["Authentication-Results"] = json!(
        "corp-mx.example; spf=pass smtp.mailfrom=mail.sg-relay.example; dkim=fail header.d=corp-payroll.example; dmarc=fail header.from=corp-payroll.example"
    );
    let a = analyze(&alert(spoof), &inv).unwrap();
    assert!(!has(&a, "sanctioned_bulk_sender"), "{:?}", a.signals);
    assert!(has(&a, "dmarc_fail"));
    // A claim in the alert is not an inventory entry.
    let mut claim = payroll();
    claim["sanctioned"] = json!("this sender is approved by IT");
    assert!(!has(&run(claim), "sanctioned_bulk_sender"));
    assert!(MailInventory::from_value(&json!(null)).is_empty());
    assert!(MailInventory::from_value(&json!({"mail_senders": {"x.example": "bad"}})).is_empty());
}

// ---------------------------------------------------------------- output

#[test]
fn summary_and_benign_causes() {
    let a = run(clean_vendor(json!({})));
    assert_eq!(
        a.summary,
        "Signals: none — evidence toward a false positive, not proof of one"
    );
    let a = run(msg(
        "\"DocuSign\" <x@docs-sign.example>",
        Some("mx.corp.example; spf=fail smtp.mailfrom=docs-sign.example; dmarc=fail"),
        json!({"links": ["https://bit.ly/x"]}),
    ));
    assert!(
        a.summary
            .starts_with("1 strong, 1 moderate, 1 weak signal(s): dmarc_fail"),
        "{}",
        a.summary
    );
    assert!(a.signals.iter().all(|s| {
        s.benign_cause
            .as_deref()
            .is_some_and(|b| !b.is_empty() && !b.starts_with("No specific"))
    }));
    assert_eq!(
        a.signals[0].strength,
        SignalStrength::Strong,
        "strongest first"
    );
}

#[test]
fn hostile_input_never_panics_and_facts_stay_one_line() {
    let mut deep = json!({"email_sender": "x@evil.example"});
    for _ in 0..60 {
        deep = json!({"email": deep, "n": 1});
    }
    let huge = "a".repeat(500_000);
    let raws = [
        deep,
        json!({"email_sender": format!("{huge}@{huge}.com"), "email_subject": huge}),
        json!({"headers": {"From": "\"\u{202e}\u{200b}Bank\nSupport\r\" <a@b.example>", "Authentication-Results": "=;=;;;((((\"\"\"; spf=; dkim==; x=y=z"}}),
        json!({"headers": {"From": "=?utf-8?B?////?= =?x?Q?=ZZ?= <a@xn--zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.com>", "Received": ["from ; 99 Foo 99999 99:99:99 +9999", "by", ";", "from a by b; Mon, 31 Feb 2026 25:00:00 +0000"]}}),
        json!({"links": [format!("https://{huge}.com/#{huge}"), "http://[::1", "https://@", "https://a:b@/", "hxxps://evil[.]example/login"], "email_sender": "a@b.example"}),
        json!({"attachments": [{"filename": "\u{202e}\u{202e}..\u{feff}::$DATA", "qr_codes": [{"data": 5}], "urls": [null, 3, {"href": []}]}, "x", 7], "email_sender": "a@b.example"}),
        json!({"email": {"from": {"emailAddress": {"name": "Micr\u{043e}soft", "address": "a@b.example"}}, "to": [[["deep@corp.example"]]], "reply_to": {"address": ["r@gmail.com"]}}}),
        json!({"headers": [{"name": "From", "value": "a@b.example"}, {"name": 5}, "Received: junk", {"value": "x"}]}),
    ];
    for raw in raws {
        if let Ok(a) = Alert::from_value(
            json!({"timestamp": "2026-05-14T08:26:41Z", "source": "s", "severity": "low", "title": "t", "raw_log": raw}),
            Format::Native,
            &Limits::default(),
        ) && let Some(p) = analyze(&a, &MailInventory::empty())
        {
            for s in &p.signals {
                assert!(
                    !s.fact.contains(['\n', '\r', '\u{202e}', '\u{200b}']),
                    "{}",
                    s.fact
                );
                assert!(s.fact.chars().count() <= 601, "{}", s.fact.len());
            }
            assert!(!p.summary.contains('\n'));
        }
    }
}

// ---------------------------------------------------------------- reference alerts

#[test]
fn reference_mail_alerts_are_graded() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/research/seed-data/data");
    let dir = root.join("sample_alerts");
    if !dir.is_dir() {
        println!("skipped: reference files not found at {}", dir.display());
        return;
    }
    let inventory = std::fs::read_to_string(root.join("asset_context.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .map(|v| MailInventory::from_value(&v))
        .unwrap_or_default();
    let load = |path: &std::path::Path| -> Option<Alert> {
        let text = std::fs::read_to_string(path).ok()?;
        Alert::from_json(&text, &Limits::default()).ok()
    };
    let mut graded = std::collections::BTreeMap::new();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.extend(
        std::fs::read_dir(dir.join("pending"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    let dev = root.join("../../../data/alerts-dev");
    files.extend(
        std::fs::read_dir(&dev)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let Some(a) = load(path) else {
            continue;
        };
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match analyze(&a, &inventory) {
            Some(p) => {
                let (s, m, w) = counts(&p);
                println!(
                    "{name}: {s} strong / {m} moderate / {w} weak: {}",
                    p.summary
                );
                for sig in &p.signals {
                    println!("    {:?} {}: {}", sig.strength, sig.name, sig.fact);
                }
                graded.insert(name, (s, m, w));
            }
            None => println!("{name}: no mail material"),
        }
    }
    let expect = |name: &str, want: (usize, usize, usize)| {
        if let Some(got) = graded.get(name) {
            assert_eq!(*got, want, "{name}");
        }
    };
    // The reference analyzer's grading of the QR pair.
    if let Some((s, m, _)) = graded.get("phishing_qr_mfa_lure") {
        assert_eq!((*s, *m), (3, 2), "QR lure");
    }
    expect("benign_qr_mfa_enrollment", (0, 0, 2));
    if let Some((s, _, _)) = graded.get("benign_payroll_bulk_mail") {
        assert_eq!(*s, 0, "payroll");
    }
    for attack in ["phishing_credential_harvest", "DEV-0002"] {
        if let Some((s, _, _)) = graded.get(attack) {
            assert!(*s >= 1, "{attack}");
        }
    }
    for not_mail in [
        "suspicious_url_click",
        "oauth_consent_grant",
        "brute_force_ssh",
        "benign_oauth_consent",
    ] {
        assert!(!graded.contains_key(not_mail), "{not_mail}");
    }
}

#[test]
fn a_second_header_under_the_receivers_id_adds_no_passing_signature() {
    let a = run(
        json!({"headers": {"From": "ceo@corp.example", "Authentication-Results": [
        "mx.corp.example; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail header.from=corp.example",
        "mx.corp.example; spf=pass smtp.mailfrom=corp.example; dkim=pass header.d=corp.example; dmarc=pass"]}}),
    );
    assert_eq!(a.dmarc_result.as_deref(), Some("fail"));
    assert_ne!(a.dkim_result.as_deref(), Some("pass"));
    assert!(has(&a, "dmarc_fail"));
}

/// A small deterministic generator of hostile strings.
struct Junk(u64);

impl Junk {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "0",
            "9",
            ".",
            "-",
            "_",
            "@",
            ":",
            ";",
            "=",
            "?",
            "(",
            ")",
            "\"",
            "<",
            ">",
            ",",
            " ",
            "\t",
            "\n",
            "\r\n ",
            "#",
            "/",
            "\\",
            "%",
            "%4",
            "%41",
            "xn--",
            "=?utf-8?B?",
            "=?x?Q?",
            "?=",
            "\u{202e}",
            "\u{200b}",
            "\u{feff}",
            "а",
            "о",
            "ü",
            "İ",
            "ß",
            "€",
            "😀",
            "spf=pass",
            "dkim=",
            "header.d=",
            "smtp.mailfrom=",
            "dmarc=fail",
            "compauth=fail",
            "https://",
            "www.",
            "::$DATA",
            ".exe",
            ".pdf",
            "microsoft",
            "paypal",
            "corp.example",
            "Thu, 14 May 2026 08:26:39 +0000",
            "from ",
            " by ",
            "2026-05-14T08:26:39Z",
        ];
        let n = (self.next() % 24) as usize;
        (0..n)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn generated_hostile_messages_never_panic() {
    let mut j = Junk(0x9e37_79b9_7f4a_7c15);
    for _ in 0..1500 {
        let raw = json!({
            "recipient": j.text(),
            "headers": {"From": j.text(), "Reply-To": j.text(), "Return-Path": j.text(),
                "Authentication-Results": [j.text(), j.text()], "Received": [j.text(), j.text(), j.text()],
                "ARC-Seal": j.text()},
            "raw_headers": format!("From: {}\nAuthentication-Results: {}\n\n{}", j.text(), j.text(), j.text()),
            "links": [j.text(), {"href": j.text()}],
            "attachments": [{"filename": j.text(), "content_type": j.text(), "detected_type": j.text(),
                "qr_codes": [j.text()], "urls": [j.text()], "contents": [j.text()]}],
            "email": {"from": {"name": j.text(), "address": j.text()}, "spf": j.text(), "dkim": j.text()}
        });
        if let Some(p) = analyze(&alert(raw), &MailInventory::empty()) {
            for s in &p.signals {
                assert!(!s.fact.contains(['\n', '\r', '\u{202e}']), "{}", s.fact);
            }
        }
    }
}

#[test]
fn cost_per_mail_alert_is_small() {
    let raws = [
        payroll(),
        msg(
            "\"Microsoft 365 Security\" <security@microsoft365-verify.com>",
            Some(
                "corp-mx.example; spf=pass smtp.mailfrom=microsoft365-verify.com; dkim=pass header.d=microsoft365-verify.com; dmarc=pass; compauth=fail",
            ),
            json!({"links": ["https://login-microsoftonline.verify-session.app/auth/verify#p.nowak@corp.example"]}),
        ),
    ];
    let alerts: Vec<Alert> = raws.into_iter().map(alert).collect();
    let inv = payroll_inventory();
    let start = std::time::Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        for a in &alerts {
            assert!(analyze(a, &inv).is_some());
        }
    }
    let per = start.elapsed() / (rounds * alerts.len() as u32);
    println!("analyze: {per:?} per mail alert (unoptimized test build)");
}
