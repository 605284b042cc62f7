//! Reply templates and their language variants.

use crate::domain::ids::{AccountId, TemplateId};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};

/// A template as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub variants: Vec<Variant>,
}

/// One language's body.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Variant {
    pub language: String,
    pub body: String,
}

/// Every template of the account (or one), by name.
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    only: Option<TemplateId>,
) -> Result<Vec<Template>, sqlx::Error> {
    let rows: Vec<(TemplateId, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT t.id, t.name, v.language, v.body FROM templates t LEFT JOIN template_variants v ON v.template_id = t.id \
         WHERE t.account_id = $1 AND ($2::bigint IS NULL OR t.id = $2) ORDER BY lower(t.name), t.id, v.language",
    )
    .bind(account_id)
    .bind(only)
    .fetch_all(db)
    .await?;
    let mut out: Vec<Template> = Vec::new();
    for (id, name, language, body) in rows {
        if out.last().is_none_or(|t| t.id != id) {
            out.push(Template {
                id,
                name,
                variants: Vec::new(),
            });
        }
        if let (Some(language), Some(body), Some(t)) = (language, body, out.last_mut()) {
            t.variants.push(Variant { language, body });
        }
    }
    Ok(out)
}

/// Creates a template; a taken name is a unique violation.
pub async fn insert(
    conn: &mut PgConnection,
    account_id: AccountId,
    name: &str,
    variants: &[Variant],
) -> Result<TemplateId, sqlx::Error> {
    let id: TemplateId =
        sqlx::query_scalar("INSERT INTO templates (account_id, name) VALUES ($1, $2) RETURNING id")
            .bind(account_id)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
    replace_variants(conn, id, variants).await?;
    Ok(id)
}

/// Renames a template and/or replaces its variants; false when it is not the account's.
pub async fn update(
    conn: &mut PgConnection,
    account_id: AccountId,
    id: TemplateId,
    name: Option<&str>,
    variants: Option<&[Variant]>,
) -> Result<bool, sqlx::Error> {
    let found = sqlx::query("UPDATE templates SET name = COALESCE($3, name), updated_at = now() WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .bind(name)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    if found {
        if let Some(variants) = variants {
            replace_variants(conn, id, variants).await?;
        }
    }
    Ok(found)
}

async fn replace_variants(
    conn: &mut PgConnection,
    id: TemplateId,
    variants: &[Variant],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM template_variants WHERE template_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for v in variants {
        sqlx::query(
            "INSERT INTO template_variants (template_id, language, body) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(&v.language)
        .bind(&v.body)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes a template; false when it is not the account's.
pub async fn delete(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: TemplateId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM templates WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
