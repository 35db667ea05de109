//! The Backprop panel: the chain of equations from the loss to one parameter of the 2-D
//! network, each written out with the live numbers substituted, exactly as the trainer
//! computes them ([`PlaneNet::trace`], [`PlaneNet::backward`], [`PlaneNet::update_preview`]).
//!
//! [`derive`] makes the rows (numbers and text, no UI: tests read them); [`derivation_ui`]
//! typesets them with egui as three aligned columns (what, the equation, the equation with
//! numbers), weights colored like the network's edges (red positive, blue negative).
//!
//! Notation (every glyph is in egui's default fonts; a test checks): the layer's number after
//! the symbol as the parameters are named (`z1`, `a0` the input, `δ2`), the neuron in
//! brackets (`w2[0,1]` from neuron 1 of layer 1 to neuron 0 of layer 2), `ŷ` the output, `σ`
//! the sigmoid, `f` the hidden activation, `f′` its derivative, `η` the learning rate, `N` the
//! points of the batch.

use std::fmt::Write as _;

use crate::data::plane::Dataset2d;
use crate::nn::plane::{
    ADAM_BETA1, ADAM_BETA2, ADAM_EPS, MOMENTUM, ParamId, ParamKind, PlaneLoss, PlaneNet, Trace,
    UpdateStep, UpdateTerms,
};
use crate::nn::xor::Activation;

/// Red: a positive weight (as the network's edges draw it).
pub const POSITIVE: [f32; 4] = [0.93, 0.30, 0.22, 1.0];
/// Blue: a negative weight.
pub const NEGATIVE: [f32; 4] = [0.22, 0.47, 0.95, 1.0];

/// Which gradient the panel derives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The chosen point's share of the full-batch gradient (the `1/N` included).
    Point(usize),
    /// The full-batch gradient: the sum of every point's share, the chain shown for the
    /// chosen point.
    Batch(usize),
}

impl Scope {
    /// The point whose chain is written out.
    pub fn point(self) -> usize {
        match self {
            Scope::Point(i) | Scope::Batch(i) => i,
        }
    }
}

/// A piece of a row's numeric equation, colored when it comes from an edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    /// The text.
    pub text: String,
    /// The edge color of a weight (`None`: plain text).
    pub color: Option<[f32; 4]>,
}

/// One line of the derivation.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What the line is (`forward`, `δ output`, `gradient`, `update`).
    pub stage: &'static str,
    /// The equation in symbols.
    pub symbolic: String,
    /// The same with the numbers substituted, ending in `= value`.
    pub numeric: Vec<Piece>,
    /// The value the line computes.
    pub value: f32,
}

/// The chain from the loss to one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation {
    /// The parameter.
    pub param: ParamId,
    /// Point share or full batch.
    pub scope: Scope,
    /// The lines, forward first, then backward, gradient and update.
    pub rows: Vec<Row>,
    /// `∂J/∂θ` as derived (the point's share, or the batch sum).
    pub gradient: f32,
    /// The update the optimizer would make with the full-batch gradient.
    pub update: Option<UpdateStep>,
}

/// `v` with enough digits to check by hand: 5 decimals, or 4 significant digits in
/// scientific notation when tiny or huge.
pub fn num(v: f32) -> String {
    let m = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e4).contains(&m) {
        format!("{v:.3e}")
    } else {
        format!("{v:.5}")
    }
}

/// `v` in parentheses when negative (to follow a `·` or `−`).
fn par(v: f32) -> String {
    if v < 0.0 {
        format!("({})", num(v))
    } else {
        num(v)
    }
}

/// Layer `l` as the parameters' names write it (`w1[0,1]`: layer 1).
fn sub(l: usize) -> String {
    l.to_string()
}

fn plain(text: impl Into<String>) -> Piece {
    Piece {
        text: text.into(),
        color: None,
    }
}

fn weight_piece(w: f32) -> Piece {
    Piece {
        text: par(w),
        color: Some(if w >= 0.0 { POSITIVE } else { NEGATIVE }),
    }
}

/// The name of the activation's derivative in terms of `a` (or `z` for ReLU).
fn derivative_text(activation: Activation) -> &'static str {
    match activation {
        Activation::Sigmoid => "a(1 − a)",
        Activation::Tanh => "1 − a²",
        Activation::Relu => "[z > 0]",
    }
}

