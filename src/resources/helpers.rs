//! Small pieces the vault, policy and data source types share: the call context of an operation, the configured
//! client, an all-null state for imports, a read-only `timeouts` block for data sources, and waiting until
//! Azure no longer has a deleted resource.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::arm::ArmClient;
use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::pipeline::CallContext;
use crate::arm::poller::DEFAULT_POLL_DELAY;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::provider::Context;
use crate::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::plugin::value::{Type, Value};
use crate::provider::{Configured, ProviderState};

use super::common::{format_duration, not_ready, parse_duration};

/// The call context of one operation: its deadline, how the deadline is named in messages, and Terraform's
/// stop signal.
pub(crate) fn call(ctx: &Context, timeout: Duration, label: &str) -> CallContext {
    CallContext::new(
        std::time::Instant::now(),
        timeout,
        format!("{label} ({})", format_duration(timeout)),
        ctx.stop_token().clone(),
    )
}

/// The configured provider, or the diagnostic that says why there is none.
pub(crate) fn configured(state: &ProviderState, diags: &mut Diagnostics) -> Option<Arc<Configured>> {
    match state.get() {
        Ok(c) => Some(c),
        Err(reason) => {
            not_ready(diags, reason);
            None
        }
    }
}

/// A state of `schema` with every attribute null: the start of an import.
pub(crate) fn null_state(schema: &Schema) -> Value {
    match schema.block.value_type() {
        Type::Object(attributes) => Value::Object(attributes.into_keys().map(|k| (k, Value::Null)).collect()),
        _ => Value::Object(Default::default()),
    }
}

/// The default read timeout of data sources.
pub(crate) const DATA_SOURCE_READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A data source's `timeouts` block: only `read`.
pub(crate) fn read_timeouts_block() -> NestedBlock {
    NestedBlock::single(
        "timeouts",
        Block {
            attributes: vec![Attribute::optional("read", Type::String).description(format!(
                "How long to wait for the read operation, as a duration such as `45s` or `10m`. Defaults to `{}`.",
                format_duration(DATA_SOURCE_READ_TIMEOUT)
            ))],
            description: "Operation timeouts.".to_owned(),
            ..Block::default()
        },
    )
}

/// The read timeout a data source's configuration asks for.
pub(crate) fn read_timeout(config: &Value) -> Duration {
    config
        .attr("timeouts")
        .attr("read")
        .as_str()
        .and_then(|s| parse_duration(s).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DATA_SOURCE_READ_TIMEOUT)
}

/// Reports a malformed `timeouts.read` of a data source.
pub(crate) fn validate_read_timeout(config: &Value, diags: &mut Diagnostics) {
    if let Some(text) = config.attr("timeouts").attr("read").as_str() {
        let path = AttributePath::root("timeouts").attribute("read");
        match parse_duration(text) {
            Ok(d) if d.is_zero() => diags.attribute_error(
                path,
                "Invalid timeout",
                format!("The read timeout {text:?} is zero; give a positive duration such as \"5m\"."),
            ),
            Ok(_) => {}
            Err(reason) => diags.attribute_error(
                path,
                "Invalid timeout",
                format!("{reason}. Durations look like \"45s\", \"30m\", \"1h30m\" or \"2h\"."),
            ),
        }
    }
}

/// After a delete: GETs (through `get`, which answers the delay Azure asks for, or `None` once the resource
/// is gone) until Azure reports 404, honouring the delays and the deadline.
pub(crate) async fn wait_until_gone<F, Fut>(
    client: &ArmClient,
    call: &CallContext,
    what: &str,
    mut get: F,
) -> Result<(), ArmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Option<Duration>>, ArmError>>,
{
    let clock = client.pipeline().clock();
    loop {
        let Some(delay) = get().await? else { return Ok(()) };
        let wait = delay.unwrap_or(DEFAULT_POLL_DELAY);
        if clock.now() + wait > call.deadline {
            return Err(ArmError::new(
                ErrorKind::Timeout,
                format!(
                    "Azure finished the delete, but the resource still existed when the {} ran out",
                    call.timeout_label
                ),
            )
            .context(what.to_owned()));
        }
        tokio::select! {
            biased;
            _ = call.stop.cancelled() => {
                return Err(ArmError::new(ErrorKind::Stopped, "Terraform asked the provider to stop").context(what.to_owned()));
            }
            _ = clock.sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_timeouts_fall_back_and_are_validated() {
        assert_eq!(read_timeout(&Value::Null), DATA_SOURCE_READ_TIMEOUT);
        let config = Value::object([("timeouts", Value::object([("read", Value::from("90s"))]))]);
        assert_eq!(read_timeout(&config), Duration::from_secs(90));
        let mut diags = Diagnostics::new();
        validate_read_timeout(&config, &mut diags);
        assert!(diags.is_empty());
        let bad = Value::object([("timeouts", Value::object([("read", Value::from("soon"))]))]);
        validate_read_timeout(&bad, &mut diags);
        assert_eq!(diags.iter().next().unwrap().attribute.as_ref().unwrap().to_string(), "timeouts.read");
    }
}
