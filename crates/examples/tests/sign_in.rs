//! The sign-in examples against the embedded emulator: each signs the test
//! user in, writes and reads a secret, and says so.

#![allow(clippy::unwrap_used)]

mod support;

use support::run_example;

fn assert_walkthrough(text: &str) {
    assert!(text.contains("Signed in as user@emulator.local"), "{text}");
    assert!(text.contains("the value matches"), "{text}");
    assert!(text.ends_with("Done.\n"), "{text}");
}

#[tokio::test]
async fn device_code_example_signs_in_and_reads_a_secret() {
    assert_walkthrough(&run_example("sign_in_device_code").await);
}

#[tokio::test]
async fn browser_example_signs_in_and_reads_a_secret() {
    assert_walkthrough(&run_example("sign_in_browser").await);
}
