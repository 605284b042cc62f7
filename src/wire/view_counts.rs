//! How many tickets the guest views hold: the answer of `GET /tickets/counts` and the
//! `views.counts` frame the server pushes when they change, one shape for both.

use crate::domain::inbox::View;
use serde::Serialize;

/// The most tickets a guest view's count counts; beyond it the tab shows `1000+`.
pub const COUNT_CAP: i64 = 1000;

/// One guest view's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ViewCount {
    pub view: View,
    /// Tickets in the view, at most `capped_at`.
    pub count: i64,
    /// The count reached the cap: there may be more.
    pub capped: bool,
}

impl ViewCount {
    /// A count as `store::guest_views::count` answered it (stopped at [`COUNT_CAP`]).
    pub fn new(view: View, count: i64) -> ViewCount {
        ViewCount {
            view,
            count,
            capped: count >= COUNT_CAP,
        }
    }
}

/// Each guest view's count: for the caller (`GET /tickets/counts`), or the views whose
/// members are the same for everyone of the account (`views.counts`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ViewCounts {
    pub items: Vec<ViewCount>,
    /// The most a count counts.
    pub capped_at: i64,
}
