//! Exact k-nearest-neighbour search between a query block and a reference block.
//!
//! The mixed-type distance (DESIGN.md): numeric term `min(|Δ|, 1)` on values already divided by
//! their public range, categorical term `1[a ≠ b]`, both missing 0, one missing 1; the distance is
//! the weighted mean over columns. Missing numeric values are NaN; missing codes are `MISSING_CODE`.
//!
//! Results are exact: no approximation, no subsampling of the reference set. Each query row keeps
//! a bounded top-k while it scans the reference rows in index order, so memory is O(n_query · k)
//! and ties go to the lower reference index.

mod topk;

use crate::error::{Error, Result};
use rayon::prelude::*;
pub use topk::TopK;

/// The code that marks a missing categorical value.
pub const MISSING_CODE: u32 = u32::MAX;

/// Query rows per parallel task; below one task's worth the search runs on the calling thread.
const QUERY_CHUNK: usize = 64;

/// A row-major block of encoded records: `n_rows × n_num` scaled numerics and `n_rows × n_cat` codes.
#[derive(Clone, Copy, Debug)]
pub struct MixedBlock<'a> {
    pub num: &'a [f32],
    pub cat: &'a [u32],
    pub n_rows: usize,
    pub n_num: usize,
    pub n_cat: usize,
}

impl<'a> MixedBlock<'a> {
    /// Checks that the slices hold `n_rows` rows of the stated widths.
    pub fn new(num: &'a [f32], cat: &'a [u32], n_rows: usize, n_num: usize, n_cat: usize) -> Result<Self> {
        if num.len() != n_rows * n_num || cat.len() != n_rows * n_cat {
            return Err(Error::shape(format!(
                "block of {n_rows} rows expects {} numeric and {} categorical values, got {} and {}",
                n_rows * n_num,
                n_rows * n_cat,
                num.len(),
                cat.len()
            )));
        }
        Ok(Self { num, cat, n_rows, n_num, n_cat })
    }

    #[inline]
    fn num_row(&self, i: usize) -> &'a [f32] {
        &self.num[i * self.n_num..(i + 1) * self.n_num]
    }

    #[inline]
    fn cat_row(&self, i: usize) -> &'a [u32] {
        &self.cat[i * self.n_cat..(i + 1) * self.n_cat]
    }
}

/// The k nearest reference rows of every query row, sorted by distance then reference index.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbors {
    pub k: usize,
    /// `n_query × k` distances, row-major.
    pub distances: Vec<f64>,
    /// `n_query × k` reference indices, row-major.
    pub indices: Vec<u64>,
}

/// Per-column weights of the mixed distance, already normalised to sum to 1.
#[derive(Clone, Debug)]
pub struct MixedWeights {
    pub num: Vec<f32>,
    pub cat: Vec<f32>,
}

impl MixedWeights {
    /// Normalises non-negative weights so that the distance is a weighted mean.
    pub fn new(num: &[f64], cat: &[f64]) -> Result<Self> {
        let all = num.iter().chain(cat);
        if all.clone().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::invalid("column weights must be finite and non-negative"));
        }
        let total: f64 = all.sum();
        if total <= 0.0 {
            return Err(Error::invalid("column weights sum to zero: give at least one column a positive weight"));
        }
        let scale = |w: &[f64]| w.iter().map(|x| (x / total) as f32).collect();
        Ok(Self { num: scale(num), cat: scale(cat) })
    }
}

/// The mixed-type distance between two encoded rows.
#[inline]
pub fn mixed_distance(qn: &[f32], qc: &[u32], rn: &[f32], rc: &[u32], w: &MixedWeights) -> f32 {
    let mut d = 0.0f32;
    for ((a, b), wj) in qn.iter().zip(rn).zip(&w.num) {
        d += wj * numeric_term(*a, *b);
    }
    for ((a, b), wj) in qc.iter().zip(rc).zip(&w.cat) {
        if a != b {
            d += wj;
        }
    }
    d
}

