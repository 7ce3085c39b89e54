//! A discrete graphical model in the style of Private-PGM: log-potentials on a set of cliques,
//! calibrated by belief propagation on a junction tree in log space (float64).
//!
//! The parameters live on the *potential cliques* (the maximal cliques among those the model was
//! built from, as in Private-PGM), which are small; belief propagation runs on the junction
//! tree's cliques, whose potentials are the sums of the parameters routed to them. The marginals
//! are kept in count scale: every clique table sums to `total`.

use super::hier::{Hier, HierBuffers};
use super::index::{add_many, is_subset, max, sum_many, Plan};
use super::jtree::{maximal_cliques, JunctionTree};
use super::mathx::{exp_one, exp_sum};
use crate::error::{Error, Result};

/// A fitted (or freshly initialised) model.
#[derive(Clone, Debug)]
pub struct Model {
    /// Domain size of every attribute.
    pub sizes: Vec<usize>,
    /// The junction tree belief propagation runs on.
    pub tree: JunctionTree,
    /// Potential cliques (maximal among the cliques given), sorted.
    pub pcliques: Vec<Vec<usize>>,
    /// Log-potentials, one table per potential clique.
    pub theta: Vec<Vec<f64>>,
    /// Child clique `i` → separator with its parent.
    pub(crate) up: Vec<Plan>,
    /// Parent of `i` → separator with `i`.
    pub(crate) down: Vec<Plan>,
    /// Number of records the marginals add up to.
    pub total: f64,
    /// Marginals of the tree's cliques in count scale (after [`Model::calibrate`]).
    pub mu: Vec<Vec<f64>>,
    /// Log partition function of the potentials.
    pub log_z: f64,
    /// The cell limit the model was built under.
    pub max_cells: usize,
    /// The step size the last fit ended with (the next fit starts from it).
    pub last_stepsize: Option<f64>,
    /// For each tree clique: the parameter tables routed to it and how to add them in.
    pot_hier: Vec<Option<(Vec<usize>, Hier)>>,
}

/// Where [`Model::propagate`] writes the measurements' marginals: for each tree clique the
/// measurements routed to it and how to reach them, one output table per measurement, and
/// scratch space per tree clique.
pub struct LossOut<'a> {
    pub groups: &'a [Option<(Vec<usize>, Hier)>],
    pub out: &'a mut [Vec<f64>],
    pub scratch: &'a mut [HierBuffers],
}

/// Buffers belief propagation reuses across calls.
#[derive(Debug, Default)]
pub struct Workspace {
    hier: Vec<HierBuffers>,
    down: Vec<Vec<f64>>,
    scales: Vec<f64>,
    beta: Vec<Vec<f64>>,
    msg: Vec<Vec<f64>>,
    scratch: Vec<f64>,
}

impl Model {
    /// A model over attributes with these domain sizes whose potentials cover `cliques` (each a
    /// sorted list of attribute indices), with zero potentials (the uniform distribution).
    pub fn new(sizes: &[usize], cliques: &[Vec<usize>], total: f64, max_cells: usize) -> Result<Model> {
        if let Some(j) = sizes.iter().position(|&s| s == 0) {
            return Err(Error::invalid(format!("attribute {j} has domain size 0")));
        }
        if !(total.is_finite() && total > 0.0) {
            return Err(Error::invalid(format!(
                "total must be positive and finite, got {total}"
            )));
        }
        let pcliques: Vec<Vec<usize>> = maximal_cliques(cliques).into_iter().filter(|c| !c.is_empty()).collect();
        let tree = JunctionTree::build(sizes, &pcliques, max_cells)?;
        let route: Vec<usize> = pcliques
            .iter()
            .map(|k| tree.containing(k).expect("the tree covers every clique"))
            .collect();
        let (up, down) = separator_plans(&tree);
        let pot_hier = (0..tree.cliques.len())
            .map(|c| {
                let members: Vec<usize> = (0..pcliques.len()).filter(|&k| route[k] == c).collect();
                if members.is_empty() {
                    return None;
                }
                let targets: Vec<Vec<usize>> = members.iter().map(|&k| pcliques[k].clone()).collect();
                Some((members, Hier::new(&tree.cliques[c], sizes, &targets)))
            })
            .collect();
        let theta = pcliques
            .iter()
            .map(|k| vec![0.0; super::index::cells(k, sizes)])
            .collect();
        let mut model = Model {
            sizes: sizes.to_vec(),
            tree,
            pcliques,
            theta,
            up,
            down,
            total,
            mu: Vec::new(),
            log_z: 0.0,
            max_cells,
            last_stepsize: None,
            pot_hier,
        };
        model.calibrate();
        Ok(model)
    }

