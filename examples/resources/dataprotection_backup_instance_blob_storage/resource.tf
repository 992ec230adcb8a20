# Operational and vaulted backup: the policy has both tiers, and the instance names the containers vaulted
# backup copies to the vault.
resource "dataprotection_backup_instance_blob_storage" "app_data" {
  name             = "stappdata01-blobs"
  vault_id         = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  datasource_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/stappdata01"
  location         = "westeurope"
  backup_policy_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/blob-op-p30d-vault-p90d"

  storage_account_container_names = ["invoices", "reports"]
}

# Operational backup only: the policy has no vaulted tier, and the instance names no containers.
resource "dataprotection_backup_instance_blob_storage" "logs" {
  name             = "stlogs01-blobs"
  vault_id         = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  datasource_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/stlogs01"
  location         = "westeurope"
  backup_policy_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/blob-op-p30d"
}
