//! Datasets' JSON Schemas, enforced as Langfuse does (docs/COMPATIBILITY.md §7.2): a dataset's
//! `inputSchema` / `expectedOutputSchema` must be valid JSON Schemas, setting one checks every
//! current item of the dataset, and every item write is checked against them. A `null` value is
//! never checked (Langfuse skips nulls: an item without an expected output is allowed).
//!
//! The store (`store::datasets`) calls this from every write path, so the public API, the UI's
//! server functions and imports cannot skip it; a refusal is a [`SchemaError`], carried by
//! `StoreError::Schema` and answered as a 400 naming the field.
//!
//! Server-side only: `jsonschema` lives in `loupe-core`, never in `loupe-domain` (which is
//! compiled into the browser bundle).
//!
//! **Remote `$ref`s are never fetched.** A schema is client input: resolving
//! `{"$ref": "http://169.254.169.254/…"}` would make the server request any URL a key holder names
//! (SSRF), and `file://` would read local files. The crate's resolving features are off
//! (`core/Cargo.toml`) and every validator is built `offline()`, which refuses every reference not
//! inside the schema itself, even if another crate turned those features on (Cargo unifies them).
//! Such a schema is refused as not a valid JSON Schema.

use std::fmt;

use jsonschema::Validator;
use serde_json::Value;

/// How many failing items a refused schema names (the count covers them all).
pub const EXAMPLES: usize = 3;
/// The longest validator message kept for one violation, in characters: messages can quote
/// parts of the schema (an `enum`'s values, a `pattern`), and the answer stays short.
const MESSAGE_CHARS: usize = 200;

/// The item field a schema governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemField {
    Input,
    ExpectedOutput,
}

impl ItemField {
    /// The item's field, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemField::Input => "input",
            ItemField::ExpectedOutput => "expectedOutput",
        }
    }

    /// The dataset's field holding its schema.
    pub fn schema_field(self) -> &'static str {
        match self {
            ItemField::Input => "inputSchema",
            ItemField::ExpectedOutput => "expectedOutputSchema",
        }
    }
}

/// One way a value fails its schema: the field, where inside it (a JSON Pointer, RFC 6901; `""`
/// is the whole value) and the validator's words (which never quote the value itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: ItemField,
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{} (the whole value): {}", self.field.as_str(), self.message)
        } else {
            write!(f, "{} at {}: {}", self.field.as_str(), self.pointer, self.message)
        }
    }
}

/// Which item of a write failed, when the write holds several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The n-th value (from 1) of a batch of new items.
    Row(usize),
    /// The item made from this trace ("add traces to a dataset").
    Trace(String),
}

/// Why a dataset's schemas refuse a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaError {
    /// A schema sent for the dataset is not a valid JSON Schema (or needs a `$ref` from outside).
    InvalidSchema { field: ItemField, message: String },
    /// Setting a schema: `count` current items of the dataset fail it; the first few by id.
    ExistingItems {
        count: u64,
        examples: Vec<(String, Violation)>,
    },
    /// An item's value fails its dataset's schema.
    Item {
        subject: Option<Subject>,
        violation: Violation,
    },
}

impl SchemaError {
    /// The request field to blame: the schema for the first two, the item's field for the last.
    pub fn field(&self) -> &'static str {
        match self {
            SchemaError::InvalidSchema { field, .. } => field.schema_field(),
            SchemaError::ExistingItems { examples, .. } => examples
                .first()
                .map_or("inputSchema", |(_, v)| v.field.schema_field()),
            SchemaError::Item { violation, .. } => violation.field.as_str(),
        }
    }
}

