# A blob backup instance is imported by its ARM ID.
terraform import dataprotection_backup_instance_blob_storage.app_data \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupInstances/stappdata01-blobs
