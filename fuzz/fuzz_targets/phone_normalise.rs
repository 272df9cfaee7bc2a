//! `normalize_phone` for both regions. Asserts: no panic; a refusal is `invalid_input` with a
//! short message; a normalised number normalises to itself (idempotence) and has the shape
//! Ozonetel wants (`0` + 10 digits for India, `+` and digits for international).
#![no_main]

use helix_engage::ErrorCode;
use helix_engage::ozonetel::{Region, normalize_phone};
use libfuzzer_sys::fuzz_target;

/// Longest error text allowed (the input is quoted as a 40-character prefix).
const MAX_MESSAGE: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    for region in [Region::India, Region::International] {
        match normalize_phone(input, region) {
            Ok(number) => {
                match region {
                    Region::India => assert!(
                        number.len() == 11
                            && number.starts_with('0')
                            && number.bytes().all(|b| b.is_ascii_digit()),
                        "India number {number:?}"
                    ),
                    Region::International => assert!(
                        number.len() > 1
                            && number.starts_with('+')
                            && number[1..].bytes().all(|b| b.is_ascii_digit()),
                        "international number {number:?}"
                    ),
                }
                let again = normalize_phone(&number, region).unwrap_or_else(|e| {
                    panic!("{number:?} ({region:?}) no longer normalises: {e}")
                });
                assert_eq!(again, number, "not idempotent for {region:?}");
            }
            Err(err) => {
                assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
                assert!(err.to_string().len() <= MAX_MESSAGE);
            }
        }
    }
});
