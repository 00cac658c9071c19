//! What a call costs: a price table in USD per million tokens, and the cost of one call.
//!
//! [`PriceTable::default`] holds the list prices of the default models (Anthropic's
//! Claude Haiku 4.5, Sonnet 4.5, Sonnet 4.6 and Sonnet 4, by alias and by dated id; the
//! cache-write price is the 5-minute rate, the one the clients ask for). Operators override
//! or add rows with [`PriceTable::insert`] or [`PriceTable::with_overrides`] (a config file
//! maps onto the latter through serde), including a price of zero for a self-hosted model.
//!
//! A model with no row is **unpriced**: its [`CallCost`] has `cost_usd: None` and
//! `unpriced: true`, so a sum of costs can say it undercounts. Nothing is ever priced at
//! zero by default. A server that reports no usage makes the call unpriced too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::LlmError;
use crate::model::Usage;

/// Prices of one model, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Input tokens read from the prompt cache.
    pub cache_read: f64,
    /// Input tokens written to the prompt cache.
    pub cache_write: f64,
}

impl ModelPrice {
    /// The cost of `usage` at these prices, in USD.
    pub fn cost(&self, usage: &Usage) -> f64 {
        // u64 → f64 loses precision only above 2^53 tokens, far beyond any call.
        let part = |tokens: u64, per_million: f64| tokens as f64 * per_million;
        (part(usage.input, self.input)
            + part(usage.output, self.output)
            + part(usage.cache_read, self.cache_read)
            + part(usage.cache_write, self.cache_write))
            / 1_000_000.0
    }

    fn check(&self, model: &str) -> Result<(), LlmError> {
        for (name, v) in [
            ("input", self.input),
            ("output", self.output),
            ("cache_read", self.cache_read),
            ("cache_write", self.cache_write),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(LlmError::Config(format!(
                    "price `{name}` of model `{model}` must be a finite number >= 0, got {v}"
                )));
            }
        }
        Ok(())
    }
}

/// Claude Haiku 4.5: $1 in, $5 out, $0.10 cache hit, $1.25 cache write (5 min).
const HAIKU_4_5: ModelPrice = ModelPrice {
    input: 1.0,
    output: 5.0,
    cache_read: 0.10,
    cache_write: 1.25,
};

/// Claude Sonnet 4 / 4.5 / 4.6 (up to 200K input): $3 in, $15 out, $0.30 cache hit, $3.75
/// cache write (5 min).
const SONNET_4: ModelPrice = ModelPrice {
    input: 3.0,
    output: 15.0,
    cache_read: 0.30,
    cache_write: 3.75,
};

/// The default rows: model id → price.
const DEFAULT_PRICES: &[(&str, ModelPrice)] = &[
    ("claude-haiku-4-5", HAIKU_4_5),
    ("claude-haiku-4-5-20251001", HAIKU_4_5),
    ("claude-sonnet-4-5", SONNET_4),
    ("claude-sonnet-4-5-20250929", SONNET_4),
    ("claude-sonnet-4-6", SONNET_4),
    ("claude-sonnet-4-0", SONNET_4),
    ("claude-sonnet-4-20250514", SONNET_4),
];

/// Prices by model id.
///
/// Lookup is by exact id first, then by the id without a trailing date
/// (`claude-haiku-4-5-20251001` → `claude-haiku-4-5`, `gpt-4o-mini-2024-07-18` →
/// `gpt-4o-mini`), so a dated snapshot is priced like its alias unless it has its own row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, ModelPrice>",
    into = "BTreeMap<String, ModelPrice>"
)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

impl Default for PriceTable {
    /// The list prices of the default models (see the module documentation).
    fn default() -> Self {
        Self {
            prices: DEFAULT_PRICES
                .iter()
                .map(|(m, p)| ((*m).to_owned(), *p))
                .collect(),
        }
    }
}

impl TryFrom<BTreeMap<String, ModelPrice>> for PriceTable {
    type Error = LlmError;

    /// The given rows only (no defaults), each checked.
    fn try_from(rows: BTreeMap<String, ModelPrice>) -> Result<Self, LlmError> {
        let mut t = Self::empty();
        for (m, p) in rows {
            t.insert(m, p)?;
        }
        Ok(t)
    }
}

impl From<PriceTable> for BTreeMap<String, ModelPrice> {
    fn from(t: PriceTable) -> Self {
        t.prices
    }
}

impl PriceTable {
    /// A table with no rows: every model is unpriced.
    pub fn empty() -> Self {
        Self {
            prices: BTreeMap::new(),
        }
    }

