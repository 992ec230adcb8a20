//! Azure clouds: the resource manager, the sign-in authority and the token scope of each, and discovery of a
//! custom cloud from a metadata host.

use serde::Deserialize;
use url::Url;

/// Where a cloud's services live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// Cloud name, for messages.
    pub name: String,
    /// The resource manager, for example `https://management.azure.com/`.
    pub resource_manager: Url,
    /// The Entra authority host, for example `https://login.microsoftonline.com/`.
    pub authority_host: Url,
    /// The scope tokens are requested for, for example `https://management.core.windows.net//.default`.
    pub token_scope: String,
}

/// The named environments of the `environment` argument.
pub const ENVIRONMENTS: &[&str] = &["public", "usgovernment", "china"];

fn url(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|_| unreachable!("built-in endpoint {s} is a valid URL"))
}

/// The endpoints of a named environment (`public`, `usgovernment`, `china`), or `None` for another name.
pub fn environment(name: &str) -> Option<CloudEndpoints> {
    let (display, arm, authority, audience) = match name.to_ascii_lowercase().as_str() {
        "public" | "azurecloud" | "azurepubliccloud" => (
            "public",
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
            "https://management.core.windows.net/",
        ),
        "usgovernment" | "azureusgovernment" | "azureusgovernmentcloud" => (
            "usgovernment",
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us/",
            "https://management.core.usgovcloudapi.net",
        ),
        "china" | "azurechinacloud" => (
            "china",
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn/",
            "https://management.core.chinacloudapi.cn",
        ),
        _ => return None,
    };
    Some(CloudEndpoints {
        name: display.to_owned(),
        resource_manager: url(arm),
        authority_host: url(authority),
        token_scope: scope_for_audience(audience),
    })
}

/// `{audience}/.default`; an audience that ends in `/` keeps it, as Entra expects (`...windows.net//.default`).
pub fn scope_for_audience(audience: &str) -> String {
    format!("{audience}/.default")
}

/// One cloud in a `/metadata/endpoints` document.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataCloud {
    #[serde(default)]
    name: Option<String>,
    resource_manager: String,
    authentication: MetadataAuthentication,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataAuthentication {
    login_endpoint: String,
    #[serde(default)]
    audiences: Vec<String>,
}

/// The metadata path and api-version the provider asks a metadata host for.
pub const METADATA_PATH: &str = "/metadata/endpoints?api-version=2022-09-01";

/// Reads a `/metadata/endpoints` document, in either form ARM serves: a single cloud object, or an array of
/// clouds (then the one whose resource manager is on `metadata_host` wins, else the first).
pub fn parse_metadata(body: &[u8], metadata_host: &str) -> Result<CloudEndpoints, String> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the metadata document is not JSON: {e}"))?;
    let clouds: Vec<MetadataCloud> = match json {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the metadata document has an unreadable cloud: {e}"))?,
        object => {
            vec![serde_json::from_value(object).map_err(|e| format!("the metadata document is unreadable: {e}"))?]
        }
    };
    let host = metadata_host.to_ascii_lowercase();
    let cloud = clouds
        .iter()
        .find(|c| Url::parse(&c.resource_manager).ok().and_then(|u| authority_of(&u)).is_some_and(|a| a == host))
        .or_else(|| clouds.first())
        .ok_or("the metadata document lists no cloud")?;
    let resource_manager = Url::parse(&cloud.resource_manager)
        .map_err(|_| format!("resourceManager {:?} is not a URL", cloud.resource_manager))?;
    let authority_host = Url::parse(&cloud.authentication.login_endpoint)
        .map_err(|_| format!("loginEndpoint {:?} is not a URL", cloud.authentication.login_endpoint))?;
    let audience = cloud.authentication.audiences.first().cloned().unwrap_or_else(|| cloud.resource_manager.clone());
    Ok(CloudEndpoints {
        name: cloud.name.clone().unwrap_or_else(|| metadata_host.to_owned()),
        resource_manager,
        authority_host,
        token_scope: scope_for_audience(&audience),
    })
}

/// `host[:port]` of a URL, lowercased, the port only when it is not the default.
fn authority_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// True for `host` or `host:port` with nothing else (no scheme, user, path or query), as `metadata_host` takes.
pub fn is_host_and_port(text: &str) -> bool {
    if text.is_empty() || text.contains(['/', '\\', '@', '?', '#']) || text.contains(char::is_whitespace) {
        return false;
    }
    Url::parse(&format!("https://{text}/")).is_ok_and(|url| url.host_str().is_some() && url.path() == "/")
}

/// Applies explicit endpoint overrides, which win over a named environment and over discovery, then checks the
/// result: the resource manager on https (or http on loopback), the authority on https (azure_identity signs in
/// over https only).
pub fn with_overrides(
    mut cloud: CloudEndpoints,
    resource_manager: Option<&Url>,
    authority_host: Option<&Url>,
) -> Result<CloudEndpoints, String> {
    if let Some(url) = resource_manager {
        cloud.resource_manager = url.clone();
    }
    if let Some(url) = authority_host {
        cloud.authority_host = url.clone();
    }
    check_endpoint("the resource manager", &cloud.resource_manager)?;
    if cloud.authority_host.scheme() != "https" {
        return Err(format!("the authority host {} must use https", cloud.authority_host));
    }
    Ok(cloud)
}

