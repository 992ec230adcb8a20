# Vaulted backup of Azure Data Lake Storage containers (a storage account with a hierarchical namespace): a
# backup vault, a Data Lake Storage policy, and a backup instance that names the containers.
#
# The defaults match the emulator's default world (the account stlakedata01 in rg-workload, with the containers
# raw and curated). Against Azure, grant the vault's identity "Storage Account Backup Contributor" on the
# storage account before the instance is created (the emulator grants it to every new vault identity).

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
  description = "Subscription of the resource groups and the storage account."
  type        = string
  default     = "00000000-0000-0000-0000-00000000b001"
}

variable "location" {
  description = "Region of the vault and of the storage account."
  type        = string
  default     = "westus"
}

variable "storage_account_id" {
  description = "ARM ID of the Data Lake Storage account. Empty means the emulator's stlakedata01."
  type        = string
  default     = ""
}

variable "retention" {
  description = "Default retention of the daily backups, an ISO 8601 duration."
  type        = string
  default     = "P30D"
}

locals {
  subscription       = "/subscriptions/${var.subscription_id}"
  storage_account_id = coalesce(var.storage_account_id, "${local.subscription}/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/stlakedata01")
}

resource "dataprotection_backup_vault" "vault" {
  name              = "vault-adls-complete"
  resource_group_id = "${local.subscription}/resourceGroups/rg-backup"
  location          = var.location
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"
  soft_delete       = "Off"
}

resource "dataprotection_backup_policy_data_lake_storage" "policy" {
  # Azure cannot change a Data Lake Storage backup policy in place, and does not delete one in use. The name
  # follows the settings, so a change creates the new policy under its own name (create_before_destroy), moves the
  # backup instance to it in place, and only then deletes the old one. Put any other setting you vary into the
  # name too.
  name     = "adls-daily-${lower(var.retention)}"
  vault_id = dataprotection_backup_vault.vault.id

  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/P1D"]
  default_retention_duration      = var.retention
  time_zone                       = "UTC"

  retention_rule {
    name              = "Weekly"
    duration          = "P12W"
    priority          = 25
    absolute_criteria = "FirstOfWeek"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "dataprotection_backup_instance_data_lake_storage" "lake" {
  name                            = "stlakedata01-lake"
  vault_id                        = dataprotection_backup_vault.vault.id
  datasource_id                   = local.storage_account_id
  location                        = var.location
  backup_policy_id                = dataprotection_backup_policy_data_lake_storage.policy.id
  storage_account_container_names = ["raw", "curated"]
}

output "protection_state" {
  value = dataprotection_backup_instance_data_lake_storage.lake.protection_state
}
