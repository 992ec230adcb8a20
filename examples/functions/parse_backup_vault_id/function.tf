locals {
  vault = provider::dataprotection::parse_backup_vault_id("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod")
}

output "vault_resource_group" {
  value = local.vault.resource_group_name # "rg-backup"
}
