//! argon2id password hashing (R-AUTH-1).

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Hashes a password with argon2id and a random salt, in PHC string format.
pub fn hash(password: &str) -> Result<String, crate::error::AppError> {
    // argon2 0.6 draws the salt from the OS generator itself.
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            crate::error::AppError::Internal
        })
}

/// Whether `password` matches the stored PHC hash. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Longest password accepted anywhere: argon2 work must not be driven by the attacker.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// At most this many hashes run at once: each takes ~19 MiB and a CPU core for a
/// moment. Half the cores (at least one, at most four), so a flood of logins
/// leaves CPU for the async workers that serve `/health` and everyone else.
fn concurrent_hashes() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(1)
        .clamp(1, 4)
}

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(concurrent_hashes()))
}

/// `hash` off the async threads, within the concurrency cap.
pub async fn hash_async(password: String) -> Result<String, crate::error::AppError> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| crate::error::AppError::Internal)?;
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| crate::error::AppError::Internal)?
}

/// `verify` off the async threads, within the concurrency cap. Over-long input never matches.
pub async fn verify_async(password: String, phc: String) -> Result<bool, crate::error::AppError> {
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| crate::error::AppError::Internal)?;
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .map_err(|_| crate::error::AppError::Internal)
}

/// A valid hash of a random password: verified against when the user does not
/// exist, so unknown users take as long as wrong passwords.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 24];
        rand::Rng::fill(&mut rand::rng(), &mut secret);
        hash(&hex::encode(secret)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify_r_auth_1() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }
}
