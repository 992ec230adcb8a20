data "dataprotection_backup_policy_disk" "daily" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/disk-daily"
}

output "retention" {
  value = data.dataprotection_backup_policy_disk.daily.default_retention_duration
}
