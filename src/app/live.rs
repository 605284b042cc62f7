//! What live connections do, through the session actor's [`Desk`] trait: the `hello` user,
//! snapshots, the `open` frame, and presence as connections come and go.

use super::account_share::AccountShare;
use super::inbox::Inbox;
use super::tickets::{TicketActions, TicketError};
use super::work::WorkState;
use crate::domain::ids::{SessionId, TicketId};
use crate::presence::SessionKey;
use crate::session::desk::Desk;
use crate::session::frames::{FrameError, Snapshot};
use crate::session::hub::Arrival;
use crate::store::{self, sessions::Identity};
use crate::wire::{ErrorCode, UserView};
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use std::sync::Arc;

/// The application as sessions see it.
#[derive(Clone)]
pub struct Live {
    pub(super) pool: PgPool,
    pub(super) inbox: Inbox,
    pub(super) tickets: TicketActions,
    pub(super) work: WorkState,
    pub(super) share: Arc<AccountShare>,
}

fn refused(e: &(impl ErrorCode + ?Sized)) -> FrameError {
    FrameError {
        code: e.code(),
        message: e.to_string(),
    }
}

impl Live {
    /// The connection's user as they are now (their role may have changed since sign-in).
    async fn identity(&self, key: SessionKey) -> Result<Identity, TicketError> {
        let user = store::users::get(&self.pool, key.account_id, key.user_id)
            .await?
            .ok_or(TicketError::NotFound)?;
        Ok(Identity {
            session_id: SessionId(0),
            user_id: user.id,
            account_id: user.account_id,
            role: user.role,
        })
    }
}

impl Desk for Live {
    fn snapshot(&self, key: SessionKey) -> BoxFuture<'_, Result<Snapshot, FrameError>> {
        Box::pin(async move {
            let _place = self.share.enter(key.account_id).await;
            self.inbox.snapshot(key).await.map_err(|e| refused(&e))
        })
    }

    fn open(&self, key: SessionKey, ticket_id: TicketId) -> BoxFuture<'_, Result<(), FrameError>> {
        Box::pin(async move {
            let _place = self.share.enter(key.account_id).await;
            let who = self.identity(key).await.map_err(|e| refused(&e))?;
            self.tickets
                .open(&who, ticket_id)
                .await
                .map(|_| ())
                .map_err(|e| refused(&e))
        })
    }

    /// Every user of the account may read every ticket of it (the `all` view), so a ticket
    /// found in the user's account is one they may look at.
    fn look(
        &self,
        key: SessionKey,
        ticket_id: TicketId,
    ) -> BoxFuture<'_, Result<String, FrameError>> {
        Box::pin(async move {
            let _place = self.share.enter(key.account_id).await;
            let user = store::users::get(&self.pool, key.account_id, key.user_id)
                .await
                .map_err(|e| refused(&TicketError::from(e)))?
                .filter(|u| u.active)
                .ok_or_else(|| refused(&TicketError::NotFound))?;
            store::tickets::record(&self.pool, key.account_id, ticket_id)
                .await
                .map_err(|e| refused(&TicketError::from(e)))?
                .ok_or_else(|| refused(&TicketError::NotFound))?;
            Ok(user.name)
        })
    }

    /// Not behind the account's share: a connection's presence and its announcement must not
    /// queue behind a reconnect storm's snapshots (the storm's connects would then reach the
    /// dispatcher late, all at once).
    fn connected(&self, key: SessionKey, arrival: Arrival) -> BoxFuture<'_, Option<UserView>> {
        Box::pin(self.work.connected(key, arrival))
    }

    fn heartbeat(&self, key: SessionKey) -> BoxFuture<'_, ()> {
        Box::pin(self.work.heartbeat(key))
    }

    fn disconnected(&self, key: SessionKey, last_on_this_node: bool) -> BoxFuture<'_, ()> {
        Box::pin(self.work.disconnected(key, last_on_this_node))
    }
}
