//! `credential_core::__private::retry::parse_retry_after` on any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let now = time::macros::datetime!(2030-01-01 0:00 UTC);
        let _ = credential_core::__private::retry::parse_retry_after(text, now);
    }
});