/// The chain for parameter `param` of `net` on `data`, `None` if the net has no such
/// parameter or the point does not exist.
pub fn derive(
    net: &PlaneNet,
    data: &Dataset2d,
    param: ParamId,
    scope: Scope,
) -> Option<Derivation> {
    net.param(param)?;
    let i = scope.point();
    let (&x, &y) = (data.points.get(i)?, data.labels.get(i)?);
    let n = data.points.len();
    let trace = net.trace(x, y, n);
    let layers = net.layers();
    let depth = layers.len();
    let l = param.layer;
    let to = match param.kind {
        ParamKind::Weight { to, .. } | ParamKind::Bias { to } => to,
    };
    let activation = net.spec().activation;
    let mut rows = Vec::new();

    // Forward: the parameter's neuron, then the output.
    rows.push(forward_row(net, &trace, l, to));
    if l < depth {
        rows.push(activation_row(&trace, l, to, activation));
        rows.push(forward_row(net, &trace, depth, 0));
    }
    let y_hat = trace.forward.a[depth][0];
    rows.push(Row {
        stage: "output",
        symbolic: format!("ŷ = σ(z{})", sub(depth)),
        numeric: vec![plain(format!(
            "σ({}) = {}",
            num(trace.forward.z[depth - 1][0]),
            num(y_hat)
        ))],
        value: y_hat,
    });
    rows.push(loss_row(net.spec().loss, &trace, n));

    // Backward: δ of the output, then down to the parameter's layer.
    rows.push(output_delta_row(net.spec().loss, &trace, depth, n));
    for k in (l..depth).rev() {
        let neurons: Vec<usize> = if k == l {
            vec![to]
        } else {
            (0..layers[k - 1].outputs).collect()
        };
        for j in neurons {
            rows.push(hidden_delta_row(net, &trace, k, j, activation));
        }
    }

    // The gradient.
    let share = trace.grad(param)?;
    let delta = trace.delta[l - 1][to];
    let (symbolic, numeric) = match param.kind {
        ParamKind::Weight { from, .. } => {
            let a_in = trace.forward.a[l - 1][from];
            (
                format!("∂J/∂{param} = δ{}[{to}] · a{}[{from}]", sub(l), sub(l - 1)),
                format!("{} · {} = {}", par(delta), par(a_in), num(share)),
            )
        }
        ParamKind::Bias { .. } => (
            format!("∂J/∂{param} = δ{}[{to}]", sub(l)),
            format!("{} = {}", num(delta), num(share)),
        ),
    };
    rows.push(Row {
        stage: "gradient",
        symbolic,
        numeric: vec![plain(numeric)],
        value: share,
    });
    let grads = net.backward(&data.points, &data.labels);
    let batch = grads.get(param)?;
    let gradient = match scope {
        Scope::Point(_) => share,
        Scope::Batch(_) => {
            rows.push(Row {
                stage: "batch sum",
                symbolic: format!("∂J/∂{param} = Σ over the {n} points of their shares"),
                numeric: vec![plain(format!("= {}", num(batch)))],
                value: batch,
            });
            batch
        }
    };
    let update = net.update_preview(&grads, param);
    if let Some(step) = &update {
        rows.extend(update_rows(step, param));
    }
    Some(Derivation {
        param,
        scope,
        rows,
        gradient,
        update,
    })
}

/// `z_l[j] = Σ w·a + b`, written out when the layer has at most 4 inputs.
fn forward_row(net: &PlaneNet, trace: &Trace, l: usize, j: usize) -> Row {
    let layer = &net.layers()[l - 1];
    let a_in = &trace.forward.a[l - 1];
    let z = trace.forward.z[l - 1][j];
    let (s, p) = (sub(l), sub(l - 1));
    let mut numeric = Vec::new();
    let symbolic = if layer.inputs <= 4 {
        let mut text = format!("z{s}[{j}] = ");
        for (i, &a) in a_in.iter().enumerate().take(layer.inputs) {
            let _ = write!(text, "w{s}[{j},{i}]·a{p}[{i}] + ");
            numeric.push(weight_piece(layer.weight(j, i)));
            numeric.push(plain(format!("·{} + ", par(a))));
        }
        text.push_str(&format!("b{s}[{j}]"));
        text
    } else {
        numeric.push(plain(format!("Σ of {} terms + ", layer.inputs)));
        format!("z{s}[{j}] = Σ over i of w{s}[{j},i]·a{p}[i] + b{s}[{j}]")
    };
    numeric.push(plain(format!("{} = {}", par(layer.b[j]), num(z))));
    Row {
        stage: "forward",
        symbolic,
        numeric,
        value: z,
    }
}

