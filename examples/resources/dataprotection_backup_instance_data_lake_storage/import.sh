# A Data Lake Storage backup instance is imported by its ARM ID.
terraform import dataprotection_backup_instance_data_lake_storage.lake \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupInstances/stlakedata01-containers
