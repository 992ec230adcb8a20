//! Plan: the protection state the configuration asks for, validateForBackup for a new instance and
//! validateForModifyBackup for a change in place, an existing instance with the same ID (ownership), and the
//! replacements that must delete the old instance first.

use crate::arm::error::{ArmError, ErrorKind};
use crate::arm::ids::{BackupInstanceId, GenericResourceId};
use crate::arm::models::BackupInstanceResource;
use crate::arm::pipeline::CallContext;
use crate::arm::roles::RolesHeld;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::{PlanRequest, PlanResponse};
use crate::plugin::value::Value;
use crate::resources::common::{self, DEFAULT_TIMEOUTS, arm_error, not_ready};
use crate::resources::configuration::Configured;
use crate::resources::instance_kinds::InstanceKind;
use crate::resources::managed::{ManagedResource, PlanContext};
use crate::resources::model::{self, Spelling};

use super::delete::retains_data;
use super::{
    BackupInstanceType, Model, Private, SPELLINGS, STOPPED_STATE, TARGET_STATE, attr, attribute_for_code, hint_for,
    protection_state,
};

/// The protection state the configuration asks for: its `protection_state`, else `ProtectionConfigured`.
fn desired_protection(config: &Value) -> Value {
    match config.attr(attr::protection_state) {
        Value::Null => Value::from(TARGET_STATE),
        wanted => wanted.clone(),
    }
}

/// What to say of an instance with the ID of one this configuration creates: this state does not own it, how
/// to take it over, and what to do when it is the object a create_before_destroy replacement replaces.
fn existing_instance_context(existing: &BackupInstanceResource) -> String {
    let mut context = "This state does not manage it, so Terraform leaves it as it is: it may belong to another \
                       Terraform state or workspace, or have been made outside Terraform.\n\n"
        .to_owned();
    if protection_state(existing).is_some_and(|s| s.eq_ignore_ascii_case(STOPPED_STATE)) {
        context.push_str(
            "Its protection is stopped and its recovery points are kept, as a destroy with retain_data_on_destroy = \
             true leaves it. Once it is imported, the next apply resumes its protection (Azure's resumeProtection) \
             with those recovery points.\n\n",
        );
    }
    context.push_str(
        "If it is the instance this resource replaces (after -replace or a taint) and the resource has \
         create_before_destroy, the new instance cannot be made beside it, because a name is unique in a vault: the \
         apply stops before it changes anything, and Terraform keeps the old instance. Remove create_before_destroy \
         from the lifecycle block; the replacement then deletes the old instance first.\n\n",
    );
    context
}

/// The error for a create whose ID Azure already holds: nothing may change that instance.
pub(super) fn already_exists<K: InstanceKind>(
    diags: &mut Diagnostics,
    id: &BackupInstanceId,
    existing: &BackupInstanceResource,
) {
    common::already_exists(
        diags,
        "backup instance",
        K::TYPE_NAME,
        &id.to_string(),
        &existing_instance_context(existing),
    );
}

/// At plan, for an instance with this ID that is exactly what the configuration describes: plan cannot tell
/// whether it is another state's (which apply refuses to take over) or this resource's own, kept by Terraform as a
/// deposed object while a create_before_destroy replacement runs (where failing the plan would leave it deposed for
/// good, and failing the create lets Terraform restore it). So plan warns, and the create refuses.
fn warn_existing<K: InstanceKind>(diags: &mut Diagnostics, id: &BackupInstanceId, existing: &BackupInstanceResource) {
    let mut probe = Diagnostics::new();
    already_exists::<K>(&mut probe, id, existing);
    if let Some(error) = probe.iter().next() {
        diags.warning(
            error.summary.clone(),
            format!("{}\n\nApply will stop with this error before it changes anything.", error.detail),
        );
    }
}

