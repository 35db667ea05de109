//! What the gallery's lab thread computes: a seeded point cloud cut by a turning plane, and an
//! Adam optimizer descending Himmelblau's function ([`landscape`](super::landscape)),
//! restarted from a new seeded point each time it settles. Plain CPU code, deterministic for
//! a seed and a number of ticks.

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::labs::gallery::landscape::{Adam2d, LANDSCAPE_HALF, himmelblau};
use crate::labs::thread::{Session, Step};

/// Simulation ticks per second of animation at speed 1.
pub const TICKS_PER_SEC: f32 = 60.0;
/// Half the side of the cube the point cloud lives in.
pub const CLOUD_HALF: f32 = 2.5;
/// The most optimizer iterates kept for the trajectory and loss curve of one run.
const MAX_RUN_STEPS: usize = 600;
/// Ticks a settled run stays on screen before the next one starts (at speed 1).
const SETTLED_TICKS: f32 = 90.0;

/// Settings the UI changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Animation speed: optimizer steps per tick and the plane's turning rate scale with it.
    pub speed: f32,
    /// Points in the cloud.
    pub point_count: usize,
    /// Whether the thread is paused.
    pub paused: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            speed: 1.0,
            point_count: 2000,
            paused: false,
        }
    }
}

/// Commands the UI sends to the gallery thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// Pause (`true`) or resume.
    SetPaused(bool),
    /// Change the animation speed.
    SetSpeed(f32),
    /// Regenerate the cloud with this many points.
    SetPointCount(usize),
    /// Back to step 0 with the original seed.
    Reset,
}

/// A seeded point cloud: three Gaussian clusters.
#[derive(Clone, Debug, PartialEq)]
pub struct Cloud {
    /// Positions in world units, within `[-CLOUD_HALF, CLOUD_HALF]³`.
    pub positions: Vec<[f32; 3]>,
    /// Cluster index (0..3) of each point.
    pub clusters: Vec<u8>,
}

/// Standard deviation of each cluster, in world units.
const CLUSTER_SPREAD: f32 = 0.45;

/// Cluster centers of the cloud.
pub const CLUSTER_CENTERS: [[f32; 3]; 3] = [[-1.1, -0.6, 0.4], [1.2, 0.3, -0.8], [0.0, 1.0, 1.1]];

impl Cloud {
    /// `count` points from `seed`.
    pub fn new(seed: u64, count: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc10d);
        let mut positions = Vec::with_capacity(count);
        let mut clusters = Vec::with_capacity(count);
        for i in 0..count {
            let cluster = i % CLUSTER_CENTERS.len();
            let center = CLUSTER_CENTERS[cluster];
            positions.push(center.map(|c| {
                let z: f32 = rng.sample(StandardNormal);
                (c + CLUSTER_SPREAD * z).clamp(-CLOUD_HALF + 0.05, CLOUD_HALF - 0.05)
            }));
            clusters.push(cluster as u8);
        }
        Self {
            positions,
            clusters,
        }
    }
}

/// What the UI draws: the thread's state after some tick.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Optimizer steps since the last reset (the status bar's step).
    pub step: u64,
    /// The settings the thread is running with.
    pub settings: Settings,
    /// The cloud (shared: it only changes with the point count).
    pub cloud: Arc<Cloud>,
    /// Unit normal of the plane through the origin that cuts the cloud.
    pub plane_normal: [f32; 3],
    /// The current run's iterates, oldest first (at least the start point).
    pub path: Vec<[f32; 2]>,
    /// Himmelblau's value at each iterate of `path`.
    pub losses: Vec<f32>,
    /// Runs started since the last reset (1 for the first).
    pub run: u32,
}

impl Snapshot {
    /// The loss at the current iterate.
    pub fn loss(&self) -> Option<f32> {
        self.losses.last().copied()
    }
}

/// The gallery's simulation state.
#[derive(Clone, Debug)]
pub struct World {
    seed: u64,
    settings: Settings,
    rng: ChaCha8Rng,
    step: u64,
    plane_angle: f32,
    cloud: Arc<Cloud>,
    adam: Adam2d,
    path: Vec<[f32; 2]>,
    losses: Vec<f32>,
    run: u32,
    step_budget: f32,
    settled_for: f32,
}

