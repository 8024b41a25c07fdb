//! The Scores page (#20) on a real Postgres: distributions counted in SQL, averages in time
//! buckets, scores of two sides paired per object (latest per side, never across projects), and
//! agreement computed end to end through the server functions against hand-computed values.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::score_stats::{self, AgreementKind, CategoryCount, Distribution};
use loupe_app::domain::{ScoreDataType, ScoreSource};
use loupe_core::scope::ProjectId;
use loupe_core::store::query::Page;
use loupe_core::store::score_analytics::{self, ScoreQuery, ScoreSide};
use serde_json::Value;
use sqlx::PgPool;

const PASSWORD: &str = "correct horse battery staple";

/// One score as the test writes it: what it is on, its value, who wrote it and when.
#[derive(Clone)]
struct S {
    name: &'static str,
    data_type: &'static str,
    value: Option<f64>,
    label: Option<&'static str>,
    trace: Option<&'static str>,
    observation: Option<&'static str>,
    session: Option<&'static str>,
    author: Option<&'static str>,
    source: &'static str,
    queue: Option<&'static str>,
    at: DateTime<Utc>,
}

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, day, hour, minute, 0).unwrap()
}

fn numeric(name: &'static str, trace: &'static str, value: f64, when: DateTime<Utc>) -> S {
    S { name, data_type: "NUMERIC", value: Some(value), label: None, trace: Some(trace), observation: None, session: None, author: None, source: "API", queue: None, at: when }
}

fn label(name: &'static str, trace: &'static str, label: &'static str, when: DateTime<Utc>) -> S {
    S { data_type: "CATEGORICAL", value: Some(0.0), label: Some(label), ..numeric(name, trace, 0.0, when) }
}

fn by(mut score: S, author: &'static str) -> S {
    score.author = Some(author);
    score.source = "ANNOTATION";
    score
}

