//! Collaborative documents over WebSocket (#19):
//! `GET /api/live/projects/{project_id}/documents/{kind}/{key}` upgrades to a WebSocket that
//! speaks the Yjs sync and awareness protocols (binary frames, `yrs::sync` encoding) plus
//! Loupe's acknowledgement and notice messages (`loupe_domain::collab`).
//!
//! Signed in by the session cookie, like the event streams beside it: signed out is 401, a
//! project the person is not in (or a document about a prompt that does not exist) is 404,
//! answered before the upgrade as JSON `AppError`s. Viewers may connect and watch; the room
//! refuses their changes. Every [`super::live::ACCESS_RECHECK`] the session and the role are
//! checked again: a person removed from the project (or signed out) is disconnected with
//! close code 4403, a role change is applied and told to the browser.

use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use loupe_app::auth::session::CurrentUser;
use loupe_app::domain::collab::{DocumentKind, CLOSE_FORBIDDEN, CLOSE_TOO_MANY, CLOSE_UNAVAILABLE, MAX_UPDATE_BYTES};
use loupe_app::domain::Action;
use loupe_app::error::AppError;
use loupe_core::collab::{Closing, Collab, Connection, OpenError, Person};
use sqlx::PgPool;
use tokio::time::Instant;

use super::app_error as error;
use super::live::LiveState;

/// A ping this often keeps proxies from closing an idle socket and notices a dead peer.
const PING_EVERY: Duration = Duration::from_secs(20);

pub(super) async fn open(
    State(state): State<LiveState>,
    user: Option<Extension<CurrentUser>>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let (project_id, kind, key) = match path {
        Ok(Path(parts)) => parts,
        Err(rejection) => return error(AppError::invalid("path", rejection.body_text())),
    };
    let Some(kind) = DocumentKind::parse(&kind) else {
        return error(AppError::NotFound(format!("no document kind {kind:?}")));
    };
    let Some(Extension(user)) = user else { return error(AppError::SignInRequired) };
    let scope = match loupe_app::auth::access::project(&state.pool, &user, &project_id, Action::ReadProjectData).await {
        Ok(scope) => scope,
        Err(e) => return error(e),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return error(AppError::invalid("upgrade", rejection.body_text())),
    };
    let name = match loupe_core::store::accounts::summary(&state.pool, &user.user_id).await {
        Ok(Some(summary)) => summary.name.filter(|n| !n.trim().is_empty()).unwrap_or(summary.email),
        Ok(None) => return error(AppError::SignInRequired),
        Err(_) => return error(AppError::Unavailable),
    };
    let person = Person { account_id: user.user_id.clone(), name, can_write: scope.role.can(write_action(kind)) };
    let (connection, first) = match state.collab.connect(&scope.project_id, kind, &key, person).await {
        Ok(opened) => opened,
        Err(OpenError::NotFound) => return error(AppError::NotFound(match kind {
            DocumentKind::PromptDraft => format!("no prompt named {key:?}"),
            DocumentKind::Playground => format!("no saved playground {key:?}"),
        })),
        Err(OpenError::TooMany) => {
            // Answered after the upgrade, so the browser sees the close code (an HTTP error
            // before the upgrade reaches a WebSocket only as "failed").
            return upgrade.on_upgrade(|socket| close(socket, CLOSE_TOO_MANY, "too many connections to this document"));
        }
        Err(OpenError::Store(_)) => return error(AppError::Unavailable),
    };
    let session = Session { pool: state.pool.clone(), user, project_id, kind, recheck: state.access_recheck };
    upgrade
        .max_message_size(MAX_UPDATE_BYTES + 1024)
        // Frames are small (keystrokes); tungstenite's 128 KiB default read buffer was most of a
        // connection's memory.
        .read_buffer_size(16 * 1024)
        .on_upgrade(move |socket| serve(socket, connection, first, session))
}

/// The action that may change a document of `kind`.
fn write_action(kind: DocumentKind) -> Action {
    match kind {
        DocumentKind::PromptDraft => Action::WritePrompts,
        DocumentKind::Playground => Action::UsePlayground,
    }
}

struct Session {
    pool: PgPool,
    user: CurrentUser,
    project_id: String,
    kind: DocumentKind,
    recheck: Duration,
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

async fn serve(mut socket: WebSocket, mut connection: Connection, first: Vec<Vec<u8>>, session: Session) {
    for message in first {
        if socket.send(WsMessage::Binary(message.into())).await.is_err() {
            return;
        }
    }
    let mut next_check = Instant::now() + session.recheck;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let closing = loop {
        tokio::select! {
            received = socket.recv() => {
                let frame = match received {
                    Some(Ok(WsMessage::Binary(frame))) => frame,
                    Some(Ok(WsMessage::Text(_))) => break Some(Closing { code: loupe_app::domain::collab::CLOSE_MALFORMED, reason: "binary frames only" }),
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break None,
                };
                match connection.receive(&frame).await {
                    Ok(replies) => {
                        for reply in replies {
                            if socket.send(WsMessage::Binary(reply.into())).await.is_err() {
                                break;
                            }
                        }
                    }
                    Err(closing) => break Some(closing),
                }
            }
            event = connection.next() => match event {
                Ok(message) => {
                    if socket.send(WsMessage::Binary(message.into())).await.is_err() {
                        break None;
                    }
                }
                Err(closing) => break Some(closing),
            },
            _ = ping.tick() => {
                if socket.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    break None;
                }
            }
            _ = tokio::time::sleep_until(next_check) => {
                next_check = Instant::now() + session.recheck;
                match standing(&session).await {
                    Standing::Gone => break Some(Closing { code: CLOSE_FORBIDDEN, reason: "no longer allowed" }),
                    Standing::Unknown => {}
                    Standing::Role { can_write } => {
                        if let Some(notice) = connection.set_can_write(can_write) {
                            if socket.send(WsMessage::Binary(notice.into())).await.is_err() {
                                break None;
                            }
                        }
                    }
                }
            }
        }
    };
    if let Some(Closing { code, reason }) = closing {
        if code == CLOSE_UNAVAILABLE {
            tracing::debug!(reason, "documents: closing a connection");
        }
        let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
    }
}

enum Standing {
    Role { can_write: bool },
    Gone,
    /// The database did not answer: keep the connection, ask again later.
    Unknown,
}

async fn standing(session: &Session) -> Standing {
    match loupe_core::store::sign_in_sessions::user_for(&session.pool, &session.user.token).await {
        Ok(Some(user_id)) if user_id == session.user.user_id => {}
        Ok(_) => return Standing::Gone,
        Err(_) => return Standing::Unknown,
    }
    match loupe_app::auth::access::project(&session.pool, &session.user, &session.project_id, Action::ReadProjectData).await {
        Ok(scope) => Standing::Role { can_write: scope.role.can(write_action(session.kind)) },
        Err(AppError::Unavailable | AppError::Internal) => Standing::Unknown,
        Err(_) => Standing::Gone,
    }
}

/// The hub the live router's documents use.
pub fn hub(pool: &PgPool, live: &crate::live::Live) -> Collab {
    Collab::new(pool.clone(), live)
}
