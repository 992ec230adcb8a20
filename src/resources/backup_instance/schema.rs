//! The backup instance's schema, and the checks of a configuration that need no Azure.

use crate::arm::ids::{BackupPolicyId, BackupVaultId, GenericResourceId, check_name};
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};
use crate::resources::common::{self, DEFAULT_TIMEOUTS};
use crate::resources::instance_kinds::{InstanceKind, KubernetesParameters};
use crate::resources::model;

use super::{DESIRABLE_STATES, TARGET_STATE, derived_datasource_type};

/// What `retain_data_on_destroy` does, and what it costs.
const RETAIN_DATA_DESCRIPTION: &str = "When `true`, destroying this resource stops protection and keeps the \
recovery points (Azure's stopProtection) instead of deleting the backup instance, and the instance leaves Terraform's \
state. The instance stays in the vault as `ProtectionStopped` with its recovery points, which keep costing snapshot \
storage until the instance is deleted in Azure, and the vault (and the policy the instance uses) cannot be deleted \
while it is there. Set it and apply before destroying: destroy uses the value in state. Defaults to `false`: destroy \
deletes the instance and its recovery points.";

/// What `protection_state` does as an argument.
const PROTECTION_STATE_DESCRIPTION: &str = "The protection state: `ProtectionConfigured` while backups run, and \
transient or failed states such as `ConfiguringProtection` or `ProtectionError`. Protection stopped \
(`ProtectionStopped`) or suspended (`BackupSchedulesSuspended`) outside Terraform is drift: the plan shows it changing \
back to `ProtectionConfigured`, and apply resumes protection (Azure's resumeProtection or resumeBackups) with the \
recovery points kept. Set it to `ProtectionStopped` or `BackupSchedulesSuspended` to have apply stop or suspend \
protection, keeping the recovery points; leave it unset for `ProtectionConfigured`. To leave the protection state to \
others, add `protection_state` to `ignore_changes` in the lifecycle block.";

model::attributes! {
    /// A backup instance's attributes, of every kind: its arguments as a configuration or plan holds them
    /// ([`InstanceObject::sent`]), and its state as Azure reports it, written back to Terraform
    /// ([`model::write`]). An attribute declared without a schema here has one that differs by kind: `datasource_id`,
    /// `datasource_type` and `backup_policy_id` are built by [`schema`], a kind's own attributes and blocks by its
    /// [`InstanceKind`], each under the name declared here. A kind's own attribute is left out of the object
    /// [`model::write`] is given when it is unset, so that one struct writes the state of every kind.
    pub(crate) struct InstanceObject, names in attr {
        id: String => computed(Type::String).description("The ARM ID of the backup instance."),
        name: String => required(Type::String).force_new().description("The name of the backup instance."),
        vault_id: String => required(Type::String)
            .force_new()
            .description("The ARM ID of the backup vault. The instance is created in the vault's subscription."),
        datasource_id: String,
        datasource_type: String,
        location: String => required(Type::String)
            .force_new()
            .description("The region of the datasource, for example `westus` (`West US` is equivalent)."),
        backup_policy_id: String,
        protection_state: String => optional_computed(Type::String).description(PROTECTION_STATE_DESCRIPTION),
        retain_data_on_destroy: bool => optional(Type::Bool).description(RETAIN_DATA_DESCRIPTION),
        snapshot_resource_group_id: String,
        storage_account_container_names: Vec<String>,
        backup_datasource_parameters: Vec<KubernetesParameters>,
        timeouts: serde_json::Value,
    }
}

impl InstanceObject {
    /// What a planned state (or configuration) asks Azure for: every argument but the Terraform-side ones
    /// (`protection_state`, `retain_data_on_destroy`, `timeouts`) and the computed `id`, which may be unknown without
    /// making the body unknown. `None` when one of the others is unknown or of another shape.
    pub(super) fn sent(value: &Value) -> Option<InstanceObject> {
        let mut sent = value.clone();
        for name in [attr::id, attr::protection_state, attr::retain_data_on_destroy, attr::timeouts] {
            sent.set_attr(name, Value::Null);
        }
        model::read(&sent)
    }
}

/// `datasource_id`: the ARM ID of the kind's datasource.
fn datasource_attribute<K: InstanceKind>() -> Attribute {
    Attribute::required(attr::datasource_id, Type::String).force_new().description(format!(
        "The ARM ID of the {} to protect (`{}`).",
        K::NOUN,
        K::RESOURCE_TYPE
    ))
}

