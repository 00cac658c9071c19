//! AbuseIpDb provider. (placeholder until the implementation lands)

use async_trait::async_trait;
use soc_core::{Ioc, IocKind};

use crate::config::ProviderSettings;
use crate::{IntelError, IntelProvider, IntelRecord};

/// The AbuseIpDb provider.
#[derive(Debug)]
pub struct AbuseIpDb {
    _settings: ProviderSettings,
}

impl AbuseIpDb {
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
impl IntelProvider for AbuseIpDb {
    fn name(&self) -> &'static str {
        "abuseipdb"
    }

    fn supports(&self, _kind: IocKind) -> bool {
        false
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        Err(IntelError::Unsupported { provider: "abuseipdb", kind: ioc.kind })
    }
}
