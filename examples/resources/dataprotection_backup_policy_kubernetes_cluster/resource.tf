locals {
  retention = "P7D"
}

resource "dataprotection_backup_policy_kubernetes_cluster" "every_4h" {
  # The name changes with the settings, so that a changed policy is created beside the old one
  # (create_before_destroy). Azure does not move AKS backup instances to another policy: the instances that use
  # this one are replaced.
  name     = "aks-4h-${lower(local.retention)}"
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"

  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = local.retention
  time_zone                       = "W. Europe Standard Time"

  retention_rule {
    name              = "Weekly"
    duration          = "P4W"
    priority          = 20
    absolute_criteria = "FirstOfWeek"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A weekly schedule, keeping the backups of the first Sunday of each month longer.
resource "dataprotection_backup_policy_kubernetes_cluster" "weekly" {
  name     = "aks-weekly-p4w"
  vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-prod"

  backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = "P4W"
  time_zone                       = "W. Europe Standard Time"

  retention_rule {
    name           = "FirstSunday"
    duration       = "P12W"
    priority       = 20
    days_of_week   = ["Sunday"]
    weeks_of_month = ["First"]
  }

  lifecycle {
    create_before_destroy = true
  }
}
