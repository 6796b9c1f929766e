//! The sign-in walkthroughs against the embedded emulator: each signs the
//! test user in, writes and reads a secret, and says so.

#![allow(clippy::unwrap_used)]

use credential_core::Env;

fn assert_walkthrough(output: &[u8]) {
    let text = String::from_utf8(output.to_vec()).unwrap();
    assert!(text.contains("Signed in as user@emulator.local"), "{text}");
    assert!(text.contains("the value matches"), "{text}");
    assert!(text.ends_with("Done.\n"), "{text}");
}

#[tokio::test]
async fn device_code_walkthrough_signs_in_and_reads_a_secret() {
    let mut out = Vec::new();
    examples::sign_in::device_code(&Env::empty(), &mut out)
        .await
        .unwrap();
    assert_walkthrough(&out);
}

#[tokio::test]
async fn browser_walkthrough_signs_in_and_reads_a_secret() {
    let mut out = Vec::new();
    examples::sign_in::browser(&Env::empty(), &mut out)
        .await
        .unwrap();
    assert_walkthrough(&out);
}
