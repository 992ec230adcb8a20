# The ID of a policy managed in another configuration, for an instance's policy_id.
output "policy_id" {
  value = provider::dataprotection::build_backup_policy_id("00000000-0000-0000-0000-000000000000", "rg-backup", "vault-prod", "disk-daily")
}
