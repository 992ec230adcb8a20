//! The provider functions: `parse_backup_{vault,policy,instance}_id` split an ARM ID into its parts, and
//! `build_backup_{vault,policy,instance}_id` join parts into an ID. They run offline, on the ID types of
//! [`crate::arm::ids`]: parsing ignores case as ARM does and returns the ID in ARM's canonical spelling, and a bad
//! ID is an error that says which segment is missing or wrong, or which other kind of ID it is.

use std::str::FromStr;
use std::sync::Arc;

use crate::arm::ids::{BackupInstanceId, BackupPolicyId, BackupVaultId, IdError, ResourceGroupId, check_name};
use crate::plugin::interface::{Function, FunctionError, FunctionParameter, FunctionSignature};
use crate::plugin::value::{Type, Value};

/// The provider's name in `provider::dataprotection::<function>`.
const PROVIDER: &str = "dataprotection";

/// Every provider function.
pub fn all() -> Vec<Arc<dyn Function>> {
    let kinds = [IdKind::Vault, IdKind::Policy, IdKind::Instance];
    let mut functions: Vec<Arc<dyn Function>> = Vec::new();
    functions.extend(kinds.map(|kind| Arc::new(Parse(kind)) as Arc<dyn Function>));
    functions.extend(kinds.map(|kind| Arc::new(Build(kind)) as Arc<dyn Function>));
    functions
}

/// The three kinds of ID the functions know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdKind {
    Vault,
    Policy,
    Instance,
}

impl IdKind {
    /// `vault`, `policy` or `instance`, as in the function names.
    fn short(self) -> &'static str {
        match self {
            IdKind::Vault => "vault",
            IdKind::Policy => "policy",
            IdKind::Instance => "instance",
        }
    }

    /// What the ID names, in messages.
    fn noun(self) -> &'static str {
        match self {
            IdKind::Vault => BackupVaultId::KIND,
            IdKind::Policy => BackupPolicyId::KIND,
            IdKind::Instance => BackupInstanceId::KIND,
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            IdKind::Vault => BackupVaultId::PATTERN,
            IdKind::Policy => BackupPolicyId::PATTERN,
            IdKind::Instance => BackupInstanceId::PATTERN,
        }
    }

    /// The attribute of the object's own name: `vault_name`, `backup_policy_name`, `backup_instance_name`.
    fn name_attribute(self) -> &'static str {
        match self {
            IdKind::Vault => "vault_name",
            IdKind::Policy => "backup_policy_name",
            IdKind::Instance => "backup_instance_name",
        }
    }

    /// The parts an ID is made of, in order: the build function's parameters and the parse function's attributes.
    fn parts(self) -> Vec<(&'static str, &'static str)> {
        let mut parts = vec![
            ("subscription_id", "The ID of the subscription, for example `00000000-0000-0000-0000-000000000000`."),
            ("resource_group_name", "The name of the resource group the backup vault is in."),
            ("vault_name", "The name of the backup vault."),
        ];
        match self {
            IdKind::Vault => {}
            IdKind::Policy => parts.push(("backup_policy_name", "The name of the backup policy.")),
            IdKind::Instance => parts.push(("backup_instance_name", "The name of the backup instance.")),
        }
        parts
    }

    /// The type of what the parse function returns.
    fn object_type(self) -> Type {
        let mut attributes = vec![("id", Type::String), ("name", Type::String)];
        attributes.extend(self.parts().into_iter().map(|(name, _)| (name, Type::String)));
        if self != IdKind::Vault {
            attributes.push(("vault_id", Type::String));
        }
        Type::object(attributes)
    }

    /// An example ID of this kind, for the docs.
    fn example(self) -> &'static str {
        match self {
            IdKind::Vault => {
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/backup/providers/\
                 Microsoft.DataProtection/backupVaults/vault1"
            }
            IdKind::Policy => {
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/backup/providers/\
                 Microsoft.DataProtection/backupVaults/vault1/backupPolicies/disk-daily"
            }
            IdKind::Instance => {
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/backup/providers/\
                 Microsoft.DataProtection/backupVaults/vault1/backupInstances/disk1"
            }
        }
    }

    /// Parses `input` as an ID of this kind into the parse function's object.
    fn parse(self, input: &str) -> Result<Value, IdError> {
        let (id, vault, name) = match self {
            IdKind::Vault => {
                let vault = BackupVaultId::from_str(input)?;
                (vault.to_string(), vault.clone(), vault.name)
            }
            IdKind::Policy => {
                let policy = BackupPolicyId::from_str(input)?;
                (policy.to_string(), policy.vault, policy.name)
            }
            IdKind::Instance => {
                let instance = BackupInstanceId::from_str(input)?;
                (instance.to_string(), instance.vault, instance.name)
            }
        };
        let mut attributes = vec![
            ("id", Value::from(id)),
            ("name", Value::from(name.as_str())),
            ("subscription_id", Value::from(vault.subscription_id())),
            ("resource_group_name", Value::from(vault.resource_group.name.as_str())),
            ("vault_name", Value::from(vault.name.as_str())),
        ];
        if self != IdKind::Vault {
            attributes.push(("vault_id", Value::from(vault.to_string())));
            attributes.push((self.name_attribute(), Value::from(name.as_str())));
        }
        Ok(Value::object(attributes))
    }

    /// The ID made of `parts` (in the order of [`IdKind::parts`]), or the index and text of the part at fault.
    fn build(self, parts: &[&str]) -> Result<String, (usize, String)> {
        for (index, (part, (name, _))) in parts.iter().zip(self.parts()).enumerate() {
            if let Err(reason) = check_name(part) {
                let reason = if part.is_empty() { format!("{name} is empty") } else { reason };
                return Err((index, format!("Cannot build a {} ID: {reason}", self.noun())));
            }
        }
        let vault = BackupVaultId {
            resource_group: ResourceGroupId { subscription_id: parts[0].to_owned(), name: parts[1].to_owned() },
            name: parts[2].to_owned(),
        };
        Ok(match self {
            IdKind::Vault => vault.to_string(),
            IdKind::Policy => BackupPolicyId { vault, name: parts[3].to_owned() }.to_string(),
            IdKind::Instance => BackupInstanceId { vault, name: parts[3].to_owned() }.to_string(),
        })
    }
}

