//! How many frames a client may send: a token bucket per connection, and one per user shared
//! by all of that user's connections on the node (so twenty tabs cannot send twenty times as
//! much). A client over a budget gets one `rate_limited` error frame and its frames are
//! dropped; one that keeps flooding far past it is disconnected, so a runaway tab harms only
//! itself.

use std::time::Instant;

/// A budget's refill rate and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowance {
    /// Frames a second, on average.
    pub per_second: f64,
    /// How many may be sent at once.
    pub burst: f64,
}

/// What one connection may send.
pub const PER_CONNECTION: Allowance = Allowance {
    per_second: 20.0,
    burst: 40.0,
};
/// What all of one user's connections on a node may send together: a second tab gets a
/// little more room, a hundred tabs none.
pub const PER_USER: Allowance = Allowance {
    per_second: 40.0,
    burst: 80.0,
};
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

/// A frame budget (a connection's or a user's).
#[derive(Debug, Clone)]
pub struct FrameBudget {
    allowance: Allowance,
    tokens: f64,
    last: Instant,
    dropped: u32,
}

impl FrameBudget {
    /// A full budget of `allowance` at `now`.
    pub fn new(allowance: Allowance, now: Instant) -> FrameBudget {
        FrameBudget {
            allowance,
            tokens: allowance.burst,
            last: now,
            dropped: 0,
        }
    }

    /// Spends one frame at `now`.
    pub fn spend(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.allowance.per_second).min(self.allowance.burst);
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
        let mut budget = FrameBudget::new(PER_CONNECTION, start);
        let burst = PER_CONNECTION.burst;
        for _ in 0..burst as usize {
            assert_eq!(budget.spend(start), Verdict::Handle);
        }
        assert_eq!(budget.spend(start), Verdict::Drop { first: true });
        assert_eq!(budget.spend(start), Verdict::Drop { first: false });
        let later = start + Duration::from_secs(1);
        assert_eq!(budget.spend(later), Verdict::Handle, "a second refills it");
        let mut verdict = Verdict::Handle;
        for _ in 0..(burst as u32 + DROPS_BEFORE_CLOSE) {
            verdict = budget.spend(later);
        }
        assert_eq!(verdict, Verdict::Close);
    }
}
