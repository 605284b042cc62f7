//! How many frames a client may send: a token bucket per connection. A client over its budget
//! gets one `rate_limited` error frame and its frames are dropped; one that keeps flooding far
//! past the budget is disconnected, so a runaway tab harms only itself.

use std::time::Instant;

/// Frames a second a connection may send, on average.
pub const FRAMES_PER_SECOND: f64 = 20.0;
/// How many it may send at once.
pub const BURST: f64 = 40.0;
/// Dropped frames, in a row, after which the connection is closed.
pub const DROPS_BEFORE_CLOSE: u32 = 400;

/// What to do with one incoming frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Handle,
    /// Over budget: drop it; `first` says whether to tell the client.
    Drop {
        first: bool,
    },
    Close,
}

/// A connection's frame budget.
#[derive(Debug, Clone)]
pub struct FrameBudget {
    tokens: f64,
    last: Instant,
    dropped: u32,
}

impl FrameBudget {
    pub fn new(now: Instant) -> FrameBudget {
        FrameBudget {
            tokens: BURST,
            last: now,
            dropped: 0,
        }
    }

    /// Spends one frame at `now`.
    pub fn spend(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * FRAMES_PER_SECOND).min(BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.dropped = 0;
            return Verdict::Handle;
        }
        self.dropped += 1;
        match self.dropped {
            n if n >= DROPS_BEFORE_CLOSE => Verdict::Close,
            1 => Verdict::Drop { first: true },
            _ => Verdict::Drop { first: false },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_a_flood_is_dropped_then_closed_and_patience_refills() {
        let start = Instant::now();
        let mut budget = FrameBudget::new(start);
        for _ in 0..BURST as usize {
            assert_eq!(budget.spend(start), Verdict::Handle);
        }
        assert_eq!(budget.spend(start), Verdict::Drop { first: true });
        assert_eq!(budget.spend(start), Verdict::Drop { first: false });
        let later = start + Duration::from_secs(1);
        assert_eq!(budget.spend(later), Verdict::Handle, "a second refills it");
        let mut verdict = Verdict::Handle;
        for _ in 0..(BURST as u32 + DROPS_BEFORE_CLOSE) {
            verdict = budget.spend(later);
        }
        assert_eq!(verdict, Verdict::Close);
    }
}
