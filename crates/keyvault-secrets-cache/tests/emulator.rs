//! Against the embedded emulator: values, versions, properties, a rotation
//! picked up by `refresh_now`, and a throttled vault.

use std::time::Duration;

use keyvault_emulator::{Emulator, Faults};
use keyvault_secrets_cache::{CacheError, SecretCache};

use crate::common::emulator_client;

#[tokio::test]
async fn reads_rotation_and_throttling_against_the_emulator() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = emulator_client(&emulator);
    let first = client
        .set_secret("db-password", "first")
        .content_type("text/plain")
        .await
        .unwrap();
    let cache = SecretCache::builder(client.clone())
        .with_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    assert_eq!(
        cache.get("db-password").await.unwrap().expose_secret(),
        "first"
    );
    let props = cache.get_properties("db-password").await.unwrap();
    assert_eq!(props.content_type.as_deref(), Some("text/plain"));
    assert_eq!(props.version, first.properties.version);

    client.set_secret("db-password", "second").await.unwrap();
    assert_eq!(
        cache.get("db-password").await.unwrap().expose_secret(),
        "first",
        "served from the cache"
    );
    assert_eq!(
        cache
            .refresh_now("db-password")
            .await
            .unwrap()
            .expose_secret(),
        "second"
    );
    let version = first.properties.version.unwrap();
    assert_eq!(
        cache
            .get_version("db-password", &version)
            .await
            .unwrap()
            .expose_secret(),
        "first"
    );
    assert!(
        cache
            .get("no-such-secret")
            .await
            .unwrap_err()
            .is_not_found()
    );

    // The vault throttles: refresh_now reports it, reads keep the value, and
    // no second request goes out during the backoff.
    emulator.set_faults(Faults::none().throttle(5, None));
    let err = cache.refresh_now("db-password").await.unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(
        cache.get("db-password").await.unwrap().expose_secret(),
        "second"
    );
    let err = cache.refresh_now("db-password").await.unwrap_err();
    assert!(matches!(err, CacheError::Throttled { .. }), "{err:?}");
    assert_eq!(emulator.fault_counts().throttled, 1);
    let stats = cache.stats();
    assert_eq!(stats.errors, 2);
    assert_eq!(stats.refreshes, 2);
    emulator.shutdown().await;
}
