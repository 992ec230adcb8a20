data "dataprotection_backup_policy_kubernetes_cluster" "shared" {
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/aks-4h-p7d"
}

output "retention" {
  value = data.dataprotection_backup_policy_kubernetes_cluster.shared.default_retention_duration
}
