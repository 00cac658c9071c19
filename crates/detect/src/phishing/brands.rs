//! The brand reference data (`crates/detect/data/brands.json`, operator-editable) and the
//! lookups on it: which brand a domain belongs to, whether a domain may speak for a
//! brand, which brand a display name or a host name's labels invoke, shorteners and
//! free-mail providers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::names::{org_domain, org_label, skeleton};

/// The data file, compiled in.
const BRANDS_JSON: &str = include_str!("../../data/brands.json");

#[derive(Debug, Default, Deserialize)]
struct BrandEntry {
    #[serde(default)]
    tokens: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct BrandFile {
    #[serde(default)]
    brands: BTreeMap<String, BrandEntry>,
    #[serde(default)]
    url_shorteners: Vec<String>,
    #[serde(default)]
    free_mail: Vec<String>,
}

/// One brand.
#[derive(Debug, Clone, Default)]
pub(crate) struct Brand {
    /// Its name.
    pub(crate) name: String,
    /// Distinctive words naming it, lower case.
    pub(crate) tokens: Vec<String>,
    /// Registrable domains it really uses, lower case.
    pub(crate) domains: Vec<String>,
    /// [`skeleton`] of each token.
    token_skeletons: Vec<String>,
    /// Each domain's organization label, precomputed for look-alike comparison.
    pub(crate) labels: Vec<DomainLabel>,
}

/// A brand domain's organization label, precomputed.
#[derive(Debug, Clone, Default)]
pub(crate) struct DomainLabel {
    /// The domain (`microsoft.com`).
    pub(crate) domain: String,
    /// Its organization label (`microsoft`).
    pub(crate) label: String,
    /// The label's [`skeleton`].
    pub(crate) skeleton: String,
    /// Whether the label is one of the brand's tokens (edit distance is only measured
    /// against distinctive names, not generic words a brand also owns).
    pub(crate) distinctive: bool,
}

/// The reference data.
#[derive(Debug, Clone, Default)]
pub(crate) struct Brands {
    /// Brands.
    pub(crate) brands: Vec<Brand>,
    shorteners: Vec<String>,
    free_mail: Vec<String>,
}

static DATA: LazyLock<Brands> = LazyLock::new(|| Brands::parse(BRANDS_JSON).unwrap_or_default());

/// The compiled-in brand data (empty if the file does not parse; a test guards that).
pub(crate) fn data() -> &'static Brands {
    &DATA
}

fn lower_all(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .map(|s| s.trim().trim_end_matches('.').to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `host` is `domain` or a subdomain of it.
fn under(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

impl Brands {
    /// Parses the data file.
    pub(crate) fn parse(text: &str) -> Result<Brands, serde_json::Error> {
        let file: BrandFile = serde_json::from_str(text)?;
        Ok(Brands {
            brands: file
                .brands
                .into_iter()
                .filter(|(name, _)| !name.starts_with('_'))
                .map(|(name, e)| {
                    let mut tokens = lower_all(e.tokens);
                    let n = name.to_lowercase();
                    if !tokens.contains(&n) {
                        tokens.push(n);
                    }
                    let domains = lower_all(e.domains);
                    let labels = domains
                        .iter()
                        .map(|d| {
                            let (label, _) = org_label(d);
                            DomainLabel {
                                domain: d.clone(),
                                skeleton: skeleton(&label),
                                distinctive: tokens.contains(&label),
                                label,
                            }
                        })
                        .collect();
                    Brand {
                        token_skeletons: tokens.iter().map(|t| skeleton(t)).collect(),
                        tokens,
                        domains,
                        labels,
                        name,
                    }
                })
                .collect(),
            shorteners: lower_all(file.url_shorteners),
            free_mail: lower_all(file.free_mail),
        })
    }

    /// A consumer mail provider anyone can open a mailbox with.
    pub(crate) fn is_free_mail(&self, domain: &str) -> bool {
        let d = domain.to_lowercase();
        self.free_mail.iter().any(|f| under(&d, f))
    }

    /// A URL shortener.
    pub(crate) fn is_shortener(&self, host: &str) -> bool {
        let h = host.to_lowercase();
        self.shorteners.iter().any(|s| under(&h, s))
    }

    /// Whether `host` is one of `brand`'s own domains (or under one).
    pub(crate) fn authorized(brand: &Brand, host: &str) -> bool {
        let h = host.to_lowercase();
        let org = org_domain(&h);
        brand.domains.iter().any(|d| under(&h, d) || *d == org)
    }

    /// The brand whose domain `host` is under.
    pub(crate) fn owner_of(&self, host: &str) -> Option<&Brand> {
        self.brands.iter().find(|b| Self::authorized(b, host))
    }

    /// A brand a display name (or other free text) invokes, with the word that names it:
    /// a whole word, two adjacent words run together (`Office 365`), the token followed
    /// by digits (`Microsoft365`), or a word that reads as the token (`Micrоsoft` with a
    /// Cyrillic `о`, `PayPa1`).
    pub(crate) fn named_in(&self, text: &str) -> Option<(&Brand, String)> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(64)
            .map(str::to_lowercase)
            .collect();
        let mut candidates: Vec<String> = words.clone();
        candidates.extend(words.windows(2).map(|w| format!("{}{}", w[0], w[1])));
        let skeletons: Vec<String> = candidates.iter().map(|w| skeleton(w)).collect();
        for b in &self.brands {
            for (t, tsk) in b.tokens.iter().zip(&b.token_skeletons) {
                for (w, wsk) in candidates.iter().zip(&skeletons) {
                    let digits_after = t.len() >= 5
                        && w.starts_with(t.as_str())
                        && w.len() > t.len()
                        && w[t.len()..].bytes().all(|x| x.is_ascii_digit());
                    let reads_as = t.len() >= 4 && wsk == tsk;
                    if w == t || digits_after || reads_as {
                        return Some((b, w.clone()));
                    }
                }
            }
        }
        None
    }

    /// A brand named in the labels of a host's subdomain part, with what matched: a
    /// label part equal to a token (or, for tokens of 6+ letters, starting or ending
    /// with it, as `login-microsoftonline`), a part that reads as a token, or a whole
    /// brand domain embedded (`login.microsoftonline.com.evil.top`).
    pub(crate) fn in_labels(&self, sub: &str) -> Option<(&Brand, String)> {
        let sub = sub.to_lowercase();
        let dotted = format!(".{sub}.");
        let parts: Vec<&str> = sub
            .split(['.', '-', '_'])
            .filter(|p| !p.is_empty())
            .take(64)
            .collect();
        let skeletons: Vec<String> = parts.iter().map(|p| skeleton(p)).collect();
        for b in &self.brands {
            if let Some(d) = b
                .domains
                .iter()
                .find(|d| dotted.contains(&format!(".{d}.")))
            {
                return Some((b, d.clone()));
            }
            for (t, tsk) in b.tokens.iter().zip(&b.token_skeletons) {
                for (p, psk) in parts.iter().zip(&skeletons) {
                    let contains =
                        t.len() >= 6 && (p.starts_with(t.as_str()) || p.ends_with(t.as_str()));
                    let reads_as = t.len() >= 5 && psk == tsk;
                    if *p == t || contains || reads_as {
                        return Some((b, (*p).to_owned()));
                    }
                }
            }
        }
        None
    }
}
