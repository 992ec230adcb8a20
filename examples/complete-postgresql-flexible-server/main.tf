# Long-term retention backups of an Azure Database for PostgreSQL flexible server: a backup vault, a weekly
# PostgreSQL flexible server policy, and a backup instance that protects the server.
#
# The defaults match the emulator's default world (the server psql-app-01 in rg-workload). Against Azure, grant
# the vault's identity "PostgreSQL Flexible Server Long Term Retention Backup Role" on the server and "Reader" on its resource
# group before the instance is created (the emulator grants both to every new vault identity).

terraform {
  required_providers {
    dataprotection = {
      source  = "dpkit/dataprotection"
      version = "~> 0.1"
    }
  }
}

provider "dataprotection" {}

variable "subscription_id" {
  description = "Subscription of the resource groups and the server."
  type        = string
  default     = "00000000-0000-0000-0000-00000000b001"
}

variable "location" {
  description = "Region of the vault and of the server."
  type        = string
  default     = "westus"
}

variable "server_id" {
  description = "ARM ID of the PostgreSQL flexible server. Empty means the emulator's psql-app-01."
  type        = string
  default     = ""
}

variable "retention" {
  description = "Default retention of the weekly backups, an ISO 8601 duration."
  type        = string
  default     = "P3M"
}

locals {
  subscription = "/subscriptions/${var.subscription_id}"
  server_id    = coalesce(var.server_id, "${local.subscription}/resourceGroups/rg-workload/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-app-01")
}

resource "dataprotection_backup_vault" "vault" {
  name              = "vault-pg-complete"
  resource_group_id = "${local.subscription}/resourceGroups/rg-backup"
  location          = var.location
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
  soft_delete       = "Off"
}

resource "dataprotection_backup_policy_postgresql_flexible_server" "policy" {
  # Azure cannot change a PostgreSQL flexible server backup policy in place, and does not delete one in use. The
  # name follows the settings, so a change creates the new policy under its own name (create_before_destroy),
  # moves the backup instance to it in place, and only then deletes the old one. Put any other setting you vary
  # into the name too.
  name     = "pg-weekly-${lower(var.retention)}"
  vault_id = dataprotection_backup_vault.vault.id

  # PostgreSQL flexible servers are backed up to the vault once a week.
  backup_repeating_time_intervals = ["R/2024-01-07T02:00:00+00:00/P1W"]
  default_retention_duration      = var.retention
  time_zone                       = "UTC"

  retention_rule {
    name              = "Yearly"
    duration          = "P5Y"
    priority          = 10
    absolute_criteria = "FirstOfYear"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "dataprotection_backup_instance_postgresql_flexible_server" "server" {
  name             = "psql-app-01-ltr"
  vault_id         = dataprotection_backup_vault.vault.id
  datasource_id    = local.server_id
  location         = var.location
  backup_policy_id = dataprotection_backup_policy_postgresql_flexible_server.policy.id
}

output "protection_state" {
  value = dataprotection_backup_instance_postgresql_flexible_server.server.protection_state
}
