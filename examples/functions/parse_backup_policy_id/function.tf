locals {
  # Any case of the fixed segments is accepted; id comes back in ARM's spelling.
  policy = provider::dataprotection::parse_backup_policy_id("/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-backup/providers/microsoft.dataprotection/backupvaults/vault-prod/backuppolicies/disk-daily")
}

output "policy_vault_id" {
  value = local.policy.vault_id # "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
}

output "policy_name" {
  value = local.policy.backup_policy_name # "disk-daily"
}
