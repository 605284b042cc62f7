//! When the dispatcher looks at an agent's presence again after a disconnect: one deadline
//! per agent, checked by one timer. A `run_later` per disconnect would leave thousands of
//! timers in the actor's context under reconnect churn (a flapping agent every few seconds,
//! each waiting out a 60 s grace), and actix polls every one of them each time the actor
//! wakes.

use crate::domain::ids::UserId;
use std::collections::HashMap;
use std::time::Instant;

/// The agents to check again, each with the time to do it.
#[derive(Debug, Default)]
pub struct Rechecks {
    due: HashMap<UserId, Instant>,
}

impl Rechecks {
    /// Check `agent` again at `at`. An agent already waiting keeps the later time: their
    /// presence cannot settle before their latest grace period ends, so an earlier look
    /// would only find them still in grace.
    pub fn schedule(&mut self, agent: UserId, at: Instant) {
        self.due
            .entry(agent)
            .and_modify(|later| *later = (*later).max(at))
            .or_insert(at);
    }

    /// The agents whose time has come by `now`, forgotten here.
    pub fn take_due(&mut self, now: Instant) -> Vec<UserId> {
        let due: Vec<UserId> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(agent, _)| *agent)
            .collect();
        for agent in &due {
            self.due.remove(agent);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_agent_is_checked_once_when_their_latest_grace_ends() {
        let start = Instant::now();
        let (ana, ben) = (UserId(1), UserId(2));
        let mut rechecks = Rechecks::default();
        rechecks.schedule(ana, start + Duration::from_secs(60));
        rechecks.schedule(ana, start + Duration::from_secs(64));
        rechecks.schedule(ana, start + Duration::from_secs(62));
        rechecks.schedule(ben, start + Duration::from_secs(61));

        assert!(rechecks
            .take_due(start + Duration::from_secs(60))
            .is_empty());
        assert_eq!(
            rechecks.take_due(start + Duration::from_secs(63)),
            vec![ben]
        );
        assert_eq!(
            rechecks.take_due(start + Duration::from_secs(64)),
            vec![ana]
        );
        assert!(rechecks
            .take_due(start + Duration::from_secs(600))
            .is_empty());
    }
}
