//! A discrete graphical model in the style of Private-PGM: log-potentials on a set of cliques,
//! calibrated by belief propagation on a junction tree in log space (float64).
//!
//! The parameters live on the *potential cliques* (the maximal cliques among those the model was
//! built from, as in Private-PGM), which are small; belief propagation runs on the junction
//! tree's cliques, whose potentials are the sums of the parameters routed to them. The marginals
//! are kept in count scale: every clique table sums to `total`.

use super::index::{is_subset, max, Plan};
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
    /// Tree clique each potential clique is added to, and the plan from that clique to it.
    pub(crate) route: Vec<(usize, Plan)>,
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
}

/// Buffers belief propagation reuses across calls.
#[derive(Debug, Default)]
pub struct Workspace {
    beta: Vec<Vec<f64>>,
    msg: Vec<Vec<f64>>,
    sep: Vec<f64>,
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
        let route = pcliques
            .iter()
            .map(|k| {
                let t = tree.containing(k).expect("the tree covers every clique");
                (t, Plan::new(&tree.cliques[t], &tree.dims[t], k))
            })
            .collect();
        let (up, down) = separator_plans(&tree);
        let theta = pcliques
            .iter()
            .map(|k| vec![0.0; super::index::cells(k, sizes)])
            .collect();
        let mut model = Model {
            sizes: sizes.to_vec(),
            tree,
            pcliques,
            theta,
            route,
            up,
            down,
            total,
            mu: Vec::new(),
            log_z: 0.0,
            max_cells,
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
        let t = &self.tree;
        let m = t.cliques.len();
        if ws.beta.len() != m {
            ws.beta = t.sizes.iter().map(|&s| vec![0.0; s]).collect();
            ws.msg = t
                .sep
                .iter()
                .map(|s| vec![0.0; super::index::cells(s, &self.sizes)])
                .collect();
            ws.scratch = vec![0.0; t.sizes.iter().copied().max().unwrap_or(1)];
        }
        if mu.len() != m {
            *mu = t.sizes.iter().map(|&s| vec![0.0; s]).collect();
        }
        for b in &mut ws.beta {
            b.fill(0.0);
        }
        for ((ti, plan), th) in self.route.iter().zip(theta) {
            plan.add_broadcast(&mut ws.beta[*ti], th, 1.0);
        }
        // Collect: leaves to root.
        for &i in t.order.iter().rev() {
            if let Some(p) = t.parent[i] {
                let msg = &mut ws.msg[i];
                log_sum_to(&ws.beta[i], &self.up[i], msg, &mut ws.scratch);
                self.down[i].add_broadcast(&mut ws.beta[p], msg, 1.0);
            }
        }
        // Distribute: root to leaves. beta[i] holds the full belief when i is reached.
        let mut log_z = 0.0;
        for &i in &t.order {
            let b = &ws.beta[i];
            let shift = max(b);
            let z = exp_sum(b, shift, &mut mu[i]);
            if t.parent[i].is_none() {
                log_z = z.ln() + shift;
            }
            for &c in &t.children[i] {
                let n_sep = self.down[c].inner_size;
                ws.sep.clear();
                ws.sep.resize(n_sep, 0.0);
                self.down[c].sum_into(&mu[i], &mut ws.sep);
                for (s, up) in ws.sep.iter_mut().zip(&ws.msg[c]) {
                    // ln 0 = −∞: a separator cell of (numerically) zero probability.
                    *s = s.ln() + shift - up;
                }
                let sep = std::mem::take(&mut ws.sep);
                self.up[c].add_broadcast(&mut ws.beta[c], &sep, 1.0);
                ws.sep = sep;
            }
            let scale = self.total / z;
            for v in mu[i].iter_mut() {
                *v *= scale;
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
