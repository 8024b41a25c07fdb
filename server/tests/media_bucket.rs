//! Media in an S3-compatible bucket (issue #14.4): the same SDK flow as `media.rs`, with the
//! bytes in a bucket served by s3s-fs (an S3 server over a directory that checks SigV4
//! signatures), so the requests Loupe signs are checked as S3 would.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use common::{TestApi, TestResponse};
use loupe_app::state::{InstanceSettings, MediaBucket, MediaSettings};
use serde_json::json;
use sha2::{Digest, Sha256};

const BUCKET: &str = "loupe-media";
const ACCESS_KEY: &str = "loupe-test-access";
const SECRET_KEY: &str = "loupe-test-secret-access-key";

/// An S3 server on a free port, storing under `root`, with one bucket.
async fn s3_server(root: &Path) -> SocketAddr {
    std::fs::create_dir_all(root.join(BUCKET)).unwrap();
    let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(root).unwrap());
    builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let service = service.clone();
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(socket), service));
        }
    });
    addr
}

fn settings(dir: &Path, s3: SocketAddr, secret_key: &str) -> InstanceSettings {
    let bucket = MediaBucket {
        endpoint: format!("http://{s3}"),
        name: BUCKET.into(),
        region: "us-east-1".into(),
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: secret_key.into(),
        path_style: true,
        prefix: "tenant-a/".into(),
    };
    InstanceSettings { media: Some(MediaSettings { dir: dir.to_path_buf(), secret: "a test secret that is long enough!!".into(), bucket: Some(bucket) }), ..Default::default() }
}

use common::send;

async fn api_call(api: &TestApi, router: &axum::Router, method: &str, path: &str, body: serde_json::Value) -> TestResponse {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", api.basic_auth())
        .header("host", "loupe.test")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, request).await
}

fn local(url: &str) -> String {
    url.strip_prefix("http://loupe.test").expect("a URL on the requested host").to_string()
}

#[tokio::test]
async fn media_go_to_the_bucket_and_come_back() {
    let api = TestApi::new().await;
    let s3_root = tempfile::tempdir().unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let s3 = s3_server(s3_root.path()).await;
    let router = api.router_with(settings(data_dir.path(), s3, SECRET_KEY));
    let trace = json!({"batch": [{"id": "e", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t-bucket"}}]});
    assert_eq!(api_call(&api, &router, "POST", "/api/public/ingestion", trace).await.status, StatusCode::MULTI_STATUS);

    let png = b"\x89PNG\r\n\x1a\n bytes that live in a bucket".to_vec();
    let hash = Sha256::digest(&png);
    let request = json!({"traceId": "t-bucket", "contentType": "image/png", "contentLength": png.len(),
        "sha256Hash": base64::engine::general_purpose::STANDARD.encode(hash), "field": "input"});
    let created = api_call(&api, &router, "POST", "/api/public/media", request.clone()).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let created = created.json();
    let upload = local(created["uploadUrl"].as_str().expect("an upload URL"));
    let put = send(&router, Request::put(upload).body(Body::from(png.clone())).unwrap()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());

    // In the bucket, under the prefix, and not in the data directory.
    let hex = hex::encode(hash);
    let object = s3_root.path().join(BUCKET).join("tenant-a/media").join(&hex);
    assert_eq!(std::fs::read(&object).unwrap(), png);
    assert_eq!(std::fs::read_dir(data_dir.path()).unwrap().count(), 0);

    // Known to the bucket: the same bytes again need no upload (a signed HEAD).
    let again = api_call(&api, &router, "POST", "/api/public/media", request).await.json();
    assert_eq!(again["uploadUrl"], serde_json::Value::Null);

    let id = created["mediaId"].as_str().unwrap();
    let got = send(&router, Request::get(format!("/api/public/media/{id}")).header("authorization", api.basic_auth()).header("host", "loupe.test").body(Body::empty()).unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let download = send(&router, Request::get(local(got.json()["url"].as_str().unwrap())).body(Body::empty()).unwrap()).await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.text());
    assert_eq!(download.body.as_ref(), png.as_slice());

    // Trace deleted → unused; the sweep lists the bucket and deletes the (old enough) object.
    let store = loupe_server::media::MediaStore::from_settings(&settings(data_dir.path(), s3, SECRET_KEY)).unwrap();
    assert_eq!(store.remove_orphans(&api.pool).await.unwrap(), 0, "still used");
    let deleted = send(&router, Request::delete("/api/public/traces/t-bucket").header("authorization", api.basic_auth()).body(Body::empty()).unwrap()).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    assert_eq!(store.remove_orphans(&api.pool).await.unwrap(), 0, "too young to judge");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options().write(true).open(&object).unwrap().set_modified(old).unwrap();
    assert_eq!(store.remove_orphans(&api.pool).await.unwrap(), 1);
    assert!(!object.exists());
}

#[tokio::test]
async fn a_bucket_that_refuses_loupe_is_a_503_and_nothing_is_marked_uploaded() {
    let api = TestApi::new().await;
    let s3_root = tempfile::tempdir().unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let s3 = s3_server(s3_root.path()).await;
    let router = api.router_with(settings(data_dir.path(), s3, "not the bucket's secret"));
    let bytes = b"refused".to_vec();
    let request = json!({"traceId": "t", "contentType": "text/plain", "contentLength": bytes.len(),
        "sha256Hash": base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)), "field": "output"});
    let created = api_call(&api, &router, "POST", "/api/public/media", request).await.json();
    let put = send(&router, Request::put(local(created["uploadUrl"].as_str().unwrap())).body(Body::from(bytes)).unwrap()).await;
    assert_eq!(put.status, StatusCode::SERVICE_UNAVAILABLE, "{}", put.text());
    assert!(put.headers.contains_key("retry-after"));
    let uploaded: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar("SELECT uploaded_at FROM media WHERE project_id = 'proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(uploaded, None, "the SDK may retry; nothing claims the bytes are there");
}
