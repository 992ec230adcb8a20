//! The tfplugin6 `Provider` service: decodes each RPC, calls the [`Provider`], [`Resource`] or
//! [`DataSource`] it is for, and encodes the answer.
//!
//! Every failure becomes a diagnostic, never a gRPC error or a dead process: unknown type names, values that
//! do not decode, values a resource returns that do not fit its schema, and panics in provider code (each
//! RPC runs under `catch_unwind`).

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::codec::{self, ExtraAttributes};
use super::convert::{diagnostics_to_proto, path_to_proto, schema_to_proto};
use super::interface::{
    ApplyRequest, ConfigureRequest, Context, DataReadRequest, DataSource, Function, FunctionError, FunctionSignature,
    ImportRequest, MoveRequest, PlanRequest, Provider, ReadRequest, Resource,
};
use super::proto::tfplugin6 as pb;
use super::schema::{Block, Schema};
use super::value::{Type, Value};

/// A schema with the value type derived from it, computed once on first use.
struct Compiled {
    schema: Schema,
    ty: Type,
    has_write_only: bool,
}

impl Compiled {
    fn new(schema: Schema) -> Compiled {
        let ty = schema.block.value_type();
        let has_write_only = block_has_write_only(&schema.block);
        Compiled { schema, ty, has_write_only }
    }

    /// Encodes a state or plan the provider produced. Write-only attributes are nulled first: Terraform
    /// refuses any other value for them in plans and states, and a resource may well echo its config.
    fn encode_state(&self, value: Value, what: &str) -> Result<pb::DynamicValue, pb::Diagnostic> {
        if self.has_write_only {
            let mut value = value;
            null_write_only(&mut value, &self.schema.block);
            encode(&value, &self.ty, what)
        } else {
            encode(&value, &self.ty, what)
        }
    }
}

fn block_has_write_only(block: &Block) -> bool {
    block.attributes.iter().any(|a| a.write_only) || block.blocks.iter().any(|b| block_has_write_only(&b.block))
}

fn null_write_only(value: &mut Value, block: &Block) {
    let Value::Object(attributes) = value else { return };
    for attribute in block.attributes.iter().filter(|a| a.write_only) {
        if let Some(v) = attributes.get_mut(&attribute.name) {
            *v = Value::Null;
        }
    }
    for nested in block.blocks.iter().filter(|b| block_has_write_only(&b.block)) {
        match attributes.get_mut(&nested.type_name) {
            Some(Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
                items.iter_mut().for_each(|item| null_write_only(item, &nested.block));
            }
            Some(Value::Map(entries)) => entries.values_mut().for_each(|item| null_write_only(item, &nested.block)),
            Some(object) => null_write_only(object, &nested.block),
            None => {}
        }
    }
}

/// A resource or data source with its lazily compiled schema.
struct Registered<T: ?Sized> {
    item: Arc<T>,
    compiled: OnceLock<Compiled>,
}

impl<T: ?Sized> Registered<T> {
    fn new(item: Arc<T>) -> Registered<T> {
        Registered { item, compiled: OnceLock::new() }
    }

    fn compiled(&self, schema: impl FnOnce(&T) -> Schema) -> &Compiled {
        self.compiled.get_or_init(|| Compiled::new(schema(&self.item)))
    }
}

/// The state shared by all RPCs.
struct Inner {
    provider: Arc<dyn Provider>,
    provider_schema: OnceLock<Compiled>,
    resources: BTreeMap<String, Registered<dyn Resource>>,
    data_sources: BTreeMap<String, Registered<dyn DataSource>>,
    functions: BTreeMap<String, RegisteredFunction>,
    full_schema: OnceLock<pb::get_provider_schema::Response>,
    stop: CancellationToken,
    /// Cancelled by StopProvider (its parent) or by Ctrl-C reaching the provider: ends plan-time work.
    interrupt: CancellationToken,
}

/// The tfplugin6 `Provider` gRPC service over a [`Provider`].
#[derive(Clone)]
pub struct ProviderService {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProviderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderService").field("type_name", &self.inner.provider.type_name()).finish_non_exhaustive()
    }
}

impl ProviderService {
    /// Serves `provider`. StopProvider cancels `stop`, which every operation's [`Context`] carries.
    pub fn new(provider: Arc<dyn Provider>, stop: CancellationToken) -> ProviderService {
        let interrupt = stop.child_token();
        let resources =
            provider.resources().into_iter().map(|r| (r.type_name().to_owned(), Registered::new(r))).collect();
        let data_sources =
            provider.data_sources().into_iter().map(|d| (d.type_name().to_owned(), Registered::new(d))).collect();
        let functions = provider
            .functions()
            .into_iter()
            .map(|item| (item.name().to_owned(), RegisteredFunction { signature: item.signature(), item }))
            .collect();
        ProviderService {
            inner: Arc::new(Inner {
                provider,
                provider_schema: OnceLock::new(),
                resources,
                data_sources,
                functions,
                full_schema: OnceLock::new(),
                stop,
                interrupt,
            }),
        }
    }

    /// The token that ends plan-time work (ConfigureProvider, ReadResource, PlanResourceChange, ImportResourceState,
    /// ReadDataSource) but not ApplyResourceChange. Ctrl-C cancels it: during `terraform apply`'s plan phase
    /// Terraform does not call StopProvider, and plan-time work creates nothing, so nothing is lost by ending it.
    /// StopProvider cancels it too.
    pub fn interrupt_token(&self) -> CancellationToken {
        self.inner.interrupt.clone()
    }
}

fn diagnostic(severity: pb::diagnostic::Severity, summary: String, detail: String) -> pb::Diagnostic {
    pb::Diagnostic { severity: severity as i32, summary, detail, attribute: None }
}

fn error(summary: impl Into<String>, detail: impl Into<String>) -> pb::Diagnostic {
    diagnostic(pb::diagnostic::Severity::Error, summary.into(), detail.into())
}

fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities { plan_destroy: true, get_provider_schema_optional: false, move_resource_state: true }
}

/// A function with its signature.
struct RegisteredFunction {
    item: Arc<dyn Function>,
    signature: FunctionSignature,
}

/// The protocol form of a function's signature. Descriptions are Markdown; no argument may be null or unknown, so
/// Terraform answers those itself (an error, or an unknown result) without calling the provider.
fn function_to_proto(signature: &FunctionSignature) -> pb::Function {
    let markdown = pb::StringKind::Markdown as i32;
    pb::Function {
        parameters: signature
            .parameters
            .iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_owned(),
                r#type: codec::type_to_json_bytes(&p.ty),
                allow_null_value: false,
                allow_unknown_values: false,
                description: p.description.clone(),
                description_kind: markdown,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return { r#type: codec::type_to_json_bytes(&signature.return_type) }),
        summary: signature.summary.clone(),
        description: signature.description.clone(),
        description_kind: markdown,
        deprecation_message: String::new(),
    }
}

/// Decodes a value Terraform sent; an absent or empty value is null.
fn decode(value: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, pb::Diagnostic> {
    let Some(value) = value else { return Ok(Value::Null) };
    let decoded = if !value.msgpack.is_empty() {
        codec::from_msgpack(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        codec::from_json_bytes(&value.json, ty, ExtraAttributes::Reject)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        let mut d =
            error(format!("Invalid {what} received from Terraform"), format!("Could not decode the {what}: {e}."));
        d.attribute = Some(e.path).filter(|p| !p.steps.is_empty()).map(|p| path_to_proto(&p));
        d
    })
}

/// Encodes a value the provider produced.
fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, pb::Diagnostic> {
    codec::to_msgpack(value, ty).map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() }).map_err(|e| {
        error(
            format!("Provider bug: invalid {what}"),
            format!("The provider produced a {what} that does not match its schema: {e}. Please report this bug."),
        )
    })
}

fn unknown_type(kind: &str, type_name: &str) -> pb::Diagnostic {
    error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type {type_name:?}. Check the spelling, and the provider version."),
    )
}

impl Inner {
    /// The context of ApplyResourceChange: only StopProvider stops it, so that an apply always returns the state it
    /// knows.
    fn context(&self) -> Context {
        Context::new(self.stop.clone())
    }

    /// The context of work that creates nothing (sign-in, reads, plans, imports): StopProvider or Ctrl-C stop it.
    fn plan_time_context(&self) -> Context {
        Context::new(self.interrupt.clone())
    }

    fn provider_schema(&self) -> &Compiled {
        self.provider_schema.get_or_init(|| Compiled::new(self.provider.schema()))
    }

    fn resource(&self, type_name: &str) -> Result<(&Arc<dyn Resource>, &Compiled), pb::Diagnostic> {
        let registered = self.resources.get(type_name).ok_or_else(|| unknown_type("resource", type_name))?;
        Ok((&registered.item, registered.compiled(|r| r.schema())))
    }

    fn data_source(&self, type_name: &str) -> Result<(&Arc<dyn DataSource>, &Compiled), pb::Diagnostic> {
        let registered = self.data_sources.get(type_name).ok_or_else(|| unknown_type("data source", type_name))?;
        Ok((&registered.item, registered.compiled(|d| d.schema())))
    }

