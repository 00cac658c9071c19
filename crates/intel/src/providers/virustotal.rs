//! VirusTotal provider. (placeholder until the implementation lands)

use async_trait::async_trait;
use soc_core::{Ioc, IocKind};

use crate::config::ProviderSettings;
use crate::{IntelError, IntelProvider, IntelRecord};

/// The VirusTotal provider.
#[derive(Debug)]
pub struct VirusTotal {
    _settings: ProviderSettings,
}

impl VirusTotal {
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
impl IntelProvider for VirusTotal {
    fn name(&self) -> &'static str {
        "virustotal"
    }

    fn supports(&self, _kind: IocKind) -> bool {
        false
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        Err(IntelError::Unsupported { provider: "virustotal", kind: ioc.kind })
    }
}
