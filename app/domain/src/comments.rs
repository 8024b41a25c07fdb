//! Comments with mentions (#20): people's notes on a trace, an observation, a session or a prompt
//! version, in Langfuse's public shape (`/api/public/comments`, COMPATIBILITY.md "Comments"), and
//! what the UI shows around them — a thread's entries, the people one may mention, the inbox.
//!
//! A mention is written in the content itself, as Langfuse's UI writes it:
//! `@[Display Name](user:ACCOUNT_ID)`. [`mentions`] finds them; the store records only those
//! naming a member of the project (anyone else is ignored), so the inbox never lists a comment its
//! reader could not open. In markdown a mention reads as a link to `user:…`, which the comment
//! renderer shows as a highlighted `@Name` (and any other renderer as plain text, since `user:`
//! is not a link scheme it allows).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest comment, in characters after trimming: Langfuse's public API limit, so nothing a
/// Langfuse script sends is refused. The database checks it too.
pub const MAX_CONTENT_CHARS: usize = 5000;
/// Mentions recorded per comment; any beyond are left as text (a guard against a comment that is
/// nothing but mentions, not a limit anyone meets).
pub const MAX_MENTIONS: usize = 50;
/// Longest display name inside a mention token.
pub const MAX_MENTION_NAME_CHARS: usize = 100;
/// Longest object id (the database checks it too).
pub const MAX_OBJECT_ID_CHARS: usize = 1000;
/// Inbox entries per page.
pub const INBOX_PAGE: i64 = 20;

/// What a comment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectType {
    Trace,
    Observation,
    Session,
    /// A prompt version; the object id is the version's row id (`PromptVersion::id`).
    Prompt,
}

impl ObjectType {
    pub const ALL: [ObjectType; 4] = [ObjectType::Trace, ObjectType::Observation, ObjectType::Session, ObjectType::Prompt];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Trace => "TRACE",
            ObjectType::Observation => "OBSERVATION",
            ObjectType::Session => "SESSION",
            ObjectType::Prompt => "PROMPT",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is not one of [`ObjectType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown object type {0:?}")]
pub struct UnknownObjectType(pub String);

impl FromStr for ObjectType {
    type Err = UnknownObjectType;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ObjectType::ALL.into_iter().find(|t| t.as_str() == text).ok_or_else(|| UnknownObjectType(text.to_string()))
    }
}

/// A comment in Langfuse's shape (`GET /api/public/comments/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: String,
    pub project_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub object_type: ObjectType,
    pub object_id: String,
    pub content: String,
    pub author_user_id: Option<String>,
}

/// A comment as a thread shows it: its author's name, and what the reader may do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentEntry {
    pub comment: Comment,
    /// The author's name, else their email; `None` for an API key's comment or a deleted account.
    pub author_name: Option<String>,
    /// The reader wrote it (and may still write comments).
    pub can_edit: bool,
    /// The reader wrote it, or is an Admin or Owner of the project.
    pub can_delete: bool,
}

/// Someone the composer offers after `@`: a member of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionCandidate {
    pub id: String,
    /// Their name, else their email.
    pub name: String,
    pub email: String,
}

impl MentionCandidate {
    /// Whether typing `@query` should offer this person: a case-insensitive match anywhere in the
    /// name or at the start of the email. An empty query offers everyone.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.to_lowercase();
        query.is_empty() || self.name.to_lowercase().contains(&query) || self.email.to_lowercase().starts_with(&query)
    }
}

/// One mention of the reader, for the inbox: who wrote what where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub project_id: String,
    pub project_name: String,
    pub comment_id: String,
    pub object_type: ObjectType,
    pub object_id: String,
    /// Where the comment is, as a link into the UI (see [`object_href`]).
    pub href: String,
    pub author_name: Option<String>,
    /// The comment as one line of plain text, cut (see [`excerpt`]).
    pub excerpt: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// A page of the reader's inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub entries: Vec<InboxEntry>,
    /// Unread mentions in the inbox's scope (all the reader's projects, or the one asked for).
    pub unread: i64,
    /// Whether an older page exists.
    pub more: bool,
}

