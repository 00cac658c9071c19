//! The process-wide TLS crypto provider. reqwest is built without a provider of its own
//! (`rustls-no-provider`: no aws-lc C build); rustls' ring provider is installed once,
//! before the first client is built.

/// Installs rustls' ring provider as the process default. Idempotent: a provider already
/// installed (by this call, soc-intel's, or the binary's) is kept.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _already = rustls::crypto::ring::default_provider().install_default();
}
