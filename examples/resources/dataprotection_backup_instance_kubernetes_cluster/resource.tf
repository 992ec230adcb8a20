resource "dataprotection_backup_instance_kubernetes_cluster" "aks" {
  name                       = "aks-app-01-backup"
  vault_id                   = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  datasource_id              = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-workload/providers/Microsoft.ContainerService/managedClusters/aks-app-01"
  location                   = "westeurope"
  backup_policy_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/aks-4h-p7d"
  snapshot_resource_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks-snapshots"

  backup_datasource_parameters {
    excluded_namespaces              = ["kube-system"]
    excluded_resource_types          = ["v1/Secret"]
    cluster_scoped_resources_enabled = true
    volume_snapshot_enabled          = true
  }

  timeouts {
    create = "45m"
  }
}
