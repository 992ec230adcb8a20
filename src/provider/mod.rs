//! The provider configuration: credentials, clouds and endpoints.
