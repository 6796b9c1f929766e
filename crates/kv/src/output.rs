//! What kv prints: the JSON views of secrets (the Azure SDKs' camelCase
//! names, RFC 3339 times), the `{"ok":...}` envelope, and `--output table`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use keyvault_secrets::{DeletedSecret, KeyVaultSecret, SecretProperties};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::OutputFormat;
use crate::error::KvError;

/// A secret, its properties, or a deleted secret, as printed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretView {
    /// The name.
    pub name: String,
    /// The value (absent for properties).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The version.
    pub version: Option<String>,
    /// The identifier URL.
    pub id: String,
    /// Whether it may be read.
    pub enabled: Option<bool>,
    /// The content type.
    pub content_type: Option<String>,
    /// The tags (sorted by key).
    pub tags: BTreeMap<String, String>,
    /// When it expires.
    pub expires_on: Option<String>,
    /// When it becomes usable.
    pub not_before: Option<String>,
    /// When it was created.
    pub created_on: Option<String>,
    /// When it was last updated.
    pub updated_on: Option<String>,
    /// The recovery level, e.g. `Recoverable+Purgeable`.
    pub recovery_level: Option<String>,
    /// Deleted secrets: the URL to recover it with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_id: Option<Option<String>>,
    /// Deleted secrets: when it was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_on: Option<Option<String>>,
    /// Deleted secrets: when it will be purged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_purge_date: Option<Option<String>>,
}

/// An RFC 3339 time (`2030-01-01T00:00:00Z`).
pub fn rfc3339(time: Option<OffsetDateTime>) -> Option<String> {
    time.and_then(|t| t.format(&Rfc3339).ok())
}

impl SecretView {
    /// The properties only.
    pub fn properties(p: &SecretProperties) -> Self {
        Self {
            name: p.name.clone(),
            value: None,
            version: p.version.clone(),
            id: p.id.clone(),
            enabled: p.enabled,
            content_type: p.content_type.clone(),
            tags: p.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            expires_on: rfc3339(p.expires_on),
            not_before: rfc3339(p.not_before),
            created_on: rfc3339(p.created_on),
            updated_on: rfc3339(p.updated_on),
            recovery_level: p.recovery_level.clone(),
            recovery_id: None,
            deleted_on: None,
            scheduled_purge_date: None,
        }
    }

    /// A secret with its value.
    pub fn secret(s: &KeyVaultSecret) -> Self {
        Self {
            value: Some(s.value.as_str().to_owned()),
            ..Self::properties(&s.properties)
        }
    }

    /// A deleted secret (with its value when the service returned one).
    pub fn deleted(d: &DeletedSecret) -> Self {
        Self::deleted_parts(
            &d.properties,
            d.value.as_ref().map(|v| v.as_str().to_owned()),
            d.recovery_id.clone(),
            d.deleted_on,
            d.scheduled_purge_date,
        )
    }

    fn deleted_parts(
        properties: &SecretProperties,
        value: Option<String>,
        recovery_id: Option<String>,
        deleted_on: Option<OffsetDateTime>,
        scheduled_purge_date: Option<OffsetDateTime>,
    ) -> Self {
        Self {
            value,
            recovery_id: Some(recovery_id),
            deleted_on: Some(rfc3339(deleted_on)),
            scheduled_purge_date: Some(rfc3339(scheduled_purge_date)),
            ..Self::properties(properties)
        }
    }

    /// As JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The envelope of one operation's outcome.
pub fn envelope(outcome: &Result<Value, KvError>) -> Value {
    match outcome {
        Ok(result) => json!({"ok": true, "result": result}),
        Err(error) => json!({"ok": false, "error": error}),
    }
}

/// Prints one operation's outcome: a JSON line on `stdout`, or a table
/// (errors then go to `stderr` as `error: ...`).
///
/// # Errors
/// An I/O error when `stdout` or `stderr` cannot be written.
pub fn print(
    format: OutputFormat,
    outcome: &Result<Value, KvError>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            writeln!(stdout, "{}", envelope(outcome))?;
        }
        OutputFormat::Table => match outcome {
            Ok(result) => stdout.write_all(table(result).as_bytes())?,
            Err(error) => writeln!(stderr, "error: {}", describe(error))?,
        },
    }
    stdout.flush()
}

/// An error in one line of text, with its status and code.
pub fn describe(error: &KvError) -> String {
    let mut text = error.message.clone();
    match (error.status_code, &error.code) {
        (Some(status), Some(code)) => text.push_str(&format!(" [HTTP {status}, {code}]")),
        (Some(status), None) => text.push_str(&format!(" [HTTP {status}]")),
        (None, Some(code)) => text.push_str(&format!(" [{code}]")),
        (None, None) => {}
    }
    text
}

