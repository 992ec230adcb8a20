data "dataprotection_backup_policy_data_lake_storage" "shared" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/adls-daily-p30d"
}

output "retention" {
  value = data.dataprotection_backup_policy_data_lake_storage.shared.default_retention_duration
}
