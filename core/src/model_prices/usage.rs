//! Usage by pricing tier (#22): over a time range, the cost and tokens of a project's
//! generations per model definition and the tier that priced them, and the generations that
//! got no cost, per model name — so a missing price can be added.
//!
//! Two grouped scans of `observations` over `(project_id, start_time)` (the
//! `observations_time_idx` range), generation-like types only (`type NOT IN ('SPAN', 'EVENT')`,
//! `ObservationType::is_generation_like`). The stored `internal_model_id`, `usage_pricing_tier_*`
//! and `total_cost` are what ingestion (or the last recalculation) wrote, so this reads the
//! prices actually applied, not today's.

use chrono::{DateTime, Utc};
use loupe_domain::models::{TierUsage, UnpricedModel, UsageReport};
use sqlx::PgPool;

use crate::pricing::ProjectPrices;
use crate::scope::ProjectId;
use crate::store::StoreError;

/// Model names listed without a price, at most.
pub const UNPRICED_LIMIT: i64 = 100;

pub async fn report(pool: &PgPool, project_id: &ProjectId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<UsageReport, StoreError> {
    type TierRow = (Option<String>, Option<String>, Option<String>, i64, f64, i64, i64, i64);
    let priced: Vec<TierRow> = sqlx::query_as(
        "SELECT internal_model_id, usage_pricing_tier_id, usage_pricing_tier_name,
                count(*), coalesce(sum(total_cost), 0)::float8,
                coalesce(sum((usage_details ->> 'input')::bigint), 0)::bigint,
                coalesce(sum((usage_details ->> 'output')::bigint), 0)::bigint,
                coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint
         FROM observations
         WHERE project_id = $1 AND start_time >= $2 AND start_time < $3
           AND type NOT IN ('SPAN', 'EVENT') AND total_cost IS NOT NULL
         GROUP BY 1, 2, 3
         ORDER BY 5 DESC, 1, 3",
    )
    .bind(project_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    type UnpricedRow = (Option<String>, bool, i64, i64, DateTime<Utc>);
    let mut unpriced: Vec<UnpricedRow> = sqlx::query_as(
        "SELECT model, internal_model_id IS NOT NULL, count(*),
                coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint, max(start_time)
         FROM observations
         WHERE project_id = $1 AND start_time >= $2 AND start_time < $3
           AND type NOT IN ('SPAN', 'EVENT') AND total_cost IS NULL AND model IS NOT NULL
         GROUP BY 1, 2
         ORDER BY 3 DESC, 1
         LIMIT $4",
    )
    .bind(project_id)
    .bind(from)
    .bind(to)
    .bind(UNPRICED_LIMIT + 1)
    .fetch_all(pool)
    .await?;
    let unpriced_more = unpriced.len() as i64 > UNPRICED_LIMIT;
    unpriced.truncate(UNPRICED_LIMIT as usize);

    // Names of the definitions that priced them, as they are now (a deleted one has none).
    let prices = ProjectPrices::load(pool, project_id).await?;
    let tiers = priced
        .into_iter()
        .map(|(model_id, tier_id, tier_name, generations, cost, input_tokens, output_tokens, total_tokens)| {
            let model = model_id.as_deref().and_then(|id| prices.model_by_id(id));
            TierUsage {
                model_name: model.map(|m| m.model_name.clone()),
                builtin: model.is_some_and(|m| m.is_langfuse_managed()),
                model_id,
                tier_id,
                tier_name,
                generations,
                cost,
                input_tokens,
                output_tokens,
                total_tokens,
            }
        })
        .collect();
    let unpriced = unpriced
        .into_iter()
        .map(|(model, matched, generations, total_tokens, last_seen)| UnpricedModel { model, matched, generations, total_tokens, last_seen })
        .collect();
    Ok(UsageReport { from, to, tiers, unpriced, unpriced_more })
}
