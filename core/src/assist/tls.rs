//! The roots a `wss://` connection trusts: webpki's public roots plus the host's own PEM
//! (`DeepgramConfig::extra_root_certificates`). A leaf: the configuration checks the PEM at
//! start with it, and the upgrade builds its TLS configuration from it.

use tokio_rustls::rustls::RootCertStore;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// The root store for `wss`: webpki's roots (as tokio-tungstenite used) plus `extra_pem`'s
/// certificates. Errors say what is wrong with the PEM without quoting it.
pub(crate) fn tls_roots(extra_pem: &[u8]) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if extra_pem.is_empty() {
        return Ok(roots);
    }
    let mut added = 0usize;
    for (i, cert) in CertificateDer::pem_slice_iter(extra_pem).enumerate() {
        let cert = cert.map_err(|e| format!("PEM block {} cannot be read: {e}", i + 1))?;
        roots
            .add(cert)
            .map_err(|e| format!("certificate {} is not a usable root: {e}", i + 1))?;
        added += 1;
    }
    if added == 0 {
        return Err("no -----BEGIN CERTIFICATE----- block found (PEM expected)".into());
    }
    Ok(roots)
}
