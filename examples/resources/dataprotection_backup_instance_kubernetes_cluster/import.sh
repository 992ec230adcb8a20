# A Kubernetes cluster backup instance is imported by its ARM ID.
terraform import dataprotection_backup_instance_kubernetes_cluster.aks \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupInstances/aks-app-01-backup
