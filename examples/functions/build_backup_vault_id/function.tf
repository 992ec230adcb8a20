output "vault_id" {
  value = provider::dataprotection::build_backup_vault_id("00000000-0000-0000-0000-000000000000", "rg-backup", "vault-prod")
}
