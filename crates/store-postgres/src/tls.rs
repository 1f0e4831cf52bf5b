//! TLS to PostgreSQL with rustls, chosen by the URL's `sslmode` as libpq does:
//!
//! | `sslmode` | encrypted | server certificate checked |
//! |---|---|---|
//! | `disable` | no | — |
//! | `prefer` (default) | when the server offers it | no |
//! | `require` | yes, or no connection | no |
//! | `verify-ca` | yes | signed by a trusted CA |
//! | `verify-full` | yes | signed by a trusted CA and naming the host |
//!
//! Trusted CAs are those of `sslrootcert=FILE` (PEM) when the URL has it, else the Mozilla
//! roots. tokio-postgres knows only the first three modes and not `sslrootcert`, so both are
//! taken out of the URL here and the connection asks for `require` where a check is wanted.

use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use store::{Result, StoreError};
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore,
    SignatureScheme,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Encrypt, take any certificate (libpq's prefer and require).
    Nothing,
    /// The certificate must chain to a trusted CA.
    Chain,
    /// ... and name the host.
    Full,
}

/// A URL as tokio-postgres reads it, and how to build the TLS connector for it.
pub struct Target {
    pub url: String,
    check: Check,
    root_cert: Option<PathBuf>,
}

/// Takes `sslmode=verify-*` and `sslrootcert` out of a `postgres://` URL.
pub fn target(url: &str) -> Target {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut check, mut root_cert) = (Check::Nothing, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (key, value) {
            ("sslmode", "verify-ca") => {
                check = Check::Chain;
                kept.push("sslmode=require".to_owned());
            }
            ("sslmode", "verify-full") => {
                check = Check::Full;
                kept.push("sslmode=require".to_owned());
            }
            ("sslrootcert", path) => {
                let path = percent_decode(path);
                root_cert = Some(PathBuf::from(path));
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Target {
        url,
        check,
        root_cert,
    }
}

impl Target {
    /// The rustls connector for this target's checks.
    pub fn connector(&self) -> Result<MakeRustlsConnect> {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match self.check {
            Check::Nothing => Arc::new(AnyCertificate(Arc::clone(&provider))),
            Check::Chain | Check::Full => {
                let roots = Arc::new(self.roots()?);
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                    .build()
                    .map_err(|e| tls_setup(format!("cannot check certificates: {e}")))?;
                Arc::new(Checked {
                    webpki,
                    names: self.check == Check::Full,
                })
            }
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(path) => {
                let read = |e: &dyn std::fmt::Display| {
                    tls_setup(format!("cannot read sslrootcert {}: {e}", path.display()))
                };
                for cert in CertificateDer::pem_file_iter(path).map_err(|e| read(&e))? {
                    roots
                        .add(cert.map_err(|e| read(&e))?)
                        .map_err(|e| read(&e))?;
                }
                if roots.is_empty() {
                    return Err(read(&"no certificate in it"));
                }
            }
        }
        Ok(roots)
    }
}

fn tls_setup(message: String) -> StoreError {
    StoreError::Backend(format!("TLS to PostgreSQL: {message}"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libpq's `prefer` and `require`: the connection is encrypted, the certificate is not
/// checked (so it guards against listening, not against a server in the middle). The
/// handshake's signatures are still checked, as they must be for the keys to be the ones
/// the certificate carries.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self, _: &CertificateDer<'_>, _: &[CertificateDer<'_>], _: &ServerName<'_>, _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca` and `verify-full`: the chain against the trusted CAs, and for `verify-full`
/// the host name too.
#[derive(Debug)]
struct Checked {
    webpki: Arc<WebPkiServerVerifier>,
    names: bool,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self, end_entity: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>, ocsp: &[u8], now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, TlsError> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(CertificateError::NotValidForName))
            | Err(TlsError::InvalidCertificate(CertificateError::NotValidForNameContext {
                ..
            })) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_and_the_root_certificate_leave_the_url() {
        let t = target("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&x=1");
        assert_eq!(t.url, "postgres://u@h/db?sslmode=require&x=1");
        assert_eq!(t.check, Check::Full);
        assert_eq!(t.root_cert, Some(PathBuf::from("/tmp/ca.pem")));
        let t = target("postgres://u@h/db?sslmode=verify-ca");
        assert_eq!(
            (t.url.as_str(), t.check),
            ("postgres://u@h/db?sslmode=require", Check::Chain)
        );
        let t = target("postgres://u@h/db?sslmode=require");
        assert_eq!(
            (t.url.as_str(), t.check),
            ("postgres://u@h/db?sslmode=require", Check::Nothing)
        );
        assert_eq!(target("postgres://u@h/db").url, "postgres://u@h/db");
    }
}
