//! Dataset items in and out of files (#21): CSV and JSONL read in the browser into columns and
//! rows, a mapping of each column to an item field, the rows it makes (with the problems of the
//! rows it cannot make), and the CSV/JSONL an export writes. Also the UI's item form as data
//! (JSON text per field, checked as typed) and the problems the server reports per row. Pure
//! functions without I/O, so the browser and the tests run the same code; no CSV crate: the
//! format is small (RFC 4180) and the explorer bundle stays light.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datasets::{DatasetItem, MAX_ITEM_ID};

/// Most rows one import takes (a file with more is refused before anything is sent; split it).
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// Largest file the browser reads for an import.
pub const MAX_IMPORT_FILE_BYTES: usize = 50 * 1024 * 1024;
/// Rows are sent in calls of about this many bytes of JSON, below the UI's default request body
/// limit (2 MiB, `LOUPE_UI_MAX_BODY`), so a big file is not refused as a whole.
pub const IMPORT_CALL_BYTES: usize = 1024 * 1024;
/// Rows shown in the import's preview.
pub const PREVIEW_ROWS: usize = 5;
/// Columns a file may have (a JSONL file's keys over all lines).
pub const MAX_COLUMNS: usize = 200;
/// Items per page of a dataset's items table (and per call of an export).
pub const ITEMS_PAGE_SIZE: i64 = 50;
pub const EXPORT_PAGE_SIZE: i64 = 1000;

// ---------------------------------------------------------------------------------------------
// Files

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileFormat {
    Csv,
    Jsonl,
}

impl FileFormat {
    /// By the file's extension: `.jsonl`/`.ndjson`/`.json` are JSON lines, anything else CSV.
    pub fn of_file_name(name: &str) -> FileFormat {
        let lower = name.to_lowercase();
        if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") || lower.ends_with(".json") {
            FileFormat::Jsonl
        } else {
            FileFormat::Csv
        }
    }
}

/// A file read into columns and rows. A cell is `None` when empty (CSV) or absent (JSONL).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFile {
    pub columns: Vec<String>,
    pub rows: Vec<ParsedRow>,
    /// Rows that could not be read at all (bad JSON on a line, an unclosed quote).
    pub problems: Vec<RowProblem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRow {
    /// The row as a person finds it: the line of a JSONL file, the spreadsheet row of a CSV
    /// file (its header is row 1).
    pub row: usize,
    pub cells: Vec<Option<Value>>,
}

/// Why a whole file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    TooManyRows { rows: usize },
    TooManyColumns { columns: usize },
    NoHeader,
}

/// Reads a file's text in `format`. At most [`MAX_IMPORT_ROWS`] rows (more is a [`FileProblem`]).
pub fn parse_file(format: FileFormat, text: &str) -> Result<ParsedFile, FileProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = match format {
        FileFormat::Csv => parse_csv_file(text)?,
        FileFormat::Jsonl => parse_jsonl(text)?,
    };
    let rows = file.rows.len() + file.problems.len();
    if rows == 0 {
        return Err(FileProblem::Empty);
    }
    if rows > MAX_IMPORT_ROWS {
        return Err(FileProblem::TooManyRows { rows });
    }
    if file.columns.len() > MAX_COLUMNS {
        return Err(FileProblem::TooManyColumns { columns: file.columns.len() });
    }
    Ok(file)
}

/// RFC 4180 records: `"` quotes (doubled inside), separators and line breaks inside quotes kept;
/// CRLF or LF. The separator is the header line's most frequent of `,`, `;` and tab (Excel
/// writes `;` in many locales). An unclosed quote is the error of its record's row.
pub fn parse_csv(text: &str) -> (Vec<Vec<String>>, Option<usize>) {
    let header = text.lines().next().unwrap_or("");
    let separator = [',', ';', '\t'].into_iter().max_by_key(|c| (header.matches(*c).count(), *c == ',')).unwrap_or(',');
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut field_started = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                quoted = true;
                field_started = true;
            }
            c if c == separator => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
                records.push(std::mem::take(&mut record));
            }
            c => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if quoted {
        // The record with the open quote is the last one; its row is records + 1.
        return (records.clone(), Some(records.len() + 1));
    }
    if field_started || !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    (records, None)
}

