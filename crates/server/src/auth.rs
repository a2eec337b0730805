//! How are operators' secrets checked? Each operator in the settings has either a token or an
//! argon2 hash in PHC form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, made by
//! `kotae hash-password`), verified with the `argon2` crate so that the settings file holds
//! nothing a reader could log in with.
//!
//! - The login form names the operator. Every named check costs the same whatever the name:
//!   the name is compared with every operator's in constant time, and one argon2 verification
//!   always runs — against the operator's hash, or a dummy hash for a token operator and for an
//!   unknown name (a token is then compared as a keyed digest, in constant time). Timing tells
//!   nothing about which names exist or which kind of secret they have.
//! - `Authorization: Bearer <token>` (any case of `Bearer`) matches a plain token of any
//!   operator (digests compared in constant time with each), or `Bearer <name>:<secret>` names
//!   the operator (required for an operator with a hash) and goes through the named check.
//! - A named check that succeeded is remembered for [`VERIFIED_TTL`] by a digest of the
//!   credentials, so that a program calling the agents' API with `name:secret` does not pay
//!   argon2 (nor a failed-login reservation) on every request.
//!
//! Argon2 verification takes tens of milliseconds of CPU and ~19 MiB on purpose: it runs off
//! the async threads, at most [`Operators::hash_slots`] at once. [`AuthStats`] counts the
//! checks (tests use it to show what reached a password check).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use blake2::{Blake2b256, Digest};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// The console's session cookie (set by the login form, see `ops`).
pub const SESSION_COOKIE: &str = "kotae_session";

/// The prefix of an argon2 PHC string (`$argon2id$`, `$argon2i$`, `$argon2d$`).
const HASH_PREFIX: &str = "$argon2";

/// The shortest plain token accepted (argon2 hashes have no minimum: the password is hashed).
pub const MIN_TOKEN_CHARS: usize = 12;

/// How long a successful named check is remembered.
pub const VERIFIED_TTL: Duration = Duration::from_secs(300);
/// The most remembered successful checks (past that they are all forgotten).
const MAX_VERIFIED: usize = 1024;

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
            Secret::Token(t) => bool::from(plain_digest(t).ct_eq(&plain_digest(presented))),
            Secret::Hash(h) => Argon2::default().verify_password(presented.as_bytes(), h.as_ref()).is_ok(),
        }
    }
}

/// Check one configured operator: a valid secret, and a token long enough. The message names
/// the operator (never the secret).
pub fn validate_operator(name: &str, secret: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!name.trim().is_empty(), "an operator with an empty name");
    Secret::parse(secret).with_context(|| format!("operator `{name}`"))?;
    anyhow::ensure!(
        is_hash(secret) || secret.chars().count() >= MIN_TOKEN_CHARS,
        "the token of operator `{name}` is {} (at least {MIN_TOKEN_CHARS} characters, or an argon2 hash from `kotae hash-password`)",
        if secret.is_empty() { "empty".to_string() } else { "shorter than 12 characters".to_string() }
    );
    Ok(())
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

/// A hash of nothing anyone knows, with the defaults `kotae hash-password` uses: verified when
/// the named operator has no hash, or does not exist, so that every named check costs one
/// argon2 verification.
static DUMMY_HASH: LazyLock<PasswordHash> = LazyLock::new(|| {
    let hash = hash_password(&random_token()).expect("hashing a random password");
    PasswordHash::new(&hash).expect("a hash just made parses")
});

/// A per-process random key for the digests below.
static DIGEST_KEY: LazyLock<[u8; 32]> = LazyLock::new(|| {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system's random source");
    key
});

/// A keyed digest of `parts` (each length-prefixed), compared in constant time instead of the
/// values themselves, so that their lengths do not show either.
fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Blake2b256::new();
    h.update(DIGEST_KEY.as_slice());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.finalize());
    out
}

fn plain_digest(token: &str) -> [u8; 32] {
    digest(&[b"token", token.as_bytes()])
}

fn name_digest(name: &str) -> [u8; 32] {
    digest(&[b"name", name.as_bytes()])
}

/// What the checks did so far.
#[derive(Debug, Default)]
pub struct AuthStats {
    /// Requests that reached a password check (login form or bearer token).
    pub checks: AtomicU64,
    /// Argon2 verifications run.
    pub hash_verifications: AtomicU64,
    /// Named checks answered from the remembered successes.
    pub remembered: AtomicU64,
}

impl AuthStats {
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::SeqCst)
    }
    pub fn hash_verifications(&self) -> u64 {
        self.hash_verifications.load(Ordering::SeqCst)
    }
}

enum Kind {
    Token([u8; 32]),
    Hash(Box<PasswordHash>),
}

struct Entry {
    name: String,
    name_digest: [u8; 32],
    kind: Kind,
}

/// The configured operators, ready to check secrets against.
pub struct Operators {
    entries: Vec<Entry>,
    /// Digest of `name:secret` → operator and when it stops being trusted.
    verified: Mutex<HashMap<[u8; 32], (usize, Instant)>>,
    /// At most this many argon2 verifications at once.
    hash_slots: tokio::sync::Semaphore,
    pub stats: AuthStats,
}

