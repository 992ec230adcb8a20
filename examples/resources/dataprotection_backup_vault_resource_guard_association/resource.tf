# Multi-user authorisation: critical operations on the vault need an authorisation from the resource guard.
resource "dataprotection_backup_vault_resource_guard_association" "mua" {
  vault_id          = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  resource_guard_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-security/providers/Microsoft.DataProtection/resourceGuards/guard-prod"
}