/// `datasource_type`: an argument where it is published as one (managed disks), else computed.
fn datasource_type_attribute<K: InstanceKind>() -> Attribute {
    if K::DATASOURCE_TYPE_ARGUMENT {
        Attribute::optional_computed(attr::datasource_type, Type::String).force_new().description(format!(
            "The datasource type. Derived from `datasource_id` when not set; only `{}` is supported.",
            K::DATASOURCE_TYPE
        ))
    } else {
        Attribute::computed(attr::datasource_type, Type::String)
            .description(format!("The datasource type Azure is sent: `{}`.", K::DATASOURCE_TYPE))
    }
}

/// `backup_policy_id`: changed in place, or by replacing the instance where Azure does not move it to another policy.
fn policy_attribute<K: InstanceKind>() -> Attribute {
    let policy = Attribute::required(attr::backup_policy_id, Type::String);
    if K::POLICY_CHANGE_REPLACES {
        policy.force_new().description(
            "The ARM ID of the backup policy, in the same vault. Azure does not move this kind of backup instance to \
             another policy, so changing it replaces the instance.",
        )
    } else {
        policy.description(
            "The ARM ID of the backup policy, in the same vault. Changing it updates the instance in place and waits \
             until protection is configured again.",
        )
    }
}

pub(super) fn schema<K: InstanceKind>() -> Schema {
    let mut attributes = InstanceObject::attributes();
    // The attributes whose schema differs by kind, each after the attribute it follows in the declaration.
    for (after, attribute) in [
        (attr::vault_id, datasource_attribute::<K>()),
        (attr::datasource_id, datasource_type_attribute::<K>()),
        (attr::location, policy_attribute::<K>()),
    ] {
        let at = attributes.iter().position(|a| a.name == after).map_or(attributes.len(), |i| i + 1);
        attributes.insert(at, attribute);
    }
    attributes.extend(K::attributes());
    let mut blocks = K::blocks();
    blocks.push(common::timeouts_block(DEFAULT_TIMEOUTS));
    Schema {
        version: 0,
        block: Block { description: K::description(), attributes, blocks, deprecated: false }
            .with_force_new_sentences("backup instance"),
    }
}

