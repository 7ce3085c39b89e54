//! Strided access between a dense table over a clique and a table over a subset of it.
//!
//! A table over a clique (attributes in increasing order) is row-major: the last attribute varies
//! fastest. A [`Plan`] walks the cells of an *outer* table in order and says where each lands in
//! an *inner* table over a subset of the attributes. It groups the walk into runs of consecutive
//! outer cells that either map to consecutive inner cells (`step == 1`) or all to one inner cell
//! (`step == 0`), so the inner loops are plain slices the compiler vectorises.

use rayon::prelude::*;

/// Tables at least this large are split over threads by the kernels that can.
pub const PARALLEL_CELLS: usize = 1 << 17;

/// How the cells of an outer table map onto an inner table over a subset of its attributes.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Outer axes above the run (merged where possible), outermost first.
    dims: Vec<usize>,
    /// The inner stride of each of those axes (0 for axes the inner table lacks).
    istrides: Vec<usize>,
    /// Consecutive outer cells handled as one run.
    pub run: usize,
    /// 1: a run maps to `run` consecutive inner cells; 0: a run maps to a single inner cell.
    pub step: usize,
    /// Number of runs: `outer_size / run`.
    pub n_runs: usize,
    pub outer_size: usize,
    pub inner_size: usize,
}

/// Row-major strides of a table with these dimensions.
pub fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for j in (0..dims.len().saturating_sub(1)).rev() {
        s[j] = s[j + 1] * dims[j + 1];
    }
    s
}

impl Plan {
    /// The plan from a table over `outer` (sorted attributes with dimensions `outer_dims`) to one
    /// over `inner`, which must be a sorted subset of `outer`.
    pub fn new(outer: &[usize], outer_dims: &[usize], inner: &[usize]) -> Plan {
        debug_assert_eq!(outer.len(), outer_dims.len());
        let member: Vec<bool> = outer.iter().map(|a| inner.binary_search(a).is_ok()).collect();
        debug_assert_eq!(member.iter().filter(|&&m| m).count(), inner.len(), "inner ⊄ outer");
        // Inner strides in outer-axis order (inner attributes keep their relative order).
        let mut istr = vec![0usize; outer.len()];
        let mut acc = 1usize;
        for j in (0..outer.len()).rev() {
            if member[j] {
                istr[j] = acc;
                acc *= outer_dims[j];
            }
        }
        let inner_size = acc;
        let outer_size: usize = outer_dims.iter().product();
        // The run: the longest suffix of axes sharing the last axis' membership.
        let mut k = outer.len();
        let mut run = 1usize;
        let step = usize::from(member.last().copied().unwrap_or(false));
        while k > 0 && member[k - 1] == (step == 1) {
            run *= outer_dims[k - 1];
            k -= 1;
        }
        // Merge the remaining axes where two neighbours behave as one.
        let mut dims: Vec<usize> = Vec::with_capacity(k);
        let mut istrides: Vec<usize> = Vec::with_capacity(k);
        for j in 0..k {
            let (d, s) = (outer_dims[j], istr[j]);
            if d == 1 {
                continue;
            }
            if let (Some(&pd), Some(&ps)) = (dims.last(), istrides.last()) {
                // The previous axis is outer to this one: merge when it continues the same walk.
                let mergeable = (ps == 0 && s == 0) || (s > 0 && ps == s * d);
                if mergeable {
                    let last = dims.len() - 1;
                    dims[last] = pd * d;
                    istrides[last] = s;
                    continue;
                }
            }
            dims.push(d);
            istrides.push(s);
        }
        let n_runs = outer_size.checked_div(run).unwrap_or(0);
        Plan {
            dims,
            istrides,
            run,
            step,
            n_runs,
            outer_size,
            inner_size,
        }
    }

