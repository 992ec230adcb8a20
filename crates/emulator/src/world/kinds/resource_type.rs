//! The ARM resource types datasources are (managed disks, storage accounts, AKS clusters, flexible servers): the
//! [`ResourceType`] the rest of the emulator asks, the routes they serve below a resource group, and the one
//! generic piece that serves, seeds, saves and lists any of them from its [`ArmType`] description, so that a kind's
//! module states only what is its own (what it keeps, what a GET answers, what a PUT takes, its sub-resources).

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::{Seeding, World};
use crate::error::{ArmError, arm};
use crate::ids::{self, ArmId};
use crate::inventory::{Inventory, InventoryDatasource};
use crate::scenario::Scenario;

/// An ARM resource type that datasources of some kind are: where the world keeps them, the routes that serve them
/// (synchronously: the emulator keeps only what the backup rules look at), how a scenario seeds them and a saved
/// world keeps them, and how the inventory shows them. Every [`ArmType`] is one, through the generic piece below.
pub(crate) trait ResourceType: Sync {
    /// Its resource provider namespace (`Microsoft.Storage`).
    fn namespace(&self) -> &'static str;

    /// Its type in the namespace (`storageAccounts`).
    fn type_name(&self) -> &'static str;

    /// What one is called in messages (`storage account`).
    fn noun(&self) -> &'static str;

    /// What the emulator says it serves of the type, when it answers a namespace it does not serve.
    fn served(&self) -> String {
        self.full_type()
    }

    /// Whether a subscription-scope path in the namespace names an unknown type (404 `InvalidResourceType`) rather
    /// than a namespace the emulator does not serve (409 `MissingSubscriptionRegistration`).
    fn known_at_subscription_scope(&self) -> bool {
        false
    }

    /// The routes it serves below `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/`.
    fn routes(&self) -> &'static [DatasourceRoute];

    /// Answers a request on one of its routes.
    fn serve(&self, world: &mut World, request: &ResourceRequest<'_>) -> Result<Answer, ArmError>;

    /// Whether the world holds one with this key.
    fn contains(&self, world: &World, key: &str) -> bool;

    /// Adds the scenario's entries of the type to the world. Errors name the entry that is inconsistent.
    fn seed(&self, scenario: &Scenario, world: &mut World, seeding: &Seeding) -> Result<(), String>;

    /// Adds the world's resources of the type to a scenario (what `--state-dir` persists).
    fn save(&self, world: &World, scenario: &mut Scenario);

    /// Adds the world's resources of the type to the inventory; `protected_by` gives the ID of the instance
    /// protecting a key.
    fn inventory(&self, world: &World, protected_by: &dyn Fn(&str) -> Option<String>, inventory: &mut Inventory);

    /// Removes the resources of the type in a resource group (`prefix`: its key and a slash), as deleting the
    /// group does.
    fn remove_in_group(&self, world: &mut World, prefix: &str);

    /// `Microsoft.Storage/storageAccounts`.
    fn full_type(&self) -> String {
        format!("{}/{}", self.namespace(), self.type_name())
    }

    /// The ID of one in a resource group.
    fn id(&self, group_id: &str, name: &str) -> String {
        format!("{group_id}/providers/{}/{}/{name}", self.namespace(), self.type_name())
    }

    /// Whether `id` names a resource of this type in a resource group.
    fn is_id_of(&self, id: &ArmId) -> bool {
        id.resource_group.is_some() && id.is_type(self.namespace(), &[self.type_name()])
    }
}

/// A route of a resource type: a list at `path`, one resource at `path/{name}`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DatasourceRoute {
    /// The segments after the namespace as ARM spells them, `{}` where a parent's name goes:
    /// `storageAccounts/{}/blobServices/default/containers`.
    pub path: &'static str,
    /// The operation name (the journal's and fault rules', as the namespace's spec names it) of a list.
    pub list: &'static str,
    /// The operation name of a GET or HEAD of one resource.
    pub get: &'static str,
    /// The operation name of a PUT or PATCH of one resource.
    pub put: &'static str,
    /// The operation name of a DELETE of one resource.
    pub delete: &'static str,
}

