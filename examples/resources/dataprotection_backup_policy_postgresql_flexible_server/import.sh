# A PostgreSQL flexible server backup policy is imported by its ARM ID.
terraform import dataprotection_backup_policy_postgresql_flexible_server.weekly \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/pg-weekly-p3m