/// The warning for a replacement whose new instance cannot exist beside the old one.
fn warn_delete_first(diags: &mut Diagnostics, old_id: &str, model: &Model) {
    diags.warning(
        "The replacement deletes the old backup instance first",
        format!(
            "Azure protects a datasource with one backup instance at a time and holds a name once in a vault, so \
             replacing {old_id} deletes it, with its recovery points, before the new instance protects {}. That is \
             Terraform's default order. With create_before_destroy on this resource the apply stops before it \
             changes anything, because the new instance cannot exist beside the old one: remove \
             create_before_destroy from the lifecycle block to replace it.",
            model.datasource
        ),
    );
}

/// Warnings for the backup instances a `-replace` names (`targets`, as given on Terraform's command line).
/// Terraform plans a forced replacement without telling the provider and drops the warnings of the plan that
/// follows, so the one place left to say it at plan time is the provider's configuration, once per command.
pub(crate) fn warn_forced_replacements(targets: &[String], diags: &mut Diagnostics) {
    for address in targets {
        let Some(resource_type) = address
            .split('.')
            .map(|segment| segment.split('[').next().unwrap_or(segment))
            .find(|segment| segment.starts_with("dataprotection_backup_instance"))
        else {
            continue;
        };
        diags.warning(
            "-replace deletes a backup instance with its recovery points",
            format!(
                "This command replaces {address} (-replace). Replacing a backup instance ({resource_type}) deletes                  it in Azure with every recovery point it holds, and the new instance starts with none; Azure                  protects a datasource with one instance at a time, so the old one is deleted first. To keep the                  recovery points, set retain_data_on_destroy = true on it and apply before replacing it: the old                  instance is then kept in the vault with its protection stopped. If you did not mean to lose them,                  do not approve this plan."
            ),
        );
    }
}

/// A replacement of an instance that is not in the way of its successor (another datasource or name), or whose new
/// arguments are not known until apply (a policy created in the same apply).
fn warn_replacement_deletes(diags: &mut Diagnostics, old_id: &str) {
    diags.warning(
        "The replacement deletes a backup instance with its recovery points",
        format!(
            "Replacing {old_id} deletes it in Azure with every recovery point it holds; the new instance starts with              none. To keep them, set retain_data_on_destroy = true on this resource and apply before this change:              the old instance is then kept in the vault with its protection stopped."
        ),
    );
}

/// A replacement of an instance whose state says to keep its recovery points.
fn warn_replacement_keeps(diags: &mut Diagnostics, old_id: &str) {
    diags.warning(
        "The replaced backup instance is kept with its recovery points",
        format!(
            "retain_data_on_destroy is true, so replacing {old_id} stops its protection and keeps it in the vault              with its recovery points, outside Terraform's state; it keeps costing storage until it is deleted in              Azure."
        ),
    );
}

/// The datasource type a plan holds when the configuration does not set it: the kind's, once `datasource_id` is
/// known (for a kind whose type is computed only, at once).
fn planned_datasource_type<K: InstanceKind>(planned: &Value) -> Value {
    match planned.attr(attr::datasource_id) {
        _ if !K::DATASOURCE_TYPE_ARGUMENT => Value::from(K::DATASOURCE_TYPE),
        Value::String(s) if s.parse::<GenericResourceId>().is_ok() => Value::from(K::DATASOURCE_TYPE),
        _ => Value::Unknown,
    }
}

/// Whether `planned` changes what Azure is sent in a PUT: the policy, or a kind's argument Azure takes that way.
pub(super) fn body_changes<K: InstanceKind>(prior: &Value, planned: &Value) -> bool {
    std::iter::once(attr::backup_policy_id)
        .chain(K::UPDATED_BY_PUT.iter().copied())
        .any(|name| planned.attr(name) != prior.attr(name))
}

