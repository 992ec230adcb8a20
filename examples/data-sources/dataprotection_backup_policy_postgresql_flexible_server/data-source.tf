data "dataprotection_backup_policy_postgresql_flexible_server" "shared" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/pg-weekly-p3m"
}

output "retention" {
  value = data.dataprotection_backup_policy_postgresql_flexible_server.shared.default_retention_duration
}