    fn get_metadata(&self) -> Result<pb::get_metadata::Response, pb::Diagnostic> {
        Ok(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| pb::get_metadata::DataSourceMetadata { type_name: name.clone() })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|name| pb::get_metadata::ResourceMetadata { type_name: name.clone() })
                .collect(),
            functions: self
                .functions
                .keys()
                .map(|name| pb::get_metadata::FunctionMetadata { name: name.clone() })
                .collect(),
            ephemeral_resources: Vec::new(),
        })
    }

    fn get_provider_schema(&self) -> Result<pb::get_provider_schema::Response, pb::Diagnostic> {
        Ok(self.full_schema.get_or_init(|| self.build_provider_schema()).clone())
    }

    fn build_provider_schema(&self) -> pb::get_provider_schema::Response {
        let mut diagnostics = Vec::new();
        let mut check = |what: String, schema: &Schema| {
            for problem in schema.problems() {
                diagnostics.push(error(
                    "Provider bug: invalid schema",
                    format!("The schema of {what} is invalid: {problem}. Please report this bug."),
                ));
            }
        };
        let provider_schema = &self.provider_schema().schema;
        check("the provider block".into(), provider_schema);
        let mut resource_schemas = HashMap::new();
        for (name, registered) in &self.resources {
            let schema = &registered.compiled(|r| r.schema()).schema;
            check(format!("resource {name}"), schema);
            resource_schemas.insert(name.clone(), schema_to_proto(schema));
        }
        let mut data_source_schemas = HashMap::new();
        for (name, registered) in &self.data_sources {
            let schema = &registered.compiled(|d| d.schema()).schema;
            check(format!("data source {name}"), schema);
            data_source_schemas.insert(name.clone(), schema_to_proto(schema));
        }
        pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(provider_schema)),
            resource_schemas,
            data_source_schemas,
            functions: self.function_definitions(),
            ephemeral_resource_schemas: HashMap::new(),
            diagnostics,
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
        }
    }

    /// Every function's definition, as GetProviderSchema and GetFunctions carry them.
    fn function_definitions(&self) -> HashMap<String, pb::Function> {
        self.functions
            .iter()
            .map(|(name, registered)| (name.clone(), function_to_proto(&registered.signature)))
            .collect()
    }

    /// Calls a function: decodes the arguments by its parameter types, calls it, encodes the result. A panic in
    /// the function is an error of the call, without a backtrace.
    fn call_function(&self, request: pb::call_function::Request) -> pb::call_function::Response {
        let failed = |text: String, argument: Option<usize>| pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError { text, function_argument: argument.map(|i| i as i64) }),
        };
        let Some(registered) = self.functions.get(&request.name) else {
            return failed(
                format!(
                    "This provider has no function {:?}. Check the spelling, and the provider version.",
                    request.name
                ),
                None,
            );
        };
        let signature = &registered.signature;
        if request.arguments.len() != signature.parameters.len() {
            return failed(
                format!(
                    "The function {} takes {} argument(s), and Terraform sent {}",
                    request.name,
                    signature.parameters.len(),
                    request.arguments.len()
                ),
                None,
            );
        }
        let mut arguments = Vec::with_capacity(request.arguments.len());
        for (index, (argument, parameter)) in request.arguments.iter().zip(&signature.parameters).enumerate() {
            match decode(Some(argument), &parameter.ty, &format!("argument {}", parameter.name)) {
                Ok(value) => arguments.push(value),
                Err(diagnostic) => return failed(diagnostic.detail, Some(index)),
            }
        }
        let function = &registered.item;
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| function.call(&arguments))).unwrap_or_else(|payload| {
                Err(FunctionError {
                    text: format!(
                        "The provider hit an internal error in the function {}: {}. This is a bug in the provider; \
                         please report it",
                        request.name,
                        panic_message(payload.as_ref())
                    ),
                    argument: None,
                })
            });
        match outcome {
            Ok(value) => match encode(&value, &signature.return_type, "function result") {
                Ok(result) => pb::call_function::Response { result: Some(result), error: None },
                Err(diagnostic) => failed(diagnostic.detail, None),
            },
            Err(error) => failed(error.text, error.argument),
        }
    }

    fn validate_provider_config(
        &self,
        request: pb::validate_provider_config::Request,
    ) -> Result<pb::validate_provider_config::Response, pb::Diagnostic> {
        let config = decode(request.config.as_ref(), &self.provider_schema().ty, "provider configuration")?;
        Ok(pb::validate_provider_config::Response {
            diagnostics: diagnostics_to_proto(&self.provider.validate(&config)),
        })
    }

    fn validate_resource_config(
        &self,
        request: pb::validate_resource_config::Request,
    ) -> Result<pb::validate_resource_config::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.type_name)?;
        let config = decode(request.config.as_ref(), &compiled.ty, "resource configuration")?;
        Ok(pb::validate_resource_config::Response { diagnostics: diagnostics_to_proto(&resource.validate(&config)) })
    }

    fn validate_data_resource_config(
        &self,
        request: pb::validate_data_resource_config::Request,
    ) -> Result<pb::validate_data_resource_config::Response, pb::Diagnostic> {
        let (data_source, compiled) = self.data_source(&request.type_name)?;
        let config = decode(request.config.as_ref(), &compiled.ty, "data source configuration")?;
        let diagnostics = diagnostics_to_proto(&data_source.validate(&config));
        Ok(pb::validate_data_resource_config::Response { diagnostics })
    }

    fn upgrade_resource_state(
        &self,
        request: pb::upgrade_resource_state::Request,
    ) -> Result<pb::upgrade_resource_state::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.type_name)?;
        let raw = request.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            if !raw.flatmap.is_empty() {
                return Err(error(
                    "Unsupported legacy state format",
                    format!(
                        "The state of this {} was written in the flat-map format of Terraform 0.11 and older, \
                         which this provider cannot read. Remove it from the state and import it again.",
                        request.type_name
                    ),
                ));
            }
            let upgraded_state = encode(&Value::Null, &compiled.ty, "upgraded state")?;
            return Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(upgraded_state),
                diagnostics: Vec::new(),
            });
        }
        let json: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
            error("Invalid stored state", format!("The stored state of this {} is not JSON: {e}.", request.type_name))
        })?;
        let current = compiled.schema.version;
        if request.version > current {
            return Err(error(
                "State written by a newer provider",
                format!(
                    "The stored state of this {} has schema version {}, but this provider knows versions up to \
                     {current}. Use the provider version that wrote the state, or a newer one.",
                    request.type_name, request.version
                ),
            ));
        }
        let mut diagnostics = Vec::new();
        let json = if request.version < current {
            match resource.upgrade_state(request.version, json) {
                Ok(upgraded) => upgraded,
                Err(d) => {
                    return Ok(pb::upgrade_resource_state::Response {
                        upgraded_state: None,
                        diagnostics: diagnostics_to_proto(&d),
                    });
                }
            }
        } else {
            json
        };
        // Attributes the schema no longer has are dropped, new ones start out null.
        let value = codec::from_json(&json, &compiled.ty, ExtraAttributes::Drop).map_err(|e| {
            error(
                "Cannot upgrade the stored state",
                format!("The stored state of this {} does not fit the current schema: {e}.", request.type_name),
            )
        })?;
        match encode(&value, &compiled.ty, "upgraded state") {
            Ok(upgraded_state) => {
                Ok(pb::upgrade_resource_state::Response { upgraded_state: Some(upgraded_state), diagnostics })
            }
            Err(d) => {
                diagnostics.push(d);
                Ok(pb::upgrade_resource_state::Response { upgraded_state: None, diagnostics })
            }
        }
    }

    async fn configure_provider(
        &self,
        request: pb::configure_provider::Request,
    ) -> Result<pb::configure_provider::Response, pb::Diagnostic> {
        let config = decode(request.config.as_ref(), &self.provider_schema().ty, "provider configuration")?;
        let request = ConfigureRequest { terraform_version: request.terraform_version, config };
        let diagnostics = diagnostics_to_proto(&self.provider.configure(&self.plan_time_context(), request).await);
        Ok(pb::configure_provider::Response { diagnostics })
    }

    async fn read_resource(
        &self,
        request: pb::read_resource::Request,
    ) -> Result<pb::read_resource::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.type_name)?;
        let current_state = decode(request.current_state.as_ref(), &compiled.ty, "current state")?;
        let read = ReadRequest { current_state, private: request.private.clone() };
        let response = resource.read(&self.plan_time_context(), read).await;
        let mut diagnostics = diagnostics_to_proto(&response.diagnostics);
        Ok(match compiled.encode_state(response.new_state, "refreshed state") {
            Ok(new_state) => pb::read_resource::Response {
                new_state: Some(new_state),
                diagnostics,
                private: response.private,
                deferred: None,
                new_identity: None,
            },
            Err(d) => {
                diagnostics.push(d);
                let mut unchanged = read_unchanged(&request);
                unchanged.diagnostics = diagnostics;
                unchanged
            }
        })
    }

    async fn plan_resource_change(
        &self,
        request: pb::plan_resource_change::Request,
    ) -> Result<pb::plan_resource_change::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.type_name)?;
        let plan = PlanRequest {
            prior_state: decode(request.prior_state.as_ref(), &compiled.ty, "prior state")?,
            proposed_new_state: decode(request.proposed_new_state.as_ref(), &compiled.ty, "proposed new state")?,
            config: decode(request.config.as_ref(), &compiled.ty, "configuration")?,
            prior_private: request.prior_private,
        };
        let response = resource.plan(&self.plan_time_context(), plan).await;
        let mut diagnostics = diagnostics_to_proto(&response.diagnostics);
        let planned_state = match compiled.encode_state(response.planned_state, "planned state") {
            Ok(planned) => Some(planned),
            Err(d) => {
                diagnostics.push(d);
                request.proposed_new_state
            }
        };
        Ok(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: response.requires_replace.iter().map(path_to_proto).collect(),
            planned_private: response.planned_private,
            diagnostics,
            legacy_type_system: false,
            deferred: None,
            planned_identity: None,
        })
    }

    async fn apply_resource_change(
        &self,
        request: pb::apply_resource_change::Request,
    ) -> Result<pb::apply_resource_change::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.type_name)?;
        let apply = ApplyRequest {
            prior_state: decode(request.prior_state.as_ref(), &compiled.ty, "prior state")?,
            planned_state: decode(request.planned_state.as_ref(), &compiled.ty, "planned state")?,
            config: decode(request.config.as_ref(), &compiled.ty, "configuration")?,
            planned_private: request.planned_private,
        };
        let response = resource.apply(&self.context(), apply).await;
        let mut diagnostics = diagnostics_to_proto(&response.diagnostics);
        let new_state = match compiled.encode_state(response.new_state, "new state") {
            Ok(state) => Some(state),
            Err(d) => {
                // Keep what Terraform had rather than nothing.
                diagnostics.push(d);
                request.prior_state
            }
        };
        Ok(pb::apply_resource_change::Response {
            new_state,
            private: response.private,
            diagnostics,
            legacy_type_system: false,
            new_identity: None,
        })
    }

    async fn import_resource_state(
        &self,
        request: pb::import_resource_state::Request,
    ) -> Result<pb::import_resource_state::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.type_name)?;
        let response = resource.import(&self.plan_time_context(), ImportRequest { id: request.id }).await;
        let mut diagnostics = diagnostics_to_proto(&response.diagnostics);
        let mut imported_resources = Vec::with_capacity(response.imported.len());
        for imported in response.imported {
            match compiled.encode_state(imported.state, "imported state") {
                Ok(state) => imported_resources.push(pb::import_resource_state::ImportedResource {
                    type_name: request.type_name.clone(),
                    state: Some(state),
                    private: imported.private,
                    identity: None,
                }),
                Err(d) => diagnostics.push(d),
            }
        }
        Ok(pb::import_resource_state::Response { imported_resources, diagnostics, deferred: None })
    }

    /// MoveResourceState: the target type converts the source state (raw JSON, never decoded with a schema this
    /// provider does not have), and the result is checked against the target's schema like any state it returns.
    async fn move_resource_state(
        &self,
        request: pb::move_resource_state::Request,
    ) -> Result<pb::move_resource_state::Response, pb::Diagnostic> {
        let (resource, compiled) = self.resource(&request.target_type_name)?;
        let raw = request.source_state.unwrap_or_default();
        if raw.json.is_empty() {
            return Err(error(
                "Cannot move this state",
                format!(
                    "The state of {} was not handed over as JSON (the flat-map format of Terraform 0.11 and older \
                     is not read). Remove it from the state and import the object into {} instead.",
                    request.source_type_name, request.target_type_name
                ),
            ));
        }
        let source_state: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
            error("Invalid stored state", format!("The stored state of {} is not JSON: {e}.", request.source_type_name))
        })?;
        let move_request = MoveRequest {
            source_provider_address: request.source_provider_address,
            source_type_name: request.source_type_name,
            source_schema_version: request.source_schema_version,
            source_state,
        };
        let json = match resource.move_state(&move_request) {
            Ok(json) => json,
            Err(diagnostics) => {
                return Ok(pb::move_resource_state::Response {
                    diagnostics: diagnostics_to_proto(&diagnostics),
                    ..Default::default()
                });
            }
        };
        let value = codec::from_json(&json, &compiled.ty, ExtraAttributes::Reject).map_err(|e| {
            error(
                "Provider bug: invalid moved state",
                format!(
                    "The state converted from {} does not fit the schema of {}: {e}. Please report this bug.",
                    move_request.source_type_name, request.target_type_name
                ),
            )
        })?;
        let target_state = compiled.encode_state(value, "moved state")?;
        Ok(pb::move_resource_state::Response {
            target_state: Some(target_state),
            diagnostics: Vec::new(),
            target_private: Vec::new(),
            target_identity: None,
        })
    }

    async fn read_data_source(
        &self,
        request: pb::read_data_source::Request,
    ) -> Result<pb::read_data_source::Response, pb::Diagnostic> {
        let (data_source, compiled) = self.data_source(&request.type_name)?;
        let config = decode(request.config.as_ref(), &compiled.ty, "data source configuration")?;
        let response = data_source.read(&self.plan_time_context(), DataReadRequest { config }).await;
        let mut diagnostics = diagnostics_to_proto(&response.diagnostics);
        let state = match encode(&response.state, &compiled.ty, "data source state") {
            Ok(state) => Some(state),
            Err(d) => {
                diagnostics.push(d);
                None
            }
        };
        Ok(pb::read_data_source::Response { state, diagnostics, deferred: None })
    }
}

