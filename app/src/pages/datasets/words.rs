//! The datasets pages' words for typed values: the domain's problems (name rules, import rows,
//! JSON fields), statuses and column targets, in the page's language. Shared by the pages, the
//! "Add to dataset" dialog and the server functions' refusals.

use crate::domain::dataset_io::{ColumnTarget, FileProblem, ImportProblem, JsonProblem};
use crate::domain::datasets::{DatasetProblem, ItemStatus, MAX_ITEM_ID, MAX_NAME};
use crate::i18n::*;

/// A rule of dataset names or item ids, as the person reads it.
pub fn dataset_problem(locale: Locale, problem: &DatasetProblem) -> String {
    match problem {
        DatasetProblem::NameEmpty => td_string!(locale, datasets.problems.name_empty).to_string(),
        DatasetProblem::NameTooLong => td_string!(locale, datasets.problems.name_too_long, max = MAX_NAME).to_string(),
        DatasetProblem::NameSpaces => td_string!(locale, datasets.problems.name_spaces).to_string(),
        DatasetProblem::NameCharacter(c) => td_string!(locale, datasets.problems.name_character, character = format!("{c:?}")).to_string(),
        DatasetProblem::NameEmptyFolder => td_string!(locale, datasets.problems.name_empty_folder).to_string(),
        DatasetProblem::ItemIdLength => td_string!(locale, datasets.problems.item_id_length, max = MAX_ITEM_ID).to_string(),
        DatasetProblem::NulCharacter => td_string!(locale, datasets.problems.nul).to_string(),
    }
}

/// Why a row was not imported.
pub fn import_problem(locale: Locale, problem: &ImportProblem) -> String {
    match problem {
        ImportProblem::NotJson { line, column } => td_string!(locale, datasets.import.problems.not_json, line = *line, column = *column).to_string(),
        ImportProblem::NotAnObject => td_string!(locale, datasets.import.problems.not_an_object).to_string(),
        ImportProblem::UnclosedQuote => td_string!(locale, datasets.import.problems.unclosed_quote).to_string(),
        ImportProblem::ExtraCells { cells, columns } => td_string!(locale, datasets.import.problems.extra_cells, cells = *cells, columns = *columns).to_string(),
        ImportProblem::EmptyInput => td_string!(locale, datasets.import.problems.empty_input).to_string(),
        ImportProblem::BadId => td_string!(locale, datasets.import.problems.bad_id, max = MAX_ITEM_ID).to_string(),
        ImportProblem::IdInOtherDataset(name) => td_string!(locale, datasets.import.problems.id_in_other_dataset, name = name.clone()).to_string(),
        ImportProblem::NulCharacter => td_string!(locale, datasets.import.problems.nul).to_string(),
        ImportProblem::Schema { field, pointer, message } if pointer.is_empty() => {
            td_string!(locale, datasets.import.problems.schema, field = field.clone(), why = message.clone()).to_string()
        }
        ImportProblem::Schema { field, pointer, message } => {
            td_string!(locale, datasets.import.problems.schema_at, field = field.clone(), pointer = pointer.clone(), why = message.clone()).to_string()
        }
        ImportProblem::Refused(why) => td_string!(locale, datasets.import.problems.refused, why = why.clone()).to_string(),
    }
}

/// Why a whole file cannot be imported (read in the browser only).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn file_problem(locale: Locale, problem: &FileProblem) -> String {
    use crate::domain::dataset_io::{MAX_COLUMNS, MAX_IMPORT_ROWS};
    match problem {
        FileProblem::Empty => td_string!(locale, datasets.import.file_empty).to_string(),
        FileProblem::NoHeader => td_string!(locale, datasets.import.file_no_header).to_string(),
        FileProblem::TooManyRows { rows } => td_string!(locale, datasets.import.file_too_many_rows, rows = *rows, max = MAX_IMPORT_ROWS).to_string(),
        FileProblem::TooManyColumns { columns } => td_string!(locale, datasets.import.file_too_many_columns, columns = *columns, max = MAX_COLUMNS).to_string(),
    }
}

/// A JSON editor's text that does not parse, naming the field.
pub fn json_problem(locale: Locale, field: &str, problem: JsonProblem) -> String {
    td_string!(locale, datasets.editor.not_json, field = field.to_string(), line = problem.line, column = problem.column).to_string()
}

pub fn status_label(locale: Locale, status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Active => td_string!(locale, datasets.status.active),
        ItemStatus::Archived => td_string!(locale, datasets.status.archived),
    }
}

pub fn target_label(locale: Locale, target: ColumnTarget) -> &'static str {
    match target {
        ColumnTarget::Input => td_string!(locale, datasets.fields.input),
        ColumnTarget::ExpectedOutput => td_string!(locale, datasets.fields.expected_output),
        ColumnTarget::Metadata => td_string!(locale, datasets.fields.metadata),
        ColumnTarget::Id => td_string!(locale, datasets.fields.id),
        ColumnTarget::Ignore => td_string!(locale, datasets.import.ignore),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::datasets::check_name;

    /// Every name problem has its words in both languages, with the value filled in.
    #[test]
    fn problems_are_worded_in_both_languages() {
        let problem = check_name("a<b").unwrap_err().problem;
        assert!(dataset_problem(Locale::en, &problem).contains("'<'"), "{}", dataset_problem(Locale::en, &problem));
        assert!(dataset_problem(Locale::zh, &problem).contains("'<'"));
        assert_eq!(import_problem(Locale::en, &ImportProblem::NotJson { line: 1, column: 4 }), "not valid JSON (line 1, column 4)", "the English is the domain's Display");
        assert_eq!(import_problem(Locale::en, &ImportProblem::EmptyInput), ImportProblem::EmptyInput.to_string());
        assert_eq!(import_problem(Locale::en, &ImportProblem::IdInOtherDataset("qa".into())), ImportProblem::IdInOtherDataset("qa".into()).to_string());
        assert!(import_problem(Locale::zh, &ImportProblem::NotJson { line: 2, column: 3 }).contains('2'));
        assert!(json_problem(Locale::en, "input", JsonProblem { line: 3, column: 9 }).contains("input"));
    }
}
