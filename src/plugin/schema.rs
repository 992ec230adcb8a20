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
    /// A change replaces the object (the provider's own knowledge; Terraform is told at plan).
    pub force_new: bool,
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
            force_new: false,
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

    /// A required attribute when `required`, otherwise an optional one: for an attribute that one declaration
    /// gives resources of several kinds, some of which require it.
    pub fn required_when(name: &str, ty: Type, required: bool) -> Attribute {
        if required { Attribute::required(name, ty) } else { Attribute::optional(name, ty) }
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

    /// Marks the attribute write-only: Terraform sends it in configuration but never stores it.
    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }

    /// Marks the attribute deprecated.
    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }

    /// Marks the attribute as one whose change replaces the object. [`Block::with_force_new_sentences`] says so in
    /// its description, and [`Block::replace_on_change`] lists it.
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
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
    /// A change of any of the blocks replaces the object.
    pub force_new: bool,
}

impl NestedBlock {
    /// An optional block that may appear at most once (a `timeouts` block, for example).
    pub fn single(type_name: &str, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, block, Nesting::Single)
    }

    /// A block that may repeat, kept in order.
    pub fn list(type_name: &str, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, block, Nesting::List)
    }

    /// A block that may repeat, order ignored.
    pub fn set(type_name: &str, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, block, Nesting::Set)
    }

    fn new(type_name: &str, block: Block, nesting: Nesting) -> NestedBlock {
        NestedBlock { type_name: type_name.to_owned(), block, nesting, min_items: 0, max_items: 0, force_new: false }
    }

    /// Marks the block as one whose change replaces the object: every attribute in it says so.
    pub fn force_new(mut self) -> NestedBlock {
        self.force_new = true;
        for attribute in &mut self.block.attributes {
            attribute.force_new = true;
        }
        self
    }
}

impl Schema {
    /// What Terraform would refuse in this schema, one line per problem (empty when it is valid). The checks
    /// are Terraform's own: names, required/optional/computed combinations and nested block item counts.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        self.block.collect_problems("", &mut problems);
        problems
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Block {
    /// Ends the description of every attribute marked [`Attribute::force_new`], here and in nested blocks, with
    /// "Changing this forces a new `kind` to be created.", the sentence Terraform users know from azurerm.
    pub fn with_force_new_sentences(mut self, kind: &str) -> Block {
        let sentence = format!("Changing this forces a new {kind} to be created.");
        self.add_force_new_sentence(&sentence);
        self
    }

    fn add_force_new_sentence(&mut self, sentence: &str) {
        for attribute in self.attributes.iter_mut().filter(|a| a.force_new) {
            if !attribute.description.is_empty() {
                attribute.description.push(' ');
            }
            attribute.description.push_str(sentence);
        }
        for nested in &mut self.blocks {
            nested.block.add_force_new_sentence(sentence);
        }
    }

    /// The top-level attributes and nested blocks whose change replaces the object, in schema order.
    pub fn replace_on_change(&self) -> Vec<&str> {
        let attributes = self.attributes.iter().filter(|a| a.force_new).map(|a| a.name.as_str());
        attributes.chain(self.blocks.iter().filter(|b| b.force_new).map(|b| b.type_name.as_str())).collect()
    }

    fn collect_problems(&self, prefix: &str, problems: &mut Vec<String>) {
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            let name = format!("{prefix}{}", a.name);
            if !valid_name(&a.name) {
                problems.push(format!("{name}: names may contain only lowercase letters, digits and underscores"));
            }
            if !seen.insert(a.name.as_str()) {
                problems.push(format!("{name}: defined twice"));
            }
            if !a.required && !a.optional && !a.computed {
                problems.push(format!("{name}: must be required, optional or computed"));
            }
            if a.required && (a.optional || a.computed) {
                problems.push(format!("{name}: a required attribute cannot also be optional or computed"));
            }
        }
        for b in &self.blocks {
            let name = format!("{prefix}{}", b.type_name);
            if !valid_name(&b.type_name) {
                problems.push(format!("{name}: names may contain only lowercase letters, digits and underscores"));
            }
            if !seen.insert(b.type_name.as_str()) {
                problems.push(format!("{name}: defined twice"));
            }
            if b.min_items < 0 || b.max_items < 0 {
                problems.push(format!("{name}: item counts cannot be negative"));
            }
            if matches!(b.nesting, Nesting::List | Nesting::Set) && b.max_items != 0 && b.min_items > b.max_items {
                problems.push(format!("{name}: min_items is larger than max_items"));
            }
            if b.nesting == Nesting::Set && contains_dynamic(&b.block.value_type()) {
                problems.push(format!("{name}: set blocks cannot contain dynamic attributes"));
            }
            if b.nesting == Nesting::Set && contains_write_only(&b.block) {
                problems.push(format!("{name}: set blocks cannot contain write-only attributes"));
            }
            b.block.collect_problems(&format!("{name}."), problems);
        }
    }

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

fn contains_write_only(block: &Block) -> bool {
    block.attributes.iter().any(|a| a.write_only) || block.blocks.iter().any(|b| contains_write_only(&b.block))
}

fn contains_dynamic(ty: &Type) -> bool {
    match ty {
        Type::Dynamic => true,
        Type::List(e) | Type::Set(e) | Type::Map(e) => contains_dynamic(e),
        Type::Object(attributes) => attributes.values().any(contains_dynamic),
        Type::Tuple(elements) => elements.iter().any(contains_dynamic),
        Type::Bool | Type::Number | Type::String => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_nested_blocks() {
        let block = Block {
            attributes: vec![Attribute::required("name", Type::String)],
            blocks: vec![NestedBlock::single(
                "timeouts",
                Block { attributes: vec![Attribute::optional("create", Type::String)], ..Block::default() },
            )],
            ..Block::default()
        };
        assert_eq!(
            block.value_type(),
            Type::object([("name", Type::String), ("timeouts", Type::object([("create", Type::String)]))])
        );
    }

    #[test]
    fn problems_are_those_terraform_refuses() {
        let good = Schema {
            version: 0,
            block: Block {
                attributes: vec![Attribute::required("name", Type::String), Attribute::computed("id", Type::String)],
                blocks: vec![NestedBlock::single("timeouts", Block::default())],
                ..Block::default()
            },
        };
        assert!(good.problems().is_empty(), "{:?}", good.problems());
        let mut required_computed = Attribute::required("Bad-Name", Type::String);
        required_computed.computed = true;
        let mut nothing = Attribute::optional("nothing", Type::String);
        nothing.optional = false;
        let bad = Schema {
            version: 0,
            block: Block {
                attributes: vec![required_computed, nothing, Attribute::optional("nothing", Type::String)],
                blocks: vec![NestedBlock {
                    min_items: 3,
                    max_items: 1,
                    ..NestedBlock::set(
                        "s",
                        Block {
                            attributes: vec![
                                Attribute::optional("d", Type::Dynamic),
                                Attribute::optional("w", Type::String).write_only(),
                            ],
                            ..Block::default()
                        },
                    )
                }],
                ..Block::default()
            },
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 7, "{problems:#?}");
        assert!(problems.iter().any(|p| p == "s: set blocks cannot contain dynamic attributes"));
        assert!(problems.iter().any(|p| p == "s: set blocks cannot contain write-only attributes"));
    }
}