/// The columns of a listing, in order, when an item has them.
const LIST_COLUMNS: [&str; 9] = [
    "name",
    "version",
    "enabled",
    "contentType",
    "expiresOn",
    "updatedOn",
    "deletedOn",
    "scheduledPurgeDate",
    "tags",
];

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", cell(v)))
            .collect::<Vec<_>>()
            .join(","),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
    .replace(['\n', '\r', '\t'], " ")
}

fn header(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn render_rows(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A readable table: a listing has a row per item; an object has a row per
/// field.
pub fn table(result: &Value) -> String {
    match result {
        Value::Array(items) => {
            let columns: Vec<&str> = LIST_COLUMNS
                .into_iter()
                .filter(|c| items.iter().any(|i| i.get(c).is_some_and(|v| !v.is_null())))
                .collect();
            if items.is_empty() || columns.is_empty() {
                return "(none)\n".to_owned();
            }
            let mut rows = vec![columns.iter().map(|c| header(c)).collect::<Vec<_>>()];
            rows.extend(items.iter().map(|item| {
                columns
                    .iter()
                    .map(|c| item.get(c).map(cell).unwrap_or_default())
                    .collect()
            }));
            render_rows(&rows)
        }
        Value::Object(map) => {
            let rows: Vec<Vec<String>> =
                map.iter().map(|(k, v)| vec![k.clone(), cell(v)]).collect();
            render_rows(&rows)
        }
        other => format!("{}\n", cell(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn props() -> SecretProperties {
        let mut p = SecretProperties::default();
        p.id = "https://v.vault.azure.net/secrets/db/abc".into();
        p.name = "db".into();
        p.version = Some("abc".into());
        p.enabled = Some(true);
        p.created_on = OffsetDateTime::from_unix_timestamp(1_893_456_000).ok();
        p.tags = HashMap::from([("env".into(), "prod".into())]);
        p.recovery_level = Some("Recoverable+Purgeable".into());
        p
    }

    #[test]
    fn secret_json_uses_sdk_names_and_rfc3339() {
        let secret = KeyVaultSecret::new("hunter2", props());
        let v = SecretView::secret(&secret).to_value();
        assert_eq!(
            v,
            json!({
                "name": "db", "value": "hunter2", "version": "abc",
                "id": "https://v.vault.azure.net/secrets/db/abc", "enabled": true,
                "contentType": null, "tags": {"env": "prod"}, "expiresOn": null,
                "notBefore": null, "createdOn": "2030-01-01T00:00:00Z", "updatedOn": null,
                "recoveryLevel": "Recoverable+Purgeable"
            })
        );
        let p = SecretView::properties(&props()).to_value();
        assert!(p.get("value").is_none());
        assert!(p.get("recoveryId").is_none());
    }

    #[test]
    fn deleted_json_adds_deleted_fields() {
        let v = SecretView::deleted_parts(
            &props(),
            None,
            Some("https://v.vault.azure.net/deletedsecrets/db".into()),
            OffsetDateTime::from_unix_timestamp(0).ok(),
            None,
        )
        .to_value();
        assert_eq!(
            v["recoveryId"],
            "https://v.vault.azure.net/deletedsecrets/db"
        );
        assert_eq!(v["deletedOn"], "1970-01-01T00:00:00Z");
        assert_eq!(v["scheduledPurgeDate"], Value::Null);
        assert!(v.get("value").is_none());
    }

    #[test]
    fn envelopes() {
        assert_eq!(
            envelope(&Ok(json!({"a": 1}))).to_string(),
            r#"{"ok":true,"result":{"a":1}}"#
        );
        let mut e = KvError::new("SecretNotFound", "gone");
        e.status_code = Some(404);
        assert_eq!(
            envelope(&Err(e)),
            json!({"ok":false,"error":{"code":"SecretNotFound","message":"gone","statusCode":404}})
        );
    }

    #[test]
    fn tables_for_lists_and_objects() {
        let list = json!([
            {"name": "a", "version": null, "enabled": true, "tags": {}},
            {"name": "longer-name", "version": null, "enabled": false, "tags": {"k": "v"}}
        ]);
        assert_eq!(
            table(&list),
            "NAME         ENABLED  TAGS\na            true\nlonger-name  false    k=v\n"
        );
        assert_eq!(table(&json!([])), "(none)\n");
        assert_eq!(
            table(&json!({"name": "a", "value": "x\ny"})),
            "name   a\nvalue  x y\n"
        );
        assert_eq!(
            table(&json!({"skipped": ["A: no", "B: none"]})),
            "skipped  A: no; B: none\n"
        );
    }

    #[test]
    fn table_errors_go_to_stderr() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut e = KvError::new("Forbidden", "permission denied");
        e.status_code = Some(403);
        print(OutputFormat::Table, &Err(e), &mut out, &mut err).unwrap();
        assert!(out.is_empty());
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "error: permission denied [HTTP 403, Forbidden]\n"
        );
    }
}
