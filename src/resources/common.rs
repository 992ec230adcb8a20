//! What every resource and data source shares: timeouts, the call context of an operation, the configured client,
//! equivalence of Azure spellings, turning Azure errors into diagnostics, an all-null state for imports, and
//! waiting until Azure no longer has a deleted resource.

use std::sync::Arc;
use std::time::Duration;

use crate::arm::ArmError;

use super::configuration::{Configured, NotReady, ProviderConfiguration};
use super::model::{Spellings, keep_spellings};
use crate::arm::pipeline::CallContext;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{Context, ImportResponse, ImportedResource, PlanRequest, PlanResponse};
use crate::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use crate::plugin::value::{Type, Value};

/// The four operation timeouts of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Create.
    pub create: Duration,
    /// Read (refresh and import).
    pub read: Duration,
    /// Update.
    pub update: Duration,
    /// Delete.
    pub delete: Duration,
}

/// The defaults: 30 minutes to create, update or delete, 5 to read.
pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(30 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(30 * 60),
};

/// The name of every resource's `timeouts` block (and of a data source's).
pub(crate) const TIMEOUTS: &str = "timeouts";

/// The `timeouts` block.
pub fn timeouts_block(defaults: Timeouts) -> NestedBlock {
    let attribute = |name: &str, default: Duration| {
        Attribute::optional(name, Type::String).description(format!(
            "How long to wait for the {name} operation, as a duration such as `45m` or `1h30m`. Defaults to `{}`.",
            format_duration(default)
        ))
    };
    NestedBlock::single(
        TIMEOUTS,
        Block {
            attributes: vec![
                attribute("create", defaults.create),
                attribute("read", defaults.read),
                attribute("update", defaults.update),
                attribute("delete", defaults.delete),
            ],
            description: "Operation timeouts.".to_owned(),
            ..Block::default()
        },
    )
}

/// Reads the `timeouts` block of a state or config value, falling back to `defaults` for unset values.
/// Invalid values fall back too; [`validate_timeouts`] reports them.
pub fn timeouts(value: &Value, defaults: Timeouts) -> Timeouts {
    let block = value.attr(TIMEOUTS);
    let get = |name: &str, default: Duration| {
        block.attr(name).as_str().and_then(|s| parse_duration(s).ok()).unwrap_or(default)
    };
    Timeouts {
        create: get("create", defaults.create),
        read: get("read", defaults.read),
        update: get("update", defaults.update),
        delete: get("delete", defaults.delete),
    }
}

/// Reports malformed durations in a `timeouts` block.
pub fn validate_timeouts(config: &Value, diags: &mut Diagnostics) {
    validate_timeout_values(config, &["create", "read", "update", "delete"], diags);
}

/// Reports malformed durations among the `names` of a `timeouts` block.
fn validate_timeout_values(config: &Value, names: &[&str], diags: &mut Diagnostics) {
    let block = config.attr(TIMEOUTS);
    for name in names {
        if let Some(text) = block.attr(name).as_str() {
            match parse_duration(text) {
                Ok(d) if d.is_zero() => diags.attribute_error(
                    AttributePath::root(TIMEOUTS).attribute(name),
                    "Invalid timeout",
                    format!("The {name} timeout {text:?} is zero; give a positive duration such as \"30m\"."),
                ),
                Ok(_) => {}
                Err(reason) => diags.attribute_error(
                    AttributePath::root(TIMEOUTS).attribute(name),
                    "Invalid timeout",
                    format!("{reason}. Durations look like \"45s\", \"30m\", \"1h30m\" or \"2h\"."),
                ),
            }
        }
    }
}

