//! ARM's request throttling: token buckets per subscription and principal and per kind of request, plus a
//! subscription-wide bucket shared by every principal (CONTRACT.md §6).

use std::collections::HashMap;

use super::settings::{BucketSpec, ThrottleSettings};

/// The kinds of requests ARM counts separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RequestClass {
    Read,
    Write,
    Delete,
}

impl RequestClass {
    pub fn of(method: &str) -> RequestClass {
        match method {
            "GET" | "HEAD" | "OPTIONS" => RequestClass::Read,
            "DELETE" => RequestClass::Delete,
            _ => RequestClass::Write,
        }
    }

    /// ARM's `x-ms-ratelimit-remaining-subscription-*` header for this kind of request.
    pub fn remaining_header(self) -> &'static str {
        match self {
            RequestClass::Read => "x-ms-ratelimit-remaining-subscription-reads",
            RequestClass::Write => "x-ms-ratelimit-remaining-subscription-writes",
            RequestClass::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    /// How ARM names the kind in its throttling message.
    pub fn noun(self) -> &'static str {
        match self {
            RequestClass::Read => "read",
            RequestClass::Write => "write",
            RequestClass::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated_ms: u64,
}

impl Bucket {
    fn refill(&mut self, capacity: f64, rate: f64, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.updated_ms) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        self.updated_ms = now_ms;
    }

    /// Seconds until one token is available.
    fn wait_seconds(&self, rate: f64) -> u64 {
        if rate <= 0.0 {
            return 3600;
        }
        (((1.0 - self.tokens) / rate).ceil() as u64).max(1)
    }
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    /// Requests left for this principal (the `x-ms-ratelimit-remaining-subscription-*` value).
    pub remaining: u64,
    /// Seconds to wait when throttled.
    pub retry_after: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    principal_buckets: HashMap<(String, String, RequestClass), Bucket>,
    subscription_buckets: HashMap<(String, RequestClass), Bucket>,
}

impl Throttle {
    /// Forgets all buckets (they start full again), as after a change of settings.
    pub fn reset(&mut self) {
        self.principal_buckets.clear();
        self.subscription_buckets.clear();
    }

    /// Counts a request. `None` when throttling is off.
    pub fn take(
        &mut self,
        settings: &ThrottleSettings,
        subscription: &str,
        principal: &str,
        class: RequestClass,
        now_ms: u64,
    ) -> Option<Verdict> {
        if !settings.enabled || settings.scale <= 0.0 {
            return None;
        }
        let spec: &BucketSpec = match class {
            RequestClass::Read => &settings.reads,
            RequestClass::Write => &settings.writes,
            RequestClass::Delete => &settings.deletes,
        };
        let capacity = (spec.capacity * settings.scale).max(1.0);
        let rate = spec.refill_per_second * settings.scale;
        let global_capacity = (capacity * settings.global_multiplier).max(1.0);
        let global_rate = rate * settings.global_multiplier;

        let subscription = subscription.to_ascii_lowercase();
        let principal_bucket = self
            .principal_buckets
            .entry((subscription.clone(), principal.to_ascii_lowercase(), class))
            .or_insert(Bucket { tokens: capacity, updated_ms: now_ms });
        principal_bucket.refill(capacity, rate, now_ms);
        let global_bucket = self
            .subscription_buckets
            .entry((subscription, class))
            .or_insert(Bucket { tokens: global_capacity, updated_ms: now_ms });
        global_bucket.refill(global_capacity, global_rate, now_ms);

        if principal_bucket.tokens < 1.0 || global_bucket.tokens < 1.0 {
            let retry_after = if principal_bucket.tokens < 1.0 {
                principal_bucket.wait_seconds(rate)
            } else {
                global_bucket.wait_seconds(global_rate)
            };
            return Some(Verdict { allowed: false, remaining: 0, retry_after });
        }
        principal_bucket.tokens -= 1.0;
        global_bucket.tokens -= 1.0;
        Some(Verdict { allowed: true, remaining: principal_bucket.tokens.floor() as u64, retry_after: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ThrottleSettings {
        ThrottleSettings { scale: 0.02, ..ThrottleSettings::default() }
    }

    #[test]
    fn a_bucket_empties_then_refills() {
        let settings = small(); // reads: 5 at once, 0.5 per second
        let mut throttle = Throttle::default();
        let remaining: Vec<u64> = (0..5)
            .map(|_| throttle.take(&settings, "s", "p", RequestClass::Read, 0).unwrap())
            .map(|verdict| {
                assert!(verdict.allowed);
                verdict.remaining
            })
            .collect();
        assert_eq!(remaining, vec![4, 3, 2, 1, 0]);
        let refused = throttle.take(&settings, "s", "p", RequestClass::Read, 0).unwrap();
        assert_eq!(refused, Verdict { allowed: false, remaining: 0, retry_after: 2 });
        // Writes have their own bucket; so does another principal.
        assert!(throttle.take(&settings, "s", "p", RequestClass::Write, 0).unwrap().allowed);
        assert!(throttle.take(&settings, "s", "other", RequestClass::Read, 0).unwrap().allowed);
        // Two seconds later one token is back.
        assert!(throttle.take(&settings, "s", "p", RequestClass::Read, 2000).unwrap().allowed);
        assert!(!throttle.take(&settings, "s", "p", RequestClass::Read, 2000).unwrap().allowed);
    }

    #[test]
    fn the_subscription_limit_binds_across_principals() {
        let settings = ThrottleSettings { global_multiplier: 2.0, ..small() };
        let mut throttle = Throttle::default();
        let allowed = (0..30)
            .filter(|index| {
                let principal = format!("p{}", index % 6);
                throttle.take(&settings, "s", &principal, RequestClass::Read, 0).unwrap().allowed
            })
            .count();
        assert_eq!(allowed, 10, "twice the per-principal bucket of 5");
    }

    #[test]
    fn disabled_throttling_counts_nothing() {
        let mut throttle = Throttle::default();
        let settings = ThrottleSettings { enabled: false, ..ThrottleSettings::default() };
        assert!(throttle.take(&settings, "s", "p", RequestClass::Read, 0).is_none());
    }
}
