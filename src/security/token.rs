//! Random bearer secrets (login tokens, ingest API keys). The secret is shown to its owner
//! once; the database keeps only its SHA-256 digest, so a leaked table grants nothing.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly generated secret with a readable prefix (`sbs_` sessions, `sbk_` API keys).
pub struct Secret(String);

impl Secret {
    /// 32 random bytes from the OS generator, hex-encoded behind `prefix_`.
    pub fn generate(prefix: &str) -> Secret {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Secret(format!("{prefix}_{}", hex::encode(bytes)))
    }

    /// The secret itself: give it to its owner once, never log or store it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The digest to store and look up by.
    pub fn digest(&self) -> Vec<u8> {
        digest(&self.0)
    }
}

/// SHA-256 of a presented secret, to look it up among stored digests.
pub fn digest(presented: &str) -> Vec<u8> {
    Sha256::digest(presented.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_digests_stable() {
        let a = Secret::generate("sbs");
        let b = Secret::generate("sbs");
        assert_ne!(a.reveal(), b.reveal());
        assert!(a.reveal().starts_with("sbs_") && a.reveal().len() == 4 + 64);
        assert_eq!(a.digest(), digest(a.reveal()));
        assert_ne!(a.digest(), b.digest());
    }
}