impl std::fmt::Debug for Operators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operators").field("names", &self.entries.iter().map(|e| &e.name).collect::<Vec<_>>()).finish()
    }
}

impl Operators {
    /// The operators of the settings. A secret that does not parse can never match (the
    /// settings are validated before the service starts).
    pub fn new(operators: &BTreeMap<String, String>) -> Arc<Operators> {
        let entries = operators
            .iter()
            .filter_map(|(name, value)| {
                let kind = match Secret::parse(value) {
                    Ok(Secret::Hash(h)) => Kind::Hash(h),
                    Ok(Secret::Token(t)) => Kind::Token(plain_digest(t)),
                    Err(_) => return None,
                };
                let name = name.trim().to_string();
                Some(Entry { name_digest: name_digest(&name), name, kind })
            })
            .collect();
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get()).max(1);
        Arc::new(Operators {
            entries,
            verified: Mutex::new(HashMap::new()),
            hash_slots: tokio::sync::Semaphore::new(slots),
            stats: AuthStats::default(),
        })
    }

    /// How many argon2 verifications may run at once.
    pub fn hash_slots(&self) -> usize {
        self.hash_slots.available_permits()
    }

    /// The operator `name` if `secret` is theirs. Blocking: always one argon2 verification.
    pub fn check_login(&self, name: &str, secret: &str) -> Option<String> {
        let wanted = name_digest(name.trim());
        let presented = plain_digest(secret);
        let mut found = Choice::from(0);
        let mut token_ok = Choice::from(0);
        let mut hashed = Choice::from(0);
        let mut index = 0u64;
        let mut hash: &PasswordHash = &DUMMY_HASH;
        for (i, e) in self.entries.iter().enumerate() {
            let this = e.name_digest.ct_eq(&wanted);
            found |= this;
            index.conditional_assign(&(i as u64), this);
            match &e.kind {
                Kind::Token(d) => token_ok |= this & d.ct_eq(&presented),
                Kind::Hash(h) => {
                    hashed |= this;
                    // Which hash to verify: choosing a reference costs the same either way.
                    if bool::from(this) {
                        hash = h;
                    }
                }
            }
        }
        self.stats.hash_verifications.fetch_add(1, Ordering::SeqCst);
        let hash_ok = Choice::from(u8::from(Argon2::default().verify_password(secret.as_bytes(), hash).is_ok()));
        let ok = found & Choice::conditional_select(&token_ok, &hash_ok, hashed);
        bool::from(ok).then(|| self.entries[index as usize].name.clone())
    }

    /// The operator whose plain token `token` is (each compared as a digest, in constant time).
    fn check_plain(&self, token: &str) -> Option<String> {
        let presented = plain_digest(token);
        let mut found = None;
        for e in &self.entries {
            if let Kind::Token(d) = &e.kind
                && bool::from(d.ct_eq(&presented))
            {
                found = Some(e.name.clone());
            }
        }
        found
    }

    /// The operator a bearer token belongs to: any operator's plain token, else `name:secret`.
    /// Blocking when it comes to a named check.
    pub fn check_bearer(&self, token: &str) -> Option<String> {
        if let Some(name) = self.check_plain(token) {
            return Some(name);
        }
        let (name, secret) = token.split_once(':')?;
        self.check_login(name, secret)
    }

    fn remembered(&self, key: &[u8; 32]) -> Option<String> {
        let map = self.verified.lock().ok()?;
        let (index, until) = map.get(key)?;
        (*until > Instant::now()).then(|| self.entries[*index].name.clone())
    }

    fn remember(&self, key: [u8; 32], name: &str) {
        let Some(index) = self.entries.iter().position(|e| e.name == name) else { return };
        if let Ok(mut map) = self.verified.lock() {
            let now = Instant::now();
            if map.len() >= MAX_VERIFIED {
                map.retain(|_, (_, until)| *until > now);
                if map.len() >= MAX_VERIFIED {
                    map.clear();
                }
            }
            map.insert(key, (index, now + VERIFIED_TTL));
        }
    }

    /// [`Operators::check_login`] off the async threads, at most `hash_slots` at once.
    async fn named(self: &Arc<Self>, name: &str, secret: &str) -> Option<String> {
        let key = digest(&[b"login", name.trim().as_bytes(), secret.as_bytes()]);
        if let Some(found) = self.remembered(&key) {
            self.stats.remembered.fetch_add(1, Ordering::SeqCst);
            return Some(found);
        }
        let _slot = self.hash_slots.acquire().await.ok()?;
        let (ops, name, secret) = (self.clone(), name.to_string(), secret.to_string());
        let found = tokio::task::spawn_blocking(move || ops.check_login(&name, &secret)).await.ok().flatten();
        if let Some(found) = &found {
            self.remember(key, found);
        }
        found
    }

    /// Check a login form's name and secret (counted in [`AuthStats::checks`]).
    pub async fn verify_login(self: &Arc<Self>, name: &str, secret: &str) -> Option<String> {
        self.stats.checks.fetch_add(1, Ordering::SeqCst);
        self.named(name, secret).await
    }

    /// Check a bearer token (counted in [`AuthStats::checks`]).
    pub async fn verify_bearer(self: &Arc<Self>, token: &str) -> Option<String> {
        self.stats.checks.fetch_add(1, Ordering::SeqCst);
        if let Some(name) = self.check_plain(token) {
            return Some(name);
        }
        let (name, secret) = token.split_once(':')?;
        self.named(name, secret).await
    }
}

