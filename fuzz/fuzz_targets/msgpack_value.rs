//! Terraform's MessagePack values, decoded against the backup instance's schema type and a few others: no panic,
//! and whatever decodes encodes back to bytes that decode to the same value.
#![no_main]

use std::sync::{Arc, OnceLock};

use dataprotection::plugin::codec::{from_msgpack, to_msgpack};
use dataprotection::plugin::value::Type;
use dataprotection::resources::backup_instance::TYPE_NAME;
use libfuzzer_sys::fuzz_target;

fn types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let resources = dataprotection::resources::all(&Arc::default());
        let instance = resources
            .iter()
            .find(|r| r.type_name() == TYPE_NAME)
            .expect("the backup instance resource")
            .schema()
            .block
            .value_type();
        vec![
            instance,
            Type::Dynamic,
            Type::list(Type::String),
            Type::set(Type::Number),
            Type::map(Type::Bool),
            Type::Tuple(vec![Type::String, Type::Dynamic, Type::list(Type::Dynamic)]),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    let ty = &types()[usize::from(which) % types().len()];
    if let Ok(value) = from_msgpack(bytes, ty) {
        let encoded = to_msgpack(&value, ty).expect("a decoded value encodes");
        let again = from_msgpack(&encoded, ty).expect("an encoded value decodes");
        assert_eq!(again, value, "round trip");
    }
});
