//! Parsing and validation of the catalog files, and the lookup indexes.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;

use super::{Catalog, Group, Tactic, Technique, canonical_id};

/// Why the catalog files do not make a catalog.
#[derive(Debug, thiserror::Error)]
pub(super) enum CatalogError {
    /// A file is not the expected JSON array.
    #[error("`{file}` does not parse: {source}")]
    Json {
        /// The file.
        file: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// An id is not in its canonical form (`T1110.001`, `G0007`, `TA0006`).
    #[error("`{file}`: id `{id}` is not canonical")]
    BadId {
        /// The file.
        file: &'static str,
        /// The id.
        id: String,
    },
    /// The same id (or tactic short name) appears twice.
    #[error("`{file}`: duplicate id `{id}`")]
    DuplicateId {
        /// The file.
        file: &'static str,
        /// The id.
        id: String,
    },
    /// A reference to a technique or tactic the catalog does not have.
    #[error("`{id}`: {field} `{target}` is not in the catalog")]
    UnknownReference {
        /// The referring technique or group.
        id: String,
        /// The referring field (`parent`, `revoked_by`, `tactics`, `techniques`).
        field: &'static str,
        /// The missing id.
        target: String,
    },
    /// A sub-technique's parent is itself a sub-technique.
    #[error("`{id}`: parent `{parent}` is a sub-technique")]
    NestedParent {
        /// The sub-technique.
        id: String,
        /// Its parent.
        parent: String,
    },
    /// A revoked technique without a replacement.
    #[error("`{id}` is revoked without `revoked_by`")]
    RevokedWithoutReplacement {
        /// The technique.
        id: String,
    },
    /// Following `revoked_by` from a technique never reaches a non-revoked one.
    #[error("`{id}`: the `revoked_by` chain has a cycle")]
    RevocationCycle {
        /// Where the walk started.
        id: String,
    },
}

fn parse<T: DeserializeOwned>(file: &'static str, json: &str) -> Result<Vec<T>, CatalogError> {
    serde_json::from_str(json).map_err(|source| CatalogError::Json { file, source })
}

/// The key of the name index: lower-case, whitespace collapsed, and `:` written `": "`.
pub(super) fn name_key(name: &str) -> String {
    name.split(':')
        .map(|part| {
            part.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(": ")
}

fn is_technique_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b {
        [b'T', rest @ ..] if rest.len() == 4 => digits(rest),
        [b'T', base @ .., b'.', _, _, _] if base.len() == 4 => {
            digits(base) && digits(b.get(6..).unwrap_or_default())
        }
        _ => false,
    }
}

fn is_prefixed_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|r| r.len() == 4 && r.bytes().all(|c| c.is_ascii_digit()))
}

