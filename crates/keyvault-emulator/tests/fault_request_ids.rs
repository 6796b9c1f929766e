//! Regression: injected 429 and 503 answers carry `x-ms-request-id` (and
//! echo `x-ms-client-request-id`) like the service's, so that a client's
//! error can name the request id.
#![allow(clippy::unwrap_used)]

use keyvault_emulator::{Emulator, Faults};

#[tokio::test]
async fn fault_answers_carry_request_ids() {
    let emulator = Emulator::builder()
        .faults(Faults::none().throttle(1, None).unavailable(1))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    for expected in [429, 503] {
        let response = http
            .get(format!(
                "{}/secrets/x?api-version=7.6",
                emulator.vault_url()
            ))
            .header("x-ms-client-request-id", "client-rid")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected);
        let id = response.headers()["x-ms-request-id"].to_str().unwrap();
        assert!(!id.is_empty());
        assert_eq!(response.headers()["x-ms-client-request-id"], "client-rid");
    }
    emulator.shutdown().await;
}