/// The body an in-place update PUTs for `model` when Azure holds `existing` (see [`Model::update_of`]), which
/// validateForModifyBackup checks at plan.
pub(super) fn modify_body<K: InstanceKind>(
    model: &Model,
    existing: Option<&BackupInstanceResource>,
) -> BackupInstanceResource {
    match existing {
        Some(existing) => model.update_of(existing),
        None => model.to_resource(),
    }
}

/// validateForModifyBackup at plan, for an in-place change that sends Azure a new body (a new policy, a kind's
/// arguments Azure takes in place): Azure checks the body the update would PUT, on the existing instance, and a
/// failure is an error at plan, in Azure's words, instead of an apply that leaves the instance
/// `ConfiguringProtectionFailed`. What costs nothing is checked first: a replacement, errors already found, a body
/// that does not change, unknown values, the provider's configuration.
pub(super) async fn validate_modify<K: InstanceKind>(
    cx: &PlanContext<'_>,
    request: &PlanRequest,
    response: &mut PlanResponse,
    read: Option<BackupInstanceResource>,
) {
    let (prior, planned) = (&request.prior_state, &response.planned_state);
    if !response.requires_replace.is_empty() || response.diagnostics.has_errors() || !body_changes::<K>(prior, planned)
    {
        return;
    }
    let Some(model) = Model::from_value::<K>(planned) else {
        tracing::debug!("the change has unknown arguments; validateForModifyBackup runs at apply's plan");
        return;
    };
    let configured = match cx.configured() {
        Ok(c) => c,
        Err(crate::resources::configuration::NotReady::Unknown(names)) => {
            response.diagnostics.warning(
                "Azure validation skipped",
                format!(
                    "validateForModifyBackup did not run for {} because the provider arguments {} are not known yet. \
                     It runs when this instance is planned again during apply.",
                    model.id,
                    names.join(", ")
                ),
            );
            return;
        }
        Err(reason) => return not_ready(&mut response.diagnostics, reason),
    };
    if !configured.validate_on_plan {
        return;
    }
    if cx.ctx.terraform_is_destroying() {
        tracing::debug!(id = %model.id, "terraform is destroying: nothing will be updated, so no validation");
        return;
    }
    let timeouts = common::timeouts(planned, DEFAULT_TIMEOUTS);
    let call = cx.call(timeouts.update, "update timeout");
    let what = format!("validating the change of backup instance {} with Azure (validateForModifyBackup)", model.id);
    let result = async {
        let client = &configured.client;
        // The body the update would PUT starts from the object Azure holds, as this plan's refresh read it.
        let existing = match read {
            Some(instance) => Some(instance),
            None => client.read_backup_instance(&call, &model.id).await?,
        };
        let body = modify_body::<K>(&model, existing.as_ref());
        let mut operation = client.begin_validate_for_modify_backup(&call, &model.id, &body.properties, &what).await?;
        operation.wait(&call).await
    }
    .await;
    if let Err(error) = result {
        let path = attribute_for_code::<K>(error.code.as_deref());
        arm_error(&mut response.diagnostics, &error, path, hint_for::<K>(&error));
    }
}

