//! The kinds of backup policy, one per datasource kind, and what differs between them: the datasource type, the
//! data store backups go to, the backup type, the intervals Azure allows, the criteria retention rules may select
//! by, and (blobs only) the operational tier beside the vaulted one. The resource itself, with its offline checks
//! and its lifecycle, is `backup_policy.rs`'s `BackupPolicyType`.

use crate::arm::models::DISK_DATASOURCE_TYPE;

use super::instance_kinds::{
    BlobStorage, DataLakeStorage, InstanceKind, KubernetesCluster, MySqlFlexibleServer, PostgreSqlFlexibleServer,
};

/// Azure's operational store: snapshots in the customer's own subscription.
pub(crate) const OPERATIONAL_STORE: &str = "OperationalStore";
/// Azure's vault store: copies in the backup vault.
pub(crate) const VAULT_STORE: &str = "VaultStore";

/// What one kind of backup policy is made of.
pub(crate) trait PolicyKind: Send + Sync + 'static {
    /// The resource type name, for example `dataprotection_backup_policy_disk`.
    const TYPE_NAME: &'static str;
    /// The datasource type the policy is for (`datasourceTypes`).
    const DATASOURCE_TYPE: &'static str;
    /// What the policy backs up, for docs and messages: `managed disks`.
    const NOUN: &'static str;
    /// The data store scheduled backups go to and the retention rules keep them in.
    const STORE: &'static str;
    /// The backup rule's `backupType`.
    const BACKUP_TYPE: &'static str;
    /// The intervals a schedule may repeat at.
    const INTERVALS: &'static [&'static str];
    /// The absolute criteria retention rules may select backups by.
    const CRITERIA: &'static [&'static str];
    /// A schedule to show in messages.
    const EXAMPLE_INTERVAL: &'static str;
    /// A policy name that changes with its settings, to show in messages.
    const EXAMPLE_NAME: &'static str;
    /// The longest Azure keeps this kind's backups, in years, where Microsoft documents it.
    const MAX_RETENTION_YEARS: Option<u32> = None;
    /// The longest Azure keeps this kind's backups, in days, where Microsoft documents it in days.
    const MAX_RETENTION_DAYS: Option<u32> = None;
    /// Blobs: an operational tier (`operational_default_retention_duration`) beside the vaulted one
    /// (`vault_default_retention_duration` and the schedule), each optional.
    const OPERATIONAL_TIER: bool = false;
    /// Retention rules may also select backups by day of the week, week of the month, month of the year and
    /// backup time (`ScheduleBasedBackupCriteria`'s `daysOfTheWeek`, `weeksOfTheMonth`, `monthsOfYear` and
    /// `scheduleTimes`) instead of by absolute criteria. Every kind but managed disks.
    const CALENDAR_CRITERIA: bool = true;
    /// Retention rules may also select backups by day of the month (`daysOfMonth`): blobs, as azurerm's blob
    /// policy offers `days_of_month` and no other kind's.
    const DAYS_OF_MONTH: bool = false;
}

/// The days of the week, as Azure spells them (`DayOfWeek`).
pub(crate) const DAYS_OF_WEEK: &[&str] =
    &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
/// The weeks of a month, as Azure spells them (`WeekNumber`).
pub(crate) const WEEKS_OF_MONTH: &[&str] = &["First", "Second", "Third", "Fourth", "Last"];
/// The months, as Azure spells them (`Month`).
pub(crate) const MONTHS_OF_YEAR: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Managed disk policies: `dataprotection_backup_policy_disk`.
#[derive(Debug, Default)]
pub struct DiskPolicy;

impl PolicyKind for DiskPolicy {
    const TYPE_NAME: &'static str = "dataprotection_backup_policy_disk";
    const DATASOURCE_TYPE: &'static str = DISK_DATASOURCE_TYPE;
    const NOUN: &'static str = "managed disks";
    const STORE: &'static str = OPERATIONAL_STORE;
    const BACKUP_TYPE: &'static str = "Incremental";
    const INTERVALS: &'static [&'static str] = &["PT4H", "PT6H", "PT8H", "PT12H", "P1D"];
    const CRITERIA: &'static [&'static str] =
        &["AllBackup", "FirstOfDay", "FirstOfWeek", "FirstOfMonth", "FirstOfYear"];
    const EXAMPLE_INTERVAL: &'static str = "R/2024-01-01T02:00:00+00:00/PT4H";
    const EXAMPLE_NAME: &'static str = "disk-daily-p14d";
    // Disk retention rules select the first backup of the day or week only (azurerm's disk policy offers
    // absolute_criteria alone, as Microsoft's disk backup docs describe).
    const CALENDAR_CRITERIA: bool = false;
}

/// Blob policies: operational backup, vaulted backup, or both: `dataprotection_backup_policy_blob_storage`.
#[derive(Debug, Default)]
pub struct BlobStoragePolicy;

