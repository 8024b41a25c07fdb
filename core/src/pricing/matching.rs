//! Which model definition prices an observation (Langfuse's `findModel`, docs/COMPATIBILITY.md
//! §8.2): the observation's `model` string is tested against every definition's
//! `matchPattern`, project definitions before built-in ones, so a project can override any
//! built-in price by defining a model whose pattern covers the same names.
//!
//! Within each group the definition with the newest `startDate` wins (none = oldest); a
//! definition whose `startDate` is still in the future does not apply yet, so a price change
//! can be scheduled by adding a second definition. Patterns are used as written, with search
//! semantics like Postgres `~`: Langfuse's patterns anchor themselves with `^…$`.

use chrono::{DateTime, Utc};

use super::definition::ModelDefinition;

/// Orders a group for matching: newest `startDate` first (none last), then the newest
/// definition, then by id so the order is total.
pub fn sort_for_matching(models: &mut [ModelDefinition]) {
    models.sort_by(|a, b| b.start_date.cmp(&a.start_date).then_with(|| b.created_at.cmp(&a.created_at)).then_with(|| a.id.cmp(&b.id)));
}

/// The first definition covering `model` that is in effect at `now`, searching `groups` in
/// order; each group must already be in matching order ([`sort_for_matching`]).
pub fn find<'a>(groups: &[&'a [ModelDefinition]], model: &str, now: DateTime<Utc>) -> Option<&'a ModelDefinition> {
    if model.is_empty() {
        return None;
    }
    groups.iter().find_map(|group| {
        group.iter().find(|definition| definition.start_date.is_none_or(|start| start <= now) && definition.matches(model))
    })
}

/// [`find`] over the built-in definitions alone, remembering per model name which of them match
/// it (issue #23: trying each generation's name against every built-in pattern in turn, ~170
/// regular expressions, was ~4 % of Loupe's CPU during ingestion, for the few names a project
/// sends). What matches a name never changes in a process; which of those is in effect at `now`
/// is decided on each call, as in [`find`]. The memory is bounded: past `REMEMBERED` names it
/// starts over.
pub fn find_builtin(model: &str, now: DateTime<Utc>) -> Option<&'static ModelDefinition> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    const REMEMBERED: usize = 4096;
    static MATCHES: OnceLock<Mutex<HashMap<String, Arc<[usize]>>>> = OnceLock::new();
    if model.is_empty() {
        return None;
    }
    let models = super::builtin::models();
    let matches = MATCHES.get_or_init(Default::default);
    let known = matches.lock().unwrap_or_else(|e| e.into_inner()).get(model).cloned();
    let hits = known.unwrap_or_else(|| {
        let hits: Arc<[usize]> = models.iter().enumerate().filter(|(_, d)| d.matches(model)).map(|(i, _)| i).collect();
        let mut matches = matches.lock().unwrap_or_else(|e| e.into_inner());
        if matches.len() >= REMEMBERED {
            matches.clear();
        }
        matches.insert(model.to_string(), hits.clone());
        hits
    });
    hits.iter().map(|&i| &models[i]).find(|definition| definition.start_date.is_none_or(|start| start <= now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::builtin;
    use chrono::Duration;

    fn definition(id: &str, pattern: &str, start_date: Option<DateTime<Utc>>) -> ModelDefinition {
        ModelDefinition::new(
            id.into(),
            Some("p".into()),
            id.into(),
            pattern.into(),
            start_date,
            None,
            None,
            None,
            Utc::now(),
            Utc::now(),
            Vec::new(),
        )
        .unwrap()
    }

    fn builtin_name(model: &str) -> Option<&'static str> {
        find(&[builtin::models()], model, Utc::now()).map(|m| m.model_name.as_str())
    }

    #[test]
    fn remembered_built_in_matches_equal_trying_every_pattern() {
        let now = Utc::now();
        let mut names: Vec<String> = builtin::models().iter().map(|m| m.model_name.clone()).collect();
        names.extend(builtin::models().iter().map(|m| format!("{}-variant", m.model_name)));
        names.extend(["openai/gpt-4o", "GPT-4O", "anthropic.claude-sonnet-4-5-20250929-v1:0", "", "llama-3-70b", "my-gpt-4o"].map(String::from));
        for name in &names {
            let expected = find(&[builtin::models()], name, now).map(|m| &m.id);
            // The first call matches and remembers, the second reads what was remembered.
            assert_eq!(find_builtin(name, now).map(|m| &m.id), expected, "{name:?}");
            assert_eq!(find_builtin(name, now).map(|m| &m.id), expected, "{name:?}, remembered");
        }
        // In effect or not is decided per call: before every start date, nothing dated applies.
        let long_ago = now - chrono::Duration::days(365 * 100);
        for name in &names {
            assert_eq!(find_builtin(name, long_ago).map(|m| &m.id), find(&[builtin::models()], name, long_ago).map(|m| &m.id), "{name:?}");
        }
    }

    #[test]
    fn built_in_examples_of_the_spec() {
        // docs/COMPATIBILITY.md §8.2, verified there with Python `re`.
        assert_eq!(builtin_name("gpt-4o-mini-2024-07-18"), Some("gpt-4o-mini-2024-07-18"));
        assert_eq!(builtin_name("openai/gpt-4o"), Some("gpt-4o"));
        assert_eq!(builtin_name("GPT-4O"), Some("gpt-4o"));
        assert_eq!(builtin_name("anthropic.claude-sonnet-4-5-20250929-v1:0"), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(builtin_name("gpt-4o-mini"), Some("gpt-4o-mini"));
        // Anchored patterns: neither prefixes nor suffixes of known names match.
        assert_eq!(builtin_name("gpt-4o-mini-but-not-really"), None);
        assert_eq!(builtin_name("my-gpt-4o"), None);
        assert_eq!(builtin_name("llama-3-70b"), None);
        assert_eq!(builtin_name(""), None);
    }

    #[test]
    fn project_models_come_first_newest_start_date_first() {
        let now = Utc::now();
        let mut project = vec![
            definition("always", "^gpt-4o$", None),
            definition("last-year", "^gpt-4o$", Some(now - Duration::days(365))),
            definition("last-month", "^gpt-4o$", Some(now - Duration::days(30))),
            definition("next-week", "^gpt-4o$", Some(now + Duration::days(7))),
        ];
        sort_for_matching(&mut project);
        let groups = [project.as_slice(), builtin::models()];
        assert_eq!(find(&groups, "gpt-4o", now).unwrap().id, "last-month");
        // Next week the scheduled definition takes over.
        assert_eq!(find(&groups, "gpt-4o", now + Duration::days(8)).unwrap().id, "next-week");
        // Names the project does not cover fall through to the built-ins.
        assert_eq!(find(&groups, "openai/gpt-4o", now).unwrap().model_name, "gpt-4o");
        assert!(find(&groups, "openai/gpt-4o", now).unwrap().is_langfuse_managed());
    }

    #[test]
    fn unanchored_project_patterns_search_like_postgres() {
        let project = vec![definition("mine", "llama", None)];
        assert_eq!(find(&[project.as_slice()], "meta/llama-3-70b", Utc::now()).unwrap().id, "mine");
        assert!(find(&[project.as_slice()], "LLAMA", Utc::now()).is_none(), "case-sensitive unless the pattern says (?i)");
    }
}