impl fmt::Display for SchemaError {
    /// Langfuse's wording, with the field and where it failed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaError::InvalidSchema { field, message } => {
                write!(f, "{} is not a valid JSON Schema: {message}", field.schema_field())
            }
            SchemaError::ExistingItems { count, examples } => {
                write!(f, "Schema validation failed for {count} item(s). Details: ")?;
                for (n, (id, violation)) in examples.iter().enumerate() {
                    let sep = if n == 0 { "" } else { "; " };
                    write!(f, "{sep}item {id:?}: {violation}")?;
                }
                let more = count.saturating_sub(examples.len() as u64);
                if more > 0 {
                    write!(f, "; and {more} more")?;
                }
                Ok(())
            }
            SchemaError::Item { subject, violation } => {
                f.write_str("Dataset item validation failed: ")?;
                match subject {
                    None => {}
                    Some(Subject::Row(n)) => write!(f, "item {n} of the batch: ")?,
                    Some(Subject::Trace(id)) => write!(f, "the item from trace {id:?}: ")?,
                }
                write!(f, "{violation}")
            }
        }
    }
}

impl std::error::Error for SchemaError {}

/// The compiled schemas of one dataset; either may be absent.
#[derive(Debug, Default)]
pub struct ItemSchemas {
    input: Option<Validator>,
    expected_output: Option<Validator>,
}

impl ItemSchemas {
    /// Compiles a dataset's schemas (`None` or `null`: no schema for that field).
    pub fn compile(
        input_schema: Option<&Value>,
        expected_output_schema: Option<&Value>,
    ) -> Result<ItemSchemas, SchemaError> {
        Ok(ItemSchemas {
            input: compile(ItemField::Input, input_schema)?,
            expected_output: compile(ItemField::ExpectedOutput, expected_output_schema)?,
        })
    }

    /// Whether there is nothing to check (most datasets).
    pub fn is_empty(&self) -> bool {
        self.input.is_none() && self.expected_output.is_none()
    }

    /// The first violation of an item's values, the input's before the expected output's;
    /// `null` values are not checked.
    pub fn check(&self, input: &Value, expected_output: &Value) -> Result<(), Violation> {
        check(ItemField::Input, self.input.as_ref(), input)?;
        check(ItemField::ExpectedOutput, self.expected_output.as_ref(), expected_output)
    }

    /// [`check`](Self::check) as a refusal of one item write.
    pub fn check_item(
        &self,
        subject: Option<Subject>,
        input: &Value,
        expected_output: &Value,
    ) -> Result<(), SchemaError> {
        self.check(input, expected_output)
            .map_err(|violation| SchemaError::Item { subject, violation })
    }
}

fn compile(field: ItemField, schema: Option<&Value>) -> Result<Option<Validator>, SchemaError> {
    let Some(schema) = schema.filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    // The store accepts objects and booleans only (`true`/`false` are valid JSON Schemas); a
    // string or a number would be compiled by nothing useful, so it is named here too.
    if !(schema.is_object() || schema.is_boolean()) {
        return Err(SchemaError::InvalidSchema {
            field,
            message: format!("a JSON Schema is an object, got {}", loupe_domain::json::kind(schema)),
        });
    }
    jsonschema::options()
        // Never fetch a `$ref` (see the module comment): SSRF and local files.
        .offline()
        .build(schema)
        .map(Some)
        .map_err(|error| SchemaError::InvalidSchema {
            field,
            message: bounded(&error.to_string()),
        })
}

fn check(field: ItemField, validator: Option<&Validator>, value: &Value) -> Result<(), Violation> {
    let Some(validator) = validator else {
        return Ok(());
    };
    if value.is_null() {
        return Ok(());
    }
    match validator.validate(value) {
        Ok(()) => Ok(()),
        Err(error) => Err(Violation {
            field,
            pointer: error.instance_path().as_str().to_string(),
            // Masked: the message says "value …" instead of quoting the value, which may be
            // megabytes (or private); the pointer says where it is.
            message: bounded(&error.masked_with("value").to_string()),
        }),
    }
}

