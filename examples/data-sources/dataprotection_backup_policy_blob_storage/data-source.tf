data "dataprotection_backup_policy_blob_storage" "shared" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/blob-p30d"
}

output "retention" {
  value = data.dataprotection_backup_policy_blob_storage.shared.vault_default_retention_duration
}
