//! Argon2id password hashing. Hashing is deliberately slow and takes 19 MiB, so it runs on a
//! few dedicated threads (one per core), never on the async executor ([`hash_in_background`],
//! [`verify_in_background`]): a burst of logins then queues instead of multiplying memory.

use argon2::password_hash::{
    self, rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;

thread_local! {
    /// The 19 MiB of blocks Argon2 works in, kept by each thread that hashes. Allocating them
    /// afresh for every login left glibc holding on to freed copies (about 150 MB after a
    /// burst of logins); reusing one buffer per hashing thread keeps it at one per thread.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs Argon2 on this thread's reused memory; answers the `len`-byte output.
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: Salt<'_>,
    len: usize,
) -> password_hash::Result<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    BLOCKS.with_borrow_mut(|blocks| {
        blocks.resize(argon2.params().block_count(), Block::default());
        Output::init_with(len, |out| {
            Ok(argon2.hash_password_into_with_memory(password, salt, out, &mut blocks[..])?)
        })
    })
}

/// Hashes a password into a PHC string (algorithm, parameters and salt included).
pub fn hash_password(password: &str) -> Result<String, password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    let output = compute(
        &argon2,
        password.as_bytes(),
        salt.as_salt(),
        Params::DEFAULT_OUTPUT_LEN,
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches the stored PHC string (compared in constant time). A
/// malformed stored hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let check = || -> password_hash::Result<bool> {
        let parsed = PasswordHash::new(phc)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon2 = Argon2::new(algorithm, version, Params::try_from(&parsed)?);
        let computed = compute(&argon2, password.as_bytes(), salt, expected.len())?;
        Ok(computed == expected)
    };
    check().unwrap_or(false)
}

/// A valid hash of a random password: checked against when the e-mail is unknown, so a login
/// for a missing user takes as long as one with a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(super::token::Secret::generate("decoy").reveal()).unwrap_or_default()
    })
}

type Job = Box<dyn FnOnce() + Send>;

/// A few dedicated threads (one per core) that do all the hashing. Dedicated rather than the
/// runtime's blocking pool: each thread's allocator keeps the 19 MiB it last used, so the
/// memory stays bounded by the number of these threads instead of growing with every
/// blocking thread a login burst happens to touch.
fn hashers() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static HASHERS: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    HASHERS.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for n in 0..std::thread::available_parallelism().map_or(2, |n| n.get()) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-hashing thread");
            }
        }
        std::sync::Mutex::new(tx)
    })
}

/// Runs `work` on a hashing thread and waits for it without blocking the executor.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    hashers()
        .lock()
        .map_err(|e| e.to_string())?
        .send(job)
        .map_err(|e| e.to_string())?;
    rx.await.map_err(|e| e.to_string())
}

/// [`hash_password`] on a hashing thread.
pub async fn hash_in_background(password: String) -> Result<String, String> {
    bounded(move || hash_password(&password))
        .await?
        .map_err(|e| e.to_string())
}

/// [`verify_password`] on a hashing thread.
pub async fn verify_in_background(password: String, phc: String) -> Result<bool, String> {
    bounded(move || verify_password(&password, &phc)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
    }

    #[test]
    fn hashes_are_interchangeable_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"guest desk", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("guest desk", &theirs));
        assert!(!verify_password("guest desks", &theirs));
        let ours = hash_password("guest desk").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"guest desk", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"guest-desk", &parsed)
            .is_err());
    }
}
