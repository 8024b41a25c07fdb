//! Media attachments as the SDKs upload them (issue #14.4): `POST /media` → signed `PUT` of the
//! bytes → `PATCH /media/{id}` → `GET /media/{id}` → signed download; deduplication, the checks on
//! declared length, hash and type, expired and forged URLs, isolation by project, inert downloads,
//! and deletion with the trace.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use common::{TestApi, TestResponse};
use loupe_app::state::{InstanceSettings, MediaSettings};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const SECRET: &str = "a test secret that is long enough!!";

struct Media<'a> {
    api: &'a TestApi,
    router: axum::Router,
    dir: tempfile::TempDir,
}

impl<'a> Media<'a> {
    fn new(api: &'a TestApi) -> Media<'a> {
        let dir = tempfile::tempdir().unwrap();
        let settings = InstanceSettings { media: Some(MediaSettings { dir: dir.path().to_path_buf(), secret: SECRET.into(), bucket: None }), ..Default::default() };
        Media { api, router: api.router_with(settings), dir }
    }

    async fn send(&self, request: Request<Body>) -> TestResponse {
        common::send(&self.router, request).await
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path).header("authorization", self.api.basic_auth()).header("host", "loupe.test");
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        self.send(request.body(body.map(|b| Body::from(b.to_string())).unwrap_or_default()).unwrap()).await
    }

    /// Loupe's own URL from a signed URL (`http://loupe.test/api/...` → `/api/...`).
    async fn put(&self, url: &str, bytes: &[u8]) -> TestResponse {
        let path = url.strip_prefix("http://loupe.test").expect("a URL on the requested host");
        self.send(Request::put(path).header("content-type", "image/png").body(Body::from(bytes.to_vec())).unwrap()).await
    }

    async fn fetch(&self, url: &str) -> TestResponse {
        let path = url.strip_prefix("http://loupe.test").expect("a URL on the requested host");
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }
}

fn request_for(bytes: &[u8], content_type: &str, trace_id: &str) -> Value {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    json!({"traceId": trace_id, "observationId": "obs-1", "contentType": content_type, "contentLength": bytes.len(), "sha256Hash": hash, "field": "input"})
}

fn sdk_media_id(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))[..22].to_string()
}

