//! `terraform-provider-plugintest`: a small provider served through the plugin layer, for the end-to-end test
//! with the real `terraform` CLI (tests/plugin_terraform.rs). It is a Cargo example, so `cargo test` builds
//! it and release builds of the provider never contain it.
//!
//! `plugintest_thing` keeps everything in Terraform's state: `name` (required, replaced on change), `tags`
//! (list), `secret` (sensitive), `size` (optional, computed: 1 when unset), `id` (computed) and an optional
//! `timeouts` block. With `wait_for_stop = true`, a create waits until Terraform calls StopProvider (Ctrl-C)
//! and then returns the object it made, with an error.

use std::process::ExitCode;
use std::sync::Arc;

use dataprotection::plugin;
use dataprotection::plugin::diagnostics::{AttributePath, Diagnostics};
use dataprotection::plugin::interface::*;
use dataprotection::plugin::schema::{Attribute, Block, NestedBlock, Schema};
use dataprotection::plugin::value::{Type, Value};

fn main() -> ExitCode {
    plugin::serve(Arc::new(PluginTest))
}

struct PluginTest;

#[async_trait::async_trait]
impl Provider for PluginTest {
    fn type_name(&self) -> &'static str {
        "plugintest"
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

    async fn configure(&self, _: &Context, _: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

struct Thing;

#[async_trait::async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "plugintest_thing"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::required("name", Type::String).description("The name. Changing it replaces the thing."),
                    Attribute::optional("tags", Type::list(Type::String)),
                    Attribute::optional("secret", Type::String).sensitive(),
                    Attribute::optional_computed("size", Type::Number),
                    Attribute::computed("id", Type::String),
                    Attribute::optional("wait_for_stop", Type::Bool),
                ],
                blocks: vec![NestedBlock::single(
                    "timeouts",
                    Block { attributes: vec![Attribute::optional("create", Type::String)], ..Block::default() },
                )],
                description: "A thing that lives only in Terraform's state.".into(),
                deprecated: false,
            },
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if config.attr("name").as_str().is_some_and(|name| name.contains('!')) {
            diagnostics.attribute_error(AttributePath::root("name"), "Invalid name", "A name cannot contain '!'.");
        }
        let create = config.attr("timeouts").attr("create");
        if let Some(duration) = create.as_str()
            && !(duration.ends_with('s') || duration.ends_with('m') || duration.ends_with('h'))
        {
            diagnostics.attribute_error(
                AttributePath::root("timeouts").attribute("create"),
                "Invalid duration",
                format!("{duration:?} is not a duration like \"30m\"."),
            );
        }
        diagnostics
    }

    async fn plan(&self, _: &Context, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_new_state;
        let mut requires_replace = Vec::new();
        if planned.is_null() {
            return PlanResponse::default();
        }
        if planned.attr("size").is_null() {
            planned.set_attr("size", Value::from(1i64));
        }
        if request.prior_state.is_null() {
            planned.set_attr("id", Value::Unknown);
        } else if request.prior_state.attr("name") != planned.attr("name") {
            planned.set_attr("id", Value::Unknown);
            requires_replace.push(AttributePath::root("name"));
        }
        PlanResponse { planned_state: planned, requires_replace, ..PlanResponse::default() }
    }

    async fn apply(&self, ctx: &Context, request: ApplyRequest) -> ApplyResponse {
        let mut state = request.planned_state;
        let mut diagnostics = Diagnostics::new();
        if state.is_null() {
            return ApplyResponse::default();
        }
        if state.attr("id").is_unknown() {
            let id = format!("thing-{}", state.attr("name").as_str().unwrap_or_default());
            state.set_attr("id", Value::from(id));
            if state.attr("wait_for_stop").as_bool() == Some(true) {
                // The test's readiness signal: the create is in flight and waits for StopProvider.
                if let Some(path) = std::env::var_os("PLUGINTEST_WAITING_FILE") {
                    let _ = std::fs::write(path, b"waiting");
                }
                tokio::select! {
                    _ = ctx.stopped() => diagnostics.error(
                        "Interrupted while creating",
                        "Terraform asked the provider to stop; the thing was created and is kept in the state.",
                    ),
                    _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                }
            }
        }
        ApplyResponse { new_state: state, private: Vec::new(), diagnostics }
    }

    async fn read(&self, _: &Context, request: ReadRequest) -> ReadResponse {
        ReadResponse { new_state: request.current_state, private: request.private, ..ReadResponse::default() }
    }

    async fn import(&self, _: &Context, request: ImportRequest) -> ImportResponse {
        let state = Value::object([
            ("name", Value::from(request.id.trim_start_matches("thing-"))),
            ("id", Value::from(request.id.clone())),
            ("size", Value::from(1i64)),
        ]);
        ImportResponse { imported: vec![ImportedResource { state, private: Vec::new() }], ..ImportResponse::default() }
    }
}
