//! What a session needs from the rest of the server, as one small trait: the application
//! layer implements it, so the WebSocket actor never reaches up into it (the way the actix
//! chat example's sessions hold only a `Recipient` of the server).

use super::frames::{FrameError, Snapshot};
use super::hub::Arrival;
use crate::domain::ids::TicketId;
use crate::presence::SessionKey;
use crate::wire::UserView;
use futures_util::future::BoxFuture;

/// The operations a live connection performs.
pub trait Desk: Send + Sync + 'static {
    /// The user's whole inbox and work state, read from the database.
    fn snapshot(&self, key: SessionKey) -> BoxFuture<'_, Result<Snapshot, FrameError>>;
    /// The agent looks at a ticket (the `open` frame).
    fn open(&self, key: SessionKey, ticket_id: TicketId) -> BoxFuture<'_, Result<(), FrameError>>;
    /// The user looks at a ticket (the `viewing` frame): answers their name as the others on
    /// it see it, or a refusal when the ticket is not one of the user's account.
    fn look(
        &self,
        key: SessionKey,
        ticket_id: TicketId,
    ) -> BoxFuture<'_, Result<String, FrameError>>;
    /// A connection opened (`arrival`: what it is to the user's others here): the user is
    /// online. Answers the user as `hello` shows them (the same view the user's other tabs and
    /// the managers were sent, if anything changed), so a reconnect reads the user once.
    fn connected(&self, key: SessionKey, arrival: Arrival) -> BoxFuture<'_, Option<UserView>>;
    /// A live connection is still there.
    fn heartbeat(&self, key: SessionKey) -> BoxFuture<'_, ()>;
    /// A connection closed; `last_on_this_node` when the user has no other one here.
    fn disconnected(&self, key: SessionKey, last_on_this_node: bool) -> BoxFuture<'_, ()>;
}
