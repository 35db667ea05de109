//! [`Timeline`]: the published snapshots of a lab's run, kept so the user can go back to any
//! recorded moment, within a memory budget.
//!
//! Every snapshot a lab takes from its thread is pushed here (a snapshot of the same step as
//! the last one replaces it) and numbered. The newest [`RECENT`] are all kept; older ones
//! are kept when their number is a multiple of the stride, which starts at 1 and doubles
//! whenever the moments kept cost more than the budget (the first and the newest moment
//! always stay). A long run so keeps its whole history, from its first moment to now, evenly
//! spaced at a resolution that halves each time the budget fills. Snapshots so large that
//! even the newest [`RECENT`] exceed the budget make the recent window shrink (halving, down
//! to the newest alone), so the budget holds whatever a snapshot costs.
//!
//! The cursor says what the views show: `None` is the present (the newest snapshot, training
//! going on), `Some(i)` the moment `i`; thinning keeps a cursor on the nearest surviving
//! moment at or before it.

use std::sync::Arc;

/// Moments at the end of the timeline never thinned.
pub const RECENT: usize = 64;

/// The default memory budget of a lab's timeline, in bytes.
pub const DEFAULT_BUDGET: usize = 256 << 20;

/// What the timeline needs of a snapshot.
pub trait Moment {
    /// The training step (epoch, tree, ...) the snapshot shows.
    fn step(&self) -> u64;
    /// Its loss, for the timeline bar's curve (`None` when the lab has none).
    fn loss(&self) -> Option<f32>;
    /// Bytes the snapshot holds that no earlier snapshot shares (what keeping it costs).
    fn heap_bytes(&self) -> usize;
    /// Which run the snapshot belongs to: a restart starts a new timeline.
    fn run(&self) -> u64;
}

/// The recorded moments of one run.
#[derive(Debug)]
pub struct Timeline<S> {
    /// Each moment with its number (pushes counted from 0) and its cost.
    moments: Vec<(Arc<S>, u64, usize)>,
    bytes: usize,
    budget: usize,
    cursor: Option<usize>,
    pushed: u64,
    stride: u64,
    /// Newest moments never thinned ([`RECENT`] unless snapshots are too large for it).
    recent: usize,
}

impl<S: Moment> Timeline<S> {
    /// An empty timeline that keeps at most `budget` bytes of snapshots (beyond the
    /// [`RECENT`] newest, which are always kept).
    pub fn new(budget: usize) -> Self {
        Timeline {
            moments: Vec::new(),
            bytes: 0,
            budget,
            cursor: None,
            pushed: 0,
            stride: 1,
            recent: RECENT,
        }
    }

    /// Records `snapshot`. A snapshot of another run starts the timeline over; one of the
    /// same step as the newest replaces it.
    pub fn push(&mut self, snapshot: Arc<S>) {
        if let Some((last, _, _)) = self.moments.last() {
            if last.run() != snapshot.run() {
                self.clear();
            } else if last.step() == snapshot.step() {
                if let Some((_, _, bytes)) = self.moments.pop() {
                    self.bytes -= bytes;
                }
                self.pushed -= 1;
            }
        }
        let bytes = snapshot.heap_bytes();
        self.bytes += bytes;
        self.moments.push((snapshot, self.pushed, bytes));
        self.pushed += 1;
        // The moment that just left the recent window stays only on the stride.
        if self.moments.len() > self.recent + 1 {
            let aged = self.moments.len() - self.recent - 1;
            if aged > 0 && !self.moments[aged].1.is_multiple_of(self.stride) {
                self.remove(aged);
            }
        }
        self.fit_budget();
        if self.cursor.is_some_and(|c| c >= self.moments.len()) {
            self.cursor = Some(self.moments.len() - 1);
        }
    }

    fn remove(&mut self, index: usize) {
        let (_, _, bytes) = self.moments.remove(index);
        self.bytes -= bytes;
        if let Some(c) = self.cursor
            && c >= index
        {
            self.cursor = Some(c.saturating_sub(1));
        }
    }

    /// Thins until the moments kept fit the budget (or only the first and the newest are left).
    fn fit_budget(&mut self) {
        while self.bytes > self.budget && self.moments.len() > 2 {
            if self.moments.len() <= self.recent + 2 {
                // Only the recent window is left over the budget: shrink it.
                self.recent = (self.recent / 2).max(1);
            }
            self.stride *= 2;
            self.thin();
        }
    }

    /// Keeps, among the older moments, the first and those on the stride.
    fn thin(&mut self) {
        let older_end = self.moments.len().saturating_sub(self.recent);
        let old_cursor_step = self.cursor.map(|c| self.moments[c].0.step());
        let stride = self.stride;
        let mut i = 0;
        self.moments.retain(|(_, number, _)| {
            let keep = i == 0 || i >= older_end || number.is_multiple_of(stride);
            i += 1;
            keep
        });
        self.bytes = self.moments.iter().map(|m| m.2).sum();
        if let Some(step) = old_cursor_step {
            self.cursor = Some(self.index_at_or_before(step));
        }
    }

    /// A timeline of the saved `moments` (oldest first), none thinned: its budget is the
    /// default or what they cost, whichever is more.
    pub fn from_moments(moments: impl IntoIterator<Item = Arc<S>>) -> Self {
        let mut timeline = Timeline::new(usize::MAX);
        for moment in moments {
            timeline.push(moment);
        }
        timeline.budget = timeline.bytes.max(DEFAULT_BUDGET);
        timeline
    }

    /// Every moment kept, oldest first.
    pub fn moments(&self) -> Vec<Arc<S>> {
        self.moments.iter().map(|(s, _, _)| Arc::clone(s)).collect()
    }