async fn insert(pool: &PgPool, project: &str, scores: &[S]) {
    for s in scores {
        sqlx::query(
            "INSERT INTO scores (project_id, id, timestamp, name, value, string_value, data_type, source, trace_id, observation_id,
                                 session_id, author_user_id, queue_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(project)
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(s.at)
        .bind(s.name)
        .bind(s.value)
        .bind(s.label)
        .bind(s.data_type)
        .bind(s.source)
        .bind(s.trace)
        .bind(s.observation)
        .bind(s.session)
        .bind(s.author)
        .bind(s.queue)
        .execute(pool)
        .await
        .unwrap();
    }
}

async fn trace(pool: &PgPool, project: &str, id: &str, name: &str) {
    sqlx::query("INSERT INTO traces (project_id, id, timestamp, name) VALUES ($1, $2, now(), $3)").bind(project).bind(id).bind(name).execute(pool).await.unwrap();
}

fn query(name: &str, data_type: ScoreDataType) -> ScoreQuery {
    ScoreQuery { name: Some(name.to_string()), data_type: Some(data_type), ..Default::default() }
}

fn counts(distribution: &Distribution) -> Vec<(String, u64)> {
    match distribution {
        Distribution::Categories { counts } => counts.iter().map(|CategoryCount { label, count }| (label.clone(), *count)).collect(),
        Distribution::Numeric { bins, .. } => bins.iter().map(|b| (format!("{}..{}", b.start, b.end), b.count)).collect(),
    }
}

#[tokio::test]
async fn distributions_are_counted_per_bin_and_per_label() {
    let api = TestApi::new().await;
    let (pool, project) = (&api.pool, &api.project);
    let values = [0.1, 0.15, 0.25, 0.3, 0.39, 0.9];
    let mut scores: Vec<S> = values.iter().enumerate().map(|(i, v)| numeric("quality", ["t1", "t2", "t3", "t4", "t5", "t6"][i], *v, at(1, 1, 0))).collect();
    for (i, tone) in ["friendly", "friendly", "rude", "neutral", "friendly", "neutral"].into_iter().enumerate() {
        scores.push(label("tone", ["t1", "t2", "t3", "t4", "t5", "t6"][i], tone, at(1, 1, 0)));
    }
    for (trace, value) in [("t1", "True"), ("t2", "True"), ("t3", "False")] {
        scores.push(S { data_type: "BOOLEAN", value: Some(if value == "True" { 1.0 } else { 0.0 }), ..label("helpful", trace, value, at(1, 1, 0)) });
    }
    // Same name in another project: never counted here.
    insert(pool, &api.project_id, &scores).await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    insert(pool, "proj-b", &[numeric("quality", "t1", 0.95, at(1, 1, 0)), label("tone", "t1", "rude", at(1, 1, 0))]).await;

    // 0.1 .15 → [.1,.2); .25 → [.2,.3); .3 .39 → [.3,.4); .9 → [.9,1.0): by hand, and the same
    // as the pure histogram of the values (SQL's width_bucket follows `bin_index`).
    let numeric_dist = score_analytics::distribution(pool, project, &query("quality", ScoreDataType::Numeric), 10).await.unwrap();
    let Distribution::Numeric { ref bins, count, mean, min, max } = numeric_dist else { panic!("{numeric_dist:?}") };
    assert_eq!(bins.iter().map(|b| b.count).collect::<Vec<_>>(), vec![2, 1, 2, 0, 0, 0, 0, 0, 1]);
    assert_eq!(bins, &score_stats::histogram(&values, 10));
    assert_eq!((count, min, max), (6, Some(0.1), Some(0.9)));
    // (0.1 + 0.15 + 0.25 + 0.3 + 0.39 + 0.9) / 6 = 2.09 / 6.
    assert!((mean.unwrap() - 2.09 / 6.0).abs() < 1e-12);

    let tone = score_analytics::distribution(pool, project, &query("tone", ScoreDataType::Categorical), 10).await.unwrap();
    assert_eq!(counts(&tone), vec![("friendly".into(), 3), ("neutral".into(), 2), ("rude".into(), 1)]);
    let helpful = score_analytics::distribution(pool, project, &query("helpful", ScoreDataType::Boolean), 10).await.unwrap();
    assert_eq!(counts(&helpful), vec![("True".into(), 2), ("False".into(), 1)]);
    let theirs = score_analytics::distribution(pool, &other.project, &query("tone", ScoreDataType::Categorical), 10).await.unwrap();
    assert_eq!(counts(&theirs), vec![("rude".into(), 1)]);

    // Filters narrow the distribution like the list: values ≥ 0.3 leave .3 .39 .9.
    let narrowed = ScoreQuery { value_min: Some(0.3), ..query("quality", ScoreDataType::Numeric) };
    let Distribution::Numeric { count, .. } = score_analytics::distribution(pool, project, &narrowed, 10).await.unwrap() else { panic!() };
    assert_eq!(count, 3);
    let names = score_analytics::names(pool, project).await.unwrap();
    let names: Vec<(String, ScoreDataType, u64)> = names.into_iter().map(|n| (n.name, n.data_type, n.count)).collect();
    assert_eq!(
        names,
        vec![("helpful".into(), ScoreDataType::Boolean, 3), ("quality".into(), ScoreDataType::Numeric, 6), ("tone".into(), ScoreDataType::Categorical, 6)]
    );
    assert_eq!(score_analytics::data_type_of(pool, project, "tone").await.unwrap(), Some(ScoreDataType::Categorical));
    assert_eq!(score_analytics::data_type_of(pool, project, "missing").await.unwrap(), None);
}

#[tokio::test]
async fn averages_fall_into_buckets_chosen_from_the_range() {
    let api = TestApi::new().await;
    let (pool, project) = (&api.pool, &api.project);
    insert(
        pool,
        &api.project_id,
        &[
            numeric("latency-ok", "t1", 1.0, at(1, 0, 10)),
            numeric("latency-ok", "t2", 3.0, at(1, 0, 50)),
            numeric("latency-ok", "t3", 4.0, at(1, 5, 30)),
            numeric("latency-ok", "t4", 10.0, at(1, 23, 59)),
            // `to` is exclusive: the next midnight is not in the day.
            numeric("latency-ok", "t5", 100.0, at(2, 0, 0)),
        ],
    )
    .await;
    // A day: 86,400 s / 3,600 = 24 buckets (15 min would be 96, more than 60).
    let day = ScoreQuery { from: Some(at(1, 0, 0)), to: Some(at(2, 0, 0)), ..query("latency-ok", ScoreDataType::Numeric) };
    let series = score_analytics::over_time(pool, project, &day, Utc::now()).await.unwrap();
    assert_eq!(series.bucket_seconds, 3_600);
    let buckets: Vec<(DateTime<Utc>, u64, Option<f64>)> = series.buckets.iter().map(|b| (b.start, b.count, b.average)).collect();
    // 00:00 → 1 and 3 (average 2); 05:00 → 4; 23:00 → 10.
    assert_eq!(buckets, vec![(at(1, 0, 0), 2, Some(2.0)), (at(1, 5, 0), 1, Some(4.0)), (at(1, 23, 0), 1, Some(10.0))]);

    // Without a range, the scores' own first and last: 00:10 on the 1st to 00:00:01 on the 2nd,
    // just under 24 h, so hourly again — and the fifth score is in.
    let all = score_analytics::over_time(pool, project, &query("latency-ok", ScoreDataType::Numeric), Utc::now()).await.unwrap();
    assert_eq!((all.from, all.bucket_seconds), (at(1, 0, 10), 3_600));
    assert_eq!(all.buckets.iter().map(|b| b.count).sum::<u64>(), 5);
    assert_eq!(all.buckets.last().map(|b| (b.start, b.average)), Some((at(2, 0, 0), Some(100.0))));
    let empty = score_analytics::over_time(pool, project, &query("nothing", ScoreDataType::Numeric), Utc::now()).await.unwrap();
    assert!(empty.buckets.is_empty());
}

/// Alice and Bob label "correct" on six objects (a trace, an observation of it, a session and
/// three more traces), each having changed their mind once; Alice also scored an object Bob did
/// not, and in another project Bob scored Alice's lone trace's id.
async fn two_reviewers(api: &TestApi) {
    let scores = vec![
        by(label("correct", "t1", "yes", at(1, 9, 0)), "alice"),
        by(label("correct", "t1", "no", at(1, 10, 0)), "alice"), // changed her mind: latest is "no"
        by(label("correct", "t1", "no", at(1, 9, 30)), "bob"),
        by(S { observation: Some("o1"), ..label("correct", "t1", "yes", at(1, 9, 0)) }, "alice"),
        by(S { observation: Some("o1"), ..label("correct", "t1", "yes", at(1, 9, 0)) }, "bob"),
        by(S { trace: None, session: Some("s1"), ..label("correct", "x", "yes", at(1, 9, 0)) }, "alice"),
        by(S { trace: None, session: Some("s1"), ..label("correct", "x", "no", at(1, 9, 0)) }, "bob"),
        by(label("correct", "t4", "yes", at(1, 9, 0)), "alice"),
        by(label("correct", "t4", "yes", at(1, 9, 0)), "bob"),
        by(label("correct", "t5", "no", at(1, 9, 0)), "alice"),
        by(label("correct", "t5", "no", at(1, 10, 0)), "bob"),
        by(label("correct", "t5", "yes", at(1, 11, 0)), "bob"), // Bob's latest on t5 is "yes"
        by(label("correct", "t6", "no", at(1, 9, 0)), "alice"),
        by(label("correct", "t6", "no", at(1, 9, 0)), "bob"),
        by(label("correct", "t7", "yes", at(1, 9, 0)), "alice"), // only Alice
    ];
    insert(&api.pool, &api.project_id, &scores).await;
}

fn side(name: &str, author: Option<&str>) -> ScoreSide {
    ScoreSide { name: name.to_string(), author_user_id: author.map(str::to_string), queue_id: None, source: None }
}

#[tokio::test]
async fn paired_values_take_each_sides_latest_score_per_object_within_the_project() {
    let api = TestApi::new().await;
    two_reviewers(&api).await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    insert(&api.pool, "proj-b", &[by(label("correct", "t7", "no", at(1, 9, 0)), "bob")]).await;

    let paired = score_analytics::paired_values(&api.pool, &api.project, &side("correct", Some("alice")), &side("correct", Some("bob")), 100).await.unwrap();
    let mut objects: Vec<(Option<String>, Option<String>, Option<String>, String, String)> = paired
        .pairs
        .iter()
        .map(|p| (p.trace_id.clone(), p.observation_id.clone(), p.session_id.clone(), p.a.label.clone().unwrap(), p.b.label.clone().unwrap()))
        .collect();
    objects.sort();
    let o = |s: &str| Some(s.to_string());
    assert_eq!(
        objects,
        vec![
            (None, None, o("s1"), "yes".into(), "no".into()),
            (o("t1"), None, None, "no".into(), "no".into()),
            (o("t1"), o("o1"), None, "yes".into(), "yes".into()),
            (o("t4"), None, None, "yes".into(), "yes".into()),
            (o("t5"), None, None, "no".into(), "yes".into()),
            (o("t6"), None, None, "no".into(), "no".into()),
        ],
        "t7 is Alice's alone here (Bob's t7 is another project's); t1 and its observation are two objects"
    );
    assert_eq!(paired.pairs[0].trace_id.as_deref(), Some("t5"), "most recently scored first (Bob at 11:00)");
    // Alice yes on o1 s1 t4, no on t1 t5 t6; Bob yes on o1 t4 t5, no on t1 s1 t6.
    // Agree on t1 o1 t4 t6: p_o = 4/6; p_e = .5·.5 + .5·.5 = .5; κ = (2/3 − 1/2) / (1/2) = 1/3.
    let agreement = paired.agreement(AgreementKind::Categorical);
    assert_eq!(agreement.shared, 6);
    assert!((agreement.kappa.unwrap() - 1.0 / 3.0).abs() < 1e-12, "{agreement:?}");
    assert!((agreement.percent_agreement.unwrap() - 4.0 / 6.0).abs() < 1e-12);

    // The limit keeps the most recent; the other project sees only its own lone score.
    let one = score_analytics::paired_values(&api.pool, &api.project, &side("correct", Some("alice")), &side("correct", Some("bob")), 1).await.unwrap();
    assert_eq!(one.pairs.len(), 1);
    let theirs = score_analytics::paired_values(&api.pool, &other.project, &side("correct", None), &side("correct", Some("bob")), 100).await.unwrap();
    assert_eq!(theirs.labels(), vec![("no".to_string(), "no".to_string())], "their Bob with himself on their t7 only");
    let foreign = score_analytics::paired_values(&api.pool, &other.project, &side("correct", Some("alice")), &side("correct", Some("bob")), 100).await.unwrap();
    assert!(foreign.pairs.is_empty(), "Alice has no score in proj-b");
}

#[tokio::test]
async fn sides_narrow_by_queue_and_source() {
    let api = TestApi::new().await;
    insert(
        &api.pool,
        &api.project_id,
        &[
            S { queue: Some("q1"), ..by(label("correct", "t1", "yes", at(1, 9, 0)), "alice") },
            S { queue: Some("q1"), ..by(label("correct", "t1", "no", at(1, 9, 0)), "bob") },
            // A later score by Alice outside the queue: the queue's side does not see it.
            by(label("correct", "t1", "no", at(1, 10, 0)), "alice"),
            S { queue: Some("q2"), ..by(label("correct", "t2", "yes", at(1, 9, 0)), "alice") },
            S { queue: Some("q2"), ..by(label("correct", "t2", "yes", at(1, 9, 0)), "bob") },
            numeric("quality", "t1", 0.5, at(1, 9, 0)),
            S { source: "EVAL", ..numeric("quality", "t1", 0.7, at(1, 9, 0)) },
        ],
    )
    .await;
    let in_queue = |author: &str| ScoreSide { queue_id: Some("q1".into()), ..side("correct", Some(author)) };
    let q1 = score_analytics::paired_values(&api.pool, &api.project, &in_queue("alice"), &in_queue("bob"), 100).await.unwrap();
    assert_eq!(q1.labels(), vec![("yes".to_string(), "no".to_string())]);
    let anywhere = score_analytics::paired_values(&api.pool, &api.project, &side("correct", Some("alice")), &side("correct", Some("bob")), 100).await.unwrap();
    assert_eq!(anywhere.labels().len(), 2);
    assert!(anywhere.labels().contains(&("no".to_string(), "no".to_string())), "outside the queue Alice's latest on t1 is no");
    let sources = score_analytics::paired_values(
        &api.pool,
        &api.project,
        &ScoreSide { source: Some(ScoreSource::Api), ..side("quality", None) },
        &ScoreSide { source: Some(ScoreSource::Eval), ..side("quality", None) },
        100,
    )
    .await
    .unwrap();
    assert_eq!(sources.numeric(), vec![(0.5, 0.7)]);
    assert!(sources.labels().is_empty(), "numeric scores have no label");
}

/// Adds an account to proj-a's organization (so its name resolves) with the given id.
async fn account(api: &TestApi, id: &str, name: &str) {
    sqlx::query("INSERT INTO accounts (id, email, name) VALUES ($1, $2, $3)").bind(id).bind(format!("{id}@example.com")).bind(name).execute(&api.pool).await.unwrap();
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) VALUES ('org-of-proj-a', $1, 'MEMBER')").bind(id).execute(&api.pool).await.unwrap();
}