impl World {
    /// A world at step 0.
    pub fn new(seed: u64, settings: Settings) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = random_start(&mut rng);
        Self {
            seed,
            settings,
            rng,
            step: 0,
            plane_angle: 0.0,
            cloud: Arc::new(Cloud::new(seed, settings.point_count)),
            adam: Adam2d::new(start),
            path: vec![start],
            losses: vec![himmelblau(start[0], start[1])],
            run: 1,
            step_budget: 0.0,
            settled_for: 0.0,
        }
    }

    /// The settings in effect.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Applies one command from the UI.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::SetPaused(paused) => self.settings.paused = paused,
            Command::SetSpeed(speed) if speed.is_finite() && speed >= 0.0 => {
                self.settings.speed = speed;
            }
            Command::SetSpeed(_) => {}
            Command::SetPointCount(count) => {
                if count != self.settings.point_count {
                    self.settings.point_count = count;
                    self.cloud = Arc::new(Cloud::new(self.seed, count));
                }
            }
            Command::Reset => *self = Self::new(self.seed, self.settings),
        }
    }

    /// Advances one tick (1/60 s of animation at speed 1), even when paused.
    pub fn tick(&mut self) {
        let speed = self.settings.speed;
        self.plane_angle = (self.plane_angle + 0.5 * speed / TICKS_PER_SEC) % std::f32::consts::TAU;
        if self.adam.settled() || self.path.len() >= MAX_RUN_STEPS {
            self.settled_for += speed;
            if self.settled_for >= SETTLED_TICKS {
                let start = random_start(&mut self.rng);
                self.adam = Adam2d::new(start);
                self.path = vec![start];
                self.losses = vec![himmelblau(start[0], start[1])];
                self.run += 1;
                self.settled_for = 0.0;
                self.step_budget = 0.0;
            }
            return;
        }
        self.step_budget += speed;
        while self.step_budget >= 1.0 && !self.adam.settled() && self.path.len() < MAX_RUN_STEPS {
            self.step_budget -= 1.0;
            let [x, y] = self.adam.step();
            self.path.push([x, y]);
            self.losses.push(himmelblau(x, y));
            self.step += 1;
        }
    }

    /// The state to publish.
    pub fn snapshot(&self) -> Snapshot {
        let (sin, cos) = self.plane_angle.sin_cos();
        let normal = glam::Vec3::new(cos, 0.6, sin).normalize();
        Snapshot {
            step: self.step,
            settings: self.settings,
            cloud: Arc::clone(&self.cloud),
            plane_normal: normal.to_array(),
            path: self.path.clone(),
            losses: self.losses.clone(),
            run: self.run,
        }
    }
}

/// A start point away from the edges of the landscape.
fn random_start(rng: &mut ChaCha8Rng) -> [f32; 2] {
    let edge = LANDSCAPE_HALF - 0.6;
    [rng.random_range(-edge..edge), rng.random_range(-edge..edge)]
}

/// The gallery thread runs the world with [`run_session`](crate::labs::thread::run_session):
/// 60 ticks a second while running, a snapshot after each; commands as they come.
impl Session for World {
    type Command = Command;
    type Snapshot = Snapshot;

    fn apply(&mut self, command: Command) -> Result<(), String> {
        World::apply(self, command);
        Ok(())
    }

    fn is_running(&self) -> bool {
        !self.settings.paused
    }

    fn step(&mut self) -> Step {
        self.tick();
        Step::CHANGED
    }

    fn snapshot(&mut self) -> Snapshot {
        World::snapshot(self)
    }

    fn report(&mut self, message: String) {
        // Every gallery command succeeds ([`World::apply`] cannot fail); should one ever
        // fail, say so where a developer will see it.
        eprintln!("gallery: {message}");
    }

    fn steps_per_sec(&self) -> Option<f32> {
        Some(TICKS_PER_SEC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_descend_to_a_minimum_and_restart() {
        let mut world = World::new(7, Settings::default());
        let first_loss = world.snapshot().loss().unwrap();
        while world.run == 1 {
            world.tick();
            assert!(world.step < 10_000, "the first run never settled");
        }
        assert!(world.step > 20);
        let mut settled = World::new(7, Settings::default());
        for _ in 0..world.step {
            settled.tick();
        }
        let last = settled.snapshot().loss().unwrap();
        assert!(last < 1e-3 && last < first_loss, "{first_loss} -> {last}");
    }

    #[test]
    fn a_seed_and_tick_count_reproduce_the_state() {
        let mut a = World::new(3, Settings::default());
        let mut b = World::new(3, Settings::default());
        for _ in 0..50 {
            a.tick();
            b.tick();
        }
        assert_eq!(a.snapshot().path, b.snapshot().path);
        b.apply(Command::Reset);
        assert_eq!(
            b.snapshot().path,
            World::new(3, Settings::default()).snapshot().path
        );
    }

    #[test]
    fn point_count_regenerates_the_cloud() {
        let mut world = World::new(1, Settings::default());
        world.apply(Command::SetPointCount(123));
        let snapshot = world.snapshot();
        assert_eq!(snapshot.cloud.positions.len(), 123);
        assert!(
            snapshot
                .cloud
                .positions
                .iter()
                .flatten()
                .all(|c| c.abs() < CLOUD_HALF)
        );
    }
}
