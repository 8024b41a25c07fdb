//! The signed-in person's session as a context every page can read: who they are, their
//! organizations and projects with roles. Loaded once by the shell through `get_session`;
//! `refresh` reloads it after a change that affects it (a new project, a rename, leaving).

use leptos::prelude::*;

use crate::server_fns::account::get_session;
use crate::domain::account::SessionInfo;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct Session {
    pub info: Resource<Result<Option<SessionInfo>, AppError>>,
    version: RwSignal<u32>,
}

impl Session {
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

pub fn provide_session() -> Session {
    let version = RwSignal::new(0u32);
    let info = Resource::new(move || version.get(), |_| get_session());
    let session = Session { info, version };
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
