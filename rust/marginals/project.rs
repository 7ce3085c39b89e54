//! Marginals of a calibrated model over arbitrary attribute sets, many at once (AIM's hot step).
//!
//! A set inside one clique of the junction tree is summed out of the smallest such clique. Any
//! other set is computed exactly on the smallest connected subtree whose cliques cover it: that
//! subtree's joint is `Π μ_C / Π μ_S`, so each clique sends its parent (within the subtree) the
//! conditional `μ_C / μ_S` times its children's messages, summed over every attribute the rest
//! of the subtree and the target do not need. Each message is a small variable elimination with
//! a greedy order; attributes private to one clique are summed out first. Targets run in
//! parallel.

use super::index::{cells, intersect, is_subset, union, Plan};
use super::model::{dims_of, Model};
use crate::error::{Error, Result};
use rayon::prelude::*;

/// A dense table over sorted attributes.
#[derive(Clone, Debug)]
pub struct Factor {
    pub attrs: Vec<usize>,
    pub vals: Vec<f64>,
}

impl Factor {
    fn sum_to(&self, keep: &[usize], sizes: &[usize]) -> Factor {
        let plan = Plan::new(&self.attrs, &dims_of(&self.attrs, sizes), keep);
        let mut vals = vec![0.0; plan.inner_size];
        plan.sum_into(&self.vals, &mut vals);
        Factor {
            attrs: keep.to_vec(),
            vals,
        }
    }
}

/// `Σ_{scope \ keep} Π factors`, walking the union of the factors' scopes once. Refuses walks
/// longer than `limit` cells.
fn product_sum(factors: &[&Factor], keep: &[usize], sizes: &[usize], limit: usize) -> Result<Factor> {
    let scope = factors.iter().fold(keep.to_vec(), |acc, f| union(&acc, &f.attrs));
    let n = cells(&scope, sizes);
    if n > limit {
        return Err(Error::Memory(format!(
            "projecting onto {keep:?} needs a table of {n} cells over attributes {scope:?} (limit \
             {limit}); use fewer bins or a smaller model"
        )));
    }
    let dims = dims_of(&scope, sizes);
    // Stride of every scope axis in each factor and in the output (0 when absent).
    let stride_in = |attrs: &[usize]| -> Vec<usize> {
        let d = dims_of(attrs, sizes);
        let st = super::index::strides(&d);
        scope
            .iter()
            .map(|a| attrs.binary_search(a).map(|p| st[p]).unwrap_or(0))
            .collect()
    };
    let fstr: Vec<Vec<usize>> = factors.iter().map(|f| stride_in(&f.attrs)).collect();
    let ostr = stride_in(keep);
    let mut out = vec![0.0; cells(keep, sizes)];
    let k = scope.len();
    let mut digits = vec![0usize; k];
    let mut fidx = vec![0usize; factors.len()];
    let mut oidx = 0usize;
    for _ in 0..n {
        let mut p = 1.0;
        for (f, &i) in factors.iter().zip(&fidx) {
            p *= f.vals[i];
        }
        out[oidx] += p;
        let mut j = k;
        while j > 0 {
            j -= 1;
            digits[j] += 1;
            for (fi, st) in fidx.iter_mut().zip(&fstr) {
                *fi += st[j];
            }
            oidx += ostr[j];
            if digits[j] < dims[j] {
                break;
            }
            for (fi, st) in fidx.iter_mut().zip(&fstr) {
                *fi -= st[j] * dims[j];
            }
            oidx -= ostr[j] * dims[j];
            digits[j] = 0;
        }
    }
    Ok(Factor {
        attrs: keep.to_vec(),
        vals: out,
    })
}