/// What is wrong with a comment's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContentProblem {
    #[error("content: a comment cannot be empty")]
    Empty,
    #[error("content: at most {max} characters, got {chars}", max = MAX_CONTENT_CHARS)]
    TooLong { chars: usize },
}

/// The content to store: trimmed (as Langfuse does), not empty, at most [`MAX_CONTENT_CHARS`].
pub fn check_content(content: &str) -> Result<&str, ContentProblem> {
    let content = content.trim();
    if content.is_empty() {
        return Err(ContentProblem::Empty);
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT_CHARS {
        return Err(ContentProblem::TooLong { chars });
    }
    Ok(content)
}

/// One `@[Name](user:ID)` token found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionToken<'a> {
    /// Byte range of the whole token, `@` to `)`.
    pub start: usize,
    pub end: usize,
    pub name: &'a str,
    pub id: &'a str,
}

/// Every well-formed mention token in `text`, in order. A name is 1 to
/// [`MAX_MENTION_NAME_CHARS`] characters without `]` or a line break; an id is non-empty, without
/// `)` or white space. Anything else is left as text.
pub fn tokens(text: &str) -> Vec<MentionToken<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("@[").map(|i| from + i) {
        from = at + 2;
        let rest = &text[at + 2..];
        let Some(close) = rest.find(']') else { break };
        let name = &rest[..close];
        if name.is_empty() || name.contains(['\n', '\r']) || name.chars().count() > MAX_MENTION_NAME_CHARS {
            continue;
        }
        let Some(after) = rest[close + 1..].strip_prefix("(user:") else { continue };
        let Some(end) = after.find(')') else { continue };
        let id = &after[..end];
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            continue;
        }
        let token_end = at + 2 + close + 1 + "(user:".len() + end + 1;
        found.push(MentionToken { start: at, end: token_end, name, id });
        from = token_end;
    }
    found
}

/// The account ids `content` mentions, each once, in order of first mention, at most
/// [`MAX_MENTIONS`]. Whether they may be mentioned (project members only) is the store's check.
pub fn mentions(content: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for token in tokens(content) {
        if ids.len() == MAX_MENTIONS {
            break;
        }
        if !ids.iter().any(|id| id == token.id) {
            ids.push(token.id.to_string());
        }
    }
    ids
}

/// The token the composer inserts for a person: their name with the characters that would end
/// the token early (`[`, `]`, `(`, `)`, line breaks) left out, cut to
/// [`MAX_MENTION_NAME_CHARS`]. A name left empty falls back to "user".
pub fn mention_token(name: &str, id: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '(' | ')' | '\n' | '\r'))
        .take(MAX_MENTION_NAME_CHARS)
        .collect();
    let clean = clean.trim();
    format!("@[{}](user:{id})", if clean.is_empty() { "user" } else { clean })
}

/// The `@query` being typed just before the caret, if any: `before_caret` is the text up to the
/// caret; the answer is the byte offset of the `@` and what follows it. The `@` must start the
/// text or follow white space or an opening bracket (so an email address does not open the
/// list), and the query may not contain white space or `[` (typing on after a finished word
/// closes the list), nor be longer than 40 characters.
pub fn mention_query(before_caret: &str) -> Option<(usize, &str)> {
    let at = before_caret.rfind('@')?;
    let query = &before_caret[at + 1..];
    if query.chars().count() > 40 || query.chars().any(|c| c.is_whitespace() || c == '[' || c == ']') {
        return None;
    }
    let preceded_ok = before_caret[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '\''));
    preceded_ok.then_some((at, query))
}

