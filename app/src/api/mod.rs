//! Server functions: the UI's only way to the server. Each is thin: take the `AppState` from
//! context, call one `store` function, map the error.

pub mod system;