/// Offline checks; unknown values are skipped.
pub(super) fn validate_config<K: InstanceKind>(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let text = |name: &str| config.attr(name).as_str();
    if let Some(name) = text(attr::name)
        && let Err(reason) = check_name(name)
    {
        diags.attribute_error(
            AttributePath::root(attr::name),
            "Invalid backup instance name",
            common::sentence(&reason),
        );
    }
    let vault = text(attr::vault_id).map(|v| (v, v.parse::<BackupVaultId>()));
    if let Some((_, Err(e))) = &vault {
        diags.attribute_error(AttributePath::root(attr::vault_id), "Invalid backup vault ID", format!("{e}."));
    }
    let datasource = text(attr::datasource_id).map(|v| v.parse::<GenericResourceId>());
    match &datasource {
        Some(Err(e)) => {
            diags.attribute_error(AttributePath::root(attr::datasource_id), "Invalid datasource ID", format!("{e}."))
        }
        Some(Ok(d)) if !d.resource_type().eq_ignore_ascii_case(K::RESOURCE_TYPE) => diags.attribute_error(
            AttributePath::root(attr::datasource_id),
            "Unsupported datasource",
            format!(
                "{d} is a {}; {} protects a {} ({}).{}",
                d.resource_type(),
                K::TYPE_NAME,
                K::NOUN,
                K::RESOURCE_TYPE,
                other_kind_hint(&d.resource_type())
            ),
        ),
        _ => {}
    }
    if let Some(ty) = text(attr::datasource_type) {
        let derived = match &datasource {
            Some(Ok(d)) => Some(derived_datasource_type(d)),
            _ => None,
        };
        if !ty.eq_ignore_ascii_case(K::DATASOURCE_TYPE) {
            diags.attribute_error(
                AttributePath::root(attr::datasource_type),
                "Unsupported datasource type",
                format!("{ty:?} is not supported; the only supported datasource type is {:?}.", K::DATASOURCE_TYPE),
            );
        } else if let Some(derived) = derived
            && !derived.eq_ignore_ascii_case(ty)
        {
            diags.attribute_error(
                AttributePath::root(attr::datasource_type),
                "datasource_type does not match datasource_id",
                format!("datasource_id is a {derived}, but datasource_type is {ty:?}."),
            );
        }
    }
    if config.attr(attr::location).as_str().is_some_and(|l| l.trim().is_empty()) {
        diags.attribute_error(AttributePath::root(attr::location), "Invalid location", "The location is empty.");
    }
    match text(attr::backup_policy_id).map(|v| v.parse::<BackupPolicyId>()) {
        Some(Err(e)) => diags.attribute_error(
            AttributePath::root(attr::backup_policy_id),
            "Invalid backup policy ID",
            format!("{e}."),
        ),
        Some(Ok(policy)) => {
            if let Some((_, Ok(vault))) = &vault
                && policy.vault != *vault
            {
                diags.attribute_error(
                    AttributePath::root(attr::backup_policy_id),
                    "Backup policy is in another vault",
                    format!("The policy {policy} belongs to the vault {}, not to vault_id {vault}.", policy.vault),
                );
            }
        }
        None => {}
    }
    K::validate(config, &mut diags);
    if let Some(wanted) = text(attr::protection_state)
        && !DESIRABLE_STATES.iter().any(|s| s.eq_ignore_ascii_case(wanted))
    {
        diags.attribute_error(
            AttributePath::root(attr::protection_state),
            "Unsupported protection state",
            format!(
                "{wanted:?} cannot be asked for; the protection state may be set to {}, or left unset for {TARGET_STATE:?}.",
                DESIRABLE_STATES.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    common::validate_timeouts(config, &mut diags);
    diags
}

/// Which resources of this provider protect datasources of ARM type `resource_type`, as a sentence to add.
fn other_kind_hint(resource_type: &str) -> String {
    let resources = crate::resources::kinds::instance_types_protecting(resource_type);
    if resources.is_empty() { String::new() } else { format!(" Use {} for it.", resources.join(" or ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::backup_instance::fixtures::*;
    use crate::resources::instance_kinds::{
        BlobStorage, DataLakeStorage, Disk, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer,
    };

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter().map(|d| d.attribute.as_ref().map(|p| p.to_string()).unwrap_or_default()).collect()
    }

    /// The attributes and blocks of kind `K`'s schema that `InstanceObject` does not declare: plan, apply and read
    /// would never see them.
    fn undeclared<K: InstanceKind>() -> Vec<String> {
        // Every field set (unset ones are left out of the JSON), and named: a new field must be added here.
        let text = || Some(String::new());
        let every_field = InstanceObject {
            id: text(),
            name: text(),
            vault_id: text(),
            datasource_id: text(),
            datasource_type: text(),
            location: text(),
            backup_policy_id: text(),
            protection_state: text(),
            retain_data_on_destroy: Some(false),
            snapshot_resource_group_id: text(),
            storage_account_container_names: Some(Vec::new()),
            backup_datasource_parameters: Some(Vec::new()),
            timeouts: Some(serde_json::Value::Null),
        };
        let serde_json::Value::Object(declared) = serde_json::to_value(every_field).unwrap() else { panic!() };
        let block = &schema::<K>().block;
        let names = block.attributes.iter().map(|a| &a.name).chain(block.blocks.iter().map(|b| &b.type_name));
        names.filter(|name| !declared.contains_key(*name)).cloned().collect()
    }

    #[test]
    fn every_attribute_of_every_kind_is_declared() {
        for (kind, undeclared) in [
            (Disk::TYPE_NAME, undeclared::<Disk>()),
            (BlobStorage::TYPE_NAME, undeclared::<BlobStorage>()),
            (DataLakeStorage::TYPE_NAME, undeclared::<DataLakeStorage>()),
            (KubernetesCluster::TYPE_NAME, undeclared::<KubernetesCluster>()),
            (PostgreSqlFlexibleServer::TYPE_NAME, undeclared::<PostgreSqlFlexibleServer>()),
            (MySqlFlexibleServer::TYPE_NAME, undeclared::<MySqlFlexibleServer>()),
        ] {
            assert!(undeclared.is_empty(), "{kind}: {undeclared:?}");
        }
    }

    #[test]
    fn a_good_config_validates() {
        assert!(validate_config::<Disk>(&config()).is_empty());
    }

    #[test]
    fn unknown_values_are_not_judged() {
        let mut c = config();
        for name in
            [attr::name, attr::vault_id, attr::datasource_id, attr::backup_policy_id, attr::snapshot_resource_group_id]
        {
            c.set_attr(name, Value::Unknown);
        }
        assert!(validate_config::<Disk>(&c).is_empty());
    }

    #[test]
    fn bad_values_point_at_their_attribute() {
        let mut c = config();
        c.set_attr(attr::name, Value::from("../x"));
        c.set_attr(attr::vault_id, Value::from("/subscriptions/s1/resourceGroups/rg"));
        c.set_attr(attr::snapshot_resource_group_id, Value::from("rg-snapshots"));
        c.set_attr(attr::timeouts, Value::object([("create", Value::from("forever"))]));
        assert_eq!(
            paths(&validate_config::<Disk>(&c)),
            vec!["name", "vault_id", "snapshot_resource_group_id", "timeouts.create"]
        );
    }

    #[test]
    fn policy_must_be_in_the_vault() {
        let mut c = config();
        c.set_attr(
            attr::backup_policy_id,
            Value::from(format!("{}/backupPolicies/p", VAULT.replace("vault-demo", "other"))),
        );
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["backup_policy_id"]);
        c.set_attr(
            attr::backup_policy_id,
            Value::from(format!(
                "{}/backupPolicies/p",
                VAULT.to_uppercase().replace("/BACKUPVAULTS/", "/backupVaults/")
            )),
        );
        assert!(validate_config::<Disk>(&c).is_empty(), "case does not matter");
    }

    #[test]
    fn only_disks_are_supported_and_need_a_snapshot_group() {
        let mut c = config();
        c.set_attr(
            attr::datasource_id,
            Value::from("/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/sa"),
        );
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["datasource_id"]);
        let mut c = config();
        c.set_attr(attr::datasource_type, Value::from("Microsoft.Storage/storageAccounts/blobServices"));
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["datasource_type"]);
        let mut c = config();
        c.set_attr(attr::snapshot_resource_group_id, Value::Null);
        assert_eq!(paths(&validate_config::<Disk>(&c)), vec!["snapshot_resource_group_id"]);
    }

    #[test]
    fn each_kind_checks_its_own_arguments_offline() {
        // A disk given to the blob resource names the resource that protects disks.
        let d = validate_config::<BlobStorage>(&config_of::<BlobStorage>(DISK, &[]));
        assert_eq!(paths(&d), vec!["datasource_id"]);
        assert!(d.iter().next().unwrap().detail.contains("Use dataprotection_backup_instance for it"), "{d:?}");
        let d = validate_config::<PostgreSqlFlexibleServer>(&config_of::<PostgreSqlFlexibleServer>(MYSQL, &[]));
        assert!(d.iter().next().unwrap().detail.contains("dataprotection_backup_instance_mysql_flexible_server"));

        let c = config_of::<BlobStorage>(
            ACCOUNT,
            &[(attr::storage_account_container_names, strings(&["ok-name", "Bad_Name", "ok-name"]))],
        );
        assert_eq!(
            paths(&validate_config::<BlobStorage>(&c)),
            vec!["storage_account_container_names[1]", "storage_account_container_names[2]"]
        );
        let c = config_of::<BlobStorage>(ACCOUNT, &[(attr::storage_account_container_names, strings(&[]))]);
        assert_eq!(paths(&validate_config::<BlobStorage>(&c)), vec!["storage_account_container_names"]);
        assert!(validate_config::<BlobStorage>(&config_of::<BlobStorage>(ACCOUNT, &[])).is_empty());
        let c = config_of::<BlobStorage>(ACCOUNT, &[(attr::retain_data_on_destroy, Value::from(true))]);
        assert_eq!(paths(&validate_config::<BlobStorage>(&c)), vec!["retain_data_on_destroy"]);
        let c = config_of::<BlobStorage>(
            ACCOUNT,
            &[
                (attr::retain_data_on_destroy, Value::from(true)),
                (attr::storage_account_container_names, strings(&["a-1"])),
            ],
        );
        assert!(validate_config::<BlobStorage>(&c).is_empty(), "vaulted backup can be stopped");

        assert_eq!(
            paths(&validate_config::<KubernetesCluster>(&config_of::<KubernetesCluster>(CLUSTER, &[]))),
            vec!["snapshot_resource_group_id"]
        );
        let elsewhere = config_of::<KubernetesCluster>(
            &CLUSTER.replace("/subscriptions/s1/", "/subscriptions/s9/"),
            &[(attr::snapshot_resource_group_id, Value::from("/subscriptions/s1/resourceGroups/rg-snap"))],
        );
        assert_eq!(paths(&validate_config::<KubernetesCluster>(&elsewhere)), vec!["datasource_id"]);
        assert!(validate_config::<MySqlFlexibleServer>(&config_of::<MySqlFlexibleServer>(MYSQL, &[])).is_empty());
    }
}
