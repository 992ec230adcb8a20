//! Conversions between the provider-facing types (schemas, diagnostics, attribute paths) and their protocol
//! messages.

use super::codec::type_to_json_bytes;
use super::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::proto::tfplugin6 as pb;
use super::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use pb::attribute_path::step::Selector;
use pb::schema::nested_block::NestingMode;

/// The protocol form of a schema.
pub fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema { version: schema.version, block: Some(block_to_proto(&schema.block, schema.version)) }
}

fn description_kind(text: &str) -> i32 {
    if text.is_empty() { pb::StringKind::Plain as i32 } else { pb::StringKind::Markdown as i32 }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block.blocks.iter().map(nested_block_to_proto).collect(),
        description: block.description.clone(),
        description_kind: description_kind(&block.description),
        deprecated: block.deprecated,
    }
}

fn attribute_to_proto(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: type_to_json_bytes(&attribute.ty),
        // Only `type` is ever set: Terraform refuses attributes that set both.
        nested_type: None,
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: description_kind(&attribute.description),
        deprecated: attribute.deprecated,
        write_only: attribute.write_only,
    }
}

fn nested_block_to_proto(nested: &NestedBlock) -> pb::schema::NestedBlock {
    // Terraform checks item counts per nesting mode: a single block has min = max, either 0 (optional) or 1
    // (required); group and map blocks have none. Lists and sets take what the schema says.
    let (nesting, min_items, max_items) = match nested.nesting {
        Nesting::Single if nested.min_items >= 1 => (NestingMode::Single, 1, 1),
        Nesting::Single => (NestingMode::Single, 0, 0),
        Nesting::Group => (NestingMode::Group, 0, 0),
        Nesting::List => (NestingMode::List, nested.min_items, nested.max_items),
        Nesting::Set => (NestingMode::Set, nested.min_items, nested.max_items),
        Nesting::Map => (NestingMode::Map, 0, 0),
    };
    pb::schema::NestedBlock {
        type_name: nested.type_name.clone(),
        block: Some(block_to_proto(&nested.block, 0)),
        nesting: nesting as i32,
        min_items,
        max_items,
    }
}

/// The protocol form of an attribute path.
pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    pb::AttributePath {
        steps: path
            .steps
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// An attribute path from its protocol form (steps without a selector are skipped).
pub fn path_from_proto(path: &pb::AttributePath) -> AttributePath {
    AttributePath {
        steps: path
            .steps
            .iter()
            .filter_map(|step| match step.selector.as_ref()? {
                Selector::AttributeName(name) => Some(PathStep::Attribute(name.clone())),
                Selector::ElementKeyString(key) => Some(PathStep::Key(key.clone())),
                Selector::ElementKeyInt(index) => Some(PathStep::Index(*index)),
            })
            .collect(),
    }
}

/// The protocol form of one diagnostic.
pub fn diagnostic_to_proto(diagnostic: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match diagnostic.severity {
            Severity::Error => pb::diagnostic::Severity::Error as i32,
            Severity::Warning => pb::diagnostic::Severity::Warning as i32,
        },
        summary: diagnostic.summary.clone(),
        detail: diagnostic.detail.clone(),
        attribute: diagnostic.attribute.as_ref().filter(|p| !p.steps.is_empty()).map(path_to_proto),
    }
}

