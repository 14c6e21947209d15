//! Structure-aware edits of a JSON document (the manifests), made before the byte mutations:
//! byte changes mostly break the syntax and stop at the parser, while a manifest's checks are
//! reached by valid JSON with a wrong value in it (a zero size, a huge count, a missing key).

use std::sync::LazyLock;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// One edit: node `node` (in pre-order, modulo the node count; 0 is the document) changed.
#[derive(Clone, Debug)]
pub struct JsonEdit {
    node: usize,
    change: Change,
}

#[derive(Clone, Debug)]
enum Change {
    Replace(usize),
    /// The node dropped from its object or array (the document becomes `null`).
    Remove,
    /// An array's first element repeated, or an object's first value under a new key.
    Grow,
}

/// What a node may become: boundary numbers of every JSON kind, strings the manifests name,
/// and values of the wrong type.
static REPLACEMENTS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    vec![
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(3),
        json!(255),
        json!(256),
        json!(16_385),
        json!(u32::MAX),
        json!(u64::from(u32::MAX) + 1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(0.5),
        json!(-0.0),
        json!(1e300),
        json!(-1e300),
        json!(1e-300),
        json!(""),
        json!(" "),
        json!("resnet18"),
        json!("resnet50"),
        json!("efficientnet-lite0"),
        json!("bert"),
        json!("gelu"),
        json!("[MASK]"),
        json!("weights.int8.safetensors"),
        json!("vocab.txt"),
        json!("tokenizer.json"),
        json!("1 2 3 4294967296"),
        json!("\u{0}\u{FFFD}"),
        json!(null),
        json!(true),
        json!(false),
        json!([]),
        json!({}),
        json!([0]),
        json!(["a"]),
    ]
});

pub fn edits() -> BoxedStrategy<Vec<JsonEdit>> {
    let change = prop_oneof![
        (0..REPLACEMENTS.len()).prop_map(Change::Replace),
        Just(Change::Remove),
        Just(Change::Grow),
    ];
    vec(
        (any::<usize>(), change).prop_map(|(node, change)| JsonEdit { node, change }),
        0..=4,
    )
    .boxed()
}

/// The document with the edits made, pretty-printed as the manifests are; input that is not
/// JSON passes through unchanged.
pub fn apply(seed: &[u8], edits: &[JsonEdit]) -> Vec<u8> {
    let Ok(mut document) = serde_json::from_slice::<Value>(seed) else {
        return seed.to_vec();
    };
    for edit in edits {
        let target = edit.node % count(&document);
        if target == 0 {
            document = match &edit.change {
                Change::Replace(i) => REPLACEMENTS[*i].clone(),
                Change::Remove => Value::Null,
                Change::Grow => grown(document),
            };
        } else {
            edit_child(&mut document, &mut (target - 1), &edit.change);
        }
    }
    serde_json::to_vec_pretty(&document).expect("a Value always serializes")
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

fn grown(value: Value) -> Value {
    match value {
        Value::Array(mut items) => {
            if let Some(first) = items.first().cloned() {
                items.push(first);
            }
            Value::Array(items)
        }
        Value::Object(mut map) => {
            if let Some(first) = map.values().next().cloned() {
                map.insert(format!("extra{}", map.len()), first);
            }
            Value::Object(map)
        }
        other => other,
    }
}

/// Finds the `n`th descendant of `value` (pre-order, counting down `n`) and changes it in its
/// parent; true once done.
fn edit_child(value: &mut Value, n: &mut usize, change: &Change) -> bool {
    match value {
        Value::Array(items) => {
            for i in 0..items.len() {
                if *n == 0 {
                    change_at_index(items, i, change);
                    return true;
                }
                *n -= 1;
                if edit_child(&mut items[i], n, change) {
                    return true;
                }
            }
            false
        }
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if *n == 0 {
                    change_at_key(map, &key, change);
                    return true;
                }
                *n -= 1;
                if edit_child(map.get_mut(&key).expect("a listed key"), n, change) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn change_at_index(items: &mut Vec<Value>, i: usize, change: &Change) {
    match change {
        Change::Replace(r) => items[i] = REPLACEMENTS[*r].clone(),
        Change::Remove => {
            items.remove(i);
        }
        Change::Grow => items[i] = grown(items[i].take()),
    }
}

fn change_at_key(map: &mut Map<String, Value>, key: &str, change: &Change) {
    match change {
        Change::Replace(r) => {
            map.insert(key.into(), REPLACEMENTS[*r].clone());
        }
        Change::Remove => {
            map.remove(key);
        }
        Change::Grow => {
            let value = map.remove(key).expect("a listed key");
            map.insert(key.into(), grown(value));
        }
    }
}