    /// The defaults with `overrides` applied on top (a row replaces the default row of the
    /// same model id).
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] when a price is negative or not finite.
    pub fn with_overrides<I, S>(overrides: I) -> Result<Self, LlmError>
    where
        I: IntoIterator<Item = (S, ModelPrice)>,
        S: Into<String>,
    {
        let mut t = Self::default();
        for (m, p) in overrides {
            t.insert(m, p)?;
        }
        Ok(t)
    }

    /// Sets the price of `model`, replacing any row it had.
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] when a price is negative or not finite, or the id is empty.
    pub fn insert(&mut self, model: impl Into<String>, price: ModelPrice) -> Result<(), LlmError> {
        let model = model.into().trim().to_owned();
        if model.is_empty() {
            return Err(LlmError::Config("a price row needs a model id".to_owned()));
        }
        price.check(&model)?;
        self.prices.insert(model, price);
        Ok(())
    }

    /// The price of `model` (exact id, then the id without a trailing date).
    pub fn get(&self, model: &str) -> Option<&ModelPrice> {
        let model = model.trim();
        self.prices
            .get(model)
            .or_else(|| strip_date_suffix(model).and_then(|base| self.prices.get(base)))
    }

    /// The model ids with a price.
    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.prices.keys().map(String::as_str)
    }

    /// The cost of a call: priced by the model that answered, else by the model that was
    /// asked for. `usage` `None` (the server reported none) makes it unpriced.
    pub fn cost(&self, answered_by: &str, requested: &str, usage: Option<&Usage>) -> CallCost {
        let price = self.get(answered_by).or_else(|| self.get(requested));
        match (price, usage) {
            (Some(p), Some(u)) => CallCost::priced(p.cost(u)),
            _ => CallCost::unpriced(),
        }
    }
}

/// `name` without a trailing `-YYYYMMDD` or `-YYYY-MM-DD`, when it has one.
fn strip_date_suffix(name: &str) -> Option<&str> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // -YYYYMMDD
    if let Some((base, tail)) = name.rsplit_once('-')
        && tail.len() == 8
        && digits(tail)
        && !base.is_empty()
    {
        return Some(base);
    }
    // -YYYY-MM-DD
    let mut parts = name.rsplitn(4, '-');
    let (d, m, y, base) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (d.len() == 2
        && m.len() == 2
        && y.len() == 4
        && digits(d)
        && digits(m)
        && digits(y)
        && !base.is_empty())
    .then_some(base)
}

/// What one call cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CallCost {
    /// USD at the table's prices; `None` when unpriced.
    pub cost_usd: Option<f64>,
    /// True when the call could not be priced (the model has no price row, or the server
    /// reported no usage). Always equal to `cost_usd.is_none()`.
    pub unpriced: bool,
}

impl CallCost {
    /// A priced call.
    pub fn priced(usd: f64) -> Self {
        Self {
            cost_usd: Some(usd),
            unpriced: false,
        }
    }

    /// A call that could not be priced.
    pub fn unpriced() -> Self {
        Self {
            cost_usd: None,
            unpriced: true,
        }
    }

    /// The USD amount, counting an unpriced call as zero: only for sums that also carry the
    /// `unpriced` flag (see [`CostTotal`]).
    pub fn usd_or_zero(&self) -> f64 {
        self.cost_usd.unwrap_or(0.0)
    }
}

/// A running total over calls: USD of the priced ones, and whether any was unpriced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTotal {
    /// Calls added.
    pub calls: u32,
    /// Tokens summed over all calls.
    pub usage: Usage,
    /// USD of the priced calls.
    pub usd: f64,
    /// True when at least one call was unpriced (`usd` then undercounts).
    pub unpriced: bool,
}

