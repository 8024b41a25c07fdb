//! The signed-in person's session as a context every page can read: who they are, their
//! organizations and projects with roles.
//!
//! It is there synchronously from the first render, never awaited. The server's session
//! middleware loads it before the page renders (`auth::session::PageSession`) and the shell
//! hands it to the browser as a serialized value ([`SharedValue`]). Waiting for it in a
//! `Suspense` (as pages once did) made hydration flaky: on the server, a suspended closure whose
//! data are already there runs again for every dry resolve, and each run takes fresh hydration
//! ids for the resources and `Suspense`s it creates; the browser runs it once, so the ids after
//! it no longer matched, and a page sometimes failed to hydrate or hung mid-stream.
//!
//! `refresh` reloads it through `get_session` after a change that affects it (a new project, a
//! rename, leaving); readers are reactive and see the new value.

use leptos::prelude::*;

use crate::domain::account::SessionInfo;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct Session {
    info: RwSignal<Result<Option<SessionInfo>, AppError>>,
    /// Bumped by each reload, so an older answer arriving late does not overwrite a newer one.
    version: StoredValue<u64>,
}

impl Session {
    /// The signed-in person (tracked); `None` when signed out or when the session could not be
    /// read.
    pub fn current(&self) -> Option<SessionInfo> {
        self.info.with(|info| info.as_ref().ok().cloned().flatten())
    }

    /// Reads the signed-in person without cloning (tracked).
    pub fn with<R>(&self, read: impl FnOnce(Option<&SessionInfo>) -> R) -> R {
        self.info.with(|info| read(info.as_ref().ok().and_then(Option::as_ref)))
    }

    /// The signed-in person, untracked (for event handlers and resource fetchers).
    pub fn current_untracked(&self) -> Option<SessionInfo> {
        self.info.with_untracked(|info| info.as_ref().ok().cloned().flatten())
    }

    /// Reloads the session from the server; finishes once readers see the new value. Await it
    /// before going to a page that needs the change (a new project), or that page would first
    /// read the old session and say "not found".
    pub async fn reload(self) {
        let mine = self.version.try_update_value(|v| {
            *v += 1;
            *v
        });
        let fresh = crate::server_fns::account::get_session().await;
        if mine.is_some() && self.version.try_get_value() == mine {
            self.info.try_set(fresh);
        }
    }

    /// [`Session::reload`] in the background (in the browser, from an event or an effect).
    pub fn refresh(&self) {
        leptos::task::spawn_local(self.reload());
    }
}

/// The session the page started with: on the server, what the middleware loaded for this
/// request; in the browser, never called while hydrating (the serialized value is used).
fn initial() -> Result<Option<SessionInfo>, AppError> {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::auth::session::PageSession>().map(|s| s.0.clone()))
            .unwrap_or(Ok(None))
    }
    #[cfg(not(feature = "ssr"))]
    {
        Ok(None)
    }
}

pub fn provide_session() -> Session {
    let initial = SharedValue::new(initial).into_inner();
    let session = Session { info: RwSignal::new(initial), version: StoredValue::new(0) };
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