#[tokio::test]
async fn upload_reference_and_download_as_the_sdks_do() {
    let api = TestApi::new().await;
    let media = Media::new(&api);
    let png = b"\x89PNG\r\n\x1a\n a small image for the test".to_vec();

    let created = media.call("POST", "/api/public/media", Some(request_for(&png, "image/png", "trace-1"))).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let created = created.json();
    assert_eq!(created["mediaId"], sdk_media_id(&png), "the id every SDK computes, or the SDK aborts");
    let upload_url = created["uploadUrl"].as_str().expect("an upload URL").to_string();
    assert!(upload_url.starts_with("http://loupe.test/api/public/media/upload/proj-a/"), "{upload_url}");

    // A wrong body is refused and stores nothing; the right one is stored.
    let mut altered = png.clone();
    altered[10] ^= 1;
    let refused = media.put(&upload_url, &altered).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text().contains("SHA-256"), "{}", refused.text());
    assert_eq!(media.put(&upload_url, &png).await.status, StatusCode::OK);
    let id = sdk_media_id(&png);
    let report = media.call("PATCH", &format!("/api/public/media/{id}"), Some(json!({"uploadedAt": "2026-12-03T00:00:00Z", "uploadHttpStatus": 200, "uploadHttpError": ""}))).await;
    assert_eq!(report.status, StatusCode::NO_CONTENT, "{}", report.text());

    // The same bytes again (another observation): already there, no upload.
    let again = media.call("POST", "/api/public/media", Some(request_for(&png, "image/png", "trace-2"))).await.json();
    assert_eq!(again["uploadUrl"], Value::Null);

    let got = media.call("GET", &format!("/api/public/media/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let got = got.json();
    assert_eq!((got["contentType"].as_str(), got["contentLength"].as_u64()), (Some("image/png"), Some(png.len() as u64)));
    let download = media.fetch(got["url"].as_str().unwrap()).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body.as_ref(), png.as_slice());
    assert_eq!(download.headers["content-type"], "image/png");
    assert!(download.headers["content-disposition"].to_str().unwrap().starts_with("inline"));
    assert!(download.headers["content-security-policy"].to_str().unwrap().contains("sandbox"));

    // A signed URL is bound to its purpose, project, id and expiry.
    let download_url = got["url"].as_str().unwrap();
    assert_eq!(media.put(&download_url.replace("/download/", "/upload/"), &png).await.status, StatusCode::FORBIDDEN, "a download signature cannot upload");
    let forged = download_url.replacen("expires=", "expires=9", 1);
    assert_eq!(media.fetch(&forged).await.status, StatusCode::FORBIDDEN);
    let expired = download_url.split("?").next().unwrap().to_string() + "?expires=1&signature=00";
    assert_eq!(media.fetch(&expired).await.status, StatusCode::FORBIDDEN);
    assert_eq!(media.fetch(&download_url.replace("/proj-a/", "/proj-b/")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn html_and_svg_download_as_inert_attachments() {
    let api = TestApi::new().await;
    let media = Media::new(&api);
    for (bytes, content_type) in [(b"<script>alert(1)</script>".as_slice(), "text/html"), (b"<svg onload=alert(1)/>".as_slice(), "image/svg+xml")] {
        let created = media.call("POST", "/api/public/media", Some(request_for(bytes, content_type, "t"))).await.json();
        assert_eq!(media.put(created["uploadUrl"].as_str().unwrap(), bytes).await.status, StatusCode::OK);
        let got = media.call("GET", &format!("/api/public/media/{}", created["mediaId"].as_str().unwrap()), None).await.json();
        let download = media.fetch(got["url"].as_str().unwrap()).await;
        assert_eq!(download.headers["content-type"], "application/octet-stream", "{content_type}");
        assert!(download.headers["content-disposition"].to_str().unwrap().starts_with("attachment"), "{content_type}");
    }
}

#[tokio::test]
async fn bad_requests_name_the_field_and_other_projects_see_nothing() {
    let api = TestApi::new().await;
    let media = Media::new(&api);
    let png = b"an image".to_vec();
    let cases = [
        (json!({"traceId": "t", "contentType": "application/x-msdownload", "contentLength": 3, "sha256Hash": "x", "field": "input"}), "contentType"),
        ({ let mut r = request_for(&png, "image/png", "t"); r["contentLength"] = json!(60 * 1024 * 1024); r }, "contentLength"),
        ({ let mut r = request_for(&png, "image/png", "t"); r["sha256Hash"] = json!("short"); r }, "sha256Hash"),
        ({ let mut r = request_for(&png, "image/png", "t"); r["field"] = json!("elsewhere"); r }, "field"),
        ({ let mut r = request_for(&png, "image/png", "t"); r.as_object_mut().unwrap().remove("traceId"); r }, "traceId"),
    ];
    for (body, field) in cases {
        let response = media.call("POST", "/api/public/media", Some(body)).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{field}: {}", response.text());
        assert!(response.text().contains(field), "{field}: {}", response.text());
    }
    // Declared bigger than sent, or sent bigger than declared.
    let created = media.call("POST", "/api/public/media", Some(request_for(&png, "image/png", "t"))).await.json();
    let url = created["uploadUrl"].as_str().unwrap();
    assert_eq!(media.put(url, b"an imag").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(media.put(url, b"an image and more").await.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Another project's key sees none of it.
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let other_media = Media { api: &other, router: media.router.clone(), dir: tempfile::tempdir().unwrap() };
    let id = created["mediaId"].as_str().unwrap();
    assert_eq!(other_media.call("GET", &format!("/api/public/media/{id}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other_media.call("PATCH", &format!("/api/public/media/{id}"), Some(json!({"uploadHttpStatus": 200}))).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_the_trace_deletes_its_media_and_the_file_goes_when_unused() {
    let api = TestApi::new().await;
    let media = Media::new(&api);
    let bytes = b"audio bytes".to_vec();
    let trace = json!({"batch": [{"id": "e", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "doomed"}}]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(trace)).await.status, StatusCode::MULTI_STATUS);
    let created = media.call("POST", "/api/public/media", Some(request_for(&bytes, "audio/mpeg", "doomed"))).await.json();
    assert_eq!(media.put(created["uploadUrl"].as_str().unwrap(), &bytes).await.status, StatusCode::OK);
    let id = created["mediaId"].as_str().unwrap();
    let deleted = media.call("DELETE", "/api/public/traces/doomed", None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    assert_eq!(media.call("GET", &format!("/api/public/media/{id}"), None).await.status, StatusCode::NOT_FOUND);

    // The file is now unused; the sweep removes it once it is old enough (made old here).
    let store = loupe_server::media::MediaStore::new(media.dir.path().to_path_buf(), SECRET);
    let hash = hex::encode(Sha256::digest(&bytes));
    let path = media.dir.path().join(&hash[..2]).join(&hash);
    assert!(path.is_file());
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
    assert_eq!(store.remove_orphans(&api.pool).await.unwrap(), 1);
    assert!(!path.exists());
}

/// The trace page's `<img>`/`<audio>`/download links: `/api/media/{project}/{id}` by session,
/// or by anyone for media of a public trace.
#[tokio::test]
async fn the_trace_page_reads_media_by_session_or_by_public_trace() {
    use common::ui::Browser;
    let api = TestApi::new().await;
    let media = Media::new(&api);
    let settings = InstanceSettings { media: Some(MediaSettings { dir: media.dir.path().to_path_buf(), secret: SECRET.into(), bucket: None }), ..Default::default() };
    let trace = json!({"batch": [{"id": "e", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "with-image"}}]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(trace)).await.status, StatusCode::MULTI_STATUS);
    let png = b"\x89PNG\r\n\x1a\n the trace page's image".to_vec();
    let created = media.call("POST", "/api/public/media", Some(request_for(&png, "image/png", "with-image"))).await.json();
    assert_eq!(media.put(created["uploadUrl"].as_str().unwrap(), &png).await.status, StatusCode::OK);
    let path = format!("/api/media/proj-a/{}", sdk_media_id(&png));
    let get = |browser: &Browser, path: &str| {
        let mut request = Request::get(path);
        if let Some(cookie) = &browser.cookie {
            request = request.header("cookie", cookie.as_str());
        }
        request.body(Body::empty()).unwrap()
    };

    // Each browser's router is built on its first request: the settings go in before sign-up.
    let browser = |email: Option<&str>| {
        let (api, settings) = (&api, settings.clone());
        let email = email.map(str::to_string);
        async move {
            let mut b = Browser::new(api);
            b.settings = settings;
            if let Some(email) = email {
                b.ok("sign_up", &[("email", &email), ("password", "a long enough password")]).await;
            }
            b
        }
    };
    let member = browser(Some("reader@example.com")).await;
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) SELECT 'org-of-proj-a', id, 'VIEWER' FROM accounts WHERE email = 'reader@example.com'")
        .execute(&api.pool)
        .await
        .unwrap();
    let shown = member.send(get(&member, &path)).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    assert_eq!(shown.body.as_ref(), png.as_slice());
    assert_eq!(shown.headers["content-type"], "image/png");
    assert!(shown.headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(member.send(get(&member, "/api/media/proj-a/not-a-media-id")).await.status, StatusCode::NOT_FOUND);

    let anonymous = browser(None).await;
    assert_eq!(anonymous.send(get(&anonymous, &path)).await.status, StatusCode::UNAUTHORIZED);
    let outsider = browser(Some("outsider@example.com")).await;
    assert_eq!(outsider.send(get(&outsider, &path)).await.status, StatusCode::NOT_FOUND, "not in the project: as if it did not exist");

    // Shared by link: the trace's media are visible to anyone, other media of the project are not.
    sqlx::query("UPDATE traces SET public = true WHERE project_id = 'proj-a' AND id = 'with-image'").execute(&api.pool).await.unwrap();
    assert_eq!(anonymous.send(get(&anonymous, &path)).await.status, StatusCode::OK);
    assert_eq!(outsider.send(get(&outsider, &path)).await.status, StatusCode::OK);
    let other = b"another image, on no public trace".to_vec();
    let created = media.call("POST", "/api/public/media", Some(request_for(&other, "image/png", "private-trace"))).await.json();
    assert_eq!(media.put(created["uploadUrl"].as_str().unwrap(), &other).await.status, StatusCode::OK);
    assert_eq!(anonymous.send(get(&anonymous, &format!("/api/media/proj-a/{}", sdk_media_id(&other)))).await.status, StatusCode::UNAUTHORIZED);
    // The project in the path scopes the media id.
    api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    assert_eq!(anonymous.send(get(&anonymous, &format!("/api/media/proj-b/{}", sdk_media_id(&png)))).await.status, StatusCode::UNAUTHORIZED);
}
