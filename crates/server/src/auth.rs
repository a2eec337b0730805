//! How are operators' secrets checked? Each operator in the settings has either a token (kept
//! as it is and compared in constant time) or an argon2 hash in PHC form
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, made by `kotae hash-password`), verified with the
//! `argon2` crate so that the settings file holds nothing a reader could log in with.
//!
//! - The login form names the operator: only that operator's secret is checked; an unknown
//!   name costs the same work as a known one.
//! - `Authorization: Bearer <token>` matches a plain token of any operator, or
//!   `Bearer <name>:<secret>` names the operator (required for an operator with a hash).
//!
//! Argon2 verification takes tens of milliseconds of CPU on purpose: [`verify_login`] and
//! [`verify_bearer`] run it off the async threads.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use subtle::ConstantTimeEq;

/// The prefix of an argon2 PHC string (`$argon2id$`, `$argon2i$`, `$argon2d$`).
const HASH_PREFIX: &str = "$argon2";

/// An operator's configured secret.
#[derive(Debug)]
pub enum Secret<'a> {
    /// A token, compared as it is.
    Token(&'a str),
    /// An argon2 hash of the password.
    Hash(Box<PasswordHash>),
}

impl<'a> Secret<'a> {
    /// Read a configured secret: a value starting with `$argon2` must be a valid PHC string.
    pub fn parse(value: &'a str) -> anyhow::Result<Secret<'a>> {
        if value.starts_with(HASH_PREFIX) {
            let hash = PasswordHash::new(value)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("not a valid argon2 hash (make one with `kotae hash-password`)")?;
            anyhow::ensure!(
                hash.salt.is_some() && hash.hash.is_some(),
                "an argon2 hash without its salt or output (make one with `kotae hash-password`)"
            );
            Ok(Secret::Hash(Box::new(hash)))
        } else {
            Ok(Secret::Token(value))
        }
    }

    /// Whether `presented` is this secret: constant-time for tokens, argon2 for hashes.
    pub fn matches(&self, presented: &str) -> bool {
        match self {
            Secret::Token(t) => bool::from(t.as_bytes().ct_eq(presented.as_bytes())),
            Secret::Hash(h) => Argon2::default().verify_password(presented.as_bytes(), h.as_ref()).is_ok(),
        }
    }
}

/// Whether a configured value is an argon2 hash (and so slow to check).
pub fn is_hash(value: &str) -> bool {
    value.starts_with(HASH_PREFIX)
}

/// Hash `password` with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane) and a fresh
/// random salt; the PHC string goes into `[operators]` or `KOTAE_OPERATORS`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(hash.to_string())
}

/// A hash of nothing anyone knows, checked for unknown names so that they take as long.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&crate::state::random_token()).expect("hashing a random password"));

/// The operator `name` if `secret` is theirs. Blocking (argon2).
pub fn check_login(operators: &BTreeMap<String, String>, name: &str, secret: &str) -> Option<String> {
    let name = name.trim();
    match operators.get(name) {
        Some(value) => {
            let ok = Secret::parse(value).is_ok_and(|s| s.matches(secret));
            ok.then(|| name.to_string())
        }
        None => {
            // Spend the same effort as for a real operator, then fail.
            if operators.values().any(|v| is_hash(v)) {
                let _ = Secret::parse(&DUMMY_HASH).map(|s| s.matches(secret));
            } else {
                let _ = Secret::Token("0".repeat(secret.len().max(1)).as_str()).matches(secret);
            }
            None
        }
    }
}

/// The operator a bearer token belongs to: any operator's plain token (each compared in
/// constant time), else `name:secret`. Blocking when the named operator has a hash.
pub fn check_bearer(operators: &BTreeMap<String, String>, token: &str) -> Option<String> {
    let mut found = None;
    for (name, value) in operators {
        if !is_hash(value) && Secret::Token(value).matches(token) {
            found = Some(name.clone());
        }
    }
    if found.is_some() {
        return found;
    }
    let (name, secret) = token.split_once(':')?;
    check_login(operators, name, secret)
}

/// Whether checking `token` as a bearer token may run argon2.
fn bearer_is_slow(operators: &BTreeMap<String, String>, token: &str) -> bool {
    token.split_once(':').is_some() && operators.values().any(|v| is_hash(v))
}

/// [`check_login`] off the async threads.
pub async fn verify_login(operators: &BTreeMap<String, String>, name: &str, secret: &str) -> Option<String> {
    if !operators.values().any(|v| is_hash(v)) {
        return check_login(operators, name, secret);
    }
    let (operators, name, secret) = (operators.clone(), name.to_string(), secret.to_string());
    tokio::task::spawn_blocking(move || check_login(&operators, &name, &secret)).await.ok().flatten()
}

/// [`check_bearer`] off the async threads when it may run argon2.
pub async fn verify_bearer(operators: &BTreeMap<String, String>, token: &str) -> Option<String> {
    if !bearer_is_slow(operators, token) {
        return check_bearer(operators, token);
    }
    let (operators, token) = (operators.clone(), token.to_string());
    tokio::task::spawn_blocking(move || check_bearer(&operators, &token)).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_their_password_only() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert_ne!(hash, hash_password("correct horse battery staple").unwrap(), "a fresh salt each time");
        let secret = Secret::parse(&hash).unwrap();
        assert!(secret.matches("correct horse battery staple"));
        assert!(!secret.matches("correct horse battery stapl"));
        assert!(!secret.matches(""));
        assert!(Secret::parse("$argon2id$garbage").is_err());
        assert!(Secret::parse("$argon2id$v=19$m=19456,t=2,p=1").is_err(), "no salt, no output");
    }

    #[test]
    fn logins_check_the_named_operator_and_bearer_tokens_any_plain_one() {
        let hash = hash_password("sato-no-himitsu").unwrap();
        let ops: BTreeMap<String, String> =
            [("sato".to_string(), hash.clone()), ("tanaka".to_string(), "tanaka-token-0123".to_string())].into();
        assert_eq!(check_login(&ops, "sato", "sato-no-himitsu").as_deref(), Some("sato"));
        assert_eq!(check_login(&ops, " sato ", "sato-no-himitsu").as_deref(), Some("sato"));
        assert_eq!(check_login(&ops, "tanaka", "sato-no-himitsu"), None, "another operator's password");
        assert_eq!(check_login(&ops, "sato", &hash), None, "the hash itself is not the password");
        assert_eq!(check_login(&ops, "tanaka", "tanaka-token-0123").as_deref(), Some("tanaka"));
        assert_eq!(check_login(&ops, "nobody", "tanaka-token-0123"), None);

        assert_eq!(check_bearer(&ops, "tanaka-token-0123").as_deref(), Some("tanaka"));
        assert_eq!(check_bearer(&ops, "sato-no-himitsu"), None, "a hashed operator must give their name");
        assert_eq!(check_bearer(&ops, "sato:sato-no-himitsu").as_deref(), Some("sato"));
        assert_eq!(check_bearer(&ops, &hash), None);
        assert_eq!(check_bearer(&ops, "sato:wrong"), None);
    }
}
