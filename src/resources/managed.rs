//! What every managed resource shares, in one place: the [`ManagedResource`] trait a resource type implements, and
//! [`Managed`], the adapter that turns it into the protocol layer's [`Resource`].
//!
//! The adapter owns the plumbing, so a resource file holds only what is its own (model, schema, create, read,
//! update, delete, import):
//!
//! - which operation a call is: plan and apply tell create, update and destroy apart by their null states;
//! - a new object's `id` is unknown at plan;
//! - the configured client, the operation's timeout from the `timeouts` block, and a deadline named after it
//!   ("create timeout (30m)") that also ends on Terraform's stop, for every call that reaches Azure;
//! - the ID in state, checked before a read or a delete, with a way out when it does not parse;
//! - a read that finds nothing drops the object from state, and a failed read keeps it;
//! - import by ARM ID into a state whose other attributes are null until the read that follows.

use std::fmt::Display;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;

use super::configuration::{Configured, NotReady, ProviderConfiguration};
use crate::arm::ArmClient;
use crate::arm::error::ArmError;
use crate::arm::pipeline::CallContext;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::{
    ApplyRequest, ApplyResponse, Context, ImportRequest, ImportResponse, MoveRequest, PlanRequest, PlanResponse,
    ReadRequest, ReadResponse, Resource,
};
use crate::plugin::schema::Schema;
use crate::plugin::value::{Type, Value};

use super::common::{self, DEFAULT_TIMEOUTS, Timeouts};

/// The Azure side of one operation: the configured client, and the call context whose deadline comes from the
/// operation's timeout.
pub(crate) struct Call {
    /// The configured provider.
    pub configured: Arc<Configured>,
    /// Deadline, its name for messages, and Terraform's stop signal.
    pub context: CallContext,
}

impl Call {
    /// The ARM client.
    pub fn client(&self) -> &ArmClient {
        &self.configured.client
    }
}

/// What plan-time code gets besides its request: the protocol context (Terraform's stop signal) and the provider's
/// configuration, which may not be known yet while Terraform plans.
pub(crate) struct PlanContext<'a> {
    /// The protocol layer's context.
    pub ctx: &'a Context,
    /// The provider's configuration.
    pub configuration: &'a ProviderConfiguration,
}

impl PlanContext<'_> {
    /// The configured provider, or why there is none yet.
    pub fn configured(&self) -> Result<Arc<Configured>, NotReady> {
        self.configuration.get()
    }

    /// A call whose deadline is `timeout`, named `label` in messages, ending on Terraform's stop.
    pub fn call(&self, timeout: std::time::Duration, label: &str) -> CallContext {
        common::call(self.ctx, timeout, label)
    }
}