    /// Calls `f(outer_start, inner_start)` for the runs `lo..hi`, in order. The innermost
    /// prefix axis is walked in a tight loop; the odometer only carries between its rows.
    #[inline]
    pub fn for_runs(&self, lo: usize, hi: usize, mut f: impl FnMut(usize, usize)) {
        if lo >= hi {
            return;
        }
        let k = self.dims.len();
        let run = self.run;
        if k == 0 {
            for r in lo..hi {
                f(r * run, 0);
            }
            return;
        }
        let mut digits = vec![0usize; k];
        let mut rem = lo;
        let mut ioff = 0usize;
        for j in (0..k).rev() {
            digits[j] = rem % self.dims[j];
            rem /= self.dims[j];
            ioff += digits[j] * self.istrides[j];
        }
        let last = k - 1;
        let (dl, sl) = (self.dims[last], self.istrides[last]);
        let mut r = lo;
        while r < hi {
            let span = (dl - digits[last]).min(hi - r);
            for t in 0..span {
                f((r + t) * run, ioff + t * sl);
            }
            r += span;
            digits[last] += span;
            ioff += span * sl;
            if digits[last] < dl {
                break;
            }
            ioff -= dl * sl;
            digits[last] = 0;
            let mut j = last;
            while j > 0 {
                j -= 1;
                digits[j] += 1;
                ioff += self.istrides[j];
                if digits[j] < self.dims[j] {
                    break;
                }
                ioff -= self.istrides[j] * self.dims[j];
                digits[j] = 0;
            }
        }
    }

    /// Chunks of whole runs covering about `cells` outer cells each.
    fn chunks(&self, cells: usize) -> Vec<(usize, usize)> {
        let per = (cells / self.run.max(1)).max(1);
        (0..self.n_runs)
            .step_by(per)
            .map(|lo| (lo, (lo + per).min(self.n_runs)))
            .collect()
    }

    fn parallel(&self) -> bool {
        self.outer_size >= PARALLEL_CELLS && rayon::current_num_threads() > 1
    }

    /// `inner[i] += Σ outer` over the outer cells that land in inner cell `i`.
    pub fn sum_into(&self, outer: &[f64], inner: &mut [f64]) {
        debug_assert_eq!(outer.len(), self.outer_size);
        debug_assert_eq!(inner.len(), self.inner_size);
        // Split the walk only when the inner table is small next to the outer one, so the
        // per-thread copies stay cheap.
        if self.parallel() && self.inner_size * 8 <= self.outer_size {
            let parts: Vec<Vec<f64>> = self
                .chunks(PARALLEL_CELLS / 2)
                .into_par_iter()
                .map(|(lo, hi)| {
                    let mut part = vec![0.0; self.inner_size];
                    self.sum_range(outer, &mut part, lo, hi);
                    part
                })
                .collect();
            for part in parts {
                for (a, b) in inner.iter_mut().zip(part) {
                    *a += b;
                }
            }
        } else {
            self.sum_range(outer, inner, 0, self.n_runs);
        }
    }

    pub(crate) fn sum_range(&self, outer: &[f64], inner: &mut [f64], lo: usize, hi: usize) {
        let run = self.run;
        if self.step == 1 {
            self.for_runs(lo, hi, |o, i| {
                for (a, b) in inner[i..i + run].iter_mut().zip(&outer[o..o + run]) {
                    *a += *b;
                }
            });
        } else {
            self.for_runs(lo, hi, |o, i| inner[i] += sum(&outer[o..o + run]));
        }
    }

    /// `inner[i] = max(inner[i], max of the outer cells that land in i)`.
    pub fn max_into(&self, outer: &[f64], inner: &mut [f64]) {
        let run = self.run;
        if self.step == 1 {
            self.for_runs(0, self.n_runs, |o, i| {
                for (a, b) in inner[i..i + run].iter_mut().zip(&outer[o..o + run]) {
                    *a = a.max(*b);
                }
            });
        } else {
            self.for_runs(0, self.n_runs, |o, i| {
                inner[i] = outer[o..o + run].iter().fold(inner[i], |m, &v| m.max(v));
            });
        }
    }

