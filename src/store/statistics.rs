//! PostgreSQL's planner statistics of this schema's tables: whether autovacuum keeps them,
//! how stale each table's are, and gathering them again.

use crate::domain::statistics::AnalyzeRule;
use sqlx::{PgConnection, PgExecutor, Row};

/// Whether the server runs autovacuum (which then analyzes tables itself), and the rule with
/// its threshold.
pub async fn autovacuum(db: impl PgExecutor<'_>) -> Result<(bool, AnalyzeRule), sqlx::Error> {
    let row = sqlx::query(
        "SELECT current_setting('autovacuum') = 'on' AS on, \
                current_setting('autovacuum_analyze_threshold')::float8 AS threshold",
    )
    .fetch_one(db)
    .await?;
    Ok((
        row.try_get("on")?,
        AnalyzeRule {
            threshold: row.try_get("threshold")?,
        },
    ))
}

/// The advisory lock that lets one node at a time analyze (any constant of our own).
const ANALYZING: i64 = 0x5357_5354_4154; // "SWSTAT"

/// Analyzes, in one transaction, the tables of the current schema that `rule` finds due,
/// unless another node is doing so, from a small sample; answers the tables analyzed.
pub async fn analyze_due(
    conn: &mut PgConnection,
    rule: AnalyzeRule,
) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(ANALYZING)
        .fetch_one(&mut *tx)
        .await?;
    if !ours {
        return Ok(Vec::new());
    }
    // A tenth of PostgreSQL's default sample (3,000 rows a table): row counts and the common
    // values the planner needs for lookups by key, without the default's burst of CPU when
    // several large tables come due at once under load (150 ms for the events table alone).
    sqlx::query("SET LOCAL default_statistics_target = 10")
        .execute(&mut *tx)
        .await?;
    let tables = sqlx::query(
        "SELECT format('%I', s.relname) AS name, c.reltuples::float8 AS rows, s.n_live_tup AS live \
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
         WHERE s.schemaname = current_schema() ORDER BY s.relname",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut analyzed = Vec::new();
    for table in tables {
        let name: String = table.try_get("name")?;
        if rule.is_due(table.try_get("rows")?, table.try_get("live")?) {
            // The name comes quoted from `format('%I')` and only from the catalog.
            sqlx::query(&format!("ANALYZE {name}"))
                .execute(&mut *tx)
                .await?;
            analyzed.push(name);
        }
    }
    tx.commit().await?;
    Ok(analyzed)
}
