//! Console sessions that work on any replica: signed cookies, and logouts in the events store.
//!
//! A login gives the browser one cookie ([`crate::auth::SESSION_COOKIE`]) holding the session:
//! a random id, the operator, when it was issued and when it expires, and a tag over all four
//! (keyed BLAKE2b, the `blake2` crate's MAC mode). Nothing is kept in memory, so any replica
//! with the same key accepts it. The key comes from `session_secret` (`KOTAE_SESSION_SECRET`,
//! at least 32 bytes); replicas behind one load balancer must share it. Without it each process
//! draws a random key at start: one machine works as before, and a restart logs operators out.
//!
//! - **Expiry**: a session lasts [`SESSION_TTL`] from login (not from the last request: a
//!   cookie cannot move its own expiry without being issued again). An expired cookie is
//!   refused even if the browser still sends it.
//! - **Tampering**: changing any byte of the cookie breaks the tag (compared in constant time).
//! - **Operators**: the tag also covers a digest of the operator's configured secret, so an
//!   operator removed from the settings, or given a new token or password, loses their sessions
//!   on every replica that has the new settings.
//! - **Logout** records the session's id in the events store until its expiry
//!   (`revoked_sessions`); every replica asks the store on each request of a session, so a
//!   logout on one ends the session on all of them at once. There is no in-process cache of
//!   that answer. When the store cannot be asked, the session is refused (fail closed).
//! - **CSRF**: a session's form token is a tag of its id ([`Session::csrf`]): any replica
//!   computes the same token, and nobody without the key can.

use std::collections::BTreeMap;

use blake2::digest::consts::U32;
use blake2::digest::{FixedOutput, KeyInit, Update};
use blake2::{Blake2b512, Blake2bMac, Digest};
use subtle::ConstantTimeEq;

use crate::auth::hex;
use crate::recorder::Events;

/// How long a console session lasts from login.
pub const SESSION_TTL_SECS: i64 = 8 * 3600;
/// [`SESSION_TTL_SECS`] as a duration.
pub const SESSION_TTL: std::time::Duration =
    std::time::Duration::from_secs(SESSION_TTL_SECS as u64);
/// The shortest `session_secret` accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// The cookie format's version (its first field).
const VERSION: &str = "v1";

type Tag = [u8; 32];

/// A signed-in operator's session, as its cookie says (and its tag confirms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// 128 random bits, hex.
    pub id: String,
    pub operator: String,
    /// Unix seconds.
    pub issued: i64,
    /// Unix seconds; the session is refused from then on.
    pub expires: i64,
    /// The token console forms must echo back (see [`crate::csrf`]).
    pub csrf: String,
}

