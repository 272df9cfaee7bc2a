//! A running SHA-256 of a session's audio (Deepgram's `Metadata.sha256`), over the `sha2`
//! crate, with the hex rendering the metadata and the tests need.

use sha2::Digest;

/// A running SHA-256 that can be read (as hex) at any point without ending it.
#[derive(Clone, Default)]
pub(crate) struct Sha256(sha2::Sha256);

impl Sha256 {
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub(crate) fn hex(&self) -> String {
        format!("{:x}", self.0.clone().finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::Sha256;

    #[test]
    fn known_vectors() {
        assert_eq!(
            Sha256::default().hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut h = Sha256::default();
        h.update(b"ab");
        h.update(b"c");
        assert_eq!(
            h.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
