//! The interface between the protocol layer and the provider's own code.
//!
//! The protocol layer decodes each RPC into one of the request types below, calls the matching trait method,
//! and encodes the answer. Implementations never see gRPC or MessagePack; they see [`Value`]s shaped by the
//! [`Schema`] they declared.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnostics::{AttributePath, Diagnostics};
use super::schema::Schema;
use super::value::Value;

/// Where a Terraform command keeps the fact that its plan walk validated something, for its apply walk (which
/// plans again in another provider process, with nothing in the protocol to say so). Empty where no apply walk
/// follows in another process, or where the platform does not show the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walks {
    /// The key to record a validation under: the `terraform apply` process, or the plan file of `plan -out`.
    pub record: Option<String>,
    /// The key to look a validation up under: the `terraform apply` process, or the plan file it applies.
    pub lookup: Option<String>,
}

/// What every operation gets besides its request: the signal that Terraform asked the provider to stop, and what
/// the provider knows of the Terraform command that started it.
#[derive(Clone, Debug, Default)]
pub struct Context {
    stop: CancellationToken,
    destroying: bool,
    replacing: Vec<String>,
    generating_config: bool,
    walks: Walks,
}

impl Context {
    /// A context that stops when `stop` is cancelled, in the Terraform command that started this process.
    pub fn new(stop: CancellationToken) -> Context {
        Context {
            stop,
            destroying: super::host::terraform_is_destroying(),
            replacing: super::host::replace_targets(),
            generating_config: super::host::terraform_generates_config(),
            walks: super::host::walks(),
        }
    }

    /// Where this command records and looks up the validations of its walks.
    pub fn walks(&self) -> &Walks {
        &self.walks
    }

    /// True when the Terraform command writes configuration from the state of imported objects
    /// (`-generate-config-out`), read from the parent process's command line where the platform shows it.
    pub fn terraform_generates_config(&self) -> bool {
        self.generating_config
    }

    /// The resource addresses the Terraform command was asked to replace (`-replace=ADDRESS`). Terraform does not
    /// tell the provider which of its plans a `-replace` forces, and it drops the warnings of the create half's
    /// plan; the parent process's command line (and `TF_CLI_ARGS*`) says which addresses, where the platform shows
    /// it (`/proc`), and elsewhere this is empty.
    pub fn replace_targets(&self) -> &[String] {
        &self.replacing
    }

    /// True when the Terraform command that started the provider is a destroy (`terraform destroy`, or `-destroy`).
    /// Terraform plans the whole configuration before a destroy, new objects included, although it will create
    /// nothing; plan-time checks of new objects are then pointless. The protocol does not say; the command line of
    /// the parent process does, where the platform shows it (`/proc`), and elsewhere this is false.
    pub fn terraform_is_destroying(&self) -> bool {
        self.destroying
    }

    /// True once Terraform has called StopProvider (for example after Ctrl-C).
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Completes when Terraform calls StopProvider. Long waits select on this and return what they know.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// The underlying token, for handing to lower layers.
    pub fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }
}

/// ConfigureProvider's request.
#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    /// The Terraform CLI version, for example `1.11.4`.
    pub terraform_version: String,
    /// The provider block, shaped by the provider schema. May contain unknown values.
    pub config: Value,
}

/// PlanResourceChange's request.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// The state before the change; null when the resource is being created.
    pub prior_state: Value,
    /// Terraform's proposal (configuration merged with prior computed values); null when destroying.
    pub proposed_new_state: Value,
    /// The configuration as written; null when destroying.
    pub config: Value,
    /// Private data stored with the prior state.
    pub prior_private: Vec<u8>,
}

