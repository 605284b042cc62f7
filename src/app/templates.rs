//! Reply templates: everyone signed in reads them, managers write them. A template has one
//! body per language and only the placeholders of `domain::template::PLACEHOLDERS`. Filled-in
//! templates are rendered here only, from the ticket they answer.

use super::failure::{failure_from, Failure};
use crate::domain::card::normalize_language;
use crate::domain::ids::{AccountId, TemplateId, TicketId};
use crate::domain::template::{pick_variant, placeholders, render, Fill};
use crate::store::{self, sessions::Identity, templates::Template, templates::Variant};
use crate::wire::{Code, ErrorCode};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};

/// Why a template could not be stored or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{0}")]
    Invalid(String),
    #[error("template not found")]
    NotFound,
    #[error("template variant not found")]
    VariantNotFound,
    #[error("ticket not found")]
    TicketNotFound,
    #[error("a template with this name already exists")]
    NameTaken,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(TemplateError);

impl ErrorCode for TemplateError {
    fn code(&self) -> Code {
        match self {
            TemplateError::Invalid(_) => Code::InvalidInput,
            TemplateError::NotFound
            | TemplateError::VariantNotFound
            | TemplateError::TicketNotFound => Code::NotFound,
            TemplateError::NameTaken => Code::Conflict,
            TemplateError::Failure(f) => f.code(),
        }
    }
}

/// `POST`/`PATCH /templates` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub name: Option<String>,
    pub variants: Option<Vec<Variant>>,
}

/// `POST /templates/{id}/preview` body: a ticket to fill it from (the guest's language and
/// the ticket's values), or a language and explicit values (the template editor).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    pub ticket_id: Option<TicketId>,
    pub language: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// A template rendered for a language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rendered {
    pub language: String,
    pub body: String,
}

fn check_name(raw: &str) -> Result<String, TemplateError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(TemplateError::Invalid(
            "the template name must have 1 to 200 characters".into(),
        ));
    }
    Ok(name.to_string())
}

/// Normalises languages and checks bodies and placeholders; at least one variant, one per language.
fn check_variants(raw: &[Variant]) -> Result<Vec<Variant>, TemplateError> {
    if raw.is_empty() {
        return Err(TemplateError::Invalid(
            "a template needs at least one language variant".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    raw.iter()
        .map(|v| {
            let language = normalize_language(&v.language).map_err(TemplateError::Invalid)?;
            if !seen.insert(language.clone()) {
                return Err(TemplateError::Invalid(format!(
                    "two variants for language `{language}`"
                )));
            }
            if v.body.trim().is_empty() || v.body.chars().count() > 10_000 {
                return Err(TemplateError::Invalid(
                    "a template body must have 1 to 10000 characters".into(),
                ));
            }
            placeholders(&v.body).map_err(TemplateError::Invalid)?;
            Ok(Variant {
                language,
                body: v.body.clone(),
            })
        })
        .collect()
}

fn name_taken(e: sqlx::Error) -> TemplateError {
    if store::is_unique_violation(&e) {
        TemplateError::NameTaken
    } else {
        e.into()
    }
}

/// Reads, writes and renders templates.
#[derive(Clone)]
pub struct Templates {
    pool: PgPool,
}

impl Templates {
    pub fn new(pool: PgPool) -> Templates {
        Templates { pool }
    }

    /// Every template of the account, by name.
    pub async fn list(&self, account_id: AccountId) -> Result<Vec<Template>, TemplateError> {
        Ok(store::templates::list(&self.pool, account_id, None).await?)
    }

    /// One template.
    pub async fn get(
        &self,
        account_id: AccountId,
        id: TemplateId,
    ) -> Result<Template, TemplateError> {
        store::templates::list(&self.pool, account_id, Some(id))
            .await?
            .pop()
            .ok_or(TemplateError::NotFound)
    }

    /// Creates a template; `name` and `variants` are required.
    #[tracing::instrument(skip(self, body))]
    pub async fn create(
        &self,
        account_id: AccountId,
        body: &TemplateBody,
    ) -> Result<Template, TemplateError> {
        let required = |what: &str| TemplateError::Invalid(format!("`{what}` is required"));
        let name = check_name(body.name.as_deref().ok_or_else(|| required("name"))?)?;
        let variants = check_variants(
            body.variants
                .as_deref()
                .ok_or_else(|| required("variants"))?,
        )?;
        let mut tx = self.pool.begin().await?;
        let id = store::templates::insert(&mut tx, account_id, &name, &variants)
            .await
            .map_err(name_taken)?;
        tx.commit().await?;
        self.get(account_id, id).await
    }

    /// Renames a template or replaces its variants.
    #[tracing::instrument(skip(self, body))]
    pub async fn update(
        &self,
        account_id: AccountId,
        id: TemplateId,
        body: &TemplateBody,
    ) -> Result<Template, TemplateError> {
        let name = body.name.as_deref().map(check_name).transpose()?;
        let variants = body.variants.as_deref().map(check_variants).transpose()?;
        let mut tx = self.pool.begin().await?;
        let found = store::templates::update(
            &mut tx,
            account_id,
            id,
            name.as_deref(),
            variants.as_deref(),
        )
        .await
        .map_err(name_taken)?;
        if !found {
            return Err(TemplateError::NotFound);
        }
        tx.commit().await?;
        self.get(account_id, id).await
    }

    /// Deletes a template.
    pub async fn delete(&self, account_id: AccountId, id: TemplateId) -> Result<(), TemplateError> {
        match store::templates::delete(&self.pool, account_id, id).await? {
            true => Ok(()),
            false => Err(TemplateError::NotFound),
        }
    }

    /// The variant for the ticket's guest (or the given language) with its placeholders
    /// filled from the ticket and the caller (or from the given values).
    #[tracing::instrument(skip(self, who, req), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn render(
        &self,
        who: &Identity,
        id: TemplateId,
        req: &PreviewBody,
    ) -> Result<Rendered, TemplateError> {
        let template = self.get(who.account_id, id).await?;
        let (ticket, agent) = match req.ticket_id {
            Some(ticket_id) => {
                let ticket = store::tickets::record(&self.pool, who.account_id, ticket_id)
                    .await?
                    .ok_or(TemplateError::TicketNotFound)?;
                let agent = store::users::get(&self.pool, who.account_id, who.user_id).await?;
                (Some(ticket), agent)
            }
            None => (None, None),
        };
        let wanted = req
            .language
            .clone()
            .or_else(|| ticket.as_ref().and_then(|t| t.guest.language.clone()));
        let variants: Vec<(String, String)> = template
            .variants
            .into_iter()
            .map(|v| (v.language, v.body))
            .collect();
        let (language, body) =
            pick_variant(&variants, wanted.as_deref()).ok_or(TemplateError::VariantNotFound)?;
        // Filled in the variant's language: its dates read as that language writes them.
        let values = match &ticket {
            Some(ticket) => {
                let reservation = ticket.reservation.as_ref();
                Fill {
                    guest_name: &ticket.guest.name,
                    check_in: reservation.and_then(|r| r.check_in),
                    check_out: reservation.and_then(|r| r.check_out),
                    listing: reservation.and_then(|r| r.listing.as_deref()),
                    agent_name: agent.as_ref().map_or("", |a| a.name.as_str()),
                    reservation_id: reservation.map(|r| r.external_id.as_str()),
                }
                .values(language)
            }
            None => req.values.clone(),
        };
        Ok(Rendered {
            language: language.to_string(),
            body: render(body, &values),
        })
    }
}
