//! The binary's one rustls crypto provider (*ring*), for the webhook client and PostgreSQL's
//! TLS (lettre brings its own, configured with the same backend).
//!
//! rustls 0.23.48 deprecates `crypto::ring::default_provider` ("no support for post-quantum
//! algorithms") in favour of aws-lc-rs. We keep *ring* for now: aws-lc-rs is a large C build
//! (cmake) on every cold build of a 2-core CI, and what post-quantum key exchange protects
//! against (traffic recorded today, decrypted decades later) weighs little for reminders about a
//! published work plan. This is the one place that names the provider, so the deprecation is
//! allowed once and a move to aws-lc-rs is a one-file change. (Our Cargo.lock holds 0.23.46, where
//! nothing is deprecated yet; the fuzz workspace's lock already holds 0.23.48.)

use rustls::crypto::CryptoProvider;

/// The provider every TLS client of this binary uses.
#[allow(deprecated)]
pub fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Installs [`provider`] as the process default (for clients built without one, such as
/// reqwest's); a provider already installed is kept.
pub fn install_default() {
    // Err means a provider is already installed, which is what we want.
    let _ = provider().install_default();
}