/// PlanResourceChange's answer.
#[derive(Clone, Debug, Default)]
pub struct PlanResponse {
    /// The planned new state; unknown values mark what apply will decide.
    pub planned_state: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Private data to pass to apply.
    pub planned_private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// ApplyResourceChange's request.
#[derive(Clone, Debug)]
pub struct ApplyRequest {
    /// The state before the change; null when creating.
    pub prior_state: Value,
    /// The state planned for after the change; null when destroying.
    pub planned_state: Value,
    /// The configuration; null when destroying.
    pub config: Value,
    /// Private data returned by the plan.
    pub planned_private: Vec<u8>,
}

/// ApplyResourceChange's answer.
#[derive(Clone, Debug, Default)]
pub struct ApplyResponse {
    /// The new state: null when the object is gone. Even with errors, a non-null state is saved by Terraform
    /// (as tainted after a create), which is how a half-finished create stays tracked.
    pub new_state: Value,
    /// Private data to store with the new state.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// ReadResource's request.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    /// The state as Terraform last saved it.
    pub current_state: Value,
    /// Private data stored with it.
    pub private: Vec<u8>,
}

/// ReadResource's answer.
#[derive(Clone, Debug, Default)]
pub struct ReadResponse {
    /// The refreshed state; null when the object no longer exists.
    pub new_state: Value,
    /// Private data to store.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// ImportResourceState's request.
#[derive(Clone, Debug)]
pub struct ImportRequest {
    /// The ID given to `terraform import` or an `import` block.
    pub id: String,
}

/// One object found by an import.
#[derive(Clone, Debug)]
pub struct ImportedResource {
    /// The state to read next; at least the attributes ReadResource needs.
    pub state: Value,
    /// Private data.
    pub private: Vec<u8>,
}

/// ImportResourceState's answer.
#[derive(Clone, Debug, Default)]
pub struct ImportResponse {
    /// What was found (normally one object).
    pub imported: Vec<ImportedResource>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// MoveResourceState's request: an object of another resource type (possibly of another provider) that a `moved`
/// block hands to this type.
#[derive(Clone, Debug)]
pub struct MoveRequest {
    /// The source provider's address, for example `registry.terraform.io/hashicorp/azurerm`.
    pub source_provider_address: String,
    /// The source resource type, for example `azurerm_data_protection_backup_vault`.
    pub source_type_name: String,
    /// The schema version the source state was written with.
    pub source_schema_version: i64,
    /// The source state as its provider wrote it: JSON, shaped by the source schema.
    pub source_state: serde_json::Value,
}

/// ReadDataSource's request.
#[derive(Clone, Debug)]
pub struct DataReadRequest {
    /// The data block's configuration.
    pub config: Value,
}

/// ReadDataSource's answer.
#[derive(Clone, Debug, Default)]
pub struct DataReadResponse {
    /// The data source's state.
    pub state: Value,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// A provider: its configuration schema, its resources and data sources.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider type name, the prefix of every resource type (`dataprotection`).
    fn type_name(&self) -> &'static str;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Every managed resource type.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// Every data source type.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// Every provider function (protocol 6.5, Terraform 1.8 and newer). Terraform calls functions on a provider it
    /// has not configured, so a function never needs the provider block.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// Offline checks of the provider block (values may be unknown).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Configures API clients from the provider block.
    async fn configure(&self, ctx: &Context, request: ConfigureRequest) -> Diagnostics;
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The full type name, for example `dataprotection_backup_instance`.
    fn type_name(&self) -> &'static str;

    /// The resource schema.
    fn schema(&self) -> Schema;

    /// Offline checks of a resource block (values may be unknown).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Upgrades a state written with an older schema version. `state` is the raw JSON state; the protocol layer
    /// drops attributes the current schema no longer has after this returns.
    fn upgrade_state(&self, _version: i64, state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }

    /// Turns the state of another resource type, handed over by a `moved` block, into a state of this type (JSON,
    /// shaped by this type's schema; attributes left out are null). By default no type moves into this one.
    fn move_state(&self, request: &MoveRequest) -> Result<serde_json::Value, Diagnostics> {
        let mut diagnostics = Diagnostics::new();
        diagnostics.error(
            "Move not supported",
            format!(
                "{} cannot take over the state of {} with a moved block. Remove the old resource from the state \
                 (terraform state rm) and import the object into {} instead.",
                self.type_name(),
                request.source_type_name,
                self.type_name()
            ),
        );
        Err(diagnostics)
    }

    /// Plans a create, update or destroy.
    async fn plan(&self, ctx: &Context, request: PlanRequest) -> PlanResponse;

    /// Carries out a planned create, update or destroy.
    async fn apply(&self, ctx: &Context, request: ApplyRequest) -> ApplyResponse;

    /// Refreshes the state from the remote object.
    async fn read(&self, ctx: &Context, request: ReadRequest) -> ReadResponse;

    /// Turns an ID into a state that [`Resource::read`] can refresh.
    async fn import(&self, ctx: &Context, request: ImportRequest) -> ImportResponse;
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The full type name.
    fn type_name(&self) -> &'static str;

    /// The data source schema.
    fn schema(&self) -> Schema;

    /// Offline checks of a data block.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data.
    async fn read(&self, ctx: &Context, request: DataReadRequest) -> DataReadResponse;
}

/// One parameter of a provider function.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionParameter {
    /// The parameter's name, as the docs and Terraform's messages show it.
    pub name: &'static str,
    /// Its type.
    pub ty: super::value::Type,
    /// What it is, in Markdown.
    pub description: String,
}

/// What a provider function looks like from outside: its parameters, what it returns, and its docs.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionSignature {
    /// The parameters, in order. Terraform refuses null and unknown arguments before calling the function.
    pub parameters: Vec<FunctionParameter>,
    /// The type of the result.
    pub return_type: super::value::Type,
    /// One line on what the function does.
    pub summary: String,
    /// The full description, in Markdown.
    pub description: String,
}

/// Why a function call failed: the text Terraform shows, and the argument at fault (from 0) when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    /// The message.
    pub text: String,
    /// The index of the argument at fault.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error in the argument at `index` (from 0).
    pub fn argument(index: usize, text: impl Into<String>) -> FunctionError {
        FunctionError { text: text.into(), argument: Some(index) }
    }
}

/// A provider function: `provider::<provider>::<name>(...)` in a configuration. It computes its result from its
/// arguments alone, offline.
pub trait Function: Send + Sync + 'static {
    /// The function's name, without the `provider::<provider>::` prefix.
    fn name(&self) -> &'static str;

    /// Its parameters, return type and docs.
    fn signature(&self) -> FunctionSignature;

    /// Calls it with arguments of the declared types (known, not null).
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}