fn parse_csv_file(text: &str) -> Result<ParsedFile, FileProblem> {
    let (records, unclosed) = parse_csv(text);
    let mut records = records.into_iter().enumerate();
    let Some((_, header)) = records.next() else {
        return if unclosed.is_some() { Err(FileProblem::NoHeader) } else { Err(FileProblem::Empty) };
    };
    let columns: Vec<String> = header.iter().enumerate().map(|(i, c)| if c.trim().is_empty() { format!("column_{}", i + 1) } else { c.trim().to_string() }).collect();
    if columns.iter().all(|c| c.starts_with("column_")) && header.iter().all(|c| c.trim().is_empty()) {
        return Err(FileProblem::NoHeader);
    }
    let mut file = ParsedFile { columns, ..Default::default() };
    for (index, record) in records {
        // A blank line between records is no row.
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        let row = index + 1;
        if record.len() > file.columns.len() {
            file.problems.push(RowProblem { row, field: String::new(), problem: ImportProblem::ExtraCells { cells: record.len(), columns: file.columns.len() } });
            continue;
        }
        let cells = (0..file.columns.len()).map(|i| record.get(i).filter(|c| !c.is_empty()).map(|c| Value::String(c.clone()))).collect();
        file.rows.push(ParsedRow { row, cells });
    }
    if let Some(row) = unclosed {
        file.problems.push(RowProblem { row, field: String::new(), problem: ImportProblem::UnclosedQuote });
    }
    Ok(file)
}

fn parse_jsonl(text: &str) -> Result<ParsedFile, FileProblem> {
    let mut file = ParsedFile::default();
    let mut objects: Vec<(usize, Map<String, Value>)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = index + 1;
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => {
                for key in map.keys() {
                    if !file.columns.contains(key) && file.columns.len() <= MAX_COLUMNS {
                        file.columns.push(key.clone());
                    }
                }
                objects.push((row, map));
            }
            Ok(_) => file.problems.push(RowProblem { row, field: String::new(), problem: ImportProblem::NotAnObject }),
            Err(e) => file.problems.push(RowProblem { row, field: String::new(), problem: ImportProblem::NotJson { line: e.line(), column: e.column() } }),
        }
    }
    for (row, mut map) in objects {
        let cells = file.columns.iter().map(|c| map.remove(c).filter(|v| !v.is_null())).collect();
        file.rows.push(ParsedRow { row, cells });
    }
    Ok(file)
}

// ---------------------------------------------------------------------------------------------
// Mapping

/// Where a column's values go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColumnTarget {
    Input,
    ExpectedOutput,
    Metadata,
    /// The item's id: a row whose id exists in the dataset makes a new version of that item.
    Id,
    Ignore,
}

impl ColumnTarget {
    pub const ALL: [ColumnTarget; 5] = [ColumnTarget::Input, ColumnTarget::ExpectedOutput, ColumnTarget::Metadata, ColumnTarget::Id, ColumnTarget::Ignore];

    /// The target a column's name suggests (an export of Loupe or Langfuse maps back as it was).
    pub fn guess(column: &str) -> ColumnTarget {
        let name: String = column.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        match name.as_str() {
            "input" | "inputs" | "question" | "prompt" | "query" => ColumnTarget::Input,
            "expectedoutput" | "expected" | "output" | "answer" | "reference" | "groundtruth" | "target" => ColumnTarget::ExpectedOutput,
            "metadata" | "meta" => ColumnTarget::Metadata,
            "id" | "itemid" => ColumnTarget::Id,
            _ => ColumnTarget::Ignore,
        }
    }