    /// A model whose potential cliques also cover `extra`, starting from this model's potentials
    /// (each old parameter table is added into a new potential clique containing it).
    pub fn with_cliques(&self, extra: &[Vec<usize>], max_cells: usize) -> Result<Model> {
        let mut all = self.pcliques.clone();
        all.extend(extra.iter().cloned());
        let mut next = Model::new(&self.sizes, &all, self.total, max_cells)?;
        for (k, th) in self.pcliques.iter().zip(&self.theta) {
            let j = (0..next.pcliques.len())
                .filter(|&j| is_subset(k, &next.pcliques[j]))
                .min_by_key(|&j| next.theta[j].len())
                .expect("new cliques cover the old ones");
            let plan = Plan::new(&next.pcliques[j], &dims_of(&next.pcliques[j], &self.sizes), k);
            plan.add_broadcast(&mut next.theta[j], th, 1.0);
        }
        next.last_stepsize = self.last_stepsize;
        next.calibrate();
        Ok(next)
    }

    /// Replaces the potentials (tables in `pcliques` order) and recalibrates.
    pub fn set_theta(&mut self, theta: Vec<Vec<f64>>) -> Result<()> {
        if theta.len() != self.theta.len() || theta.iter().zip(&self.theta).any(|(a, b)| a.len() != b.len()) {
            return Err(Error::shape("potentials do not match the model's cliques".to_string()));
        }
        if theta.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::invalid("potentials must be finite".to_string()));
        }
        self.theta = theta;
        self.calibrate();
        Ok(())
    }

    /// Sets the total the marginals add up to.
    pub fn set_total(&mut self, total: f64) -> Result<()> {
        if !(total.is_finite() && total > 0.0) {
            return Err(Error::invalid(format!(
                "total must be positive and finite, got {total}"
            )));
        }
        self.total = total;
        self.calibrate();
        Ok(())
    }

    /// Recomputes the marginals from the current potentials.
    pub fn calibrate(&mut self) {
        let mut ws = Workspace::default();
        let mut mu = std::mem::take(&mut self.mu);
        self.log_z = self.belief_propagation(&self.theta, &mut ws, &mut mu);
        self.mu = mu;
    }

    /// Belief propagation (collect then distribute, log space) for potentials `theta`; writes the
    /// clique marginals (count scale) into `mu` and returns log Z.
    pub fn belief_propagation(&self, theta: &[Vec<f64>], ws: &mut Workspace, mu: &mut Vec<Vec<f64>>) -> f64 {
        let log_z = self.propagate(theta, ws, mu, None);
        self.scale_marginals(ws, mu);
        log_z
    }

    /// Scales the tables [`Model::propagate`] left unnormalised into count-scale marginals.
    pub fn scale_marginals(&self, ws: &Workspace, mu: &mut [Vec<f64>]) {
        for (t, &f) in mu.iter_mut().zip(&ws.scales) {
            for v in t.iter_mut() {
                *v *= f;
            }
        }
    }

    /// Belief propagation that leaves `mu[c]` unnormalised (`mu[c] · ws.scales[c]` is the
    /// marginal) and, when asked, sums every clique onto the measurements routed to it in the
    /// same pass as its separators (`loss.out`, count scale). Each large clique table is walked
    /// a handful of times per call: once to add its potentials and incoming messages, once for
    /// its maximum, once for `exp`, once for every sum out of it.
    pub fn propagate(
        &self,
        theta: &[Vec<f64>],
        ws: &mut Workspace,
        mu: &mut Vec<Vec<f64>>,
        mut loss: Option<LossOut<'_>>,
    ) -> f64 {
        let t = &self.tree;
        let m = t.cliques.len();
        if ws.beta.len() != m {
            ws.beta = t.sizes.iter().map(|&s| vec![0.0; s]).collect();
            ws.msg = t
                .sep
                .iter()
                .map(|s| vec![0.0; super::index::cells(s, &self.sizes)])
                .collect();
            ws.down = ws.msg.clone();
            ws.scratch = vec![0.0; t.sizes.iter().copied().max().unwrap_or(1)];
            ws.hier = vec![HierBuffers::default(); m];
            ws.scales = vec![1.0; m];
        }
        if mu.len() != m {
            *mu = t.sizes.iter().map(|&s| vec![0.0; s]).collect();
        }
        // Collect, leaves to root: potentials and the children's messages in one pass.
        for &i in t.order.iter().rev() {
            let b = &mut ws.beta[i];
            b.fill(0.0);
            let plans: Vec<&Plan> = t.children[i].iter().map(|&c| &self.down[c]).collect();
            let msgs: Vec<&[f64]> = t.children[i].iter().map(|&c| ws.msg[c].as_slice()).collect();
            match &self.pot_hier[i] {
                Some((members, hier)) => {
                    let tables: Vec<&[f64]> = members.iter().map(|&k| theta[k].as_slice()).collect();
                    hier.broadcast_fused(b, &tables, 1.0, &plans, &msgs, &mut ws.hier[i]);
                }
                None => add_many(&plans, b, &msgs, 1.0),
            }
            if t.parent[i].is_some() {
                let mut msg = std::mem::take(&mut ws.msg[i]);
                log_sum_to(&ws.beta[i], &self.up[i], &mut msg, &mut ws.scratch);
                ws.msg[i] = msg;
            }
        }
        // Distribute, root to leaves.
        let mut log_z = 0.0;
        for &i in &t.order {
            if t.parent[i].is_some() {
                self.up[i].add_broadcast(&mut ws.beta[i], &ws.down[i], 1.0);
            }
            let b = &ws.beta[i];
            let shift = max(b);
            let z = exp_sum(b, shift, &mut mu[i]);
            if t.parent[i].is_none() {
                log_z = z.ln() + shift;
            }
            let scale = self.total / z;
            ws.scales[i] = scale;
            let plans: Vec<&Plan> = t.children[i].iter().map(|&c| &self.down[c]).collect();
            let mut seps: Vec<Vec<f64>> = t.children[i].iter().map(|&c| std::mem::take(&mut ws.down[c])).collect();
            for s in seps.iter_mut() {
                s.fill(0.0);
            }
            match loss.as_mut().and_then(|l| l.groups[i].as_ref().map(|g| (g, l))) {
                Some(((members, hier), l)) => {
                    let mut bufs: Vec<Vec<f64>> = members.iter().map(|&j| std::mem::take(&mut l.out[j])).collect();
                    hier.sum_fused(&mu[i], &plans, &mut seps, &mut bufs, &mut l.scratch[i]);
                    for (&j, mut buf) in members.iter().zip(bufs) {
                        for v in buf.iter_mut() {
                            *v *= scale;
                        }
                        l.out[j] = buf;
                    }
                }
                None => sum_many(&plans, &mu[i], &mut seps),
            }
            for (&c, mut sep) in t.children[i].iter().zip(seps) {
                for (s, up) in sep.iter_mut().zip(&ws.msg[c]) {
                    // ln 0 = −∞: a separator cell of (numerically) zero probability.
                    *s = s.ln() + shift - up;
                }
                ws.down[c] = sep;
            }
        }
        log_z
    }

    /// The marginal over `attrs` (sorted) of a clique of the tree that contains them, if one does.
    pub fn clique_marginal(&self, attrs: &[usize]) -> Option<Vec<f64>> {
        let i = self.tree.containing(attrs)?;
        let plan = Plan::new(&self.tree.cliques[i], &self.tree.dims[i], attrs);
        let mut out = vec![0.0; plan.inner_size];
        plan.sum_into(&self.mu[i], &mut out);
        Some(out)
    }

    /// Total cells of the tree's clique tables.
    pub fn cells(&self) -> usize {
        self.tree.total_cells()
    }
}