    /// `outer[c] += scale · inner[index of c]` for every outer cell (broadcast add).
    pub fn add_broadcast(&self, outer: &mut [f64], inner: &[f64], scale: f64) {
        debug_assert_eq!(outer.len(), self.outer_size);
        debug_assert_eq!(inner.len(), self.inner_size);
        if self.parallel() {
            let per = (PARALLEL_CELLS / 2 / self.run.max(1)).max(1);
            outer.par_chunks_mut(per * self.run).enumerate().for_each(|(c, chunk)| {
                let lo = c * per;
                let hi = (lo + per).min(self.n_runs);
                self.add_range(chunk, lo * self.run, inner, scale, lo, hi);
            });
        } else {
            self.add_range(outer, 0, inner, scale, 0, self.n_runs);
        }
    }

    fn add_range(&self, outer: &mut [f64], base: usize, inner: &[f64], scale: f64, lo: usize, hi: usize) {
        let run = self.run;
        if self.step == 1 {
            self.for_runs(lo, hi, |o, i| {
                let o = o - base;
                for (a, b) in outer[o..o + run].iter_mut().zip(&inner[i..i + run]) {
                    *a += scale * *b;
                }
            });
        } else {
            self.for_runs(lo, hi, |o, i| {
                let v = scale * inner[i];
                for a in &mut outer[o - base..o - base + run] {
                    *a += v;
                }
            });
        }
    }

    /// Calls `f(outer_slice_start, len, inner_start, step)` for every run; a generic walk for
    /// kernels that need both tables at once.
    pub fn walk(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let (run, step) = (self.run, self.step);
        self.for_runs(0, self.n_runs, |o, i| f(o, run, i, step));
    }
}

/// Sums one outer table onto several inner tables (each plan from that same outer table) in
/// one pass, tile by tile, so each tile of the outer table is read from cache by every plan.
/// Large outer tables are split over threads (each with its own copies of the inner tables).
pub fn sum_many(plans: &[&Plan], outer: &[f64], inners: &mut [Vec<f64>]) {
    debug_assert_eq!(plans.len(), inners.len());
    if plans.is_empty() {
        return;
    }
    // Every plan's run divides the longest run (runs are suffix products of the same dims).
    let longest = plans.iter().map(|p| p.run).max().unwrap_or(1).max(1);
    let tile = longest * (TILE_CELLS / longest).max(1);
    let n = outer.len();
    let small: usize = plans.iter().map(|p| p.inner_size).sum();
    let tiles: Vec<(usize, usize)> = (0..n).step_by(tile).map(|lo| (lo, (lo + tile).min(n))).collect();
    if n >= PARALLEL_CELLS && small * 8 <= n && tiles.len() > 1 && rayon::current_num_threads() > 1 {
        let per = tiles.len().div_ceil(rayon::current_num_threads() * 2).max(1);
        let parts: Vec<Vec<Vec<f64>>> = tiles
            .par_chunks(per)
            .map(|ts| {
                let mut local: Vec<Vec<f64>> = plans.iter().map(|p| vec![0.0; p.inner_size]).collect();
                for &(lo, hi) in ts {
                    for (p, inner) in plans.iter().zip(local.iter_mut()) {
                        p.sum_range(outer, inner, lo / p.run, hi / p.run);
                    }
                }
                local
            })
            .collect();
        for part in parts {
            for (acc, v) in inners.iter_mut().zip(part) {
                for (a, b) in acc.iter_mut().zip(v) {
                    *a += b;
                }
            }
        }
    } else {
        for (lo, hi) in tiles {
            for (p, inner) in plans.iter().zip(inners.iter_mut()) {
                p.sum_range(outer, inner, lo / p.run, hi / p.run);
            }
        }
    }
}

