//! A resource's Terraform object as Rust structs, converted in one place.
//!
//! A resource declares its arguments as a `#[derive(Deserialize)]` struct whose fields are named after the
//! attributes, and reads them with [`read`]: the struct is the one list of what the resource needs, and serde
//! does the reading (a field that is unknown, missing or of another shape makes the read `None`, so code after it
//! sees only known values). State written back is a `#[derive(Serialize)]` struct turned into a value of the
//! schema's type with [`write`]. How two spellings of one attribute compare (ID case, region names) is declared
//! once per resource in a [`Spellings`] table, which both plan and read apply.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::arm::ids::same_id;
use crate::plugin::codec::{ExtraAttributes, from_json};
use crate::plugin::schema::Attribute;
use crate::plugin::value::{Number, Type, Value};

use super::common::{TIMEOUTS, normalize_location};

/// Declares a resource's (or a nested block's) attributes once, in schema order, and derives from that one list:
///
/// - a serde struct with one `Option` field per attribute, named after it, that [`read`] fills from a
///   configuration, plan or state and [`write`] turns back into state (every field optional, so one struct serves
///   arguments, state, and objects that are still being built);
/// - a module of constants, one per attribute, holding its name: `attr::soft_delete` is `"soft_delete"`, for
///   lookups (`value.attr(attr::soft_delete)`) and diagnostics (`AttributePath::root(attr::soft_delete)`), so that a
///   misspelt name is a compile error, not a silent null;
/// - `attributes()`, the schema's attributes, each built from its name and the builder written after `=>`
///   (`required(Type::String).force_new().description(..)`), and `data_source_attributes(keys)`, the same attributes
///   as a data source has them: all computed but for `keys`, which are required; a `| "text"` after the builder
///   gives the data source its own description.
///
/// A field without `=>` is a nested block: it has a field and a name, and the schema's `blocks` declare it.
///
/// Resources of several kinds that differ in a few attributes (the backup policies) declare the full list once,
/// with `, for K: Bound` after the module's name: `attributes::<K>()` and `data_source_attributes::<K>(keys)` are
/// then generic over the kind, builders and descriptions may use `K`'s constants, and an attribute that only some
/// kinds have says which with `where <condition>` after its type (`vault_default_retention_duration: String where
/// K::OPERATIONAL_TIER => ...`): the schema of a kind whose condition is false leaves it out. The struct and the
/// names stay one for every kind; a field left `None` is not serialized, so [`write`] never names an attribute
/// that the kind's schema lacks.
macro_rules! attributes {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident, names in $module:ident $(, for $kind:ident : $bound:path )? {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty $( where $condition:expr )?
                $( => $ctor:ident ( $($args:tt)* ) $( . $method:ident ( $($method_args:tt)* ) )* $( | $data:expr )? )?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        #[doc = concat!("The attribute names of [`", stringify!($name), "`], one constant per attribute.")]
        #[allow(non_upper_case_globals, dead_code)]
        $vis mod $module {
            $(
                #[doc = concat!("`", stringify!($field), "`")]
                pub const $field: &str = stringify!($field);
            )*
        }

        #[allow(dead_code)]
        impl $name {
            /// The schema's attributes, in declaration order; nested blocks are not among them, nor attributes
            /// whose `where` condition is false.
            $vis fn attributes $(< $kind: $bound >)? () -> Vec<$crate::plugin::schema::Attribute> {
                let mut attributes = Vec::new();
                $(
                    if $crate::resources::model::present(&[$($condition),*]) {
                        $(
                            attributes.push(
                                $crate::plugin::schema::Attribute::$ctor(stringify!($field), $($args)*)
                                    $( .$method($($method_args)*) )*,
                            );
                        )?
                    }
                )*
                attributes
            }

            /// The arguments of `value` (a configuration or plan): every attribute a configuration may set, the
            /// others left out (`None`). `None` when an argument is unknown or of another shape.
            $vis fn read_arguments $(< $kind: $bound >)? (value: &$crate::plugin::value::Value) -> Option<Self> {
                // One list per struct and kind: a `static` in a generic function would be shared by every kind.
                let computed = $crate::resources::common::built_once(
                    std::any::type_name::<(Self, $($kind,)?)>(),
                    || $crate::resources::model::computed_only(&Self::attributes $(::<$kind>)? ()),
                );
                $crate::resources::model::read_arguments(value, computed)
            }

            /// The attributes as a data source that looks the object up by `keys` has them: `keys` required, every
            /// other attribute computed, nothing forcing a replacement; descriptions given after `|` replace the
            /// resource's.
            $vis fn data_source_attributes $(< $kind: $bound >)? (keys: &[&str]) -> Vec<$crate::plugin::schema::Attribute> {
                let texts: Vec<(&str, String)> = vec![$( $( $( (stringify!($field), ($data).into()), )? )? )*];
                $crate::resources::model::as_data_source(Self::attributes $(::<$kind>)? (), keys, &texts)
            }
        }
    };
}
pub(crate) use attributes;