impl<K: InstanceKind> BackupInstanceType<K> {
    pub(super) async fn plan_new(&self, cx: &PlanContext<'_>, request: &PlanRequest, response: &mut PlanResponse) {
        let planned = &mut response.planned_state;
        planned.set_attr(attr::protection_state, desired_protection(&request.config));
        if planned.attr(attr::datasource_type).is_null() {
            let derived = planned_datasource_type::<K>(planned);
            planned.set_attr(attr::datasource_type, derived);
        }
        let Some(model) = Model::from_value::<K>(planned) else {
            tracing::debug!("new backup instance has unknown arguments; validateForBackup runs at apply's plan");
            return;
        };
        let timeouts = common::timeouts(planned, DEFAULT_TIMEOUTS);
        let configured = match cx.configured() {
            Ok(c) => c,
            Err(crate::resources::configuration::NotReady::Unknown(names)) => {
                response.diagnostics.warning(
                    "Azure validation skipped",
                    format!(
                        "validateForBackup did not run for {} because the provider arguments {} are not known yet. It \
                         runs when this instance is planned again during apply.",
                        model.id,
                        names.join(", ")
                    ),
                );
                return;
            }
            Err(reason) => return not_ready(&mut response.diagnostics, reason),
        };
        if !configured.validate_on_plan {
            return;
        }
        if cx.ctx.terraform_is_destroying() {
            tracing::debug!(id = %model.id, "terraform is destroying: nothing will be created, so no validation");
            return;
        }
        let replaced = Private::decode(&request.prior_private).replaced().or_else(|| self.refreshed(&model.id));
        let call = cx.call(timeouts.create, "create timeout");
        let diags = &mut response.diagnostics;
        if let Some(replaced) = &replaced
            && replaced.collides_with(&model)
        {
            warn_delete_first(diags, &replaced.id, &model);
        }
        // The apply walk plans again in a new process: a validation this command's plan walk ran is not repeated.
        let subject = validation_subject(&configured, &model);
        tracing::debug!(id = %model.id, walks = ?cx.ctx.walks(), "validation records of this command");
        if let Some(when) = crate::resources::validated::take(cx.ctx.walks(), &subject) {
            let ago = std::time::SystemTime::now().duration_since(when).unwrap_or_default().as_secs();
            tracing::info!(id = %model.id, validated_s_ago = ago, "validateForBackup passed for this instance in \
                this command's plan; not asked again");
            return;
        }
        let Err(error) = validate_for_backup::<K>(&configured, &call, &model).await else {
            crate::resources::validated::record(cx.ctx.walks(), &subject);
            return;
        };
        if error.code.as_deref() == Some("UserErrorDppDatasourceAlreadyProtected") {
            if replaced.as_ref().is_some_and(|r| r.protects(&model.datasource)) {
                // The instance being replaced protects the datasource; it is deleted before this one is created.
                tracing::debug!(id = %model.id, "datasource is protected by the instance this one replaces");
                return;
            }
            // Is it protected by an instance with this very ID? Then that instance is what to talk about. (The
            // object being replaced, when it has this ID, protects another datasource here: Azure's error is about
            // a third instance.)
            match configured.client.get_backup_instance(&call, &model.id).await {
                Ok(Some(_)) if replaced.as_ref().is_some_and(|r| r.is(&model.id)) => {}
                Ok(Some(existing)) if model.describes(&existing) => {
                    return warn_existing::<K>(diags, &model.id, &existing);
                }
                Ok(Some(existing)) => return already_exists::<K>(diags, &model.id, &existing),
                Ok(None) => {}
                Err(read) => tracing::warn!(id = %model.id, error = %read, "could not read the instance with this ID"),
            }
        }
        arm_error(diags, &error, attribute_for_code::<K>(error.code.as_deref()), hint_for::<K>(&error));
    }

