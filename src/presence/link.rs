//! Whether this node trusts Redis with presence right now: a pure state machine the Redis
//! store drives from its calls and its background probe.
//!
//! A Redis that comes back after an outage may be a new, empty one; trusting it at once would
//! make every agent of this node look offline (their tickets queued, then rebalanced). So the
//! way back goes through `Republishing`: this node's presence is written into Redis first, and
//! only then are reads taken from it again. Nothing here does I/O or knows the clock.

use serde::Serialize;

/// The store's view of Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedisLink {
    /// Redis answers and holds this node's presence: reads and writes go to it.
    Up,
    /// A call failed: everything is served from this node's mirror at once, without waiting
    /// on Redis, until a probe finds it answering again.
    Down,
    /// A probe is asking Redis whether it answers.
    Probing,
    /// Redis answered a probe: the mirror's connections and away markers are being written into
    /// it. Writes go to Redis as well, reads still come from the mirror.
    Republishing,
}

/// What happened to the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// A call to Redis failed or timed out.
    CallFailed,
    /// The probe starts asking (it only does while the link is down).
    ProbeStarted,
    /// The probe got no answer.
    ProbeFailed,
    /// The probe got an answer.
    ProbeAnswered,
    /// This node's presence is in Redis again.
    Republished,
}

impl RedisLink {
    /// The state after `event`. An event that does not fit the state (a probe's answer after a
    /// call failed meanwhile, a republish finishing after it was interrupted) changes nothing,
    /// so a stale answer never makes the store trust Redis.
    pub fn next(self, event: LinkEvent) -> RedisLink {
        use LinkEvent as E;
        use RedisLink as L;
        match (self, event) {
            (_, E::CallFailed) => L::Down,
            (L::Down, E::ProbeStarted) => L::Probing,
            (L::Probing, E::ProbeFailed) => L::Down,
            (L::Probing, E::ProbeAnswered) => L::Republishing,
            (L::Republishing, E::Republished) => L::Up,
            (state, _) => state,
        }
    }

    /// Whether presence is read from Redis (else from this node's mirror).
    pub fn reads_redis(self) -> bool {
        self == RedisLink::Up
    }

    /// Whether presence changes are written to Redis (else only to the mirror, to be
    /// republished when Redis answers again).
    pub fn writes_redis(self) -> bool {
        matches!(self, RedisLink::Up | RedisLink::Republishing)
    }

    /// Whether the node runs on its mirror alone (`/readyz` says `degraded`).
    pub fn is_degraded(self) -> bool {
        self != RedisLink::Up
    }
}

#[cfg(test)]
mod tests {
    use super::{LinkEvent as E, RedisLink as L};
    use proptest::prelude::*;

    #[test]
    fn an_outage_goes_down_probes_republishes_then_trusts_redis() {
        let mut link = L::Up;
        let mut seen = vec![link];
        for event in [
            E::CallFailed,
            E::ProbeStarted,
            E::ProbeFailed,
            E::ProbeStarted,
            E::ProbeAnswered,
            E::Republished,
        ] {
            link = link.next(event);
            seen.push(link);
        }
        assert_eq!(
            seen,
            [
                L::Up,
                L::Down,
                L::Probing,
                L::Down,
                L::Probing,
                L::Republishing,
                L::Up
            ]
        );
    }

    #[test]
    fn reads_come_from_redis_only_once_it_holds_this_nodes_presence() {
        assert!(L::Up.reads_redis());
        for link in [L::Down, L::Probing, L::Republishing] {
            assert!(!link.reads_redis(), "{link:?}");
            assert!(link.is_degraded(), "{link:?}");
        }
        assert!(L::Republishing.writes_redis());
        assert!(!L::Down.writes_redis() && !L::Probing.writes_redis());
    }

    #[test]
    fn a_failure_while_republishing_goes_back_down_and_its_late_end_is_ignored() {
        let link = L::Republishing.next(E::CallFailed);
        assert_eq!(link, L::Down);
        assert_eq!(link.next(E::Republished), L::Down);
        assert_eq!(link.next(E::ProbeAnswered), L::Down);
    }

    fn event() -> impl Strategy<Value = E> {
        prop_oneof![
            Just(E::CallFailed),
            Just(E::ProbeStarted),
            Just(E::ProbeFailed),
            Just(E::ProbeAnswered),
            Just(E::Republished),
        ]
    }

    proptest! {
        /// Whatever happens, Redis is trusted again only through a republish, and a failure
        /// always stops trusting it.
        #[test]
        fn up_is_only_reached_by_republishing(events in proptest::collection::vec(event(), 0..40)) {
            let mut link = L::Down;
            for e in events {
                let next = link.next(e);
                if next == L::Up && link != L::Up {
                    prop_assert_eq!((link, e), (L::Republishing, E::Republished));
                }
                if e == E::CallFailed {
                    prop_assert_eq!(next, L::Down);
                }
                link = next;
            }
        }
    }
}
