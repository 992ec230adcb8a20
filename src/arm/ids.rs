//! Typed Azure Resource Manager IDs.
//!
//! ARM treats every segment of an ID case-insensitively, so parsing accepts any case for the fixed segments
//! (`resourceGroups`, `providers`, `Microsoft.DataProtection`, ...), equality ignores case, and `Display` prints
//! the canonical spelling with the names exactly as given. Names are checked for characters that could change
//! the request path once the ID is put into a URL.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Why a string is not the ID that was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a valid {kind} ID: {reason}. Expected the form {pattern}")]
pub struct IdError {
    /// The kind of ID that was expected, for example "backup vault".
    pub kind: &'static str,
    /// The canonical pattern of that kind.
    pub pattern: &'static str,
    /// The input, as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks one name segment: not empty, and nothing that could alter a request path or query.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a name is empty".to_owned());
    }
    if name == "." || name == ".." || name.contains("..") {
        return Err(format!("the name {name:?} contains \"..\""));
    }
    if let Some(c) =
        name.chars().find(|c| matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "the name {name:?} contains the character {c:?}, which is not allowed in an Azure resource name"
        ));
    }
    Ok(())
}

/// An ID split into its `key/value` pairs, after the leading `/`.
struct Segments<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Segments<'a> {
    fn parse(input: &'a str) -> Result<Segments<'a>, String> {
        let trimmed = input.trim_end_matches('/');
        let Some(rest) = trimmed.strip_prefix('/') else {
            return Err("it does not start with \"/\"".to_owned());
        };
        let parts: Vec<&str> = rest.split('/').collect();
        if !parts.len().is_multiple_of(2) {
            return Err(format!("the segment {:?} has no value", parts[parts.len() - 1]));
        }
        let mut pairs = Vec::with_capacity(parts.len() / 2);
        for pair in parts.chunks(2) {
            if pair[0].is_empty() {
                return Err("it contains an empty segment (\"//\")".to_owned());
            }
            check_name(pair[1])?;
            pairs.push((pair[0], pair[1]));
        }
        Ok(Segments { pairs })
    }

    /// Takes the pairs in order, checking each key against `keys` (case-insensitively). The last key may be
    /// `providers`, whose value is the namespace that must match too.
    fn expect(&self, keys: &[&str]) -> Result<Vec<&'a str>, String> {
        if self.pairs.len() < keys.len() {
            let missing = keys[self.pairs.len()];
            return Err(format!("the segment {missing:?} is missing"));
        }
        if self.pairs.len() > keys.len() {
            let (extra, _) = self.pairs[keys.len()];
            return Err(format!("it has an unexpected segment {extra:?} after the expected ones"));
        }
        let mut values = Vec::with_capacity(keys.len());
        for ((key, value), expected) in self.pairs.iter().zip(keys) {
            if let Some(namespace) = expected.strip_prefix("providers:") {
                if !key.eq_ignore_ascii_case("providers") {
                    return Err(format!("expected the segment \"providers\" but found {key:?}"));
                }
                if !value.eq_ignore_ascii_case(namespace) {
                    return Err(format!("expected the provider {namespace:?} but found {value:?}"));
                }
                continue;
            }
            if !key.eq_ignore_ascii_case(expected) {
                return Err(format!("expected the segment {expected:?} but found {key:?}"));
            }
            values.push(*value);
        }
        Ok(values)
    }
}

macro_rules! id_equality {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.to_string().eq_ignore_ascii_case(&other.to_string())
            }
        }
        impl Eq for $t {}
        impl Hash for $t {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.to_string().to_ascii_lowercase().hash(state);
            }
        }
    };
}

/// `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}`.
#[derive(Clone, Debug)]
pub struct ResourceGroupId {
    /// Subscription ID.
    pub subscription_id: String,
    /// Resource group name.
    pub name: String,
}

impl ResourceGroupId {
    const KIND: &'static str = "resource group";
    const PATTERN: &'static str = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";
}

impl FromStr for ResourceGroupId {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        let err =
            |reason: String| IdError { kind: Self::KIND, pattern: Self::PATTERN, input: input.to_owned(), reason };
        let values =
            Segments::parse(input).and_then(|s| s.expect(&["subscriptions", "resourceGroups"])).map_err(err)?;
        Ok(ResourceGroupId { subscription_id: values[0].to_owned(), name: values[1].to_owned() })
    }
}

impl fmt::Display for ResourceGroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/subscriptions/{}/resourceGroups/{}", self.subscription_id, self.name)
    }
}
id_equality!(ResourceGroupId);

