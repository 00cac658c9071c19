//! Urlscan provider. (placeholder until the implementation lands)

use async_trait::async_trait;
use soc_core::{Ioc, IocKind};

use crate::config::ProviderSettings;
use crate::{IntelError, IntelProvider, IntelRecord};

/// The Urlscan provider.
#[derive(Debug)]
pub struct Urlscan {
    _settings: ProviderSettings,
}

impl Urlscan {
    /// A provider for these settings.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built.
    pub fn new(settings: ProviderSettings) -> Result<Self, IntelError> {
        Ok(Self { _settings: settings })
    }
}

#[async_trait]
impl IntelProvider for Urlscan {
    fn name(&self) -> &'static str {
        "urlscan"
    }

    fn supports(&self, _kind: IocKind) -> bool {
        false
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        Err(IntelError::Unsupported { provider: "urlscan", kind: ioc.kind })
    }
}
