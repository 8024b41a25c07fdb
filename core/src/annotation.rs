//! Annotation scores (#20): the scores people write in the UI's "Annotate" forms and in the
//! review flow of annotation queues. They are ordinary scores (source ANNOTATION, the author's
//! account in `author_user_id`) stored by the ingestion writer, so lists, live updates and the
//! public API see them like any other.
//!
//! One score per person, config and target: its id is derived from the three, so saving again
//! (a second tab, a reviewer coming back to an item) replaces it instead of adding a duplicate.
//! The config decides the name, the type and which values are allowed ([`ScoreRule`], the
//! same rule the public API applies); an archived config takes no new values.

use chrono::Utc;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::ingest::model::ScoreRecord;
use crate::scope::ProjectId;
use crate::store::StoreError;
use loupe_domain::annotation::{AnnotationInput, Target, MAX_SCORE_COMMENT_CHARS};
use loupe_domain::score_views::{Score, ScoreRule};
use loupe_domain::{ObservationId, ScoreSource, TraceId};

/// Why an annotation was not saved. `field` names the input at fault for the form.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AnnotationError {
    fn from(error: sqlx::Error) -> Self {
        AnnotationError::Store(error.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> AnnotationError {
    AnnotationError::Invalid { field, message: message.into() }
}

/// Who is writing, and whether they may change other people's annotations (Admins).
#[derive(Debug, Clone, Copy)]
pub struct Annotator<'a> {
    pub user_id: &'a str,
    pub may_edit_any: bool,
}

/// The id of `author`'s score for `config_id` on `target`: stable, so a save replaces it.
pub fn score_id(author: &str, config_id: &str, target: &Target) -> String {
    let mut hash = Sha256::new();
    for part in [author, config_id, target.object_type().as_str(), target.object_id()] {
        hash.update(part.as_bytes());
        // A separator no id contains: ("ab","c") and ("a","bc") must differ.
        hash.update([0u8]);
    }
    format!("annotation-{}", &hex::encode(hash.finalize())[..32])
}

/// Checks the target exists in the project (a trace, an observation of that trace, a session).
pub async fn check_target(pool: &PgPool, project_id: &ProjectId, target: &Target) -> Result<(), AnnotationError> {
    let found = match target {
        Target::Trace { trace_id } => crate::store::traces::exists(pool, project_id, &TraceId::new(trace_id.as_str())).await?,
        Target::Observation { trace_id, observation_id } => crate::store::observations::get_in_trace(
            pool,
            project_id,
            &TraceId::new(trace_id.as_str()),
            &ObservationId::new(observation_id.as_str()),
        )
        .await?
        .is_some(),
        Target::Session { session_id } => crate::store::sessions::get(pool, project_id, session_id).await?.is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(AnnotationError::NotFound(format!("no {} {:?} in this project", target.object_type().as_str().to_lowercase(), target.object_id())))
    }
}

/// Validates and stores one annotation; returns the stored score.
pub async fn save(pool: &PgPool, project_id: &ProjectId, who: Annotator<'_>, input: &AnnotationInput) -> Result<Score, AnnotationError> {
    let config = crate::store::score_configs::get(pool, project_id, &input.config_id)
        .await?
        // Not found (404), as another project's config must look: it names the field all the same.
        .ok_or_else(|| AnnotationError::NotFound(format!("configId: no score config {:?} in this project", input.config_id)))?;
    if config.is_archived {
        return Err(invalid("configId", format!("the score config {:?} is archived: it takes no new scores", config.name)));
    }
    let (value, string_value) = ScoreRule::from(&config).fit(&boolean_as_label(&input.value)).map_err(|why| invalid("value", why))?;
    let comment = input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if let Some(chars) = comment.as_ref().map(|c| c.chars().count()).filter(|n| *n > MAX_SCORE_COMMENT_CHARS) {
        return Err(invalid("comment", format!("{chars} characters; at most {MAX_SCORE_COMMENT_CHARS}")));
    }
    check_target(pool, project_id, &input.target).await?;
    if let Some(queue_id) = &input.queue_id {
        if crate::store::annotation_queues::get(pool, project_id, queue_id).await?.is_none() {
            return Err(invalid("queueId", format!("no annotation queue {queue_id:?} in this project")));
        }
    }
    // Whose score this is: the writer's own, or — an Admin correcting it — the one edited.
    let (id, author) = match &input.score_id {
        None => (score_id(who.user_id, &config.id, &input.target), who.user_id.to_string()),
        Some(id) => {
            let existing = crate::store::scores::get(pool, project_id, id).await?.ok_or_else(|| AnnotationError::NotFound(format!("no score {id:?} in this project")))?;
            if existing.source != ScoreSource::Annotation || !input.target.matches(&existing) {
                return Err(invalid("scoreId", "not an annotation of this target"));
            }
            let author = existing.author_user_id.clone().unwrap_or_default();
            if author != who.user_id && !who.may_edit_any {
                return Err(AnnotationError::Forbidden("only its author or an Admin can change this annotation".into()));
            }
            (existing.id, author)
        }
    };
    let (trace_id, observation_id, session_id) = match &input.target {
        Target::Trace { trace_id } => (Some(trace_id.clone()), None, None),
        Target::Observation { trace_id, observation_id } => (Some(trace_id.clone()), Some(observation_id.clone()), None),
        Target::Session { session_id } => (None, None, Some(session_id.clone())),
    };
    let record = ScoreRecord {
        id: id.clone(),
        timestamp: Utc::now(),
        name: config.name.clone(),
        value,
        string_value,
        data_type: config.data_type,
        source: ScoreSource::Annotation,
        trace_id,
        observation_id,
        session_id,
        dataset_run_id: None,
        comment,
        metadata: Value::Object(Default::default()),
        config_id: Some(config.id.clone()),
        queue_id: input.queue_id.clone(),
        execution_trace_id: None,
        environment: "default".to_string(),
        author_user_id: Some(author),
    };
    crate::ingest::store_scores(pool, project_id, vec![record]).await?;
    crate::store::scores::get(pool, project_id, &id).await?.ok_or_else(|| AnnotationError::NotFound(format!("no score {id:?} in this project")))
}

/// Deletes an annotation score: its author's, or anyone's for an Admin. Scores from the API or
/// evaluators are not the forms' to delete.
pub async fn delete(pool: &PgPool, project_id: &ProjectId, who: Annotator<'_>, score_id: &str) -> Result<(), AnnotationError> {
    let existing = crate::store::scores::get(pool, project_id, score_id)
        .await?
        .ok_or_else(|| AnnotationError::NotFound(format!("no score {score_id:?} in this project")))?;
    if existing.source != ScoreSource::Annotation {
        return Err(AnnotationError::Forbidden("only annotation scores are deleted here; this one came from the API or an evaluator".into()));
    }
    if existing.author_user_id.as_deref() != Some(who.user_id) && !who.may_edit_any {
        return Err(AnnotationError::Forbidden("only its author or an Admin can delete this annotation".into()));
    }
    crate::store::scores::delete(pool, project_id, score_id).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// "Add all traces matching the filters", in the background.

/// The job kind that works an import (`annotation_queue_imports`).
pub const IMPORT_JOB: &str = "annotation.import";
/// Traces per step: one list page, one insert, one progress update.
const IMPORT_PAGE: i64 = 500;

/// Records an import of the traces `query` matches (at most `max_items`) and enqueues its job,
/// in one transaction: the request exists only if its work will be done.
pub async fn start_import(
    pool: &PgPool,
    project_id: &ProjectId,
    queue_id: &str,
    query: &loupe_domain::trace_list::TraceListQuery,
    max_items: i32,
    created_by: &str,
) -> Result<loupe_domain::annotation::QueueImport, StoreError> {
    let mut tx = pool.begin().await?;
    let query = serde_json::to_value(query).map_err(|e| StoreError::from(sqlx::Error::Protocol(e.to_string())))?;
    let import = crate::store::annotation_queues::create_import(&mut tx, project_id, queue_id, &query, max_items, created_by).await?;
    let payload = serde_json::json!({ "projectId": project_id.as_str(), "importId": import.id });
    crate::jobs::queue::enqueue_in(&mut tx, IMPORT_JOB, &payload, 5).await?;
    tx.commit().await?;
    Ok(import)
}

/// The import job: one page of matching traces per run, `Again` until done.
pub fn import_kind(pool: &PgPool) -> crate::jobs::Kind {
    let pool = pool.clone();
    crate::jobs::Kind::new(IMPORT_JOB, move |job| {
        let pool = pool.clone();
        async move {
            let text = |key: &str| job.payload.get(key).and_then(Value::as_str).map(str::to_string);
            let (Some(project), Some(import_id)) = (text("projectId"), text("importId")) else {
                return Err(crate::jobs::JobError::new("payload without projectId/importId"));
            };
            // The job was enqueued by a caller whose access to the project was checked.
            let project_id = ProjectId::vouched(project);
            match import_step(&pool, &project_id, &import_id).await {
                Ok(true) => Ok(crate::jobs::Outcome::Again),
                Ok(false) => Ok(crate::jobs::Outcome::Done),
                Err(ImportError::Store(error)) => Err(error.into()),
                Err(ImportError::Query(why)) => {
                    crate::store::annotation_queues::import_failed(&pool, &project_id, &import_id, &why).await?;
                    Ok(crate::jobs::Outcome::Done)
                }
            }
        }
    })
    .concurrency(2)
}

enum ImportError {
    Store(StoreError),
    /// The stored query no longer parses (it did when it was accepted): the import fails.
    Query(String),
}

impl From<StoreError> for ImportError {
    fn from(error: StoreError) -> Self {
        ImportError::Store(error)
    }
}

/// Adds the next page of matching traces; `true` when more may follow.
async fn import_step(pool: &PgPool, project_id: &ProjectId, import_id: &str) -> Result<bool, ImportError> {
    use crate::store::annotation_queues as queues;
    use loupe_domain::trace_list::{cursor_of, TraceListQuery};
    let Some(work) = queues::import_work(pool, project_id, import_id).await? else { return Ok(false) };
    if !work.running {
        return Ok(false);
    }
    let mut query: TraceListQuery = serde_json::from_value(work.query).map_err(|e| ImportError::Query(e.to_string()))?;
    query.before = work.cursor.clone().unwrap_or_default();
    // Relative ranges ("last 24 hours") mean what they meant when the import was asked for.
    let spec = query.parse(work.created_at).map_err(|(field, problem)| ImportError::Query(format!("{field}: {problem:?}")))?;
    let left = i64::from(work.max_items - work.seen).max(0);
    let found = crate::store::trace_list::page(pool, project_id, &spec, IMPORT_PAGE.min(left)).await?;
    let ids: Vec<String> = found.iter().map(|t| t.trace.id.clone()).collect();
    let added = if ids.is_empty() { 0 } else { queues::add_traces(pool, project_id, &work.queue_id, &ids).await? };
    let seen = ids.len() as i32;
    let finished = found.len() < IMPORT_PAGE.min(left) as usize || work.seen + seen >= work.max_items || found.is_empty();
    let cursor = found.last().map(|last| cursor_of(last.sort_value(spec.sort), last.trace.timestamp, &last.trace.id));
    queues::import_step(pool, project_id, import_id, seen, added as i32, if finished { None } else { cursor.as_deref() }, finished).await?;
    Ok(!finished)
}

/// The form sends a BOOLEAN's choice as `true`/`false`; the rule knows the labels.
fn boolean_as_label(value: &Value) -> Value {
    match value {
        Value::Bool(true) => Value::String("True".into()),
        Value::Bool(false) => Value::String("False".into()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_ids_are_stable_per_author_config_and_target() {
        let trace = Target::Trace { trace_id: "t1".into() };
        let a = score_id("alice", "c1", &trace);
        assert_eq!(a, score_id("alice", "c1", &trace));
        assert_ne!(a, score_id("bob", "c1", &trace));
        assert_ne!(a, score_id("alice", "c2", &trace));
        assert_ne!(a, score_id("alice", "c1", &Target::Session { session_id: "t1".into() }));
        // The separator keeps concatenations apart.
        assert_ne!(score_id("ab", "c", &trace), score_id("a", "bc", &trace));
        assert!(a.starts_with("annotation-") && a.len() == "annotation-".len() + 32);
    }
}