/// Declares an ID type made of a parent plus `/{key}/{name}` segments under a provider namespace.
macro_rules! provider_id {
    (
        $(#[$doc:meta])*
        $name:ident, kind: $kind:literal, pattern: $pattern:literal,
        keys: [$($key:literal),+], resource_type: $rtype:literal,
        build: |$values:ident| $build:expr,
        display: |$self_:ident, $f:ident| $display:expr
    ) => {
        $(#[$doc])*
        impl $name {
            /// What this kind of ID is called in messages.
            pub const KIND: &'static str = $kind;
            /// The canonical form of this kind of ID.
            pub const PATTERN: &'static str = $pattern;
            /// The ARM resource type, for example `Microsoft.Compute/disks`.
            pub const RESOURCE_TYPE: &'static str = $rtype;
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(input: &str) -> Result<Self, IdError> {
                let err =
                    |reason: String| IdError { kind: Self::KIND, pattern: Self::PATTERN, input: input.to_owned(), reason };
                let $values = Segments::parse(input)
                    .and_then(|s| s.expect(&[$($key),+]))
                    .map_err(err)?;
                Ok($build)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&$self_, $f: &mut fmt::Formatter<'_>) -> fmt::Result {
                $display
            }
        }
        id_equality!($name);
    };
}

/// A managed disk: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{name}`.
#[derive(Clone, Debug)]
pub struct ManagedDiskId {
    /// The disk's resource group.
    pub resource_group: ResourceGroupId,
    /// Disk name.
    pub name: String,
}

provider_id!(
    ManagedDiskId, kind: "managed disk",
    pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/disks/{diskName}",
    keys: ["subscriptions", "resourceGroups", "providers:Microsoft.Compute", "disks"],
    resource_type: "Microsoft.Compute/disks",
    build: |v| ManagedDiskId {
        resource_group: ResourceGroupId { subscription_id: v[0].to_owned(), name: v[1].to_owned() },
        name: v[2].to_owned(),
    },
    display: |self, f| write!(f, "{}/providers/Microsoft.Compute/disks/{}", self.resource_group, self.name)
);

/// A backup vault: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{name}`.
#[derive(Clone, Debug)]
pub struct BackupVaultId {
    /// The vault's resource group.
    pub resource_group: ResourceGroupId,
    /// Vault name.
    pub name: String,
}

provider_id!(
    BackupVaultId, kind: "backup vault",
    pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DataProtection/backupVaults/{vaultName}",
    keys: ["subscriptions", "resourceGroups", "providers:Microsoft.DataProtection", "backupVaults"],
    resource_type: "Microsoft.DataProtection/backupVaults",
    build: |v| BackupVaultId {
        resource_group: ResourceGroupId { subscription_id: v[0].to_owned(), name: v[1].to_owned() },
        name: v[2].to_owned(),
    },
    display: |self, f| write!(f, "{}/providers/Microsoft.DataProtection/backupVaults/{}", self.resource_group, self.name)
);

impl BackupVaultId {
    /// The subscription the vault is in.
    pub fn subscription_id(&self) -> &str {
        &self.resource_group.subscription_id
    }
}

/// A resource guard: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/resourceGuards/{name}`.
#[derive(Clone, Debug)]
pub struct ResourceGuardId {
    /// The resource guard's resource group.
    pub resource_group: ResourceGroupId,
    /// Resource guard name.
    pub name: String,
}

provider_id!(
    ResourceGuardId, kind: "resource guard",
    pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DataProtection/resourceGuards/{resourceGuardName}",
    keys: ["subscriptions", "resourceGroups", "providers:Microsoft.DataProtection", "resourceGuards"],
    resource_type: "Microsoft.DataProtection/resourceGuards",
    build: |v| ResourceGuardId {
        resource_group: ResourceGroupId { subscription_id: v[0].to_owned(), name: v[1].to_owned() },
        name: v[2].to_owned(),
    },
    display: |self, f| write!(f, "{}/providers/Microsoft.DataProtection/resourceGuards/{}", self.resource_group, self.name)
);

/// A vault's resource guard proxy, the association of the vault with a resource guard:
/// `{vault}/backupResourceGuardProxies/{name}` (Azure names the one a vault may have `DppResourceGuardProxy`).
#[derive(Clone, Debug)]
pub struct ResourceGuardProxyId {
    /// The vault.
    pub vault: BackupVaultId,
    /// Proxy name.
    pub name: String,
}

provider_id!(
    ResourceGuardProxyId, kind: "resource guard association",
    pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DataProtection/backupVaults/{vaultName}/backupResourceGuardProxies/{resourceGuardProxyName}",
    keys: ["subscriptions", "resourceGroups", "providers:Microsoft.DataProtection", "backupVaults", "backupResourceGuardProxies"],
    resource_type: "Microsoft.DataProtection/backupVaults/backupResourceGuardProxies",
    build: |v| ResourceGuardProxyId {
        vault: BackupVaultId {
            resource_group: ResourceGroupId { subscription_id: v[0].to_owned(), name: v[1].to_owned() },
            name: v[2].to_owned(),
        },
        name: v[3].to_owned(),
    },
    display: |self, f| write!(f, "{}/backupResourceGuardProxies/{}", self.vault, self.name)
);

impl ResourceGuardProxyId {
    /// The name Azure gives a vault's one resource guard proxy.
    pub const NAME: &'static str = "DppResourceGuardProxy";

    /// The proxy of `vault`.
    pub fn of(vault: &BackupVaultId) -> ResourceGuardProxyId {
        ResourceGuardProxyId { vault: vault.clone(), name: Self::NAME.to_owned() }
    }
}

/// A backup policy: `{vault}/backupPolicies/{name}`.
#[derive(Clone, Debug)]
pub struct BackupPolicyId {
    /// The vault the policy belongs to.
    pub vault: BackupVaultId,
    /// Policy name.
    pub name: String,
}

provider_id!(
    BackupPolicyId, kind: "backup policy",
    pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DataProtection/backupVaults/{vaultName}/backupPolicies/{policyName}",
    keys: ["subscriptions", "resourceGroups", "providers:Microsoft.DataProtection", "backupVaults", "backupPolicies"],
    resource_type: "Microsoft.DataProtection/backupVaults/backupPolicies",
    build: |v| BackupPolicyId {
        vault: BackupVaultId {
            resource_group: ResourceGroupId { subscription_id: v[0].to_owned(), name: v[1].to_owned() },
            name: v[2].to_owned(),
        },
        name: v[3].to_owned(),
    },
    display: |self, f| write!(f, "{}/backupPolicies/{}", self.vault, self.name)
);

/// A backup instance: `{vault}/backupInstances/{name}`.
#[derive(Clone, Debug)]
pub struct BackupInstanceId {
    /// The vault the instance belongs to.
    pub vault: BackupVaultId,
    /// Instance name.
    pub name: String,
}

provider_id!(
    BackupInstanceId, kind: "backup instance",
    pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DataProtection/backupVaults/{vaultName}/backupInstances/{backupInstanceName}",
    keys: ["subscriptions", "resourceGroups", "providers:Microsoft.DataProtection", "backupVaults", "backupInstances"],
    resource_type: "Microsoft.DataProtection/backupVaults/backupInstances",
    build: |v| BackupInstanceId {
        vault: BackupVaultId {
            resource_group: ResourceGroupId { subscription_id: v[0].to_owned(), name: v[1].to_owned() },
            name: v[2].to_owned(),
        },
        name: v[3].to_owned(),
    },
    display: |self, f| write!(f, "{}/backupInstances/{}", self.vault, self.name)
);

/// Any resource ID under a resource group: `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}...`.
#[derive(Clone, Debug)]
pub struct GenericResourceId {
    /// The resource's resource group.
    pub resource_group: ResourceGroupId,
    /// The provider namespace, for example `Microsoft.Compute`.
    pub namespace: String,
    /// `(type, name)` pairs, outermost first, for example `[("disks", "d1")]`.
    pub types: Vec<(String, String)>,
}

impl GenericResourceId {
    const KIND: &'static str = "Azure resource";
    const PATTERN: &'static str =
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{namespace}/{type}/{name}";

    /// The full resource type, for example `Microsoft.Compute/disks`.
    pub fn resource_type(&self) -> String {
        let mut t = self.namespace.clone();
        for (ty, _) in &self.types {
            t.push('/');
            t.push_str(ty);
        }
        t
    }

    /// The innermost resource name.
    pub fn name(&self) -> &str {
        self.types.last().map(|(_, n)| n.as_str()).unwrap_or_default()
    }
}

impl FromStr for GenericResourceId {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        let err =
            |reason: String| IdError { kind: Self::KIND, pattern: Self::PATTERN, input: input.to_owned(), reason };
        let segments = Segments::parse(input).map_err(err)?;
        let pairs = &segments.pairs;
        let key_is = |i: usize, k: &str| pairs.get(i).is_some_and(|(key, _)| key.eq_ignore_ascii_case(k));
        if !key_is(0, "subscriptions") {
            return Err(err("the segment \"subscriptions\" is missing".into()));
        }
        if !key_is(1, "resourceGroups") {
            return Err(err("the segment \"resourceGroups\" is missing".into()));
        }
        if !key_is(2, "providers") {
            return Err(err("the segment \"providers\" is missing".into()));
        }
        if pairs.len() < 4 {
            return Err(err("it names no resource type after the provider namespace".into()));
        }
        if pairs[3..].iter().any(|(k, _)| k.eq_ignore_ascii_case("providers")) {
            return Err(err("extension resources (a second \"providers\" segment) are not supported here".into()));
        }
        Ok(GenericResourceId {
            resource_group: ResourceGroupId { subscription_id: pairs[0].1.to_owned(), name: pairs[1].1.to_owned() },
            namespace: pairs[2].1.to_owned(),
            types: pairs[3..].iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        })
    }
}

impl fmt::Display for GenericResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/providers/{}", self.resource_group, self.namespace)?;
        for (ty, name) in &self.types {
            write!(f, "/{ty}/{name}")?;
        }
        Ok(())
    }
}
id_equality!(GenericResourceId);

