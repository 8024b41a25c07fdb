//! Typing into a shared text: the browser gives a field's whole new value; the document gets
//! the smallest single edit that turns its text into it (common prefix and suffix kept, the
//! middle replaced), so a concurrent edit elsewhere in the text is never touched. One edit per
//! input event is what typing, pasting, deleting a selection and IME composition produce.

use yrs::{GetString, Text, TextRef, TransactionMut};

/// The edit turning `old` into `new`: `(start, removed, inserted)` with `start` and `removed`
/// in UTF-16 code units (the documents count offsets so, as the browser does).
pub fn edit(old: &str, new: &str) -> Option<(u32, u32, String)> {
    if old == new {
        return None;
    }
    let prefix: usize = old.chars().zip(new.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let (old_rest, new_rest) = (&old[prefix..], &new[prefix..]);
    let suffix: usize = old_rest.chars().rev().zip(new_rest.chars().rev()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let removed = &old_rest[..old_rest.len() - suffix];
    let inserted = &new_rest[..new_rest.len() - suffix];
    Some((utf16_len(&old[..prefix]), utf16_len(removed), inserted.to_string()))
}

/// Makes `text` read `new` with one edit (nothing when it already does).
pub fn set(txn: &mut TransactionMut, text: &TextRef, new: &str) {
    let old = text.get_string(txn);
    if let Some((start, removed, inserted)) = edit(&old, new) {
        if removed > 0 {
            text.remove_range(txn, start, removed);
        }
        if !inserted.is_empty() {
            text.insert(txn, start, &inserted);
        }
    }
}

pub fn utf16_len(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}

/// The byte index in `text` of UTF-16 offset `offset` (clamped to the text; never inside a
/// character).
pub fn byte_index(text: &str, offset: u32) -> usize {
    let mut units = 0u32;
    for (index, c) in text.char_indices() {
        if units >= offset {
            return index;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::Transact;

    #[test]
    fn edits_are_the_changed_middle() {
        assert_eq!(edit("hello", "hello"), None);
        assert_eq!(edit("hello", "help"), Some((3, 2, "p".into())));
        assert_eq!(edit("abc", "abXc"), Some((2, 0, "X".into())));
        assert_eq!(edit("aaa", "aa"), Some((2, 1, "".into())));
        // UTF-16 counts: an emoji is two units, a CJK character one.
        assert_eq!(edit("😀a", "😀ba"), Some((2, 0, "b".into())));
        assert_eq!(edit("提示词", "提示"), Some((2, 1, "".into())));
    }

    #[test]
    fn set_keeps_a_concurrent_edit_elsewhere() {
        let a = crate::collab::new_doc_with_client(1);
        let b = crate::collab::new_doc_with_client(2);
        let (ta, tb) = (a.get_or_insert_text("t"), b.get_or_insert_text("t"));
        set(&mut a.transact_mut(), &ta, "one two three");
        sync(&a, &b);
        set(&mut a.transact_mut(), &ta, "ONE two three");
        set(&mut b.transact_mut(), &tb, "one two three!");
        sync(&a, &b);
        sync(&b, &a);
        assert_eq!(ta.get_string(&a.transact()), "ONE two three!");
        assert_eq!(tb.get_string(&b.transact()), "ONE two three!");
    }

    #[test]
    fn byte_indexes_follow_utf16_offsets() {
        assert_eq!(byte_index("😀a", 2), 4);
        assert_eq!(byte_index("😀a", 1), 4, "inside a surrogate pair: after the character");
        assert_eq!(byte_index("ab", 9), 2);
    }

    fn sync(from: &yrs::Doc, to: &yrs::Doc) {
        use yrs::updates::decoder::Decode;
        use yrs::ReadTxn;
        let update = from.transact().encode_state_as_update_v1(&to.transact().state_vector());
        to.transact_mut().apply_update(yrs::Update::decode_v1(&update).unwrap()).unwrap();
    }
}