/// Whether an attribute declared with the `where` conditions `conditions` (none, or one) is in the schema.
pub(crate) fn present(conditions: &[bool]) -> bool {
    conditions.iter().all(|c| *c)
}

/// The names of the attributes only the provider sets.
pub(crate) fn computed_only(attributes: &[Attribute]) -> Vec<String> {
    attributes.iter().filter(|a| a.computed && !a.optional && !a.required).map(|a| a.name.clone()).collect()
}

/// [`read`] of `value` with the attributes named in `computed` left out: those may be unknown in a plan without
/// making the arguments unknown.
pub(crate) fn read_arguments<T: DeserializeOwned>(value: &Value, computed: &[String]) -> Option<T> {
    let mut json = loose_json(value);
    if let serde_json::Value::Object(entries) = &mut json {
        for name in computed {
            entries.remove(name);
        }
    }
    serde_json::from_value(json).ok()
}

/// `attributes` as a data source has them (see [`attributes!`]).
pub(crate) fn as_data_source(attributes: Vec<Attribute>, keys: &[&str], texts: &[(&str, String)]) -> Vec<Attribute> {
    attributes
        .into_iter()
        .map(|a| {
            let text = texts.iter().find(|(name, _)| *name == a.name).map_or(a.description, |(_, t)| t.clone());
            let attribute = if keys.contains(&a.name.as_str()) {
                Attribute::required(&a.name, a.ty)
            } else {
                Attribute::computed(&a.name, a.ty)
            };
            Attribute { sensitive: a.sensitive, ..attribute.description(text) }
        })
        .collect()
}

/// What an unknown value becomes on its way to serde: an object no field type accepts, so the read fails.
const UNKNOWN_MARK: &str = "$unknown";

/// Reads the attributes `T` declares from a Terraform object. `None` when one of them is unknown, missing where
/// `T` requires it, or of another shape; attributes `T` does not declare are not looked at.
pub(crate) fn read<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(loose_json(value)).ok()
}

/// `model` as a Terraform value of type `ty` (an object type). Attributes the struct does not write are null.
pub(crate) fn write<T: Serialize>(model: &T, ty: &Type) -> Value {
    let json = serde_json::to_value(model).expect("a model serializes to JSON");
    from_json(&json, ty, ExtraAttributes::Reject).expect("a model's fields are attributes of its schema")
}

/// `model` as the state a read writes, of type `ty`: `timeouts` (Terraform's own, which Azure does not hold) as
/// `prior` has it, and `prior`'s spelling kept where the new value is the same in another spelling.
pub(crate) fn read_back<T: Serialize>(model: &T, ty: &Type, prior: &Value, spellings: Spellings) -> Value {
    let mut value = write(model, ty);
    value.set_attr(TIMEOUTS, prior.attr(TIMEOUTS).clone());
    keep_spellings(prior, &mut value, spellings);
    value
}