fn activation_row(trace: &Trace, l: usize, j: usize, activation: Activation) -> Row {
    let (z, a) = (trace.forward.z[l - 1][j], trace.forward.a[l][j]);
    let s = sub(l);
    Row {
        stage: "forward",
        symbolic: format!("a{s}[{j}] = {}(z{s}[{j}])", activation.name()),
        numeric: vec![plain(format!(
            "{}({}) = {}",
            activation.name(),
            num(z),
            num(a)
        ))],
        value: a,
    }
}

fn loss_row(loss: PlaneLoss, trace: &Trace, n: usize) -> Row {
    let y_hat = trace.forward.a.last().map_or(0.0, |a| a[0]);
    let (symbolic, numeric) = match loss {
        PlaneLoss::Mse => (
            "J = ½(ŷ − y)² / N".to_string(),
            format!(
                "½({} − {})² / {n} = {}",
                num(y_hat),
                num(trace.y),
                num(trace.loss / n as f32)
            ),
        ),
        PlaneLoss::Bce => (
            "J = −[y ln ŷ + (1 − y) ln(1 − ŷ)] / N".to_string(),
            format!(
                "y = {}, ŷ = {} → {} / {n} = {}",
                num(trace.y),
                num(y_hat),
                num(trace.loss),
                num(trace.loss / n as f32)
            ),
        ),
    };
    Row {
        stage: "loss",
        symbolic,
        numeric: vec![plain(numeric)],
        value: trace.loss / n as f32,
    }
}

fn output_delta_row(loss: PlaneLoss, trace: &Trace, depth: usize, n: usize) -> Row {
    let y_hat = trace.forward.a[depth][0];
    let delta = trace.delta[depth - 1][0];
    let s = sub(depth);
    let (symbolic, numeric) = match loss {
        PlaneLoss::Mse => (
            format!("δ{s}[0] = ∂J/∂ŷ · σ′(z) = (ŷ − y)/N · ŷ(1 − ŷ)"),
            format!(
                "({} − {})/{n} · {}·(1 − {}) = {}",
                num(y_hat),
                num(trace.y),
                num(y_hat),
                num(y_hat),
                num(delta)
            ),
        ),
        PlaneLoss::Bce => (
            format!("δ{s}[0] = ∂J/∂ŷ · σ′(z) = (ŷ − y)/N"),
            format!("({} − {})/{n} = {}", num(y_hat), num(trace.y), num(delta)),
        ),
    };
    Row {
        stage: "δ output",
        symbolic,
        numeric: vec![plain(numeric)],
        value: delta,
    }
}

/// `δ_k[j] = f′(z_k[j]) · Σ_m w_{k+1}[m,j] δ_{k+1}[m]`, the sum written out up to 4 terms.
fn hidden_delta_row(
    net: &PlaneNet,
    trace: &Trace,
    k: usize,
    j: usize,
    activation: Activation,
) -> Row {
    let next = &net.layers()[k];
    let (s, t) = (sub(k), sub(k + 1));
    let dact = trace.dact[k - 1][j];
    let delta = trace.delta[k - 1][j];
    let a = trace.forward.a[k][j];
    let mut numeric = vec![plain(format!("{} · (", par(dact)))];
    let symbolic = if next.outputs <= 4 {
        let mut text = format!("δ{s}[{j}] = f′(z{s}[{j}]) · (");
        for m in 0..next.outputs {
            if m > 0 {
                text.push_str(" + ");
                numeric.push(plain(" + "));
            }
            let _ = write!(text, "w{t}[{m},{j}]·δ{t}[{m}]");
            numeric.push(weight_piece(next.weight(m, j)));
            numeric.push(plain(format!("·{}", par(trace.delta[k][m]))));
        }
        text.push(')');
        text
    } else {
        let sum: f32 = (0..next.outputs)
            .map(|m| next.weight(m, j) * trace.delta[k][m])
            .sum();
        numeric.push(plain(format!("Σ of {} terms = {}", next.outputs, num(sum))));
        format!("δ{s}[{j}] = f′(z{s}[{j}]) · Σ over m of w{t}[m,{j}]·δ{t}[m]")
    };
    numeric.push(plain(format!(") = {}", num(delta))));
    let stage = "δ hidden";
    let mut symbolic = symbolic;
    let _ = write!(
        symbolic,
        ", f′ = {} at a = {}",
        derivative_text(activation),
        num(a)
    );
    Row {
        stage,
        symbolic,
        numeric,
        value: delta,
    }
}