/// Sums every attribute outside `keep` out of the product of `factors`, one attribute at a time
/// in a greedy (smallest table first) order.
fn eliminate(mut factors: Vec<Factor>, keep: &[usize], sizes: &[usize], limit: usize) -> Result<Factor> {
    // Attributes in only one factor and not kept: sum them out of that factor directly.
    for i in 0..factors.len() {
        let shared: Vec<usize> = factors[i]
            .attrs
            .iter()
            .copied()
            .filter(|a| {
                keep.binary_search(a).is_ok()
                    || factors
                        .iter()
                        .enumerate()
                        .any(|(j, g)| j != i && g.attrs.binary_search(a).is_ok())
            })
            .collect();
        if shared.len() < factors[i].attrs.len() {
            factors[i] = factors[i].sum_to(&shared, sizes);
        }
    }
    loop {
        let mut pending: Vec<usize> = factors
            .iter()
            .flat_map(|f| f.attrs.iter().copied())
            .filter(|a| keep.binary_search(a).is_err())
            .collect();
        pending.sort_unstable();
        pending.dedup();
        if pending.is_empty() {
            break;
        }
        let cost = |v: usize| -> usize {
            let scope = factors
                .iter()
                .filter(|f| f.attrs.binary_search(&v).is_ok())
                .fold(Vec::new(), |acc, f| union(&acc, &f.attrs));
            cells(&scope, sizes)
        };
        let v = *pending.iter().min_by_key(|&&v| (cost(v), v)).expect("pending");
        let (with, without): (Vec<Factor>, Vec<Factor>) =
            factors.into_iter().partition(|f| f.attrs.binary_search(&v).is_ok());
        let scope = with.iter().fold(Vec::new(), |acc, f| union(&acc, &f.attrs));
        let out_attrs: Vec<usize> = scope.into_iter().filter(|&a| a != v).collect();
        let refs: Vec<&Factor> = with.iter().collect();
        let f = product_sum(&refs, &out_attrs, sizes, limit)?;
        factors = without;
        factors.push(f);
    }
    let refs: Vec<&Factor> = factors.iter().collect();
    product_sum(&refs, keep, sizes, limit)
}

impl Model {
    /// The marginals (count scale) over each target, a sorted attribute list.
    pub fn project_many(&self, targets: &[Vec<usize>], limit: usize) -> Result<Vec<Vec<f64>>> {
        for t in targets {
            super::check_clique(t, self.sizes.len())?;
        }
        targets.par_iter().map(|t| self.project(t, limit)).collect()
    }

