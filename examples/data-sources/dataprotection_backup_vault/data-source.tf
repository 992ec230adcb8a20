data "dataprotection_backup_vault" "vault" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
}

# The vault's identity, for role assignments on the disks it protects.
output "vault_principal_id" {
  value = data.dataprotection_backup_vault.vault.identity_principal_id
}
