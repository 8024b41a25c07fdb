//! Lets a page set the HTTP status of the server-rendered response (e.g. 404). In the browser
//! there is no response to change, so it does nothing.

/// Sets the status code of the response being rendered.
pub fn set_http_status(code: u16) {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = axum::http::StatusCode::from_u16(code) {
                response.set_status(status);
            }
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
