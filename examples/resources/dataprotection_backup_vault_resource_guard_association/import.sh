# An association is imported by the ARM ID of the vault's resource guard proxy.
terraform import dataprotection_backup_vault_resource_guard_association.mua \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupResourceGuardProxies/DppResourceGuardProxy
