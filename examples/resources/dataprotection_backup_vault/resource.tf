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

# The vault's identity needs these roles before it can protect a disk (azurerm shown here).
resource "azurerm_role_assignment" "disk_reader" {
  scope                = azurerm_managed_disk.disk.id
  role_definition_name = "Disk Backup Reader"
  principal_id         = dataprotection_backup_vault.vault.identity_principal_id
}

resource "azurerm_role_assignment" "snapshot_contributor" {
  scope                = azurerm_resource_group.snapshots.id
  role_definition_name = "Disk Snapshot Contributor"
  principal_id         = dataprotection_backup_vault.vault.identity_principal_id
}
