# A customer-managed key is imported by the ARM ID of its backup vault.
terraform import dataprotection_backup_vault_customer_managed_key.cmk \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod
