//! `credential_core::__private::entra::parse_token_response` on any status and body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((s, rest)) => (
            [200u16, 400, 401, 429, 500, 503, 204, 299][(*s % 8) as usize],
            rest,
        ),
        None => (200, data),
    };
    let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    let _ = credential_core::__private::entra::parse_token_response("Fuzz", status, body, now);
});
