//! Threat groups ranked by how many of an investigation's techniques they use.

use super::Catalog;
use crate::investigation::GroupMatch;

impl Catalog {
    /// The `top` groups that use the most of `technique_ids`.
    ///
    /// The reference system's rule: top groups by overlap, a sub-technique also matches its
    /// parent, ties alphabetical. In detail:
    ///
    /// 1. Each id is resolved ([`Catalog::resolve`]); unknown ids are skipped, revoked ones
    ///    stand for their replacement.
    /// 2. A group matches an investigation technique `t` when it uses `t` itself, or a
    ///    sub-technique of `t` (when `t` is a parent), or `t`'s parent (when `t` is a
    ///    sub-technique). The first two record `t`; a match through the parent records the
    ///    parent's id. So every matched technique is one of the investigation's (resolved)
    ///    ids or the parent of one.
    /// 3. `matched_techniques` is deduplicated and sorted; `overlap_count` is its length.
    /// 4. Groups with at least one match are sorted by overlap (descending), then name
    ///    (ascending, case-insensitive), then id, and the first `top` are returned.
    pub fn associated_groups(&self, technique_ids: &[String], top: usize) -> Vec<GroupMatch> {
        let mut wanted: Vec<usize> = technique_ids
            .iter()
            .filter_map(|id| self.resolve(id))
            .filter_map(|r| self.index_of(&r.technique.id))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() || top == 0 {
            return Vec::new();
        }

        // Every (group, technique to record) pair of the wanted techniques, from the index,
        // in tie-break order (name, case-insensitive, then id); each group's run of pairs
        // is its set of matched techniques.
        let index = self.technique_matches();
        let mut hits: Vec<(usize, usize, usize)> = wanted
            .iter()
            .filter_map(|&t| index.get(t))
            .flatten()
            .copied()
            .collect();
        hits.sort_unstable();
        hits.dedup();
        // Each group's run as (rank, group, start in `hits`, length): hundreds of groups
        // can match, and only `top` of them are kept, so no per-group list is built.
        let mut runs: Vec<(usize, usize, usize, usize)> = Vec::new();
        for (i, &(rank, g, _)) in hits.iter().enumerate() {
            match runs.last_mut() {
                Some((r, _, _, len)) if *r == rank => *len += 1,
                _ => runs.push((rank, g, i, 1)),
            }
        }
        runs.sort_by_key(|&(rank, _, _, len)| (std::cmp::Reverse(len), rank));
        runs.truncate(top);
        let mut out: Vec<GroupMatch> = runs
            .into_iter()
            .filter_map(|(_, g, start, len)| {
                let group = self.groups.get(g)?;
                let mut ids: Vec<String> = hits
                    .get(start..start + len)?
                    .iter()
                    .filter_map(|&(_, _, via)| self.techniques.get(via))
                    .map(|t| t.id.clone())
                    .collect();
                ids.sort();
                Some(GroupMatch {
                    group: group.name.clone(),
                    group_id: group.id.clone(),
                    aliases: group.aliases.clone(),
                    overlap_count: ids.len(),
                    matched_techniques: ids,
                })
            })
            .collect();
        out.truncate(top);
        out
    }

    /// Group indexes sorted by name (case-insensitive), then id.
    fn group_order(&self) -> &[usize] {
        self.group_order.get_or_init(|| {
            let mut order: Vec<usize> = (0..self.groups.len()).collect();
            order.sort_by_cached_key(|&g| {
                (
                    self.groups[g].name.to_lowercase(),
                    self.groups[g].id.clone(),
                )
            });
            order
        })
    }

    /// Per technique, the sorted groups that can match it: those using it, those using
    /// one of its sub-techniques, and those using its parent (the candidates from which
    /// `technique_matches` is built).
    fn technique_groups(&self) -> Vec<Vec<usize>> {
        let mut by_t: Vec<Vec<usize>> = vec![Vec::new(); self.techniques.len()];
        for (g, uses) in self.group_techniques.iter().enumerate() {
            for &u in uses {
                if let Some(v) = by_t.get_mut(u) {
                    v.push(g);
                }
                // A group using a sub-technique can match its parent, and a group
                // using a parent can match each of its sub-techniques.
                if let Some(p) = self.parents.get(u).copied().flatten()
                    && let Some(v) = by_t.get_mut(p)
                {
                    v.push(g);
                }
            }
        }
        for (t, parent) in self.parents.iter().enumerate() {
            if let Some(p) = *parent {
                let users: Vec<usize> = self
                    .group_techniques
                    .iter()
                    .enumerate()
                    .filter(|(_, uses)| uses.binary_search(&p).is_ok())
                    .map(|(g, _)| g)
                    .collect();
                if let Some(v) = by_t.get_mut(t) {
                    v.extend(users);
                }
            }
        }
        for v in &mut by_t {
            v.sort_unstable();
            v.dedup();
        }
        by_t
    }

    /// See `technique_matches` on [`Catalog`].
    fn technique_matches(&self) -> &[Vec<(usize, usize, usize)>] {
        self.technique_matches.get_or_init(|| {
            let mut rank = vec![0usize; self.groups.len()];
            for (r, &g) in self.group_order().iter().enumerate() {
                if let Some(x) = rank.get_mut(g) {
                    *x = r;
                }
            }
            self.technique_groups()
                .into_iter()
                .enumerate()
                .map(|(t, groups)| {
                    let mut v: Vec<(usize, usize, usize)> = groups
                        .iter()
                        .filter_map(|&g| Some((*rank.get(g)?, g, self.match_via(g, t)?)))
                        .collect();
                    v.sort_unstable();
                    v
                })
                .collect()
        })
    }

    /// Per group, the sorted parents of the sub-techniques it uses (built once).
    fn group_sub_parents(&self) -> &[Vec<usize>] {
        self.group_sub_parents.get_or_init(|| {
            self.group_techniques
                .iter()
                .map(|uses| {
                    let mut parents: Vec<usize> = uses
                        .iter()
                        .filter_map(|&u| self.parents.get(u).copied().flatten())
                        .collect();
                    parents.sort_unstable();
                    parents.dedup();
                    parents
                })
                .collect()
        })
    }

    /// Whether group `g` matches technique `t`, and if so the index to record: `t` itself,
    /// or its parent for a match via the parent.
    fn match_via(&self, g: usize, t: usize) -> Option<usize> {
        let uses = self.group_techniques.get(g)?;
        if uses.binary_search(&t).is_ok() {
            return Some(t);
        }
        match self.parents.get(t).copied().flatten() {
            // A parent technique: does the group use one of its sub-techniques?
            None => self
                .group_sub_parents()
                .get(g)?
                .binary_search(&t)
                .is_ok()
                .then_some(t),
            // A sub-technique: does the group use its parent?
            Some(p) => uses.binary_search(&p).is_ok().then_some(p),
        }
    }
}