    /// The marginal over one target.
    pub fn project(&self, target: &[usize], limit: usize) -> Result<Vec<f64>> {
        if let Some(m) = self.clique_marginal(target) {
            return Ok(m);
        }
        let tree = &self.tree;
        let m = tree.cliques.len();
        // Minimal subtree: prune leaves that are not needed to cover the target, largest first.
        let mut alive = vec![true; m];
        let mut nbrs: Vec<Vec<usize>> = vec![Vec::new(); m];
        for i in 0..m {
            if let Some(p) = tree.parent[i] {
                nbrs[i].push(p);
                nbrs[p].push(i);
            }
        }
        let mut need: Vec<usize> = target
            .iter()
            .map(|a| (0..m).filter(|&i| tree.cliques[i].binary_search(a).is_ok()).count())
            .collect();
        let mut by_size: Vec<usize> = (0..m).collect();
        by_size.sort_by_key(|&i| (std::cmp::Reverse(tree.sizes[i]), i));
        loop {
            let mut changed = false;
            for &i in &by_size {
                if !alive[i] {
                    continue;
                }
                let deg = nbrs[i].iter().filter(|&&j| alive[j]).count();
                if deg > 1 || alive.iter().filter(|&&a| a).count() == 1 {
                    continue;
                }
                let removable = target
                    .iter()
                    .zip(&need)
                    .all(|(a, &n)| tree.cliques[i].binary_search(a).is_err() || n >= 2);
                if removable {
                    alive[i] = false;
                    for (a, n) in target.iter().zip(need.iter_mut()) {
                        if tree.cliques[i].binary_search(a).is_ok() {
                            *n -= 1;
                        }
                    }
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let nodes: Vec<usize> = (0..m).filter(|&i| alive[i]).collect();
        // Root the subtree at the node holding most target attributes; walk it depth first.
        let root = *nodes
            .iter()
            .max_by_key(|&&i| {
                (
                    intersect(&tree.cliques[i], target).len(),
                    std::cmp::Reverse(tree.sizes[i]),
                )
            })
            .expect("a node");
        let mut parent = vec![usize::MAX; m];
        let mut order = vec![root];
        let mut k = 0;
        while k < order.len() {
            let v = order[k];
            for &u in &nbrs[v] {
                if alive[u] && u != root && parent[u] == usize::MAX && u != parent[v] {
                    parent[u] = v;
                    order.push(u);
                }
            }
            k += 1;
        }
        let mut msgs: Vec<Option<Factor>> = vec![None; m];
        for &c in order.iter().rev() {
            let clique = &tree.cliques[c];
            let children: Vec<usize> = order.iter().copied().filter(|&u| u != root && parent[u] == c).collect();
            let sep_up: Vec<usize> = if c == root {
                Vec::new()
            } else {
                intersect(clique, &tree.cliques[parent[c]])
            };
            let mut keep = intersect(clique, target);
            keep = union(&keep, &sep_up);
            for &d in &children {
                keep = union(&keep, &intersect(clique, &tree.cliques[d]));
            }
            let plan = Plan::new(clique, &tree.dims[c], &keep);
            let mut local = vec![0.0; plan.inner_size];
            plan.sum_into(&self.mu[c], &mut local);
            let mut local = Factor {
                attrs: keep.clone(),
                vals: local,
            };
            if c != root {
                // Condition on the separator with the parent: μ_C / μ_S (0 where μ_S = 0).
                let sp = Plan::new(&keep, &dims_of(&keep, &self.sizes), &sep_up);
                let mut ms = vec![0.0; sp.inner_size];
                sp.sum_into(&local.vals, &mut ms);
                let inv: Vec<f64> = ms.iter().map(|&v| if v > 0.0 { 1.0 / v } else { 0.0 }).collect();
                let mut scaled = vec![0.0; local.vals.len()];
                sp.walk(|o, len, i, step| {
                    for t in 0..len {
                        scaled[o + t] = local.vals[o + t] * inv[i + t * step];
                    }
                });
                local.vals = scaled;
            }
            let mut factors = vec![local];
            let mut carried: Vec<usize> = Vec::new();
            for &d in &children {
                let f = msgs[d].take().expect("child message");
                carried = union(&carried, &intersect(&f.attrs, target));
                factors.push(f);
            }
            let out_keep = if c == root {
                target.to_vec()
            } else {
                union(&sep_up, &union(&intersect(clique, target), &carried))
            };
            msgs[c] = Some(eliminate(factors, &out_keep, &self.sizes, limit)?);
        }
        let f = msgs[root].take().expect("root message");
        debug_assert!(is_subset(&f.attrs, target) && f.attrs.len() == target.len());
        Ok(f.vals)
    }
}

#[cfg(test)]
mod tests {
    use crate::marginals::model::tests::{brute_joint, brute_marginal, random_model};

    #[test]
    fn projections_match_brute_force() {
        for seed in 0..40 {
            let n = 3 + (seed as usize % 5);
            let model = random_model(100 + seed, n, 2 + seed as usize % 5);
            let joint = brute_joint(&model);
            let mut targets = Vec::new();
            for a in 0..n {
                for b in a + 1..n {
                    targets.push(vec![a, b]);
                    for c in b + 1..n {
                        targets.push(vec![a, b, c]);
                    }
                }
            }
            targets.push(vec![]);
            targets.push((0..n).collect());
            let got = model.project_many(&targets, usize::MAX).unwrap();
            for (t, g) in targets.iter().zip(&got) {
                let want = brute_marginal(&model, &joint, t);
                assert_eq!(g.len(), want.len());
                for (a, b) in g.iter().zip(&want) {
                    assert!(
                        (a - b).abs() < 1e-8 * model.total,
                        "seed {seed} target {t:?}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn projection_limit_is_an_error() {
        let model = random_model(7, 6, 3);
        let all: Vec<usize> = (0..6).collect();
        let joint_cells: usize = model.sizes.iter().product();
        if model.clique_marginal(&all).is_none() && joint_cells > 1 {
            assert!(model.project(&all, 1).is_err());
        }
    }
}
