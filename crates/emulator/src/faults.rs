//! Fault injection: rules that match requests and make them fail, slow down, break or lose their connection.

use serde::{Deserialize, Serialize};

use super::settings::Outcome;

/// A fault rule. A request matches when every condition given matches; a rule with no conditions matches every
/// request the emulator journals (everything except `/_emulator/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Assigned by the emulator when the rule is added.
    #[serde(default)]
    pub id: u64,
    /// HTTP method, any case.
    #[serde(default)]
    pub method: Option<String>,
    /// A substring of the path, compared without case.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// A regular expression the path must match.
    #[serde(default)]
    pub path_regex: Option<String>,
    /// The journal's operation name, such as `BackupInstances_CreateOrUpdate` or `OperationStatus_Get`.
    #[serde(default)]
    pub operation: Option<String>,
    /// Matching requests to let through before the rule starts to act.
    #[serde(default)]
    pub skip: u32,
    /// How many times the rule acts; unlimited when absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// What happens.
    pub action: FaultAction,
}

/// What a fault rule does to a matching request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status and a CloudError body, without processing the request.
    Status {
        /// The HTTP status, such as 429, 500, 503 or 408.
        status: u16,
        /// A `Retry-After` header, in seconds.
        #[serde(default)]
        retry_after: Option<u64>,
        /// The error code; a default fitting the status when absent.
        #[serde(default)]
        code: Option<String>,
        /// The error message; a default fitting the status when absent.
        #[serde(default)]
        message: Option<String>,
    },
    /// Wait this long, then handle the request normally. Latency rules add up and do not stop later rules.
    Latency {
        /// Added latency in milliseconds.
        ms: u64,
    },
    /// Close the connection without answering. With `after_processing`, the request takes effect first (as when
    /// a response is lost on the way back).
    Drop {
        /// Process the request before dropping the connection.
        #[serde(default)]
        after_processing: bool,
    },
    /// Process the request, then answer with a body that is not valid JSON (correctly framed).
    MalformedBody,
    /// Process the request, then send the headers and only part of the body, and close the connection.
    TruncatedBody,
    /// Answer with this status, content type and body, without processing the request: an empty 406, an HTML
    /// error page from a gateway, a huge body. The body is `body` repeated `repeat` times (once when absent).
    RawBody {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header; none when absent.
        #[serde(default)]
        content_type: Option<String>,
        /// The body, or one piece of it.
        #[serde(default)]
        body: String,
        /// How many times `body` is repeated.
        #[serde(default)]
        repeat: Option<usize>,
        /// Stream the body one piece at a time with no `Content-Length`, as a chunked answer.
        #[serde(default)]
        chunked: bool,
    },
    /// Answer with a redirect to `location` (any URL, another host included), without processing the request.
    Redirect {
        /// 301, 302, 307 or 308.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// Process the request, then point the `Azure-AsyncOperation` and `Location` headers of the answer at
    /// `base_url` (scheme, host and port) instead of the emulator: a polling URL on another host.
    ForeignPollingUrls {
        /// For example `https://127.0.0.1:1234` or `http://attacker.example`.
        base_url: String,
    },
    /// Process the request; the long-running operation it starts ends this way.
    Operation {
        /// How the operation ends.
        outcome: Outcome,
        /// The error code of a failed or canceled operation.
        #[serde(default)]
        code: Option<String>,
        /// The error message.
        #[serde(default)]
        message: Option<String>,
    },
}

impl FaultRule {
    /// Checks that the rule's regular expression compiles.
    pub(crate) fn compile(&self) -> Result<Option<regex::Regex>, String> {
        self.path_regex
            .as_deref()
            .map(|pattern| regex::Regex::new(pattern).map_err(|error| format!("invalid path_regex: {error}")))
            .transpose()
    }
}

/// A rule with its compiled expression and match counter.
#[derive(Debug)]
pub(crate) struct ActiveRule {
    pub rule: FaultRule,
    regex: Option<regex::Regex>,
    seen: u32,
}

/// The decision for one request.
#[derive(Debug, Default)]
pub(crate) struct FaultDecision {
    pub latency_ms: u64,
    pub action: Option<FaultAction>,
}

/// The rules in force.
#[derive(Debug, Default)]
pub(crate) struct FaultSet {
    rules: Vec<ActiveRule>,
    next_id: u64,
}

impl FaultSet {
    /// Adds a rule, returning it with its id.
    pub fn add(&mut self, mut rule: FaultRule) -> Result<FaultRule, String> {
        let regex = rule.compile()?;
        self.next_id += 1;
        rule.id = self.next_id;
        self.rules.push(ActiveRule { rule: rule.clone(), regex, seen: 0 });
        Ok(rule)
    }

