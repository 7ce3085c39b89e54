//! Marginals of a calibrated model over arbitrary small attribute sets, many at once (AIM's hot
//! step).
//!
//! A target inside one clique of the junction tree is summed out of the smallest such clique.
//! Any other target `T` is computed exactly from the calibrated tree. For a directed edge
//! `C → P` with separator `S` and an attribute `v` on `C`'s side (not in `S`), the *carried
//! message* is the conditional table `p(v | S)`:
//!
//! * if `v ∈ C`: `μ_C` summed onto `S ∪ {v}`, divided by `μ_S`;
//! * else `v` lies behind a neighbour `d` of `C`: `Σ_{S_dC \ S} p(S_dC | S) · p(v | S_dC)`, the
//!   transition table `p(S_dC | S)` being `μ_C` summed onto `S ∪ S_dC` and divided by `μ_S`.
//!
//! A target is assembled at a root clique `r` chosen so that every target attribute outside `r`
//! lies in a different branch (a median of the attributes' cliques always qualifies):
//! `p(T) = Σ μ_r · Π_i p(a_i | S_i)`, summed by variable elimination in a greedy order. Carried
//! messages and transition tables are shared by every target of a batch, so a batch of all
//! 3-way marginals costs little more than its distinct messages; the targets then assemble in
//! parallel. Products of two tables walk their union once in runs the compiler vectorises.

use super::index::{cells, intersect, strides, sum_many, union, Plan};
use super::model::{dims_of, Model};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::collections::HashMap;

/// A dense table over sorted attributes.
#[derive(Clone, Debug)]
pub struct Factor {
    pub attrs: Vec<usize>,
    pub vals: Vec<f64>,
}

impl Factor {
    fn sum_to(&self, keep: &[usize], sizes: &[usize]) -> Factor {
        if keep == self.attrs.as_slice() {
            return self.clone();
        }
        let plan = Plan::new(&self.attrs, &dims_of(&self.attrs, sizes), keep);
        let mut vals = vec![0.0; plan.inner_size];
        plan.sum_into(&self.vals, &mut vals);
        Factor {
            attrs: keep.to_vec(),
            vals,
        }
    }

    /// Divides by this table's own marginal over `sep` (a conditional `p(· | sep)`; 0 where the
    /// marginal is 0).
    fn condition_on(mut self, sep: &[usize], sizes: &[usize]) -> Factor {
        let plan = Plan::new(&self.attrs, &dims_of(&self.attrs, sizes), sep);
        let mut m = vec![0.0; plan.inner_size];
        plan.sum_into(&self.vals, &mut m);
        for v in m.iter_mut() {
            *v = if *v > 0.0 { 1.0 / *v } else { 0.0 };
        }
        let vals = &mut self.vals;
        plan.walk(|o, len, i, step| {
            if step == 1 {
                for (x, w) in vals[o..o + len].iter_mut().zip(&m[i..i + len]) {
                    *x *= w;
                }
            } else {
                let w = m[i];
                for x in &mut vals[o..o + len] {
                    *x *= w;
                }
            }
        });
        self
    }
}

/// A walk over the cells of a table over `scope` that tracks the matching cell of three tables
/// over subsets of it, in runs along which each index moves by 0 or 1.
struct Walk {
    dims: Vec<usize>,
    strides: Vec<[usize; 3]>,
    run: usize,
    steps: [usize; 3],
    n_runs: usize,
}

