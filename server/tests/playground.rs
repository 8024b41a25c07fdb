//! The playground's runs (`POST /api/playground/projects/{id}/runs`, #18) against our fake
//! provider (testkit/fake-llm, OpenAI and Anthropic wire formats), on a real Postgres and a real
//! socket: tokens streamed, tools and a response schema in one run, each provider failure named,
//! a silent provider cut off, Stop cancelling the provider call, the per-project run limit, and
//! every run recorded as a trace with its cost — with the key in no event and no trace.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::playground::{ProviderProblem, RunEvent};
use serde_json::{json, Value};

const KEY: &str = "sk-fake-PLAYGROUND-SECRET-7d1e";
const PASSWORD: &str = "a long enough password";
const WAIT: Duration = Duration::from_secs(20);

struct Setup {
    api: TestApi,
    addr: SocketAddr,
    cookie: String,
    fake: loupe_fake_llm::Received,
    fake_url: String,
}

/// A served Loupe over a fresh database with `limits`, a Member signed in, and two connections
/// to the fake provider: `fake-openai` (OpenAI format, an extra header) and `fake-anthropic`.
async fn setup(limits: loupe_server::config::Limits) -> Setup {
    let api = TestApi::new().await;
    let (fake_url, fake) = loupe_fake_llm::start().await;
    for body in [
        json!({"provider": "fake-openai", "adapter": "openai", "secretKey": KEY, "baseURL": fake_url, "extraHeaders": {"X-Team": "search"}}),
        json!({"provider": "fake-anthropic", "adapter": "anthropic", "secretKey": KEY, "baseURL": fake_url}),
    ] {
        let created = api.call("PUT", "/api/public/llm-connections", Some(body)).await;
        assert_eq!(created.status, 201, "{}", created.text());
    }
    let cookie = Browser::member_of_proj_a(&api, "ana@example.com", PASSWORD, "MEMBER").await.cookie.clone().unwrap();
    let state = loupe_app::state::AppState {
        leptos_options: loupe_server::leptos_options(&std::env::temp_dir(), "127.0.0.1:3000".parse().unwrap()),
        pool: api.pool.clone(),
        database_mode: loupe_app::domain::system::DatabaseMode::Embedded,
        settings: loupe_app::state::InstanceSettings { secrets: Some(common::test_secrets()), ..Default::default() },
    };
    let live = loupe_server::live::Live::new(api.pool.clone());
    let router = loupe_server::http::router_with_limits(state, live, &limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Setup { api, addr, cookie, fake, fake_url }
}

fn chat(connection: &str, model: &str, user: &str) -> Value {
    json!({
        "mode": "chat",
        "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": user}],
        "variables": {"name": "小明"},
        "variant": {"connection": connection, "model": model, "params": {"temperature": 0.2, "maxTokens": 200}}
    })
}

/// Starts a run; the response (its status not checked).
async fn start(s: &Setup, body: &Value, cookie: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}/api/playground/projects/proj-a/runs", s.addr))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// A run's stream, parsed.
struct Run {
    response: reqwest::Response,
    buffer: String,
    /// Everything read, to check no secret went by.
    raw: String,
}

impl Run {
    async fn open(s: &Setup, body: &Value) -> Run {
        let response = start(s, body, Some(&s.cookie)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Run { response, buffer: String::new(), raw: String::new() }
    }

    async fn next(&mut self) -> Option<RunEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let data: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
                if data.is_empty() {
                    continue;
                }
                assert!(block.contains("event: run"), "{block}");
                return Some(serde_json::from_str(&data.join("\n")).unwrap_or_else(|e| panic!("{e}: {block}")));
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk()).await.expect("the run goes on").expect("the stream reads")?;
            let text = std::str::from_utf8(&chunk).unwrap();
            self.raw.push_str(text);
            self.buffer.push_str(text);
        }
    }

    async fn all(mut self) -> (Vec<RunEvent>, String) {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            events.push(event);
        }
        (events, self.raw)
    }
}

fn text(events: &[RunEvent]) -> String {
    events.iter().filter_map(|e| if let RunEvent::Delta { text } = e { Some(text.as_str()) } else { None }).collect()
}

fn last(events: &[RunEvent]) -> &RunEvent {
    events.last().expect("at least one event")
}

