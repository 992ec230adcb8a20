locals {
  operational_retention = "P30D"
  vault_retention       = "P90D"
}

# Operational and vaulted backup. The name changes with the settings: with create_before_destroy, a changed
# policy is created under its new name, the backup instances move to it in place, and only then is the old
# policy deleted.
resource "dataprotection_backup_policy_blob_storage" "app_data" {
  name     = "blob-op-${lower(local.operational_retention)}-vault-${lower(local.vault_retention)}"
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"

  # Operational backup: point-in-time restore within the storage account.
  operational_default_retention_duration = local.operational_retention

  # Vaulted backup: a daily copy of the instances' containers in the vault.
  backup_repeating_time_intervals  = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration = local.vault_retention
  time_zone                        = "W. Europe Standard Time"

  retention_rule {
    name              = "Monthly"
    duration          = "P12M"
    priority          = 20
    absolute_criteria = "FirstOfMonth"
  }

  # By the calendar: the first Sunday of January.
  retention_rule {
    name           = "Yearly"
    duration       = "P5Y"
    priority       = 10
    days_of_week   = ["Sunday"]
    weeks_of_month = ["First"]
    months_of_year = ["January"]
  }

  # Blobs may also select days of the month: the 15th and the last day (0) of each quarter's last month.
  retention_rule {
    name           = "QuarterMidAndEnd"
    duration       = "P2Y"
    priority       = 15
    days_of_month  = [15, 0]
    months_of_year = ["March", "June", "September", "December"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

# Operational backup only: no schedule, no vault retention, no retention rules.
resource "dataprotection_backup_policy_blob_storage" "logs" {
  name     = "blob-op-${lower(local.operational_retention)}"
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"

  operational_default_retention_duration = local.operational_retention

  lifecycle {
    create_before_destroy = true
  }
}
