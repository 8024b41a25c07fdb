//! Prompt composability (docs/COMPATIBILITY.md §5.3): a prompt's `@@@langfusePrompt:…@@@` tags
//! replaced by the (recursively resolved) text of the versions they name.
//!
//! The rules, checked when a version is created and again on every resolving read (labels move
//! after creation): a referenced prompt exists and is a text prompt; no prompt references its own
//! name, directly or through others (the names on the current path are tracked, so A → B → A is
//! a cycle however it is reached); at most [`MAX_DEPTH`] levels of nesting. Recursion is bounded
//! by that depth, so a hostile chain cannot exhaust the stack.

use crate::scope::ProjectId;
use super::StoreError;
use std::future::Future;
use std::pin::Pin;

use sqlx::PgConnection;

use super::prompts::WriteError;

use loupe_domain::prompts::{
    references, ChatItem, FieldError, GraphNode, PromptBody, PromptProblem, PromptReference, PromptSelector, PromptType, PromptVersion,
    ResolutionGraph, MAX_DEPTH,
};

/// Why a prompt's references do not resolve (reported against the `prompt` field).
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("references {0}, which does not exist")]
    Missing(PromptReference),
    #[error("references {0}, which is a chat prompt; only text prompts can be inserted")]
    NotText(PromptReference),
    #[error("references {0}, which leads back to {1:?}: prompt references cannot form a cycle")]
    Cycle(PromptReference, String),
    #[error("nests prompt references more than {MAX_DEPTH} levels deep (at {0})")]
    TooDeep(PromptReference),
    #[error(transparent)]
    Database(#[from] StoreError),
}

impl GraphError {
    /// As a refused write or read of the prompt `name`: its `prompt` field is at fault.
    fn about(self, name: &str) -> WriteError {
        let problem = |problem| WriteError::Invalid(FieldError::of("prompt", problem));
        match self {
            GraphError::Database(e) => WriteError::Database(e),
            GraphError::Missing(reference) => problem(PromptProblem::ReferenceMissing { name: name.to_string(), reference }),
            GraphError::NotText(reference) => problem(PromptProblem::ReferenceNotText { name: name.to_string(), reference }),
            GraphError::Cycle(reference, back_to) => problem(PromptProblem::ReferenceCycle { name: name.to_string(), reference, back_to }),
            GraphError::TooDeep(reference) => problem(PromptProblem::ReferenceTooDeep { name: name.to_string(), reference, depth: MAX_DEPTH }),
        }
    }
}

/// A version with its tags replaced, and what it was assembled from (`None` without tags).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub prompt: PromptBody,
    pub graph: Option<ResolutionGraph>,
}

/// Resolves a stored version's references (within its project, `project_id`).
pub async fn resolve(conn: &mut PgConnection, project_id: &ProjectId, version: &PromptVersion) -> Result<Resolved, WriteError> {
    if version.prompt.references().is_empty() {
        return Ok(Resolved { prompt: version.prompt.clone(), graph: None });
    }
    let root = GraphNode { id: version.id.clone(), name: version.name.clone(), version: version.version };
    let mut graph = ResolutionGraph { root: Some(root), dependencies: Default::default() };
    let mut path = vec![version.name.clone()];
    let prompt = resolve_body(conn, project_id, &version.id, &version.prompt, &mut path, &mut graph)
        .await
        .map_err(|e| e.about(&version.name))?;
    Ok(Resolved { prompt, graph: Some(graph) })
}

/// Checks a version about to be created under `name` (see the module comment).
pub async fn check_new(conn: &mut PgConnection, project_id: &ProjectId, name: &str, body: &PromptBody) -> Result<(), WriteError> {
    if body.references().is_empty() {
        return Ok(());
    }
    let mut graph = ResolutionGraph::default();
    let mut path = vec![name.to_string()];
    resolve_body(conn, project_id, "new", body, &mut path, &mut graph).await.map(|_| ()).map_err(|e| e.about(name))
}

async fn resolve_body(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    parent_id: &str,
    body: &PromptBody,
    path: &mut Vec<String>,
    graph: &mut ResolutionGraph,
) -> Result<PromptBody, GraphError> {
    Ok(match body {
        PromptBody::Text(text) => PromptBody::Text(resolve_text(conn, project_id, parent_id, text, path, graph).await?),
        PromptBody::Chat(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(match item {
                    ChatItem::Message { role, content } => ChatItem::Message {
                        role: role.clone(),
                        content: resolve_text(conn, project_id, parent_id, content, path, graph).await?,
                    },
                    placeholder => placeholder.clone(),
                });
            }
            PromptBody::Chat(out)
        }
    })
}

/// Boxed because it recurses (at most `MAX_DEPTH` deep).
fn resolve_text<'a>(
    conn: &'a mut PgConnection,
    project_id: &'a ProjectId,
    parent_id: &'a str,
    text: &'a str,
    path: &'a mut Vec<String>,
    graph: &'a mut ResolutionGraph,
) -> Pin<Box<dyn Future<Output = Result<String, GraphError>> + Send + 'a>> {
    Box::pin(async move {
        let tags = references(text);
        if tags.is_empty() {
            return Ok(text.to_string());
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (range, reference) in tags {
            out.push_str(&text[last..range.start]);
            last = range.end;
            if let Some(start) = path.iter().position(|n| *n == reference.name) {
                return Err(GraphError::Cycle(reference, path[start].clone()));
            }
            if path.len() > MAX_DEPTH {
                return Err(GraphError::TooDeep(reference));
            }
            let selector = PromptSelector::from(&reference.target);
            let child = super::prompts::get(conn, project_id, &reference.name, &selector)
                .await?
                .ok_or_else(|| GraphError::Missing(reference.clone()))?;
            let PromptBody::Text(child_text) = &child.prompt else {
                return Err(GraphError::NotText(reference));
            };
            debug_assert_eq!(child.prompt_type, PromptType::Text);
            let edges = graph.dependencies.entry(parent_id.to_string()).or_default();
            let node = GraphNode { id: child.id.clone(), name: child.name.clone(), version: child.version };
            if !edges.contains(&node) {
                edges.push(node);
            }
            path.push(child.name.clone());
            let resolved = resolve_text(conn, project_id, &child.id, child_text, path, graph).await;
            path.pop();
            out.push_str(&resolved?);
        }
        out.push_str(&text[last..]);
        Ok(out)
    })
}

impl From<sqlx::Error> for GraphError {
    fn from(error: sqlx::Error) -> Self {
        GraphError::Database(error.into())
    }
}
