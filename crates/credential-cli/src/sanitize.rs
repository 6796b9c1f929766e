//! Removes anything that looks like a token from tool output before it goes
//! into an error message or a log line.

/// JSON fields whose string values are replaced.
const SECRET_FIELDS: &[&str] = &[
    "accessToken",
    "access_token",
    "refreshToken",
    "refresh_token",
    "token",
    "Token",
];

/// The most characters of tool output an error carries.
const MAX_CHARS: usize = 2000;

const REDACTED: &str = "****";

/// `text` with token-like content replaced by `****`, trimmed and shortened:
/// - the string values of JSON fields named like a token (`"accessToken": "…"`);
/// - anything after `Bearer `;
/// - JWT-like runs (starting `eyJ`, base64url characters and dots).
pub(crate) fn sanitize(text: &str) -> String {
    let mut out = text.to_owned();
    for field in SECRET_FIELDS {
        out = redact_json_field(&out, field);
    }
    out = redact_after(&out, "Bearer ");
    out = redact_jwts(&out);
    let trimmed = out.trim();
    if trimmed.chars().count() > MAX_CHARS {
        let short: String = trimmed.chars().take(MAX_CHARS).collect();
        format!("{short}… (shortened)")
    } else {
        trimmed.to_owned()
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/')
}

/// Replaces the value in every `"field" : "value"` occurrence.
fn redact_json_field(text: &str, field: &str) -> String {
    let needle = format!("\"{field}\"");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let after_key = pos + needle.len();
        out.push_str(&rest[..after_key]);
        rest = &rest[after_key..];
        // Optional white space, a colon, optional white space, a quote.
        let trimmed = rest.trim_start();
        let Some(after_colon) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value = after_colon.trim_start();
        let Some(body) = value.strip_prefix('"') else {
            continue;
        };
        // Copy the separator as it was, then skip the value to its closing quote.
        let separator_len = rest.len() - body.len();
        out.push_str(&rest[..separator_len]);
        let mut escaped = false;
        let mut end = body.len();
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push_str(REDACTED);
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces the run of token characters after each `marker`.
fn redact_after(text: &str, marker: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(marker) {
        let start = pos + marker.len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let len: usize = tail
            .chars()
            .take_while(|c| is_token_char(*c))
            .map(char::len_utf8)
            .sum();
        if len > 0 {
            out.push_str(REDACTED);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// Replaces every run of token characters that starts with `eyJ` (base64 of
/// `{"`, how every JWT begins) and is long enough to be one.
fn redact_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(pos) = rest.find("eyJ") {
        let before = rest[..pos].chars().next_back().or(previous);
        let tail = &rest[pos..];
        let len: usize = tail
            .chars()
            .take_while(|c| is_token_char(*c))
            .map(char::len_utf8)
            .sum();
        let starts_a_run = before.is_none_or(|c| !is_token_char(c));
        out.push_str(&rest[..pos]);
        if starts_a_run && len >= 16 {
            out.push_str(REDACTED);
            previous = tail[..len].chars().next_back();
        } else {
            out.push_str(&tail[..len.max(3)]);
            previous = tail[..len.max(3)].chars().next_back();
        }
        rest = &tail[len.max(3)..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl-_x";

    #[test]
    fn removes_json_token_values() {
        let text = r#"{"accessToken": "opaque-secret-1", "expiresOn": "2030-01-01", "token":"opaque\"secret2","Token" :  "s3"}"#;
        let clean = sanitize(text);
        for secret in ["opaque-secret-1", "opaque\\\"secret2", "secret2", "s3\""] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains(r#""accessToken": "****""#), "{clean}");
        assert!(clean.contains(r#""token":"****""#), "{clean}");
        assert!(clean.contains("2030-01-01"), "{clean}");
    }

    #[test]
    fn removes_jwts_and_bearer_values() {
        let text = format!("ERROR: bad token {JWT} and Bearer opaque-abc.def, done");
        let clean = sanitize(&text);
        assert!(!clean.contains("eyJ0eXAi"), "{clean}");
        assert!(!clean.contains("c2lnbmF0dXJl"), "{clean}");
        assert!(!clean.contains("opaque-abc"), "{clean}");
        assert_eq!(clean, "ERROR: bad token **** and Bearer ****, done");
    }

    #[test]
    fn keeps_ordinary_text() {
        let text = "  ERROR: Please run 'az login' to setup account.\n";
        assert_eq!(
            sanitize(text),
            "ERROR: Please run 'az login' to setup account."
        );
        // "eyJ" inside a word, or too short to be a token, stays.
        assert_eq!(sanitize("key eyJx theyJump"), "key eyJx theyJump");
    }

    #[test]
    fn shortens_long_output() {
        let long = "x".repeat(5000);
        let clean = sanitize(&long);
        assert!(clean.len() < 2100);
        assert!(clean.ends_with("(shortened)"));
    }
}
