//! Access tokens: JWTs with Entra's claims, signed with a key only the emulator knows (HMAC-SHA256), so ARM
//! requests can be checked without keeping every token issued.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SecureRandom as _;
use serde::{Deserialize, Serialize};

use std::collections::VecDeque;
use std::sync::Mutex;

use super::util::{base64url, base64url_decode, lock, new_uuid};

/// The audiences ARM accepts in a token (compared without a trailing `/`), besides the emulator's own base URL.
pub(crate) const ARM_AUDIENCES: &[&str] = &["https://management.azure.com", "https://management.core.windows.net"];

/// The claims the emulator puts in an access token (a subset of Entra's v1 access token claims).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub appid: String,
    pub oid: String,
    pub tid: String,
    pub sub: String,
    pub idtyp: String,
    pub ver: String,
    pub uti: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not a token this emulator issued.
    Invalid,
    /// Expired at `exp` (Unix seconds); the check ran at `now`.
    Expired { exp: u64, now: u64 },
}

/// How many of the latest issued tokens the signer remembers, for tests that check no token leaks.
const REMEMBERED_TOKENS: usize = 10_000;

/// Signs and checks tokens.
pub(crate) struct TokenSigner {
    key: hmac::Key,
    raw: Vec<u8>,
    issued: Mutex<VecDeque<String>>,
}

impl TokenSigner {
    /// A signer with a fresh random key.
    pub fn generate() -> Result<TokenSigner, String> {
        let mut raw = vec![0u8; 32];
        aws_lc_rs::rand::SystemRandom::new().fill(&mut raw).map_err(|_| "no system randomness available".to_owned())?;
        Ok(TokenSigner::from_key(raw))
    }

    /// A signer with a known key (restored from the state directory).
    pub fn from_key(raw: Vec<u8>) -> TokenSigner {
        TokenSigner { key: hmac::Key::new(hmac::HMAC_SHA256, &raw), raw, issued: Mutex::new(VecDeque::new()) }
    }

    /// The key, to persist it.
    pub fn key_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// Issues a token.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &self,
        audience: &str,
        tenant: &str,
        client_id: &str,
        object_id: &str,
        now: u64,
        lifetime: u64,
    ) -> (String, Claims) {
        let claims = Claims {
            aud: audience.to_owned(),
            iss: format!("https://sts.windows.net/{tenant}/"),
            iat: now,
            nbf: now.saturating_sub(300),
            exp: now.saturating_add(lifetime),
            appid: client_id.to_owned(),
            oid: object_id.to_owned(),
            tid: tenant.to_owned(),
            sub: object_id.to_owned(),
            idtyp: "app".to_owned(),
            ver: "1.0".to_owned(),
            uti: new_uuid(),
        };
        let header = base64url(br#"{"alg":"HS256","typ":"JWT","kid":"dataprotection-emulator"}"#);
        let payload = base64url(serde_json::to_string(&claims).unwrap_or_default().as_bytes());
        let signing_input = format!("{header}.{payload}");
        let signature = base64url(hmac::sign(&self.key, signing_input.as_bytes()).as_ref());
        let token = format!("{signing_input}.{signature}");
        let mut issued = lock(&self.issued);
        if issued.len() == REMEMBERED_TOKENS {
            issued.pop_front();
        }
        issued.push_back(token.clone());
        (token, claims)
    }

    /// The tokens issued since the emulator started (the latest 10,000), oldest first.
    pub fn issued(&self) -> Vec<String> {
        lock(&self.issued).iter().cloned().collect()
    }

    /// Checks a token's signature and lifetime.
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let (_, payload) = signing_input.split_once('.').ok_or(TokenError::Invalid)?;
        let signature = base64url_decode(signature).ok_or(TokenError::Invalid)?;
        hmac::verify(&self.key, signing_input.as_bytes(), &signature).map_err(|_| TokenError::Invalid)?;
        let payload = base64url_decode(payload).ok_or(TokenError::Invalid)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid)?;
        if now >= claims.exp {
            return Err(TokenError::Expired { exp: claims.exp, now });
        }
        if now < claims.nbf {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// Decodes the claims of an unsigned or foreign JWT (a client assertion) without checking its signature: the
/// emulator trusts any issuer's signature and checks the claims a federated credential names.
pub(crate) fn decode_unverified(token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let _header = parts.next()?;
    let payload = parts.next()?;
    parts.next()?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

/// Whether `resource` (a scope without `/.default`, or a token audience) is ARM as the emulator serves it.
pub(crate) fn is_arm_audience(resource: &str, base_url: Option<&str>) -> bool {
    let trimmed = resource.trim_end_matches('/');
    ARM_AUDIENCES.iter().any(|audience| audience.eq_ignore_ascii_case(trimmed))
        || base_url.is_some_and(|base| base.trim_end_matches('/').eq_ignore_ascii_case(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let signer = TokenSigner::generate().unwrap();
        let (token, claims) = signer.issue("https://management.azure.com/", "t", "c", "o", 1_000, 60);
        assert_eq!(signer.verify(&token, 1_059).unwrap(), claims);
        assert_eq!(signer.verify(&token, 1_060), Err(TokenError::Expired { exp: 1_060, now: 1_060 }));
        assert_eq!(decode_unverified(&token).unwrap()["appid"], "c");
        assert_eq!(signer.issued(), vec![token]);
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let signer = TokenSigner::generate().unwrap();
        let other = TokenSigner::generate().unwrap();
        let (token, _) = signer.issue("a", "t", "c", "o", 1_000, 60);
        assert_eq!(other.verify(&token, 1_000), Err(TokenError::Invalid));
        let (header, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.rsplit_once('.').unwrap();
        let forged_payload = base64url(br#"{"aud":"a","iss":"x","iat":0,"nbf":0,"exp":99999999999,"appid":"evil","oid":"o","tid":"t","sub":"o","idtyp":"app","ver":"1.0","uti":"u"}"#);
        assert_eq!(signer.verify(&format!("{header}.{forged_payload}.{signature}"), 1_000), Err(TokenError::Invalid));
        assert_eq!(signer.verify("not-a-token", 1_000), Err(TokenError::Invalid));
        assert_eq!(signer.verify("", 1_000), Err(TokenError::Invalid));
        let restored = TokenSigner::from_key(signer.key_bytes().to_vec());
        assert!(restored.verify(&token, 1_000).is_ok());
    }

    #[test]
    fn arm_audiences_match_without_trailing_slashes() {
        assert!(is_arm_audience("https://management.core.windows.net/", None));
        assert!(is_arm_audience("https://management.azure.com", None));
        assert!(is_arm_audience("https://127.0.0.1:4000/", Some("https://127.0.0.1:4000")));
        assert!(!is_arm_audience("https://graph.microsoft.com/", Some("https://127.0.0.1:4000")));
    }
}