/// The operator `name` if `secret` is theirs (see [`Operators::check_login`]). Blocking.
pub fn check_login(operators: &BTreeMap<String, String>, name: &str, secret: &str) -> Option<String> {
    Operators::new(operators).check_login(name, secret)
}

/// The operator a bearer token belongs to (see [`Operators::check_bearer`]). Blocking.
pub fn check_bearer(operators: &BTreeMap<String, String>, token: &str) -> Option<String> {
    Operators::new(operators).check_bearer(token)
}

/// The token of an `Authorization: Bearer <token>` header; the scheme in any case.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// 32 random bytes, hex-encoded.
pub fn random_token() -> String {
    random_hex::<32>()
}

/// `N` random bytes as `2 * N` lowercase hex digits (a search id is drawn per search).
pub fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    hex(&bytes)
}

/// `bytes` as lowercase hex digits, in one allocation (formatting each byte on its own cost a
/// search id 17K instructions).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * bytes.len());
    for b in bytes {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_is_lowercase_hex_of_the_asked_length() {
        let (token, id) = (random_token(), crate::events::new_search_id());
        assert_eq!((token.len(), id.len()), (64, 16));
        assert!(token.chars().chain(id.chars()).all(|c| matches!(c, '0'..='9' | 'a'..='f')), "{token} {id}");
        assert_ne!(random_hex::<8>(), random_hex::<8>());
    }

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
        assert!(Secret::Token("tanaka-token-0123").matches("tanaka-token-0123"));
        assert!(!Secret::Token("tanaka-token-0123").matches("tanaka-token-012"));
    }

    #[test]
    fn logins_check_the_named_operator_and_bearer_tokens_any_plain_one() {
        let hash = hash_password("sato-no-himitsu").unwrap();
        let map: BTreeMap<String, String> =
            [("sato".to_string(), hash.clone()), ("tanaka".to_string(), "tanaka-token-0123".to_string())].into();
        let ops = Operators::new(&map);
        assert_eq!(ops.check_login("sato", "sato-no-himitsu").as_deref(), Some("sato"));
        assert_eq!(ops.check_login(" sato ", "sato-no-himitsu").as_deref(), Some("sato"));
        assert_eq!(ops.check_login("tanaka", "sato-no-himitsu"), None, "another operator's password");
        assert_eq!(ops.check_login("sato", &hash), None, "the hash itself is not the password");
        assert_eq!(ops.check_login("tanaka", "tanaka-token-0123").as_deref(), Some("tanaka"));
        assert_eq!(ops.check_login("nobody", "tanaka-token-0123"), None);
        assert_eq!(ops.check_login("", ""), None);

        assert_eq!(ops.check_bearer("tanaka-token-0123").as_deref(), Some("tanaka"));
        assert_eq!(ops.check_bearer("sato-no-himitsu"), None, "a hashed operator must give their name");
        assert_eq!(ops.check_bearer("sato:sato-no-himitsu").as_deref(), Some("sato"));
        assert_eq!(ops.check_bearer("tanaka:tanaka-token-0123").as_deref(), Some("tanaka"));
        assert_eq!(ops.check_bearer(&hash), None);
        assert_eq!(ops.check_bearer("sato:wrong"), None);
    }

    #[test]
    fn every_named_check_runs_one_argon2_verification() {
        let map: BTreeMap<String, String> = [("tanaka".to_string(), "tanaka-token-0123".to_string())].into();
        let ops = Operators::new(&map);
        for (name, secret) in [("tanaka", "tanaka-token-0123"), ("tanaka", "wrong-wrong-wrong"), ("nobody", "tanaka-token-0123"), ("", "")] {
            let before = ops.stats.hash_verifications();
            let _ = ops.check_login(name, secret);
            assert_eq!(ops.stats.hash_verifications(), before + 1, "{name}");
        }
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn operators_are_validated_with_their_names() {
        assert!(validate_operator("tanaka", "tanaka-token-0123").is_ok());
        let e = validate_operator("weak", "a").unwrap_err();
        assert!(format!("{e:#}").contains("`weak`"), "{e:#}");
        let e = validate_operator("empty", "").unwrap_err();
        assert!(format!("{e:#}").contains("`empty`") && format!("{e:#}").contains("empty"), "{e:#}");
        assert!(validate_operator("sato", &hash_password("x").unwrap()).is_ok(), "a hash has no minimum");
        assert!(validate_operator(" ", "tanaka-token-0123").is_err());
    }
}
