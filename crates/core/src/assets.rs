//! The operator's asset inventory: what hosts, addresses, service accounts and SaaS apps
//! are *for*. It is the only source allowed to call activity sanctioned; alert text that
//! claims legitimacy is untrusted.
//!
//! The file is JSON in the reference system's shape (`asset_context.json`):
//! `hosts{name: {role, owner, notes, expected_activity[]}}`, `ips{addr: {host}}`,
//! `service_accounts{name: {role, owner, notes, expected_activity[]}}`,
//! `saas_apps{client_id: {name, role, owner, notes, expected_activity[]}}`,
//! `mail_senders{domain: {...}}` (read by the mail analysis). Keys starting with `_` are
//! comments.
//!
//! [`AssetInventory::match_alert`] finds the entries the alert's own entities point at:
//! hosts by name (the alert's host, host and domain indicators), addresses by IP
//! indicators (reported with their host's role), service accounts by user indicators
//! (case-insensitive, `DOMAIN\` and `@domain` stripped), SaaS apps by client id found
//! anywhere in the alert. A SaaS app named in the alert without its client id is matched
//! only when the entry lists that name, and the match says the id was not seen: a display
//! name is chosen by whoever registered the app.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::alert::Alert;
use crate::investigation::{AssetEntityType, AssetMatch};
use crate::ioc::{IocKind, IocSet};

/// Why an inventory file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetError {
    /// Not JSON, or not the expected shape.
    #[error("asset inventory: {0}")]
    Invalid(String),
}

/// One inventory entry. Unknown fields are refused (a misspelt `expected_activity` would
/// otherwise silently sanction nothing); fields starting with `_` are comments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    expected_activity: Vec<String>,
    #[serde(default)]
    host: Option<String>,
}

/// The inventory.
#[derive(Debug, Clone, Default)]
pub struct AssetInventory {
    hosts: BTreeMap<String, Entry>,
    ips: BTreeMap<String, Entry>,
    accounts: BTreeMap<String, Entry>,
    apps: BTreeMap<String, Entry>,
    mail_senders: Value,
}

fn section(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    lower: bool,
) -> Result<BTreeMap<String, Entry>, AssetError> {
    let mut out = BTreeMap::new();
    let Some(v) = obj.get(key) else {
        return Ok(out);
    };
    let Value::Object(m) = v else {
        return Err(AssetError::Invalid(format!(
            "`{key}` must be an object keyed by name"
        )));
    };
    for (k, e) in m {
        if k.starts_with('_') {
            continue;
        }
        let entry: Entry = serde_json::from_value(without_comments(e))
            .map_err(|err| AssetError::Invalid(format!("`{key}.{k}`: {err}")))?;
        out.insert(
            if lower {
                k.trim().to_lowercase()
            } else {
                k.trim().to_owned()
            },
            entry,
        );
    }
    Ok(out)
}

