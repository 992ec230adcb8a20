//! What every data source shares, in one place: the [`Lookup`] trait a data source type implements (the argument
//! it is looked up by, its attributes, and the one read from Azure), and [`LookupDataSource`], the adapter that
//! makes it the protocol layer's [`DataSource`].
//!
//! The adapter owns the plumbing, so a data source file holds only what is its own:
//!
//! - the key (an ARM ID) is checked offline at validate, and a missing or malformed one is an error on it;
//! - the read gets the configured client and a deadline from `timeouts.read` ("read timeout (5m)");
//! - the key and `timeouts` are kept as configured, so that references to them stay stable;
//! - an object Azure does not have, or a 404 from Azure, is an error on the key that says what to check;
//! - an object the data source refuses (a policy of another kind) is an error on the key that says why.

use std::fmt::Display;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;

use super::configuration::ProviderConfiguration;
use crate::arm::ArmClient;
use crate::arm::error::ArmError;
use crate::arm::pipeline::CallContext;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::interface::{Context, DataReadRequest, DataReadResponse, DataSource};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::Value;

use super::common::{
    arm_error, call, capitalized, config_id, configured, read_timeout, read_timeouts_block, required_config_id,
    validate_read_timeout,
};

/// A data source that reads one thing from Azure by one ARM ID argument.
#[async_trait]
pub(crate) trait Lookup: Send + Sync + 'static {
    /// The ARM ID type of the key.
    type Key: FromStr<Err: Display> + Display + Send + Sync;
    /// The data source type name.
    const TYPE_NAME: &'static str;
    /// The argument the object is looked up by: `id`, or `vault_id` for what a vault holds.
    const KEY: &'static str;
    /// What the key names, in messages: `backup vault`.
    const KIND: &'static str;
    /// What to check when Azure has no such object.
    const CHECK: &'static str;

    /// The data source's description.
    fn description() -> String;

    /// The attributes, the key among them; the adapter adds the `timeouts` block.
    fn attributes() -> Vec<Attribute>;

    /// The attributes of what Azure holds under `key` (the key and `timeouts` are set by the adapter), or `None`
    /// when Azure has nothing there.
    async fn find(client: &ArmClient, call: &CallContext, key: &Self::Key) -> Result<Option<Value>, LookupError>;
}

/// Why a lookup found nothing to show.
#[derive(Debug)]
pub(crate) enum LookupError {
    /// Azure's error.
    Azure(ArmError),
    /// Azure has the object, and it is not what this data source reads: an error on the key.
    Refused {
        /// The error's summary.
        summary: String,
        /// Why, and what to use instead.
        detail: String,
    },
}

impl From<ArmError> for LookupError {
    fn from(error: ArmError) -> LookupError {
        LookupError::Azure(error)
    }
}

/// The adapter that makes a [`Lookup`] a [`DataSource`].
pub(crate) struct LookupDataSource<T> {
    configuration: Arc<ProviderConfiguration>,
    kind: PhantomData<fn() -> T>,
}

impl<T: Lookup> LookupDataSource<T> {
    /// The data source, sharing the provider's configuration.
    pub(crate) fn new(configuration: Arc<ProviderConfiguration>) -> LookupDataSource<T> {
        LookupDataSource { configuration, kind: PhantomData }
    }
}

#[async_trait]
impl<T: Lookup> DataSource for LookupDataSource<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block {
                description: T::description(),
                attributes: T::attributes(),
                blocks: vec![read_timeouts_block()],
                deprecated: false,
            },
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        config_id::<T::Key>(config, T::KEY, T::KIND, &mut diags);
        validate_read_timeout(config, &mut diags);
        diags
    }

    async fn read(&self, ctx: &Context, request: DataReadRequest) -> DataReadResponse {
        let mut response = DataReadResponse::default();
        let diags = &mut response.diagnostics;
        let Some(configured) = configured(&self.configuration, diags) else { return response };
        let config = &request.config;
        let Some(key) = required_config_id::<T::Key>(config, T::KEY, T::KIND, diags) else { return response };
        let call = call(ctx, read_timeout(config), "read timeout");
        let found = T::find(&configured.client, &call, &key).await;
        answer(&mut response, config, T::KEY, T::KIND, &key, T::CHECK, found);
        response
    }
}

/// Puts what a read of the `kind` `key` (the argument `key_name`) found into `response`: its attributes with the key
/// and `timeouts` as configured; an error on the key when Azure has no such object, `check` saying what to check;
/// or Azure's error (on the key when it is a 404).
fn answer(
    response: &mut DataReadResponse,
    config: &Value,
    key_name: &str,
    kind: &str,
    key: &dyn Display,
    check: &str,
    found: Result<Option<Value>, LookupError>,
) {
    match found {
        Ok(Some(mut state)) => {
            state.set_attr(key_name, config.attr(key_name).clone());
            state.set_attr("timeouts", config.attr("timeouts").clone());
            response.state = state;
        }
        Ok(None) => response.diagnostics.attribute_error(
            AttributePath::root(key_name),
            format!("{} not found", capitalized(kind)),
            format!("Azure has no {kind} {key} (it answered 404 Not Found). {check}"),
        ),
        Err(LookupError::Refused { summary, detail }) => {
            response.diagnostics.attribute_error(AttributePath::root(key_name), summary, detail)
        }
        Err(LookupError::Azure(error)) => {
            let path = (error.status == Some(404)).then(|| AttributePath::root(key_name));
            arm_error(&mut response.diagnostics, &error, path, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::error::ErrorKind;

    #[test]
    fn reads_keep_the_configured_key_and_report_what_is_missing_on_it() {
        let config = Value::object([("id", Value::from("/Configured/Id")), ("timeouts", Value::Null)]);
        let found = || Value::object([("id", Value::from("/configured/id")), ("name", Value::from("v1"))]);
        let mut data = DataReadResponse::default();
        answer(&mut data, &config, "id", "backup vault", &"v1", "Check.", Ok(Some(found())));
        assert_eq!(data.state.attr("id"), &Value::from("/Configured/Id"), "the ID as configured");
        assert_eq!(data.state.attr("name"), &Value::from("v1"));

        let mut data = DataReadResponse::default();
        answer(&mut data, &config, "id", "backup vault", &"v1", "Check.", Ok(None));
        let error = data.diagnostics.iter().next().expect("an error");
        assert_eq!(error.summary, "Backup vault not found");
        assert_eq!(error.attribute.as_ref().unwrap().to_string(), "id");
        assert!(error.detail.ends_with("404 Not Found). Check."), "{}", error.detail);

        let mut data = DataReadResponse::default();
        let mut not_found = ArmError::new(ErrorKind::Response, "The resource was not found");
        not_found.status = Some(404);
        answer(&mut data, &config, "vault_id", "backup vault", &"v1", "Check.", Err(not_found.into()));
        let error = data.diagnostics.iter().next().expect("an error");
        assert_eq!(error.attribute.as_ref().unwrap().to_string(), "vault_id", "Azure's 404 on the key");
        assert!(data.state.is_null());

        let mut data = DataReadResponse::default();
        let refused = LookupError::Refused { summary: "Wrong kind".into(), detail: "Use another.".into() };
        answer(&mut data, &config, "id", "backup policy", &"p1", "Check.", Err(refused));
        let error = data.diagnostics.iter().next().expect("an error");
        assert_eq!((error.summary.as_str(), error.detail.as_str()), ("Wrong kind", "Use another."));
        assert_eq!(error.attribute.as_ref().unwrap().to_string(), "id", "on the key");
        assert!(data.state.is_null());
    }
}
