//! What the provider hands to its resources once configured, and the shared place it is kept: the provider block
//! fills it at ConfigureProvider, resources read it. It lives here, below the provider, so that the provider lists
//! resources and resources never import the provider.

use std::sync::{Arc, RwLock};

use crate::arm::ArmClient;

/// What a configured provider hands to its resources.
#[derive(Debug)]
pub struct Configured {
    /// The Data Protection client.
    pub client: ArmClient,
    /// The default subscription.
    pub subscription_id: Option<String>,
    /// Whether plan runs validateForBackup.
    pub validate_on_plan: bool,
}

/// The provider's configuration, shared by the provider and every resource: not configured yet, not known yet
/// (arguments unknown during plan), or ready with a signed-in client.
#[derive(Debug, Default)]
pub struct ProviderConfiguration {
    inner: RwLock<Configuration>,
}

#[derive(Debug, Default)]
enum Configuration {
    #[default]
    NotConfigured,
    Unknown(Vec<String>),
    Ready(Arc<Configured>),
}

/// Why a resource cannot reach Azure right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// ConfigureProvider has not run.
    NotConfigured,
    /// Some provider arguments are unknown until apply.
    Unknown(Vec<String>),
}

impl ProviderConfiguration {
    /// The configured client, or why there is none.
    pub fn get(&self) -> Result<Arc<Configured>, NotReady> {
        match &*self.inner.read().unwrap_or_else(|p| p.into_inner()) {
            Configuration::Ready(c) => Ok(c.clone()),
            Configuration::Unknown(names) => Err(NotReady::Unknown(names.clone())),
            Configuration::NotConfigured => Err(NotReady::NotConfigured),
        }
    }

    fn set(&self, configuration: Configuration) {
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = configuration;
    }

    /// Records that provider arguments (`names`) are not known yet: resources that need Azure say so.
    pub fn set_unknown(&self, names: Vec<String>) {
        self.set(Configuration::Unknown(names));
    }

    /// Installs the configured client (ConfigureProvider; tests and benchmarks that build their own pipeline).
    pub fn set_configured(&self, configured: Configured) {
        self.set(Configuration::Ready(Arc::new(configured)));
    }
}
