//! The numbers the attention lab's views show, computed from a trace or the curves: the
//! sudden jumps of accuracy, the 3D projection of embeddings, queries and keys, and one head's
//! computation step by step. Pure and tested without a GPU.

use crate::data::tasks::Task;
use crate::labs::attention::scenes::{EmbeddedPoint, EmbeddingSource};
use crate::labs::attention::session::EvalPoint;
use crate::labs::pca::pca3;
use crate::nn::transformer::{Trace, Transformer};
use crate::render::Colormap;
use crate::render::colormap::colormap_rgba;
use crate::render::scene::color_from_rgba8;

/// A rise of held-out exact accuracy of at least [`JUMP_RISE`] within [`JUMP_STEPS`] steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jump {
    /// Step where the rise starts.
    pub from: u64,
    /// Step where it ends.
    pub to: u64,
    /// Accuracy before.
    pub before: f32,
    /// Accuracy after.
    pub after: f32,
}

/// How much exact accuracy must rise to count as a jump.
pub const JUMP_RISE: f32 = 0.3;
/// Within how many steps.
pub const JUMP_STEPS: u64 = 75;

/// The sudden rises of held-out exact accuracy: for each evaluation, the largest rise to a
/// later one at most [`JUMP_STEPS`] steps on; rises of [`JUMP_RISE`] or more are jumps, each
/// starting where the previous one ended or later, and a jump that starts where the previous
/// one ended continues it (one climb, one jump).
pub fn jumps(evals: &[EvalPoint]) -> Vec<Jump> {
    let acc = |e: &EvalPoint| e.all_on.exact_accuracy();
    let mut out: Vec<Jump> = Vec::new();
    let mut i = 0;
    while i < evals.len() {
        let start = &evals[i];
        let best = evals[i + 1..]
            .iter()
            .enumerate()
            .take_while(|(_, e)| e.step - start.step <= JUMP_STEPS)
            .max_by(|a, b| acc(a.1).total_cmp(&acc(b.1)));
        match best {
            Some((k, end)) if acc(end) - acc(start) >= JUMP_RISE => {
                match out.last_mut() {
                    Some(last) if last.to == start.step => {
                        last.to = end.step;
                        last.after = acc(end);
                    }
                    _ => out.push(Jump {
                        from: start.step,
                        to: end.step,
                        before: acc(start),
                        after: acc(end),
                    }),
                }
                i += k + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Which of the frames at `steps` (ascending) the filmstrip shows in `slots` slots: the first
/// and the last, the frames nearest the start, middle and end of every jump, then as many
/// more as fit, evenly spread; ascending, no repeats.
pub fn filmstrip_frames(steps: &[u64], jumps: &[Jump], slots: usize) -> Vec<usize> {
    let n = steps.len();
    if n <= slots {
        return (0..n).collect();
    }
    let nearest = |s: u64| (0..n).min_by_key(|&i| steps[i].abs_diff(s)).unwrap_or(0);
    let mut chosen = vec![0, n - 1];
    for j in jumps {
        for s in [j.from, (j.from + j.to) / 2, j.to] {
            chosen.push(nearest(s));
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.len() > slots {
        // Too many jumps for the room: keep the ends and an even share of the rest.
        let inner: Vec<usize> = chosen[1..chosen.len() - 1].to_vec();
        let keep = slots.saturating_sub(2);
        let mut thinned = vec![0];
        thinned.extend((0..keep).map(|k| inner[k * inner.len() / keep.max(1)]));
        thinned.push(n - 1);
        thinned.dedup();
        return thinned;
    }
    // Fill the largest gaps first.
    while chosen.len() < slots {
        let (gap, _) = chosen
            .windows(2)
            .enumerate()
            .max_by_key(|(_, w)| w[1] - w[0])
            .unwrap_or((0, &[0, 0][..]));
        let (a, b) = (chosen[gap], chosen[gap + 1]);
        if b - a < 2 {
            break;
        }
        chosen.insert(gap + 1, (a + b) / 2);
    }
    chosen
}

/// The 3D view's points: token embeddings (every token the task uses, colored along the
/// vocabulary) or one block's queries and keys on the probe (queries warm, keys cool), on
/// their top three principal axes, scaled together so the farthest coordinate is 1 (the
/// shape is kept; embeddings start a few hundredths wide).
pub fn embedded_points(
    model: &Transformer,
    trace: &Trace,
    task: &Task,
    source: EmbeddingSource,
) -> Vec<EmbeddedPoint> {
    let mut points = projected(model, trace, task, source);
    let far = points
        .iter()
        .flat_map(|p| p.pos)
        .fold(0.0f32, |m, c| m.max(c.abs()));
    if far > 0.0 && far.is_finite() {
        for p in &mut points {
            p.pos = p.pos.map(|c| c / far);
        }
    }
    points
}

fn projected(
    model: &Transformer,
    trace: &Trace,
    task: &Task,
    source: EmbeddingSource,
) -> Vec<EmbeddedPoint> {
    let d = model.config().width;
    match source {
        EmbeddingSource::Tokens => {
            let table = model.params()[0].value.data();
            let v = task.tokens_used().min(model.config().vocab);
            let rows = &table[..v * d];
            let pca = pca3(rows, d);
            (0..v)
                .map(|t| EmbeddedPoint {
                    pos: pca.project(&rows[t * d..(t + 1) * d]),
                    text: task.label(t as u32),
                    color: color_from_rgba8(colormap_rgba(
                        Colormap::Viridis,
                        (0.0, (v - 1).max(1) as f32),
                        t as f32,
                    )),
                })
                .collect()
        }
        EmbeddingSource::QueriesKeys(layer) => {
            let Some(lt) = trace.layers.get(layer) else {
                return Vec::new();
            };
            let t = trace.tokens.len();
            let mut rows = lt.q[..t * d].to_vec();
            rows.extend_from_slice(&lt.k[..t * d]);
            let pca = pca3(&rows, d);
            (0..2 * t)
                .map(|r| {
                    let (kind, color) = if r < t {
                        ("q", [0.95, 0.55, 0.25, 1.0])
                    } else {
                        ("k", [0.35, 0.65, 0.95, 1.0])
                    };
                    let pos = r % t;
                    EmbeddedPoint {
                        pos: pca.project(&rows[r * d..(r + 1) * d]),
                        text: format!("{kind}{pos} {}", task.label(trace.tokens[pos])),
                        color,
                    }
                })
                .collect()
        }
    }
}

/// One head's computation for one query, every number of it.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadComputation {
    /// `q_i · k_j / sqrt(dh)` for every key `j` (before the mask).
    pub scores: Vec<f32>,
    /// The same after the mask: `-inf` for `j > i`.
    pub masked: Vec<f32>,
    /// The softmax over the masked scores.
    pub weights: Vec<f32>,
    /// The head's value vectors `v_j` (rows of `dh`).
    pub values: Vec<Vec<f32>>,
    /// `Σ_j w_j v_j`: the head's output at the query.
    pub output: Vec<f32>,
}

/// Head `head` of block `layer` at query position `i`, from the trace.
pub fn head_computation(
    trace: &Trace,
    width: usize,
    heads: usize,
    layer: usize,
    head: usize,
    i: usize,
) -> Option<HeadComputation> {
    let lt = trace.layers.get(layer)?;
    let t = trace.tokens.len();
    if head >= heads || i >= t {
        return None;
    }
    let dh = width / heads;
    let base = head * t * t + i * t;
    let scores = lt.scores[base..base + t].to_vec();
    let masked = scores
        .iter()
        .enumerate()
        .map(|(j, &s)| if j <= i { s } else { f32::NEG_INFINITY })
        .collect();
    let weights = lt.weights[base..base + t].to_vec();
    let values: Vec<Vec<f32>> = (0..t)
        .map(|j| lt.v[j * width + head * dh..j * width + (head + 1) * dh].to_vec())
        .collect();
    let output = lt.head_out[i * width + head * dh..i * width + (head + 1) * dh].to_vec();
    Some(HeadComputation {
        scores,
        masked,
        weights,
        values,
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tasks::TaskKind;
    use crate::nn::transformer::{BatchStats, HeadMask, TransformerConfig};

    fn eval(step: u64, exact: usize) -> EvalPoint {
        EvalPoint {
            step,
            all_on: BatchStats {
                sequences: 100,
                exact,
                ..BatchStats::default()
            },
        }
    }

    #[test]
    fn a_sudden_rise_is_one_jump_and_a_slow_one_is_none() {
        let sudden: Vec<EvalPoint> = [0, 1, 2, 3, 60, 95, 99, 99]
            .iter()
            .enumerate()
            .map(|(i, &e)| eval(i as u64 * 25, e))
            .collect();
        let found = jumps(&sudden);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].from <= 75 && found[0].to >= 100 && found[0].to <= 175);
        assert!(found[0].after - found[0].before >= JUMP_RISE);
        let slow: Vec<EvalPoint> = (0..40).map(|i| eval(i * 25, i as usize * 2)).collect();
        assert!(jumps(&slow).is_empty());
    }

    #[test]
    fn the_filmstrip_keeps_the_ends_and_the_frames_around_each_jump() {
        let steps: Vec<u64> = (0..40).map(|i| i * 20).collect();
        let jump = Jump {
            from: 100,
            to: 160,
            before: 0.0,
            after: 0.9,
        };
        let shown = filmstrip_frames(&steps, &[jump], 8);
        assert_eq!(shown.len(), 8);
        assert_eq!((shown[0], shown[7]), (0, 39));
        for s in [100, 120, 160] {
            assert!(shown.iter().any(|&i| steps[i] == s), "{s} in {shown:?}");
        }
        assert!(shown.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(filmstrip_frames(&steps[..5], &[], 8), vec![0, 1, 2, 3, 4]);
        assert_eq!(filmstrip_frames(&steps, &[], 1).len(), 2.min(steps.len()));
    }

    #[test]
    fn the_head_computation_is_the_traces_numbers() {
        let task = Task::new(TaskKind::Sort, 0);
        let config = TransformerConfig {
            vocab: task.vocab(),
            context: task.len(),
            width: 16,
            heads: 2,
            layers: 1,
        };
        let model = Transformer::new(config, 3).unwrap();
        let probe = task.default_probe();
        let trace = model
            .trace(&probe.tokens, &HeadMask::all_on(&config))
            .unwrap();
        let c = head_computation(&trace, 16, 2, 0, 1, 5).unwrap();
        let sum: f32 = c.weights.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5);
        assert!(c.masked[6..].iter().all(|&m| m == f32::NEG_INFINITY));
        assert!(c.weights[6..].iter().all(|&w| w == 0.0));
        // The output is the weighted sum of the values.
        for d in 0..8 {
            let expect: f32 = (0..=5).map(|j| c.weights[j] * c.values[j][d]).sum();
            assert!(
                (expect - c.output[d]).abs() < 1e-5,
                "{expect} vs {}",
                c.output[d]
            );
        }
        // Softmax of the masked scores.
        let max = c.masked[..=5].iter().copied().fold(f32::MIN, f32::max);
        let z: f32 = c.masked[..=5].iter().map(|s| (s - max).exp()).sum();
        for j in 0..=5 {
            assert!(((c.masked[j] - max).exp() / z - c.weights[j]).abs() < 1e-5);
        }
        let points = embedded_points(&model, &trace, &task, EmbeddingSource::Tokens);
        // The ten digits and the separator; the farthest coordinate is 1.
        assert_eq!(points.len(), 11);
        let far = points
            .iter()
            .flat_map(|p| p.pos)
            .fold(0.0f32, |m, c| m.max(c.abs()));
        assert!((far - 1.0).abs() < 1e-6);
        let qk = embedded_points(&model, &trace, &task, EmbeddingSource::QueriesKeys(0));
        assert_eq!(qk.len(), 32);
    }
}
