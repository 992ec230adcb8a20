//! `/metadata/endpoints`: ARM's cloud metadata, pointing at the emulator, so `metadata_host` finds everything.
//!
//! api-version 2022-09-01 answers one object (the shape go-azure-sdk reads); 2019-05-01 answers the older array of
//! clouds, with the emulator's first.

use crate::util::set_field;
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ArmError;
use super::front::ResponseMeta;
use super::state::EmulatorState;

/// The cloud name the metadata reports.
pub const CLOUD_NAME: &str = "DataProtectionEmulator";

/// `GET /metadata/endpoints?api-version=...`.
pub(crate) async fn endpoints(
    State(state): State<Arc<EmulatorState>>,
    Query(query): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let base = super::front::request_base(&uri, &headers, &state);
    let body = match query.get("api-version").map(String::as_str) {
        Some("2022-09-01") => metadata(&base, false),
        Some("2019-05-01") | Some("2018-01-01") => Value::Array(vec![metadata(&base, true)]),
        Some(other) => {
            return ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                format!("The api-version '{other}' is invalid. The supported versions are '2022-09-01,2019-05-01'."),
            )
            .into_response();
        }
        None => {
            return ArmError::new(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
            .into_response();
        }
    };
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response.extensions_mut().insert(ResponseMeta::default());
    response
}

fn metadata(base: &str, legacy: bool) -> Value {
    let slash = format!("{base}/");
    let mut value = json!({
        "portal": base,
        "authentication": {
            "loginEndpoint": if legacy { slash.clone() } else { base.to_owned() },
            "audiences": [slash.clone(), "https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": CLOUD_NAME,
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": slash,
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
    });
    if legacy {
        set_field(&mut value, "gallery", json!("https://gallery.azure.com/"));
    } else {
        for (key, resource) in [
            ("microsoftGraphResourceId", "https://graph.microsoft.com/"),
            ("appInsightsResourceId", "https://api.applicationinsights.io"),
            ("appInsightsTelemetryChannelResourceId", "https://dc.applicationinsights.azure.com/v2/track"),
            ("attestationResourceId", "https://attest.azure.net"),
            ("synapseAnalyticsResourceId", "https://dev.azuresynapse.net"),
            ("logAnalyticsResourceId", "https://api.loganalytics.io"),
            ("ossrDbmsResourceId", "https://ossrdbms-aad.database.windows.net"),
        ] {
            set_field(&mut value, key, json!(resource));
        }
    }
    value
}