impl Walk {
    fn new(scope: &[usize], sizes: &[usize], tables: [&[usize]; 3]) -> Walk {
        let dims = dims_of(scope, sizes);
        let k = scope.len();
        let mut st = vec![[0usize; 3]; k];
        let mut member = vec![[false; 3]; k];
        for (t, attrs) in tables.iter().enumerate() {
            let s = strides(&dims_of(attrs, sizes));
            for (j, a) in scope.iter().enumerate() {
                if let Ok(p) = attrs.binary_search(a) {
                    st[j][t] = s[p];
                    member[j][t] = true;
                }
            }
        }
        let mut end = k;
        let mut run = 1usize;
        let last = member.last().copied().unwrap_or([false; 3]);
        while end > 0 && member[end - 1] == last {
            run *= dims[end - 1];
            end -= 1;
        }
        let steps = [usize::from(last[0]), usize::from(last[1]), usize::from(last[2])];
        let mut odims: Vec<usize> = Vec::new();
        let mut ost: Vec<[usize; 3]> = Vec::new();
        for j in 0..end {
            if dims[j] == 1 {
                continue;
            }
            if let (Some(pd), Some(ps)) = (odims.last().copied(), ost.last().copied()) {
                let ok = (0..3).all(|t| ps[t] == st[j][t] * dims[j]);
                if ok {
                    let l = odims.len() - 1;
                    odims[l] = pd * dims[j];
                    ost[l] = st[j];
                    continue;
                }
            }
            odims.push(dims[j]);
            ost.push(st[j]);
        }
        let total: usize = dims.iter().product();
        Walk {
            dims: odims,
            strides: ost,
            run,
            steps,
            n_runs: total / run.max(1),
        }
    }

    #[inline]
    fn for_runs(&self, mut f: impl FnMut(usize, usize, usize)) {
        let k = self.dims.len();
        let mut digits = vec![0usize; k];
        let mut off = [0usize; 3];
        for _ in 0..self.n_runs {
            f(off[0], off[1], off[2]);
            let mut j = k;
            while j > 0 {
                j -= 1;
                digits[j] += 1;
                for (o, s) in off.iter_mut().zip(&self.strides[j]) {
                    *o += s;
                }
                if digits[j] < self.dims[j] {
                    break;
                }
                for (o, s) in off.iter_mut().zip(&self.strides[j]) {
                    *o -= s * self.dims[j];
                }
                digits[j] = 0;
            }
        }
    }
}

#[inline(always)]
fn run_kernel<const SF: usize, const SG: usize, const SO: usize>(
    f: &[f64],
    g: &[f64],
    out: &mut [f64],
    (i, j, o): (usize, usize, usize),
    len: usize,
) {
    if SO == 0 {
        let mut acc = [0.0f64; 4];
        let mut t = 0;
        while t + 4 <= len {
            for l in 0..4 {
                acc[l] += f[i + SF * (t + l)] * g[j + SG * (t + l)];
            }
            t += 4;
        }
        let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        while t < len {
            s += f[i + SF * t] * g[j + SG * t];
            t += 1;
        }
        out[o] += s;
    } else {
        for t in 0..len {
            out[o + t] += f[i + SF * t] * g[j + SG * t];
        }
    }
}

/// `Σ_{scope \ keep} f · g` over the union of the two scopes; refuses walks over more than
/// `limit` cells.
fn contract2(f: &Factor, g: &Factor, keep: &[usize], sizes: &[usize], limit: usize) -> Result<Factor> {
    let scope = union(&union(&f.attrs, &g.attrs), keep);
    let n = cells(&scope, sizes);
    if n > limit {
        return Err(Error::Memory(format!(
            "projecting onto {keep:?} needs to walk {n} cells over attributes {scope:?} (limit \
             {limit}); use fewer bins or a smaller model"
        )));
    }
    let walk = Walk::new(&scope, sizes, [&f.attrs, &g.attrs, keep]);
    let mut out = vec![0.0; cells(keep, sizes)];
    let len = walk.run;
    let (fv, gv) = (&f.vals, &g.vals);
    macro_rules! go {
        ($a:literal, $b:literal, $c:literal) => {
            walk.for_runs(|i, j, o| run_kernel::<$a, $b, $c>(fv, gv, &mut out, (i, j, o), len))
        };
    }
    match walk.steps {
        [0, 0, 0] => go!(0, 0, 0),
        [1, 0, 0] => go!(1, 0, 0),
        [0, 1, 0] => go!(0, 1, 0),
        [1, 1, 0] => go!(1, 1, 0),
        [0, 0, 1] => go!(0, 0, 1),
        [1, 0, 1] => go!(1, 0, 1),
        [0, 1, 1] => go!(0, 1, 1),
        _ => go!(1, 1, 1),
    }
    Ok(Factor {
        attrs: keep.to_vec(),
        vals: out,
    })
}