impl DatasourceRoute {
    /// Where in a request path's segments (`tail`, after the namespace, in lower case) this route's `{}`s are, and
    /// whether the path names one resource (`Some` of its name's index) or the list; `None` when the path is not
    /// this route's.
    fn matches(&self, tail: &[&str]) -> Option<(Vec<usize>, Option<usize>)> {
        let pattern: Vec<&str> = self.path.split('/').collect();
        let item = match tail.len().checked_sub(pattern.len())? {
            0 => None,
            1 => Some(pattern.len()),
            _ => return None,
        };
        let mut parents = Vec::new();
        for (index, (expected, segment)) in pattern.iter().zip(tail).enumerate() {
            if *expected == "{}" {
                parents.push(index);
            } else if !expected.eq_ignore_ascii_case(segment) {
                return None;
            }
        }
        Some((parents, item))
    }

    /// The operation a request with `method` on this route is.
    pub fn operation(&self, one: bool, method: &str) -> &'static str {
        match (one, method) {
            (false, _) => self.list,
            (true, "GET" | "HEAD") => self.get,
            (true, "PUT" | "PATCH") => self.put,
            (true, "DELETE") => self.delete,
            _ => "Unknown",
        }
    }
}

/// A request path on a resource type's route: which route, the names of the parents its `{}`s stand for, and the
/// resource's own name (`None` for the list).
#[derive(Clone)]
pub(crate) struct DatasourcePath {
    pub resource_type: &'static dyn ResourceType,
    pub route: &'static DatasourceRoute,
    pub parents: Vec<String>,
    pub name: Option<String>,
}

impl DatasourcePath {
    /// The path `tail` (the lower-case segments after `namespace`; `segment(i)` the i-th as the request spelled
    /// it) names on a route of a resource type in that namespace.
    pub fn parse(namespace: &str, tail: &[&str], segment: impl Fn(usize) -> String) -> Option<DatasourcePath> {
        for resource_type in super::resource_types() {
            if !resource_type.namespace().eq_ignore_ascii_case(namespace) {
                continue;
            }
            for route in resource_type.routes() {
                if let Some((parents, item)) = route.matches(tail) {
                    return Some(DatasourcePath {
                        resource_type,
                        route,
                        parents: parents.into_iter().map(&segment).collect(),
                        name: item.map(&segment),
                    });
                }
            }
        }
        None
    }

    /// Whether a namespace holds a resource type of a datasource kind.
    pub fn is_served_namespace(namespace: &str) -> bool {
        super::resource_types().iter().any(|resource_type| resource_type.namespace().eq_ignore_ascii_case(namespace))
    }

    /// Whether a namespace's subscription-scope paths name unknown types (see
    /// [`ResourceType::known_at_subscription_scope`]).
    pub fn is_known_at_subscription_scope(namespace: &str) -> bool {
        super::resource_types().iter().any(|resource_type| {
            resource_type.known_at_subscription_scope() && resource_type.namespace().eq_ignore_ascii_case(namespace)
        })
    }

    /// The operation name of a request with `method` on this path.
    pub fn operation(&self, method: &str) -> &'static str {
        self.route.operation(self.name.is_some(), method)
    }
}

impl std::fmt::Debug for DatasourcePath {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DatasourcePath")
            .field("namespace", &self.resource_type.namespace())
            .field("route", &self.route.path)
            .field("parents", &self.parents)
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for DatasourcePath {
    fn eq(&self, other: &DatasourcePath) -> bool {
        self.resource_type.namespace() == other.resource_type.namespace()
            && self.route == other.route
            && self.parents == other.parents
            && self.name == other.name
    }
}

impl Eq for DatasourcePath {}

/// A request on a datasource route, as the ARM layer hands it over.
pub(crate) struct ResourceRequest<'a> {
    pub method: &'a Method,
    pub subscription: &'a str,
    pub resource_group: &'a str,
    pub path: &'a DatasourcePath,
    /// The request's JSON body, or the error of a body that is missing or not JSON (read only by writes).
    pub body: &'a dyn Fn() -> Result<Value, ArmError>,
    /// The emulator's clock.
    pub now_ms: u64,
}

/// A successful answer: a status and a JSON body, if any.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Option<Value>,
}

impl Answer {
    /// An answer with a body.
    pub fn json(status: StatusCode, body: Value) -> Answer {
        Answer { status, body: Some(body) }
    }
}

/// The resource group of a request, which must exist: its key, ID and region.
pub(crate) struct RequestGroup {
    pub key: String,
    pub id: String,
    pub location: String,
}

