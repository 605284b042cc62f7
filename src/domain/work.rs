//! An agent's work state changes (SPEC §3): the timer and intake.

use serde::{Deserialize, Serialize};

/// A change of an agent's work state. Stopping the timer also ends a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkChange {
    StartTimer,
    StopTimer,
    PauseIntake,
    ResumeIntake,
}

impl WorkChange {
    /// The event kind written to the log.
    pub fn event_kind(self) -> &'static str {
        match self {
            WorkChange::StartTimer => "timer.started",
            WorkChange::StopTimer => "timer.stopped",
            WorkChange::PauseIntake => "intake.paused",
            WorkChange::ResumeIntake => "intake.resumed",
        }
    }
}
