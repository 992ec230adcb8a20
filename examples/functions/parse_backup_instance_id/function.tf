locals {
  instance = provider::dataprotection::parse_backup_instance_id("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupInstances/disk-data-01")
}

output "instance_name" {
  value = local.instance.backup_instance_name # "disk-data-01"
}
