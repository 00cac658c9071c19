//! The MITRE ATT&CK Enterprise catalog. (first cut, replaced by the full version)

use crate::investigation::GroupMatch;

/// One technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// Id (`T1110`, `T1110.001`).
    pub id: String,
    /// Name (sub-techniques without their parent's name).
    pub name: String,
    /// Tactic short names.
    pub tactics: Vec<String>,
    /// Parent id for sub-techniques.
    pub parent: Option<String>,
    /// Deprecated in the catalog.
    pub deprecated: bool,
    /// Revoked in the catalog.
    pub revoked: bool,
    /// The replacement of a revoked technique.
    pub revoked_by: Option<String>,
}

/// The catalog.
#[derive(Debug, Default)]
pub struct Catalog {}

/// The embedded catalog.
pub fn catalog() -> &'static Catalog {
    static C: Catalog = Catalog {};
    &C
}

impl Catalog {
    /// Exact lookup by id.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let _ = id;
        None
    }

    /// Top groups by overlap.
    pub fn associated_groups(&self, technique_ids: &[String], top: usize) -> Vec<GroupMatch> {
        let _ = (technique_ids, top);
        Vec::new()
    }
}