    /// [`ColumnTarget::guess`] for every column; when nothing would be the input, the first
    /// column not taken by another field is.
    pub fn guess_all(columns: &[String]) -> Vec<ColumnTarget> {
        let mut mapping: Vec<ColumnTarget> = columns.iter().map(|c| ColumnTarget::guess(c)).collect();
        if !mapping.contains(&ColumnTarget::Input) {
            if let Some(first) = mapping.iter_mut().find(|t| **t == ColumnTarget::Ignore) {
                *first = ColumnTarget::Input;
            }
        }
        mapping
    }
}

/// A CSV cell's text as a value: an object, array or quoted string that parses as JSON is that
/// JSON; anything else (numbers included: `007` stays `"007"`) is the text itself.
pub fn cell_value(text: &str) -> Value {
    let trimmed = text.trim();
    if trimmed.starts_with(['{', '[', '"']) {
        if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
            return value;
        }
    }
    Value::String(text.to_string())
}

/// One row to import, as the browser sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The row in the file (for the report).
    pub row: usize,
    pub id: Option<String>,
    pub input: Value,
    pub expected_output: Option<Value>,
    pub metadata: Option<Value>,
}

/// The values of one field from the columns mapped to it: one column gives its value, several
/// give an object keyed by column name (absent cells left out); `None` when every cell is empty.
fn field(columns: &[String], row: &ParsedRow, mapping: &[ColumnTarget], target: ColumnTarget, csv: bool) -> Option<Value> {
    let value = |cell: &Value| match (csv, cell) {
        (true, Value::String(text)) => cell_value(text),
        (_, other) => other.clone(),
    };
    let chosen: Vec<usize> = mapping.iter().enumerate().filter(|(_, t)| **t == target).map(|(i, _)| i).collect();
    match chosen.as_slice() {
        [] => None,
        [one] => row.cells.get(*one).cloned().flatten().map(|c| value(&c)),
        many => {
            let map: Map<String, Value> =
                many.iter().filter_map(|i| row.cells.get(*i).cloned().flatten().map(|c| (columns[*i].clone(), value(&c)))).collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
    }
}

/// The rows a mapping makes of a file, and the rows it cannot make (no input, a bad id).
pub fn apply_mapping(format: FileFormat, file: &ParsedFile, mapping: &[ColumnTarget]) -> (Vec<ImportRow>, Vec<RowProblem>) {
    let csv = format == FileFormat::Csv;
    let mut rows = Vec::new();
    let mut problems = file.problems.clone();
    let id_column = mapping.iter().position(|t| *t == ColumnTarget::Id);
    for row in &file.rows {
        let id = match id_column.and_then(|i| row.cells.get(i).cloned().flatten()) {
            None => None,
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(other) => Some(other.to_string()),
        };
        if let Some(id) = &id {
            if id.chars().count() > MAX_ITEM_ID || id.contains('\0') {
                problems.push(RowProblem { row: row.row, field: "id".into(), problem: ImportProblem::BadId });
                continue;
            }
        }
        let Some(input) = field(&file.columns, row, mapping, ColumnTarget::Input, csv) else {
            problems.push(RowProblem { row: row.row, field: "input".into(), problem: ImportProblem::EmptyInput });
            continue;
        };
        rows.push(ImportRow {
            row: row.row,
            id,
            input,
            expected_output: field(&file.columns, row, mapping, ColumnTarget::ExpectedOutput, csv),
            metadata: field(&file.columns, row, mapping, ColumnTarget::Metadata, csv),
        });
    }
    problems.sort_by_key(|p| p.row);
    (rows, problems)
}

/// `rows` cut into calls of about [`IMPORT_CALL_BYTES`] of JSON each (a row larger than that
/// goes alone; the server's limit then answers for it).
pub fn import_calls(rows: Vec<ImportRow>) -> Vec<Vec<ImportRow>> {
    let mut calls = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for row in rows {
        let row_size = serde_json::to_string(&row).map(|s| s.len()).unwrap_or(0) + 1;
        if !current.is_empty() && size + row_size > IMPORT_CALL_BYTES {
            calls.push(std::mem::take(&mut current));
            size = 0;
        }
        size += row_size;
        current.push(row);
    }
    if !current.is_empty() {
        calls.push(current);
    }
    calls
}

// ---------------------------------------------------------------------------------------------
// Problems and reports

/// A row that was not imported, and why; `field` in the item's vocabulary (`input`, `id`), empty
/// when the row could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub row: usize,
    pub field: String,
    pub problem: ImportProblem,
}