impl RequestGroup {
    /// The request's resource group, 404 `ResourceGroupNotFound` when there is none.
    pub fn of(world: &World, request: &ResourceRequest<'_>) -> Result<RequestGroup, ArmError> {
        let key = ids::resource_group_id(request.subscription, request.resource_group).to_ascii_lowercase();
        let group =
            world.resource_groups.get(&key).ok_or_else(|| arm::resource_group_not_found(request.resource_group))?;
        Ok(RequestGroup { id: group.id.clone(), location: group.location.clone(), key })
    }

    /// The request's resource group, then 405 unless the method is GET, HEAD, PUT or DELETE (the order storage
    /// accounts, clusters and flexible servers answer in).
    pub fn checked(world: &World, request: &ResourceRequest<'_>) -> Result<RequestGroup, ArmError> {
        let group = RequestGroup::of(world, request)?;
        if !matches!(*request.method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE) {
            return Err(arm::method_not_allowed(request.method.as_str()));
        }
        Ok(group)
    }

    /// The region a PUT's body names, else the group's.
    pub fn location(&self, body: &Value) -> String {
        body.get("location")
            .and_then(Value::as_str)
            .filter(|location| !location.is_empty())
            .map_or_else(|| self.location.clone(), str::to_owned)
    }

    /// The key prefix of the group's resources of a type.
    pub fn prefix(&self, resource_type: &dyn ResourceType) -> String {
        format!("{}/providers/{}/", self.key, resource_type.full_type().to_ascii_lowercase())
    }
}

/// `{"value": [...]}` of `(key, rendered)` pairs, in key order, so that answers do not depend on hash order.
pub(super) fn list(mut items: Vec<(String, Value)>) -> Answer {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Answer::json(StatusCode::OK, json!({ "value": items.into_iter().map(|(_, value)| value).collect::<Vec<_>>() }))
}

/// 200 for a list; 405 for any other method.
pub(super) fn list_only(
    request: &ResourceRequest<'_>,
    items: impl FnOnce() -> Vec<(String, Value)>,
) -> Result<Answer, ArmError> {
    if *request.method != Method::GET {
        return Err(arm::method_not_allowed(request.method.as_str()));
    }
    Ok(list(items()))
}

/// 201 for a new resource, 200 for an existing one.
pub(super) fn created_or_ok(created: bool) -> StatusCode {
    if created { StatusCode::CREATED } else { StatusCode::OK }
}

/// The answer to a DELETE: 200 when the resource existed, 204 when it did not.
pub(super) fn deleted(existed: bool) -> Answer {
    Answer { status: if existed { StatusCode::OK } else { StatusCode::NO_CONTENT }, body: None }
}

/// A string field of `properties` in a request body.
pub(super) fn property<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.pointer(&format!("/properties/{name}")).and_then(Value::as_str)
}

/// The error of a path no route of the resource type matches (the router only hands over its own routes).
pub(super) fn unknown_route(path: &DatasourcePath) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        format!("The resource type '{}' could not be found.", path.route.path),
    )
}

/// What describes a resource type: its names, and the routes it serves.
pub(crate) struct TypeInfo {
    /// Its resource provider namespace (`Microsoft.Storage`).
    pub namespace: &'static str,
    /// Its type in the namespace (`storageAccounts`).
    pub type_name: &'static str,
    /// What one is called in messages (`storage account`).
    pub noun: &'static str,
    /// What else it serves, said after its type when the emulator answers a namespace it does not serve
    /// (`(and blob containers)`).
    pub with: Option<&'static str>,
    /// See [`ResourceType::known_at_subscription_scope`].
    pub known_at_subscription_scope: bool,
    /// Its routes: the first is the type's own (`type_name`: the list, and one resource), the others its
    /// sub-resources below one resource (one `{}`: the parent's name).
    pub routes: &'static [DatasourceRoute],
}

/// What the world keeps of one datasource, as the generic piece sees it: its ID (as first written) and region.
pub(crate) trait Placed {
    /// Its ARM ID, as first written.
    fn id(&self) -> &str;
    /// Its region.
    fn location(&self) -> &str;
}

/// A scenario's entry of one datasource: where it goes.
pub(crate) trait Placement {
    /// Its subscription; the scenario's first when absent.
    fn subscription_id(&self) -> &Option<String>;
    /// Its resource group, which the scenario must hold.
    fn resource_group(&self) -> &str;
    /// Its name.
    fn name(&self) -> &str;
    /// Its region; the resource group's when absent.
    fn location(&self) -> Option<&str>;
}