impl PolicyKind for BlobStoragePolicy {
    const TYPE_NAME: &'static str = "dataprotection_backup_policy_blob_storage";
    const DATASOURCE_TYPE: &'static str = BlobStorage::DATASOURCE_TYPE;
    const NOUN: &'static str = "blobs";
    const STORE: &'static str = VAULT_STORE;
    const BACKUP_TYPE: &'static str = "Discrete";
    const INTERVALS: &'static [&'static str] = &["P1D", "P1W"];
    const CRITERIA: &'static [&'static str] = &["FirstOfWeek", "FirstOfMonth", "FirstOfYear"];
    const EXAMPLE_INTERVAL: &'static str = "R/2024-01-01T02:00:00+00:00/P1D";
    const EXAMPLE_NAME: &'static str = "blob-p30d";
    const OPERATIONAL_TIER: bool = true;
    const DAYS_OF_MONTH: bool = true;
}

/// Data Lake Storage policies (vaulted backup): `dataprotection_backup_policy_data_lake_storage`.
#[derive(Debug, Default)]
pub struct DataLakeStoragePolicy;

impl PolicyKind for DataLakeStoragePolicy {
    const TYPE_NAME: &'static str = "dataprotection_backup_policy_data_lake_storage";
    const DATASOURCE_TYPE: &'static str = DataLakeStorage::DATASOURCE_TYPE;
    const NOUN: &'static str = "Data Lake Storage containers";
    const STORE: &'static str = VAULT_STORE;
    const BACKUP_TYPE: &'static str = "Discrete";
    const INTERVALS: &'static [&'static str] = &["P1D", "P1W"];
    const CRITERIA: &'static [&'static str] = &["FirstOfWeek", "FirstOfMonth", "FirstOfYear"];
    const EXAMPLE_INTERVAL: &'static str = "R/2024-01-01T02:00:00+00:00/P1D";
    const EXAMPLE_NAME: &'static str = "adls-daily-p30d";
}

/// Kubernetes cluster policies (operational tier): `dataprotection_backup_policy_kubernetes_cluster`.
#[derive(Debug, Default)]
pub struct KubernetesClusterPolicy;

impl PolicyKind for KubernetesClusterPolicy {
    const TYPE_NAME: &'static str = "dataprotection_backup_policy_kubernetes_cluster";
    const DATASOURCE_TYPE: &'static str = KubernetesCluster::DATASOURCE_TYPE;
    const NOUN: &'static str = "Kubernetes clusters";
    const STORE: &'static str = OPERATIONAL_STORE;
    const BACKUP_TYPE: &'static str = "Incremental";
    // Weekly as well: azurerm's own example and acceptance tests schedule AKS backups every P1W.
    const INTERVALS: &'static [&'static str] = &["PT4H", "PT6H", "PT8H", "PT12H", "P1D", "P1W"];
    const CRITERIA: &'static [&'static str] = &["FirstOfDay", "FirstOfWeek"];
    const EXAMPLE_INTERVAL: &'static str = "R/2024-01-01T02:00:00+00:00/PT4H";
    const EXAMPLE_NAME: &'static str = "aks-4h-p7d";
    // Microsoft, "Back up Azure Kubernetes Service using Azure CLI": AKS backups are retained for restore for up
    // to 360 days (the operational store, the only one this resource keeps backups in).
    const MAX_RETENTION_DAYS: Option<u32> = Some(360);
}

/// PostgreSQL flexible server policies (weekly, to the vault): `dataprotection_backup_policy_postgresql_flexible_server`.
#[derive(Debug, Default)]
pub struct PostgreSqlFlexibleServerPolicy;

impl PolicyKind for PostgreSqlFlexibleServerPolicy {
    const TYPE_NAME: &'static str = "dataprotection_backup_policy_postgresql_flexible_server";
    const DATASOURCE_TYPE: &'static str = PostgreSqlFlexibleServer::DATASOURCE_TYPE;
    const NOUN: &'static str = "PostgreSQL flexible servers";
    const STORE: &'static str = VAULT_STORE;
    const BACKUP_TYPE: &'static str = "Full";
    const INTERVALS: &'static [&'static str] = &["P1W"];
    const CRITERIA: &'static [&'static str] = &["FirstOfWeek", "FirstOfMonth", "FirstOfYear"];
    const EXAMPLE_INTERVAL: &'static str = "R/2024-01-07T02:00:00+00:00/P1W";
    const EXAMPLE_NAME: &'static str = "pg-weekly-p3m";
    // Microsoft: long-term retention of PostgreSQL flexible servers up to 10 years.
    const MAX_RETENTION_YEARS: Option<u32> = Some(10);
}

/// MySQL flexible server policies (weekly, to the vault): `dataprotection_backup_policy_mysql_flexible_server`.
#[derive(Debug, Default)]
pub struct MySqlFlexibleServerPolicy;

impl PolicyKind for MySqlFlexibleServerPolicy {
    const TYPE_NAME: &'static str = "dataprotection_backup_policy_mysql_flexible_server";
    const DATASOURCE_TYPE: &'static str = MySqlFlexibleServer::DATASOURCE_TYPE;
    const NOUN: &'static str = "MySQL flexible servers";
    const STORE: &'static str = VAULT_STORE;
    const BACKUP_TYPE: &'static str = "Full";
    const INTERVALS: &'static [&'static str] = &["P1W"];
    const CRITERIA: &'static [&'static str] = &["FirstOfWeek", "FirstOfMonth", "FirstOfYear"];
    const EXAMPLE_INTERVAL: &'static str = "R/2024-01-07T02:00:00+00:00/P1W";
    const EXAMPLE_NAME: &'static str = "mysql-weekly-p3m";
}
