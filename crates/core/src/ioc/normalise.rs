//! Normalisation of single indicator strings. (first cut, replaced by the full version)

use std::borrow::Cow;

use super::{Ioc, IocConfig, IocKind};

/// Undoes common defanging (`hxxp`, `[.]`, `(.)`, `[:]`, `[@]`).
pub fn refang(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

/// Normalises `raw` as an indicator of `kind`; `None` when it is not one.
pub fn normalise(kind: IocKind, raw: &str, cfg: &IocConfig) -> Option<Ioc> {
    let _ = cfg;
    Some(Ioc { kind, value: raw.trim().to_owned(), scope: None })
}

/// Guesses the kind of `raw` and normalises it.
pub fn classify(raw: &str, cfg: &IocConfig) -> Option<Ioc> {
    let _ = (raw, cfg);
    None
}