/// `impl Placed` for structs with `id` and `location` fields.
macro_rules! placed {
    ($($item:ty),+) => {$(
        impl $crate::world::kinds::resource_type::Placed for $item {
            fn id(&self) -> &str {
                &self.id
            }
            fn location(&self) -> &str {
                &self.location
            }
        }
    )+};
}
pub(super) use placed;

/// `impl Placement` for scenario entries with `subscription_id`, `resource_group`, `name` and `location` fields.
macro_rules! placement {
    ($($seed:ty),+) => {$(
        impl $crate::world::kinds::resource_type::Placement for $seed {
            fn subscription_id(&self) -> &Option<String> {
                &self.subscription_id
            }
            fn resource_group(&self) -> &str {
                &self.resource_group
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn location(&self) -> Option<&str> {
                self.location.as_deref()
            }
        }
    )+};
}
pub(super) use placement;

/// A PUT of one resource of a type, as [`ArmType::put`] gets it.
pub(crate) struct Put<'a> {
    /// Its ID, as this request spells it.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its resource group, which exists.
    pub group: &'a RequestGroup,
    /// The request's body.
    pub body: &'a Value,
    /// The emulator's clock.
    pub now_ms: u64,
}

/// An ARM resource type as a kind's module describes it: what is its own. Every `ArmType` is a [`ResourceType`],
/// served by one generic piece: the resource group first (404), then the method (405); the list of a resource
/// group (200, in key order); a GET or HEAD of one (200, else 404 `ResourceNotFound`); a PUT (201 when new, else
/// 200, with what a GET answers); a DELETE (200, or 204 when there was none); its sub-resources' routes handed to
/// [`ArmType::serve_below`]. It also seeds, saves, lists in the inventory and removes with a resource group.
pub(crate) trait ArmType: Sync + 'static {
    /// What the world keeps of one.
    type Item: Placed;
    /// A scenario's entry of one.
    type Seed: Placement;

    /// Its names and routes.
    fn info(&self) -> &'static TypeInfo;

    /// Where the world keeps them, by lower-case ID.
    fn stored<'w>(&self, world: &'w World) -> &'w HashMap<String, Self::Item>;

    /// [`ArmType::stored`], to change.
    fn stored_mut<'w>(&self, world: &'w mut World) -> &'w mut HashMap<String, Self::Item>;

    /// What a GET of one answers.
    fn render(&self, item: &Self::Item) -> Value;

    /// Stores one from a PUT: a new one, or a change of the one the world holds with that ID.
    fn put(&self, world: &mut World, put: &Put<'_>) -> Result<(), ArmError>;

    /// Removes one, as a DELETE or its resource group's delete does; whether it existed.
    fn remove(&self, world: &mut World, key: &str) -> bool {
        self.stored_mut(world).remove(key).is_some()
    }

    /// Answers a request on one of its sub-resources' routes, below the resource named `parent`.
    fn serve_below(
        &self,
        _world: &mut World,
        request: &ResourceRequest<'_>,
        _group: &RequestGroup,
        _parent: &str,
    ) -> Result<Answer, ArmError> {
        Err(unknown_route(request.path))
    }

    /// Its entries in a scenario.
    fn seeds<'s>(&self, scenario: &'s Scenario) -> &'s [Self::Seed];

    /// [`ArmType::seeds`], to add to.
    fn seeds_mut<'s>(&self, scenario: &'s mut Scenario) -> &'s mut Vec<Self::Seed>;

    /// Adds a scenario's entry to the world, in resource group `group_id` and region `location`.
    fn add_seed(&self, world: &mut World, group_id: &str, location: &str, seed: &Self::Seed, now_ms: u64);

    /// The scenario's entry that brings `item` back, in `subscription_id` and `resource_group`.
    fn to_seed(&self, item: &Self::Item, subscription_id: String, resource_group: String) -> Self::Seed;

    /// What the inventory says of one beyond its ID, type, region and protecting instance.
    fn describe(&self, _item: &Self::Item, _entry: &mut InventoryDatasource) {}

    /// Adds the world's resources of the type to the inventory: one [`InventoryDatasource`] each.
    fn inventory(&self, world: &World, protected_by: &dyn Fn(&str) -> Option<String>, inventory: &mut Inventory) {
        for (key, item) in self.stored(world) {
            let mut entry = InventoryDatasource {
                id: item.id().to_owned(),
                resource_type: format!("{}/{}", self.info().namespace, self.info().type_name),
                location: item.location().to_owned(),
                protected_by: protected_by(key),
                ..InventoryDatasource::default()
            };
            self.describe(item, &mut entry);
            inventory.datasources.push(entry);
        }
    }
}

