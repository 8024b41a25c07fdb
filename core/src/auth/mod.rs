//! The access check (`access`: standing in a project or organization → typed scope) and
//! credentials on the server: hashing and verifying passwords and API secret keys (`secrets`),
//! the random tokens behind session cookies and invitation links (`tokens`), the account rules
//! — sign-up, sign-in, password change (`accounts`) — and sign-in throttling (`throttle`). The
//! session cookie and who is signed in are the app's (`loupe_app::auth`), since they read the
//! request.

pub mod access;
pub mod accounts;
pub mod secrets;
pub mod signed_urls;
pub mod throttle;
pub mod tokens;
