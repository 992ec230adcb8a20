output "instance_id" {
  value = provider::dataprotection::build_backup_instance_id("00000000-0000-0000-0000-000000000000", "rg-backup", "vault-prod", "disk-data-01")
}
