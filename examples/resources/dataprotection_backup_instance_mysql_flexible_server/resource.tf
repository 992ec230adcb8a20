resource "dataprotection_backup_instance_mysql_flexible_server" "app" {
  name             = "mysql-app-01-backup"
  vault_id         = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"
  datasource_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-workload/providers/Microsoft.DBforMySQL/flexibleServers/mysql-app-01"
  location         = "westeurope"
  backup_policy_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod/backupPolicies/mysql-weekly-p3m"
}