/// What can be wrong with a row; the UI words each per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportProblem {
    /// A JSONL line that is not JSON.
    NotJson { line: usize, column: usize },
    /// A JSONL line that is JSON but not an object.
    NotAnObject,
    /// A CSV record with an open quote at the end of the file.
    UnclosedQuote,
    /// A CSV record with more cells than the header has columns.
    ExtraCells { cells: usize, columns: usize },
    /// Nothing mapped to the input, or every such cell empty.
    EmptyInput,
    /// An id longer than 255 characters, or with a NUL character.
    BadId,
    /// The id belongs to an item of another dataset of the project (its name).
    IdInOtherDataset(String),
    /// A value holds a NUL character (`\u0000`), which the database cannot store.
    NulCharacter,
    /// The database refused the row (its words).
    Refused(String),
    /// A value fails the dataset's JSON Schema: the field, where in it (a JSON Pointer, empty for
    /// the whole value) and the validator's words.
    Schema { field: String, pointer: String, message: String },
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportProblem::NotJson { line, column } => write!(f, "not valid JSON (line {line}, column {column})"),
            ImportProblem::NotAnObject => f.write_str("not a JSON object"),
            ImportProblem::UnclosedQuote => f.write_str("a quote is not closed"),
            ImportProblem::ExtraCells { cells, columns } => write!(f, "{cells} cells for {columns} columns"),
            ImportProblem::EmptyInput => f.write_str("the input is empty"),
            ImportProblem::Schema { field, pointer, message } if pointer.is_empty() => {
                write!(f, "{field} does not match the dataset's schema: {message}")
            }
            ImportProblem::Schema { field, pointer, message } => write!(f, "{field} at {pointer} does not match the dataset's schema: {message}"),
            ImportProblem::BadId => write!(f, "an id has 1 to {MAX_ITEM_ID} characters and no NUL character"),
            ImportProblem::IdInOtherDataset(name) => write!(f, "the id belongs to an item of the dataset {name:?}"),
            ImportProblem::NulCharacter => f.write_str("contains a NUL character (\\u0000)"),
            ImportProblem::Refused(why) => f.write_str(why),
        }
    }
}

/// What an import call did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: u64,
    /// Rows whose id named an item of the dataset: each made a new version of it.
    pub updated: u64,
    pub failed: Vec<RowProblem>,
}

impl ImportReport {
    /// Adds another call's report to this one (rows stay in file order).
    pub fn merge(&mut self, other: ImportReport) {
        self.created += other.created;
        self.updated += other.updated;
        self.failed.extend(other.failed);
        self.failed.sort_by_key(|p| p.row);
    }
}