pub(crate) fn dims_of(attrs: &[usize], sizes: &[usize]) -> Vec<usize> {
    attrs.iter().map(|&a| sizes[a]).collect()
}

fn separator_plans(tree: &JunctionTree) -> (Vec<Plan>, Vec<Plan>) {
    let m = tree.cliques.len();
    let mut up = Vec::with_capacity(m);
    let mut down = Vec::with_capacity(m);
    for i in 0..m {
        up.push(Plan::new(&tree.cliques[i], &tree.dims[i], &tree.sep[i]));
        let p = tree.parent[i].unwrap_or(i);
        down.push(Plan::new(&tree.cliques[p], &tree.dims[p], &tree.sep[i]));
    }
    (up, down)
}

/// `out = log Σ exp(beta)` onto the plan's inner table. Fast path: one shift for the whole
/// table; cells whose sums underflow are redone with a per-cell shift.
fn log_sum_to(beta: &[f64], plan: &Plan, out: &mut [f64], scratch: &mut [f64]) {
    let shift = max(beta);
    let e = &mut scratch[..beta.len()];
    exp_sum(beta, shift, e);
    out.fill(0.0);
    plan.sum_into(e, out);
    if out.iter().all(|&s| s > 1e-250) {
        for s in out.iter_mut() {
            *s = s.ln() + shift;
        }
        return;
    }
    let mut mx = vec![f64::NEG_INFINITY; out.len()];
    plan.max_into(beta, &mut mx);
    out.fill(0.0);
    plan.walk(|o, len, i, step| {
        if step == 1 {
            for t in 0..len {
                out[i + t] += exp_one(beta[o + t], mx[i + t]);
            }
        } else {
            out[i] += beta[o..o + len].iter().map(|&b| exp_one(b, mx[i])).sum::<f64>();
        }
    });
    for (s, m) in out.iter_mut().zip(&mx) {
        *s = s.ln() + m;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::marginals::index::strides;

    /// The full joint (count scale) of a model by brute force over all cells.
    pub fn brute_joint(model: &Model) -> Vec<f64> {
        let n = model.sizes.len();
        let all: Vec<usize> = (0..n).collect();
        let total: usize = model.sizes.iter().product();
        let mut logp = vec![0.0; total];
        for (k, th) in model.pcliques.iter().zip(&model.theta) {
            let plan = Plan::new(&all, &model.sizes, k);
            plan.add_broadcast(&mut logp, th, 1.0);
        }
        let m = logp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let p: Vec<f64> = logp.iter().map(|v| (v - m).exp()).collect();
        let z: f64 = p.iter().sum();
        p.iter().map(|v| v / z * model.total).collect()
    }

    pub fn brute_marginal(model: &Model, joint: &[f64], attrs: &[usize]) -> Vec<f64> {
        let all: Vec<usize> = (0..model.sizes.len()).collect();
        let plan = Plan::new(&all, &model.sizes, attrs);
        let mut out = vec![0.0; plan.inner_size];
        plan.sum_into(joint, &mut out);
        out
    }

    pub fn random_model(seed: u64, n: usize, n_cliques: usize) -> Model {
        let mut s = seed;
        let mut next = |k: usize| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 33) as usize) % k
        };
        let sizes: Vec<usize> = (0..n).map(|_| 1 + next(3)).collect();
        let cliques: Vec<Vec<usize>> = (0..n_cliques)
            .map(|_| {
                let mut c: Vec<usize> = (0..1 + next(3)).map(|_| next(n)).collect();
                c.sort_unstable();
                c.dedup();
                c
            })
            .collect();
        let mut model = Model::new(&sizes, &cliques, 1000.0, usize::MAX).unwrap();
        let theta = model
            .theta
            .iter()
            .map(|t| t.iter().map(|_| (next(1000) as f64 / 100.0) - 5.0).collect())
            .collect();
        model.set_theta(theta).unwrap();
        model
    }

    #[test]
    fn belief_propagation_matches_brute_force() {
        for seed in 0..60 {
            let model = random_model(seed, 2 + (seed as usize % 6), 1 + (seed as usize % 7));
            let joint = brute_joint(&model);
            for (i, c) in model.tree.cliques.iter().enumerate() {
                let want = brute_marginal(&model, &joint, c);
                for (a, b) in model.mu[i].iter().zip(&want) {
                    assert!((a - b).abs() <= 1e-9 * model.total, "seed {seed}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn extreme_potentials_stay_finite() {
        let sizes = [3, 3, 3];
        let mut model = Model::new(&sizes, &[vec![0, 1], vec![1, 2]], 10.0, usize::MAX).unwrap();
        let theta = vec![
            vec![0.0, -2000.0, -2000.0, -2000.0, 0.0, -2000.0, -2000.0, -2000.0, 900.0],
            vec![5000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -5000.0],
        ];
        model.set_theta(theta).unwrap();
        for t in &model.mu {
            assert!(t.iter().all(|v| v.is_finite() && *v >= 0.0));
            assert!((t.iter().sum::<f64>() - 10.0).abs() < 1e-9);
        }
        assert!(model.log_z.is_finite());
    }

    #[test]
    fn warm_start_keeps_the_distribution() {
        let model = random_model(3, 5, 3);
        let joint = brute_joint(&model);
        let bigger = model.with_cliques(&[vec![0, 4]], usize::MAX).unwrap();
        let joint2 = brute_joint(&bigger);
        for (a, b) in joint.iter().zip(&joint2) {
            assert!((a - b).abs() < 1e-9 * model.total);
        }
        let _ = strides(&[2, 3]);
    }
}
