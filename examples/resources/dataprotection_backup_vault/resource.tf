resource "dataprotection_backup_vault" "vault" {
  name              = "vault-prod"
  resource_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup"
  location          = "westeurope"
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"

  # "AlwaysOn" cannot be undone: the plan that sets it says so.
  soft_delete                = "On"
  retention_duration_in_days = 14

  tags = {
    environment = "production"
  }
}

# Role assignments can reference the vault's identity, for example with azurerm:
#   principal_id = dataprotection_backup_vault.vault.identity_principal_id
output "vault_identity" {
  value = dataprotection_backup_vault.vault.identity_principal_id
}
