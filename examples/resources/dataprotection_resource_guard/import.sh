# A resource guard is imported by its ARM ID.
terraform import dataprotection_resource_guard.guard \
  /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-security/providers/Microsoft.DataProtection/resourceGuards/guard-prod