/// A Terraform value as JSON without a type: what serde needs to read a struct.
fn loose_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Unknown => serde_json::json!({ UNKNOWN_MARK: true }),
        Value::Bool(b) => J::Bool(*b),
        Value::Number(Number::Int(i)) => J::from(*i),
        Value::Number(Number::Float(f)) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            J::Array(items.iter().map(loose_json).collect())
        }
        Value::Map(entries) | Value::Object(entries) => {
            J::Object(entries.iter().map(|(k, v)| (k.clone(), loose_json(v))).collect())
        }
    }
}

/// How two spellings of an attribute's value compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// ARM IDs: segment case does not matter.
    Id,
    /// Names and enumerations Azure treats without case.
    Text,
    /// Regions: `West US` and `westus` are one.
    Location,
}

impl Spelling {
    /// True when `a` and `b` are the same value spelled differently (or spelled the same).
    pub(crate) fn same(self, a: &Value, b: &Value) -> bool {
        let (Some(a), Some(b)) = (a.as_str(), b.as_str()) else { return false };
        match self {
            Spelling::Id => same_id(a, b),
            Spelling::Text => a.eq_ignore_ascii_case(b),
            Spelling::Location => normalize_location(a) == normalize_location(b),
        }
    }
}

/// The attributes of a resource whose spelling may change without a change of value, and how they compare.
pub(crate) type Spellings = &'static [(&'static str, Spelling)];

/// `value` in the spelling `allowed` gives it, when it is one of them but for case (Azure answers `ON` where the
/// spec says `On`); otherwise as it is.
pub(crate) fn canonical(value: Option<&str>, allowed: &[&str]) -> Option<String> {
    let value = value?;
    Some(allowed.iter().find(|a| a.eq_ignore_ascii_case(value)).map_or(value, |a| a).to_owned())
}