#[tokio::test]
async fn the_server_functions_list_chart_and_compare() {
    let api = TestApi::new().await;
    two_reviewers(&api).await;
    account(&api, "alice", "Alice Liddell").await;
    // "bob" is not an account: his id is shown as it is, never resolved.
    trace(&api.pool, &api.project_id, "t4", "checkout flow").await;
    // Two numeric names on the same traces: x 1 2 3 against y 2 4 7 (and one unpaired).
    insert(
        &api.pool,
        &api.project_id,
        &[
            numeric("accuracy", "t1", 1.0, at(2, 9, 0)),
            numeric("accuracy", "t2", 2.0, at(2, 9, 0)),
            numeric("accuracy", "t3", 3.0, at(2, 9, 0)),
            numeric("accuracy", "t9", 5.0, at(2, 9, 0)),
            numeric("relevance", "t1", 2.0, at(2, 9, 0)),
            numeric("relevance", "t2", 4.0, at(2, 9, 0)),
            numeric("relevance", "t3", 7.0, at(2, 9, 0)),
        ],
    )
    .await;
    let mut browser = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;

    // Kappa between the two annotators: 1/3 on 6 shared objects (computed by hand above).
    let kappa = browser
        .ok("score_agreement", &[("project_id", "proj-a"), ("a[name]", "correct"), ("a[author]", "alice"), ("b[name]", "correct"), ("b[author]", "bob")])
        .await;
    assert_eq!((kappa["agreement"]["kind"].as_str(), kappa["agreement"]["shared"].as_u64()), (Some("categorical"), Some(6)), "{kappa}");
    assert!((kappa["agreement"]["kappa"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!(kappa["agreement"]["pearson"].is_null());

    // Pearson between two numeric names: by hand 15/√228 (score_stats' unit test); Spearman 1.
    let r = browser.ok("score_agreement", &[("project_id", "proj-a"), ("a[name]", "accuracy"), ("b[name]", "relevance")]).await;
    assert_eq!((r["agreement"]["kind"].as_str(), r["agreement"]["shared"].as_u64()), (Some("numeric"), Some(3)), "{r}");
    assert!((r["agreement"]["pearson"].as_f64().unwrap() - 15.0 / 228f64.sqrt()).abs() < 1e-12);
    assert!((r["agreement"]["spearman"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    // The same side twice is refused, naming the field.
    let same = browser.call("score_agreement", &[("project_id", "proj-a"), ("a[name]", "accuracy"), ("b[name]", "accuracy")]).await;
    assert_eq!(same.status, 400, "{}", same.text());
    assert!(same.text().contains("\"b\""), "{}", same.text());

    // The list: filters, names of authors, the trace's name.
    let list = |form: Vec<(&'static str, &'static str)>| {
        let mut full = vec![("project_id", "proj-a")];
        full.extend(form);
        full
    };
    let by_alice = browser.ok("list_scores", &list(vec![("query[author]", "alice")])).await;
    let rows = by_alice["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8, "Alice wrote 8 scores");
    assert!(rows.iter().all(|r| r["author_name"] == "Alice Liddell"), "{by_alice}");
    let by_bob = browser.ok("list_scores", &list(vec![("query[author]", "bob")])).await;
    assert!(by_bob["rows"].as_array().unwrap().iter().all(|r| r["author_name"].is_null()), "an id that is no member's account stays unnamed");
    let on_checkout = browser.ok("list_scores", &list(vec![("query[trace]", "CHECKOUT")])).await;
    let names: Vec<&str> = on_checkout["rows"].as_array().unwrap().iter().map(|r| r["trace_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["checkout flow", "checkout flow"], "t4's two scores, found by part of the trace name in any case");
    let high = browser.ok("list_scores", &list(vec![("query[name]", "accuracy"), ("query[min]", "2"), ("query[max]", "3")])).await;
    let values: Vec<f64> = high["rows"].as_array().unwrap().iter().map(|r| r["score"]["value"].as_f64().unwrap()).collect();
    assert_eq!(values.len(), 2);
    assert!(values.contains(&2.0) && values.contains(&3.0));
    let annotations = browser.ok("list_scores", &list(vec![("query[source]", "ANNOTATION")])).await;
    assert_eq!(annotations["rows"].as_array().unwrap().len(), 15);
    let wrong = browser.call("list_scores", &list(vec![("query[min]", "lots")])).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("lots"), "{}", wrong.text());

    // Choices and analytics.
    let choices = browser.ok("list_score_names", &[("project_id", "proj-a")]).await;
    let names: Vec<&str> = choices["names"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["accuracy", "correct", "relevance"]);
    let authors: Vec<(String, Value)> = choices["authors"].as_array().unwrap().iter().map(|a| (a["id"].as_str().unwrap().to_string(), a["name"].clone())).collect();
    assert_eq!(authors, vec![("alice".to_string(), Value::from("Alice Liddell")), ("bob".to_string(), Value::Null)], "named first");
    let analytics = browser.ok("score_analytics", &[("project_id", "proj-a"), ("query[name]", "correct")]).await;
    // Latest or not, every score counts in the distribution: yes 7 (alice 5, bob 3 − … by row):
    // alice yes on t1(old) o1 s1 t4 t7 = 5, bob yes on o1 t4 t5 = 3 → 8; no: alice t1 t5 t6 = 3,
    // bob t1 s1 t5(old) t6 = 4 → 7.
    assert_eq!(analytics["data_type"], "CATEGORICAL");
    let counts: Vec<(String, u64)> = analytics["distribution"]["categories"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["label"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, vec![("yes".to_string(), 8), ("no".to_string(), 7)]);
    assert_eq!(analytics["over_time"]["bucketSeconds"], 300, "09:00 to 11:00:01: 121 minutes, so by 5 minutes");
    let no_name = browser.call("score_analytics", &[("project_id", "proj-a")]).await;
    assert_eq!(no_name.status, 400);
}

#[tokio::test]
async fn the_store_lists_newest_first_with_trace_names() {
    let api = TestApi::new().await;
    trace(&api.pool, &api.project_id, "t1", "support chat").await;
    insert(&api.pool, &api.project_id, &[numeric("q", "t1", 1.0, at(1, 9, 0)), numeric("q", "t2", 2.0, at(1, 10, 0))]).await;
    insert(&api.pool, &api.project_id, &[S { data_type: "CORRECTION", label: Some("fixed"), value: None, ..numeric("q", "t1", 0.0, at(1, 11, 0)) }]).await;
    let listed = score_analytics::list(&api.pool, &api.project, &ScoreQuery::default(), Page { limit: 10, offset: 0 }).await.unwrap();
    let seen: Vec<(Option<String>, Option<String>)> = listed.iter().map(|l| (l.score.trace_id.clone(), l.trace_name.clone())).collect();
    assert_eq!(seen, vec![(Some("t2".into()), None), (Some("t1".into()), Some("support chat".into()))], "newest first, corrections left out");
    let other: ProjectId = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await.project;
    assert!(score_analytics::list(&api.pool, &other, &ScoreQuery::default(), Page { limit: 10, offset: 0 }).await.unwrap().is_empty());
}