/// True when two ARM IDs name the same resource (ARM compares IDs case-insensitively).
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/').eq_ignore_ascii_case(b.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "/subscriptions/00000000-0000-0000-0000-00000000b001/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";

    #[test]
    fn vault_id_round_trips_and_ignores_case() {
        let id: BackupVaultId = VAULT.parse().unwrap();
        assert_eq!(id.name, "vault-demo");
        assert_eq!(id.subscription_id(), "00000000-0000-0000-0000-00000000b001");
        assert_eq!(id.to_string(), VAULT);
        let lower: BackupVaultId = VAULT.to_lowercase().parse().unwrap();
        assert_eq!(lower, id);
        assert_eq!(
            lower.to_string(),
            VAULT
                .to_lowercase()
                .replace(
                    "/providers/microsoft.dataprotection/backupvaults/",
                    "/providers/Microsoft.DataProtection/backupVaults/"
                )
                .replace("/resourcegroups/", "/resourceGroups/")
        );
    }

    #[test]
    fn malformed_ids_are_rejected_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            ("", "does not start"),
            ("subscriptions/s/resourceGroups/r", "does not start"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults", "has no value"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection", "\"backupVaults\" is missing"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/backupVaults/v", "expected the provider"),
            (
                "/subscriptions/s/resourceGroup/r/providers/Microsoft.DataProtection/backupVaults/v",
                "expected the segment",
            ),
            (
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/x/y",
                "unexpected segment",
            ),
            ("/subscriptions//resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v", "empty"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v%2F", "'%'"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/a b", "' '"),
            ("/subscriptions/s/resourceGroups/../providers/Microsoft.DataProtection/backupVaults/v", ".."),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v?x=1", "'?'"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v#x", "'#'"),
            ("/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v\u{7}", "'\\u{7}'"),
        ];
        for (input, reason) in cases {
            let err = input.parse::<BackupVaultId>().expect_err(input);
            assert!(err.to_string().contains(reason), "{input:?}: {err}");
            assert!(err.to_string().contains("backup vault"), "{err}");
        }
    }

    #[test]
    fn instance_and_policy_ids_nest_the_vault() {
        let bi: BackupInstanceId = format!("{VAULT}/backupInstances/bi-1").parse().unwrap();
        assert_eq!(bi.vault.name, "vault-demo");
        assert_eq!(bi.name, "bi-1");
        let p: BackupPolicyId = format!("{VAULT}/BACKUPPOLICIES/p1").parse().unwrap();
        assert_eq!(p.to_string(), format!("{VAULT}/backupPolicies/p1"));
        assert!(format!("{VAULT}/backupPolicies/p1").parse::<BackupInstanceId>().is_err());
    }

    #[test]
    fn disk_ids_and_generic_ids() {
        let disk = "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/disks/d1";
        let id: ManagedDiskId = disk.parse().unwrap();
        assert_eq!(id.to_string(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1");
        let generic: GenericResourceId = disk.parse().unwrap();
        assert_eq!(generic.resource_type(), "microsoft.compute/disks");
        assert_eq!(generic.name(), "d1");
        let nested: GenericResourceId =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default"
                .parse()
                .unwrap();
        assert_eq!(nested.resource_type(), "Microsoft.Storage/storageAccounts/blobServices");
        assert!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute".parse::<GenericResourceId>().is_err());
        assert!("/subscriptions/s/resourceGroups/rg".parse::<GenericResourceId>().is_err());
    }

    #[test]
    fn trailing_slash_is_tolerated_and_equality_is_case_insensitive() {
        let a: ResourceGroupId = "/subscriptions/S/resourceGroups/RG/".parse().unwrap();
        let b: ResourceGroupId = "/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg".parse().unwrap();
        assert_eq!(a, b);
        assert!(same_id("/a/B/", "/A/b"));
        assert!(!same_id("/a/b", "/a/c"));
    }

    #[test]
    fn name_check_rejects_path_changers() {
        for bad in ["", "a/b", "a?b", "a#b", "a%2e", "..", "a..b", " a", "a\tb", "a\nb", "a\\b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in ["bi-1", "disk_01", "A.b", "name-with-ünïcode"] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
    }
}