    pub(super) fn plan_change(request: &PlanRequest, response: &mut PlanResponse) {
        let prior = &request.prior_state;
        let planned = &mut response.planned_state;
        model::keep_spellings(prior, planned, SPELLINGS);
        model::keep_spellings(prior, planned, K::SPELLINGS);
        if request.config.attr(attr::datasource_type).is_null() {
            let value = if planned.attr(attr::datasource_id) == prior.attr(attr::datasource_id) {
                prior.attr(attr::datasource_type).clone()
            } else {
                planned_datasource_type::<K>(planned)
            };
            planned.set_attr(attr::datasource_type, value);
        }
        response.requires_replace = common::requires_replace(BackupInstanceType::<K>::cached_schema(), prior, planned);
        response.requires_replace.extend(K::replaced_by(prior, planned));
        // Always: `-replace` is Terraform's decision, and the create half of any replacement needs to know the object
        // it replaces.
        response.planned_private = Private::of_state(prior);
        if !response.requires_replace.is_empty() {
            // Terraform shows only the errors of the create half's plan, so the warning is given here, for every
            // replacement, whether or not the new arguments are known yet.
            let old_id = prior.attr(attr::id).as_str().unwrap_or("the backup instance");
            match Model::from_value::<K>(planned) {
                _ if retains_data(prior) => warn_replacement_keeps(&mut response.diagnostics, old_id),
                Some(model)
                    if Private::decode(&response.planned_private)
                        .replaced()
                        .is_some_and(|r| r.collides_with(&model)) =>
                {
                    warn_delete_first(&mut response.diagnostics, old_id, &model)
                }
                _ => warn_replacement_deletes(&mut response.diagnostics, old_id),
            }
            return;
        }
        // Protection where the configuration wants it: a new policy, protection that an interrupted or failed apply
        // left unfinished, or protection stopped or suspended outside Terraform all plan a change to that state.
        let desired = desired_protection(&request.config);
        let current = prior.attr(attr::protection_state);
        let value = if !body_changes::<K>(prior, planned) && Spelling::Text.same(&desired, current) {
            current.clone()
        } else {
            desired
        };
        planned.set_attr(attr::protection_state, value);
    }
}

/// What a validateForBackup asked about, for [`crate::resources::validated`]: the endpoint and the request body.
fn validation_subject(configured: &Configured, model: &Model) -> String {
    let endpoint = configured.client.url(&model.id.vault.to_string()).map(|u| u.to_string()).unwrap_or_default();
    format!("{endpoint}\n{}", serde_json::to_string(&model.to_instance()).unwrap_or_default())
}

/// validateForBackup. When Azure answers that the vault's identity lacks a permission although it holds the role
/// assignments that grant it (just made, in this apply or shortly before), Azure has not applied them yet: it waits
/// and validates again, with growing pauses, until they take effect or the deadline comes. When an assignment is
/// missing, or cannot be read, Azure's error is the answer at once, saying which.
async fn validate_for_backup<K: InstanceKind>(
    configured: &Configured,
    call: &CallContext,
    model: &Model,
) -> Result<(), ArmError> {
    let what = format!("validating backup instance {} with Azure (validateForBackup)", model.id);
    let client = &configured.client;
    let mut propagation = client.role_propagation();
    loop {
        let result = async {
            let mut operation =
                client.begin_validate_for_backup(call, &model.id.vault, &model.to_instance(), &what).await?;
            operation.wait(call).await
        }
        .await;
        let Err(mut error) = result else { return Ok(()) };
        if error.code.as_deref() != Some("UserErrorMissingRequiredPermissions") {
            return Err(error);
        }
        match roles_held::<K>(client, call, model).await {
            Ok(RolesHeld::All(newest, held)) => {
                if !propagation.fits_before(call.deadline) {
                    error.recommended_actions.push(format!(
                        "The vault's identity holds the roles it needs ({}; the newest assigned {}), but Azure had \
                         not applied them when the {} ran out, after validating for {} s. Role assignments can take \
                         up to 30 minutes to take effect: run terraform again later, or raise the timeout.",
                        held.join("; "),
                        newest.as_deref().unwrap_or("recently"),
                        call.timeout_label,
                        propagation.waited().as_secs()
                    ));
                    return Err(error);
                }
                tracing::info!(
                    id = %model.id,
                    roles = held.join("; "),
                    newest_assignment = newest.as_deref().unwrap_or(""),
                    pause_s = propagation.pause().as_secs(),
                    waited_s = propagation.waited().as_secs(),
                    "the vault's identity holds the roles validateForBackup asks for, but Azure has not applied them \
                     yet; validating again after a pause"
                );
                if !propagation.sleep(call).await {
                    return Err(error);
                }
            }
            Ok(RolesHeld::Missing(missing)) => {
                error.recommended_actions.push(format!("The vault's identity does not hold: {}.", missing.join("; ")));
                return Err(error);
            }
            Err(reason) => {
                tracing::debug!(id = %model.id, reason = %reason, "could not tell whether the roles are propagating");
                return Err(error);
            }
        }
    }
}