/// Sums every attribute outside `keep` out of the product of `factors`, by pairwise
/// contractions in a greedy (smallest result first) order.
fn eliminate(factors: Vec<Factor>, keep: &[usize], sizes: &[usize], limit: usize) -> Result<Factor> {
    eliminate_with(
        factors,
        keep,
        sizes,
        &mut |f, g, out| contract2(f, g, out, sizes, limit),
        &|f, needed| f.sum_to(needed, sizes),
    )
}

/// The largest walk (cells) `eliminate` would take over factors with these scopes.
fn elimination_walk(scopes: Vec<Vec<usize>>, keep: &[usize], sizes: &[usize]) -> usize {
    let mut worst = 0;
    let factors = scopes.into_iter().map(|attrs| Factor { attrs, vals: Vec::new() }).collect();
    let measure = &mut |f: &Factor, g: &Factor, out: &[usize]| {
        worst = worst.max(cells(&union(&union(&f.attrs, &g.attrs), out), sizes));
        Ok(Factor { attrs: out.to_vec(), vals: Vec::new() })
    };
    let scope_only = &|_: Factor, needed: &[usize]| Factor { attrs: needed.to_vec(), vals: Vec::new() };
    eliminate_with(factors, keep, sizes, measure, scope_only).expect("measuring cannot fail");
    worst
}

/// Contracts two factors onto the attributes given.
type Contract<'a> = &'a mut dyn FnMut(&Factor, &Factor, &[usize]) -> Result<Factor>;
/// Sums a factor onto the attributes given.
type SumTo<'a> = &'a dyn Fn(Factor, &[usize]) -> Factor;

/// [`eliminate`]'s order, with the contraction and the summing-out given (to compute the
/// tables, or only to measure the walks).
fn eliminate_with(
    mut factors: Vec<Factor>,
    keep: &[usize],
    sizes: &[usize],
    contract: Contract<'_>,
    sum_to: SumTo<'_>,
) -> Result<Factor> {
    loop {
        // Attributes no other factor needs are summed out of their factor first.
        for i in 0..factors.len() {
            let needed: Vec<usize> = factors[i]
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
            if needed.len() < factors[i].attrs.len() {
                let f = std::mem::replace(&mut factors[i], Factor { attrs: Vec::new(), vals: Vec::new() });
                factors[i] = sum_to(f, &needed);
            }
        }
        if factors.len() == 1 {
            let f = factors.pop().expect("one factor");
            return Ok(sum_to(f, keep));
        }
        // Contract the pair whose product walk is smallest.
        let mut best: Option<(usize, usize, usize)> = None;
        for i in 0..factors.len() {
            for j in i + 1..factors.len() {
                let c = cells(&union(&factors[i].attrs, &factors[j].attrs), sizes);
                if best.is_none_or(|(b, _, _)| c < b) {
                    best = Some((c, i, j));
                }
            }
        }
        let (_, i, j) = best.expect("two factors");
        let g = factors.swap_remove(j);
        let f = factors.swap_remove(i);
        let scope = union(&f.attrs, &g.attrs);
        let out: Vec<usize> = scope
            .iter()
            .copied()
            .filter(|a| keep.binary_search(a).is_ok() || factors.iter().any(|h| h.attrs.binary_search(a).is_ok()))
            .collect();
        factors.push(contract(&f, &g, &out)?);
    }
}

/// A root's cost (attributes carried, cells), the root, and what each neighbour carries.
type RootChoice = ((usize, usize), usize, Vec<(usize, usize)>);

/// Shared state of one batch of projections.
struct Batch<'m> {
    model: &'m Model,
    nbrs: Vec<Vec<usize>>,
    /// Attributes on `from`'s side of the edge `from → to`, as a bit set.
    side: HashMap<(usize, usize), Vec<u64>>,
}

fn has(bits: &[u64], a: usize) -> bool {
    bits[a / 64] >> (a % 64) & 1 == 1
}