/// `parse_backup_<kind>_id`.
struct Parse(IdKind);

impl Function for Parse {
    fn name(&self) -> &'static str {
        match self.0 {
            IdKind::Vault => "parse_backup_vault_id",
            IdKind::Policy => "parse_backup_policy_id",
            IdKind::Instance => "parse_backup_instance_id",
        }
    }

    fn signature(&self) -> FunctionSignature {
        let kind = self.0;
        let noun = kind.noun();
        let mut attributes: Vec<String> =
            vec!["`id` (the ID in ARM's canonical spelling)".to_owned(), format!("`name` (the {noun}'s own name)")];
        attributes.extend(kind.parts().iter().map(|(name, _)| format!("`{name}`")));
        if kind != IdKind::Vault {
            attributes.push("`vault_id` (the ID of the vault it belongs to)".to_owned());
        }
        FunctionSignature {
            parameters: vec![FunctionParameter {
                name: "id",
                ty: Type::String,
                description: format!("The ARM ID of a {noun}: `{}`.", kind.pattern()),
            }],
            return_type: kind.object_type(),
            summary: format!("Splits a {noun} ID into its parts"),
            description: format!(
                "Splits the ARM ID of a {noun} into an object with the attributes {}. ARM IDs ignore case, so any \
                 case of the fixed segments (`resourceGroups`, `providers`, `Microsoft.DataProtection`, ...) is \
                 accepted; `id` spells them as ARM does, with the names as given, so that IDs from different \
                 sources compare equal after parsing. An ID that is not a {noun} ID is an error that says which \
                 segment is missing or wrong, or which other kind of ID it is.",
                join(&attributes)
            ),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let input = arguments.first().and_then(Value::as_str).unwrap_or_default();
        self.0.parse(input).map_err(|error| FunctionError::argument(0, parse_error(self.0, input, &error)))
    }
}