impl<T: ArmType> ResourceType for T {
    fn namespace(&self) -> &'static str {
        self.info().namespace
    }

    fn type_name(&self) -> &'static str {
        self.info().type_name
    }

    fn noun(&self) -> &'static str {
        self.info().noun
    }

    fn served(&self) -> String {
        match self.info().with {
            Some(with) => format!("{} {with}", self.full_type()),
            None => self.full_type(),
        }
    }

    fn known_at_subscription_scope(&self) -> bool {
        self.info().known_at_subscription_scope
    }

    fn routes(&self) -> &'static [DatasourceRoute] {
        self.info().routes
    }

    fn serve(&self, world: &mut World, request: &ResourceRequest<'_>) -> Result<Answer, ArmError> {
        let group = RequestGroup::checked(world, request)?;
        let path = request.path;
        let own = path.route.path == self.type_name();
        match (own, path.parents.as_slice(), &path.name) {
            (true, [], None) => {
                let prefix = group.prefix(self);
                list_only(request, || {
                    let items = self.stored(world).iter().filter(|(key, _)| key.starts_with(&prefix));
                    items.map(|(key, item)| (key.clone(), self.render(item))).collect()
                })
            }
            (true, [], Some(name)) => serve_one(self, world, request, &group, name),
            (false, [parent], _) => self.serve_below(world, request, &group, parent),
            _ => Err(unknown_route(path)),
        }
    }

    fn contains(&self, world: &World, key: &str) -> bool {
        self.stored(world).contains_key(key)
    }

    fn seed(&self, scenario: &Scenario, world: &mut World, seeding: &Seeding) -> Result<(), String> {
        for seed in self.seeds(scenario) {
            let what = format!("{} '{}'", self.noun(), seed.name());
            let (group_id, group_location) =
                seeding.group_of(world, seed.subscription_id(), seed.resource_group(), what)?;
            let location = seed.location().map_or(group_location, str::to_owned);
            self.add_seed(world, &group_id, &location, seed, seeding.now_ms);
        }
        Ok(())
    }

    fn save(&self, world: &World, scenario: &mut Scenario) {
        let mut items: Vec<(&String, &T::Item)> = self.stored(world).iter().collect();
        items.sort_by(|a, b| a.0.cmp(b.0));
        for (_, item) in items {
            let Some(id) = ArmId::parse(item.id()) else { continue };
            let seed = self.to_seed(item, id.subscription.clone(), id.resource_group.clone().unwrap_or_default());
            self.seeds_mut(scenario).push(seed);
        }
    }

    fn inventory(&self, world: &World, protected_by: &dyn Fn(&str) -> Option<String>, inventory: &mut Inventory) {
        ArmType::inventory(self, world, protected_by, inventory);
    }

    fn remove_in_group(&self, world: &mut World, prefix: &str) {
        let keys: Vec<String> = self.stored(world).keys().filter(|key| key.starts_with(prefix)).cloned().collect();
        for key in keys {
            self.remove(world, &key);
        }
    }
}

/// A GET, HEAD, PUT or DELETE of the resource `name` of a type.
fn serve_one<T: ArmType>(
    resource_type: &T,
    world: &mut World,
    request: &ResourceRequest<'_>,
    group: &RequestGroup,
    name: &str,
) -> Result<Answer, ArmError> {
    let id = resource_type.id(&group.id, name);
    let key = id.to_ascii_lowercase();
    match *request.method {
        Method::PUT => {
            let body = (request.body)()?;
            let created = !resource_type.stored(world).contains_key(&key);
            let put = Put { id: &id, name, group, body: &body, now_ms: request.now_ms };
            resource_type.put(world, &put)?;
            let item = resource_type.stored(world).get(&key).ok_or_else(|| arm::parent_not_found(&id))?;
            Ok(Answer::json(created_or_ok(created), resource_type.render(item)))
        }
        Method::DELETE => Ok(deleted(resource_type.remove(world, &key))),
        _ => {
            let item = resource_type
                .stored(world)
                .get(&key)
                .ok_or_else(|| arm::resource_not_found(&resource_type.full_type(), name, request.resource_group))?;
            Ok(Answer::json(StatusCode::OK, resource_type.render(item)))
        }
    }
}
