//! Reply templates: everyone signed in reads them, managers write them. A template has one
//! body per language and only the placeholders of `domain::template::PLACEHOLDERS`.

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, ManagerCaller};
use crate::domain::card::normalize_language;
use crate::domain::template::{pick_variant, placeholders, render};
use crate::state::AppState;
use crate::store::{self, templates::Variant};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/templates", web::get().to(list))
        .route("/templates", web::post().to(create))
        .route("/templates/{id}", web::get().to(get))
        .route("/templates/{id}", web::patch().to(update))
        .route("/templates/{id}", web::delete().to(delete))
        .route("/templates/{id}/preview", web::post().to(preview));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    name: Option<String>,
    variants: Option<Vec<Variant>>,
}

fn check_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid(
            "the template name must have 1 to 200 characters",
        ));
    }
    Ok(name.to_string())
}

/// Normalises languages and checks bodies and placeholders; at least one variant, one per language.
fn check_variants(raw: &[Variant]) -> Result<Vec<Variant>, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::invalid(
            "a template needs at least one language variant",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    raw.iter()
        .map(|v| {
            let language = normalize_language(&v.language).map_err(ApiError::invalid)?;
            if !seen.insert(language.clone()) {
                return Err(ApiError::invalid(format!(
                    "two variants for language `{language}`"
                )));
            }
            if v.body.trim().is_empty() || v.body.chars().count() > 10_000 {
                return Err(ApiError::invalid(
                    "a template body must have 1 to 10000 characters",
                ));
            }
            placeholders(&v.body).map_err(ApiError::invalid)?;
            Ok(Variant {
                language,
                body: v.body.clone(),
            })
        })
        .collect()
}

fn conflict_on_name(e: sqlx::Error) -> ApiError {
    if store::is_unique_violation(&e) {
        ApiError::Conflict("a template with this name already exists".into())
    } else {
        e.into()
    }
}

async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let items = store::templates::list(&state.pool, caller.0.account_id, None).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let found = store::templates::list(&state.pool, caller.0.account_id, Some(*path))
        .await?
        .pop();
    Ok(HttpResponse::Ok().json(found.ok_or(ApiError::NotFound("template"))?))
}

async fn create(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    body: Body<TemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let name = check_name(
        body.name
            .as_deref()
            .ok_or_else(|| ApiError::invalid("`name` is required"))?,
    )?;
    let variants = check_variants(
        body.variants
            .as_deref()
            .ok_or_else(|| ApiError::invalid("`variants` is required"))?,
    )?;
    let mut tx = state.pool.begin().await?;
    let id = store::templates::insert(&mut tx, caller.0.account_id, &name, &variants)
        .await
        .map_err(conflict_on_name)?;
    tx.commit().await?;
    let created = store::templates::list(&state.pool, caller.0.account_id, Some(id))
        .await?
        .pop();
    Ok(HttpResponse::Created().json(created.ok_or(ApiError::NotFound("template"))?))
}

async fn update(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    path: web::Path<i64>,
    body: Body<TemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let name = body.name.as_deref().map(check_name).transpose()?;
    let variants = body.variants.as_deref().map(check_variants).transpose()?;
    let mut tx = state.pool.begin().await?;
    let found = store::templates::update(
        &mut tx,
        caller.0.account_id,
        *path,
        name.as_deref(),
        variants.as_deref(),
    )
    .await
    .map_err(conflict_on_name)?;
    if !found {
        return Err(ApiError::NotFound("template"));
    }
    tx.commit().await?;
    let updated = store::templates::list(&state.pool, caller.0.account_id, Some(*path))
        .await?
        .pop();
    Ok(HttpResponse::Ok().json(updated.ok_or(ApiError::NotFound("template"))?))
}

async fn delete(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    if store::templates::delete(&state.pool, caller.0.account_id, *path).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("template"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    language: Option<String>,
    #[serde(default)]
    values: BTreeMap<String, String>,
}

/// `POST /templates/{id}/preview`: the variant for a language with the values filled in.
async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    req: Body<PreviewBody>,
) -> Result<HttpResponse, ApiError> {
    let req = req.parsed()?;
    let template = store::templates::list(&state.pool, caller.0.account_id, Some(*path))
        .await?
        .pop()
        .ok_or(ApiError::NotFound("template"))?;
    let variants: Vec<(String, String)> = template
        .variants
        .into_iter()
        .map(|v| (v.language, v.body))
        .collect();
    let (language, body) = pick_variant(&variants, req.language.as_deref())
        .ok_or(ApiError::NotFound("template variant"))?;
    Ok(HttpResponse::Ok().json(json!({"language": language, "body": render(body, &req.values)})))
}
