//! LLM-as-judge evaluators (#21): the project's evaluators, creating one (template, connection,
//! target, filter, sampling, delay, variable mapping with a live preview), and one evaluator's
//! executions.

mod evaluator;
mod list;
mod new;

pub use evaluator::EvaluatorPage;
pub use list::EvaluatorsPage;
pub use new::EvaluatorNewPage;