fn update_rows(step: &UpdateStep, param: ParamId) -> Vec<Row> {
    let (w, g, lr, new) = (step.value, step.grad, step.learning_rate, step.new_value);
    let mut rows = Vec::new();
    match &step.terms {
        UpdateTerms::Gd => rows.push(Row {
            stage: "update",
            symbolic: format!("{param} ← {param} − η · ∂J/∂{param}"),
            numeric: vec![plain(format!(
                "{} − {} · {} = {}",
                num(w),
                num(lr),
                par(g),
                num(new)
            ))],
            value: new,
        }),
        UpdateTerms::Momentum {
            velocity_before,
            velocity_after,
        } => {
            rows.push(Row {
                stage: "velocity",
                symbolic: format!("v ← {MOMENTUM}·v + ∂J/∂{param}"),
                numeric: vec![plain(format!(
                    "{MOMENTUM}·{} + {} = {}",
                    par(*velocity_before),
                    par(g),
                    num(*velocity_after)
                ))],
                value: *velocity_after,
            });
            rows.push(Row {
                stage: "update",
                symbolic: format!("{param} ← {param} − η · v"),
                numeric: vec![plain(format!(
                    "{} − {} · {} = {}",
                    num(w),
                    num(lr),
                    par(*velocity_after),
                    num(new)
                ))],
                value: new,
            });
        }
        UpdateTerms::Adam {
            t,
            m_before,
            v_before,
            m,
            v,
            m_hat,
            v_hat,
            step,
        } => {
            rows.push(Row {
                stage: "1st moment",
                symbolic: format!("m ← β₁·m + (1 − β₁)·g, β₁ = {ADAM_BETA1}"),
                numeric: vec![plain(format!(
                    "{ADAM_BETA1}·{} + {:.3}·{} = {}",
                    par(*m_before),
                    1.0 - ADAM_BETA1,
                    par(g),
                    num(*m)
                ))],
                value: *m,
            });
            rows.push(Row {
                stage: "2nd moment",
                symbolic: format!("v ← β₂·v + (1 − β₂)·g², β₂ = {ADAM_BETA2}"),
                numeric: vec![plain(format!(
                    "{ADAM_BETA2}·{} + {:.3}·{}² = {}",
                    num(*v_before),
                    1.0 - ADAM_BETA2,
                    par(g),
                    num(*v)
                ))],
                value: *v,
            });
            rows.push(Row {
                stage: "corrected",
                symbolic: format!("m_hat = m/(1 − β₁^t), v_hat = v/(1 − β₂^t), t = {t}"),
                numeric: vec![plain(format!(
                    "m_hat = {}, v_hat = {}",
                    num(*m_hat),
                    num(*v_hat)
                ))],
                value: *m_hat,
            });
            rows.push(Row {
                stage: "update",
                symbolic: format!("{param} ← {param} − η·m_hat/(√v_hat + ε), ε = {ADAM_EPS:e}"),
                numeric: vec![plain(format!("{} − {} = {}", num(w), par(*step), num(new)))],
                value: new,
            });
        }
    }
    let _ = lr;
    rows
}

/// Every character the derivation of `net`'s parameters can print (for the glyph test).
pub fn all_text(derivation: &Derivation) -> String {
    let mut text = String::new();
    for row in &derivation.rows {
        text.push_str(row.stage);
        text.push_str(&row.symbolic);
        for piece in &row.numeric {
            text.push_str(&piece.text);
        }
    }
    text
}