#[inline]
fn numeric_term(a: f32, b: f32) -> f32 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0.0,
        (true, false) | (false, true) => 1.0,
        (false, false) => (a - b).abs().min(1.0),
    }
}

fn check_args(query: &MixedBlock, reference: &MixedBlock, w: &MixedWeights, k: usize, exclude_self: bool) -> Result<()> {
    if query.n_num != reference.n_num || query.n_cat != reference.n_cat {
        return Err(Error::shape(format!(
            "query has {} numeric and {} categorical columns but reference has {} and {}: encode both with the same Domain",
            query.n_num, query.n_cat, reference.n_num, reference.n_cat
        )));
    }
    if w.num.len() != query.n_num || w.cat.len() != query.n_cat {
        return Err(Error::shape("one weight per column is needed"));
    }
    if query.n_num + query.n_cat == 0 {
        return Err(Error::invalid("the blocks have no columns"));
    }
    if exclude_self && query.n_rows != reference.n_rows {
        return Err(Error::invalid(
            "exclude_self=True needs query and reference to be the same rows",
        ));
    }
    let available = reference.n_rows - usize::from(exclude_self && reference.n_rows > 0);
    if k == 0 || k > available {
        return Err(Error::invalid(format!(
            "k={k} but the reference has {available} candidate rows: choose 1 ≤ k ≤ {available}"
        )));
    }
    Ok(())
}

/// Exact top-k under the mixed distance, parallel over query rows.
///
/// `exclude_self` skips reference row i for query row i (leave-one-out distances).
pub fn knn_mixed(
    query: &MixedBlock,
    reference: &MixedBlock,
    weights: &MixedWeights,
    k: usize,
    exclude_self: bool,
) -> Result<Neighbors> {
    check_args(query, reference, weights, k, exclude_self)?;
    let mut distances = vec![0.0f64; query.n_rows * k];
    let mut indices = vec![0u64; query.n_rows * k];
    let search_chunk = |(chunk, (dist_out, idx_out)): (usize, (&mut [f64], &mut [u64]))| {
        let mut top = TopK::new(k);
        for (local, (d_row, i_row)) in dist_out.chunks_mut(k).zip(idx_out.chunks_mut(k)).enumerate() {
            let qi = chunk * QUERY_CHUNK + local;
            top.clear();
            let (qn, qc) = (query.num_row(qi), query.cat_row(qi));
            for ri in 0..reference.n_rows {
                if exclude_self && ri == qi {
                    continue;
                }
                let d = mixed_distance(qn, qc, reference.num_row(ri), reference.cat_row(ri), weights);
                top.push(d, ri as u64);
            }
            top.write_sorted(d_row, i_row);
        }
    };
    let work = distances.chunks_mut(QUERY_CHUNK * k).zip(indices.chunks_mut(QUERY_CHUNK * k)).enumerate();
    if query.n_rows * reference.n_rows < 1 << 16 {
        work.for_each(search_chunk);
    } else {
        work.par_bridge().for_each(search_chunk);
    }
    Ok(Neighbors { k, distances, indices })
}