/// A managed resource type. Its methods see only their own concern; [`Managed`] does the rest.
#[async_trait]
pub(crate) trait ManagedResource: Send + Sync + 'static {
    /// The ARM ID of the object, as `id` holds it.
    type Id: FromStr<Err: Display> + Display + Send + Sync;

    /// The resource type name, for example `dataprotection_backup_instance`.
    const TYPE_NAME: &'static str;
    /// The object's name in messages, for example `backup instance`.
    const KIND: &'static str;
    /// The defaults of the `timeouts` block.
    const TIMEOUTS: Timeouts = DEFAULT_TIMEOUTS;

    /// The schema. Force-new attributes are marked in it, which also gives their description sentence and the
    /// attributes [`common::requires_replace`] compares.
    fn schema() -> Schema;

    /// [`Self::schema`], built once per resource type: plan and read consult it for every object.
    fn cached_schema() -> &'static Schema {
        common::built_once(Self::TYPE_NAME, Self::schema)
    }

    /// The type of the state, built once per resource type.
    fn state_type() -> &'static Type {
        common::built_once(Self::TYPE_NAME, || Self::cached_schema().block.value_type())
    }

    /// Offline checks of a configuration; unknown values are not judged.
    fn validate(config: &Value) -> Diagnostics;

    /// Plans a new object. `response.planned_state` is Terraform's proposal with `id` made unknown.
    async fn plan_create(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse);

    /// Plans a change of an existing object: what is equivalent stays as it was, and what cannot change in place
    /// goes into `requires_replace`.
    async fn plan_update(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse);

    /// Warnings for the plan of a destroy.
    async fn plan_destroy(&self, _cx: &PlanContext<'_>, _prior: &Value, _diagnostics: &mut Diagnostics) {}

    /// Creates the object. Once Azure has accepted it, every return carries its ID, so that Terraform keeps it.
    async fn create(&self, call: &Call, request: &ApplyRequest) -> ApplyResponse;

    /// Brings an existing object to the planned state. On failure before Azure accepted anything, the state
    /// returned is the prior one.
    async fn update(&self, call: &Call, request: &ApplyRequest) -> ApplyResponse;

    /// Deletes the object with `id`. A failure keeps the prior state.
    async fn delete(&self, call: &Call, id: &Self::Id, request: &ApplyRequest) -> ApplyResponse;

    /// Reads the object with `id`: its state as Azure reports it, `None` when Azure no longer has it. `response`
    /// takes warnings and private data.
    async fn read(
        &self,
        call: &Call,
        id: &Self::Id,
        current: &Value,
        response: &mut ReadResponse,
    ) -> Result<Option<Value>, ArmError>;

    /// The arguments an import sets from the ID (besides `id` itself).
    fn import_attributes(id: &Self::Id) -> Vec<(&'static str, String)>;

    /// A state read in a command that writes configuration from it (`-generate-config-out`), changed where a
    /// value Azure reports is not one the configuration accepts.
    fn for_generated_config(_state: &mut Value) {}
}

/// The adapter from a [`ManagedResource`] to the protocol layer's [`Resource`].
pub(crate) struct Managed<T> {
    resource: T,
    configuration: Arc<ProviderConfiguration>,
}

impl<T> Managed<T> {
    /// `resource`, sharing the provider's configuration `state`.
    pub(crate) fn new(resource: T, configuration: Arc<ProviderConfiguration>) -> Managed<T> {
        Managed { resource, configuration }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Managed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Managed").field("resource", &self.resource).finish_non_exhaustive()
    }
}

/// Which timeout an operation runs under.
#[derive(Clone, Copy)]
enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl<T: ManagedResource> Managed<T> {
    /// The call for `operation`, with the timeout `value`'s `timeouts` block sets (or the default); `None`, with a
    /// diagnostic, when the provider is not configured.
    fn call(&self, ctx: &Context, value: &Value, operation: Operation, diags: &mut Diagnostics) -> Option<Call> {
        let configured = common::configured(&self.configuration, diags)?;
        let timeouts = common::timeouts(value, T::TIMEOUTS);
        let (timeout, label) = match operation {
            Operation::Create => (timeouts.create, "create timeout"),
            Operation::Read => (timeouts.read, "read timeout"),
            Operation::Update => (timeouts.update, "update timeout"),
            Operation::Delete => (timeouts.delete, "delete timeout"),
        };
        Some(Call { configured, context: common::call(ctx, timeout, label) })
    }
}

#[async_trait]
impl<T: ManagedResource> Resource for Managed<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        T::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        T::validate(config)
    }

    fn move_state(&self, request: &MoveRequest) -> Result<serde_json::Value, Diagnostics> {
        super::from_azurerm::move_state(T::TYPE_NAME, request)
    }

    async fn plan(&self, ctx: &Context, request: PlanRequest) -> PlanResponse {
        let mut response =
            PlanResponse { planned_state: request.proposed_new_state.clone(), ..PlanResponse::default() };
        let cx = PlanContext { ctx, configuration: &self.configuration };
        if request.proposed_new_state.is_null() {
            self.resource.plan_destroy(&cx, &request.prior_state, &mut response.diagnostics).await;
        } else if request.prior_state.is_null() {
            response.planned_state.set_attr("id", Value::Unknown);
            self.resource.plan_create(&cx, &request, &mut response).await;
        } else {
            self.resource.plan_update(&cx, &request, &mut response).await;
        }
        response
    }

    async fn apply(&self, ctx: &Context, request: ApplyRequest) -> ApplyResponse {
        let mut diagnostics = Diagnostics::new();
        let keep = |diagnostics: Diagnostics, state: &Value| ApplyResponse {
            new_state: state.clone(),
            diagnostics,
            ..ApplyResponse::default()
        };
        match (request.prior_state.is_null(), request.planned_state.is_null()) {
            (true, false) => match self.call(ctx, &request.planned_state, Operation::Create, &mut diagnostics) {
                Some(call) => self.resource.create(&call, &request).await,
                None => keep(diagnostics, &Value::Null),
            },
            (false, false) => match self.call(ctx, &request.planned_state, Operation::Update, &mut diagnostics) {
                Some(call) => self.resource.update(&call, &request).await,
                None => keep(diagnostics, &request.prior_state),
            },
            (false, true) => {
                let prior = &request.prior_state;
                let Some(call) = self.call(ctx, prior, Operation::Delete, &mut diagnostics) else {
                    return keep(diagnostics, prior);
                };
                match common::required_id_in_state::<T::Id>(prior, T::KIND, &mut diagnostics) {
                    Some(id) => self.resource.delete(&call, &id, &request).await,
                    None => keep(diagnostics, prior),
                }
            }
            (true, true) => ApplyResponse::default(),
        }
    }

    async fn read(&self, ctx: &Context, request: ReadRequest) -> ReadResponse {
        let current = &request.current_state;
        let mut response =
            ReadResponse { new_state: current.clone(), private: request.private.clone(), ..ReadResponse::default() };
        let Some(call) = self.call(ctx, current, Operation::Read, &mut response.diagnostics) else { return response };
        let Some(id) = common::id_in_state::<T::Id>(current, T::KIND, &mut response.diagnostics) else {
            return response;
        };
        match self.resource.read(&call, &id, current, &mut response).await {
            Ok(Some(mut state)) => {
                if ctx.terraform_generates_config() {
                    T::for_generated_config(&mut state);
                }
                response.new_state = state;
            }
            Ok(None) => {
                tracing::info!(id = %id, "{} no longer exists; removing it from state", T::KIND);
                response.new_state = Value::Null;
            }
            Err(error) => common::arm_error(&mut response.diagnostics, &error, None, None),
        }
        response
    }

    async fn import(&self, _ctx: &Context, request: ImportRequest) -> ImportResponse {
        common::import_by_id(&request.id, &T::schema(), T::import_attributes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::arm::error::ErrorKind;
    use crate::arm::ids::BackupVaultId;
    use crate::arm::pipeline::testing::Harness;
    use crate::plugin::schema::{Attribute, Block};
    use crate::plugin::value::Type;

    const VAULT: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v1";

    /// A resource whose reads answer from a script and whose writes record what they were called with.
    #[derive(Default)]
    struct Scripted {
        reads: Mutex<VecDeque<Result<Option<Value>, ArmError>>>,
        calls: Mutex<Vec<String>>,
    }

    impl Scripted {
        fn record(&self, what: String) -> ApplyResponse {
            self.calls.lock().unwrap().push(what);
            ApplyResponse::default()
        }
    }

    #[async_trait]
    impl ManagedResource for Scripted {
        type Id = BackupVaultId;
        const TYPE_NAME: &'static str = "test_thing";
        const KIND: &'static str = "test thing";

        fn schema() -> Schema {
            Schema {
                version: 0,
                block: Block {
                    attributes: vec![
                        Attribute::computed("id", Type::String),
                        Attribute::required("name", Type::String).force_new(),
                    ],
                    blocks: vec![common::timeouts_block(DEFAULT_TIMEOUTS)],
                    ..Block::default()
                }
                .with_force_new_sentences("test thing"),
            }
        }

        fn validate(_config: &Value) -> Diagnostics {
            Diagnostics::new()
        }

        async fn plan_create(&self, _cx: &PlanContext<'_>, _request: &PlanRequest, _response: &mut PlanResponse) {}

        async fn plan_update(&self, _cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
            response.requires_replace =
                common::requires_replace(&Self::schema(), &request.prior_state, &response.planned_state);
        }

        async fn create(&self, call: &Call, _request: &ApplyRequest) -> ApplyResponse {
            self.record(format!("create under the {}", call.context.timeout_label))
        }

        async fn update(&self, call: &Call, _request: &ApplyRequest) -> ApplyResponse {
            self.record(format!("update under the {}", call.context.timeout_label))
        }

        async fn delete(&self, call: &Call, id: &BackupVaultId, _request: &ApplyRequest) -> ApplyResponse {
            self.record(format!("delete {} under the {}", id.name, call.context.timeout_label))
        }

        async fn read(
            &self,
            _call: &Call,
            _id: &BackupVaultId,
            _current: &Value,
            _response: &mut ReadResponse,
        ) -> Result<Option<Value>, ArmError> {
            self.reads.lock().unwrap().pop_front().expect("a scripted read")
        }

        fn import_attributes(id: &BackupVaultId) -> Vec<(&'static str, String)> {
            vec![("name", id.name.clone())]
        }
    }

    fn configured() -> Arc<ProviderConfiguration> {
        let harness = Harness::new(vec![]);
        let state = Arc::new(ProviderConfiguration::default());
        state.set_configured(Configured {
            client: ArmClient::new(harness.pipeline),
            subscription_id: None,
            validate_on_plan: true,
        });
        state
    }

    fn thing(id: &str, name: &str) -> Value {
        Value::object([("id", Value::from(id)), ("name", Value::from(name)), ("timeouts", Value::Null)])
    }

    fn apply(prior: Value, planned: Value) -> ApplyRequest {
        ApplyRequest { prior_state: prior, planned_state: planned, config: Value::Null, planned_private: vec![] }
    }

    #[tokio::test]
    async fn reads_keep_what_was_found_drop_what_is_gone_and_keep_the_state_on_errors() {
        let resource = Scripted::default();
        resource.reads.lock().unwrap().extend([
            Ok(Some(thing(VAULT, "v1-read"))),
            Err(ArmError::new(ErrorKind::Timeout, "no answer")),
            Ok(None),
        ]);
        let managed = Managed::new(resource, configured());
        let read = |state: Value| ReadRequest { current_state: state, private: b"kept".to_vec() };
        let ctx = Context::default();

        let found = managed.read(&ctx, read(thing(VAULT, "v1"))).await;
        assert_eq!(found.new_state, thing(VAULT, "v1-read"));
        assert_eq!(found.private, b"kept");
        let failed = managed.read(&ctx, read(thing(VAULT, "v1"))).await;
        assert_eq!(failed.new_state, thing(VAULT, "v1"), "an error leaves the state as it was");
        assert!(failed.diagnostics.has_errors());
        let gone = managed.read(&ctx, read(thing(VAULT, "v1"))).await;
        assert!(gone.new_state.is_null(), "gone from Azure, gone from state");

        let broken = managed.read(&ctx, read(thing("/subscriptions/s1", "v1"))).await;
        assert_eq!(broken.new_state, thing("/subscriptions/s1", "v1"), "an ID that does not parse is not read");
        assert_eq!(broken.diagnostics.iter().next().unwrap().attribute.as_ref().unwrap().to_string(), "id");
    }

    #[tokio::test]
    async fn null_states_choose_the_operation_and_its_timeout() {
        let managed = Managed::new(Scripted::default(), configured());
        let ctx = Context::default();
        managed.apply(&ctx, apply(Value::Null, thing("", "v1"))).await;
        managed.apply(&ctx, apply(thing(VAULT, "v1"), thing(VAULT, "v1"))).await;
        let mut quick = thing(VAULT, "v1");
        quick.set_attr("timeouts", Value::object([("delete", Value::from("45s"))]));
        managed.apply(&ctx, apply(quick, Value::Null)).await;
        assert_eq!(
            *managed.resource.calls.lock().unwrap(),
            vec![
                "create under the create timeout (30m)",
                "update under the update timeout (30m)",
                "delete v1 under the delete timeout (45s)"
            ]
        );

        // A delete whose state holds no usable ID touches nothing and keeps the state.
        let response = managed.apply(&ctx, apply(thing("not an id", "v1"), Value::Null)).await;
        assert_eq!(response.new_state, thing("not an id", "v1"));
        assert!(response.diagnostics.has_errors());
        assert_eq!(managed.resource.calls.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_new_object_plans_an_unknown_id_and_an_unconfigured_provider_creates_nothing() {
        let managed = Managed::new(Scripted::default(), Arc::new(ProviderConfiguration::default()));
        let ctx = Context::default();
        let planned = managed
            .plan(
                &ctx,
                PlanRequest {
                    prior_state: Value::Null,
                    proposed_new_state: thing("", "v1"),
                    config: thing("", "v1"),
                    prior_private: vec![],
                },
            )
            .await;
        assert!(planned.planned_state.attr("id").is_unknown());
        let renamed = managed
            .plan(
                &ctx,
                PlanRequest {
                    prior_state: thing(VAULT, "v1"),
                    proposed_new_state: thing(VAULT, "v2"),
                    config: thing("", "v2"),
                    prior_private: vec![],
                },
            )
            .await;
        assert_eq!(renamed.requires_replace.len(), 1, "the force-new attribute");

        let response = managed.apply(&ctx, apply(Value::Null, thing("", "v1"))).await;
        assert!(response.diagnostics.has_errors(), "not configured");
        assert!(response.new_state.is_null());
        assert!(managed.resource.calls.lock().unwrap().is_empty());
    }
}
