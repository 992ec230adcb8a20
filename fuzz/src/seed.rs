//! Writes seed corpora from the swagger examples: every response body (for the error and operation-status
//! targets), every string that looks like an ARM ID (for the ID target), and a few MessagePack values.
//! Usage: `seed <examples folder> <corpus folder>`.

use std::path::{Path, PathBuf};

fn walk(value: &serde_json::Value, ids: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if s.starts_with("/subscriptions/") => ids.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, ids)),
        serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, ids)),
        _ => {}
    }
}

fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("corpus folder");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, examples, corpus] = args.as_slice() else {
        eprintln!("usage: seed <examples folder> <corpus folder>");
        std::process::exit(2);
    };
    let corpus = Path::new(corpus);
    let mut found = Vec::new();
    files(Path::new(examples), &mut found);
    let (mut bodies, mut ids) = (0, Vec::new());
    for (index, path) in found.iter().enumerate() {
        let Ok(example) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(path).expect("example")) else {
            continue;
        };
        walk(&example, &mut ids);
        for (status, answer) in example["responses"].as_object().into_iter().flatten() {
            let body = serde_json::to_vec(&answer["body"]).expect("json");
            let status: u16 = status.parse().unwrap_or(200);
            // cloud_error: two status bytes and a content-type byte, then the body.
            let mut error = vec![(status >> 8) as u8, status as u8, 0];
            error.extend_from_slice(&body);
            write(&corpus.join("cloud_error"), &format!("example-{index}-{status}"), &error);
            // operation_status: a mode byte, the first body, then one poll answer.
            let mut operation = vec![(index % 4) as u8];
            operation.extend_from_slice(&body);
            operation.push(0);
            operation.extend_from_slice(&body);
            write(&corpus.join("operation_status"), &format!("example-{index}-{status}"), &operation);
            bodies += 1;
        }
    }
    let error_body = br#"{"error":{"code":"UserErrorDppDatasourceAlreadyProtected","message":"Datasource is already protected","additionalInfo":[{"type":"UserFacingError","info":{"code":"X","message":"m","recommendedAction":["a"],"innerError":{"code":"i"}}}]}}"#;
    write(
        &corpus.join("cloud_error"),
        "user-facing",
        &[1, 144, 0].iter().chain(error_body).copied().collect::<Vec<_>>(),
    );
    ids.sort();
    ids.dedup();
    for (index, id) in ids.iter().enumerate() {
        write(&corpus.join("arm_id"), &format!("example-{index}"), id.as_bytes());
    }
    // msgpack_value: a type byte, then a value: an object with a string and a nil, a list, an unknown.
    write(
        &corpus.join("msgpack_value"),
        "object",
        &[0, 0x82, 0xa2, b'i', b'd', 0xa1, b'x', 0xa4, b'n', b'a', b'm', b'e', 0xc0],
    );
    write(&corpus.join("msgpack_value"), "list", &[2, 0x92, 0xa1, b'a', 0xa1, b'b']);
    write(&corpus.join("msgpack_value"), "unknown", &[1, 0xd4, 0x00, 0x00]);
    println!("seeded {bodies} response bodies and {} IDs from {} examples", ids.len(), found.len());
}
