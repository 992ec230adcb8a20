# A blob backup policy is imported by its ARM ID.
terraform import dataprotection_backup_policy_blob_storage.app_data \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/blob-op-p30d-vault-p90d