/// At most [`MESSAGE_CHARS`] characters, cut on a character boundary with an ellipsis.
fn bounded(message: &str) -> String {
    match message.char_indices().nth(MESSAGE_CHARS) {
        None => message.to_string(),
        Some((at, _)) => format!("{}…", &message[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas(input: Value, expected: Value) -> ItemSchemas {
        ItemSchemas::compile(Some(&input), Some(&expected)).unwrap()
    }

    #[test]
    fn checks_values_and_names_the_pointer() {
        let s = schemas(
            json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
            json!({"type": "object", "properties": {"answer": {"type": "integer"}}}),
        );
        assert!(s.check(&json!({"q": "hi"}), &json!({"answer": 4})).is_ok());
        // Nulls are not checked (Langfuse skips them).
        assert!(s.check(&Value::Null, &Value::Null).is_ok());
        let v = s.check(&json!({"q": "hi"}), &json!({"answer": "four"})).unwrap_err();
        assert_eq!(v.field, ItemField::ExpectedOutput);
        assert_eq!(v.pointer, "/answer");
        assert!(!v.message.contains("four"), "the value is not quoted: {}", v.message);
        assert!(v.to_string().starts_with("expectedOutput at /answer: "), "{v}");
        let whole = s.check(&json!(["q"]), &Value::Null).unwrap_err();
        assert_eq!((whole.field, whole.pointer.as_str()), (ItemField::Input, ""));
        assert!(whole.to_string().starts_with("input (the whole value): "), "{whole}");
    }

    #[test]
    fn refuses_invalid_schemas_by_field() {
        let err = ItemSchemas::compile(None, Some(&json!({"type": 12}))).unwrap_err();
        assert!(matches!(err, SchemaError::InvalidSchema { field: ItemField::ExpectedOutput, .. }));
        assert_eq!(err.field(), "expectedOutputSchema");
        assert!(err.to_string().starts_with("expectedOutputSchema is not a valid JSON Schema"), "{err}");
        let err = ItemSchemas::compile(Some(&json!("string")), None).unwrap_err();
        assert_eq!(err.field(), "inputSchema");
        assert!(ItemSchemas::compile(Some(&json!(true)), Some(&Value::Null)).is_ok());
        assert!(ItemSchemas::compile(None, None).unwrap().is_empty());
    }

    #[test]
    fn never_resolves_remote_refs() {
        // No request is made (the validator is offline): the schema is refused at once. A
        // non-routable address, so that a regression hangs on a connect rather than passing.
        let started = std::time::Instant::now();
        for uri in ["http://10.255.255.1/schema.json", "file:///etc/passwd"] {
            let err = ItemSchemas::compile(Some(&json!({"$ref": uri})), None).unwrap_err();
            assert_eq!(err.field(), "inputSchema", "{err}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // Local references still work.
        let s = schemas(
            json!({"$defs": {"n": {"type": "integer"}}, "type": "array", "items": {"$ref": "#/$defs/n"}}),
            Value::Null,
        );
        assert_eq!(s.check(&json!([1, "x"]), &Value::Null).unwrap_err().pointer, "/1");
    }

    #[test]
    fn self_references_terminate() {
        // A schema that refers to itself without consuming the value must neither hang nor
        // overflow the stack (a client could store one and then write items).
        for schema in [json!({"$ref": "#"}), json!({"allOf": [{"$ref": "#"}], "type": "object"})] {
            match ItemSchemas::compile(Some(&schema), None) {
                Err(err) => assert_eq!(err.field(), "inputSchema"),
                Ok(s) => {
                    let _ = s.check(&json!({"a": 1}), &Value::Null);
                }
            }
        }
    }

    #[test]
    fn messages_are_bounded() {
        let big: Vec<String> = (0..500).map(|n| format!("choice-{n}")).collect();
        let s = schemas(json!({"enum": big}), Value::Null);
        let v = s.check(&json!("nope"), &Value::Null).unwrap_err();
        assert!(v.message.chars().count() <= MESSAGE_CHARS + 1, "{}", v.message);
        let err = SchemaError::ExistingItems {
            count: 10,
            examples: vec![("a".into(), v.clone()), ("b".into(), v)],
        };
        let text = err.to_string();
        assert!(text.starts_with("Schema validation failed for 10 item(s). Details: item \"a\": input"), "{text}");
        assert!(text.ends_with("; and 8 more"), "{text}");
    }
}
