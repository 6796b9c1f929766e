//! [`SecretValue`]: a secret's value, wiped from memory when dropped.

use std::fmt;
use std::ops::Deref;

use credential_core::__private::constant_time_eq;
use zeroize::Zeroizing;

/// A secret's value. It reads as a `&str` (it derefs to `str`, compares
/// with `&str` and `String`), never shows itself in `Debug` and has no
/// `Display`, and its memory (the whole buffer) is overwritten with zeros
/// when it is dropped.
///
/// ```
/// # use keyvault_secrets::SecretValue;
/// let value = SecretValue::from("hunter2");
/// assert_eq!(value, "hunter2");
/// assert_eq!(value.len(), 7);
/// let text: &str = &value;
/// assert_eq!(text, "hunter2");
/// assert_eq!(format!("{value:?}"), "SecretValue(***)");
/// ```
#[derive(Clone, Default)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// The value as a `&str`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a [`credential_core::Secret`], moved without a copy
    /// (the emptied buffer left behind holds nothing to wipe).
    pub fn into_secret(mut self) -> credential_core::Secret {
        credential_core::Secret::new(std::mem::take(&mut *self.0))
    }
}

impl Deref for SecretValue {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SecretValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        Self(Zeroizing::new(value))
    }
}

impl From<&str> for SecretValue {
    fn from(value: &str) -> Self {
        Self(Zeroizing::new(value.to_owned()))
    }
}

// Every comparison takes time that depends only on the lengths, as
// `credential_core::Secret`'s does: a value is never compared byte by byte
// with an early exit.
impl PartialEq for SecretValue {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl Eq for SecretValue {}

impl PartialEq<str> for SecretValue {
    fn eq(&self, other: &str) -> bool {
        constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl PartialEq<&str> for SecretValue {
    fn eq(&self, other: &&str) -> bool {
        constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl PartialEq<String> for SecretValue {
    fn eq(&self, other: &String) -> bool {
        constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_str_and_hides_in_debug() {
        let value = SecretValue::from(String::from("s3cr3t"));
        assert_eq!(value, "s3cr3t");
        assert_eq!(value, String::from("s3cr3t"));
        assert!(value.starts_with("s3"));
        assert!(!format!("{value:?} {value:#?}").contains("s3cr3t"));
    }

    #[test]
    fn equality_is_by_value_against_every_form() {
        let value = SecretValue::from("s3cr3t");
        assert_eq!(value, SecretValue::from("s3cr3t"));
        assert_ne!(value, SecretValue::from("s3cr3T"));
        assert_ne!(value, SecretValue::from("s3cr3"));
        assert!(value == *"s3cr3t" && value != *"x3cr3t");
        assert!(value == "s3cr3t" && value != "s3cr3");
        let (same, other) = (String::from("s3cr3t"), String::from("S3cr3t"));
        assert!(value == same && value != other);
    }
}
