//! Access tokens for the resource manager, and a string type that never prints its contents.

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use super::error::ArmError;

/// A secret string (client secret, OIDC token, access token). `Debug` and `Display` print `[redacted]`; the
/// value is only reachable through [`Secret::expose`], so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A bearer token and when it expires.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The token.
    pub token: Secret,
    /// When it stops being accepted.
    pub expires_at: SystemTime,
}

/// Where the pipeline gets its bearer tokens.
#[async_trait]
pub trait TokenSource: Send + Sync + 'static {
    /// A token for the resource manager. `refresh` asks for a new one rather than a cached one.
    async fn token(&self, refresh: bool) -> Result<AccessToken, ArmError>;

    /// A token to replace `rejected`, which the resource manager just answered with 401. When many requests
    /// meet the same 401 at once, a source should sign in once and give every one of them the new token.
    async fn refreshed(&self, rejected: &AccessToken) -> Result<AccessToken, ArmError> {
        let _ = rejected;
        self.token(true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        let t = AccessToken { token: s.clone(), expires_at: SystemTime::UNIX_EPOCH };
        assert!(!format!("{t:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}
