//! Generated secret values for `kv secret rotate`: characters drawn
//! uniformly from an alphabet with the operating system's secure random
//! generator (ring's `SystemRandom`), without modulo bias.

use ring::rand::{SecureRandom, SystemRandom};

use crate::args::Alphabet;
use crate::error::KvError;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const PUNCTUATION: &[u8] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const HEX: &[u8] = b"0123456789abcdef";

/// The characters of an alphabet.
pub fn characters(alphabet: Alphabet) -> Vec<u8> {
    match alphabet {
        Alphabet::Alphanumeric => ALPHANUMERIC.to_vec(),
        Alphabet::Printable => [ALPHANUMERIC, PUNCTUATION].concat(),
        Alphabet::Hex => HEX.to_vec(),
    }
}

/// A value of `length` characters from `alphabet`.
///
/// # Errors
/// A `RandomUnavailable` [`KvError`] when the operating system's random
/// generator fails.
pub fn generate(length: usize, alphabet: Alphabet) -> Result<String, KvError> {
    let random = SystemRandom::new();
    generate_with(
        &mut |buffer| random.fill(buffer).is_ok(),
        length,
        &characters(alphabet),
    )
}

/// A value of `length` characters from `chars` (at most 256), each byte of
/// randomness (from `fill`, which says whether it succeeded) used only when
/// it falls below the largest multiple of the alphabet's size, so every
/// character is equally likely.
fn generate_with(
    fill: &mut dyn FnMut(&mut [u8]) -> bool,
    length: usize,
    chars: &[u8],
) -> Result<String, KvError> {
    let size = chars.len();
    if size == 0 || size > 256 {
        return Err(KvError::new(
            "InvalidInput",
            "the alphabet must have 1 to 256 characters",
        ));
    }
    let limit = 256 - 256 % size;
    let mut out = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while out.len() < length {
        if !fill(&mut buffer) {
            return Err(KvError::new(
                "RandomUnavailable",
                "the operating system's random generator failed; try again",
            ));
        }
        for &byte in &buffer {
            if out.len() == length {
                break;
            }
            if usize::from(byte) < limit {
                out.push(char::from(chars[usize::from(byte) % size]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_length_and_alphabet_asked_for() {
        for alphabet in [Alphabet::Alphanumeric, Alphabet::Printable, Alphabet::Hex] {
            let chars = characters(alphabet);
            let value = generate(100, alphabet).unwrap();
            assert_eq!(value.len(), 100);
            assert!(value.bytes().all(|b| chars.contains(&b)), "{value}");
        }
        assert_ne!(
            generate(32, Alphabet::Alphanumeric).unwrap(),
            generate(32, Alphabet::Alphanumeric).unwrap()
        );
    }

    #[test]
    fn bytes_past_the_last_whole_multiple_are_dropped() {
        // 62 characters: 248 = 4 * 62 is the limit; 248..=255 are dropped.
        let mut fill = |buffer: &mut [u8]| {
            for (i, b) in buffer.iter_mut().enumerate() {
                *b = [255, 248, 0, 61, 62, 247][i % 6];
            }
            true
        };
        let value = generate_with(&mut fill, 4, ALPHANUMERIC).unwrap();
        // 0 -> 'A', 61 -> '9', 62 -> 'A' (62 % 62), 247 -> 247 % 62 = 61 -> '9'.
        assert_eq!(value, "A9A9");
    }

    #[test]
    fn a_failing_generator_is_an_error() {
        let e = generate_with(&mut |_| false, 4, HEX).unwrap_err();
        assert_eq!(e.code.as_deref(), Some("RandomUnavailable"));
    }

    #[test]
    fn an_empty_alphabet_is_refused() {
        assert!(generate_with(&mut |_| true, 4, b"").is_err());
    }
}