/// An entry without its `_comment`-style members.
fn without_comments(e: &Value) -> Value {
    match e {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The inventory's sections.
const SECTIONS: [&str; 5] = [
    "hosts",
    "ips",
    "service_accounts",
    "saas_apps",
    "mail_senders",
];

fn account_key(user: &str) -> String {
    let u = user.trim();
    let u = u.rsplit_once('\\').map_or(u, |(_, n)| n);
    let u = u.split_once('@').map_or(u, |(n, _)| n);
    u.to_lowercase()
}

impl AssetInventory {
    /// An empty inventory (nothing is sanctioned).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses the inventory file's text.
    ///
    /// # Errors
    ///
    /// [`AssetError::Invalid`] naming the entry that does not parse.
    pub fn from_json(text: &str) -> Result<Self, AssetError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| AssetError::Invalid(e.to_string()))?;
        let Value::Object(obj) = v else {
            return Err(AssetError::Invalid("expected a JSON object".into()));
        };
        // A misspelt section would leave the inventory silently empty.
        if let Some(unknown) = obj
            .keys()
            .find(|k| !k.starts_with('_') && !SECTIONS.contains(&k.as_str()))
        {
            return Err(AssetError::Invalid(format!(
                "unknown section `{unknown}` (expected {}; keys starting with `_` are comments)",
                SECTIONS.map(|s| format!("`{s}`")).join(", ")
            )));
        }
        let mut ips = section(&obj, "ips", false)?;
        // Normalise address keys so they compare with normalised indicators.
        ips = ips
            .into_iter()
            .map(|(k, v)| {
                (
                    k.parse::<std::net::IpAddr>()
                        .map_or(k, |ip| ip.to_canonical().to_string()),
                    v,
                )
            })
            .collect();
        Ok(Self {
            hosts: section(&obj, "hosts", true)?,
            ips,
            accounts: section(&obj, "service_accounts", true)?,
            apps: section(&obj, "saas_apps", true)?,
            mail_senders: obj.get("mail_senders").cloned().unwrap_or(Value::Null),
        })
    }

    /// True when nothing is inventoried.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
            && self.ips.is_empty()
            && self.accounts.is_empty()
            && self.apps.is_empty()
            && self.mail_senders.is_null()
    }

    /// The `mail_senders` section, as the file has it.
    pub fn mail_senders(&self) -> &Value {
        &self.mail_senders
    }

    fn host_match(&self, entity: &str, name: &str, e: &Entry, kind: AssetEntityType) -> AssetMatch {
        AssetMatch {
            entity: entity.to_owned(),
            entity_type: kind,
            name: Some(name.to_owned()),
            role: e
                .role
                .clone()
                .unwrap_or_else(|| "(no role recorded)".to_owned()),
            owner: e.owner.clone(),
            notes: e.notes.clone(),
            expected_activity: e.expected_activity.clone(),
        }
    }

    /// The inventory entries the alert's entities point at (see the module docs).
    pub fn match_alert(&self, alert: &Alert, iocs: &IocSet) -> Vec<AssetMatch> {
        let mut out: Vec<AssetMatch> = Vec::new();
        let mut push = |m: AssetMatch| {
            if !out
                .iter()
                .any(|o| o.entity == m.entity && o.entity_type == m.entity_type)
            {
                out.push(m);
            }
        };
        // Hosts: the alert's host, host and domain indicators.
        let mut host_names: Vec<String> =
            alert.host().map(|h| h.to_lowercase()).into_iter().collect();
        host_names.extend(
            iocs.iter()
                .filter(|f| matches!(f.ioc.kind, IocKind::Host | IocKind::Domain))
                .map(|f| f.ioc.value.to_lowercase()),
        );
        for h in host_names {
            let short = h.split('.').next().unwrap_or(&h).to_owned();
            let hit = self.hosts.get(&h).map(|e| (h.clone(), e)).or_else(|| {
                // A bare host name matches an inventoried FQDN with that first label.
                (!h.contains('.'))
                    .then(|| {
                        self.hosts
                            .iter()
                            .find(|(k, _)| k.split('.').next() == Some(short.as_str()))
                    })
                    .flatten()
                    .map(|(k, e)| (k.clone(), e))
            });
            if let Some((name, e)) = hit {
                push(self.host_match(&h, &name, e, AssetEntityType::Host));
            }
        }
        // Addresses, reported with their host's role.
        for f in iocs.iter().filter(|f| f.ioc.kind.is_ip()) {
            if let Some(e) = self.ips.get(&f.ioc.value) {
                let host = e.host.clone().unwrap_or_default();
                let he = self
                    .hosts
                    .get(&host.to_lowercase())
                    .cloned()
                    .unwrap_or_else(|| e.clone());
                push(self.host_match(&f.ioc.value, &host, &he, AssetEntityType::Ip));
            }
        }
        // Service accounts.
        for f in iocs.of_kind(IocKind::User) {
            let key = account_key(&f.ioc.value);
            if let Some(e) = self.accounts.get(&key) {
                push(self.host_match(&f.ioc.value, &key, e, AssetEntityType::ServiceAccount));
            }
        }
        // SaaS apps: by client id anywhere in the alert; by name only when listed.
        if !self.apps.is_empty() {
            let mut text = alert.title.to_lowercase();
            collect_strings(&Value::Object(alert.raw_log.clone()), &mut text);
            for (_, values) in alert.indicators.iter() {
                for v in values {
                    text.push('\n');
                    text.push_str(&v.to_lowercase());
                }
            }
            for (id, e) in &self.apps {
                if text.contains(id.as_str()) {
                    let name = e.name.clone().unwrap_or_else(|| id.clone());
                    push(self.host_match(id, &name, e, AssetEntityType::SaasApp));
                } else if let Some(name) = &e.name
                    && !name.trim().is_empty()
                    && contains_word(&text, &name.to_lowercase())
                {
                    let mut m = self.host_match(id, name, e, AssetEntityType::SaasApp);
                    m.notes = Some(format!(
                        "matched by display name only: the alert does not carry the inventoried client id {id}{}",
                        e.notes
                            .as_deref()
                            .map(|n| format!("; {n}"))
                            .unwrap_or_default()
                    ));
                    push(m);
                }
            }
        }
        out
    }
}