/// Runs `f` on a rayon pool of `n_jobs` threads, or on the global pool when `n_jobs` is None.
pub fn with_threads<T: Send>(n_jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match n_jobs {
        None => Ok(f()),
        Some(0) => Err(Error::invalid("n_jobs must be at least 1 (or None for all cores)")),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::invalid(format!("could not start {n} threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(q: &MixedBlock, r: &MixedBlock, w: &MixedWeights, k: usize, exclude_self: bool) -> Vec<(f32, u64)> {
        let mut out = Vec::new();
        for qi in 0..q.n_rows {
            let mut all: Vec<(f32, u64)> = (0..r.n_rows)
                .filter(|ri| !(exclude_self && *ri == qi))
                .map(|ri| (mixed_distance(q.num_row(qi), q.cat_row(qi), r.num_row(ri), r.cat_row(ri), w), ri as u64))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            out.extend(all.into_iter().take(k));
        }
        out
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn sdmetrics_vector() {
        // FORMULAS.md: real A=[0,10,3,4,1], B=[x,y,x,z,y]; synthetic A=[5,10,NaN], B=[x,q,y]
        // → DCR = [0.1, 0.5, 0.5] with range 10.
        let rn: Vec<f32> = [0.0, 10.0, 3.0, 4.0, 1.0].iter().map(|v| v / 10.0).collect();
        let rc = [0, 1, 0, 2, 1];
        let qn = [0.5, 1.0, f32::NAN];
        let qc = [0, 3, 1];
        let r = MixedBlock::new(&rn, &rc, 5, 1, 1).unwrap();
        let q = MixedBlock::new(&qn, &qc, 3, 1, 1).unwrap();
        let w = MixedWeights::new(&[1.0], &[1.0]).unwrap();
        let nb = knn_mixed(&q, &r, &w, 1, false).unwrap();
        let expect = [0.1, 0.5, 0.5];
        for (d, e) in nb.distances.iter().zip(expect) {
            assert!((d - e).abs() < 1e-6, "{d} vs {e}");
        }
    }

    #[test]
    fn matches_brute_force_with_ties_and_missing() {
        let mut seed = 7u64;
        let (nq, nr, p, c) = (300, 400, 3, 2);
        let mut gen_block = |n: usize| {
            let num: Vec<f32> = (0..n * p)
                .map(|_| match lcg(&mut seed) % 10 {
                    0 => f32::NAN,
                    v => v as f32 / 8.0,
                })
                .collect();
            let cat: Vec<u32> = (0..n * c)
                .map(|_| match lcg(&mut seed) % 5 {
                    0 => MISSING_CODE,
                    v => v as u32,
                })
                .collect();
            (num, cat)
        };
        let (qn, qc) = gen_block(nq);
        let (rn, rc) = gen_block(nr);
        let q = MixedBlock::new(&qn, &qc, nq, p, c).unwrap();
        let r = MixedBlock::new(&rn, &rc, nr, p, c).unwrap();
        let w = MixedWeights::new(&[1.0, 2.0, 0.5], &[1.0, 1.0]).unwrap();
        for k in [1, 3, 10] {
            let nb = knn_mixed(&q, &r, &w, k, false).unwrap();
            let expect = brute(&q, &r, &w, k, false);
            for (j, (d, i)) in expect.iter().enumerate() {
                assert_eq!(nb.indices[j], *i);
                assert_eq!(nb.distances[j], *d as f64);
            }
        }
        let nb = knn_mixed(&r, &r, &w, 2, true).unwrap();
        let expect = brute(&r, &r, &w, 2, true);
        assert_eq!(nb.indices, expect.iter().map(|x| x.1).collect::<Vec<_>>());
    }

    #[test]
    fn exact_copy_has_distance_zero() {
        let num = [0.123_456_7f32, 0.9, f32::NAN];
        let cat = [4u32, MISSING_CODE];
        let b = MixedBlock::new(&num, &cat, 1, 3, 2).unwrap();
        let w = MixedWeights::new(&[1.0; 3], &[1.0; 2]).unwrap();
        assert_eq!(knn_mixed(&b, &b, &w, 1, false).unwrap().distances, vec![0.0]);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let num = [0.1f32, 0.2];
        let b = MixedBlock::new(&num, &[], 2, 1, 0).unwrap();
        let w = MixedWeights::new(&[1.0], &[]).unwrap();
        assert!(knn_mixed(&b, &b, &w, 3, false).is_err());
        assert!(knn_mixed(&b, &b, &w, 2, true).is_err());
        assert!(knn_mixed(&b, &b, &w, 0, false).is_err());
        assert!(MixedBlock::new(&num, &[], 3, 1, 0).is_err());
        assert!(MixedWeights::new(&[0.0], &[]).is_err());
        assert!(MixedWeights::new(&[f64::NAN], &[]).is_err());
    }
}