/// `content` as one line of plain text for a list: mention tokens as `@Name`, runs of white
/// space as one space, cut to `max_chars` characters with "…".
pub fn excerpt(content: &str, max_chars: usize) -> String {
    let mut plain = String::with_capacity(content.len().min(max_chars * 4));
    let mut from = 0;
    for token in tokens(content) {
        plain.push_str(&content[from..token.start]);
        plain.push('@');
        plain.push_str(token.name);
        from = token.end;
    }
    plain.push_str(&content[from..]);
    let words: Vec<&str> = plain.split_whitespace().collect();
    let line = words.join(" ");
    if line.chars().count() <= max_chars {
        return line;
    }
    let mut cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The UI page of a commented object. An observation opens its trace at the observation (the
/// caller knows the trace), a prompt version its prompt page at that version (the caller knows
/// the name and number); without them the link falls back to the project's list.
pub fn object_href(project_id: &str, object_type: ObjectType, object_id: &str, trace_id: Option<&str>, prompt: Option<(&str, i32)>) -> String {
    use crate::url::encode_query;
    match object_type {
        ObjectType::Trace => format!("/project/{project_id}/traces/{}", encode_query(object_id)),
        ObjectType::Observation => match trace_id {
            Some(trace) => format!("/project/{project_id}/traces/{}?observation={}", encode_query(trace), encode_query(object_id)),
            None => format!("/project/{project_id}/traces"),
        },
        ObjectType::Session => format!("/project/{project_id}/sessions/{}", encode_query(object_id)),
        ObjectType::Prompt => match prompt {
            Some((name, version)) => crate::prompts::prompt_href(project_id, name, Some(&crate::prompts::PromptTarget::Version(version))),
            None => format!("/project/{project_id}/prompts"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_once_each_in_order() {
        let text = "Hi @[Ann Lee](user:a-1) and @[Bo](user:b-2), again @[Ann](user:a-1).";
        assert_eq!(mentions(text), vec!["a-1".to_string(), "b-2".to_string()]);
        let found = tokens(text);
        assert_eq!(found.len(), 3);
        assert_eq!((found[0].name, found[0].id), ("Ann Lee", "a-1"));
        assert_eq!(&text[found[1].start..found[1].end], "@[Bo](user:b-2)");
    }

    #[test]
    fn malformed_tokens_are_text() {
        for text in [
            "@Ann",
            "@[Ann]",
            "@[Ann](user:)",
            "@[](user:x)",
            "@[Ann](mailto:x)",
            "@[Ann](user:a b)",
            "@[Ann\nLee](user:x)",
            "@[Ann](user:x",
            "[Ann](user:x)",
            "`@[unclosed",
        ] {
            assert!(mentions(text).is_empty(), "{text:?}");
        }
        // A broken token does not hide a good one after it.
        assert_eq!(mentions("@[broken](user:) then @[Ok](user:ok)"), vec!["ok"]);
        assert_eq!(mentions("@[a@[b](user:x)"), vec!["x"], "the name of a token stops at ']'");
        let long = format!("@[{}](user:x)", "n".repeat(MAX_MENTION_NAME_CHARS + 1));
        assert!(mentions(&long).is_empty());
        // CJK names and ids are found by bytes, not cut mid-character.
        assert_eq!(mentions("请看 @[王小明](user:账号-1)。"), vec!["账号-1"]);
    }

    #[test]
    fn mentions_are_capped() {
        let text: String = (0..MAX_MENTIONS + 10).map(|i| format!("@[P{i}](user:u{i}) ")).collect();
        let found = mentions(&text);
        assert_eq!(found.len(), MAX_MENTIONS);
        assert_eq!(found[0], "u0");
    }

    #[test]
    fn the_composer_inserts_a_token_that_parses_back() {
        let token = mention_token("Ann [QA] (lead)\n", "acc-1");
        assert_eq!(token, "@[Ann QA lead](user:acc-1)");
        assert_eq!(mentions(&token), vec!["acc-1"]);
        assert_eq!(mention_token("[]", "x"), "@[user](user:x)");
        let long = mention_token(&"名".repeat(300), "x");
        assert_eq!(tokens(&long)[0].name.chars().count(), MAX_MENTION_NAME_CHARS);
    }

    #[test]
    fn the_query_being_typed_opens_the_list() {
        assert_eq!(mention_query("@"), Some((0, "")));
        assert_eq!(mention_query("hello @an"), Some((6, "an")));
        assert_eq!(mention_query("(@王"), Some((1, "王")));
        assert_eq!(mention_query("mail me at ann@example"), None, "an email address is not a mention");
        assert_eq!(mention_query("hello @ann lee"), None, "a finished word closes the list");
        assert_eq!(mention_query("@[Ann](user:x) and"), None);
        assert_eq!(mention_query("no at sign"), None);
        assert_eq!(mention_query(&format!("@{}", "a".repeat(41))), None);
    }

    #[test]
    fn candidates_match_by_name_or_email() {
        let ann = MentionCandidate { id: "1".into(), name: "Ann Lee".into(), email: "ann@example.com".into() };
        assert!(ann.matches(""));
        assert!(ann.matches("lee"));
        assert!(ann.matches("ANN@"));
        assert!(!ann.matches("example"), "an email matches from its start only");
        assert!(!ann.matches("bob"));
    }

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(check_content("  hi \n"), Ok("hi"));
        assert_eq!(check_content(" \n\t "), Err(ContentProblem::Empty));
        let max = "é".repeat(MAX_CONTENT_CHARS);
        assert_eq!(check_content(&max), Ok(max.as_str()), "characters, not bytes");
        let over = "x".repeat(MAX_CONTENT_CHARS + 1);
        assert_eq!(check_content(&over), Err(ContentProblem::TooLong { chars: MAX_CONTENT_CHARS + 1 }));
        assert!(ContentProblem::TooLong { chars: 5001 }.to_string().starts_with("content:"), "the message names the field");
    }

    #[test]
    fn an_excerpt_is_one_plain_line() {
        assert_eq!(excerpt("Look  at\nthis, @[Ann Lee](user:a-1)!", 100), "Look at this, @Ann Lee!");
        assert_eq!(excerpt("abcdefghij", 5), "abcd…");
        assert_eq!(excerpt("ab   cdefgh", 4), "ab…", "no space before the ellipsis");
        assert_eq!(excerpt("你好世界", 3), "你好…");
    }

    #[test]
    fn object_types_read_and_write_langfuses_names() {
        for t in ObjectType::ALL {
            assert_eq!(t.as_str().parse::<ObjectType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert!("DATASET".parse::<ObjectType>().is_err());
        assert!("trace".parse::<ObjectType>().is_err(), "case matters, as in Langfuse");
    }

    #[test]
    fn links_to_the_commented_object() {
        assert_eq!(object_href("p", ObjectType::Trace, "t 1", None, None), "/project/p/traces/t%201");
        assert_eq!(object_href("p", ObjectType::Observation, "o/1", Some("t1"), None), "/project/p/traces/t1?observation=o%2F1");
        assert_eq!(object_href("p", ObjectType::Session, "s", None, None), "/project/p/sessions/s");
        assert_eq!(object_href("p", ObjectType::Prompt, "row-id", None, Some(("team/qa", 3))), "/project/p/prompts/team/qa?version=3");
        assert_eq!(object_href("p", ObjectType::Prompt, "row-id", None, None), "/project/p/prompts");
    }

    #[test]
    fn a_comment_speaks_langfuses_shape() {
        let at = DateTime::parse_from_rfc3339("2026-12-08T10:00:00Z").unwrap().to_utc();
        let comment = Comment {
            id: "c".into(),
            project_id: "p".into(),
            created_at: at,
            updated_at: at,
            object_type: ObjectType::Trace,
            object_id: "t".into(),
            content: "hi".into(),
            author_user_id: None,
        };
        let json = serde_json::to_value(&comment).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "projectId", "createdAt", "updatedAt", "objectType", "objectId", "content", "authorUserId"]);
        assert!(json["authorUserId"].is_null());
    }
}
