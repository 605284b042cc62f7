//! Users as clients see them: the stored user with their live presence.

use super::failure::{failure_from, Failure};
use crate::domain::ids::{AccountId, UserId};
use crate::presence::{Presence, PresenceStore};
use crate::store;
use crate::wire::{Code, ErrorCode, UserView};
use sqlx::PgPool;
use std::sync::Arc;

/// Why a user could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user not found")]
    NotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(UserError);

impl ErrorCode for UserError {
    fn code(&self) -> Code {
        match self {
            UserError::NotFound => Code::NotFound,
            UserError::Failure(f) => f.code(),
        }
    }
}

/// Reads users with their presence.
#[derive(Clone)]
pub struct Users {
    pool: PgPool,
    presence: Arc<dyn PresenceStore>,
}

impl Users {
    pub fn new(pool: PgPool, presence: Arc<dyn PresenceStore>) -> Users {
        Users { pool, presence }
    }

    /// The presence of these users, in order (offline when the store cannot say).
    pub async fn presence_of(&self, account_id: AccountId, ids: &[UserId]) -> Vec<Presence> {
        match self.presence.presence_of(account_id, ids).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "presence lookup failed");
                vec![Presence::Offline; ids.len()]
            }
        }
    }

    /// One user as the API shows them, with live presence.
    pub async fn view(
        &self,
        account_id: AccountId,
        user_id: UserId,
    ) -> Result<UserView, UserError> {
        let user = store::users::get(&self.pool, account_id, user_id)
            .await?
            .ok_or(UserError::NotFound)?;
        let presence = self.presence_of(account_id, &[user_id]).await;
        let presence = presence.first().copied().unwrap_or(Presence::Offline);
        Ok(UserView::new(user, presence))
    }

    /// Every user of the account, by name, with live presence.
    pub async fn list(&self, account_id: AccountId) -> Result<Vec<UserView>, Failure> {
        let users = store::users::list(&self.pool, account_id).await?;
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let presence = self.presence_of(account_id, &ids).await;
        Ok(users
            .into_iter()
            .zip(presence)
            .map(|(u, p)| UserView::new(u, p))
            .collect())
    }
}