/// The answer to a ReadResource that failed: the state goes back unchanged, since an empty `new_state` would tell
/// Terraform the object is gone.
fn read_unchanged(request: &pb::read_resource::Request) -> pb::read_resource::Response {
    pb::read_resource::Response {
        new_state: request.current_state.clone(),
        private: request.private.clone(),
        ..Default::default()
    }
}

fn no_ephemeral_resources(type_name: &str) -> Vec<pb::Diagnostic> {
    vec![error(
        "Unknown ephemeral resource type",
        format!("This provider has no ephemeral resource types, so it has no {type_name:?}."),
    )]
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// The answer of an RPC that carries diagnostics, so that a failed RPC can answer with them.
trait Answer {
    /// The answer's diagnostics.
    fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic>;
}

macro_rules! answers_with_diagnostics {
    ($($rpc:ident),* $(,)?) => {
        $(impl Answer for pb::$rpc::Response {
            fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic> {
                &mut self.diagnostics
            }
        })*
    };
}

answers_with_diagnostics!(
    get_metadata,
    get_provider_schema,
    validate_provider_config,
    validate_resource_config,
    validate_data_resource_config,
    upgrade_resource_state,
    configure_provider,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    move_resource_state,
    read_data_source,
    get_functions,
);

/// Runs `work`, one RPC's decoding, call of the provider and encoding: logs it, and when it fails before it has an
/// answer, or panics, answers with `fallback` carrying the error diagnostic. A panic becomes a diagnostic without a
/// backtrace, so that a provider bug fails one operation instead of killing the process.
async fn answer<A: Answer>(
    rpc: &'static str,
    type_name: &str,
    mut fallback: A,
    work: impl Future<Output = Result<A, pb::Diagnostic>>,
) -> Rpc<A> {
    let span = tracing::debug_span!("rpc", rpc, type_name = %type_name);
    let started = Instant::now();
    let outcome = async {
        let mut work = pin!(work);
        let outcome =
            std::future::poll_fn(|cx| match std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
                Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
            })
            .await;
        tracing::debug!(elapsed_us = started.elapsed().as_micros() as u64, "handled");
        outcome
    }
    .instrument(span)
    .await;
    let failure = match outcome {
        Ok(Ok(answer)) => return Ok(Response::new(answer)),
        Ok(Err(diagnostic)) => diagnostic,
        Err(message) => {
            let subject = if type_name.is_empty() { String::new() } else { format!(" for {type_name}") };
            error(
                format!("Provider bug: {rpc} failed unexpectedly"),
                format!(
                    "The provider hit an internal error while handling {rpc}{subject}: {message}. This is a bug in \
                     the provider; please report it. The provider is still running."
                ),
            )
        }
    };
    *fallback.diagnostics() = vec![failure];
    Ok(Response::new(fallback))
}

