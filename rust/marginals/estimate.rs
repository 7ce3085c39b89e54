//! Fitting a model to noisy marginals: Private-PGM's estimator (McKenna, Sheldon & Miklau 2019,
//! Algorithm 1) in float64.
//!
//! The loss is the weighted least-squares fit of the model's marginals to the measurements,
//! `L(μ) = ½ Σ_j Σ_cells (μ_j − y_j)² / σ_j²`, minimised over the marginal polytope by entropic
//! mirror descent on the log-potentials: `θ ← θ − α ∇L(μ(θ))`, with Armijo backtracking on the
//! step size (halve on failure, grow by `growth` on success) starting at `2 / (L · total)`,
//! `L` the Lipschitz constant of ∇L, exactly as `mbi.estimation.MirrorDescent`. Unlike mbi, the
//! loop can stop early once the loss stops improving (`tol`), and it honours a time limit.

use super::hier::{Hier, HierBuffers};
use super::index::{cells, is_subset, Plan};
use super::model::{dims_of, LossOut, Model, Workspace};
use crate::error::{Error, Result};
use std::time::{Duration, Instant};

/// How far the line search may grow the step beyond `2 / (L · total)`.
const MAX_STEP_GROWTH: f64 = 1024.0;

/// One noisy marginal: `y ≈ counts over clique + N(0, σ²)` per cell.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Sorted attribute indices.
    pub clique: Vec<usize>,
    /// Noisy counts, row-major over the clique.
    pub y: Vec<f64>,
    /// Noise standard deviation: one value, or one per cell.
    pub sigma: Vec<f64>,
}

impl Measurement {
    fn precision(&self, cell: usize) -> f64 {
        let s = if self.sigma.len() == 1 {
            self.sigma[0]
        } else {
            self.sigma[cell]
        };
        1.0 / (s * s)
    }
}

/// Options of [`Model::fit`].
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// Most iterations (accepted or rejected steps).
    pub iters: usize,
    /// Stop when the loss improved by at most `tol · max(|loss|, 1)` over `check_every`
    /// iterations, `patience` times in a row. `None`: run all iterations.
    pub tol: Option<f64>,
    pub check_every: usize,
    pub patience: usize,
    /// Fixed step size instead of the line search.
    pub stepsize: Option<f64>,
    /// Step growth after an accepted step (mbi: 1.01).
    pub growth: f64,
    /// Total the marginals add up to; `None` estimates it from the measurements.
    pub total: Option<f64>,
    /// Stop (not converged) after this long.
    pub time_limit: Option<Duration>,
    /// Start the line search from the step the model's last fit ended with.
    pub warm_stepsize: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            iters: 1000,
            tol: None,
            check_every: 50,
            patience: 2,
            stepsize: None,
            growth: 1.01,
            total: None,
            time_limit: None,
            warm_stepsize: false,
        }
    }
}

/// What a fit did.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    pub iterations: usize,
    pub loss: f64,
    pub initial_loss: f64,
    pub converged: bool,
    pub timed_out: bool,
    pub stepsize: f64,
    pub total: f64,
}

/// The minimum-variance unbiased estimate of the number of records from the measurements' sums
/// (each sum is unbiased with variance Σ σ²), at least 1.
pub fn estimate_total(ms: &[Measurement]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for m in ms {
        let var: f64 = if m.sigma.len() == 1 {
            m.sigma[0] * m.sigma[0] * m.y.len() as f64
        } else {
            m.sigma.iter().map(|s| s * s).sum()
        };
        if var > 0.0 && var.is_finite() {
            num += m.y.iter().sum::<f64>() / var;
            den += 1.0 / var;
        }
    }
    if den > 0.0 {
        (num / den).max(1.0)
    } else {
        1.0
    }
}

/// Where a measurement's marginal is read from and where its gradient goes.
struct Route {
    tree_clique: usize,
    pclique: usize,
    into_theta: Plan,
}