/// The message of a parse that failed: what is wrong, and which function fits when the ID is of another kind.
fn parse_error(kind: IdKind, input: &str, error: &IdError) -> String {
    let mut text = format!("The ID {input:?} is not a valid {} ID: {}.", kind.noun(), error.reason);
    let other = [IdKind::Vault, IdKind::Policy, IdKind::Instance]
        .into_iter()
        .find(|other| *other != kind && other.parse(input).is_ok());
    if let Some(other) = other {
        text.push_str(&format!(
            " It is a {} ID: use provider::{PROVIDER}::parse_backup_{}_id.",
            other.noun(),
            other.short()
        ));
    }
    // Terraform ends the message with a period of its own.
    text.push_str(&format!(" Expected the form {}", kind.pattern()));
    text
}

/// `build_backup_<kind>_id`.
struct Build(IdKind);

impl Function for Build {
    fn name(&self) -> &'static str {
        match self.0 {
            IdKind::Vault => "build_backup_vault_id",
            IdKind::Policy => "build_backup_policy_id",
            IdKind::Instance => "build_backup_instance_id",
        }
    }

    fn signature(&self) -> FunctionSignature {
        let kind = self.0;
        let noun = kind.noun();
        let parts = kind.parts();
        FunctionSignature {
            parameters: parts
                .iter()
                .map(|(name, description)| FunctionParameter {
                    name,
                    ty: Type::String,
                    description: (*description).to_owned(),
                })
                .collect(),
            return_type: Type::String,
            summary: format!("Builds a {noun} ID from its parts"),
            description: format!(
                "Joins {} into the ARM ID of a {noun}, `{}`, spelt as ARM spells it. A name that is empty, or that \
                 holds a character that would change the ID's path (`/`, `\\`, `?`, `#`, `%`, whitespace, `..`), is \
                 an error on that argument. Example: `{}`.",
                join(&parts.iter().map(|(name, _)| format!("`{name}`")).collect::<Vec<_>>()),
                kind.pattern(),
                kind.example()
            ),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let parts: Vec<&str> = arguments.iter().map(|a| a.as_str().unwrap_or_default()).collect();
        self.0.build(&parts).map(Value::from).map_err(|(index, text)| FunctionError::argument(index, text))
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.DataProtection/backupVaults/v1";

    fn call(name: &str, arguments: &[&str]) -> Result<Value, FunctionError> {
        let function = all().into_iter().find(|f| f.name() == name).expect("the function");
        let arguments: Vec<Value> = arguments.iter().map(|a| Value::from(*a)).collect();
        assert_eq!(function.signature().parameters.len(), arguments.len(), "{name}'s arity");
        function.call(&arguments)
    }

    #[test]
    fn parse_splits_ids_and_spells_them_canonically() {
        let policy = call(
            "parse_backup_policy_id",
            &["/SUBSCRIPTIONS/sub1/resourcegroups/rg1/PROVIDERS/microsoft.dataprotection/BACKUPVAULTS/v1/backuppolicies/P1"],
        )
        .unwrap();
        assert_eq!(policy.attr("id"), &Value::from(format!("{VAULT}/backupPolicies/P1")));
        assert_eq!(policy.attr("subscription_id"), &Value::from("sub1"));
        assert_eq!(policy.attr("resource_group_name"), &Value::from("rg1"));
        assert_eq!(policy.attr("vault_name"), &Value::from("v1"));
        assert_eq!(policy.attr("vault_id"), &Value::from(VAULT));
        assert_eq!(policy.attr("backup_policy_name"), &Value::from("P1"), "names keep their case");
        assert_eq!(policy.attr("name"), &Value::from("P1"), "the policy's own name");

        let instance = call("parse_backup_instance_id", &[&format!("{VAULT}/backupInstances/i1/")]).unwrap();
        assert_eq!(instance.attr("backup_instance_name"), &Value::from("i1"));
        assert_eq!(instance.attr("name"), &Value::from("i1"));
        let vault = call("parse_backup_vault_id", &[VAULT]).unwrap();
        assert_eq!(vault.attr("id"), &Value::from(VAULT));
        assert_eq!(vault.attr("vault_name"), &Value::from("v1"));
        assert_eq!(vault.attr("name"), &Value::from("v1"));
        assert!(vault.attr("vault_id").is_null(), "a vault's object has no vault_id");
    }

    #[test]
    fn parse_errors_name_what_is_wrong_and_the_right_function() {
        let error = call("parse_backup_instance_id", &[&format!("{VAULT}/backupPolicies/p1")]).unwrap_err();
        assert_eq!(error.argument, Some(0));
        assert!(
            error.text.contains("expected the segment \"backupInstances\" but found \"backupPolicies\""),
            "{}",
            error.text
        );
        assert!(error.text.contains("It is a backup policy ID: use provider::dataprotection::parse_backup_policy_id"));

        let error = call("parse_backup_policy_id", &[VAULT]).unwrap_err();
        assert!(error.text.contains("the segment \"backupPolicies\" is missing"), "{}", error.text);
        assert!(error.text.contains("parse_backup_vault_id"), "{}", error.text);

        let misspelt = VAULT.replace("resourceGroups", "resourceGroup");
        let error = call("parse_backup_vault_id", &[&misspelt]).unwrap_err();
        assert!(
            error.text.contains("expected the segment \"resourceGroups\" but found \"resourceGroup\""),
            "{}",
            error.text
        );
        assert!(!error.text.contains("It is a"), "no other kind fits: {}", error.text);

        let error = call("parse_backup_vault_id", &["/subscriptions/sub1/resourceGroups//providers/x"]).unwrap_err();
        assert!(error.text.contains("empty"), "{}", error.text);
        let error = call("parse_backup_vault_id", &[""]).unwrap_err();
        assert!(error.text.contains("does not start with \"/\""), "{}", error.text);
    }

    #[test]
    fn build_joins_parts_and_refuses_bad_names_on_their_argument() {
        assert_eq!(call("build_backup_vault_id", &["sub1", "rg1", "v1"]).unwrap(), Value::from(VAULT));
        assert_eq!(
            call("build_backup_instance_id", &["sub1", "rg1", "v1", "i1"]).unwrap(),
            Value::from(format!("{VAULT}/backupInstances/i1"))
        );
        let built = call("build_backup_policy_id", &["sub1", "rg1", "v1", "p1"]).unwrap();
        let parsed = call("parse_backup_policy_id", &[built.as_str().unwrap()]).unwrap();
        assert_eq!(parsed.attr("id"), &built, "build and parse round-trip");

        let error = call("build_backup_policy_id", &["sub1", "rg1", "v1", ""]).unwrap_err();
        assert_eq!(error.argument, Some(3));
        assert!(error.text.contains("backup_policy_name is empty"), "{}", error.text);
        let error = call("build_backup_vault_id", &["sub1", "rg/1", "v1"]).unwrap_err();
        assert_eq!(error.argument, Some(1));
        assert!(error.text.contains("'/'"), "{}", error.text);
    }

    #[test]
    fn every_function_is_documented_and_returns_its_declared_type() {
        for function in all() {
            let signature = function.signature();
            assert!(!signature.summary.is_empty() && !signature.description.is_empty(), "{}", function.name());
            assert!(signature.parameters.iter().all(|p| !p.description.is_empty()), "{}", function.name());
        }
        let vault = call("parse_backup_vault_id", &[VAULT]).unwrap();
        let Type::Object(attributes) = IdKind::Vault.object_type() else { panic!("an object type") };
        let Value::Object(values) = vault else { panic!("an object") };
        assert_eq!(attributes.keys().collect::<Vec<_>>(), values.keys().collect::<Vec<_>>());
    }
}
