locals {
  retention = "P30D"
}

resource "dataprotection_backup_policy_data_lake_storage" "daily" {
  # The name changes with the settings: with create_before_destroy, a changed policy is created under its new
  # name, the backup instances move to it in place, and only then is the old policy deleted.
  name     = "adls-daily-${lower(local.retention)}"
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"

  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = local.retention
  time_zone                       = "W. Europe Standard Time"

  retention_rule {
    name              = "Weekly"
    duration          = "P12W"
    priority          = 25
    absolute_criteria = "FirstOfWeek"
  }

  # By the calendar: the Saturday and Sunday backups of the first week of each month.
  retention_rule {
    name           = "FirstWeekend"
    duration       = "P12M"
    priority       = 20
    days_of_week   = ["Saturday", "Sunday"]
    weeks_of_month = ["First"]
  }

  lifecycle {
    create_before_destroy = true
  }
}
