locals {
  retention = "P3M"
}

resource "dataprotection_backup_policy_postgresql_flexible_server" "weekly" {
  # The name changes with the settings: with create_before_destroy, a changed policy is created under its new
  # name, the backup instances move to it in place, and only then is the old policy deleted.
  name     = "pg-weekly-${lower(local.retention)}"
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"

  # PostgreSQL flexible servers are backed up to the vault once a week.
  backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = local.retention
  time_zone                       = "W. Europe Standard Time"

  retention_rule {
    name              = "Monthly"
    duration          = "P12M"
    priority          = 20
    absolute_criteria = "FirstOfMonth"
  }

  retention_rule {
    name              = "Yearly"
    duration          = "P10Y"
    priority          = 10
    absolute_criteria = "FirstOfYear"
  }

  # By the calendar instead: the backups of the first and last Sunday of each quarter's first month.
  retention_rule {
    name           = "QuarterStartAndEnd"
    duration       = "P2Y"
    priority       = 15
    days_of_week   = ["Sunday"]
    weeks_of_month = ["First", "Last"]
    months_of_year = ["January", "April", "July", "October"]
  }

  lifecycle {
    create_before_destroy = true
  }
}