impl Model {
    /// Checks measurements against the model: shapes, finite values, positive noise, and a
    /// potential clique containing each.
    pub fn check_measurements(&self, ms: &[Measurement]) -> Result<()> {
        for (j, m) in ms.iter().enumerate() {
            super::check_clique(&m.clique, self.sizes.len())?;
            let n = cells(&m.clique, &self.sizes);
            if m.y.len() != n {
                return Err(Error::shape(format!(
                    "measurement {j} over {:?} has {} values, its table has {n} cells",
                    m.clique,
                    m.y.len()
                )));
            }
            if !(m.sigma.len() == 1 || m.sigma.len() == n) {
                return Err(Error::shape(format!("measurement {j}: sigma needs 1 or {n} values")));
            }
            if m.sigma.iter().any(|s| !(s.is_finite() && *s > 0.0)) || m.y.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(format!(
                    "measurement {j} over {:?}: values must be finite and sigma positive",
                    m.clique
                )));
            }
            if !self.pcliques.iter().any(|k| is_subset(&m.clique, k)) {
                return Err(Error::invalid(format!(
                    "measurement {j} over {:?} is not inside any clique of the model",
                    m.clique
                )));
            }
        }
        Ok(())
    }

    fn routes(&self, ms: &[Measurement]) -> Vec<Route> {
        ms.iter()
            .map(|m| {
                let t = self.tree.containing(&m.clique).expect("checked");
                let k = (0..self.pcliques.len())
                    .filter(|&k| is_subset(&m.clique, &self.pcliques[k]))
                    .min_by_key(|&k| (self.theta[k].len(), k))
                    .unwrap_or(0);
                Route {
                    tree_clique: t,
                    pclique: k,
                    into_theta: Plan::new(&self.pcliques[k], &dims_of(&self.pcliques[k], &self.sizes), &m.clique),
                }
            })
            .collect()
    }

    /// Lipschitz constant of ∇L as mbi computes it for identity queries:
    /// `max_K Σ_{j→K} max_cell(1/σ_j²) · |K| / |clique_j|`.
    fn lipschitz(&self, ms: &[Measurement], routes: &[Route]) -> f64 {
        let mut blocks = vec![0.0; self.pcliques.len()];
        for (m, r) in ms.iter().zip(routes) {
            let prec = (0..m.sigma.len()).map(|c| m.precision(c)).fold(0.0, f64::max);
            blocks[r.pclique] += prec * self.theta[r.pclique].len() as f64 / m.y.len() as f64;
        }
        blocks.into_iter().fold(0.0, f64::max).max(f64::MIN_POSITIVE)
    }

    /// Loss and gradients from the measurements' current marginals `proj`.
    fn loss_from(ms: &[Measurement], proj: &[Vec<f64>], grad: &mut [Vec<f64>]) -> f64 {
        let mut loss = 0.0;
        for (j, m) in ms.iter().enumerate() {
            let p = &proj[j];
            let g = &mut grad[j];
            if m.sigma.len() == 1 {
                let prec = m.precision(0);
                let mut acc = 0.0;
                for ((gv, pv), yv) in g.iter_mut().zip(p.iter()).zip(&m.y) {
                    let d = pv - yv;
                    acc += d * d;
                    *gv = prec * d;
                }
                loss += 0.5 * prec * acc;
            } else {
                for (c, ((gv, pv), yv)) in g.iter_mut().zip(p.iter()).zip(&m.y).enumerate() {
                    let d = pv - yv;
                    let prec = m.precision(c);
                    loss += 0.5 * prec * d * d;
                    *gv = prec * d;
                }
            }
        }
        loss
    }

    /// Fits the potentials to the measurements, starting from the current ones (warm start).
    pub fn fit(&mut self, ms: &[Measurement], opts: &FitOptions) -> Result<FitReport> {
        self.check_measurements(ms)?;
        if !(opts.growth >= 1.0 && opts.growth.is_finite()) {
            return Err(Error::invalid(format!("growth must be ≥ 1, got {}", opts.growth)));
        }
        if let Some(s) = opts.stepsize {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::invalid(format!("stepsize must be positive, got {s}")));
            }
        }
        let total = match opts.total {
            Some(t) if t.is_finite() && t > 0.0 => t,
            Some(t) => return Err(Error::invalid(format!("total must be positive, got {t}"))),
            None => estimate_total(ms),
        };
        self.total = total;
        let start = Instant::now();
        let routes = self.routes(ms);
        // The measurements routed to each tree clique, reached through intermediate tables.
        let m = self.tree.cliques.len();
        let groups: Vec<Option<(Vec<usize>, Hier)>> = (0..m)
            .map(|c| {
                let js: Vec<usize> = (0..ms.len()).filter(|&j| routes[j].tree_clique == c).collect();
                if js.is_empty() {
                    return None;
                }
                let targets: Vec<Vec<usize>> = js.iter().map(|&j| ms[j].clique.clone()).collect();
                Some((js, Hier::new(&self.tree.cliques[c], &self.sizes, &targets)))
            })
            .collect();
        let mut scratch = vec![HierBuffers::default(); m];
        // Start from the step the last fit ended with (warm start), else from 2 / (L · total).
        // The line search grows the step at most to `MAX_STEP_GROWTH` times 2 / (L · total):
        // near the optimum the Armijo test passes on rounding noise and would grow it without
        // bound. A warm start (the step the last fit ended with) is kept within [base, cap]: a
        // fit that converged ends with a collapsed step, which must not slow the next one.
        let base = 2.0 / (self.lipschitz(ms, &routes) * total);
        let cap = base * MAX_STEP_GROWTH;
        let mut alpha = opts
            .stepsize
            .or(if opts.warm_stepsize {
                self.last_stepsize.map(|a| a.clamp(base, cap))
            } else {
                None
            })
            .unwrap_or(base);
        let mut ws = Workspace::default();
        let mut mu = std::mem::take(&mut self.mu);
        let mut proj: Vec<Vec<f64>> = ms.iter().map(|m| vec![0.0; m.y.len()]).collect();
        let mut grad = proj.clone();
        let mut proj2 = proj.clone();
        let mut grad2 = proj.clone();
        let out = LossOut {
            groups: &groups,
            out: &mut proj,
            scratch: &mut scratch,
        };
        self.log_z = self.propagate(&self.theta, &mut ws, &mut mu, Some(out));
        let mut loss = Self::loss_from(ms, &proj, &mut grad);
        let initial_loss = loss;
        let mut theta2 = self.theta.clone();
        let (mut prev_check, mut stalls) = (loss, 0usize);
        let (mut converged, mut timed_out) = (false, false);
        let mut accepted = 0usize;
        let mut it = 0;
        while it < opts.iters {
            it += 1;
            for (t2, t) in theta2.iter_mut().zip(&self.theta) {
                t2.copy_from_slice(t);
            }
            for (r, g) in routes.iter().zip(&grad) {
                r.into_theta.add_broadcast(&mut theta2[r.pclique], g, -alpha);
            }
            let out = LossOut {
                groups: &groups,
                out: &mut proj2,
                scratch: &mut scratch,
            };
            let log_z2 = self.propagate(&theta2, &mut ws, &mut mu, Some(out));
            let loss2 = Self::loss_from(ms, &proj2, &mut grad2);
            let accept = if opts.stepsize.is_some() {
                loss2.is_finite()
            } else {
                let dot: f64 = grad
                    .iter()
                    .zip(&proj)
                    .zip(&proj2)
                    .map(|((g, p), p2)| g.iter().zip(p).zip(p2).map(|((g, a), b)| g * (a - b)).sum::<f64>())
                    .sum();
                loss2.is_finite() && loss - loss2 >= 0.5 * alpha * dot
            };
            if accept {
                std::mem::swap(&mut self.theta, &mut theta2);
                std::mem::swap(&mut proj, &mut proj2);
                std::mem::swap(&mut grad, &mut grad2);
                loss = loss2;
                self.log_z = log_z2;
                if opts.stepsize.is_none() {
                    alpha = (alpha * opts.growth).min(cap);
                }
                accepted += 1;
            } else if opts.stepsize.is_none() {
                alpha *= 0.5;
            }
            if let Some(tol) = opts.tol {
                if it % opts.check_every.max(1) == 0 {
                    // A window of rejected steps is the line search at work, not convergence
                    // (unless the step has collapsed).
                    let stuck = accepted == 0 && alpha < base * 1e-12;
                    let done = (accepted > 0 || stuck) && prev_check - loss <= tol * loss.abs().max(1.0);
                    accepted = 0;
                    stalls = if done { stalls + 1 } else { 0 };
                    prev_check = loss;
                    if stalls >= opts.patience.max(1) {
                        converged = true;
                        break;
                    }
                }
            }
            if let Some(limit) = opts.time_limit {
                if start.elapsed() >= limit {
                    timed_out = true;
                    break;
                }
            }
        }
        // The marginals of the accepted potentials, normalised.
        self.log_z = self.belief_propagation(&self.theta, &mut ws, &mut mu);
        self.mu = mu;
        if opts.stepsize.is_none() {
            self.last_stepsize = Some(alpha);
        }
        Ok(FitReport {
            iterations: it,
            loss,
            initial_loss,
            converged,
            timed_out,
            stepsize: alpha,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marginals::model::tests::{brute_joint, brute_marginal};

    fn exact(model: &Model, cliques: &[Vec<usize>]) -> Vec<Measurement> {
        let joint = brute_joint(model);
        cliques
            .iter()
            .map(|c| Measurement {
                clique: c.clone(),
                y: brute_marginal(model, &joint, c),
                sigma: vec![1.0],
            })
            .collect()
    }

    #[test]
    fn recovers_consistent_marginals() {
        // Marginals of a model in the family are fitted to (near) zero loss.
        let truth = crate::marginals::model::tests::random_model(11, 5, 4);
        let cliques = truth.pcliques.clone();
        let ms = exact(&truth, &cliques);
        let mut model = Model::new(&truth.sizes, &cliques, 1.0, usize::MAX).unwrap();
        let opts = FitOptions {
            iters: 3000,
            ..Default::default()
        };
        let rep = model.fit(&ms, &opts).unwrap();
        assert!((rep.total - 1000.0).abs() < 1e-6, "{}", rep.total);
        assert!(rep.loss < 1e-3 * rep.initial_loss, "{rep:?}");
        for m in &ms {
            let got = model.clique_marginal(&m.clique).unwrap();
            for (a, b) in got.iter().zip(&m.y) {
                assert!((a - b).abs() < 0.5, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn early_stopping_and_time_limit() {
        let truth = crate::marginals::model::tests::random_model(5, 6, 5);
        let ms = exact(&truth, &truth.pcliques.clone());
        let mut model = Model::new(&truth.sizes, &truth.pcliques, 1.0, usize::MAX).unwrap();
        let rep = model
            .fit(
                &ms,
                &FitOptions {
                    iters: 100_000,
                    tol: Some(1e-6),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(rep.converged && rep.iterations < 100_000, "{rep:?}");
        let mut model = Model::new(&truth.sizes, &truth.pcliques, 1.0, usize::MAX).unwrap();
        let rep = model
            .fit(
                &ms,
                &FitOptions {
                    iters: usize::MAX,
                    time_limit: Some(Duration::from_millis(20)),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(rep.timed_out);
    }

    #[test]
    fn bad_measurements_are_refused() {
        let mut model = Model::new(&[2, 3], &[vec![0], vec![1]], 1.0, usize::MAX).unwrap();
        let m = |c: Vec<usize>, y: Vec<f64>, s: f64| Measurement {
            clique: c,
            y,
            sigma: vec![s],
        };
        assert!(model
            .fit(&[m(vec![0, 1], vec![0.0; 6], 1.0)], &FitOptions::default())
            .is_err());
        assert!(model
            .fit(&[m(vec![0], vec![0.0; 3], 1.0)], &FitOptions::default())
            .is_err());
        assert!(model
            .fit(&[m(vec![0], vec![0.0; 2], 0.0)], &FitOptions::default())
            .is_err());
        assert!(model
            .fit(&[m(vec![0], vec![f64::NAN, 1.0], 1.0)], &FitOptions::default())
            .is_err());
        assert!(model
            .fit(&[m(vec![0], vec![3.0, 1.0], 1.0)], &FitOptions::default())
            .is_ok());
    }
}
