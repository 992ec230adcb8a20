# A backup vault is imported by its ARM ID.
terraform import dataprotection_backup_vault.vault \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod
