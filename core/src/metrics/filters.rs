//! A validated filter ([`Condition`]) as SQL over one expression, every value bound.
//!
//! Text tests other than `=` ignore case (as the traces list's search does); `none of` and
//! `does not contain` keep rows whose value is NULL (they contain nothing).

use loupe_domain::metrics_query::{ArrayOp, Comparison, Condition, TextOp, ValueKind};
use sqlx::{Postgres, QueryBuilder};

/// What a filter tests: a column expression (constant SQL from `schema`) of a known kind, or a
/// metadata key (bound) of a JSON column.
pub(crate) enum Target<'a> {
    Column { sql: &'a str, kind: ValueKind },
    Metadata { column: &'a str, key: &'a str },
}

/// How the tested value is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    Number,
    Bool,
    Null,
    Native,
}

impl Target<'_> {
    fn push(&self, qb: &mut QueryBuilder<'static, Postgres>, mode: Mode) {
        match self {
            Target::Column { sql, kind } => match (mode, kind) {
                (Mode::Text, ValueKind::Integer) => {
                    qb.push(format!("({sql})::text"));
                }
                (Mode::Number, ValueKind::Integer) => {
                    qb.push(format!("({sql})::float8"));
                }
                _ => {
                    qb.push(format!("({sql})"));
                }
            },
            Target::Metadata { column, key } => match mode {
                Mode::Number => {
                    qb.push(format!("(CASE WHEN jsonb_typeof({column} -> "))
                        .push_bind(key.to_string())
                        .push(format!(") = 'number' THEN ({column} ->> "))
                        .push_bind(key.to_string())
                        .push(")::float8 END)");
                }
                Mode::Bool => {
                    qb.push(format!("(CASE WHEN jsonb_typeof({column} -> "))
                        .push_bind(key.to_string())
                        .push(format!(") = 'boolean' THEN ({column} ->> "))
                        .push_bind(key.to_string())
                        .push(")::boolean END)");
                }
                Mode::Null => {
                    // A JSON null counts as absent.
                    qb.push(format!("nullif(jsonb_typeof({column} -> ")).push_bind(key.to_string()).push("), 'null')");
                }
                Mode::Text | Mode::Native => {
                    qb.push(format!("({column} ->> ")).push_bind(key.to_string()).push(")");
                }
            },
        }
    }
}

/// ` AND <condition>`.
pub(crate) fn push(qb: &mut QueryBuilder<'static, Postgres>, target: &Target<'_>, condition: &Condition) {
    qb.push(" AND ");
    match condition {
        Condition::Time(cmp, t) => {
            target.push(qb, Mode::Native);
            qb.push(format!(" {} ", cmp.sql())).push_bind(*t);
        }
        Condition::Text(op, s) => match op {
            TextOp::Eq => {
                target.push(qb, Mode::Text);
                qb.push(" = ").push_bind(s.clone());
            }
            TextOp::Contains => {
                qb.push("strpos(lower(");
                target.push(qb, Mode::Text);
                qb.push("), lower(").push_bind(s.clone()).push(")) > 0");
            }
            TextOp::NotContains => {
                qb.push("coalesce(strpos(lower(");
                target.push(qb, Mode::Text);
                qb.push("), lower(").push_bind(s.clone()).push(")), 0) = 0");
            }
            TextOp::StartsWith => {
                qb.push("starts_with(lower(");
                target.push(qb, Mode::Text);
                qb.push("), lower(").push_bind(s.clone()).push("))");
            }
            TextOp::EndsWith => {
                qb.push("right(lower(");
                target.push(qb, Mode::Text);
                qb.push("), char_length(").push_bind(s.clone()).push(")) = lower(").push_bind(s.clone()).push(")");
            }
        },
        Condition::Options { negate, values } => {
            if *negate {
                qb.push("NOT coalesce(");
            }
            target.push(qb, Mode::Text);
            qb.push(" = ANY(").push_bind(values.clone()).push(")");
            if *negate {
                qb.push(", false)");
            }
        }
        Condition::Array(op, values) => match op {
            ArrayOp::AnyOf => {
                target.push(qb, Mode::Native);
                qb.push(" && ").push_bind(values.clone());
            }
            ArrayOp::NoneOf => {
                qb.push("NOT coalesce(");
                target.push(qb, Mode::Native);
                qb.push(" && ").push_bind(values.clone()).push(", false)");
            }
            ArrayOp::AllOf => {
                target.push(qb, Mode::Native);
                qb.push(" @> ").push_bind(values.clone());
            }
        },
        Condition::Number(cmp, n) => {
            target.push(qb, Mode::Number);
            qb.push(format!(" {} ", cmp.sql())).push_bind(*n);
        }
        Condition::Bool { equal, value } => {
            target.push(qb, Mode::Bool);
            qb.push(if *equal { " = " } else { " <> " }).push_bind(*value);
        }
        Condition::IsNull(is_null) => {
            target.push(qb, Mode::Null);
            qb.push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
    }
}

/// The tightest `[lower, upper]` the query's range and its time-column filters allow, with
/// whether each end is inclusive.
pub(crate) fn time_bounds(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    conditions: impl Iterator<Item = (Comparison, chrono::DateTime<chrono::Utc>)>,
) -> ((chrono::DateTime<chrono::Utc>, bool), (chrono::DateTime<chrono::Utc>, bool)) {
    let (mut lower, mut upper) = ((from, true), (to, true));
    for (cmp, t) in conditions {
        match cmp {
            Comparison::Gt if t >= lower.0 => lower = (t, false),
            Comparison::Ge if t > lower.0 => lower = (t, true),
            Comparison::Lt if t <= upper.0 => upper = (t, false),
            Comparison::Le if t < upper.0 => upper = (t, true),
            _ => {}
        }
    }
    (lower, upper)
}
