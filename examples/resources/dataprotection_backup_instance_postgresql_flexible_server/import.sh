# A PostgreSQL flexible server backup instance is imported by its ARM ID.
terraform import dataprotection_backup_instance_postgresql_flexible_server.app \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupInstances/psql-app-01-backup
