# A resource guard usually lives in a subscription the backup administrators have no rights on.
resource "dataprotection_resource_guard" "guard" {
  name              = "guard-prod"
  resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-security"
  location          = "westeurope"

  # Critical operations the guard does not protect, by Azure's operation names.
  vault_critical_operation_exclusion_list = [
    "Microsoft.DataProtection/backupVaults/backupInstances/restore/action",
  ]

  tags = {
    owner = "security"
  }
}