impl<'m> Batch<'m> {
    fn new(model: &'m Model) -> Batch<'m> {
        let tree = &model.tree;
        let m = tree.cliques.len();
        let mut nbrs = vec![Vec::new(); m];
        for i in 0..m {
            if let Some(p) = tree.parent[i] {
                nbrs[i].push(p);
                nbrs[p].push(i);
            }
        }
        let words = model.sizes.len().div_ceil(64).max(1);
        let mut side = HashMap::new();
        // Depth-first from every directed edge (the tree is small: ≤ a few hundred cliques).
        for from in 0..m {
            for &to in &nbrs[from] {
                let mut bits = vec![0u64; words];
                let mut stack = vec![(from, to)];
                while let Some((v, came)) = stack.pop() {
                    for &a in &tree.cliques[v] {
                        bits[a / 64] |= 1 << (a % 64);
                    }
                    for &u in &nbrs[v] {
                        if u != came {
                            stack.push((u, v));
                        }
                    }
                }
                side.insert((from, to), bits);
            }
        }
        Batch { model, nbrs, side }
    }

    fn sep(&self, a: usize, b: usize) -> Vec<usize> {
        intersect(&self.model.tree.cliques[a], &self.model.tree.cliques[b])
    }

    /// What of the root `r`'s marginal a target assembled there needs: its own attributes in
    /// `r` and the separators its carried messages come through.
    fn root_keep(&self, r: usize, target: &[usize], carried: &[(usize, usize)]) -> Vec<usize> {
        carried
            .iter()
            .fold(intersect(&self.model.tree.cliques[r], target), |keep, &(d, _)| union(&keep, &self.sep(d, r)))
    }

    /// The clique `r` to assemble `target` at, with the neighbour each outside attribute is
    /// carried from: every such attribute comes along its own branch. Among the cliques that
    /// qualify, the one carrying fewest attributes, then the smallest.
    fn plan(&self, target: &[usize]) -> Option<(usize, Vec<(usize, usize)>)> {
        let tree = &self.model.tree;
        let mut best: Option<RootChoice> = None;
        'roots: for r in 0..tree.cliques.len() {
            let mut carried: Vec<(usize, usize)> = Vec::new();
            for &a in target {
                if tree.cliques[r].binary_search(&a).is_ok() {
                    continue;
                }
                let Some(d) = self.nbrs[r].iter().copied().find(|&d| has(&self.side[&(d, r)], a)) else {
                    continue 'roots;
                };
                if carried.iter().any(|&(dd, _)| dd == d) {
                    continue 'roots;
                }
                carried.push((d, a));
            }
            let cost = (carried.len(), tree.sizes[r]);
            if best.as_ref().is_none_or(|(c, _, _)| cost < *c) {
                best = Some((cost, r, carried));
            }
        }
        best.map(|(_, r, carried)| (r, carried))
    }
}

/// How one target is computed.
enum Route {
    /// Summed out of this clique.
    Inside(usize),
    /// Assembled at a root clique from carried messages `(neighbour, attribute)`.
    Assembled(usize, Vec<(usize, usize)>),
}

/// What a batch needs: marginals of cliques onto attribute sets, and carried messages in an
/// order where each comes after the message it is built from.
#[derive(Default)]
struct Needs {
    marginals: HashMap<usize, Vec<Vec<usize>>>,
    messages: Vec<(usize, usize, usize)>,
    seen: std::collections::HashSet<(usize, usize, usize)>,
}

impl Needs {
    fn marginal(&mut self, clique: usize, keep: Vec<usize>) {
        let list = self.marginals.entry(clique).or_default();
        if !list.contains(&keep) {
            list.push(keep);
        }
    }
}

impl Batch<'_> {
    /// The neighbour of `from` (other than `to`) behind which `v` lies.
    fn behind(&self, from: usize, to: usize, v: usize) -> Result<usize> {
        self.nbrs[from]
            .iter()
            .copied()
            .find(|&d| d != to && has(&self.side[&(d, from)], v))
            .ok_or_else(|| Error::invalid(format!("attribute {v} is not behind clique {from}")))
    }

    /// Registers the message `p(v | S)` over `from → to` and everything it is built from.
    fn need_message(&self, needs: &mut Needs, from: usize, to: usize, v: usize) -> Result<()> {
        if needs.seen.contains(&(from, to, v)) {
            return Ok(());
        }
        let sep = self.sep(from, to);
        if self.model.tree.cliques[from].binary_search(&v).is_ok() {
            needs.marginal(from, union(&sep, &[v]));
        } else {
            let d = self.behind(from, to, v)?;
            self.need_message(needs, d, from, v)?;
            needs.marginal(from, union(&sep, &self.sep(d, from)));
        }
        needs.seen.insert((from, to, v));
        needs.messages.push((from, to, v));
        Ok(())
    }
}

