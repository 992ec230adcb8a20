data "dataprotection_backup_instance" "disk" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupInstances/disk-app-01-backup"
}

output "protection_state" {
  value = data.dataprotection_backup_instance.disk.protection_state
}
