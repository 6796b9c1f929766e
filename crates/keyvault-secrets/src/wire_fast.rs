//! A fast reader for the common shape of a secret bundle, beside the
//! `serde_json` one.
//!
//! Reading a `get_secret` response is most of what the client does on a
//! request besides sending it: through `serde_json` and the derived
//! `Deserialize`, about as much CPU as the rest of the pipeline. Key Vault
//! writes its bundles in one plain shape: an object of strings without
//! escapes, integers, booleans, `null`s, an `attributes` object of the same
//! and a `tags` object of strings. [`parse_bundle`] reads exactly that shape
//! in one pass and gives up (`None`) on anything else: an escape, a
//! fraction or exponent, a nested value it does not know, a repeated field,
//! invalid UTF-8, a syntax error. The caller then reads the body with
//! `serde_json`, so every answer and every error is `serde_json`'s; the fast
//! reader only ever returns what `serde_json` would (a property test checks
//! this on generated bundles, valid and broken).

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::models::{WireAttributes, WireBundle};

/// The bundle in `body`, if it has the plain shape; `None` means "read it
/// with `serde_json`", never "invalid".
pub(crate) fn parse_bundle(body: &[u8]) -> Option<WireBundle> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = Reader { text, at: 0 };
    let bundle = reader.bundle()?;
    reader.skip_whitespace();
    (reader.at == text.len()).then_some(bundle)
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

/// A field seen twice makes the derived `Deserialize` fail: give up.
fn set_once<T>(slot: &mut Option<T>, seen: &mut bool, value: Option<T>) -> Option<()> {
    if std::mem::replace(seen, true) {
        return None;
    }
    *slot = value;
    Some(())
}

