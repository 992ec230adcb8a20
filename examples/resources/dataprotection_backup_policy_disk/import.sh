# A disk backup policy is imported by its ARM ID.
terraform import dataprotection_backup_policy_disk.every_4h \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/disk-4h-p7d
