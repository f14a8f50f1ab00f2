//! An injectable clock, so a 120-second window can be walked in microseconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time since the clock started. Cloning shares the clock.
///
/// ### Why an enum and not a trait object?
/// There are exactly two clocks (the machine's and a hand-driven one), and the
/// runner needs to know which it has: against a manual clock it advances time
/// instead of sleeping.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
enum Inner {
    System(Instant),
    Manual(AtomicU64),
}

impl Clock {
    /// The machine's monotonic clock, starting now.
    pub fn system() -> Self {
        Clock(Arc::new(Inner::System(Instant::now())))
    }

    /// A clock that only moves when [`Clock::advance`] is called. Starts at zero.
    pub fn manual() -> Self {
        Clock(Arc::new(Inner::Manual(AtomicU64::new(0))))
    }

    /// Whether this clock is driven by hand.
    pub fn is_manual(&self) -> bool {
        matches!(*self.0, Inner::Manual(_))
    }

    /// Time since the clock started.
    pub fn now(&self) -> Duration {
        match &*self.0 {
            Inner::System(start) => start.elapsed(),
            Inner::Manual(nanos) => Duration::from_nanos(nanos.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward; returns `false` (and does nothing) for the
    /// system clock, which only time moves.
    pub fn advance(&self, by: Duration) -> bool {
        match &*self.0 {
            Inner::System(_) => false,
            Inner::Manual(nanos) => {
                let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
                nanos.fetch_add(by, Ordering::SeqCst);
                true
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let c = Clock::manual();
        let c2 = c.clone();
        assert_eq!(c.now(), Duration::ZERO);
        assert!(c2.advance(Duration::from_secs(119)));
        assert_eq!(c.now(), Duration::from_secs(119));
        assert!(!Clock::system().advance(Duration::from_secs(1)));
    }
}
