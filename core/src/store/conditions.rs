//! Typed conditions over a list's columns, and their SQL. The public API's JSON `filter`
//! parameter (Langfuse's filter objects) is parsed into these at the edge
//! (`server/src/http/public_api/filter.rs`); here each becomes one `AND …` clause with bound
//! values, over the same columns and indexes the list's other filters use.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

/// What a column holds, which decides the filter types and operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    DateTime,
    Number,
    Bool,
    /// A text array (tags).
    Tags,
    /// A JSON object filtered by key (metadata).
    Object,
}

/// A filterable column: its Langfuse id and display name (both accepted), and its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: ColumnKind,
    /// The SQL expression, or for columns kept elsewhere a `{}` template of an `EXISTS` or
    /// scalar subquery: see [`Column::sql`].
    pub sql: &'static str,
}

impl Column {
    pub fn matches(&self, given: &str) -> bool {
        self.id.eq_ignore_ascii_case(given) || self.name.eq_ignore_ascii_case(given)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    AnyOf,
    NoneOf,
    AllOf,
    IsNull,
    IsNotNull,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    DateTime(DateTime<Utc>),
    Text(String),
    Texts(Vec<String>),
    Number(f64),
    Bool(bool),
    None,
}

/// One checked condition: the column exists, the operator fits its kind, the operand its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub column: Column,
    /// The metadata key of an object filter.
    pub key: Option<String>,
    pub op: Op,
    pub operand: Operand,
}

fn like_pattern(text: &str, prefix: bool, suffix: bool) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("{}{escaped}{}", if prefix { "%" } else { "" }, if suffix { "%" } else { "" })
}

/// Appends ` AND (<condition>)` for each condition.
pub fn push(qb: &mut QueryBuilder<'_, Postgres>, conditions: &[Condition]) {
    for condition in conditions {
        qb.push(" AND (");
        push_one(qb, condition);
        qb.push(")");
    }
}

fn comparison(op: Op) -> &'static str {
    match op {
        Op::Eq => " = ",
        Op::Ne => " <> ",
        Op::Gt => " > ",
        Op::Lt => " < ",
        Op::Ge => " >= ",
        _ => " <= ",
    }
}

fn push_one(qb: &mut QueryBuilder<'_, Postgres>, c: &Condition) {
    // The value expression: a metadata key's text (or number) for object filters.
    let expression = match (&c.key, &c.operand) {
        (Some(_), Operand::Number(_)) => "CASE WHEN jsonb_typeof(COL -> KEY) = 'number' THEN (COL ->> KEY)::float8 END",
        (Some(_), Operand::Bool(_)) => "CASE WHEN jsonb_typeof(COL -> KEY) = 'boolean' THEN (COL ->> KEY)::boolean END",
        (Some(_), _) => "(COL ->> KEY)",
        (None, _) => "COL",
    };
    let push_expression = |qb: &mut QueryBuilder<'_, Postgres>| {
        let mut parts = expression.split("KEY").peekable();
        while let Some(part) = parts.next() {
            qb.push(part.replace("COL", c.column.sql));
            if parts.peek().is_some() {
                qb.push_bind(c.key.clone().unwrap_or_default());
            }
        }
    };
    match (&c.operand, c.op) {
        (_, Op::IsNull) => {
            push_expression(qb);
            qb.push(" IS NULL");
        }
        (_, Op::IsNotNull) => {
            push_expression(qb);
            qb.push(" IS NOT NULL");
        }
        (Operand::Texts(values), op) if c.column.kind == ColumnKind::Tags => {
            // any of: overlap; all of: contains; none of: no overlap (the GIN index answers the first two).
            if op == Op::NoneOf {
                qb.push("NOT ");
            }
            qb.push(c.column.sql).push(if op == Op::AllOf { " @> " } else { " && " }).push_bind(values.clone());
        }
        (Operand::Texts(values), op) => {
            if op == Op::NoneOf {
                qb.push("coalesce(");
                push_expression(qb);
                qb.push(" <> ALL(").push_bind(values.clone()).push("), true)");
            } else {
                push_expression(qb);
                qb.push(" = ANY(").push_bind(values.clone()).push(")");
            }
        }
        (Operand::Text(text), op @ (Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith)) => {
            let pattern = match op {
                Op::StartsWith => like_pattern(text, false, true),
                Op::EndsWith => like_pattern(text, true, false),
                _ => like_pattern(text, true, true),
            };
            if op == Op::NotContains {
                qb.push("coalesce(NOT ");
                push_expression(qb);
                qb.push(" LIKE ").push_bind(pattern).push(", true)");
            } else {
                push_expression(qb);
                qb.push(" LIKE ").push_bind(pattern);
            }
        }
        (Operand::Text(text), op) => {
            push_expression(qb);
            qb.push(comparison(op)).push_bind(text.clone());
        }
        (Operand::DateTime(time), op) => {
            push_expression(qb);
            qb.push(comparison(op)).push_bind(*time);
        }
        (Operand::Number(number), op) => {
            push_expression(qb);
            qb.push(comparison(op)).push_bind(*number);
        }
        (Operand::Bool(value), op) => {
            push_expression(qb);
            qb.push(comparison(op)).push_bind(*value);
        }
        (Operand::None, _) => {
            // The parser never pairs a comparison with no operand; refuse to match anything.
            qb.push("false");
        }
    }
}