/// `outer += Σ_k scale_k · broadcast(inner_k)` for several plans from the same outer table, in
/// one tiled pass (tiles in parallel for large tables: they write disjoint cells).
pub fn add_many(plans: &[&Plan], outer: &mut [f64], inners: &[&[f64]], scale: f64) {
    if plans.is_empty() {
        return;
    }
    let longest = plans.iter().map(|p| p.run).max().unwrap_or(1).max(1);
    let tile = longest * (TILE_CELLS / longest).max(1);
    let work = |lo: usize, chunk: &mut [f64]| {
        let hi = lo + chunk.len();
        for (p, inner) in plans.iter().zip(inners) {
            p.add_range(chunk, lo, inner, scale, lo / p.run, hi / p.run);
        }
    };
    if outer.len() >= PARALLEL_CELLS && rayon::current_num_threads() > 1 {
        outer
            .par_chunks_mut(tile)
            .enumerate()
            .for_each(|(t, chunk)| work(t * tile, chunk));
    } else {
        for (t, chunk) in outer.chunks_mut(tile).enumerate() {
            work(t * tile, chunk);
        }
    }
}

/// Outer cells per tile of [`sum_many`] (256 KiB of f64: stays in L2).
const TILE_CELLS: usize = 1 << 15;

/// Sum of a slice with four accumulators (vectorises; the order is fixed, so it is reproducible).
#[inline]
pub fn sum(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = x.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        acc[0] += c[0];
        acc[1] += c[1];
        acc[2] += c[2];
        acc[3] += c[3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for v in rest {
        s += v;
    }
    s
}

/// Maximum of a slice (−∞ for an empty one).
#[inline]
pub fn max(x: &[f64]) -> f64 {
    x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v))
}

/// Whether `inner` (sorted) is a subset of `outer` (sorted).
pub fn is_subset(inner: &[usize], outer: &[usize]) -> bool {
    let mut j = 0;
    for &a in inner {
        while j < outer.len() && outer[j] < a {
            j += 1;
        }
        if j == outer.len() || outer[j] != a {
            return false;
        }
        j += 1;
    }
    true
}

/// Sorted intersection of two sorted attribute lists.
pub fn intersect(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().copied().filter(|x| b.binary_search(x).is_ok()).collect()
}