    /// The rules in force, with their remaining counts.
    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|active| active.rule.clone()).collect()
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Removes one rule; whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|active| active.rule.id != id);
        self.rules.len() != before
    }

    /// Decides what happens to a request, counting the rules that act.
    pub fn decide(&mut self, method: &str, path: &str, operation: &str) -> FaultDecision {
        let mut decision = FaultDecision::default();
        if self.rules.is_empty() {
            return decision;
        }
        let lower_path = path.to_ascii_lowercase();
        for active in &mut self.rules {
            let rule = &active.rule;
            let matches = rule.method.as_deref().is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
                && rule.path_contains.as_deref().is_none_or(|part| lower_path.contains(&part.to_ascii_lowercase()))
                && active.regex.as_ref().is_none_or(|regex| regex.is_match(path))
                && rule.operation.as_deref().is_none_or(|wanted| wanted.eq_ignore_ascii_case(operation));
            if !matches {
                continue;
            }
            let is_latency = matches!(rule.action, FaultAction::Latency { .. });
            if !is_latency && decision.action.is_some() {
                continue;
            }
            active.seen += 1;
            if active.seen <= rule.skip {
                continue;
            }
            if let Some(count) = active.rule.count.as_mut() {
                if *count == 0 {
                    continue;
                }
                *count -= 1;
            }
            match &active.rule.action {
                FaultAction::Latency { ms } => decision.latency_ms = decision.latency_ms.saturating_add(*ms),
                action => decision.action = Some(action.clone()),
            }
        }
        self.rules.retain(|active| active.rule.count != Some(0));
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: serde_json::Value) -> FaultRule {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn rules_match_on_every_condition_and_count_down() {
        let mut faults = FaultSet::default();
        faults
            .add(rule(serde_json::json!({"method": "put", "path_contains": "BACKUPINSTANCES", "count": 2,
                                         "action": {"type": "status", "status": 503}})))
            .unwrap();
        assert!(faults.decide("GET", "/x/backupInstances/a", "BackupInstances_Get").action.is_none());
        for _ in 0..2 {
            let decision = faults.decide("PUT", "/x/backupInstances/a", "BackupInstances_CreateOrUpdate");
            assert!(matches!(decision.action, Some(FaultAction::Status { status: 503, .. })));
        }
        assert!(faults.decide("PUT", "/x/backupInstances/a", "BackupInstances_CreateOrUpdate").action.is_none());
        assert!(faults.list().is_empty(), "used-up rules disappear");
    }

    #[test]
    fn latency_adds_up_and_skip_lets_requests_through() {
        let mut faults = FaultSet::default();
        faults.add(rule(serde_json::json!({"action": {"type": "latency", "ms": 5}}))).unwrap();
        faults.add(rule(serde_json::json!({"action": {"type": "latency", "ms": 7}}))).unwrap();
        faults
            .add(rule(serde_json::json!({"operation": "OperationStatus_Get", "skip": 1,
                                         "action": {"type": "drop"}})))
            .unwrap();
        let first = faults.decide("GET", "/a", "OperationStatus_Get");
        assert_eq!(first.latency_ms, 12);
        assert!(first.action.is_none());
        let second = faults.decide("GET", "/a", "operationstatus_get");
        assert!(matches!(second.action, Some(FaultAction::Drop { after_processing: false })));
    }

    #[test]
    fn raw_bodies_redirects_and_foreign_polling_urls_read_from_json() {
        let raw = rule(serde_json::json!({"operation": "BackupInstances_Get",
            "action": {"type": "raw_body", "status": 406}}));
        assert_eq!(
            raw.action,
            FaultAction::RawBody { status: 406, content_type: None, body: String::new(), repeat: None, chunked: false }
        );
        let redirect = rule(serde_json::json!({"action": {"type": "redirect", "status": 307,
            "location": "https://elsewhere.example/x"}}));
        assert!(matches!(redirect.action, FaultAction::Redirect { status: 307, .. }));
        let foreign = rule(serde_json::json!({"action": {"type": "foreign_polling_urls",
            "base_url": "https://127.0.0.1:9"}}));
        assert!(matches!(foreign.action, FaultAction::ForeignPollingUrls { .. }));
        let unknown = serde_json::from_value::<FaultRule>(serde_json::json!({"action": {"type": "redirect",
            "status": 307, "location": "x", "extra": 1}}));
        assert!(unknown.is_err(), "unknown fields are refused");
    }

    #[test]
    fn regexes_are_checked_when_added() {
        let mut faults = FaultSet::default();
        assert!(faults.add(rule(serde_json::json!({"path_regex": "(", "action": {"type": "drop"}}))).is_err());
        let added =
            faults.add(rule(serde_json::json!({"path_regex": "/disks/[^/]+$", "action": {"type": "drop"}}))).unwrap();
        assert_eq!(added.id, 1);
        assert!(faults.decide("GET", "/s/disks/d1", "Disks_Get").action.is_some());
        assert!(faults.decide("GET", "/s/disks/d1/x", "Disks_Get").action.is_none());
        assert!(faults.remove(1));
        assert!(!faults.remove(1));
    }
}