/// The key sessions are signed with, and what each configured operator's sessions are bound to.
pub struct Sessions {
    key: [u8; 64],
    /// Operator → a tag of their configured secret.
    operators: BTreeMap<String, Tag>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions signed with `secret` (a random key when `None`), for `operators` (name → their
    /// configured token or hash).
    pub fn new(secret: Option<&str>, operators: &BTreeMap<String, String>) -> Self {
        let mut h = Blake2b512::new();
        Digest::update(&mut h, b"kotae session key\0");
        match secret {
            Some(s) => Digest::update(&mut h, s.as_bytes()),
            None => {
                let mut random = [0u8; 32];
                getrandom::fill(&mut random).expect("the operating system's random source");
                Digest::update(&mut h, random);
            }
        }
        let mut key = [0u8; 64];
        key.copy_from_slice(&h.finalize());
        let mut sessions = Sessions {
            key,
            operators: BTreeMap::new(),
        };
        sessions.operators = operators
            .iter()
            .map(|(name, secret)| {
                (
                    name.trim().to_string(),
                    sessions.tag(&[b"operator", name.trim().as_bytes(), secret.as_bytes()]),
                )
            })
            .collect();
        sessions
    }

    /// A keyed tag of `parts`, each length-prefixed.
    fn tag(&self, parts: &[&[u8]]) -> Tag {
        let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(&self.key)
            .expect("a 64-byte key fits BLAKE2b");
        for p in parts {
            Update::update(&mut mac, &(p.len() as u64).to_le_bytes());
            Update::update(&mut mac, p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize_fixed());
        out
    }

    fn session_tag(&self, id: &str, operator: &str, issued: i64, expires: i64, bound: &Tag) -> Tag {
        self.tag(&[
            b"session",
            VERSION.as_bytes(),
            id.as_bytes(),
            operator.as_bytes(),
            &issued.to_le_bytes(),
            &expires.to_le_bytes(),
            bound,
        ])
    }

    /// The CSRF token of the session `id`.
    fn csrf(&self, id: &str) -> String {
        hex(&self.tag(&[b"csrf", id.as_bytes()]))
    }

    /// A new session for `operator`, issued at `now` (Unix seconds), and its cookie value.
    /// `None` when `operator` is not configured.
    pub fn issue(&self, operator: &str, now: i64) -> Option<(Session, String)> {
        let bound = self.operators.get(operator)?;
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).expect("the operating system's random source");
        let id = hex(&random);
        let expires = now + SESSION_TTL_SECS;
        let tag = self.session_tag(&id, operator, now, expires, bound);
        let value = format!(
            "{VERSION}.{id}.{}.{now}.{expires}.{}",
            hex(operator.as_bytes()),
            hex(&tag)
        );
        let csrf = self.csrf(&id);
        Some((
            Session {
                id,
                operator: operator.to_string(),
                issued: now,
                expires,
                csrf,
            },
            value,
        ))
    }

    /// The session a cookie value holds, if its tag is right, it has not expired at `now`, and
    /// its operator is still configured with the same secret. Revocation is not checked here
    /// (see [`Sessions::verify`]).
    pub fn read(&self, value: &str, now: i64) -> Option<Session> {
        let mut fields = value.trim().split('.');
        let (version, id, operator, issued, expires, tag) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if fields.next().is_some()
            || version != VERSION
            || id.len() != 32
            || !id.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        let operator = String::from_utf8(unhex(operator)?).ok()?;
        let (issued, expires): (i64, i64) = (issued.parse().ok()?, expires.parse().ok()?);
        let presented = unhex(tag)?;
        // An unknown operator is checked against a tag of nothing, so the time taken does not
        // tell which names exist.
        let bound = self.operators.get(&operator).copied();
        let expected = self.session_tag(id, &operator, issued, expires, &bound.unwrap_or([0; 32]));
        let tag_ok = bool::from(expected.as_slice().ct_eq(presented.as_slice()));
        if !tag_ok
            || bound.is_none()
            || expires <= now
            || issued > now + 60
            || expires - issued > SESSION_TTL_SECS
        {
            return None;
        }
        let csrf = self.csrf(id);
        Some(Session {
            id: id.to_string(),
            operator,
            issued,
            expires,
            csrf,
        })
    }

    /// [`Sessions::read`], then ask the events store whether the session was logged out (on any
    /// replica). Refused when the store cannot answer.
    pub async fn verify(&self, value: &str, events: &Events) -> Option<Session> {
        let session = self.read(value, kotae_events::now())?;
        let id = session.id.clone();
        match events
            .blocking(move |store| store.is_revoked(&id, kotae_events::now()))
            .await
        {
            Ok(false) => Some(session),
            Ok(true) => None,
            Err(e) => {
                tracing::error!(error = ?e, "cannot check whether a console session was logged out; refusing it");
                None
            }
        }
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 512 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operators(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect()
    }

    const SECRET: &str = "a-shared-secret-of-at-least-32-bytes!";

    #[test]
    fn a_cookie_issued_by_one_replica_is_read_by_another_with_the_same_secret_only() {
        let ops = operators(&[("tanaka", "tanaka-token-0123")]);
        let (a, b) = (
            Sessions::new(Some(SECRET), &ops),
            Sessions::new(Some(SECRET), &ops),
        );
        let (session, cookie) = a.issue("tanaka", 1_000).unwrap();
        assert_eq!(b.read(&cookie, 1_001).as_ref(), Some(&session));
        assert_eq!(session.csrf.len(), 64);
        assert_ne!(
            session.csrf,
            a.issue("tanaka", 1_000).unwrap().0.csrf,
            "each session has its own token"
        );
        assert!(
            Sessions::new(Some("another-secret-of-at-least-32-bytes!!"), &ops)
                .read(&cookie, 1_001)
                .is_none()
        );
        assert!(
            Sessions::new(None, &ops).read(&cookie, 1_001).is_none(),
            "a random key knows no other process's cookies"
        );
        assert!(a.issue("nobody", 1_000).is_none());
    }

    #[test]
    fn expired_tampered_and_orphaned_cookies_are_refused() {
        let ops = operators(&[
            ("tanaka", "tanaka-token-0123"),
            ("sato", "sato-token-456789"),
        ]);
        let s = Sessions::new(Some(SECRET), &ops);
        let (_, cookie) = s.issue("tanaka", 1_000).unwrap();
        assert!(s.read(&cookie, 1_000 + SESSION_TTL_SECS - 1).is_some());
        assert!(
            s.read(&cookie, 1_000 + SESSION_TTL_SECS).is_none(),
            "expired"
        );
        let fields: Vec<&str> = cookie.split('.').collect();
        let with = |i: usize, v: &str| {
            let mut f = fields.clone();
            f[i] = v;
            f.join(".")
        };
        let later = (1_000 + 2 * SESSION_TTL_SECS).to_string();
        for (what, forged) in [
            ("another operator", with(2, &hex(b"sato"))),
            ("a later expiry", with(4, &later)),
            ("another id", with(1, &"0".repeat(32))),
            (
                "a flipped tag",
                with(
                    5,
                    &format!(
                        "{}{}",
                        if fields[5].starts_with('0') { "1" } else { "0" },
                        &fields[5][1..]
                    ),
                ),
            ),
            ("no tag", fields[..5].join(".")),
            ("garbage", "v1.zz".to_string()),
        ] {
            assert!(s.read(&forged, 1_001).is_none(), "{what}");
        }
        let removed = Sessions::new(Some(SECRET), &operators(&[("sato", "sato-token-456789")]));
        assert!(
            removed.read(&cookie, 1_001).is_none(),
            "an operator removed from the settings"
        );
        let rotated = Sessions::new(Some(SECRET), &operators(&[("tanaka", "a-new-token-0123")]));
        assert!(
            rotated.read(&cookie, 1_001).is_none(),
            "an operator given a new token"
        );
    }
}