impl Catalog {
    /// Builds and validates a catalog from the three generated files.
    pub(super) fn from_json(
        techniques: &str,
        groups: &str,
        tactics: &str,
    ) -> Result<Self, CatalogError> {
        let mut techniques: Vec<Technique> = parse("techniques.json", techniques)?;
        let mut groups: Vec<Group> = parse("groups.json", groups)?;
        let mut tactics: Vec<Tactic> = parse("tactics.json", tactics)?;
        // Canonical ids are fixed-width, so string order is id order.
        techniques.sort_by(|a, b| a.id.cmp(&b.id));
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        tactics.sort_by(|a, b| a.matrix_order.cmp(&b.matrix_order).then(a.id.cmp(&b.id)));

        let mut shortnames = HashSet::new();
        let mut tactic_ids = HashSet::new();
        for t in &tactics {
            if !is_prefixed_id(&t.id, "TA") {
                return Err(bad_id("tactics.json", &t.id));
            }
            if !tactic_ids.insert(t.id.as_str()) {
                return Err(duplicate("tactics.json", &t.id));
            }
            if !shortnames.insert(t.shortname.as_str()) {
                return Err(duplicate("tactics.json", &t.shortname));
            }
        }

        let mut by_id = HashMap::with_capacity(techniques.len());
        for (i, t) in techniques.iter().enumerate() {
            if !is_technique_id(&t.id) || canonical_id(&t.id) != t.id {
                return Err(bad_id("techniques.json", &t.id));
            }
            if by_id.insert(t.id.clone(), i).is_some() {
                return Err(duplicate("techniques.json", &t.id));
            }
        }

        let mut parents = Vec::with_capacity(techniques.len());
        for t in &techniques {
            for s in &t.tactics {
                if !shortnames.contains(s.as_str()) {
                    return Err(unknown(&t.id, "tactics", s));
                }
            }
            if t.revoked && t.revoked_by.is_none() {
                return Err(CatalogError::RevokedWithoutReplacement { id: t.id.clone() });
            }
            if let Some(r) = &t.revoked_by
                && !by_id.contains_key(r)
            {
                return Err(unknown(&t.id, "revoked_by", r));
            }
            let parent = match &t.parent {
                None => None,
                Some(p) => {
                    let pi = *by_id.get(p).ok_or_else(|| unknown(&t.id, "parent", p))?;
                    if techniques.get(pi).is_some_and(Technique::is_subtechnique) {
                        return Err(CatalogError::NestedParent {
                            id: t.id.clone(),
                            parent: p.clone(),
                        });
                    }
                    Some(pi)
                }
            };
            parents.push(parent);
        }

        let mut group_ids = HashSet::new();
        let mut group_techniques = Vec::with_capacity(groups.len());
        for g in &groups {
            if !is_prefixed_id(&g.id, "G") {
                return Err(bad_id("groups.json", &g.id));
            }
            if !group_ids.insert(g.id.as_str()) {
                return Err(duplicate("groups.json", &g.id));
            }
            let mut uses = g
                .techniques
                .iter()
                .map(|t| {
                    by_id
                        .get(t)
                        .copied()
                        .ok_or_else(|| unknown(&g.id, "techniques", t))
                })
                .collect::<Result<Vec<_>, _>>()?;
            uses.sort_unstable();
            uses.dedup();
            group_techniques.push(uses);
        }

        let mut catalog = Self {
            techniques,
            groups,
            tactics,
            by_id,
            by_name: HashMap::new(),
            parents,
            group_techniques,
            group_order: std::sync::OnceLock::new(),
            group_sub_parents: std::sync::OnceLock::new(),
            technique_matches: std::sync::OnceLock::new(),
        };
        for t in &catalog.techniques {
            if catalog.follow_revocations(t).is_none() {
                return Err(CatalogError::RevocationCycle { id: t.id.clone() });
            }
        }
        catalog.by_name = catalog.name_index();
        Ok(catalog)
    }

    /// Name index: each technique under its full name (rank 0) and, for sub-techniques,
    /// also under its bare name (rank 1); candidates sorted active first, then by rank,
    /// then by id.
    fn name_index(&self) -> HashMap<String, Vec<usize>> {
        let status = |t: &Technique| match (t.revoked, t.deprecated) {
            (false, false) => 0u8,
            (false, true) => 1,
            (true, _) => 2,
        };
        let mut ranked: HashMap<String, Vec<(u8, u8, usize)>> = HashMap::new();
        for (i, t) in self.techniques.iter().enumerate() {
            let s = status(t);
            ranked
                .entry(name_key(&self.full_name(t)))
                .or_default()
                .push((s, 0, i));
            if t.is_subtechnique() {
                ranked.entry(name_key(&t.name)).or_default().push((s, 1, i));
            }
        }
        ranked
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_unstable();
                let mut seen = HashSet::new();
                let best_first = v.into_iter().map(|e| e.2).filter(|&i| seen.insert(i));
                (k, best_first.collect())
            })
            .collect()
    }
}

fn bad_id(file: &'static str, id: &str) -> CatalogError {
    CatalogError::BadId {
        file,
        id: id.to_owned(),
    }
}

fn duplicate(file: &'static str, id: &str) -> CatalogError {
    CatalogError::DuplicateId {
        file,
        id: id.to_owned(),
    }
}

fn unknown(id: &str, field: &'static str, target: &str) -> CatalogError {
    CatalogError::UnknownReference {
        id: id.to_owned(),
        field,
        target: target.to_owned(),
    }
}