/// The trace list's filterable columns (Langfuse's trace table ids and names).
pub const TRACE_COLUMNS: &[Column] = &[
    Column { id: "id", name: "ID", kind: ColumnKind::Text, sql: "t.id" },
    Column { id: "name", name: "Name", kind: ColumnKind::Text, sql: "t.name" },
    Column { id: "timestamp", name: "Timestamp", kind: ColumnKind::DateTime, sql: "t.timestamp" },
    Column { id: "userId", name: "User ID", kind: ColumnKind::Text, sql: "t.user_id" },
    Column { id: "sessionId", name: "Session ID", kind: ColumnKind::Text, sql: "t.session_id" },
    Column { id: "release", name: "Release", kind: ColumnKind::Text, sql: "t.release" },
    Column { id: "version", name: "Version", kind: ColumnKind::Text, sql: "t.version" },
    Column { id: "environment", name: "Environment", kind: ColumnKind::Text, sql: "t.environment" },
    Column { id: "tags", name: "Tags", kind: ColumnKind::Tags, sql: "t.tags" },
    Column { id: "metadata", name: "Metadata", kind: ColumnKind::Object, sql: "t.metadata" },
    Column { id: "public", name: "Public", kind: ColumnKind::Bool, sql: "t.public" },
    Column { id: "bookmarked", name: "⭐️", kind: ColumnKind::Bool, sql: "t.bookmarked" },
    Column {
        id: "latency",
        name: "Latency (s)",
        kind: ColumnKind::Number,
        sql: "(SELECT m.latency FROM trace_metrics m WHERE m.project_id = t.project_id AND m.trace_id = t.id)",
    },
    Column {
        id: "totalCost",
        name: "Total Cost ($)",
        kind: ColumnKind::Number,
        sql: "(SELECT m.total_cost::float8 FROM trace_metrics m WHERE m.project_id = t.project_id AND m.trace_id = t.id)",
    },
];

/// The observation lists' filterable columns.
pub const OBSERVATION_COLUMNS: &[Column] = &[
    Column { id: "id", name: "ID", kind: ColumnKind::Text, sql: "o.id" },
    Column { id: "traceId", name: "Trace ID", kind: ColumnKind::Text, sql: "o.trace_id" },
    Column { id: "name", name: "Name", kind: ColumnKind::Text, sql: "o.name" },
    Column { id: "type", name: "Type", kind: ColumnKind::Text, sql: "o.type" },
    Column { id: "level", name: "Level", kind: ColumnKind::Text, sql: "o.level" },
    Column { id: "startTime", name: "Start Time", kind: ColumnKind::DateTime, sql: "o.start_time" },
    Column { id: "endTime", name: "End Time", kind: ColumnKind::DateTime, sql: "o.end_time" },
    Column { id: "model", name: "Model", kind: ColumnKind::Text, sql: "o.model" },
    Column { id: "providedModelName", name: "Provided Model Name", kind: ColumnKind::Text, sql: "o.model" },
    Column { id: "environment", name: "Environment", kind: ColumnKind::Text, sql: "o.environment" },
    Column { id: "version", name: "Version", kind: ColumnKind::Text, sql: "o.version" },
    Column { id: "parentObservationId", name: "Parent Observation ID", kind: ColumnKind::Text, sql: "o.parent_observation_id" },
    Column { id: "statusMessage", name: "Status Message", kind: ColumnKind::Text, sql: "o.status_message" },
    Column { id: "promptName", name: "Prompt Name", kind: ColumnKind::Text, sql: "o.prompt_name" },
    Column { id: "metadata", name: "Metadata", kind: ColumnKind::Object, sql: "o.metadata" },
    Column { id: "totalCost", name: "Total Cost ($)", kind: ColumnKind::Number, sql: "o.total_cost::float8" },
    Column {
        id: "latency",
        name: "Latency (s)",
        kind: ColumnKind::Number,
        sql: "extract(epoch FROM (o.end_time - o.start_time))::float8",
    },
    Column {
        id: "userId",
        name: "User ID",
        kind: ColumnKind::Text,
        sql: "(SELECT t.user_id FROM traces t WHERE t.project_id = o.project_id AND t.id = o.trace_id)",
    },
    Column {
        id: "sessionId",
        name: "Session ID",
        kind: ColumnKind::Text,
        sql: "(SELECT t.session_id FROM traces t WHERE t.project_id = o.project_id AND t.id = o.trace_id)",
    },
    Column {
        id: "traceName",
        name: "Trace Name",
        kind: ColumnKind::Text,
        sql: "(SELECT t.name FROM traces t WHERE t.project_id = o.project_id AND t.id = o.trace_id)",
    },
    Column {
        id: "tags",
        name: "Trace Tags",
        kind: ColumnKind::Tags,
        sql: "(SELECT t.tags FROM traces t WHERE t.project_id = o.project_id AND t.id = o.trace_id)",
    },
];
