//! What every operation can fail with besides its own refusals: a dependency that is down,
//! or something unexpected. Clients see only the code and a generic sentence; the cause is
//! logged by whoever answers them.

use crate::wire::{Code, ErrorCode};

/// A failure that is not the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// PostgreSQL (or the dispatcher) cannot be reached now; the caller should retry.
    #[error("the service is temporarily unavailable, try again")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or an unexpected failure.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Failure::Unavailable(Box::new(e))
            }
            other => Failure::Internal(Box::new(other)),
        }
    }
}

impl ErrorCode for Failure {
    fn code(&self) -> Code {
        match self {
            Failure::Unavailable(_) => Code::Unavailable,
            Failure::Internal(_) => Code::Internal,
        }
    }
}

/// Declares `From<sqlx::Error>` and `From<Failure>` for an error enum with a
/// `Failure(#[from] Failure)` variant, so operations can use `?` on store calls.
macro_rules! failure_from {
    ($error:ty) => {
        impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                Self::Failure(e.into())
            }
        }
    };
}
pub(crate) use failure_from;
