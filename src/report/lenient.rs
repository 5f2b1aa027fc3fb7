//! Lenient readers for vendor JSON. The vendors drift from their own pages: keys with
//! trailing spaces, numbers sent as strings, booleans as `"true"`, an object where an
//! array is documented and the reverse. Every reader returns `None` instead of failing,
//! so no vendor byte can panic the program.

use serde_json::{Map, Value};

/// Parses a body as JSON, tolerating a UTF-8 byte-order mark and surrounding whitespace.
pub fn parse_json(body: &[u8]) -> Option<Value> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body).ok()
}

/// The object with every key trimmed. An exact key wins over a padded duplicate.
pub fn trimmed_object(value: &Value) -> Option<Map<String, Value>> {
    let object = value.as_object()?;
    let mut out = Map::with_capacity(object.len());
    for (key, v) in object {
        let trimmed = key.trim();
        if trimmed == key || !out.contains_key(trimmed) {
            out.insert(trimmed.to_string(), v.clone());
        }
    }
    Some(out)
}

/// An object, or the first object of an array (`result` is documented both ways).
pub fn one_object(value: &Value) -> Option<Map<String, Value>> {
    match value {
        Value::Array(items) => items.iter().find_map(trimmed_object),
        other => trimmed_object(other),
    }
}

/// A list of objects, accepting a lone object as a list of one.
pub fn objects(value: &Value) -> Vec<Map<String, Value>> {
    match value {
        Value::Array(items) => items.iter().filter_map(trimmed_object).collect(),
        other => trimmed_object(other).into_iter().collect(),
    }
}

/// A present, non-null value.
pub fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

pub fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| float_to_i64(n.as_f64()?)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| float_to_i64(s.parse::<f64>().ok()?))
        }
        _ => None,
    }
}

fn float_to_i64(f: f64) -> Option<i64> {
    // Only whole numbers in range: 12.5 is not a count.
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
}

pub fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Text from a string, number or boolean; `None` for null, empty, arrays and objects.
pub fn as_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

pub fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(as_text)
}

pub fn int(map: &Map<String, Value>, key: &str) -> Option<i64> {
    map.get(key).and_then(as_i64)
}

pub fn float(map: &Map<String, Value>, key: &str) -> Option<f64> {
    map.get(key).and_then(as_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_trimmed_and_exact_keys_win() {
        let m = trimmed_object(&json!({"a ": 1, " b": 2, "c": 3, "c ": 4})).unwrap();
        assert_eq!(m["a"], 1);
        assert_eq!(m["b"], 2);
        assert_eq!(m["c"], 3);
    }

    #[test]
    fn numbers_and_strings() {
        assert_eq!(as_i64(&json!("17")), Some(17));
        assert_eq!(as_i64(&json!(" 17 ")), Some(17));
        assert_eq!(as_i64(&json!(17.0)), Some(17));
        assert_eq!(as_i64(&json!("17.0")), Some(17));
        assert_eq!(as_i64(&json!(17.5)), None);
        assert_eq!(as_i64(&json!("x")), None);
        assert_eq!(as_i64(&json!(1e300)), None);
        assert_eq!(as_f64(&json!("4000.5")), Some(4000.5));
        assert_eq!(as_f64(&json!("NaN")), None);
    }

    #[test]
    fn booleans() {
        assert_eq!(as_bool(&json!(true)), Some(true));
        assert_eq!(as_bool(&json!("true")), Some(true));
        assert_eq!(as_bool(&json!("FALSE")), Some(false));
        assert_eq!(as_bool(&json!(1)), Some(true));
        assert_eq!(as_bool(&json!("maybe")), None);
    }

    #[test]
    fn object_or_array_of_one() {
        assert_eq!(one_object(&json!([{"a": 1}])).unwrap()["a"], 1);
        assert_eq!(one_object(&json!({"a": 1})).unwrap()["a"], 1);
        assert!(one_object(&json!([])).is_none());
        assert_eq!(objects(&json!({"a": 1})).len(), 1);
        assert_eq!(objects(&json!([{"a": 1}, 2, {"b": 2}])).len(), 2);
    }

    #[test]
    fn bom_and_garbage() {
        assert!(parse_json(b"\xEF\xBB\xBF{\"a\":1}").is_some());
        assert!(parse_json(b"<html>").is_none());
        assert!(parse_json(&[b'['; 10_000]).is_none());
    }
}