async fn generation(api: &TestApi, trace_id: &str) -> (String, String, Option<f64>, String, Option<String>, String, Value) {
    sqlx::query_as(
        "SELECT o.model, t.environment, o.total_cost, o.level, o.status_message, coalesce(o.output::text, ''), coalesce(o.usage_details, '{}'::jsonb)
         FROM observations o JOIN traces t ON t.project_id = o.project_id AND t.id = o.trace_id
         WHERE o.project_id = 'proj-a' AND o.trace_id = $1 AND o.type = 'GENERATION'",
    )
    .bind(trace_id)
    .fetch_one(&api.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_run_streams_its_tokens_and_is_recorded_with_its_cost() {
    let s = setup(Default::default()).await;
    let (events, raw) = Run::open(&s, &chat("fake-openai", "gpt-4o", "Hello {{name}}, how are you?")).await.all().await;
    let RunEvent::Started { trace_id } = &events[0] else { panic!("first comes started: {events:?}") };
    assert_eq!(text(&events), "Echo: Hello 小明, how are you?");
    assert!(events.iter().filter(|e| matches!(e, RunEvent::Delta { .. })).count() > 3, "streamed in pieces: {events:?}");
    let RunEvent::Done { trace_id: done_trace, ttft_ms, total_ms, usage, cost } = last(&events) else { panic!("{events:?}") };
    assert_eq!(done_trace, trace_id);
    assert!(ttft_ms.is_some_and(|t| t <= *total_ms));
    let usage = usage.expect("the provider's usage");
    assert!(usage.input > 0 && usage.output > 0 && usage.total == usage.input + usage.output, "{usage:?}");
    let cost = cost.expect("gpt-4o has a price in the default table");
    assert!(cost > 0.0);

    // What the provider got: the filled variables, the parameters, the key and the extra header.
    let received = s.fake.all();
    let request = &received[0];
    assert_eq!(request["headers"]["authorization"], format!("Bearer {KEY}"));
    assert_eq!(request["headers"]["x-team"], "search");
    assert_eq!(request["body"]["messages"][1]["content"], "Hello 小明, how are you?");
    assert_eq!(request["body"]["temperature"], 0.2);
    assert_eq!(request["body"]["stream"], true);

    // Recorded: a trace in the playground environment, the generation with model, usage, cost.
    let (model, environment, stored_cost, level, _, output, usage_details) = generation(&s.api, trace_id).await;
    assert_eq!((model.as_str(), environment.as_str()), ("gpt-4o", "playground"));
    assert_eq!(stored_cost, Some(cost));
    assert_eq!(level, "DEFAULT");
    assert!(output.contains("Echo: Hello"), "{output}");
    assert_eq!(usage_details["input"], usage.input);
    // The key went to the provider only.
    assert!(!raw.contains(KEY), "the key is in the event stream");
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM observations o JOIN traces t ON t.id = o.trace_id WHERE t.environment = 'playground'
           AND (o.input::text || o.output::text || o.metadata::text || t.metadata::text) LIKE '%' || $1 || '%'",
    )
    .bind(KEY)
    .fetch_one(&s.api.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0, "the key is in a recorded trace");
}

#[tokio::test]
async fn tools_and_a_response_schema_work_in_the_same_run_in_both_wire_formats() {
    let s = setup(Default::default()).await;
    let tools = json!([{"name": "get_weather", "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}])
    .to_string();
    let schema = json!({"type": "object", "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}}, "required": ["answer"]}).to_string();
    for connection in ["fake-openai", "fake-anthropic"] {
        let mut body = chat(connection, "gpt-4o", "Weather in Paris?");
        body["tools"] = json!(tools);
        body["responseSchema"] = json!(schema);
        let (events, _) = Run::open(&s, &body).await.all().await;
        let call = events
            .iter()
            .find_map(|e| if let RunEvent::ToolCall { call } = e { Some(call.clone()) } else { None })
            .unwrap_or_else(|| panic!("{connection}: a tool call: {events:?}"));
        assert_eq!(call.name, "get_weather");
        assert_eq!(serde_json::from_str::<Value>(&call.arguments).unwrap(), json!({"city": "Paris"}), "{connection}");
        assert!(matches!(last(&events), RunEvent::Done { .. }), "{connection}: {events:?}");
        let sent = s.fake.all().last().unwrap()["body"].clone();
        assert!(sent["tools"].is_array(), "{connection}: tools sent: {sent}");
        let schema_sent = sent.pointer("/response_format/json_schema/schema").or_else(|| sent.pointer("/output_config/format/schema"));
        assert!(schema_sent.is_some(), "{connection}: the schema sent with the tools: {sent}");

        // The person writes the tool's result and continues: the call and its result go back.
        body["messages"] = json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "toolCalls": [call]},
            {"role": "tool", "content": "18°C and sunny", "toolCallId": call.id},
        ]);
        body["responseSchema"] = json!("");
        let (events, _) = Run::open(&s, &body).await.all().await;
        assert_eq!(text(&events), "The tool said: 18°C and sunny", "{connection}: {events:?}");
    }
    // With the schema alone, the answer is an instance of it.
    let mut body = chat("fake-anthropic", "claude-sonnet-4-5", "Answer me");
    body["responseSchema"] = json!(schema);
    let (events, _) = Run::open(&s, &body).await.all().await;
    let answer: Value = serde_json::from_str(&text(&events)).unwrap_or_else(|e| panic!("{e}: {events:?}"));
    assert!(answer["answer"].is_string(), "{answer}");
}

#[tokio::test]
async fn each_provider_failure_is_named_and_recorded() {
    let s = setup(Default::default()).await;
    let cases: [(&str, fn(&ProviderProblem) -> bool); 5] = [
        ("unknown-model", |p| matches!(p, ProviderProblem::UnknownModel { message } if message.contains("does not exist"))),
        ("rate-limit", |p| matches!(p, ProviderProblem::RateLimited { retry_after_seconds: Some(7), .. })),
        ("server-error", |p| matches!(p, ProviderProblem::ProviderDown { status: 500, .. })),
        ("content-filter", |p| matches!(p, ProviderProblem::ContentFilter { .. })),
        ("malformed", |p| matches!(p, ProviderProblem::MalformedStream { .. })),
    ];
    for (model, expected) in cases {
        for connection in ["fake-openai", "fake-anthropic"] {
            let (events, _) = Run::open(&s, &chat(connection, model, "hi")).await.all().await;
            let RunEvent::Failed { trace_id, problem } = last(&events) else { panic!("{connection}/{model}: {events:?}") };
            assert!(expected(problem), "{connection}/{model}: {problem:?}");
            let (_, _, _, level, status, _, _) = generation(&s.api, trace_id.as_deref().unwrap()).await;
            assert_eq!(level, "ERROR", "{connection}/{model}");
            assert!(status.is_some_and(|s| s.contains("kind")), "{connection}/{model}");
        }
    }
    // A wrong key: the provider's own words.
    let wrong = json!({"provider": "wrong-key", "adapter": "openai", "secretKey": "bad-key", "baseURL": s.fake_url});
    assert_eq!(s.api.call("PUT", "/api/public/llm-connections", Some(wrong)).await.status, 201);
    let (events, _) = Run::open(&s, &chat("wrong-key", "gpt-4o", "hi")).await.all().await;
    assert!(matches!(last(&events), RunEvent::Failed { problem: ProviderProblem::BadKey { message }, .. } if message.contains("Incorrect API key")), "{events:?}");
    // No such connection, an adapter the playground cannot call, an address nobody listens on.
    let (events, _) = Run::open(&s, &chat("nobody", "gpt-4o", "hi")).await.all().await;
    assert_eq!(events, vec![RunEvent::Failed { trace_id: None, problem: ProviderProblem::NoSuchConnection { name: "nobody".into() } }]);
    let bedrock = json!({"provider": "aws", "adapter": "bedrock", "secretKey": "{}", "config": {"region": "eu-west-1"}});
    assert_eq!(s.api.call("PUT", "/api/public/llm-connections", Some(bedrock)).await.status, 201);
    let (events, _) = Run::open(&s, &chat("aws", "amazon.nova-pro-v1:0", "hi")).await.all().await;
    assert!(matches!(last(&events), RunEvent::Failed { problem: ProviderProblem::UnsupportedAdapter { .. }, .. }), "{events:?}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let away = json!({"provider": "away", "adapter": "openai", "secretKey": "k", "baseURL": format!("http://{closed}/v1")});
    assert_eq!(s.api.call("PUT", "/api/public/llm-connections", Some(away)).await.status, 201);
    let (events, _) = Run::open(&s, &chat("away", "gpt-4o", "hi")).await.all().await;
    assert!(matches!(last(&events), RunEvent::Failed { problem: ProviderProblem::Unreachable { .. }, .. }), "{events:?}");
}

#[tokio::test]
async fn a_silent_provider_is_cut_off_and_a_project_has_a_run_limit() {
    let limits = loupe_server::config::Limits { playground_timeout: Duration::from_secs(1), playground_max_runs_per_project: 1, ..Default::default() };
    let s = setup(limits).await;
    for model in ["stall", "hang"] {
        let (events, _) = Run::open(&s, &chat("fake-openai", model, "one two three")).await.all().await;
        assert!(matches!(last(&events), RunEvent::Failed { problem: ProviderProblem::Timeout { seconds: 1 }, .. }), "{model}: {events:?}");
        if model == "stall" {
            assert_eq!(text(&events), "Echo: one ", "what arrived before the stall is kept");
        }
    }
    // One run going: a second one of the project is refused at once, then admitted again.
    let mut first = Run::open(&s, &chat("fake-openai", "slow", "a b c d e f g h")).await;
    assert!(matches!(first.next().await, Some(RunEvent::Started { .. })));
    let (events, _) = Run::open(&s, &chat("fake-openai", "gpt-4o", "hi")).await.all().await;
    assert_eq!(events, vec![RunEvent::Failed { trace_id: None, problem: ProviderProblem::Busy { limit: 1 } }]);
    let (events, _) = first.all().await;
    assert!(matches!(last(&events), RunEvent::Done { .. }));
    let (events, _) = Run::open(&s, &chat("fake-openai", "gpt-4o", "hi")).await.all().await;
    assert!(matches!(last(&events), RunEvent::Done { .. }), "{events:?}");
}

#[tokio::test]
async fn stop_cancels_the_provider_call_and_keeps_what_arrived() {
    let s = setup(Default::default()).await;
    let words: Vec<String> = (1..=40).map(|i| format!("w{i}")).collect();
    let mut run = Run::open(&s, &chat("fake-openai", "slow-gpt-4o", &words.join(" "))).await;
    let Some(RunEvent::Started { trace_id }) = run.next().await else { panic!("started") };
    for _ in 0..3 {
        assert!(matches!(run.next().await, Some(RunEvent::Delta { .. })));
    }
    drop(run);
    // Recorded as stopped, with the words that arrived and not all forty.
    let mut recorded = None;
    for _ in 0..100 {
        if let Ok(Some(row)) = sqlx::query_as::<_, (String, Option<String>, String)>(
            "SELECT level, status_message, coalesce(output::text, '') FROM observations WHERE project_id = 'proj-a' AND trace_id = $1",
        )
        .bind(&trace_id)
        .fetch_optional(&s.api.pool)
        .await
        {
            recorded = Some(row);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (level, status, output) = recorded.expect("the stopped run is recorded");
    assert_eq!(level, "WARNING");
    assert_eq!(status.as_deref(), Some("stopped in the playground"));
    assert!(output.contains("Echo:") && !output.contains("w40"), "{output}");
}

#[tokio::test]
async fn runs_are_checked_before_anything_is_sent_and_only_members_run() {
    let s = setup(Default::default()).await;
    let mut body = chat("fake-openai", "gpt-4o", "Hi {{who}}");
    let refused = start(&s, &body, Some(&s.cookie)).await;
    assert_eq!(refused.status(), 400);
    let error: Value = serde_json::from_str(&refused.text().await.unwrap()).unwrap();
    assert!(error.to_string().contains("variables.who"), "{error}");
    body["variables"] = json!({"who": "you"});
    body["tools"] = json!("[{\"name\": \"x\", \"parameters\": {\"type\": \"strin\"}}]");
    let refused = start(&s, &body, Some(&s.cookie)).await.text().await.unwrap();
    assert!(refused.to_string().contains("tools"), "{refused}");
    assert!(s.fake.all().is_empty(), "nothing reached the provider");

    assert_eq!(start(&s, &chat("fake-openai", "gpt-4o", "hi"), None).await.status(), 401);
    let viewer = Browser::member_of_proj_a(&s.api, "vic@example.com", PASSWORD, "VIEWER").await.cookie.clone().unwrap();
    assert_eq!(start(&s, &chat("fake-openai", "gpt-4o", "hi"), Some(&viewer)).await.status(), 403);
    let outsider = Browser::sign_up(&s.api, "out@example.com", PASSWORD).await.cookie.clone().unwrap();
    assert_eq!(start(&s, &chat("fake-openai", "gpt-4o", "hi"), Some(&outsider)).await.status(), 404);
}

#[tokio::test]
async fn test_connection_makes_one_tiny_call_and_names_what_failed() {
    let s = setup(Default::default()).await;
    let bad = json!({"provider": "wrong-key", "adapter": "openai", "secretKey": "bad-key", "baseURL": s.fake_url});
    assert_eq!(s.api.call("PUT", "/api/public/llm-connections", Some(bad)).await.status, 201);
    let none = json!({"provider": "no-models", "adapter": "anthropic", "secretKey": "k", "baseURL": s.fake_url, "withDefaultModels": false});
    assert_eq!(s.api.call("PUT", "/api/public/llm-connections", Some(none)).await.status, 201);
    let mut admin = Browser::member_of_proj_a(&s.api, "adi@example.com", PASSWORD, "ADMIN").await;

    let ok = admin.ok("test_llm_connection", &[("project_id", "proj-a"), ("provider", "fake-anthropic")]).await;
    assert_eq!(ok, json!({"model": "claude-sonnet-4-5", "problem": null}));
    let sent = s.fake.all().last().unwrap().clone();
    assert_eq!(sent["path"], "/messages");
    assert_eq!(sent["body"]["max_tokens"], 5, "a tiny call");
    let refused = admin.ok("test_llm_connection", &[("project_id", "proj-a"), ("provider", "wrong-key")]).await;
    assert_eq!(refused["problem"]["kind"], "badKey", "{refused}");
    assert!(refused["problem"]["message"].as_str().unwrap().contains("Incorrect API key"));
    let nothing = admin.ok("test_llm_connection", &[("project_id", "proj-a"), ("provider", "no-models")]).await;
    assert_eq!(nothing, json!({"model": null, "problem": null}));
    // Admins only: a Member may run prompts but not test (or see) the project's keys.
    let mut member = Browser::member_of_proj_a(&s.api, "mo@example.com", PASSWORD, "MEMBER").await;
    assert_eq!(member.call("test_llm_connection", &[("project_id", "proj-a"), ("provider", "fake-openai")]).await.status, 403);
}

#[tokio::test]
async fn a_playground_saved_by_name_is_shared_with_the_project() {
    let s = setup(Default::default()).await;
    let mut ana = Browser::member_of_proj_a(&s.api, "ana2@example.com", PASSWORD, "MEMBER").await;
    let mut playground: Value = serde_json::to_value(loupe_app::domain::playground::Playground::default()).unwrap();
    playground["messages"][1]["content"] = json!("Hello {{who}}");
    playground["variables"] = json!({"who": "team"});
    let saved = ana.call_json("save_playground", &json!({"project_id": "proj-a", "name": " Greeting ", "playground": playground})).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let saved = saved.json();
    assert_eq!(saved["name"], "Greeting");
    let id = saved["id"].as_str().unwrap().to_string();
    // Saving under the same name replaces it.
    playground["variables"] = json!({"who": "everyone"});
    let again = ana.call_json("save_playground", &json!({"project_id": "proj-a", "name": "Greeting", "playground": playground})).await.json();
    assert_eq!(again["id"], id.as_str());
    assert!(ana.call_json("save_playground", &json!({"project_id": "proj-a", "name": "  ", "playground": playground})).await.text().contains("name"));

    // A colleague sees it and opens it; another project does not.
    let mut bo = Browser::member_of_proj_a(&s.api, "bo@example.com", PASSWORD, "MEMBER").await;
    let start = bo.ok("open_playground", &[("project_id", "proj-a"), ("saved", &id)]).await;
    assert_eq!(start["saved"].as_array().unwrap().len(), 1);
    assert_eq!(start["opened_saved"]["name"], "Greeting");
    assert_eq!(start["opened"]["variables"]["who"], "everyone");
    assert_eq!(start["opened"]["messages"][1]["content"], "Hello {{who}}");
    let other = s.api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) SELECT 'org-of-proj-b', id, 'OWNER' FROM accounts WHERE email = 'bo@example.com'")
        .execute(&other.pool)
        .await
        .unwrap();
    assert_eq!(bo.call("open_playground", &[("project_id", "proj-b"), ("saved", &id)]).await.status, 404);
    assert_eq!(bo.call("delete_saved_playground", &[("project_id", "proj-b"), ("id", &id)]).await.status, 404);
    // Deleting is audited; then it is gone.
    bo.ok("delete_saved_playground", &[("project_id", "proj-a"), ("id", &id)]).await;
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE resource_type = 'saved_playground' ORDER BY created_at")
        .fetch_all(&s.api.pool)
        .await
        .unwrap();
    assert_eq!(actions, ["saved_playground.create", "saved_playground.update", "saved_playground.delete"]);
    assert_eq!(bo.call("open_playground", &[("project_id", "proj-a"), ("saved", &id)]).await.status, 404);
}
