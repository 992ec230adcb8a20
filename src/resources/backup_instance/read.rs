//! Read: the instance as Azure reports it, a word on a failed protection state or a wrong resource type, and what
//! plan later needs to know of it.

use crate::arm::error::ArmError;
use crate::arm::ids::BackupInstanceId;
use crate::arm::protection::protection_error;
use crate::plugin::interface::ReadResponse;
use crate::plugin::value::Value;
use crate::resources::instance_kinds::InstanceKind;
use crate::resources::managed::Call;

use super::{BackupInstanceType, FAILED_STATES, Private, attr, protection_state, state_from_azure};

/// Reads the instance from Azure into state, and remembers it for the plans of this process.
pub(super) async fn read<K: InstanceKind>(
    resource: &BackupInstanceType<K>,
    azure: &Call,
    id: &BackupInstanceId,
    current: &Value,
    response: &mut ReadResponse,
) -> Result<Option<Value>, ArmError> {
    let Some(instance) = azure.client().read_backup_instance(&azure.context, id).await? else { return Ok(None) };
    let state = state_from_azure::<K>(current, id, &instance);
    if let Some(other) = instance.properties.data_source_info.datasource_type.as_deref()
        && !other.eq_ignore_ascii_case(K::DATASOURCE_TYPE)
    {
        // Imported into the wrong resource type (or changed beyond recognition): say which one manages it.
        let manager = crate::resources::kinds::by_datasource_type(other)
            .map(|k| k.instance_type)
            .map(|r| format!("Manage it with {r}."))
            .unwrap_or_else(|| "This provider does not manage that kind of backup instance.".to_owned());
        response.diagnostics.error(
            format!("Backup instance {} protects a {other}", id.name),
            format!(
                "{} manages backup instances of {} ({}); {id} protects {} ({other}). {manager}",
                K::TYPE_NAME,
                K::NOUN,
                K::DATASOURCE_TYPE,
                instance.properties.data_source_info.resource_id
            ),
        );
    }
    resource.remember_refresh(id, state.attr(attr::datasource_id).as_str().map(str::to_owned));
    resource.remember_read(id, &instance);
    // Stopped or suspended protection is drift the plan shows; a failed one deserves a word here too.
    if let Some(s) = protection_state(&instance)
        && FAILED_STATES.iter().any(|p| p.eq_ignore_ascii_case(&s))
    {
        let error = protection_error(&instance, &s);
        response.diagnostics.warning(
            format!("Backup instance {} is in state {s}", id.name),
            format!("{}\n{}", error.summary(), error.detail()),
        );
    }
    response.private = Private::of_state(&state);
    Ok(Some(state))
}