/// Whether any string (or key) in `value` holds a NUL character, which Postgres' JSONB refuses.
/// Iterative, so any depth is safe.
pub fn has_nul(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) if s.contains('\0') => return true,
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                if map.keys().any(|k| k.contains('\0')) {
                    return true;
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Export

/// The columns of an export, in Langfuse's vocabulary (so a re-import maps them back).
pub const EXPORT_COLUMNS: [&str; 9] =
    ["id", "input", "expectedOutput", "metadata", "status", "sourceTraceId", "sourceObservationId", "createdAt", "updatedAt"];

/// A value as a CSV cell: `null` empty, a string as its text (JSON-quoted when it would read back
/// as JSON: starting with `{`, `[` or `"`), anything else as compact JSON. [`cell_value`] reads
/// it back to the same value.
pub fn csv_cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) if s.trim_start().starts_with(['{', '[', '"']) => Value::String(s.clone()).to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A CSV field, quoted when it holds a separator, quote, line break or surrounding spaces.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r', ';', '\t']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn export_values(item: &DatasetItem) -> [Value; 9] {
    let text = |s: &Option<String>| s.clone().map(Value::String).unwrap_or(Value::Null);
    [
        Value::String(item.id.clone()),
        item.input.clone(),
        item.expected_output.clone(),
        item.metadata.clone(),
        Value::String(item.status.as_str().to_string()),
        text(&item.source_trace_id),
        text(&item.source_observation_id),
        Value::String(item.created_at.to_rfc3339()),
        Value::String(item.updated_at.to_rfc3339()),
    ]
}