impl Model {
    /// The marginals (count scale) over each target, a sorted attribute list.
    pub fn project_many(&self, targets: &[Vec<usize>], limit: usize) -> Result<Vec<Vec<f64>>> {
        for t in targets {
            super::check_clique(t, self.sizes.len())?;
        }
        let tree = &self.tree;
        let sizes = &self.sizes;
        let batch = Batch::new(self);
        let mut needs = Needs::default();
        let mut routes = Vec::with_capacity(targets.len());
        for t in targets {
            if let Some(c) = tree.containing(t) {
                needs.marginal(c, t.clone());
                routes.push(Route::Inside(c));
                continue;
            }
            let (r, carried) = batch
                .plan(t)
                .ok_or_else(|| Error::invalid(format!("no junction-tree root for {t:?}")))?;
            for &(d, a) in &carried {
                batch.need_message(&mut needs, d, r, a)?;
            }
            needs.marginal(r, batch.root_keep(r, t, &carried));
            routes.push(Route::Assembled(r, carried));
        }
        // Every clique marginal in one tiled pass per clique.
        let jobs: Vec<(usize, Vec<Vec<usize>>)> = needs.marginals.drain().collect();
        let marginals: HashMap<(usize, Vec<usize>), Factor> = jobs
            .into_par_iter()
            .flat_map_iter(|(c, keeps)| {
                let plans: Vec<Plan> = keeps
                    .iter()
                    .map(|k| Plan::new(&tree.cliques[c], &tree.dims[c], k))
                    .collect();
                let refs: Vec<&Plan> = plans.iter().collect();
                let mut out: Vec<Vec<f64>> = plans.iter().map(|p| vec![0.0; p.inner_size]).collect();
                sum_many(&refs, &self.mu[c], &mut out);
                keeps
                    .into_iter()
                    .zip(out)
                    .map(move |(k, vals)| ((c, k.clone()), Factor { attrs: k, vals }))
            })
            .collect();
        // Carried messages, each after the one it is built from.
        let mut msgs: HashMap<(usize, usize, usize), Factor> = HashMap::new();
        let mut trans: HashMap<(usize, usize, usize), Factor> = HashMap::new();
        for &(from, to, v) in &needs.messages {
            let sep = self.tree_sep(from, to);
            let f = if tree.cliques[from].binary_search(&v).is_ok() {
                marginals[&(from, union(&sep, &[v]))].clone().condition_on(&sep, sizes)
            } else {
                let d = batch.behind(from, to, v)?;
                let t = trans.entry((from, to, d)).or_insert_with(|| {
                    marginals[&(from, union(&sep, &self.tree_sep(d, from)))]
                        .clone()
                        .condition_on(&sep, sizes)
                });
                contract2(t, &msgs[&(d, from, v)], &union(&sep, &[v]), sizes, limit)?
            };
            msgs.insert((from, to, v), f);
        }
        targets
            .par_iter()
            .zip(routes.par_iter())
            .map(|(t, route)| match route {
                Route::Inside(c) => Ok(marginals[&(*c, t.clone())].vals.clone()),
                Route::Assembled(r, carried) => {
                    let mut factors = vec![marginals[&(*r, batch.root_keep(*r, t, carried))].clone()];
                    for &(d, a) in carried {
                        factors.push(msgs[&(d, *r, a)].clone());
                    }
                    Ok(eliminate(factors, t, sizes, limit)?.vals)
                }
            })
            .collect()
    }

    fn tree_sep(&self, a: usize, b: usize) -> Vec<usize> {
        intersect(&self.tree.cliques[a], &self.tree.cliques[b])
    }

    /// The largest walk (cells) [`Model::project_many`] would take for each target, computed
    /// from the tree alone (0 for a target inside a clique): what its `limit` is checked against.
    pub fn projection_walks(&self, targets: &[Vec<usize>]) -> Result<Vec<usize>> {
        let batch = Batch::new(self);
        let (tree, sizes) = (&self.tree, &self.sizes);
        targets
            .iter()
            .map(|t| {
                super::check_clique(t, sizes.len())?;
                if tree.containing(t).is_some() {
                    return Ok(0);
                }
                let (r, carried) = batch
                    .plan(t)
                    .ok_or_else(|| Error::invalid(format!("no junction-tree root for {t:?}")))?;
                let mut worst = 0;
                let mut scopes = vec![batch.root_keep(r, t, &carried)];
                for &(d, a) in &carried {
                    worst = worst.max(self.message_walk(&batch, d, r, a)?);
                    scopes.push(union(&batch.sep(d, r), &[a]));
                }
                Ok(worst.max(elimination_walk(scopes, t, sizes)))
            })
            .collect()
    }

