//! The Azure Resource Manager client: typed IDs, the HTTP pipeline, long-running operations and errors.