/// True for `localhost` and loopback IP addresses.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks an endpoint URL: https, or http on loopback only.
pub fn check_endpoint(what: &str, url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!("{what} {url} uses plain http; only https is allowed, except on loopback addresses")),
        other => Err(format!("{what} {url} has the scheme {other:?}; expected https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CONTRACT.md §7: each cloud's ARM endpoint, Entra authority, and the scope azcore builds from its audience.
    #[test]
    fn named_environments_match_contract_section_7() {
        let table = [
            (
                "public",
                "https://management.azure.com/",
                "https://login.microsoftonline.com/",
                "https://management.core.windows.net//.default",
            ),
            (
                "china",
                "https://management.chinacloudapi.cn/",
                "https://login.chinacloudapi.cn/",
                "https://management.core.chinacloudapi.cn/.default",
            ),
            (
                "usgovernment",
                "https://management.usgovcloudapi.net/",
                "https://login.microsoftonline.us/",
                "https://management.core.usgovcloudapi.net/.default",
            ),
        ];
        assert_eq!(ENVIRONMENTS.len(), table.len());
        for (name, arm, authority, scope) in table {
            let cloud = environment(name).unwrap();
            assert_eq!(cloud.name, name);
            assert_eq!(cloud.resource_manager.as_str(), arm, "{name}");
            assert_eq!(cloud.authority_host.as_str(), authority, "{name}");
            assert_eq!(cloud.token_scope, scope, "{name}");
            assert!(ENVIRONMENTS.contains(&name));
            assert_eq!(environment(&name.to_ascii_uppercase()), Some(cloud), "names match without case");
        }
    }

    #[test]
    fn overrides_win_over_discovery_and_are_checked() {
        let discovered = parse_metadata(
            br#"{"name":"Stack","resourceManager":"https://arm.stack.test/","authentication":{"loginEndpoint":"https://login.stack.test/","audiences":["https://management.stack.test/x"]}}"#,
            "arm.stack.test",
        )
        .unwrap();
        let arm = Url::parse("http://127.0.0.1:8080/").unwrap();
        let login = Url::parse("https://login.elsewhere.test/").unwrap();
        let cloud = with_overrides(discovered.clone(), Some(&arm), Some(&login)).unwrap();
        assert_eq!(cloud.resource_manager, arm);
        assert_eq!(cloud.authority_host, login);
        assert_eq!(cloud.token_scope, "https://management.stack.test/x/.default", "the audience stays discovered");
        assert_eq!(with_overrides(discovered.clone(), None, None).unwrap(), discovered);
        let plain = Url::parse("http://arm.stack.test/").unwrap();
        assert!(with_overrides(discovered.clone(), Some(&plain), None).unwrap_err().contains("plain http"));
        let plain_login = Url::parse("http://127.0.0.1:9/").unwrap();
        assert!(with_overrides(discovered, None, Some(&plain_login)).unwrap_err().contains("must use https"));
    }

    #[test]
    fn named_environments_match_the_published_endpoints() {
        let public = environment("public").unwrap();
        assert_eq!(public.resource_manager.as_str(), "https://management.azure.com/");
        assert_eq!(public.authority_host.as_str(), "https://login.microsoftonline.com/");
        assert_eq!(public.token_scope, "https://management.core.windows.net//.default");
        let gov = environment("usgovernment").unwrap();
        assert_eq!(gov.resource_manager.as_str(), "https://management.usgovcloudapi.net/");
        assert_eq!(gov.authority_host.as_str(), "https://login.microsoftonline.us/");
        assert_eq!(gov.token_scope, "https://management.core.usgovcloudapi.net/.default");
        let china = environment("China").unwrap();
        assert_eq!(china.resource_manager.as_str(), "https://management.chinacloudapi.cn/");
        assert_eq!(china.authority_host.as_str(), "https://login.chinacloudapi.cn/");
        assert_eq!(china.token_scope, "https://management.core.chinacloudapi.cn/.default");
        assert!(environment("german").is_none());
    }

    #[test]
    fn metadata_in_both_forms() {
        let single = br#"{"name":"Stack","resourceManager":"https://127.0.0.1:8443/","authentication":{"loginEndpoint":"https://127.0.0.1:8443/","audiences":["https://management.stack.local/abc"]}}"#;
        let cloud = parse_metadata(single, "127.0.0.1:8443").unwrap();
        assert_eq!(cloud.resource_manager.as_str(), "https://127.0.0.1:8443/");
        assert_eq!(cloud.token_scope, "https://management.stack.local/abc/.default");

        let array = br#"[{"name":"AzureCloud","resourceManager":"https://management.azure.com/","authentication":{"loginEndpoint":"https://login.microsoftonline.com","audiences":["https://management.core.windows.net/"]}},
                        {"name":"Mine","resourceManager":"https://arm.mine.local:444/","authentication":{"loginEndpoint":"https://login.mine.local/","audiences":[]}}]"#;
        let cloud = parse_metadata(array, "ARM.mine.local:444").unwrap();
        assert_eq!(cloud.name, "Mine");
        assert_eq!(cloud.token_scope, "https://arm.mine.local:444//.default");
        let first = parse_metadata(array, "elsewhere").unwrap();
        assert_eq!(first.name, "AzureCloud");

        assert!(parse_metadata(b"<html>", "x").is_err());
        assert!(parse_metadata(b"[]", "x").is_err());
        assert!(parse_metadata(br#"{"resourceManager":"nope","authentication":{"loginEndpoint":"x"}}"#, "x").is_err());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(check_endpoint("e", &Url::parse("http://127.0.0.1:1/").unwrap()).is_ok());
        assert!(check_endpoint("e", &Url::parse("http://localhost:1/").unwrap()).is_ok());
        assert!(check_endpoint("e", &Url::parse("http://[::1]:1/").unwrap()).is_ok());
        assert!(check_endpoint("e", &Url::parse("http://management.azure.com/").unwrap()).is_err());
        assert!(check_endpoint("e", &Url::parse("ftp://x/").unwrap()).is_err());
        assert!(check_endpoint("e", &Url::parse("https://x/").unwrap()).is_ok());
    }
}