    /// The largest walk building the carried message `p(v | S)` over `from → to` takes.
    fn message_walk(&self, batch: &Batch<'_>, from: usize, to: usize, v: usize) -> Result<usize> {
        if self.tree.cliques[from].binary_search(&v).is_ok() {
            return Ok(0);
        }
        let d = batch.behind(from, to, v)?;
        let scope = union(&union(&batch.sep(from, to), &batch.sep(d, from)), &[v]);
        Ok(self.message_walk(batch, d, from, v)?.max(cells(&scope, &self.sizes)))
    }

    /// The marginal over one target.
    pub fn project(&self, target: &[usize], limit: usize) -> Result<Vec<f64>> {
        Ok(self.project_many(&[target.to_vec()], limit)?.remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marginals::model::tests::{brute_joint, brute_marginal, random_model};

    #[test]
    fn projections_match_brute_force() {
        for seed in 0..40 {
            let n = 3 + (seed as usize % 5);
            let model = random_model(100 + seed, n, 2 + seed as usize % 5);
            let joint = brute_joint(&model);
            let mut targets = Vec::new();
            for a in 0..n {
                targets.push(vec![a]);
                for b in a + 1..n {
                    targets.push(vec![a, b]);
                    for c in b + 1..n {
                        targets.push(vec![a, b, c]);
                    }
                }
            }
            targets.push(vec![]);
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
    fn projection_walks_predict_the_refusals() {
        let mut assembled = 0;
        for seed in 0..30 {
            let n = 4 + (seed as usize % 4);
            let model = random_model(300 + seed, n, 2 + seed as usize % 4);
            let targets: Vec<Vec<usize>> = (0..n)
                .flat_map(|a| (a + 1..n).flat_map(move |b| (b + 1..n).map(move |c| vec![a, b, c])))
                .collect();
            let walks = model.projection_walks(&targets).unwrap();
            for (t, &w) in targets.iter().zip(&walks) {
                // Just below the predicted walk the projection is refused; at it, it runs.
                assert!(model.project(t, w).is_ok(), "{t:?} {w}");
                if w > 0 {
                    assert!(model.project(t, w - 1).is_err(), "{t:?} {w}");
                    assembled += 1;
                }
            }
        }
        assert!(assembled > 100, "{assembled}");
    }

    #[test]
    fn contraction_matches_a_direct_sum() {
        let sizes = [2usize, 3, 4, 5];
        let f = Factor {
            attrs: vec![0, 2, 3],
            vals: (0..40).map(|i| i as f64 * 0.5).collect(),
        };
        let g = Factor {
            attrs: vec![1, 2],
            vals: (0..12).map(|i| 1.0 + i as f64).collect(),
        };
        for keep in [vec![], vec![0], vec![1, 3], vec![0, 1, 2, 3], vec![2]] {
            let got = contract2(&f, &g, &keep, &sizes, usize::MAX).unwrap();
            let mut want = vec![0.0; cells(&keep, &sizes)];
            let ks = strides(&dims_of(&keep, &sizes));
            for x0 in 0..2 {
                for x1 in 0..3 {
                    for x2 in 0..4 {
                        for x3 in 0..5 {
                            let x = [x0, x1, x2, x3];
                            let fv = f.vals[x0 * 20 + x2 * 5 + x3];
                            let gv = g.vals[x1 * 4 + x2];
                            let o: usize = keep.iter().zip(&ks).map(|(&a, &s)| x[a] * s).sum();
                            want[o] += fv * gv;
                        }
                    }
                }
            }
            for (a, b) in got.vals.iter().zip(&want) {
                assert!((a - b).abs() < 1e-9, "{keep:?}");
            }
        }
        assert!(contract2(&f, &g, &[], &sizes, 10).is_err());
    }
}
