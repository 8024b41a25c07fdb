//! Datasets and experiments (#21): the project's datasets (in folders, like prompts), a dataset's
//! items with their history, its runs, and the comparison of runs with the regression verdict.

mod compare;
mod dataset;
mod editor;
mod import;
mod item;
mod list;
mod run;
pub(crate) mod words;

pub use compare::CompareRunsPage;
pub use dataset::DatasetPage;
pub use item::DatasetItemPage;
pub use list::DatasetsPage;
pub use run::{DatasetRunPage, DatasetRuns};