/// Parses a duration the way Terraform users write them: `90s`, `30m`, `1h30m`, `1.5h`, `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let input = text.trim();
    if input.is_empty() {
        return Err("the duration is empty".to_owned());
    }
    if input == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = input;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("{text:?} is not a duration: expected a number at {rest:?}"));
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| format!("{text:?} is not a duration: bad number"))?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            "" => return Err(format!("{text:?} is not a duration: the number {number} has no unit (h, m, s)")),
            other => return Err(format!("{text:?} is not a duration: unknown unit {other:?}")),
        };
        total += number * seconds_per_unit;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 366.0 * 24.0 * 3600.0 {
        return Err(format!("{text:?} is longer than a year"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Prints a duration as `30m`, `1h30m`, `45s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// `text` as a sentence: first letter upper-case, ending with a full stop.
pub fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// A region name in its canonical form: `West US`, `westus` and `WESTUS` all become `westus`.
pub fn normalize_location(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Adds an Azure error as a diagnostic: Azure's message as the summary, everything else in the detail.
pub fn arm_error(diags: &mut Diagnostics, error: &ArmError, attribute: Option<AttributePath>, hint: Option<&str>) {
    let mut detail = error.detail();
    if let Some(hint) = hint {
        detail.push_str("\n\n");
        detail.push_str(hint);
    }
    match attribute {
        Some(path) => diags.attribute_error(path, error.summary(), detail),
        None => diags.error(error.summary(), detail),
    }
}

/// The attributes and blocks of `schema` marked force-new whose planned value differs from the prior one.
pub(crate) fn requires_replace(schema: &Schema, prior: &Value, planned: &Value) -> Vec<AttributePath> {
    schema
        .block
        .replace_on_change()
        .into_iter()
        .filter(|name| planned.attr(name) != prior.attr(name))
        .map(AttributePath::root)
        .collect()
}

/// Plans a change in place of a resource whose rules are its equivalent spellings and its force-new attributes:
/// what `spellings` finds equivalent to the prior state keeps its prior spelling, the force-new attributes of
/// `schema` that change go into `requires_replace`, and a replaced object's `id` becomes unknown. Returns whether
/// the object is replaced. [`plan_update_with`] takes a resource's own reasons to replace as well.
pub(crate) fn plan_update(
    schema: &Schema,
    spellings: Spellings,
    request: &PlanRequest,
    response: &mut PlanResponse,
) -> bool {
    plan_update_with(schema, spellings, request, response, |_, _| {})
}

/// [`plan_update`], with `also_replace` run once the force-new attributes are listed and before `id` is made
/// unknown: it gets the prior state and the response, and may add to `requires_replace` (and warn) what the schema
/// cannot state (a value that may change one way only), or take back a change that is none (a policy's retention
/// rules, which compare as sets).
pub(crate) fn plan_update_with(
    schema: &Schema,
    spellings: Spellings,
    request: &PlanRequest,
    response: &mut PlanResponse,
    also_replace: impl FnOnce(&Value, &mut PlanResponse),
) -> bool {
    let prior = &request.prior_state;
    keep_spellings(prior, &mut response.planned_state, spellings);
    response.requires_replace = requires_replace(schema, prior, &response.planned_state);
    also_replace(prior, response);
    let replaced = !response.requires_replace.is_empty();
    if replaced {
        response.planned_state.set_attr("id", Value::Unknown);
    }
    replaced
}

/// The diagnostic for a resource that needs Azure before the provider could be configured.
pub fn not_ready(diags: &mut Diagnostics, reason: NotReady) {
    match reason {
        NotReady::NotConfigured => diags.error(
            "Provider not configured",
            "The dataprotection provider was not configured before it was used. This is a bug in the provider.",
        ),
        NotReady::Unknown(names) => diags.error(
            "Provider configuration not known yet",
            format!(
                "The provider arguments {} depend on values known only after apply, so the provider cannot reach \
                 Azure in this step. Apply the resources they depend on first (for example with -target).",
                names.join(", ")
            ),
        ),
    }
}

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
pub(crate) fn configured(state: &ProviderConfiguration, diags: &mut Diagnostics) -> Option<Arc<Configured>> {
    match state.get() {
        Ok(c) => Some(c),
        Err(reason) => {
            not_ready(diags, reason);
            None
        }
    }
}

/// `attribute` of `value` parsed as an ARM ID: `None`, with nothing reported, when it is not set (or not known
/// yet); `None`, with an error on the attribute that says what is wrong (and `hint`), when it does not parse.
fn parse_id<T>(value: &Value, attribute: &str, summary: String, hint: &str, diags: &mut Diagnostics) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match value.attr(attribute).as_str()?.parse::<T>() {
        Ok(id) => Some(id),
        Err(e) => {
            diags.attribute_error(AttributePath::root(attribute), summary, format!("{e}.{hint}"));
            None
        }
    }
}

/// The ARM ID in a resource's state: `None`, with nothing reported, when the state has none; `None`, with an error
/// on `id` that says what is wrong and how to get out, when it does not parse as a `kind` ID.
pub(crate) fn id_in_state<T>(state: &Value, kind: &str, diags: &mut Diagnostics) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let hint = " If the state was edited by hand, remove the resource with `terraform state rm` and import it again.";
    parse_id(state, "id", format!("Invalid {kind} ID in state"), hint, diags)
}

/// [`id_in_state`] for a resource that must have an ID (to delete it): a missing ID is an error too.
pub(crate) fn required_id_in_state<T>(state: &Value, kind: &str, diags: &mut Diagnostics) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    if state.attr("id").as_str().is_none() {
        diags.attribute_error(
            AttributePath::root("id"),
            format!("Invalid {kind} ID in state"),
            "The state holds no ID; remove the resource with `terraform state rm`, and import it again if it exists.",
        );
        return None;
    }
    id_in_state(state, kind, diags)
}

/// A data source's ID argument `attribute`, checked as a `kind` ID when it is known: an error on the attribute
/// when it does not parse. `None` when it is not set or not known yet.
pub(crate) fn config_id<T>(config: &Value, attribute: &str, kind: &str, diags: &mut Diagnostics) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    parse_id(config, attribute, format!("Invalid {kind} ID"), "", diags)
}

/// [`config_id`] when the data source is read: a missing ID is an error too.
pub(crate) fn required_config_id<T>(config: &Value, attribute: &str, kind: &str, diags: &mut Diagnostics) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    if config.attr(attribute).as_str().is_none() {
        diags.attribute_error(
            AttributePath::root(attribute),
            format!("Missing {kind} ID"),
            format!("Set {attribute}."),
        );
        return None;
    }
    config_id(config, attribute, kind, diags)
}

/// The error of a create that found its ID taken: what exists, how to import it (`type_name`), and `context`
/// (a paragraph, or empty) on why that may be.
pub(crate) fn already_exists(diags: &mut Diagnostics, kind: &str, type_name: &str, id: &str, context: &str) {
    diags.error(
        format!("{} already exists", capitalized(kind)),
        format!(
            "A {kind} with the ID {id} already exists.\n\n{context}To manage it with Terraform, import it:\n\n  \
             terraform import {type_name}.<name> '{id}'\n\nor add an import block with that ID."
        ),
    );
}

/// `kind` with its first letter upper-case, to start a summary.
pub(crate) fn capitalized(kind: &str) -> String {
    let mut chars = kind.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A state of `schema` with every attribute null: the start of an import.
fn null_state(schema: &Schema) -> Value {
    match schema.block.value_type() {
        Type::Object(attributes) => Value::Object(attributes.into_keys().map(|k| (k, Value::Null)).collect()),
        _ => Value::Object(Default::default()),
    }
}

/// ImportResourceState by ARM ID: a state of `schema` holding `id` and the attributes `from_id` derives from it,
/// every other attribute null until the read Terraform makes next; an error when `text` is not a `T`.
pub(crate) fn import_by_id<T>(
    text: &str,
    schema: &Schema,
    from_id: impl FnOnce(&T) -> Vec<(&'static str, String)>,
) -> ImportResponse
where
    T: std::str::FromStr + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let mut response = ImportResponse::default();
    match text.trim().parse::<T>() {
        Ok(id) => {
            let mut state = null_state(schema);
            state.set_attr("id", Value::from(id.to_string()));
            for (name, value) in from_id(&id) {
                state.set_attr(name, Value::from(value));
            }
            response.imported.push(ImportedResource { state, private: Vec::new() });
        }
        Err(e) => response.diagnostics.error("Invalid import ID", format!("{e}.")),
    }
    response
}

/// The default read timeout of data sources.
pub(crate) const DATA_SOURCE_READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A data source's `timeouts` block: only `read`.
pub(crate) fn read_timeouts_block() -> NestedBlock {
    NestedBlock::single(
        TIMEOUTS,
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
        .attr(TIMEOUTS)
        .attr("read")
        .as_str()
        .and_then(|s| parse_duration(s).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DATA_SOURCE_READ_TIMEOUT)
}

/// Reports a malformed `timeouts.read` of a data source.
pub(crate) fn validate_read_timeout(config: &Value, diags: &mut Diagnostics) {
    validate_timeout_values(config, &["read"], diags);
}

/// A value built once per `key` and type for the process's life: the schemas and state types of generic resources
/// (a `static` in a generic function is one for every instantiation).
pub(crate) fn built_once<T: Send + Sync + 'static>(key: &'static str, build: impl FnOnce() -> T) -> &'static T {
    use std::any::{Any, TypeId};
    use std::collections::HashMap;
    type Cache = HashMap<(TypeId, &'static str), &'static (dyn Any + Send + Sync)>;
    static CACHE: std::sync::OnceLock<std::sync::Mutex<Cache>> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let found = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&(TypeId::of::<T>(), key)).copied();
    let value = match found {
        Some(value) => value,
        None => {
            // Built outside the lock: building may ask for another cached value.
            let built: &'static (dyn Any + Send + Sync) = Box::leak(Box::new(build()));
            *cache.lock().unwrap_or_else(|p| p.into_inner()).entry((TypeId::of::<T>(), key)).or_insert(built)
        }
    };
    value.downcast_ref::<T>().expect("the cache keys values by their type")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::model::Spelling;

    /// `name` is force-new, `location` is not; both have spellings.
    fn plan(prior: Value, proposed: Value, also: bool) -> PlanResponse {
        let schema = Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::computed("id", Type::String),
                    Attribute::required("name", Type::String).force_new(),
                    Attribute::required("location", Type::String),
                ],
                ..Block::default()
            },
        };
        let spellings: Spellings = &[("name", Spelling::Text), ("location", Spelling::Location)];
        let request = PlanRequest {
            prior_state: prior,
            proposed_new_state: proposed.clone(),
            config: proposed.clone(),
            prior_private: Vec::new(),
        };
        let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
        let replaced = plan_update_with(&schema, spellings, &request, &mut response, |_, response| {
            if also {
                response.requires_replace.push(AttributePath::root("location"));
            }
        });
        assert_eq!(replaced, !response.requires_replace.is_empty());
        response
    }

    fn thing(name: &str, location: &str) -> Value {
        Value::object([("id", Value::from("/x")), ("name", Value::from(name)), ("location", Value::from(location))])
    }

    #[test]
    fn plan_update_keeps_spellings_and_replaces_on_force_new_changes() {
        let same = plan(thing("a", "West Europe"), thing("A", "westeurope"), false);
        assert!(same.requires_replace.is_empty());
        assert_eq!(same.planned_state, thing("a", "West Europe"), "another spelling is no change");

        let renamed = plan(thing("a", "westeurope"), thing("b", "westeurope"), false);
        assert_eq!(renamed.requires_replace, [AttributePath::root("name")]);
        assert!(renamed.planned_state.attr("id").is_unknown(), "a replacement gets a new id");

        let moved = plan(thing("a", "westeurope"), thing("a", "northeurope"), false);
        assert!(moved.requires_replace.is_empty(), "location changes in place");
        assert_eq!(moved.planned_state.attr("id"), &Value::from("/x"));

        let also = plan(thing("a", "westeurope"), thing("a", "northeurope"), true);
        assert_eq!(also.requires_replace, [AttributePath::root("location")]);
        assert!(also.planned_state.attr("id").is_unknown(), "a resource's own reason replaces too");
    }

    #[test]
    fn durations_parse_like_terraform_timeouts() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "30", "m", "30 minutes", "1d", "-5m", "9999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_print_compactly() {
        assert_eq!(format_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn timeouts_fall_back_to_defaults() {
        let v = Value::object([("timeouts", Value::object([("create", Value::from("1h")), ("read", Value::Null)]))]);
        let t = timeouts(&v, DEFAULT_TIMEOUTS);
        assert_eq!(t.create, Duration::from_secs(3600));
        assert_eq!(t.read, DEFAULT_TIMEOUTS.read);
        assert_eq!(timeouts(&Value::Null, DEFAULT_TIMEOUTS), DEFAULT_TIMEOUTS);
    }

    #[test]
    fn timeouts_are_validated_with_their_path() {
        let v = Value::object([(
            "timeouts",
            Value::object([("create", Value::from("soon")), ("delete", Value::from("0s"))]),
        )]);
        let mut d = Diagnostics::new();
        validate_timeouts(&v, &mut d);
        let paths: Vec<String> = d.iter().map(|d| d.attribute.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, vec!["timeouts.create", "timeouts.delete"]);
    }

    #[test]
    fn reasons_become_sentences() {
        assert_eq!(sentence("the name \"a/b\" is bad"), "The name \"a/b\" is bad.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), ".");
    }

    #[test]
    fn region_spellings_are_equivalent() {
        assert_eq!(normalize_location("West US 2"), "westus2");
        assert_eq!(normalize_location("WESTUS2"), "westus2");
    }

    #[test]
    fn ids_in_state_are_parsed_or_explained_on_the_id_attribute() {
        use crate::arm::ids::BackupVaultId;
        let vault = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v1";
        let good = Value::object([("id", Value::from(vault))]);
        let bad = Value::object([("id", Value::from("not-an-id"))]);
        let none = Value::object([("id", Value::Null)]);

        let mut diags = Diagnostics::new();
        let id: Option<BackupVaultId> = id_in_state(&good, "backup vault", &mut diags);
        assert_eq!(id.unwrap().name, "v1");
        assert!(id_in_state::<BackupVaultId>(&none, "backup vault", &mut diags).is_none());
        assert!(diags.is_empty(), "no ID yet is not an error for a read");
        assert!(required_id_in_state::<BackupVaultId>(&good, "backup vault", &mut diags).is_some());
        assert!(diags.is_empty());

        for state in [&bad, &none] {
            let mut diags = Diagnostics::new();
            assert!(required_id_in_state::<BackupVaultId>(state, "backup vault", &mut diags).is_none());
            let error = diags.iter().next().expect("an error");
            assert_eq!(error.summary, "Invalid backup vault ID in state");
            assert_eq!(error.attribute.as_ref().unwrap().to_string(), "id");
            assert!(error.detail.contains("terraform state rm"), "{}", error.detail);
        }
    }

    #[test]
    fn data_source_ids_are_checked_when_known_and_required_when_read() {
        use crate::arm::ids::BackupVaultId;
        let unknown = Value::object([("vault_id", Value::Unknown)]);
        let bad = Value::object([("vault_id", Value::from("vault-1"))]);
        let mut diags = Diagnostics::new();
        assert!(config_id::<BackupVaultId>(&unknown, "vault_id", "backup vault", &mut diags).is_none());
        assert!(diags.is_empty(), "an ID not known yet is checked later");
        assert!(config_id::<BackupVaultId>(&bad, "vault_id", "backup vault", &mut diags).is_none());
        let error = diags.iter().next().expect("an error");
        assert_eq!(
            (error.summary.as_str(), error.attribute.as_ref().unwrap().to_string()),
            ("Invalid backup vault ID", "vault_id".to_owned())
        );

        let mut diags = Diagnostics::new();
        assert!(required_config_id::<BackupVaultId>(&unknown, "vault_id", "backup vault", &mut diags).is_none());
        assert_eq!(diags.iter().next().expect("an error").summary, "Missing backup vault ID");
    }

    #[test]
    fn a_taken_id_names_the_import_command() {
        let mut diags = Diagnostics::new();
        already_exists(&mut diags, "backup vault", "dataprotection_backup_vault", "/subscriptions/s1/x", "Why.\n\n");
        let error = diags.iter().next().expect("an error");
        assert_eq!(error.summary, "Backup vault already exists");
        assert!(error.detail.contains("Why.\n\nTo manage it"), "{}", error.detail);
        assert!(
            error.detail.contains("terraform import dataprotection_backup_vault.<name> '/subscriptions/s1/x'"),
            "{}",
            error.detail
        );
    }

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
