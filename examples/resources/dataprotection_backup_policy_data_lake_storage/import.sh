# A Data Lake Storage backup policy is imported by its ARM ID.
terraform import dataprotection_backup_policy_data_lake_storage.daily \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/adls-daily-p30d