/// The protocol form of a set of diagnostics.
pub fn diagnostics_to_proto(diagnostics: &Diagnostics) -> Vec<pb::Diagnostic> {
    diagnostics.iter().map(diagnostic_to_proto).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::value::Type;

    fn timeouts(min_items: i64, max_items: i64) -> NestedBlock {
        NestedBlock {
            type_name: "timeouts".into(),
            block: Block { attributes: vec![Attribute::optional("create", Type::String)], ..Block::default() },
            nesting: Nesting::Single,
            min_items,
            max_items,
            force_new: false,
        }
    }

    #[test]
    fn schemas_carry_type_json_and_markdown_descriptions() {
        let schema = Schema {
            version: 2,
            block: Block {
                attributes: vec![
                    Attribute::required("name", Type::String).description("The **name**."),
                    Attribute::computed("ids", Type::list(Type::String)),
                    Attribute { write_only: true, ..Attribute::optional("secret", Type::String).sensitive() },
                ],
                blocks: vec![timeouts(0, 0)],
                description: "A thing.".into(),
                deprecated: false,
            },
        };
        let proto = schema_to_proto(&schema);
        assert_eq!(proto.version, 2);
        let block = proto.block.unwrap();
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        let name = &block.attributes[0];
        assert_eq!((name.name.as_str(), name.r#type.as_slice()), ("name", &b"\"string\""[..]));
        assert!(name.required && !name.optional && !name.computed);
        assert_eq!(name.description, "The **name**.");
        assert_eq!(name.description_kind, pb::StringKind::Markdown as i32);
        assert!(name.nested_type.is_none());
        assert_eq!(block.attributes[1].r#type, br#"["list","string"]"#);
        assert_eq!(block.attributes[1].description_kind, pb::StringKind::Plain as i32);
        assert!(block.attributes[2].sensitive && block.attributes[2].write_only);
        let nested = &block.block_types[0];
        assert_eq!(nested.nesting, NestingMode::Single as i32);
        assert_eq!((nested.min_items, nested.max_items), (0, 0));
        assert_eq!(nested.block.as_ref().unwrap().attributes[0].name, "create");
    }

    #[test]
    fn single_blocks_get_the_item_counts_terraform_accepts() {
        // Terraform refuses a single block unless min = max, and both are 0 or 1.
        for (min, max, expected) in [(0, 0, (0, 0)), (0, 1, (0, 0)), (1, 0, (1, 1)), (1, 1, (1, 1)), (3, 5, (1, 1))] {
            let proto = nested_block_to_proto(&timeouts(min, max));
            assert_eq!((proto.min_items, proto.max_items), expected, "{min}..{max}");
        }
        let list = nested_block_to_proto(&NestedBlock { nesting: Nesting::List, ..timeouts(1, 3) });
        assert_eq!((list.nesting, list.min_items, list.max_items), (NestingMode::List as i32, 1, 3));
        let map = nested_block_to_proto(&NestedBlock { nesting: Nesting::Map, ..timeouts(1, 3) });
        assert_eq!((map.min_items, map.max_items), (0, 0));
        let group = nested_block_to_proto(&NestedBlock { nesting: Nesting::Group, ..timeouts(1, 1) });
        assert_eq!((group.nesting, group.min_items, group.max_items), (NestingMode::Group as i32, 0, 0));
    }

    #[test]
    fn diagnostics_keep_their_attribute_paths() {
        let mut diagnostics = Diagnostics::new();
        diagnostics.attribute_error(AttributePath::root("rules").index(2).key("env").attribute("name"), "bad", "why");
        diagnostics.warning("careful", "");
        let proto = diagnostics_to_proto(&diagnostics);
        assert_eq!(proto[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!((proto[0].summary.as_str(), proto[0].detail.as_str()), ("bad", "why"));
        let steps: Vec<_> = proto[0].attribute.as_ref().unwrap().steps.iter().map(|s| s.selector.clone()).collect();
        assert_eq!(
            steps,
            vec![
                Some(Selector::AttributeName("rules".into())),
                Some(Selector::ElementKeyInt(2)),
                Some(Selector::ElementKeyString("env".into())),
                Some(Selector::AttributeName("name".into())),
            ]
        );
        assert_eq!(proto[1].severity, pb::diagnostic::Severity::Warning as i32);
        assert!(proto[1].attribute.is_none());
        let back = path_from_proto(proto[0].attribute.as_ref().unwrap());
        assert_eq!(back.to_string(), "rules[2][\"env\"].name");
    }
}