    /// Forgets every moment.
    pub fn clear(&mut self) {
        self.moments.clear();
        self.bytes = 0;
        self.cursor = None;
        self.pushed = 0;
        self.stride = 1;
        self.recent = RECENT;
    }

    /// Moments kept.
    pub fn len(&self) -> usize {
        self.moments.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.moments.is_empty()
    }

    /// The moment at `index`.
    pub fn get(&self, index: usize) -> Option<&Arc<S>> {
        self.moments.get(index).map(|(s, _, _)| s)
    }

    /// The steps of the moments kept, oldest first.
    pub fn steps(&self) -> Vec<u64> {
        self.moments.iter().map(|(s, _, _)| s.step()).collect()
    }

    /// The losses of the moments kept, oldest first.
    pub fn losses(&self) -> Vec<Option<f32>> {
        self.moments.iter().map(|(s, _, _)| s.loss()).collect()
    }

    /// Bytes the moments kept cost.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The memory budget.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Sets the memory budget (thinning at once if the moments kept cost more).
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
        self.fit_budget();
    }

    /// The moment shown: `None` for the present.
    pub fn cursor(&self) -> Option<usize> {
        self.cursor
    }

    /// Shows moment `index` (clamped to the moments kept), or the present.
    pub fn seek(&mut self, index: Option<usize>) {
        self.cursor = index
            .filter(|_| !self.moments.is_empty())
            .map(|i| i.min(self.moments.len() - 1));
    }

    /// The index of the last moment at or before `step` (0 when all are after it).
    pub fn index_at_or_before(&self, step: u64) -> usize {
        self.moments
            .partition_point(|(s, _, _)| s.step() <= step)
            .saturating_sub(1)
    }

    /// What the shell's timeline bar shows of it.
    pub fn info(&self) -> crate::ui::TimelineInfo {
        crate::ui::TimelineInfo {
            steps: self.steps(),
            losses: self.losses(),
            cursor: self.cursor(),
            computed_step: None,
            bytes: self.bytes(),
            budget: self.budget(),
        }
    }

    /// What the views should show: the moment under the cursor, else `live`.
    pub fn shown<'a>(&'a self, live: &'a Arc<S>) -> &'a Arc<S> {
        self.cursor
            .and_then(|c| self.moments.get(c))
            .map_or(live, |(s, _, _)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Snap {
        run: u64,
        step: u64,
        bytes: usize,
    }

    impl Moment for Snap {
        fn step(&self) -> u64 {
            self.step
        }
        fn loss(&self) -> Option<f32> {
            Some(1.0 / (1.0 + self.step as f32))
        }
        fn heap_bytes(&self) -> usize {
            self.bytes
        }
        fn run(&self) -> u64 {
            self.run
        }
    }

    fn snap(step: u64) -> Arc<Snap> {
        Arc::new(Snap {
            run: 0,
            step,
            bytes: 1000,
        })
    }

    #[test]
    fn a_long_run_stays_under_budget_and_still_spans_its_whole_history() {
        let mut t = Timeline::new(200_000);
        for step in 0..100_000 {
            t.push(snap(step));
            assert!(t.bytes() <= 200_000 || t.len() <= RECENT + 2);
        }
        let steps = t.steps();
        assert_eq!(steps[0], 0);
        assert_eq!(*steps.last().unwrap(), 99_999);
        // The newest are all there; the older ones evenly spaced.
        assert!(
            steps
                .windows(2)
                .rev()
                .take(RECENT - 1)
                .all(|w| w[1] - w[0] == 1)
        );
        let older: Vec<u64> = steps[1..steps.len() - RECENT]
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect();
        let (min, max) = (older.iter().min().unwrap(), older.iter().max().unwrap());
        assert!(max / min <= 2, "gaps {min}..{max}");
        assert!(t.len() >= 100, "{}", t.len());
    }

    #[test]
    fn the_cursor_survives_thinning_on_the_nearest_earlier_moment() {
        let mut t = Timeline::new(150_000);
        for step in 0..150 {
            t.push(snap(step));
        }
        t.seek(Some(t.index_at_or_before(41)));
        assert_eq!(t.get(t.cursor().unwrap()).unwrap().step, 41);
        for step in 150..2000 {
            t.push(snap(step));
        }
        let shown = t.get(t.cursor().unwrap()).unwrap().step;
        assert!(shown <= 41 && shown > 0, "{shown}");
        let live = snap(5000);
        assert_eq!(t.shown(&live).step, shown);
        t.seek(None);
        assert_eq!(t.shown(&live).step, 5000);
    }

    #[test]
    fn snapshots_too_large_for_the_recent_window_still_fit_the_budget() {
        let mut t = Timeline::new(10_000_000);
        for step in 0..5_000 {
            t.push(Arc::new(Snap {
                run: 0,
                step,
                bytes: 1_000_000,
            }));
            assert!(
                t.bytes() <= 10_000_000,
                "{} bytes at step {step}",
                t.bytes()
            );
        }
        let steps = t.steps();
        assert_eq!((steps[0], *steps.last().unwrap()), (0, 4_999));
        assert!(t.len() >= 5, "{steps:?}");
    }

    #[test]
    fn a_repeated_step_replaces_and_a_new_run_starts_over() {
        let mut t = Timeline::new(DEFAULT_BUDGET);
        t.push(snap(0));
        t.push(snap(1));
        t.push(snap(1));
        assert_eq!(t.steps(), vec![0, 1]);
        assert_eq!(t.bytes(), 2000);
        t.push(Arc::new(Snap {
            run: 1,
            step: 0,
            bytes: 10,
        }));
        assert_eq!(t.steps(), vec![0]);
        assert_eq!(t.bytes(), 10);
        t.seek(Some(99));
        assert_eq!(t.cursor(), Some(0));
    }
}
