//! The difference between two prompt versions, as the prompt page shows it: text word by word
//! (CJK character by character: Unicode word boundaries make each ideograph a word), chat
//! message by message (a changed message gets its own word diff), config as a line diff of its
//! pretty-printed JSON (keys sorted, so reordering is no change). Computed with `similar`
//! (Myers), in the browser from versions it already has. No timeout: `similar`'s deadline reads
//! the clock, which panics on wasm32.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use similar::{capture_diff_slices, Algorithm, ChangeTag, DiffOp, TextDiff};

use super::prompts::{ChatItem, PromptBody};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    Same,
    Added,
    Removed,
}

/// A run of text that is the same in both versions, or only in the new or the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub change: Change,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageDiff {
    /// Present in both versions, or only in one of them.
    Whole { change: Change, item: ChatItem },
    /// The same position holds a changed message: its role (old, new) and a word diff of its content.
    Changed { old_role: String, new_role: String, content: Vec<Segment> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BodyDiff {
    Text(Vec<Segment>),
    Chat(Vec<MessageDiff>),
    /// A text and a chat version (only across names, e.g. a duplicated prompt).
    Incomparable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDiff {
    pub body: BodyDiff,
    /// Lines of the config's pretty JSON.
    pub config: Vec<Segment>,
}

impl PromptDiff {
    pub fn is_empty(&self) -> bool {
        let same = |segments: &[Segment]| segments.iter().all(|s| s.change == Change::Same);
        let body_same = match &self.body {
            BodyDiff::Text(segments) => same(segments),
            BodyDiff::Chat(messages) => {
                messages.iter().all(|m| matches!(m, MessageDiff::Whole { change: Change::Same, .. }))
            }
            BodyDiff::Incomparable => false,
        };
        body_same && same(&self.config)
    }
}

/// How `old` became `new`.
pub fn diff(old: &PromptBody, old_config: &Value, new: &PromptBody, new_config: &Value) -> PromptDiff {
    let body = match (old, new) {
        (PromptBody::Text(a), PromptBody::Text(b)) => BodyDiff::Text(words(a, b)),
        (PromptBody::Chat(a), PromptBody::Chat(b)) => BodyDiff::Chat(messages(a, b)),
        _ => BodyDiff::Incomparable,
    };
    PromptDiff { body, config: lines(&pretty(old_config), &pretty(new_config)) }
}

fn pretty(config: &Value) -> String {
    // Keys sorted (serde_json keeps insertion order here), so equal objects print equally.
    let mut text = serde_json::to_string_pretty(&crate::json::sorted(config)).unwrap_or_default();
    text.push('\n');
    text
}

fn change(tag: ChangeTag) -> Change {
    match tag {
        ChangeTag::Equal => Change::Same,
        ChangeTag::Insert => Change::Added,
        ChangeTag::Delete => Change::Removed,
    }
}

/// Merges neighbouring changes of one kind, so the view has few spans.
fn push(segments: &mut Vec<Segment>, kind: Change, text: &str) {
    match segments.last_mut() {
        Some(last) if last.change == kind => last.text.push_str(text),
        _ => segments.push(Segment { change: kind, text: text.to_string() }),
    }
}

/// Word-level diff (Unicode word boundaries; whitespace and punctuation are tokens too).
pub fn words(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).diff_unicode_words(old, new);
    let mut segments = Vec::new();
    for op in diff.ops() {
        for c in diff.iter_changes(op) {
            push(&mut segments, change(c.tag()), c.value());
        }
    }
    segments
}

/// Line-level diff, each segment a whole number of lines.
pub fn lines(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    diff.iter_all_changes().map(|c| Segment { change: change(c.tag()), text: c.value().to_string() }).collect()
}

/// Messages aligned as a sequence; a run of removed messages replaced by as many added ones is
/// shown as changed messages, each with its word diff.
fn messages(old: &[ChatItem], new: &[ChatItem]) -> Vec<MessageDiff> {
    let mut out = Vec::new();
    let whole = |change, item: &ChatItem| MessageDiff::Whole { change, item: item.clone() };
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                out.extend(old[old_index..old_index + len].iter().map(|m| whole(Change::Same, m)));
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                out.extend(old[old_index..old_index + old_len].iter().map(|m| whole(Change::Removed, m)));
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                out.extend(new[new_index..new_index + new_len].iter().map(|m| whole(Change::Added, m)));
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let paired = old_len.min(new_len);
                for i in 0..paired {
                    match (&old[old_index + i], &new[new_index + i]) {
                        (
                            ChatItem::Message { role: old_role, content: a },
                            ChatItem::Message { role: new_role, content: b },
                        ) => out.push(MessageDiff::Changed {
                            old_role: old_role.clone(),
                            new_role: new_role.clone(),
                            content: words(a, b),
                        }),
                        (a, b) => {
                            out.push(whole(Change::Removed, a));
                            out.push(whole(Change::Added, b));
                        }
                    }
                }
                out.extend(old[old_index + paired..old_index + old_len].iter().map(|m| whole(Change::Removed, m)));
                out.extend(new[new_index + paired..new_index + new_len].iter().map(|m| whole(Change::Added, m)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s.change {
                Change::Same => s.text.clone(),
                Change::Added => format!("[+{}]", s.text),
                Change::Removed => format!("[-{}]", s.text),
            })
            .collect()
    }

    #[test]
    fn text_is_diffed_by_words_and_cjk_by_characters() {
        assert_eq!(render(&words("Rate the movie now", "Rate this movie now")), "Rate [-the][+this] movie now");
        let d = words("作为一个{{expertise_level}}的影评人", "作为一位{{expertise_level}}的影评人");
        assert_eq!(render(&d), "作为一[-个][+位]{{expertise_level}}的影评人");
    }

    #[test]
    fn chat_messages_are_aligned_and_changed_ones_word_diffed() {
        let m = |role: &str, content: &str| ChatItem::Message { role: role.into(), content: content.into() };
        let old = vec![m("system", "You are a critic"), ChatItem::Placeholder { name: "history".into() }, m("user", "Rate it")];
        let new = vec![m("system", "You are a harsh critic"), ChatItem::Placeholder { name: "history".into() }, m("user", "Rate it"), m("assistant", "ok")];
        let d = diff(&PromptBody::Chat(old), &json!({}), &PromptBody::Chat(new), &json!({}));
        let BodyDiff::Chat(messages) = &d.body else { panic!("chat") };
        assert_eq!(messages.len(), 4);
        match &messages[0] {
            MessageDiff::Changed { old_role, new_role, content } => {
                assert_eq!((old_role.as_str(), new_role.as_str()), ("system", "system"));
                assert_eq!(render(content), "You are a [+harsh ]critic");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&messages[1], MessageDiff::Whole { change: Change::Same, item: ChatItem::Placeholder { .. } }));
        assert!(matches!(&messages[3], MessageDiff::Whole { change: Change::Added, .. }));
        assert!(!d.is_empty());
    }

    #[test]
    fn config_is_a_json_line_diff_independent_of_key_order() {
        let d = diff(
            &PromptBody::Text("x".into()),
            &json!({"model": "gpt-4", "temperature": 0.7}),
            &PromptBody::Text("x".into()),
            &json!({"temperature": 0.7, "model": "gpt-4o"}),
        );
        let changed: Vec<String> = d.config.iter().filter(|s| s.change != Change::Same).map(|s| format!("{:?} {}", s.change, s.text.trim())).collect();
        assert_eq!(changed, vec!["Removed \"model\": \"gpt-4\",", "Added \"model\": \"gpt-4o\","]);
        let same = diff(&PromptBody::Text("x".into()), &json!({"a": 1, "b": 2}), &PromptBody::Text("x".into()), &json!({"b": 2, "a": 1}));
        assert!(same.is_empty());
        let kinds = diff(&PromptBody::Text("x".into()), &json!({}), &PromptBody::Chat(vec![]), &json!({}));
        assert_eq!(kinds.body, BodyDiff::Incomparable);
    }
}
