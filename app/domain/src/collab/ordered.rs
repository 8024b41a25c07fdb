//! Lists inside a shared document whose entries several people add, remove, move and edit at
//! once: an array of maps, each with an `id` and an `order` (a number). New entries are
//! appended to the array; where an entry shows is its `order`, so a move is one number changed
//! and an edit, a move and a removal by different people apply to the entry each meant. Used by
//! the prompt draft's messages and the playground's messages and variants.

use yrs::{Any, Array, ArrayRef, GetString, Map, MapPrelim, MapRef, Number, Out, ReadTxn, TransactionMut};

/// The entries in the order they show: by `order`, then id (two people inserting at the same
/// place at once get the same order; the id decides, the same way everywhere).
pub fn entries<T: ReadTxn>(array: &ArrayRef, txn: &T) -> Vec<(MapRef, String, f64)> {
    let mut entries: Vec<(MapRef, String, f64)> = array
        .iter(txn)
        .filter_map(|entry| match entry {
            Out::YMap(map) => {
                let id = string(&map, txn, "id")?;
                let order = number(&map, txn, "order").unwrap_or(0.0);
                Some((map, id, order))
            }
            _ => None,
        })
        .collect();
    entries.sort_by(|a, b| a.2.total_cmp(&b.2).then_with(|| a.1.cmp(&b.1)));
    entries
}

/// Makes the list hold exactly the entries `ids`, showing in that order, with the fewest
/// changes (absent ids removed, new ones appended, only moved ones re-ordered): their maps, in
/// the order of `ids`, for the caller to set their fields.
pub fn place(txn: &mut TransactionMut, array: &ArrayRef, ids: &[String]) -> Vec<MapRef> {
    // Ids the target does not have are removed (from the end, so indexes stay valid).
    let present: Vec<Option<String>> = array.iter(txn).map(|entry| match entry {
        Out::YMap(map) => string(&map, txn, "id"),
        _ => None,
    }).collect();
    for (index, id) in present.iter().enumerate().rev() {
        if id.as_ref().is_none_or(|id| !ids.contains(id)) {
            array.remove(txn, index as u32);
        }
    }
    let existing = entries(array, txn);
    let mut maps: Vec<MapRef> = Vec::with_capacity(ids.len());
    for id in ids {
        let map = match existing.iter().find(|(_, i, _)| i == id) {
            Some((map, _, _)) => map.clone(),
            None => {
                let len = array.len(txn);
                let map = array.insert(txn, len, MapPrelim::default());
                map.insert(txn, "id", id.as_str());
                map
            }
        };
        maps.push(map);
    }
    let current: Vec<Option<f64>> = maps.iter().map(|map| number(map, txn, "order")).collect();
    for (map, order) in maps.iter().zip(orders(&current)) {
        if number(map, txn, "order") != Some(order) {
            map.insert(txn, "order", order);
        }
    }
    maps
}

/// Sets `key` of `map` to `value` unless it already is (a write that changes nothing would
/// still be an update everyone receives).
pub fn set_string(txn: &mut TransactionMut, map: &MapRef, key: &str, value: &str) {
    if string(map, txn, key).as_deref() != Some(value) {
        map.insert(txn, key, value);
    }
}

/// Ids for `new`, the list after one local action, given `old` with `old_ids`: entries kept
/// at the start and the end keep their ids, those in between are matched by position when the
/// count did not change (an edit in place), otherwise the added ones get `fresh()` ids and the
/// removed ones' ids go. One action (typing, add, remove, move) is one such change.
pub fn align<T: PartialEq>(old: &[T], old_ids: &[String], new: &[T], mut fresh: impl FnMut() -> String) -> Vec<String> {
    if old.len() == new.len() && old_ids.len() == old.len() {
        return old_ids.to_vec();
    }
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let mut ids: Vec<String> = Vec::with_capacity(new.len());
    for i in 0..new.len() {
        let id = if i < prefix {
            old_ids.get(i).cloned()
        } else if i >= new.len() - suffix {
            old_ids.get(old.len() - (new.len() - i)).cloned()
        } else {
            None
        };
        ids.push(id.unwrap_or_else(&mut fresh));
    }
    ids
}

pub fn string<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> Option<String> {
    match map.get(txn, key) {
        Some(Out::Any(Any::String(s))) => Some(s.to_string()),
        _ => None,
    }
}

pub fn number<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> Option<f64> {
    match map.get(txn, key) {
        Some(Out::Any(Any::Number(Number::Int(n)))) => Some(n as f64),
        Some(Out::Any(Any::Number(Number::Float(n)))) => Some(n),
        _ => None,
    }
}

/// Orders for messages shown in this sequence, changing as few of `current` as possible: the
/// longest run already in increasing order keeps its values, the others (moved or new) get a
/// value between their kept neighbours.
pub fn orders(current: &[Option<f64>]) -> Vec<f64> {
    let n = current.len();
    // Longest strictly increasing subsequence of the known orders (n is a prompt's message
    // count: quadratic is fine).
    let mut best = vec![0usize; n];
    let mut prev = vec![usize::MAX; n];
    for i in 0..n {
        let Some(oi) = current[i] else { continue };
        best[i] = 1;
        for j in 0..i {
            if let Some(oj) = current[j] {
                if oj < oi && best[j] + 1 > best[i] {
                    best[i] = best[j] + 1;
                    prev[i] = j;
                }
            }
        }
    }
    let mut keep = vec![false; n];
    if let Some(mut at) = (0..n).filter(|&i| best[i] > 0).max_by_key(|&i| (best[i], std::cmp::Reverse(i))) {
        loop {
            keep[at] = true;
            if prev[at] == usize::MAX {
                break;
            }
            at = prev[at];
        }
    }
    let mut out = Vec::with_capacity(n);
    let mut low: Option<f64> = None;
    for i in 0..n {
        let value = if keep[i] {
            current[i].unwrap_or_default()
        } else {
            let high = (i + 1..n).find(|&j| keep[j]).and_then(|j| current[j]);
            match (low, high) {
                (Some(l), Some(h)) => (l + h) / 2.0,
                (Some(l), None) => l + 1.0,
                (None, Some(h)) => h - 1.0,
                (None, None) => 0.0,
            }
        };
        out.push(value);
        low = Some(value);
    }
    out
}

pub fn text_of<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> String {
    match map.get(txn, key) {
        Some(Out::YText(text)) => text.get_string(txn),
        _ => String::new(),
    }
}


#[cfg(test)]
mod tests {
    use super::align;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("i{i}")).collect()
    }

    #[test]
    fn one_action_keeps_the_ids_of_what_it_did_not_touch() {
        let mut next = 0;
        let mut fresh = || {
            next += 1;
            format!("new{next}")
        };
        // An edit in place keeps every id.
        assert_eq!(align(&["a", "b"], &ids(2), &["a", "B"], &mut fresh), ids(2));
        // Added at the end, in the middle; removed from the middle.
        assert_eq!(align(&["a", "b"], &ids(2), &["a", "b", ""], &mut fresh), vec!["i0", "i1", "new1"]);
        assert_eq!(align(&["a", "b"], &ids(2), &["a", "x", "b"], &mut fresh), vec!["i0", "new2", "i1"]);
        assert_eq!(align(&["a", "b", "c"], &ids(3), &["a", "c"], &mut fresh), vec!["i0", "i2"]);
        // Two equal entries, one removed: still two ids from the old ones.
        assert_eq!(align(&["a", "a"], &ids(2), &["a"], &mut fresh).len(), 1);
    }
}
