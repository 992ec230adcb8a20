resource "dataprotection_backup_instance" "disk" {
  name                       = "disk-app-01-backup"
  vault_id                   = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  datasource_id              = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-workload/providers/Microsoft.Compute/disks/disk-app-01"
  location                   = "westeurope"
  backup_policy_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/disk-4h-p7d"
  snapshot_resource_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-snapshots"

  timeouts {
    create = "45m"
  }
}