/// Items as CSV (header first, CRLF line ends as RFC 4180 says).
pub fn to_csv(items: &[DatasetItem]) -> String {
    let mut out = EXPORT_COLUMNS.join(",");
    out.push_str("\r\n");
    for item in items {
        let cells: Vec<String> = export_values(item).iter().map(|v| csv_field(&csv_cell_text(v))).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Items as JSON lines, one object per item with [`EXPORT_COLUMNS`] as keys.
pub fn to_jsonl(items: &[DatasetItem]) -> String {
    let mut out = String::new();
    for item in items {
        let map: Map<String, Value> = EXPORT_COLUMNS.iter().map(|c| c.to_string()).zip(export_values(item)).collect();
        out.push_str(&Value::Object(map).to_string());
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Showing values

/// A value in one line for a table cell: a string as itself, anything else as compact JSON, cut
/// at `max` characters with "…". Empty for `null`.
pub fn preview(value: &Value, max: usize) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() > max {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    } else {
        one_line
    }
}

/// A value as pretty JSON with sorted keys (the editors' text and the versions' diff); empty for
/// `null`.
pub fn pretty(value: &Value) -> String {
    if value.is_null() {
        return String::new();
    }
    serde_json::to_string_pretty(&crate::json::sorted(value)).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The item form

/// A JSON field of the item form that does not parse: its line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonProblem {
    pub line: usize,
    pub column: usize,
}

/// A JSON editor's text as a value: blank is `null`; otherwise it must be JSON (a string needs
/// its quotes).
pub fn parse_json_field(text: &str) -> Result<Value, JsonProblem> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|e| JsonProblem { line: e.line(), column: e.column() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_handles_quotes_separators_and_line_breaks() {
        let (records, unclosed) = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",3\n");
        assert_eq!(unclosed, None);
        assert_eq!(records, vec![vec!["a", "b"], vec!["x, y", "say \"hi\""], vec!["two\nlines", "3"]]);
        let (records, _) = parse_csv("a;b\n1;2");
        assert_eq!(records, vec![vec!["a", "b"], vec!["1", "2"]], "semicolons when the header uses them");
        let (records, _) = parse_csv("a\tb\n1\t2,5\n");
        assert_eq!(records[1], vec!["1", "2,5"]);
        let (_, unclosed) = parse_csv("a,b\n1,2\n\"open,3\n");
        assert_eq!(unclosed, Some(3));
    }

    #[test]
    fn a_csv_file_becomes_rows_with_spreadsheet_numbers() {
        let file = parse_file(FileFormat::Csv, "\u{feff}question,answer,notes\nWhat?,42,\n\n\"{\"\"q\"\": 1}\",\"[1,2]\",x,extra\nWho?,\"\"\"me\"\"\",n\n").unwrap();
        assert_eq!(file.columns, vec!["question", "answer", "notes"]);
        assert_eq!(file.rows.len(), 2);
        assert_eq!(file.rows[0].row, 2);
        assert_eq!(file.rows[0].cells, vec![Some(json!("What?")), Some(json!("42")), None]);
        assert_eq!(file.rows[1].row, 5, "the blank line and the bad record keep their numbers");
        assert_eq!(file.problems, vec![RowProblem { row: 4, field: String::new(), problem: ImportProblem::ExtraCells { cells: 4, columns: 3 } }]);
    }

    #[test]
    fn mapping_makes_rows_and_names_the_rows_it_cannot_make() {
        let file = parse_file(FileFormat::Csv, "id,question,context,answer,meta\nq1,What?,\"{\"\"doc\"\": 1}\",\"\"\"42\"\"\",\"{\"\"k\"\": true}\"\nq2,,,no input,\n,Who?,,me,\n").unwrap();
        let mapping = vec![ColumnTarget::Id, ColumnTarget::Input, ColumnTarget::Input, ColumnTarget::ExpectedOutput, ColumnTarget::Metadata];
        let (rows, problems) = apply_mapping(FileFormat::Csv, &file, &mapping);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id.as_deref(), Some("q1"));
        assert_eq!(rows[0].input, json!({"question": "What?", "context": {"doc": 1}}), "two columns make an object; a JSON cell is parsed");
        assert_eq!(rows[0].expected_output, Some(json!("42")), "a quoted JSON string is that string");
        assert_eq!(rows[0].metadata, Some(json!({"k": true})));
        assert_eq!(rows[1].id, None);
        assert_eq!(rows[1].input, json!({"question": "Who?"}));
        assert_eq!(rows[1].expected_output, Some(json!("me")));
        assert_eq!(problems, vec![RowProblem { row: 3, field: "input".into(), problem: ImportProblem::EmptyInput }]);
    }

    #[test]
    fn jsonl_keys_are_columns_and_bad_lines_are_reported() {
        let text = "{\"input\": {\"q\": 1}, \"expectedOutput\": \"a\"}\n\nnot json\n[1]\n{\"input\": \"x\", \"metadata\": {\"m\": 2}}\n";
        let file = parse_file(FileFormat::Jsonl, text).unwrap();
        assert_eq!(file.columns, vec!["input", "expectedOutput", "metadata"]);
        let mapping = ColumnTarget::guess_all(&file.columns);
        assert_eq!(mapping, vec![ColumnTarget::Input, ColumnTarget::ExpectedOutput, ColumnTarget::Metadata]);
        let (rows, problems) = apply_mapping(FileFormat::Jsonl, &file, &mapping);
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(rows[0].input, json!({"q": 1}));
        assert_eq!(rows[1].metadata, Some(json!({"m": 2})));
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].row, 3);
        assert!(matches!(problems[0].problem, ImportProblem::NotJson { line: 1, column: 2 }), "{:?}", problems[0]);
        assert_eq!(problems[1], RowProblem { row: 4, field: String::new(), problem: ImportProblem::NotAnObject });
    }

    #[test]
    fn files_are_bounded() {
        assert_eq!(parse_file(FileFormat::Csv, ""), Err(FileProblem::Empty));
        assert_eq!(parse_file(FileFormat::Csv, "a,b\n"), Err(FileProblem::Empty));
        let big = format!("a\n{}", "x\n".repeat(MAX_IMPORT_ROWS + 1));
        assert_eq!(parse_file(FileFormat::Csv, &big), Err(FileProblem::TooManyRows { rows: MAX_IMPORT_ROWS + 1 }));
        let exact = format!("a\n{}", "x\n".repeat(MAX_IMPORT_ROWS));
        assert_eq!(parse_file(FileFormat::Csv, &exact).unwrap().rows.len(), MAX_IMPORT_ROWS);
    }

    #[test]
    fn guesses_fall_back_to_the_first_free_column() {
        let columns = vec!["text".to_string(), "label".to_string()];
        assert_eq!(ColumnTarget::guess_all(&columns), vec![ColumnTarget::Input, ColumnTarget::Ignore]);
        assert_eq!(ColumnTarget::guess("Expected Output"), ColumnTarget::ExpectedOutput);
        assert_eq!(FileFormat::of_file_name("items.JSONL"), FileFormat::Jsonl);
        assert_eq!(FileFormat::of_file_name("items.csv"), FileFormat::Csv);
    }

    fn item(id: &str, input: Value, expected: Value) -> DatasetItem {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-09T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
        DatasetItem {
            id: id.into(),
            status: super::super::datasets::ItemStatus::Active,
            input,
            expected_output: expected,
            metadata: Value::Null,
            source_trace_id: Some("t1".into()),
            source_observation_id: None,
            dataset_id: "d".into(),
            dataset_name: "qa".into(),
            created_at: t,
            updated_at: t,
            version: t,
            media_references: Vec::new(),
        }
    }

    #[test]
    fn an_export_reads_back_to_the_same_values() {
        let items = vec![
            item("a", json!({"q": "x, \"y\"\nz"}), json!("plain, text")),
            item("b", json!("{looks like json}"), json!(7)),
        ];
        let csv = to_csv(&items);
        assert!(csv.starts_with("id,input,expectedOutput,metadata,status,sourceTraceId,sourceObservationId,createdAt,updatedAt\r\n"), "{csv}");
        let file = parse_file(FileFormat::Csv, &csv).unwrap();
        let mapping = ColumnTarget::guess_all(&file.columns);
        let (rows, problems) = apply_mapping(FileFormat::Csv, &file, &mapping);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].input, json!({"q": "x, \"y\"\nz"}));
        assert_eq!(rows[0].expected_output, Some(json!("plain, text")));
        assert_eq!(rows[1].input, json!("{looks like json}"), "a string that looks like JSON stays a string");
        assert_eq!(rows[1].expected_output, Some(json!("7")), "numbers come back as their text from CSV");
        let jsonl = to_jsonl(&items);
        let file = parse_file(FileFormat::Jsonl, &jsonl).unwrap();
        let (rows, _) = apply_mapping(FileFormat::Jsonl, &file, &ColumnTarget::guess_all(&file.columns));
        assert_eq!(rows[1].expected_output, Some(json!(7)));
        assert_eq!(rows[0].id.as_deref(), Some("a"));
    }

    #[test]
    fn calls_stay_under_the_body_limit() {
        let row = |n: usize| ImportRow { row: n, id: None, input: json!("x".repeat(300_000)), expected_output: None, metadata: None };
        let calls = import_calls((0..7).map(row).collect());
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 1]);
        assert!(import_calls(Vec::new()).is_empty());
    }

    #[test]
    fn helpers() {
        assert!(has_nul(&json!({"a": [1, {"b": "x\u{0}"}]})));
        assert!(has_nul(&json!({"k\u{0}": 1})));
        assert!(!has_nul(&json!({"a": ["fine"]})));
        assert_eq!(preview(&json!({"a": "line\nbreak"}), 100), r#"{"a":"line\nbreak"}"#);
        assert_eq!(preview(&json!("abcdef"), 3), "abc…");
        assert_eq!(preview(&Value::Null, 3), "");
        assert_eq!(parse_json_field("  "), Ok(Value::Null));
        assert_eq!(parse_json_field("{\"a\": 1"), Err(JsonProblem { line: 1, column: 7 }));
        assert_eq!(parse_json_field("hello").unwrap_err().line, 1);
        assert_eq!(pretty(&json!({"b": 1, "a": 2})), "{\n  \"a\": 2,\n  \"b\": 1\n}");
        let mut report = ImportReport { created: 1, updated: 0, failed: vec![RowProblem { row: 9, field: "input".into(), problem: ImportProblem::EmptyInput }] };
        report.merge(ImportReport { created: 2, updated: 1, failed: vec![RowProblem { row: 3, field: "id".into(), problem: ImportProblem::BadId }] });
        assert_eq!((report.created, report.updated), (3, 1));
        assert_eq!(report.failed.iter().map(|p| p.row).collect::<Vec<_>>(), vec![3, 9]);
    }
}
