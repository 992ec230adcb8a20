resource "dataprotection_backup_instance_data_lake_storage" "lake" {
  name             = "stlakedata01-containers"
  vault_id         = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  datasource_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/stlakedata01"
  location         = "westeurope"
  backup_policy_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/adls-daily-p30d"

  storage_account_container_names = ["raw", "curated"]
}