/// Whether the vault's identity holds the role assignments the backup of `model`'s datasource needs.
pub(super) async fn roles_held<K: InstanceKind>(
    client: &crate::arm::ArmClient,
    call: &CallContext,
    model: &Model,
) -> Result<RolesHeld, ArmError> {
    let Some(needs) = K::needs(&model.datasource, model.parameters.as_ref()) else {
        return Err(ArmError::new(
            ErrorKind::InvalidResponse,
            "the roles this backup needs cannot be told from its arguments",
        ));
    };
    client.roles_held(call, &model.id.vault, &needs).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::arm::roles;
    use crate::plugin::diagnostics::AttributePath;
    use crate::plugin::interface::{Context, Resource};
    use crate::resources::ProviderConfiguration;
    use crate::resources::backup_instance::fixtures::*;
    use crate::resources::instance_kinds::{BlobStorage, Disk, KubernetesCluster, PostgreSqlFlexibleServer};
    use crate::resources::managed::Managed;

    fn plan_update(config: Value) -> PlanResponse {
        let prior = prior_state();
        let mut proposed = config.clone();
        proposed.set_attr(attr::id, prior.attr(attr::id).clone());
        proposed.set_attr(attr::protection_state, prior.attr(attr::protection_state).clone());
        if config.attr(attr::datasource_type).is_null() {
            proposed.set_attr(attr::datasource_type, prior.attr(attr::datasource_type).clone());
        }
        let request =
            PlanRequest { prior_state: prior, proposed_new_state: proposed.clone(), config, prior_private: vec![] };
        let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
        BackupInstanceType::<Disk>::plan_change(&request, &mut response);
        response
    }

    #[test]
    fn case_and_region_spelling_changes_plan_no_change() {
        let mut c = config();
        c.set_attr(attr::vault_id, Value::from(VAULT.to_lowercase()));
        c.set_attr(attr::location, Value::from("westus"));
        c.set_attr(
            attr::backup_policy_id,
            Value::from(format!("{VAULT}/backupPolicies/policy-disk-daily").to_uppercase()),
        );
        let response = plan_update(c);
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state, prior_state());
    }

    #[tokio::test]
    async fn only_an_in_place_change_of_the_body_asks_azure_at_plan() {
        // The provider is not configured here, so asking Azure shows as "Provider not configured".
        let resource = Managed::new(BackupInstanceType::<Disk>::default(), Arc::new(ProviderConfiguration::default()));
        let plan = |config: Value| {
            let prior = prior_state();
            let mut proposed = config.clone();
            for name in [attr::id, attr::protection_state, attr::datasource_type] {
                proposed.set_attr(name, prior.attr(name).clone());
            }
            PlanRequest { prior_state: prior, proposed_new_state: proposed, config, prior_private: vec![] }
        };
        let asked =
            |response: &PlanResponse| response.diagnostics.iter().any(|d| d.summary == "Provider not configured");

        let mut policy = config();
        policy.set_attr(attr::backup_policy_id, Value::from(format!("{VAULT}/backupPolicies/policy-disk-4h")));
        let response = resource.plan(&Context::default(), plan(policy.clone())).await;
        assert!(asked(&response), "a new policy is validated with Azure");

        let mut kept = config();
        kept.set_attr(attr::retain_data_on_destroy, Value::from(true));
        let response = resource.plan(&Context::default(), plan(kept)).await;
        assert!(response.diagnostics.is_empty(), "nothing Azure is sent changes");

        let mut replaced = policy;
        replaced.set_attr(attr::datasource_id, Value::from(DISK.replace("disk-app-01", "disk-app-02")));
        let response = resource.plan(&Context::default(), plan(replaced)).await;
        assert!(!response.requires_replace.is_empty());
        assert!(!asked(&response), "a replacement is validated by its create, not as a change");
    }

    #[test]
    fn a_policy_change_is_an_update_in_place() {
        let mut c = config();
        c.set_attr(attr::backup_policy_id, Value::from(format!("{VAULT}/backupPolicies/policy-disk-4h")));
        let response = plan_update(c);
        assert!(response.requires_replace.is_empty());
        assert_eq!(response.planned_state.attr(attr::protection_state).as_str(), Some(TARGET_STATE));
        assert!(response.diagnostics.is_empty());
    }

    #[test]
    fn protection_that_is_not_where_the_configuration_wants_it_plans_a_change() {
        for (current, wanted, planned_change) in [
            ("ConfiguringProtection", None, true),
            ("UpdatingProtection", None, true),
            ("ConfiguringProtectionFailed", None, true),
            ("ProtectionError", None, true),
            ("ProtectionStopped", None, true),
            ("BackupSchedulesSuspended", None, true),
            ("ProtectionConfigured", None, false),
            ("ProtectionConfigured", Some("ProtectionStopped"), true),
            // ignore_changes hands the provider the prior value as the configured one.
            ("ProtectionStopped", Some("ProtectionStopped"), false),
            ("ProtectionError", Some("ProtectionError"), false),
        ] {
            let mut prior = prior_state();
            prior.set_attr(attr::protection_state, Value::from(current));
            let mut config = config();
            if let Some(wanted) = wanted {
                config.set_attr(attr::protection_state, Value::from(wanted));
            }
            let mut proposed = config.clone();
            proposed.set_attr(attr::id, prior.attr(attr::id).clone());
            proposed.set_attr(attr::datasource_type, prior.attr(attr::datasource_type).clone());
            proposed.set_attr(attr::protection_state, Value::from(wanted.unwrap_or(current)));
            let request =
                PlanRequest { prior_state: prior, proposed_new_state: proposed.clone(), config, prior_private: vec![] };
            let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
            BackupInstanceType::<Disk>::plan_change(&request, &mut response);
            assert!(response.requires_replace.is_empty(), "{current}");
            let planned = response.planned_state.attr(attr::protection_state).as_str().unwrap().to_owned();
            assert_eq!(planned != current, planned_change, "{current} -> {planned}");
            assert_eq!(planned, wanted.unwrap_or(if planned_change { TARGET_STATE } else { current }), "{current}");
        }
    }

    #[test]
    fn a_new_disk_replaces_and_remembers_the_old_one() {
        let mut c = config();
        c.set_attr(attr::datasource_id, Value::from(DISK.replace("disk-app-01", "disk-app-02")));
        let response = plan_update(c);
        assert_eq!(response.requires_replace, vec![AttributePath::root(attr::datasource_id)]);
        let private = Private::decode(&response.planned_private);
        assert_eq!(private.protects.as_deref(), Some(DISK));
        assert_eq!(private.id.as_deref(), prior_state().attr(attr::id).as_str());
        assert!(
            response.diagnostics.iter().any(|d| d.summary.contains("deletes the old backup instance first")),
            "the same name: the old instance must go first"
        );
    }

    #[test]
    fn a_new_name_for_the_same_disk_warns_that_the_old_instance_goes_first() {
        let mut c = config();
        c.set_attr(attr::name, Value::from("bi-2"));
        let response = plan_update(c);
        assert_eq!(response.requires_replace, vec![AttributePath::root(attr::name)]);
        let warning = response.diagnostics.iter().next().expect("a warning");
        assert!(!response.diagnostics.has_errors());
        assert!(warning.summary.contains("deletes the old backup instance first"), "{}", warning.summary);
        assert!(warning.detail.contains("create_before_destroy"), "{}", warning.detail);
    }

    fn plan_update_of<K: InstanceKind>(prior: &Value, config: Value) -> PlanResponse {
        let mut proposed = config.clone();
        for name in [attr::id, attr::protection_state, attr::datasource_type] {
            proposed.set_attr(name, prior.attr(name).clone());
        }
        let request = PlanRequest {
            prior_state: prior.clone(),
            proposed_new_state: proposed.clone(),
            config,
            prior_private: vec![],
        };
        let mut response = PlanResponse { planned_state: proposed, ..PlanResponse::default() };
        BackupInstanceType::<K>::plan_change(&request, &mut response);
        response
    }

    fn prior_of<K: InstanceKind>(config: &Value) -> Value {
        let mut prior = config.clone();
        prior.set_attr(attr::id, Value::from(format!("{VAULT}/backupInstances/bi-1")));
        prior.set_attr(attr::datasource_type, Value::from(K::DATASOURCE_TYPE));
        prior.set_attr(attr::protection_state, Value::from("ProtectionConfigured"));
        prior
    }

    #[test]
    fn containers_change_in_place_and_a_kubernetes_policy_change_replaces() {
        let c = config_of::<BlobStorage>(ACCOUNT, &[(attr::storage_account_container_names, strings(&["a-1"]))]);
        let prior = prior_of::<BlobStorage>(&c);
        let mut changed = c.clone();
        changed.set_attr(attr::storage_account_container_names, strings(&["a-1", "b-2"]));
        let response = plan_update_of::<BlobStorage>(&prior, changed);
        assert!(response.requires_replace.is_empty());
        assert!(body_changes::<BlobStorage>(&prior, &response.planned_state));
        let mut removed = c.clone();
        removed.set_attr(attr::storage_account_container_names, Value::Null);
        let response = plan_update_of::<BlobStorage>(&prior, removed);
        assert_eq!(response.requires_replace, vec![AttributePath::root(attr::storage_account_container_names)]);

        let c = config_of::<KubernetesCluster>(
            CLUSTER,
            &[(attr::snapshot_resource_group_id, Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
        );
        let prior = prior_of::<KubernetesCluster>(&c);
        let mut changed = c.clone();
        changed.set_attr(attr::backup_policy_id, Value::from(format!("{VAULT}/backupPolicies/p2")));
        let response = plan_update_of::<KubernetesCluster>(&prior, changed);
        assert_eq!(response.requires_replace, vec![AttributePath::root(attr::backup_policy_id)]);
    }

    #[test]
    fn each_kind_names_the_roles_its_vault_identity_needs() {
        let roles_of = |needs: Vec<roles::Need>| needs.iter().map(|n| (n.role, n.scope.clone())).collect::<Vec<_>>();
        let pg = PG.parse::<GenericResourceId>().unwrap();
        assert_eq!(
            roles_of(PostgreSqlFlexibleServer::needs(&pg, None).unwrap()),
            vec![
                ("PostgreSQL Flexible Server Long Term Retention Backup Role", PG.to_owned()),
                ("Reader", "/subscriptions/s1/resourceGroups/rg-db".to_owned())
            ]
        );
        let account = ACCOUNT.parse::<GenericResourceId>().unwrap();
        assert_eq!(
            roles_of(BlobStorage::needs(&account, None).unwrap()),
            vec![("Storage Account Backup Contributor", ACCOUNT.to_owned())]
        );
        let c = config_of::<KubernetesCluster>(
            CLUSTER,
            &[(attr::snapshot_resource_group_id, Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
        );
        let model = Model::from_value::<KubernetesCluster>(&c).unwrap();
        assert_eq!(
            roles_of(KubernetesCluster::needs(&model.datasource, model.parameters.as_ref()).unwrap()),
            vec![("Reader", CLUSTER.to_owned()), ("Reader", "/subscriptions/s1/resourceGroups/rg-snap".to_owned())]
        );
    }
}