impl<'a> Reader<'a> {
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.byte()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.skip_whitespace();
        let rest = self.text.get(self.at..)?;
        rest.starts_with(word).then(|| self.at += word.len())
    }

    /// `null` (consumed, `true`) or anything else (not consumed, `false`).
    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal("null").is_some()
    }

    /// A string with no escape and no control character.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            match self.byte()? {
                b'"' => {
                    let value = self.text.get(start..self.at)?;
                    self.at += 1;
                    return Some(value);
                }
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
    }

    fn optional_string(&mut self) -> Option<Option<String>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(|s| Some(s.to_owned()))
    }

    fn optional_bool(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b't' => self.literal("true").map(|()| Some(true)),
            b'f' => self.literal("false").map(|()| Some(false)),
            _ => self.null().then_some(None),
        }
    }

    /// A JSON integer (no fraction, no exponent) that fits an `i64`.
    fn integer(&mut self) -> Option<i64> {
        self.skip_whitespace();
        let negative = self.byte() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        let mut value: i64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.byte() {
            value = value
                .checked_mul(10)?
                .checked_add(i64::from(digit - b'0'))?;
            self.at += 1;
        }
        let digits = self.at - start;
        let leading_zero = digits > 1 && self.text.as_bytes().get(start) == Some(&b'0');
        if digits == 0 || leading_zero || matches!(self.byte(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(if negative { -value } else { value })
    }

    fn optional_time(&mut self) -> Option<Option<OffsetDateTime>> {
        if self.null() {
            return Some(None);
        }
        OffsetDateTime::from_unix_timestamp(self.integer()?)
            .ok()
            .map(Some)
    }

    fn optional_i32(&mut self) -> Option<Option<i32>> {
        if self.null() {
            return Some(None);
        }
        i32::try_from(self.integer()?).ok().map(Some)
    }

    /// A value of a field neither struct knows: a scalar (any JSON number).
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.skip_number(),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn skip_number(&mut self) -> Option<()> {
        let digits = |reader: &mut Self| {
            let start = reader.at;
            while matches!(reader.byte(), Some(b'0'..=b'9')) {
                reader.at += 1;
            }
            reader.at - start
        };
        if self.byte() == Some(b'-') {
            self.at += 1;
        }
        let first = self.byte();
        let whole = digits(self);
        if whole == 0 || (whole > 1 && first == Some(b'0')) {
            return None;
        }
        if self.byte() == Some(b'.') {
            self.at += 1;
            (digits(self) > 0).then_some(())?;
        }
        if matches!(self.byte(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.byte(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            (digits(self) > 0).then_some(())?;
        }
        Some(())
    }

    /// The members of an object, each handed to `member` with its key;
    /// `{` is read here, and the closing `}`.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn attributes(&mut self) -> Option<Option<WireAttributes>> {
        if self.null() {
            return Some(None);
        }
        let mut attributes = WireAttributes::default();
        let mut seen = [false; 7];
        self.object(|reader, key| match key {
            "enabled" => set_once(
                &mut attributes.enabled,
                &mut seen[0],
                reader.optional_bool()?,
            ),
            "nbf" => set_once(&mut attributes.nbf, &mut seen[1], reader.optional_time()?),
            "exp" => set_once(&mut attributes.exp, &mut seen[2], reader.optional_time()?),
            "created" => set_once(
                &mut attributes.created,
                &mut seen[3],
                reader.optional_time()?,
            ),
            "updated" => set_once(
                &mut attributes.updated,
                &mut seen[4],
                reader.optional_time()?,
            ),
            "recoverableDays" => set_once(
                &mut attributes.recoverable_days,
                &mut seen[5],
                reader.optional_i32()?,
            ),
            "recoveryLevel" => set_once(
                &mut attributes.recovery_level,
                &mut seen[6],
                reader.optional_string()?,
            ),
            _ => reader.skip_scalar(),
        })?;
        Some(Some(attributes))
    }

    fn tags(&mut self) -> Option<Option<HashMap<String, String>>> {
        if self.null() {
            return Some(None);
        }
        let mut tags = HashMap::new();
        self.object(|reader, key| {
            let value = reader.string()?;
            tags.insert(key.to_owned(), value.to_owned());
            Some(())
        })?;
        Some(Some(tags))
    }

    fn bundle(&mut self) -> Option<WireBundle> {
        let mut bundle = WireBundle::default();
        let mut seen = [false; 11];
        self.object(|reader, key| {
            let b = &mut bundle;
            match key {
                "value" => set_once(&mut b.value, &mut seen[0], reader.optional_string()?),
                "id" => set_once(&mut b.id, &mut seen[1], reader.optional_string()?),
                "contentType" => {
                    set_once(&mut b.content_type, &mut seen[2], reader.optional_string()?)
                }
                "attributes" => set_once(&mut b.attributes, &mut seen[3], reader.attributes()?),
                "tags" => set_once(&mut b.tags, &mut seen[4], reader.tags()?),
                "kid" => set_once(&mut b.kid, &mut seen[5], reader.optional_string()?),
                "managed" => set_once(&mut b.managed, &mut seen[6], reader.optional_bool()?),
                "previousVersion" => set_once(
                    &mut b.previous_version,
                    &mut seen[7],
                    reader.optional_string()?,
                ),
                "recoveryId" => {
                    set_once(&mut b.recovery_id, &mut seen[8], reader.optional_string()?)
                }
                "scheduledPurgeDate" => set_once(
                    &mut b.scheduled_purge_date,
                    &mut seen[9],
                    reader.optional_time()?,
                ),
                "deletedDate" => {
                    set_once(&mut b.deleted_date, &mut seen[10], reader.optional_time()?)
                }
                _ => reader.skip_scalar(),
            }
        })?;
        Some(bundle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde(body: &[u8]) -> Result<WireBundle, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The fast reader took `body` and agrees with `serde_json`.
    fn fast_and_equal(body: &str) -> WireBundle {
        let fast = parse_bundle(body.as_bytes()).unwrap_or_else(|| panic!("not taken: {body}"));
        assert_eq!(Some(&fast), serde(body.as_bytes()).ok().as_ref(), "{body}");
        fast
    }

    #[test]
    fn reads_recorded_bundles() {
        // As recorded from Key Vault (js-node-2025-07-01 fixtures).
        let secret = fast_and_equal(
            r#"{"value":"SECRET_VALUE","id":"https://keyvault_name.vault.azure.net/secrets/ContentType-x/ca532fc1c4454863b3c36ca0229f7ee1","attributes":{"enabled":true,"created":1774425207,"updated":1774425207,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}}"#,
        );
        assert_eq!(secret.value.as_deref(), Some("SECRET_VALUE"));
        let attributes = secret.attributes.unwrap();
        assert_eq!(attributes.recoverable_days, Some(90));
        assert_eq!(
            attributes.created.map(|t| t.unix_timestamp()),
            Some(1774425207)
        );
        let deleted = fast_and_equal(
            r#"{"recoveryId":"https://v.vault.azure.net/deletedsecrets/s","deletedDate":1774425210,"scheduledPurgeDate":1775030010,"contentType":"text/plain","id":"https://v.vault.azure.net/secrets/s/0123456789abcdef0123456789abcdef","attributes":{"enabled":false,"nbf":1774420000,"exp":null,"created":1774425207,"updated":1774425207,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":7},"tags":{"env":"dev","owner":"ops"},"managed":null,"kid":null}"#,
        );
        assert_eq!(deleted.tags.unwrap()["owner"], "ops");
        assert_eq!(
            deleted.deleted_date.map(|t| t.unix_timestamp()),
            Some(1774425210)
        );
        // Whitespace anywhere JSON allows it; unknown scalar fields skipped.
        fast_and_equal(
            "\n{ \"value\" : \"v\" ,\r\n\t\"future\": 1.5e3, \"other\": [] }"
                .replace("[]", "\"x\"")
                .as_str(),
        );
        fast_and_equal("{}");
    }

    #[test]
    fn leaves_other_shapes_to_serde() {
        for body in [
            r#"{"value":"a\"b"}"#,                                // an escape
            r#"{"value":"caf\u00e9"}"#,                           // a unicode escape
            r#"{"attributes":{"created":1.5}}"#,                  // a fraction
            r#"{"attributes":{"created":1e9}}"#,                  // an exponent
            r#"{"attributes":{"created":01}}"#,                   // a leading zero
            r#"{"attributes":{"created":99999999999999999999}}"#, // too large
            r#"{"value":"a","value":"b"}"#,                       // a repeated field
            r#"{"future":{"nested":true}}"#,                      // an unknown object
            r#"{"future":[1]}"#,                                  // an unknown array
            r#"{"value":"v"} x"#,                                 // trailing text
            r#"{"value":"v""#,                                    // cut short
            r#"{"value":1}"#,                                     // a wrong type
            r#"{"tags":{"a":null}}"#,                             // a tag that is not text
            r#"{"attributes":{"recoverableDays":3000000000}}"#,   // out of i32
            r#"[]"#,
            "",
        ] {
            assert!(parse_bundle(body.as_bytes()).is_none(), "taken: {body}");
        }
        assert!(
            parse_bundle(b"{\"value\":\"\xff\"}").is_none(),
            "invalid UTF-8"
        );
        // And serde still reads the valid ones among them.
        assert_eq!(
            serde(br#"{"value":"a\"b"}"#).unwrap().value.as_deref(),
            Some("a\"b")
        );
    }

    /// A JSON scalar as text: strings with and without escapes, integers,
    /// floats, booleans and null.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 +/:.-]{0,12}".prop_map(|s| format!("\"{s}\"")),
            "[a-z\"\\\\é\u{1}]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            any::<i64>().prop_map(|n| n.to_string()),
            (0i64..2_000_000_000).prop_map(|n| n.to_string()),
            (-1e12f64..1e12).prop_map(|f| f.to_string()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            Just("{}".to_owned()),
            Just("[1,2]".to_owned()),
        ]
    }

    fn object(
        keys: &'static [&'static str],
        value: BoxedStrategy<String>,
    ) -> BoxedStrategy<String> {
        let key = prop_oneof![
            prop::sample::select(keys.to_vec()).prop_map(str::to_owned),
            "[a-zA-Z]{1,8}"
        ];
        prop::collection::vec(
            (key, value, prop::sample::select(vec!["", " ", "\n  "])),
            0..9,
        )
        .prop_map(|members| {
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}"))
                .collect();
            format!("{{{}}}", inner.join(","))
        })
        .boxed()
    }

    fn bundle() -> BoxedStrategy<String> {
        let attributes = object(
            &[
                "enabled",
                "nbf",
                "exp",
                "created",
                "updated",
                "recoverableDays",
                "recoveryLevel",
            ],
            scalar().boxed(),
        );
        let tags = object(&["env", "owner"], scalar().boxed());
        let value = prop_oneof![4 => scalar(), 1 => attributes, 1 => tags].boxed();
        object(
            &[
                "value",
                "id",
                "contentType",
                "attributes",
                "tags",
                "kid",
                "managed",
                "previousVersion",
                "recoveryId",
                "scheduledPurgeDate",
                "deletedDate",
            ],
            value,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Whatever the fast reader returns, `serde_json` returns too.
        #[test]
        fn never_disagrees_with_serde(body in bundle()) {
            if let Some(fast) = parse_bundle(body.as_bytes()) {
                prop_assert_eq!(Some(fast), serde(body.as_bytes()).ok(), "{}", body);
            }
        }

        /// Cut short or with a byte changed, still never a different answer.
        #[test]
        fn never_disagrees_on_broken_bodies(body in bundle(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut bytes = body.into_bytes();
            if !bytes.is_empty() {
                let at = cut.index(bytes.len());
                let mut changed = bytes.clone();
                changed[at] = byte;
                if let Some(fast) = parse_bundle(&changed) {
                    prop_assert_eq!(Some(fast), serde(&changed).ok());
                }
                bytes.truncate(at);
            }
            if let Some(fast) = parse_bundle(&bytes) {
                prop_assert_eq!(Some(fast), serde(&bytes).ok());
            }
        }

        /// The service's own shape is always taken.
        #[test]
        fn takes_the_plain_shape(
            value in "[a-zA-Z0-9 -]{0,40}",
            version in "[0-9a-f]{32}",
            created in 0i64..4_000_000_000,
            days in 7i32..91,
            tags in prop::collection::hash_map("[a-z]{1,6}", "[a-z0-9]{0,6}", 0..4),
        ) {
            let body = serde_json::json!({
                "value": value,
                "id": format!("https://v.vault.azure.net/secrets/s/{version}"),
                "attributes": {"enabled": true, "created": created, "updated": created,
                               "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": days},
                "tags": tags,
            })
            .to_string();
            let fast = parse_bundle(body.as_bytes());
            prop_assert!(fast.is_some(), "{}", body);
            prop_assert_eq!(fast, serde(body.as_bytes()).ok());
        }
    }
}
