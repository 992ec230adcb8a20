data "dataprotection_backup_instances" "all" {
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
}

# The instances that are not fully protected, by name.
output "not_protected" {
  value = [for i in data.dataprotection_backup_instances.all.backup_instances : i.name if i.protection_state != "ProtectionConfigured"]
}
