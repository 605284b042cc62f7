//! How the id newtypes of `domain::ids` travel to and from PostgreSQL: exactly as the `BIGINT`
//! they wrap (arrays included), so queries bind and decode them without `.0` at every call.

use crate::domain::ids::*;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef, Postgres};
use sqlx::{Decode, Encode, Type};

macro_rules! sql_ids {
    ($($name:ident),* $(,)?) => {$(
        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <i64 as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <i64 as Type<Postgres>>::compatible(ty)
            }
        }

        impl PgHasArrayType for $name {
            fn array_type_info() -> PgTypeInfo {
                <i64 as PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> Encode<'q, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $name {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                <i64 as Decode<'r, Postgres>>::decode(value).map($name)
            }
        }
    )*};
}

sql_ids!(
    AccountId,
    UserId,
    TicketId,
    ThreadId,
    MessageId,
    GuestId,
    ListingId,
    ReservationId,
    TemplateId,
    ApiKeyId,
    SessionId,
    ReviewId,
    NoteId,
    ConnectionId,
    DeliveryId,
    AlertId,
    GroupId,
    TodoId,
);