fn collect_strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push('\n');
            out.push_str(&s.to_lowercase());
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Limits};
    use crate::ioc::{IocConfig, extract};

    const INV: &str = r#"{
        "_comment": ["operator data"],
        "hosts": {"scanner-01.corp.internal": {"role": "vulnerability scanner", "owner": "secops", "expected_activity": ["nightly scan"]}},
        "ips": {"10.44.7.9": {"host": "scanner-01.corp.internal"}},
        "service_accounts": {"svc-scan": {"role": "scanning account", "owner": "secops"}},
        "saas_apps": {"8B5C1E2A-4F6D-4A9B-9C3E-7D2F5A8E1B04": {"name": "Diagrammer", "role": "sanctioned SaaS", "owner": "it-apps"}},
        "mail_senders": {"payroll.example": {"provider": "payroll"}}
    }"#;

    fn alert(raw: &Value, indicators: &Value) -> (Alert, IocSet) {
        let a = Alert::from_value(
            serde_json::json!({"timestamp": "2026-01-01T00:00:00Z", "source": "siem", "severity": "low", "title": "t", "raw_log": raw.clone(), "indicators": indicators.clone()}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap();
        let iocs = extract(&a, &IocConfig::default());
        (a, iocs)
    }

    #[test]
    fn misspelt_sections_and_fields_are_refused() {
        let e = AssetInventory::from_json(r#"{"hostz": {}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown section `hostz`"), "{e}");
        let e = AssetInventory::from_json(
            r#"{"hosts": {"h1": {"role": "r", "expected_activty": ["x"]}}}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("`hosts.h1`") && e.to_string().contains("expected_activty"),
            "{e}"
        );
        // Comments at every level are fine.
        let inv = AssetInventory::from_json(
            r#"{"_note": 1, "hosts": {"_c": "x", "h1": {"role": "r", "_why": "audit"}}}"#,
        )
        .unwrap();
        assert!(!inv.is_empty());
    }

    #[test]
    fn entities_point_at_entries() {
        let inv = AssetInventory::from_json(INV).unwrap();
        let (a, iocs) = alert(
            &serde_json::json!({"host": "db-1.corp.internal", "src": "10.44.7.9"}),
            &serde_json::json!({"ips": ["10.44.7.9"], "users": ["CORP\\SVC-Scan"]}),
        );
        let m = inv.match_alert(&a, &iocs);
        let kinds: Vec<AssetEntityType> = m.iter().map(|x| x.entity_type).collect();
        assert!(kinds.contains(&AssetEntityType::Ip), "{m:?}");
        assert!(kinds.contains(&AssetEntityType::ServiceAccount), "{m:?}");
        let ip = m
            .iter()
            .find(|x| x.entity_type == AssetEntityType::Ip)
            .unwrap();
        assert_eq!(ip.role, "vulnerability scanner");
        assert_eq!(ip.name.as_deref(), Some("scanner-01.corp.internal"));
        assert!(!inv.mail_senders().is_null());
    }

    #[test]
    fn apps_by_client_id_or_listed_name_only() {
        let inv = AssetInventory::from_json(INV).unwrap();
        let (a, iocs) = alert(
            &serde_json::json!({"app_id": "8b5c1e2a-4f6d-4a9b-9c3e-7d2f5a8e1b04"}),
            &serde_json::json!({}),
        );
        let m = inv.match_alert(&a, &iocs);
        assert_eq!(m.len(), 1);
        assert!(m[0].notes.is_none());
        let (a, iocs) = alert(
            &serde_json::json!({"app": "Diagrammer"}),
            &serde_json::json!({}),
        );
        let m = inv.match_alert(&a, &iocs);
        assert!(m[0].notes.as_deref().unwrap().contains("display name only"));
        let (a, iocs) = alert(
            &serde_json::json!({"app": "Diagrammer Pro"}),
            &serde_json::json!({}),
        );
        assert_eq!(inv.match_alert(&a, &iocs).len(), 1, "word match");
        let (a, iocs) = alert(
            &serde_json::json!({"app": "Diagrammers"}),
            &serde_json::json!({}),
        );
        assert!(inv.match_alert(&a, &iocs).is_empty());
    }

    #[test]
    fn bad_files_are_named() {
        assert!(AssetInventory::from_json("[]").is_err());
        let e =
            AssetInventory::from_json(r#"{"hosts": {"h": {"expected_activity": "not a list"}}}"#)
                .unwrap_err();
        assert!(e.to_string().contains("hosts.h"), "{e}");
        assert!(AssetInventory::empty().is_empty());
    }
}
