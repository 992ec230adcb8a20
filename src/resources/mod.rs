//! The resource and data source types, one file each.