type Rpc<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
        answer("GetMetadata", "", Default::default(), async { self.inner.get_metadata() }).await
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        answer("GetProviderSchema", "", Default::default(), async { self.inner.get_provider_schema() }).await
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let work = async { self.inner.validate_provider_config(request) };
        answer("ValidateProviderConfig", "", Default::default(), work).await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        let work = async { self.inner.validate_resource_config(request) };
        answer("ValidateResourceConfig", &type_name, Default::default(), work).await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        let work = async { self.inner.validate_data_resource_config(request) };
        answer("ValidateDataResourceConfig", &type_name, Default::default(), work).await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        let work = async { self.inner.upgrade_resource_state(request) };
        answer("UpgradeResourceState", &type_name, Default::default(), work).await
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response::default()))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        let type_name = request.into_inner().type_name;
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: vec![error(
                "Resource identity is not supported",
                format!("This provider declares no resource identity, so it cannot upgrade one for {type_name:?}."),
            )],
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        let request = request.into_inner();
        answer("ConfigureProvider", "", Default::default(), self.inner.configure_provider(request)).await
    }

    async fn read_resource(&self, request: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
        let request = request.into_inner();
        let (type_name, unchanged) = (request.type_name.clone(), read_unchanged(&request));
        answer("ReadResource", &type_name, unchanged, self.inner.read_resource(request)).await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        answer("PlanResourceChange", &type_name, Default::default(), self.inner.plan_resource_change(request)).await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        // Whatever goes wrong, Terraform keeps the prior state rather than losing track of the object.
        let prior =
            pb::apply_resource_change::Response { new_state: request.prior_state.clone(), ..Default::default() };
        answer("ApplyResourceChange", &type_name, prior, self.inner.apply_resource_change(request)).await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        answer("ImportResourceState", &type_name, Default::default(), self.inner.import_resource_state(request)).await
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Rpc<pb::move_resource_state::Response> {
        let request = request.into_inner();
        let type_name = request.target_type_name.clone();
        answer("MoveResourceState", &type_name, Default::default(), self.inner.move_resource_state(request)).await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        let request = request.into_inner();
        let type_name = request.type_name.clone();
        answer("ReadDataSource", &type_name, Default::default(), self.inner.read_data_source(request)).await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
        let diagnostics = no_ephemeral_resources(&request.into_inner().type_name);
        Ok(Response::new(pb::validate_ephemeral_resource_config::Response { diagnostics }))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Rpc<pb::open_ephemeral_resource::Response> {
        let diagnostics = no_ephemeral_resources(&request.into_inner().type_name);
        Ok(Response::new(pb::open_ephemeral_resource::Response { diagnostics, ..Default::default() }))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb::renew_ephemeral_resource::Response> {
        let diagnostics = no_ephemeral_resources(&request.into_inner().type_name);
        Ok(Response::new(pb::renew_ephemeral_resource::Response { diagnostics, ..Default::default() }))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Rpc<pb::close_ephemeral_resource::Response> {
        let diagnostics = no_ephemeral_resources(&request.into_inner().type_name);
        Ok(Response::new(pb::close_ephemeral_resource::Response { diagnostics }))
    }

    async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
        let work = async {
            Ok(pb::get_functions::Response { functions: self.inner.function_definitions(), diagnostics: Vec::new() })
        };
        answer("GetFunctions", "", Default::default(), work).await
    }

    async fn call_function(&self, request: Request<pb::call_function::Request>) -> Rpc<pb::call_function::Response> {
        let request = request.into_inner();
        tracing::debug!(function = %request.name, "CallFunction");
        Ok(Response::new(self.inner.call_function(request)))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        tracing::info!("StopProvider: asking in-flight operations to stop");
        self.inner.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::diagnostics::{AttributePath, Diagnostics};
    use crate::plugin::interface::*;
    use crate::plugin::schema::{Attribute, Block};
    use pb::provider_server::Provider as _;

    fn path(path: &pb::AttributePath) -> AttributePath {
        crate::plugin::convert::path_from_proto(path)
    }

    struct Thing;

    fn thing_schema(version: i64) -> Schema {
        Schema {
            version,
            block: Block {
                attributes: vec![
                    Attribute::required("name", Type::String),
                    Attribute::computed("id", Type::String),
                    Attribute::optional("count", Type::Number),
                ],
                ..Block::default()
            },
        }
    }

    #[async_trait::async_trait]
    impl Resource for Thing {
        fn type_name(&self) -> &'static str {
            "test_thing"
        }
        fn schema(&self) -> Schema {
            thing_schema(1)
        }
        fn validate(&self, config: &Value) -> Diagnostics {
            let mut d = Diagnostics::new();
            if config.attr("name").as_str() == Some("bad") {
                d.attribute_error(AttributePath::root("name"), "Bad name", "no");
            }
            if config.attr("name").as_str() == Some("panic") {
                panic!("validation exploded");
            }
            d
        }
        fn upgrade_state(&self, version: i64, mut state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
            assert_eq!(version, 0);
            state["name"] = serde_json::Value::from(format!("v0-{}", state["old_name"].as_str().unwrap_or("")));
            Ok(state)
        }
        async fn plan(&self, _: &Context, request: PlanRequest) -> PlanResponse {
            let mut planned = request.proposed_new_state;
            if planned.attr("id").is_null() {
                planned.set_attr("id", Value::Unknown);
            }
            if planned.attr("name").as_str() == Some("wrong-type") {
                planned.set_attr("count", Value::from("not a number"));
            }
            PlanResponse {
                planned_state: planned,
                requires_replace: vec![AttributePath::root("name")],
                ..PlanResponse::default()
            }
        }
        async fn apply(&self, _: &Context, request: ApplyRequest) -> ApplyResponse {
            let mut state = request.planned_state;
            state.set_attr("id", Value::from("id-1"));
            ApplyResponse { new_state: state, ..ApplyResponse::default() }
        }
        async fn read(&self, _: &Context, request: ReadRequest) -> ReadResponse {
            ReadResponse { new_state: request.current_state, private: request.private, ..ReadResponse::default() }
        }
        async fn import(&self, _: &Context, request: ImportRequest) -> ImportResponse {
            ImportResponse {
                imported: vec![ImportedResource {
                    state: Value::object([("id", Value::from(request.id))]),
                    private: Vec::new(),
                }],
                ..ImportResponse::default()
            }
        }
    }

    /// `twice(text)`: the text twice; `"bad"` is an error on the argument, `"panic"` panics.
    struct Twice;

    impl Function for Twice {
        fn name(&self) -> &'static str {
            "twice"
        }
        fn signature(&self) -> FunctionSignature {
            FunctionSignature {
                parameters: vec![FunctionParameter { name: "text", ty: Type::String, description: "Text.".into() }],
                return_type: Type::String,
                summary: "Twice".into(),
                description: "The text twice.".into(),
            }
        }
        fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
            match arguments[0].as_str().unwrap() {
                "bad" => Err(FunctionError::argument(0, "bad text")),
                "panic" => panic!("function exploded"),
                text => Ok(Value::from(format!("{text}{text}"))),
            }
        }
    }

    struct TestProvider;

    #[async_trait::async_trait]
    impl Provider for TestProvider {
        fn type_name(&self) -> &'static str {
            "test"
        }
        fn schema(&self) -> Schema {
            Schema::default()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Thing)]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
        fn functions(&self) -> Vec<Arc<dyn Function>> {
            vec![Arc::new(Twice)]
        }
        async fn configure(&self, _: &Context, _: ConfigureRequest) -> Diagnostics {
            Diagnostics::new()
        }
    }

    fn service() -> (ProviderService, CancellationToken) {
        let stop = CancellationToken::new();
        (ProviderService::new(Arc::new(TestProvider), stop.clone()), stop)
    }

    fn ty() -> Type {
        thing_schema(1).block.value_type()
    }

    #[tokio::test]
    async fn ctrl_c_ends_plan_time_work_but_only_stop_provider_ends_an_apply() {
        let (interrupted, _) = service();
        interrupted.interrupt_token().cancel();
        assert!(interrupted.inner.plan_time_context().is_stopping(), "reads, plans and imports stop on Ctrl-C");
        assert!(!interrupted.inner.context().is_stopping(), "an apply in flight waits for StopProvider");

        let (stopped, _) = service();
        stopped.stop_provider(Request::new(Default::default())).await.unwrap();
        assert!(stopped.inner.context().is_stopping());
        assert!(stopped.inner.plan_time_context().is_stopping(), "StopProvider ends plan-time work too");
    }

    fn msgpack(value: &Value) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue { msgpack: codec::to_msgpack(value, &ty()).unwrap(), json: Vec::new() })
    }

    fn thing(name: &str) -> Value {
        Value::object([("name", Value::from(name)), ("id", Value::Null), ("count", Value::Null)])
    }

    #[tokio::test]
    async fn metadata_and_schema_list_the_resources() {
        let (service, _) = service();
        let metadata = service.get_metadata(Request::new(Default::default())).await.unwrap().into_inner();
        let capabilities = metadata.server_capabilities.unwrap();
        assert!(capabilities.plan_destroy && !capabilities.get_provider_schema_optional);
        assert!(capabilities.move_resource_state);
        assert_eq!(metadata.resources[0].type_name, "test_thing");
        let schema = service.get_provider_schema(Request::new(Default::default())).await.unwrap().into_inner();
        assert!(schema.diagnostics.is_empty());
        assert_eq!(schema.resource_schemas["test_thing"].version, 1);
        assert!(schema.provider.is_some());
        assert_eq!(metadata.functions[0].name, "twice");
        let twice = &schema.functions["twice"];
        assert_eq!(twice.summary, "Twice");
        assert_eq!(twice.parameters[0].name, "text");
        assert_eq!(twice.parameters[0].r#type, b"\"string\"");
        assert!(!twice.parameters[0].allow_null_value && !twice.parameters[0].allow_unknown_values);
        assert_eq!(twice.r#return.as_ref().unwrap().r#type, b"\"string\"");
    }

    #[tokio::test]
    async fn functions_are_called_with_decoded_arguments_and_errors_name_the_argument() {
        let (service, _) = service();
        let call = |name: &str, arguments: Vec<Value>| {
            let arguments = arguments
                .iter()
                .map(|a| pb::DynamicValue { msgpack: codec::to_msgpack(a, &Type::String).unwrap(), json: Vec::new() })
                .collect();
            service.call_function(Request::new(pb::call_function::Request { name: name.into(), arguments }))
        };
        let answer = call("twice", vec![Value::from("ab")]).await.unwrap().into_inner();
        assert!(answer.error.is_none());
        let result = codec::from_msgpack(&answer.result.unwrap().msgpack, &Type::String).unwrap();
        assert_eq!(result, Value::from("abab"));

        let error = call("twice", vec![Value::from("bad")]).await.unwrap().into_inner().error.unwrap();
        assert_eq!((error.text.as_str(), error.function_argument), ("bad text", Some(0)));
        let error = call("twice", vec![Value::from("panic")]).await.unwrap().into_inner().error.unwrap();
        assert!(error.text.contains("function exploded") && error.text.contains("bug"), "{}", error.text);
        let error = call("twice", vec![]).await.unwrap().into_inner().error.unwrap();
        assert!(error.text.contains("takes 1 argument(s)"), "{}", error.text);
        let error = call("thrice", vec![]).await.unwrap().into_inner().error.unwrap();
        assert!(error.text.contains("no function \"thrice\""), "{}", error.text);
        let functions = service.get_functions(Request::new(Default::default())).await.unwrap().into_inner();
        assert_eq!(functions.functions.keys().collect::<Vec<_>>(), ["twice"]);
    }

    #[tokio::test]
    async fn validation_diagnostics_keep_attribute_paths_and_panics_become_diagnostics() {
        let (service, _) = service();
        let request = |name: &str| {
            Request::new(pb::validate_resource_config::Request {
                type_name: "test_thing".into(),
                config: msgpack(&thing(name)),
                client_capabilities: None,
            })
        };
        let response = service.validate_resource_config(request("bad")).await.unwrap().into_inner();
        assert_eq!(response.diagnostics[0].summary, "Bad name");
        assert_eq!(path(response.diagnostics[0].attribute.as_ref().unwrap()).to_string(), "name");
        let response = service.validate_resource_config(request("panic")).await.unwrap().into_inner();
        let d = &response.diagnostics[0];
        assert!(d.summary.contains("Provider bug"), "{d:?}");
        assert!(d.detail.contains("validation exploded") && !d.detail.contains("backtrace"), "{d:?}");
        // The service still works after the panic.
        let response = service.validate_resource_config(request("good")).await.unwrap().into_inner();
        assert!(response.diagnostics.is_empty());
    }

    #[tokio::test]
    async fn unknown_type_names_are_diagnostics() {
        let (service, _) = service();
        let response = service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_nope".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.diagnostics[0].summary, "Unknown resource type");
        let response = service
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: "test_nope".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.diagnostics[0].summary, "Unknown data source type");
    }

    #[tokio::test]
    async fn plan_marks_unknowns_and_catches_values_off_the_schema() {
        let (service, _) = service();
        let plan = |name: &str| {
            Request::new(pb::plan_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: Some(pb::DynamicValue { msgpack: vec![0xc0], json: Vec::new() }),
                proposed_new_state: msgpack(&thing(name)),
                config: msgpack(&thing(name)),
                ..Default::default()
            })
        };
        let response = service.plan_resource_change(plan("a")).await.unwrap().into_inner();
        assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
        let planned = codec::from_msgpack(&response.planned_state.unwrap().msgpack, &ty()).unwrap();
        assert!(planned.attr("id").is_unknown());
        assert_eq!(path(&response.requires_replace[0]).to_string(), "name");
        let response = service.plan_resource_change(plan("wrong-type")).await.unwrap().into_inner();
        assert!(response.diagnostics[0].summary.contains("Provider bug: invalid planned state"));
        assert!(response.diagnostics[0].detail.contains("at count"));
    }

    #[tokio::test]
    async fn upgrade_normalises_state_to_the_current_schema() {
        let (service, _) = service();
        let upgrade = |version: i64, json: &str| {
            Request::new(pb::upgrade_resource_state::Request {
                type_name: "test_thing".into(),
                version,
                raw_state: Some(pb::RawState { json: json.as_bytes().to_vec(), flatmap: HashMap::new() }),
            })
        };
        // Same version: no upgrade call, but attributes the schema lacks are dropped and missing ones null.
        let response = service.upgrade_resource_state(upgrade(1, r#"{"name":"x","gone":1}"#)).await.unwrap();
        let state = codec::from_msgpack(&response.into_inner().upgraded_state.unwrap().msgpack, &ty()).unwrap();
        assert_eq!(state, thing("x"));
        // Older version: the resource upgrades the JSON first.
        let response = service.upgrade_resource_state(upgrade(0, r#"{"old_name":"y","id":"i"}"#)).await.unwrap();
        let state = codec::from_msgpack(&response.into_inner().upgraded_state.unwrap().msgpack, &ty()).unwrap();
        assert_eq!(state.attr("name").as_str(), Some("v0-y"));
        assert_eq!(state.attr("id").as_str(), Some("i"));
        // Newer version, not JSON, legacy flat map: clear errors.
        let response = service.upgrade_resource_state(upgrade(7, "{}")).await.unwrap().into_inner();
        assert_eq!(response.diagnostics[0].summary, "State written by a newer provider");
        let response = service.upgrade_resource_state(upgrade(1, "{")).await.unwrap().into_inner();
        assert_eq!(response.diagnostics[0].summary, "Invalid stored state");
        let flatmap = Request::new(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 0,
            raw_state: Some(pb::RawState { json: Vec::new(), flatmap: [("id".into(), "x".into())].into() }),
        });
        let response = service.upgrade_resource_state(flatmap).await.unwrap().into_inner();
        assert_eq!(response.diagnostics[0].summary, "Unsupported legacy state format");
    }

    #[tokio::test]
    async fn unsupported_rpcs_answer_with_clear_diagnostics() {
        let (service, stop) = service();
        let moved = service.move_resource_state(Request::new(Default::default())).await.unwrap().into_inner();
        assert_eq!(moved.diagnostics[0].summary, "Unknown resource type");
        let into_thing = Request::new(pb::move_resource_state::Request {
            source_type_name: "other_thing".into(),
            target_type_name: "test_thing".into(),
            source_state: Some(pb::RawState { json: br#"{"id":"x"}"#.to_vec(), flatmap: Default::default() }),
            ..Default::default()
        });
        let moved = service.move_resource_state(into_thing).await.unwrap().into_inner();
        assert_eq!(moved.diagnostics[0].summary, "Move not supported");
        assert!(moved.diagnostics[0].detail.contains("other_thing") && moved.target_state.is_none());
        let identity = service.upgrade_resource_identity(Request::new(Default::default())).await.unwrap();
        assert!(identity.into_inner().diagnostics[0].summary.contains("not supported"));
        let open = service.open_ephemeral_resource(Request::new(Default::default())).await.unwrap().into_inner();
        assert_eq!(open.diagnostics[0].summary, "Unknown ephemeral resource type");
        assert!(!stop.is_cancelled());
        service.stop_provider(Request::new(Default::default())).await.unwrap();
        assert!(stop.is_cancelled());
    }

    #[test]
    fn write_only_attributes_never_reach_plans_or_states() {
        use crate::plugin::schema::NestedBlock;
        let inner =
            Block { attributes: vec![Attribute::optional("token", Type::String).write_only()], ..Block::default() };
        let schema = Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::required("name", Type::String),
                    Attribute::optional("password", Type::String).sensitive().write_only(),
                ],
                blocks: vec![NestedBlock::list("auth", inner.clone()), NestedBlock::single("single", inner)],
                ..Block::default()
            },
        };
        let compiled = Compiled::new(schema);
        assert!(compiled.has_write_only);
        let token = || Value::object([("token", Value::from("t"))]);
        let value = Value::object([
            ("name", Value::from("n")),
            ("password", Value::from("p")),
            ("auth", Value::List(vec![token(), token()])),
            ("single", token()),
        ]);
        let encoded = compiled.encode_state(value, "state").unwrap();
        let decoded = codec::from_msgpack(&encoded.msgpack, &compiled.ty).unwrap();
        let nulled = || Value::object([("token", Value::Null)]);
        assert_eq!(
            decoded,
            Value::object([
                ("name", Value::from("n")),
                ("password", Value::Null),
                ("auth", Value::List(vec![nulled(), nulled()])),
                ("single", nulled()),
            ])
        );
        assert!(!Compiled::new(thing_schema(0)).has_write_only);
    }

    #[tokio::test]
    async fn apply_import_and_read_encode_the_resource_answers() {
        let (service, _) = service();
        let applied = service
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: Some(pb::DynamicValue { msgpack: vec![0xc0], json: Vec::new() }),
                planned_state: msgpack(&thing("a")),
                config: msgpack(&thing("a")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        let state = codec::from_msgpack(&applied.new_state.unwrap().msgpack, &ty()).unwrap();
        assert_eq!(state.attr("id").as_str(), Some("id-1"));
        let imported = service
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "test_thing".into(),
                id: "abc".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(imported.imported_resources[0].type_name, "test_thing");
        let read = service
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: msgpack(&thing("r")),
                private: b"p".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(codec::from_msgpack(&read.new_state.unwrap().msgpack, &ty()).unwrap(), thing("r"));
        assert_eq!(read.private, b"p");
        // Garbage from Terraform keeps the state as it was and says why.
        let garbage = Some(pb::DynamicValue { msgpack: vec![0x81, 0xa1, b'z', 0xc0], json: Vec::new() });
        let read = service
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: garbage.clone(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.new_state, garbage);
        assert_eq!(read.diagnostics[0].summary, "Invalid current state received from Terraform");
    }
}
