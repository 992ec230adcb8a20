//! Schemas for the provider configuration, resources and data sources, in the shape Terraform expects.

use std::collections::BTreeMap;

use super::value::Type;

/// A versioned schema: the top-level block of a provider, resource or data source.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// Schema version; stored with the state and passed back to state upgrades.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

/// A block: attributes plus nested blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// Attributes, in the order they are documented.
    pub attributes: Vec<Attribute>,
    /// Nested block types.
    pub blocks: Vec<NestedBlock>,
    /// Markdown description.
    pub description: String,
    /// Whether the whole block is deprecated.
    pub deprecated: bool,
}

/// One attribute of a block.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Attribute type.
    pub ty: Type,
    /// Markdown description.
    pub description: String,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// May be set by the provider.
    pub computed: bool,
    /// Hidden in plan output and logs.
    pub sensitive: bool,
    /// Never stored in plan or state (protocol 6.8 and newer).
    pub write_only: bool,
    /// Deprecated: Terraform warns when it is set.
    pub deprecated: bool,
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Attribute {
        Attribute {
            name: name.to_owned(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
        }
    }

    /// A required attribute.
    pub fn required(name: &str, ty: Type) -> Attribute {
        Attribute { required: true, ..Attribute::new(name, ty) }
    }

    /// An optional attribute.
    pub fn optional(name: &str, ty: Type) -> Attribute {
        Attribute { optional: true, ..Attribute::new(name, ty) }
    }

    /// An attribute only the provider sets.
    pub fn computed(name: &str, ty: Type) -> Attribute {
        Attribute { computed: true, ..Attribute::new(name, ty) }
    }

    /// An optional attribute the provider fills in when it is not set.
    pub fn optional_computed(name: &str, ty: Type) -> Attribute {
        Attribute { optional: true, computed: true, ..Attribute::new(name, ty) }
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Attribute {
        self.description = text.into();
        self
    }

    /// Marks the attribute sensitive.
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; its value is an object or null.
    Single,
    /// Exactly one block that is never null (absent means all attributes null).
    Group,
    /// A list of blocks.
    List,
    /// A set of blocks.
    Set,
    /// A map of labelled blocks.
    Map,
}

/// A nested block type.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    /// The block type name as written in configuration.
    pub type_name: String,
    /// The block's contents.
    pub block: Block,
    /// How the block repeats.
    pub nesting: Nesting,
    /// Minimum number of blocks (0 = optional).
    pub min_items: i64,
    /// Maximum number of blocks (0 = unlimited).
    pub max_items: i64,
}

impl Block {
    /// The object type a value of this block has.
    pub fn value_type(&self) -> Type {
        let mut attributes: BTreeMap<String, Type> =
            self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())).collect();
        for nested in &self.blocks {
            let inner = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single | Nesting::Group => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
                Nesting::Map => Type::map(inner),
            };
            attributes.insert(nested.type_name.clone(), ty);
        }
        Type::Object(attributes)
    }

    /// The attribute called `name`, if any.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_nested_blocks() {
        let block = Block {
            attributes: vec![Attribute::required("name", Type::String)],
            blocks: vec![NestedBlock {
                type_name: "timeouts".into(),
                block: Block { attributes: vec![Attribute::optional("create", Type::String)], ..Block::default() },
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
            }],
            ..Block::default()
        };
        assert_eq!(
            block.value_type(),
            Type::object([("name", Type::String), ("timeouts", Type::object([("create", Type::String)]))])
        );
    }
}
