//! `--seed FILE`: secrets loaded at start from a JSON file, or a TOML file
//! when its name ends in `.toml` (the same fields).
//!
//! ```json
//! { "secrets": [
//!     { "name": "db-password", "value": "s3cret", "contentType": "text/plain",
//!       "tags": { "env": "dev" }, "enabled": true,
//!       "notBefore": "2026-01-01T00:00:00Z", "expires": 1798761600 },
//!     { "name": "api-key", "value": "v2", "vault": "team-a" }
//! ] }
//! ```
//!
//! ```toml
//! [[secrets]]
//! name = "db-password"
//! value = "s3cret"
//! contentType = "text/plain"
//! tags = { env = "dev" }
//! notBefore = 2026-01-01T00:00:00Z   # a TOML date-time, or a string
//! expires = 1798761600
//!
//! [[secrets]]
//! name = "api-key"
//! value = "v2"
//! vault = "team-a"
//! ```
//!
//! A name listed twice gets two versions, in file order (the last is the
//! newest). `vault` picks a named vault (the default vault otherwise).
//! A secret that already exists (kept in the data directory) is left as it
//! is, so restarting with the same seed adds nothing.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::EmulatorError;
use crate::store::{Entry, Store, Version};
use crate::vaults::valid_vault_name;

/// The seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    secrets: Vec<SeedSecret>,
}

/// A date: unix seconds or RFC 3339 text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SeedDate {
    Unix(i64),
    Text(String),
}

/// One secret (version) of the seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeedSecret {
    name: String,
    value: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    not_before: Option<SeedDate>,
    #[serde(default)]
    expires: Option<SeedDate>,
    #[serde(default)]
    vault: Option<String>,
}

fn date(d: Option<SeedDate>, what: &str, name: &str) -> Result<Option<i64>, String> {
    match d {
        None => Ok(None),
        Some(SeedDate::Unix(s)) => Ok(Some(s)),
        Some(SeedDate::Text(t)) => OffsetDateTime::parse(&t, &Rfc3339)
            .map(|d| Some(d.unix_timestamp()))
            .map_err(|e| {
                format!(
                    "secret '{name}': {what} '{t}' is not an RFC 3339 date or unix seconds ({e})"
                )
            }),
    }
}

/// Parses the seed file's text: TOML when `path` ends in `.toml` (any
/// case), else JSON.
fn parse(path: &Path, text: &str) -> Result<SeedFile, String> {
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if !is_toml {
        return serde_json::from_str(text).map_err(|e| e.to_string());
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    serde_json::from_value(toml_to_json(toml::Value::Table(table))).map_err(|e| e.to_string())
}

/// The same tree as JSON, so one schema serves both formats; a TOML
/// date-time becomes its RFC 3339 text.
fn toml_to_json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            J::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Reads `path` and adds its secrets to `stores` (keyed by vault name, `""`
/// for the default vault), at unix time `now`. Returns how many versions it
/// added.
pub(crate) async fn apply(
    path: &Path,
    stores: &mut BTreeMap<String, Store>,
    now: i64,
) -> Result<usize, EmulatorError> {
    let fail = |m: String| EmulatorError::Seed(format!("{}: {m}", path.display()));
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| fail(format!("cannot read it ({e})")))?;
    let file = parse(path, &text).map_err(|e| fail(format!("not a valid seed file ({e})")))?;
    // Names present before seeding are left alone.
    let existing: Vec<(String, String)> = stores
        .iter()
        .flat_map(|(vault, s)| s.secrets.keys().map(|k| (vault.clone(), k.clone())))
        .collect();
    let mut added = 0;
    for s in file.secrets {
        let name = s.name.clone();
        if !(1..=127).contains(&name.len())
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(fail(format!(
                "'{name}' is not a valid secret name (1-127 letters, digits and '-')"
            )));
        }
        let vault = s.vault.clone().unwrap_or_default().to_ascii_lowercase();
        if !vault.is_empty() && !valid_vault_name(&vault) {
            return Err(fail(format!(
                "secret '{name}': '{vault}' is not a valid vault name (3-24 letters, digits and '-', starting with a letter)"
            )));
        }
        if s.value.len() > 25 * 1024 {
            return Err(fail(format!(
                "secret '{name}': the value is larger than 25k bytes"
            )));
        }
        let key = name.to_ascii_lowercase();
        if existing.contains(&(vault.clone(), key.clone())) {
            continue;
        }
        let version = Version {
            id: uuid::Uuid::new_v4().simple().to_string(),
            value: s.value,
            content_type: s.content_type,
            tags: s.tags,
            enabled: s.enabled.unwrap_or(true),
            nbf: date(s.not_before, "notBefore", &name).map_err(fail)?,
            exp: date(s.expires, "expires", &name).map_err(fail)?,
            created: now,
            updated: now,
        };
        stores
            .entry(vault)
            .or_default()
            .secrets
            .entry(key)
            .or_insert_with(|| Entry {
                name,
                versions: Vec::new(),
                deleted: None,
                pending: None,
            })
            .versions
            .push(version);
        added += 1;
    }
    Ok(added)
}
