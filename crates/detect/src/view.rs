//! A read-only view over an alert's fields that rules query by key name, whatever shape
//! the source used (flat native fields, nested ECS objects, Windows `event_data`, lists
//! of events).

use serde_json::{Map, Value};
use soc_core::Alert;

/// One scalar in the alert.
#[derive(Debug, Clone)]
pub struct Leaf<'a> {
    /// Dotted path (`raw_log.aggregation.src_ip`, `raw_log.events[2].image`).
    pub path: String,
    /// The leaf's own key, lower case (for list items: the list's key).
    pub key: String,
    /// The key of the object holding it, lower case (`aggregation`, `source`).
    pub parent: String,
    /// The value (string, number or boolean).
    pub value: &'a Value,
}

impl Leaf<'_> {
    /// The value as text (numbers and booleans rendered).
    pub fn text(&self) -> String {
        match self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The value as a number, when it is one or a string holding one.
    pub fn number(&self) -> Option<f64> {
        match self.value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    /// `parent.key`, lower case: matches ECS dotted names such as `source.ip`.
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.parent, self.key)
    }

    /// Whether `name` is [`Leaf::dotted`] (compared without building it).
    pub fn is_dotted(&self, name: &str) -> bool {
        name.len() == self.parent.len() + 1 + self.key.len()
            && name.starts_with(self.parent.as_str())
            && name.ends_with(self.key.as_str())
            && name.as_bytes().get(self.parent.len()) == Some(&b'.')
    }
}

/// The view.
#[derive(Debug)]
pub struct AlertView<'a> {
    /// The alert.
    pub alert: &'a Alert,
    leaves: Vec<Leaf<'a>>,
    arrays: Vec<(String, String, usize)>,
    text: String,
}

impl<'a> AlertView<'a> {
    /// Builds the view of an alert (one pass over `raw_log`).
    pub fn new(alert: &'a Alert) -> Self {
        let mut v = AlertView {
            alert,
            leaves: Vec::new(),
            arrays: Vec::new(),
            text: String::new(),
        };
        v.walk_map(&alert.raw_log, "raw_log", "raw_log");
        let mut text = alert.title.to_lowercase();
        for l in &v.leaves {
            if let Value::String(s) = l.value {
                text.push('\n');
                text.push_str(&s.to_lowercase());
            }
        }
        v.text = text;
        v
    }

    fn walk_map(&mut self, m: &'a Map<String, Value>, path: &str, parent: &str) {
        for (k, val) in m {
            let child = format!("{path}.{k}");
            self.walk(val, &child, &k.to_lowercase(), parent);
        }
    }

    fn walk(&mut self, val: &'a Value, path: &str, key: &str, parent: &str) {
        match val {
            Value::Object(m) => self.walk_map(m, path, key),
            Value::Array(items) => {
                self.arrays
                    .push((path.to_owned(), key.to_owned(), items.len()));
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &format!("{path}[{i}]"), key, parent);
                }
            }
            Value::Null => {}
            scalar => self.leaves.push(Leaf {
                path: path.to_owned(),
                key: key.to_owned(),
                parent: parent.to_owned(),
                value: scalar,
            }),
        }
    }

    /// Every scalar.
    pub fn leaves(&self) -> &[Leaf<'a>] {
        &self.leaves
    }

    /// Leaves whose key (or `parent.key`) is one of `keys` (lower case).
    pub fn by_keys<'s, 'k>(
        &'s self,
        keys: &'k [&'k str],
    ) -> impl Iterator<Item = &'s Leaf<'a>> + use<'s, 'k, 'a> {
        self.leaves
            .iter()
            .filter(move |l| keys.iter().any(|k| *k == l.key || l.is_dotted(k)))
    }

    /// The first number under one of `keys`.
    pub fn number<'s>(&'s self, keys: &[&str]) -> Option<(f64, &'s Leaf<'a>)> {
        self.by_keys(keys).find_map(|l| l.number().map(|n| (n, l)))
    }

    /// The first non-empty string under one of `keys`.
    pub fn string<'s>(&'s self, keys: &[&str]) -> Option<(&'a str, &'s Leaf<'a>)> {
        self.by_keys(keys).find_map(|l| match l.value {
            Value::String(s) if !s.trim().is_empty() => Some((s.as_str(), l)),
            _ => None,
        })
    }

    /// Length of the first array under one of `keys` (lower case), with its path.
    pub fn array_len(&self, keys: &[&str]) -> Option<(usize, &str)> {
        self.arrays
            .iter()
            .find(|(_, k, _)| keys.contains(&k.as_str()))
            .map(|(p, _, n)| (*n, p.as_str()))
    }

    /// Title and every string value, lower case, one per line.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the lower-case text contains `needle` (lower case).
    pub fn mentions(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }
}

/// The file name at the end of a Windows or POSIX path, lower case.
pub fn basename(path: &str) -> String {
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .trim_matches('"')
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_core::alert::{Format, Limits};

    #[test]
    fn keys_match_plain_and_dotted() {
        let a = Alert::from_value(
            serde_json::json!({
                "timestamp": "2026-01-01T00:00:00Z", "source": "s", "severity": "low", "title": "T",
                "raw_log": {"source": {"ip": "1.2.3.4"}, "aggregation": {"failed_attempts": "12"}, "users": ["a", "b"]}
            }),
            Format::Native,
            &Limits::default(),
        )
        .unwrap();
        let v = AlertView::new(&a);
        assert_eq!(v.string(&["source.ip"]).unwrap().0, "1.2.3.4");
        assert_eq!(v.number(&["failed_attempts"]).unwrap().0, 12.0);
        assert_eq!(v.array_len(&["users"]).unwrap().0, 2);
        assert!(v.mentions("t\n"));
        assert_eq!(basename(r"C:\Users\x\INV.com"), "inv.com");
        // Dotted names match parent and key exactly, nothing longer, shorter or shifted.
        for miss in [
            "source.i",
            "source.ipx",
            "sourceip",
            "ource.ip",
            "xsource.ip",
        ] {
            assert!(v.string(&[miss]).is_none(), "{miss}");
        }
        let leaf = v.string(&["source.ip"]).unwrap().1;
        assert!(leaf.is_dotted(&leaf.dotted()));
    }
}
