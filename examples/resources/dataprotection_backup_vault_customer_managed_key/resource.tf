resource "dataprotection_backup_vault" "vault" {
  name              = "vault-prod"
  resource_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup"
  location          = "westeurope"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"

  identity_type = "SystemAssigned, UserAssigned"
  identity_ids  = ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-cmk"]
}

# The identity needs Get, Wrap Key and Unwrap Key on the key before this is applied.
resource "dataprotection_backup_vault_customer_managed_key" "cmk" {
  vault_id                  = dataprotection_backup_vault.vault.id
  key_vault_key_id          = "https://kv-backup.vault.azure.net/keys/backup-key"
  user_assigned_identity_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-cmk"
}
