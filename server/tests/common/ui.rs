//! A signed-in (or not) browser for the UI's server functions, in-process: form-encoded POSTs
//! to `/api/ui/<endpoint>` with the session cookie the server set, as the Leptos client sends
//! them.

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

use super::{TestApi, TestResponse};

pub struct Browser<'a> {
    pub api: &'a TestApi,
    pub cookie: Option<String>,
    /// Read when the first request builds the router; set before that.
    pub settings: loupe_app::state::InstanceSettings,
    /// One router per browser, built on first use, as the server builds one at start.
    router: std::sync::OnceLock<axum::Router>,
}

impl<'a> Browser<'a> {
    pub fn new(api: &'a TestApi) -> Browser<'a> {
        let settings = loupe_app::state::InstanceSettings {
            secrets: Some(super::test_secrets()),
            ..Default::default()
        };
        Browser {
            api,
            cookie: None,
            settings,
            router: std::sync::OnceLock::new(),
        }
    }

    /// Calls a server function with form fields; keeps the session cookie it sets or clears.
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(form).unwrap();
        let mut request = Request::builder()
            .method("POST")
            .uri(format!("/api/ui/{endpoint}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "loupe.test")
            .header("origin", "http://loupe.test");
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie.as_str());
        }
        let response = self.send(request.body(Body::from(body)).unwrap()).await;
        for value in response.headers.get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap().to_string();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        response
    }

    /// Calls a JSON-encoded server function (`input = Json`) with `body`.
    pub async fn call_json(&mut self, endpoint: &str, body: &Value) -> TestResponse {
        let mut request = Request::builder()
            .method("POST")
            .uri(format!("/api/ui/{endpoint}"))
            .header("content-type", "application/json")
            .header("host", "loupe.test")
            .header("origin", "http://loupe.test");
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie.as_str());
        }
        self.send(
            request
                .body(Body::from(serde_json::to_vec(body).unwrap()))
                .unwrap(),
        )
        .await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        super::send(
            self.router
                .get_or_init(|| self.api.router_with(self.settings.clone())),
            request,
        )
        .await
    }

    /// Calls and expects 200; returns the JSON result.
    pub async fn ok(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Value {
        let response = self.call(endpoint, form).await;
        assert_eq!(
            response.status,
            200,
            "{endpoint} {form:?}: {}",
            response.text()
        );
        response.json()
    }

    pub async fn sign_up(api: &'a TestApi, email: &str, password: &str) -> Browser<'a> {
        let mut browser = Browser::new(api);
        browser
            .ok("sign_up", &[("email", email), ("password", password)])
            .await;
        assert!(browser.cookie.is_some(), "sign-up sets the session cookie");
        browser
    }

    /// Signs up and joins the harness's organization (`org-of-proj-a`, project `proj-a`) with
    /// `role` (`VIEWER`, `MEMBER`, `ADMIN`, `OWNER`).
    pub async fn member_of_proj_a(
        api: &'a TestApi,
        email: &str,
        password: &str,
        role: &str,
    ) -> Browser<'a> {
        let browser = Browser::sign_up(api, email, password).await;
        sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) SELECT 'org-of-proj-a', id, $2 FROM accounts WHERE email = $1")
            .bind(email)
            .bind(role)
            .execute(&api.pool)
            .await
            .unwrap();
        browser
    }

    /// `list_traces` for `proj-a` with the given `TraceListQuery` fields; expects 200.
    pub async fn list_traces(&mut self, query: &[(&str, &str)]) -> Value {
        let mut form = vec![("project_id", "proj-a")];
        let keys: Vec<String> = query.iter().map(|(k, _)| format!("query[{k}]")).collect();
        form.extend(
            keys.iter()
                .map(String::as_str)
                .zip(query.iter().map(|(_, v)| *v)),
        );
        self.ok("list_traces", &form).await
    }

    /// Creates an organization with a first project; returns (org id, project id).
    pub async fn create_org(&mut self, name: &str, project: &str) -> (String, String) {
        let project_id = self
            .ok(
                "create_organization",
                &[("name", name), ("project_name", project)],
            )
            .await;
        let project_id = project_id.as_str().unwrap().to_string();
        let org_id: String = sqlx::query_scalar("SELECT org_id FROM projects WHERE id = $1")
            .bind(&project_id)
            .fetch_one(&self.api.pool)
            .await
            .unwrap();
        (org_id, project_id)
    }
}

/// The trace ids of a `list_traces` page, in order.
pub fn listed_trace_ids(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["trace"]["id"].as_str().unwrap().to_string())
        .collect()
}