impl CostTotal {
    /// Adds one call.
    pub fn add(&mut self, usage: &Usage, cost: &CallCost) {
        self.calls = self.calls.saturating_add(1);
        self.usage += *usage;
        self.usd += cost.usd_or_zero();
        self.unpriced |= cost.unpriced;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn default_models_are_priced_by_alias_and_dated_id() {
        let t = PriceTable::default();
        let u = Usage {
            input: 318,
            output: 96,
            cache_read: 1208,
            cache_write: 0,
        };
        // 318 × $1 + 96 × $5 + 1208 × $0.10 per million.
        let c = t.cost("claude-haiku-4-5-20251001", "claude-haiku-4-5", Some(&u));
        assert!(!c.unpriced);
        assert!(close(c.cost_usd.unwrap(), 0.000_918_8), "{c:?}");
        let sonnet = t.get("claude-sonnet-4-5").unwrap();
        assert!(close(
            sonnet.cost(&Usage {
                cache_write: 1_000_000,
                ..Usage::default()
            }),
            3.75
        ));
        // A later snapshot of a known alias is priced like the alias.
        assert_eq!(t.get("claude-haiku-4-5-20260101"), Some(&HAIKU_4_5));
    }

    #[test]
    fn unknown_models_and_missing_usage_are_unpriced_never_zero() {
        let t = PriceTable::default();
        let u = Usage::default();
        let c = t.cost("gpt-4o-mini-2024-07-18", "gpt-4o-mini", Some(&u));
        assert_eq!(c, CallCost::unpriced());
        assert_eq!(c.cost_usd, None);
        let c = t.cost("claude-haiku-4-5", "claude-haiku-4-5", None);
        assert!(c.unpriced);
        // The requested id prices an answer whose reported id is unknown.
        let c = t.cost("proxy-renamed", "claude-sonnet-4-5", Some(&u));
        assert_eq!(c.cost_usd, Some(0.0));
        assert!(!c.unpriced);
    }

    #[test]
    fn overrides_replace_and_add_rows_and_are_checked() {
        let local = ModelPrice {
            input: 0.0,
            output: 0.0,
            cache_read: 0.0,
            cache_write: 0.0,
        };
        let t = PriceTable::with_overrides([("llama3.1:8b", local)]).unwrap();
        assert_eq!(t.get("llama3.1:8b"), Some(&local));
        assert!(t.get("claude-haiku-4-5").is_some(), "defaults kept");
        let gpt = ModelPrice {
            input: 0.15,
            output: 0.6,
            cache_read: 0.075,
            cache_write: 0.0,
        };
        let t = PriceTable::with_overrides([("gpt-4o-mini", gpt)]).unwrap();
        assert_eq!(t.get("gpt-4o-mini-2024-07-18"), Some(&gpt));
        let bad = ModelPrice {
            input: -1.0,
            ..local
        };
        assert!(matches!(
            PriceTable::with_overrides([("x", bad)]),
            Err(LlmError::Config(_))
        ));
        let nan = ModelPrice {
            output: f64::NAN,
            ..local
        };
        assert!(PriceTable::empty().insert("x", nan).is_err());
        assert!(PriceTable::empty().insert(" ", local).is_err());
    }

    #[test]
    fn table_reads_from_a_config_map() {
        let t: PriceTable = serde_json::from_str(
            r#"{"my-model": {"input": 2, "output": 8, "cache_read": 0.2, "cache_write": 2.5}}"#,
        )
        .unwrap();
        assert_eq!(t.models().collect::<Vec<_>>(), ["my-model"]);
        let bad = serde_json::from_str::<PriceTable>(
            r#"{"m": {"input": -2, "output": 8, "cache_read": 0.2, "cache_write": 2.5}}"#,
        );
        assert!(bad.is_err());
    }

    #[test]
    fn date_suffixes() {
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            strip_date_suffix("gpt-4o-mini-2024-07-18"),
            Some("gpt-4o-mini")
        );
        assert_eq!(strip_date_suffix("claude-sonnet-4-5"), None);
        assert_eq!(strip_date_suffix("20250929"), None);
        assert_eq!(strip_date_suffix("-20250929"), None);
        assert_eq!(strip_date_suffix("llama3.1:8b"), None);
    }

    /// Property: the cost is linear in each token kind, never negative, and a total adds
    /// the priced calls exactly (sampled over random usages and prices).
    #[test]
    fn cost_is_linear_non_negative_and_totals_add_up() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2_000 {
            let p = ModelPrice {
                input: rng.f64() * 20.0,
                output: rng.f64() * 80.0,
                cache_read: rng.f64() * 2.0,
                cache_write: rng.f64() * 25.0,
            };
            let u = Usage {
                input: rng.u64(0..2_000_000),
                output: rng.u64(0..200_000),
                cache_read: rng.u64(0..2_000_000),
                cache_write: rng.u64(0..2_000_000),
            };
            let c = p.cost(&u);
            assert!(c >= 0.0 && c.is_finite());
            let doubled = p.cost(&u.plus(u));
            assert!((doubled - 2.0 * c).abs() <= 1e-9 * c.max(1.0));
            let parts = [
                Usage {
                    input: u.input,
                    ..Usage::default()
                },
                Usage {
                    output: u.output,
                    ..Usage::default()
                },
                Usage {
                    cache_read: u.cache_read,
                    ..Usage::default()
                },
                Usage {
                    cache_write: u.cache_write,
                    ..Usage::default()
                },
            ];
            let sum: f64 = parts.iter().map(|x| p.cost(x)).sum();
            assert!((sum - c).abs() <= 1e-9 * c.max(1.0));
            let mut total = CostTotal::default();
            total.add(&u, &CallCost::priced(c));
            total.add(&u, &CallCost::unpriced());
            assert_eq!(total.calls, 2);
            assert!(total.unpriced);
            assert!((total.usd - c).abs() <= f64::EPSILON * c.max(1.0));
            assert_eq!(total.usage, u.plus(u));
        }
    }
}
