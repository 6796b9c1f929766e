//! Client certificates (feature `certificate`): [`ClientCertificate`], an RSA
//! key and its chain read from PEM or PKCS#12, and [`sign_assertion`], the
//! PS256 client assertion every certificate-based credential sends
//! (`ClientCertificateCredential`, the on-behalf-of credential).

mod assertion;
mod load;

pub use assertion::{ASSERTION_LIFETIME_SECONDS, sign_assertion};
pub use load::{ClientCertificate, WRONG_PASSWORD};
