//! A trace's search document (`traces.search_text`), computed here for the rows ingestion inserts.
//!
//! The definition is SQL's, `loupe_trace_search_text(name, input, output)` (migrations
//! 20261129000001 and 20261212000002): the name, then the string values of the input, then of the
//! output, each of the two cut to 10,000 characters, joined by spaces. Postgres computed it for
//! every inserted trace through a SQL function walking the jsonb (`jsonb_path_query('strict
//! $.**')`), 5 % of its CPU under ingestion (issue #23); Loupe has the values in hand. A trigger
//! still computes it in SQL for a row inserted without it and whenever an update changes the name,
//! input or output, so the column never goes stale whoever writes.
//!
//! Equal to SQL's, byte for byte (`server/tests/trace_list.rs` compares them over hostile JSON):
//! strings in the order `$.**` visits them — depth first, an object's keys in jsonb's order
//! (shorter first, then bytewise), array elements in order; a duplicate key kept with its last
//! value (as both serde_json and jsonb do). A top-level number or boolean is text in SQL, with
//! jsonb's number formatting: for those this returns `None`, and the trigger computes it.
//!
//! [`search_words`] is the document's index key (`traces.search_words`, migration
//! 20261213000001): its distinct words, which give pg_trgm the same trigrams for less work.

use std::borrow::Cow;

use serde_json::Value;

/// How many characters of each of input and output are searched.
const MAX_CHARS: usize = 10_000;

/// The search document of a trace row, or `None` when only SQL can say (see the module docs).
pub fn search_text(name: Option<&str>, input: Option<&Value>, output: Option<&Value>) -> Option<String> {
    let input = json_strings(input)?;
    let output = json_strings(output)?;
    let mut text = String::with_capacity(name.map_or(0, str::len) + 2 + input.as_ref().map_or(0, |s| s.len()) + output.as_ref().map_or(0, |s| s.len()));
    text.push_str(name.unwrap_or(""));
    text.push(' ');
    text.push_str(input.as_deref().map_or("", left));
    text.push(' ');
    text.push_str(output.as_deref().map_or("", left));
    Some(text)
}

/// The distinct whitespace-separated words of a search document, in order of first appearance,
/// joined by single spaces — `traces.search_words`, what the search indexes are built from — or
/// `None` when they are not markedly shorter than the document (the indexes then take the
/// document itself).
///
/// Why it is a sound index key (the list's query relies on it): pg_trgm makes its trigrams word
/// by word, splitting at every non-alphanumeric character, so these words have exactly the
/// document's trigrams; CJK runs never span whitespace, so they have its CJK bigrams too. And a
/// phrase found in the document (case-insensitively) has each of its own whitespace-separated
/// words inside one word of the document, so inside these words: asking the index for every word
/// of the phrase loses no row, and the phrase itself is then checked against the document.
/// Both sides split with [`words`], so the rule is one.
pub fn search_words(text: &str) -> Option<String> {
    // foldhash and room for the words up front: SipHash and the set's regrowth were ~3 % of
    // Loupe's profile on the ingestion benchmark (issue #23). Seeded per process: the words are a
    // client's, so they cannot be chosen to collide.
    let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::with_capacity_and_hasher(text.len() / 6, Default::default());
    let mut joined = String::with_capacity(text.len() / 2);
    for word in words(text) {
        if seen.insert(word) {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(word);
        }
    }
    // A second column is worth its bytes only when it spares pg_trgm a good part of the text.
    (joined.len() * 4 < text.len() * 3).then_some(joined)
}

/// The whitespace-separated words of a document or of a searched phrase: the one split behind
/// [`search_words`] and the list's index conditions (`store::trace_list`). A word of a phrase
/// found in a document lies inside one word of that document only if both split alike.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(char::is_whitespace).filter(|w| !w.is_empty())
}

/// `loupe_json_strings(doc)`: `Some(None)` where SQL gives NULL, `None` where it cannot be
/// reproduced here (a top-level number or boolean).
fn json_strings(doc: Option<&Value>) -> Option<Option<Cow<'_, str>>> {
    match doc {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(Cow::Borrowed(s))),
        Some(Value::Number(_) | Value::Bool(_)) => None,
        Some(container) => {
            let mut strings: Vec<&str> = Vec::new();
            collect(container, &mut strings);
            Some((!strings.is_empty()).then(|| Cow::Owned(strings.join(" "))))
        }
    }
}

/// The string values under `value`, depth first, as `$.**` visits them.
fn collect<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // jsonb's key order: by length, then bytewise.
            entries.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes())));
            entries.into_iter().for_each(|(_, item)| collect(item, out));
        }
        Value::Null | Value::Number(_) | Value::Bool(_) => {}
    }
}

/// SQL's `left(s, 10000)`: the first 10,000 characters.
fn left(s: &str) -> &str {
    s.char_indices().nth(MAX_CHARS).map_or(s, |(end, _)| &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn name_then_input_then_output_strings_in_jsonb_order() {
        let input = json!({"zz": "second", "a": {"b": ["first", 1, true, null, {"c": "x"}]}, "bb": "y"});
        let text = search_text(Some("chat"), Some(&input), Some(&json!("done"))).unwrap();
        assert_eq!(text, "chat first x y second done");
    }

    #[test]
    fn nulls_and_empty_documents_leave_their_place_empty() {
        assert_eq!(search_text(None, None, None).as_deref(), Some("  "));
        assert_eq!(search_text(Some("n"), Some(&Value::Null), Some(&json!({"k": 1}))).as_deref(), Some("n  "));
    }

    #[test]
    fn each_document_is_cut_at_ten_thousand_characters() {
        let long = "作".repeat(MAX_CHARS + 5);
        let text = search_text(None, Some(&json!(long)), Some(&json!(["a", "b"]))).unwrap();
        assert_eq!(text.chars().count(), 1 + MAX_CHARS + 1 + 3);
        assert!(text.ends_with(" a b"));
    }

    #[test]
    fn words_are_the_documents_distinct_words_in_first_order() {
        let text = "chat  The customer\treports. The customer reports.\n作为 一个 作为";
        assert_eq!(search_words(text).as_deref(), Some("chat The customer reports. 作为 一个"));
        // Not markedly shorter: no second copy.
        assert_eq!(search_words("one two three two"), None);
        assert_eq!(search_words(""), None);
    }

    #[test]
    fn top_level_numbers_and_booleans_are_left_to_sql() {
        assert_eq!(search_text(None, Some(&json!(1.5)), None), None);
        assert_eq!(search_text(None, None, Some(&json!(true))), None);
    }
}
