//! The order in which available agents are considered for a new ticket (SPEC §2 rule 1):
//! fewest unanswered, then fewest active, then least recently assigned, then lowest id.
//! Kept as an ordered set so a choice among 10,000 agents walks only the first few.

use crate::domain::ids::UserId;
use std::collections::BTreeSet;

/// An agent's place in the order. `last_assigned` is a board-wide counter (0 = never).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank {
    pub unanswered: u32,
    pub active: u32,
    pub last_assigned: u64,
    pub agent: UserId,
}

/// Available agents in the order they are offered work.
#[derive(Debug, Default, Clone)]
pub struct Ranking {
    order: BTreeSet<Rank>,
}

impl Ranking {
    pub fn insert(&mut self, rank: Rank) {
        self.order.insert(rank);
    }

    pub fn remove(&mut self, rank: &Rank) {
        self.order.remove(rank);
    }

    /// Agents from least to most loaded.
    pub fn iter(&self) -> impl Iterator<Item = &Rank> {
        self.order.iter()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_unanswered_then_active_then_recency_then_id() {
        let mut r = Ranking::default();
        let a = Rank {
            unanswered: 1,
            active: 1,
            last_assigned: 5,
            agent: UserId(1),
        };
        let b = Rank {
            unanswered: 0,
            active: 3,
            last_assigned: 9,
            agent: UserId(2),
        };
        let c = Rank {
            unanswered: 0,
            active: 2,
            last_assigned: 7,
            agent: UserId(3),
        };
        let d = Rank {
            unanswered: 0,
            active: 2,
            last_assigned: 4,
            agent: UserId(4),
        };
        let e = Rank {
            unanswered: 0,
            active: 2,
            last_assigned: 4,
            agent: UserId(0),
        };
        for rank in [a, b, c, d, e] {
            r.insert(rank);
        }
        let order: Vec<i64> = r.iter().map(|r| r.agent.0).collect();
        assert_eq!(order, vec![0, 4, 3, 2, 1]);
        r.remove(&e);
        assert_eq!(r.iter().next().unwrap().agent, UserId(4));
        assert_eq!(r.len(), 4);
    }
}