/// Typesets `derivation` into `ui`: a grid of stage, equation and numbers, monospace, weights
/// in their edges' colors.
pub fn derivation_ui(ui: &mut egui::Ui, derivation: &Derivation) {
    let font = egui::FontId::monospace(12.0);
    let text_color = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    egui::Grid::new("netviz-backprop-rows")
        .num_columns(3)
        .spacing([10.0, 3.0])
        .striped(true)
        .show(ui, |ui| {
            for row in &derivation.rows {
                ui.label(egui::RichText::new(row.stage).color(weak).small());
                ui.label(egui::RichText::new(&row.symbolic).font(font.clone()));
                let mut job = egui::text::LayoutJob::default();
                for piece in &row.numeric {
                    let color = piece.color.map_or(text_color, |c| {
                        let [r, g, b, _] = crate::render::scene::color_to_rgba8(c);
                        egui::Color32::from_rgb(r, g, b)
                    });
                    job.append(
                        &piece.text,
                        0.0,
                        egui::TextFormat::simple(font.clone(), color),
                    );
                }
                ui.label(job);
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::plane::DatasetKind;
    use crate::nn::plane::{PlaneOptimizer, PlaneSpec};

    fn net(
        hidden: Vec<usize>,
        activation: Activation,
        loss: PlaneLoss,
        optimizer: PlaneOptimizer,
    ) -> PlaneNet {
        PlaneNet::new(&PlaneSpec {
            hidden,
            activation,
            loss,
            optimizer,
            learning_rate: 0.05,
            batch: 0,
            seed: 7,
        })
        .unwrap()
    }

    #[test]
    fn every_glyph_the_panel_prints_is_in_the_default_fonts() {
        let ctx = egui::Context::default();
        let _ = ctx.run_ui(egui::RawInput::default(), |_| {});
        let data = Dataset2d::generate(DatasetKind::Spiral, 40, 0.1, 3);
        for loss in [PlaneLoss::Mse, PlaneLoss::Bce] {
            for optimizer in [
                PlaneOptimizer::Gd,
                PlaneOptimizer::Momentum,
                PlaneOptimizer::Adam,
            ] {
                for activation in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
                    let net = net(vec![3, 6, 2], activation, loss, optimizer);
                    for param in net.params() {
                        let d = derive(&net, &data, param, Scope::Batch(1)).unwrap();
                        let text = all_text(&d);
                        let missing: String = text
                            .chars()
                            .filter(|&c| {
                                !ctx.fonts_mut(|f| f.has_glyph(&egui::FontId::monospace(12.0), c))
                            })
                            .collect();
                        assert!(missing.is_empty(), "{param}: missing {missing:?} in {text}");
                    }
                }
            }
        }
    }

    /// The text after the last `=` of a row's numbers.
    fn last_number(row: &Row) -> String {
        let text: String = row.numeric.iter().map(|p| p.text.as_str()).collect();
        text.rsplit("= ")
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    #[test]
    fn the_panel_shows_the_trainers_gradient_a_finite_difference_and_the_update_it_makes() {
        let data = Dataset2d::generate(DatasetKind::Moons, 60, 0.1, 5);
        let (mut checked, mut kinks) = (0, 0);
        for hidden in [vec![3], vec![4, 3, 2]] {
            for loss in [PlaneLoss::Mse, PlaneLoss::Bce] {
                for activation in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
                    let optimizer = PlaneOptimizer::Gd;
                    let mut net = net(hidden.clone(), activation, loss, optimizer);
                    // A few epochs in, so the numbers are not the initial ones.
                    for _ in 0..20 {
                        net.train_epoch(&data.points, &data.labels);
                    }
                    let grads = net.backward(&data.points, &data.labels);
                    for param in net.params() {
                        let point = derive(&net, &data, param, Scope::Point(7)).unwrap();
                        let batch = derive(&net, &data, param, Scope::Batch(7)).unwrap();
                        let n = data.points.len();
                        let trace = net.trace(data.points[7], data.labels[7], n);
                        // The trainer's own numbers, exactly.
                        assert_eq!(
                            point.gradient.to_bits(),
                            trace.grad(param).unwrap().to_bits()
                        );
                        assert_eq!(
                            batch.gradient.to_bits(),
                            grads.get(param).unwrap().to_bits()
                        );
                        // Every row prints its value.
                        for row in &batch.rows {
                            assert_eq!(last_number(row), num(row.value), "{param}: {row:?}");
                        }
                        // The deltas are the trace's.
                        for row in batch.rows.iter().filter(|r| r.stage.starts_with('δ')) {
                            assert!(
                                trace
                                    .delta
                                    .iter()
                                    .flatten()
                                    .any(|d| d.to_bits() == row.value.to_bits()),
                                "{param}: {row:?}"
                            );
                        }
                        // A central difference of the loss in f32: step 1e-3, and 1e-4 where
                        // that fails for ReLU (a pre-activation within the step of its kink
                        // changes f′ inside the difference). Bound: 2e-4 + 2% of it.
                        let w = net.param(param).unwrap();
                        let fd_at = |h: f32| {
                            let mut probe = net.clone();
                            probe.set_param(param, w + h).unwrap();
                            let up = probe.loss(&data.points, &data.labels);
                            probe.set_param(param, w - h).unwrap();
                            let down = probe.loss(&data.points, &data.labels);
                            (up - down) / (2.0 * h)
                        };
                        let g = batch.gradient;
                        let close = |fd: f32| (g - fd).abs() <= 2e-4 + 2e-2 * fd.abs();
                        let mut fd = fd_at(1e-3);
                        if !close(fd) && activation == Activation::Relu {
                            fd = fd_at(1e-4);
                        }
                        // A ReLU exactly at its kink (a neuron dead for every point keeps
                        // z = b = 0) has no derivative; training uses 0 there, as PyTorch
                        // does, and a difference sees one side of it. Such parameters are
                        // counted, not compared.
                        let at_kink = activation == Activation::Relu
                            && data.points.iter().any(|&x| {
                                net.forward(x).z[..hidden.len()]
                                    .iter()
                                    .flatten()
                                    .any(|z| z.abs() <= 1e-4)
                            });
                        if !close(fd) && at_kink {
                            kinks += 1;
                            continue;
                        }
                        assert!(
                            close(fd),
                            "{hidden:?} {activation:?} {loss:?} {param}: gradient {g}, finite difference {fd}"
                        );
                        checked += 1;
                    }
                    // The update row's new value is what the next full-batch epoch makes.
                    let param = net.params()[0];
                    let d = derive(&net, &data, param, Scope::Batch(0)).unwrap();
                    let new = d.update.as_ref().unwrap().new_value;
                    assert_eq!(d.rows.last().unwrap().value.to_bits(), new.to_bits());
                    net.train_epoch(&data.points, &data.labels);
                    assert_eq!(net.param(param).unwrap().to_bits(), new.to_bits());
                }
            }
        }
        assert!(checked > 200, "{checked}");
        assert!(
            kinks * 20 < checked,
            "{kinks} parameters at a kink of {checked}"
        );
    }

    #[test]
    fn momentum_and_adam_updates_show_their_terms_and_land_where_training_does() {
        let data = Dataset2d::generate(DatasetKind::Circles, 50, 0.05, 2);
        for optimizer in [PlaneOptimizer::Momentum, PlaneOptimizer::Adam] {
            let mut net = net(vec![5, 4], Activation::Tanh, PlaneLoss::Bce, optimizer);
            for _ in 0..3 {
                net.train_epoch(&data.points, &data.labels);
            }
            for param in net.params().into_iter().step_by(7) {
                let d = derive(&net, &data, param, Scope::Batch(3)).unwrap();
                let stages: Vec<&str> = d.rows.iter().map(|r| r.stage).collect();
                match optimizer {
                    PlaneOptimizer::Momentum => assert!(stages.contains(&"velocity")),
                    _ => assert!(stages.contains(&"1st moment") && stages.contains(&"2nd moment")),
                }
                let mut next = net.clone();
                next.train_epoch(&data.points, &data.labels);
                assert_eq!(
                    next.param(param).unwrap().to_bits(),
                    d.update.unwrap().new_value.to_bits(),
                    "{optimizer:?} {param}"
                );
            }
        }
    }
}