/// Sorted union of two sorted attribute lists.
pub fn union(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = a.iter().chain(b).copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Number of cells of a table over `attrs`, saturating at `usize::MAX`.
pub fn cells(attrs: &[usize], sizes: &[usize]) -> usize {
    attrs.iter().fold(1usize, |acc, &a| acc.saturating_mul(sizes[a]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force inner index of every outer cell.
    fn brute(outer: &[usize], dims: &[usize], inner: &[usize]) -> Vec<usize> {
        let size: usize = dims.iter().product();
        let os = strides(dims);
        let idims: Vec<usize> = outer
            .iter()
            .zip(dims)
            .filter(|(a, _)| inner.contains(a))
            .map(|(_, d)| *d)
            .collect();
        let is = strides(&idims);
        (0..size)
            .map(|c| {
                let mut k = 0;
                let mut idx = 0;
                for (j, a) in outer.iter().enumerate() {
                    let digit = (c / os[j]) % dims[j];
                    if inner.contains(a) {
                        idx += digit * is[k];
                        k += 1;
                    }
                }
                idx
            })
            .collect()
    }

    #[test]
    fn plans_match_brute_force() {
        let outer = [0usize, 2, 3, 5, 7];
        let dims = [3usize, 1, 4, 2, 5];
        let subsets: Vec<Vec<usize>> = (0..32u32)
            .map(|m| {
                outer
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| m >> j & 1 == 1)
                    .map(|(_, a)| *a)
                    .collect()
            })
            .collect();
        let size: usize = dims.iter().product();
        let x: Vec<f64> = (0..size).map(|i| (i * 7 % 13) as f64).collect();
        for inner in subsets {
            let plan = Plan::new(&outer, &dims, &inner);
            let map = brute(&outer, &dims, &inner);
            let mut expect = vec![0.0; plan.inner_size];
            for (c, &i) in map.iter().enumerate() {
                expect[i] += x[c];
            }
            let mut got = vec![0.0; plan.inner_size];
            plan.sum_into(&x, &mut got);
            assert_eq!(got, expect, "sum to {inner:?}");
            let y: Vec<f64> = (0..plan.inner_size).map(|i| i as f64 + 0.5).collect();
            let mut out = vec![1.0; size];
            plan.add_broadcast(&mut out, &y, 2.0);
            for (c, &i) in map.iter().enumerate() {
                assert_eq!(out[c], 1.0 + 2.0 * y[i]);
            }
            let mut mx = vec![f64::NEG_INFINITY; plan.inner_size];
            plan.max_into(&x, &mut mx);
            for (c, &i) in map.iter().enumerate() {
                assert!(mx[i] >= x[c]);
            }
        }
    }

    #[test]
    fn parallel_paths_agree() {
        let outer = [0usize, 1, 2];
        let dims = [64usize, 48, 50];
        let size: usize = dims.iter().product();
        assert!(size >= PARALLEL_CELLS);
        let x: Vec<f64> = (0..size).map(|i| ((i * 31) % 17) as f64).collect();
        for inner in [vec![], vec![0], vec![1], vec![2], vec![0, 2], vec![1, 2]] {
            let plan = Plan::new(&outer, &dims, &inner);
            let map = brute(&outer, &dims, &inner);
            let mut expect = vec![0.0; plan.inner_size];
            for (c, &i) in map.iter().enumerate() {
                expect[i] += x[c];
            }
            let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
            let got = pool.install(|| {
                let mut got = vec![0.0; plan.inner_size];
                plan.sum_into(&x, &mut got);
                got
            });
            assert_eq!(got, expect);
            let y: Vec<f64> = (0..plan.inner_size).map(|i| i as f64).collect();
            let out = pool.install(|| {
                let mut out = vec![0.0; size];
                plan.add_broadcast(&mut out, &y, 1.0);
                out
            });
            for (c, &i) in map.iter().enumerate() {
                assert_eq!(out[c], y[i]);
            }
        }
    }

    #[test]
    fn sum_many_matches_sum_into() {
        let outer = [0usize, 1, 2, 3];
        let dims = [40usize, 30, 6, 5];
        let size: usize = dims.iter().product();
        let x: Vec<f64> = (0..size).map(|i| ((i * 13) % 11) as f64).collect();
        let targets: Vec<Vec<usize>> = vec![vec![], vec![0], vec![3], vec![1, 3], vec![0, 2], vec![0, 1, 2, 3]];
        let plans: Vec<Plan> = targets.iter().map(|t| Plan::new(&outer, &dims, t)).collect();
        let refs: Vec<&Plan> = plans.iter().collect();
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut got: Vec<Vec<f64>> = plans.iter().map(|p| vec![0.0; p.inner_size]).collect();
            pool.install(|| sum_many(&refs, &x, &mut got));
            for (p, g) in plans.iter().zip(&got) {
                let mut want = vec![0.0; p.inner_size];
                p.sum_into(&x, &mut want);
                assert_eq!(g, &want);
            }
            let tables: Vec<Vec<f64>> = plans
                .iter()
                .map(|p| (0..p.inner_size).map(|i| i as f64).collect())
                .collect();
            let trefs: Vec<&[f64]> = tables.iter().map(|t| t.as_slice()).collect();
            let mut fused = vec![1.0; size];
            pool.install(|| add_many(&refs, &mut fused, &trefs, 0.5));
            let mut want = vec![1.0; size];
            for (p, t) in plans.iter().zip(&tables) {
                p.add_broadcast(&mut want, t, 0.5);
            }
            assert_eq!(fused, want);
        }
    }

    #[test]
    fn set_helpers() {
        assert!(is_subset(&[1, 3], &[0, 1, 2, 3]));
        assert!(!is_subset(&[1, 4], &[0, 1, 2, 3]));
        assert!(is_subset(&[], &[0]));
        assert_eq!(intersect(&[0, 2, 5], &[2, 3, 5]), vec![2, 5]);
        assert_eq!(union(&[0, 2, 5], &[2, 3, 5]), vec![0, 2, 3, 5]);
        assert_eq!(cells(&[0, 1], &[3, 4]), 12);
        assert_eq!(cells(&[0, 1], &[usize::MAX, 4]), usize::MAX);
    }
}