/// Keeps, for every attribute of `spellings`, the value `prior` has when `new` holds only another spelling of it:
/// what the user wrote (plan) or what was saved (read) stays, so a spelling never shows up as a diff.
pub(crate) fn keep_spellings(prior: &Value, new: &mut Value, spellings: Spellings) {
    for (name, spelling) in spellings {
        if spelling.same(prior.attr(name), new.attr(name)) {
            new.set_attr(name, prior.attr(name).clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Arguments {
        name: String,
        size: Option<i64>,
        tags: Option<std::collections::BTreeMap<String, String>>,
    }

    fn object(name: Value, size: Value) -> Value {
        Value::object([("id", Value::Unknown), ("name", name), ("size", size), ("tags", Value::Null)])
    }

    #[test]
    fn reads_what_the_struct_declares_and_only_when_it_is_known() {
        let read_back = read::<Arguments>(&object(Value::from("a"), Value::from(3i64)));
        assert_eq!(read_back, Some(Arguments { name: "a".into(), size: Some(3), tags: None }), "id is not declared");
        assert_eq!(read::<Arguments>(&object(Value::from("a"), Value::Null)).unwrap().size, None);
        assert_eq!(read::<Arguments>(&object(Value::Unknown, Value::Null)), None, "a required argument unknown");
        assert_eq!(read::<Arguments>(&object(Value::from("a"), Value::Unknown)), None, "an optional one unknown");
        assert_eq!(read::<Arguments>(&object(Value::Null, Value::Null)), None, "a required argument null");
    }

    #[test]
    fn writes_a_value_of_the_schema_type() {
        let ty = Type::object([
            ("id", Type::String),
            ("name", Type::String),
            ("size", Type::Number),
            ("tags", Type::map(Type::String)),
        ]);
        let value = write(&Arguments { name: "a".into(), size: None, tags: None }, &ty);
        assert_eq!(
            value,
            Value::object([
                ("id", Value::Null),
                ("name", Value::from("a")),
                ("size", Value::Null),
                ("tags", Value::Null)
            ])
        );
    }

    #[test]
    fn spellings_keep_what_was_there() {
        let prior = Value::object([
            ("vault_id", Value::from("/subscriptions/S/resourceGroups/RG")),
            ("location", Value::from("West US")),
        ]);
        let mut new = Value::object([
            ("vault_id", Value::from("/subscriptions/s/resourcegroups/rg")),
            ("location", Value::from("westus2")),
        ]);
        keep_spellings(&prior, &mut new, &[("vault_id", Spelling::Id), ("location", Spelling::Location)]);
        assert_eq!(new.attr("vault_id"), prior.attr("vault_id"), "the same ID");
        assert_eq!(new.attr("location"), &Value::from("westus2"), "another region");
        assert!(Spelling::Location.same(&Value::from("West US"), &Value::from("westus")));
        assert!(Spelling::Text.same(&Value::from("On"), &Value::from("on")));
        assert!(!Spelling::Id.same(&Value::Null, &Value::from("/x")), "null is no spelling of a value");
    }

    /// What differs between two kinds of a test resource.
    trait Flavour: 'static {
        const ROUND: bool;
    }
    struct Round;
    impl Flavour for Round {
        const ROUND: bool = true;
    }
    struct Square;
    impl Flavour for Square {
        const ROUND: bool = false;
    }

    attributes! {
        /// A test resource of two kinds: `radius` for round ones, `side` (computed) for square ones.
        struct Shape, names in shape, for F: Flavour {
            id: String => computed(Type::String).description("The ID."),
            colour: String => required_when(Type::String, F::ROUND).description(format!("Round: {}.", F::ROUND)),
            radius: i64 where F::ROUND => optional(Type::Number).description("The radius."),
            side: i64 where !F::ROUND => computed(Type::Number).description("The side."),
            timeouts: serde_json::Value,
        }
    }

    fn names(attributes: &[Attribute]) -> Vec<&str> {
        attributes.iter().map(|a| a.name.as_str()).collect()
    }

    #[test]
    fn each_kind_has_the_attributes_its_conditions_allow() {
        let round = Shape::attributes::<Round>();
        let square = Shape::attributes::<Square>();
        assert_eq!(names(&round), vec![shape::id, shape::colour, shape::radius]);
        assert_eq!(names(&square), vec![shape::id, shape::colour, shape::side]);
        assert!(round[1].required && !round[1].optional && round[1].description == "Round: true.");
        assert!(square[1].optional && !square[1].required && square[1].description == "Round: false.");
        let data = Shape::data_source_attributes::<Square>(&[shape::id]);
        assert_eq!(names(&data), vec![shape::id, shape::colour, shape::side]);
        assert!(data[0].required && data[1].computed && !data[1].optional);
    }

    #[test]
    fn a_kind_reads_and_writes_only_its_own_attributes() {
        let ty = |attributes: Vec<Attribute>| {
            Type::object(attributes.into_iter().map(|a| (a.name, a.ty)).collect::<Vec<_>>())
        };
        let square = Shape { id: Some("s".into()), colour: Some("red".into()), side: Some(2), ..Shape::default() };
        let value = write(&square, &ty(Shape::attributes::<Square>()));
        assert_eq!(value.attr(shape::side), &Value::from(2i64));
        assert!(!value.as_entries().unwrap().contains_key(shape::radius), "round ones only");
        // Each kind's computed attributes are its own: a round one's radius may not be unknown in a plan, a
        // square's side may (read after the round one, so that a list shared by the kinds would fail).
        let mut round =
            write(&Shape { colour: Some("blue".into()), ..Shape::default() }, &ty(Shape::attributes::<Round>()));
        assert_eq!(Shape::read_arguments::<Round>(&round).unwrap().colour.as_deref(), Some("blue"));
        round.set_attr(shape::radius, Value::Unknown);
        assert_eq!(Shape::read_arguments::<Round>(&round), None, "radius is an argument of round ones");
        let mut plan = value.clone();
        plan.set_attr(shape::side, Value::Unknown);
        let read = Shape::read_arguments::<Square>(&plan).expect("side is computed for squares");
        assert_eq!((read.colour.as_deref(), read.side), (Some("red"), None));
    }
}
