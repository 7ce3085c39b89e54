//! Exact k-nearest-neighbour search between a query block and a reference block.
//!
//! Metrics ([`Metric`]):
//! * mixed-type (DESIGN.md): numeric term `min(|Δ|, 1)` on values already divided by their public
//!   range, categorical term `1[a ≠ b]`, both missing 0, one missing 1; the distance is the
//!   weighted mean over columns. Missing numerics are NaN; missing codes are [`MISSING_CODE`].
//! * L1 and L2 (Euclidean) on numeric blocks without missing values;
//! * Hamming on codes: the share of columns that differ.
//!
//! Results are exact: no approximation, no subsampling of the reference set. Distances are
//! accumulated in `f32` in one canonical order by every path (see `metric.rs`), so an exact copy
//! is at distance exactly 0 and every path returns the same answer, sorted by distance with ties
//! broken by the lower reference index.
//!
//! # How a call is planned ([`Plan`])
//! 1. **Deduplication.** Identical rows (bit-identical after encoding) are grouped. With
//!    `dedup = None` the reference (or query) side is searched per group when the groups number
//!    at most 80% of the rows and the job is not tiny (`n_query · n_reference ≥ 2^20`); each group
//!    then stands for all its rows (multiplicities), pushed in index order.
//! 2. **Path.** `Algorithm::Brute` scans packed reference panels with SIMD register tiles
//!    (`brute.rs`); `Algorithm::Tree` walks a k-d tree with box lower bounds and early
//!    abandoning (`kdtree.rs`). `Algorithm::Auto` uses brute force for small jobs
//!    (`n_query · n_reference < 2^22` after deduplication, or fewer than 2,048 reference groups),
//!    and otherwise builds the tree and runs a pilot of up to 64 evenly spaced queries through
//!    it: the tree is kept when those queries computed on average at most
//!    `n_reference · (5 + columns) / 1250` distances each (a tree step costs ≈ 25 ns per row, a
//!    SIMD lane ≈ 0.1 + 0.02 · columns ns per pair, measured on 2 cores), and brute force is
//!    used otherwise. The pilot stops early once it has spent more than brute force would.
//! 3. **Instruction set.** AVX-512, AVX2+FMA or portable code, detected at run time (capped by
//!    the environment variable `SYNTHRISK_SIMD=avx512|avx2|scalar`, for benchmarks and tests).
//!
//! Memory is O((n_query + n_reference) · columns + n_query · k): the inputs are copied once into
//! the kernel layout, queries run in parallel chunks of at most [`QUERY_CHUNK`] rows (rayon, above a
//! size threshold), and no distance matrix is ever formed.

mod brute;
mod kdtree;
mod metric;
mod prepare;
#[cfg(target_arch = "x86_64")]
mod simd_x86;
mod topk;

use crate::error::{Error, Result};
use metric::{max_abs_l, Kernel, L1K, L2K, MixedK, MAX_ABS_MIXED};
use prepare::{group_rows, Encoded, Groups};
use rayon::prelude::*;
pub use topk::TopK;

/// The code that marks a missing categorical value.
pub const MISSING_CODE: u32 = u32::MAX;

/// Query rows per parallel task, at most: each task reuses every cache-sized chunk of reference
/// panels for all its queries, so larger tasks are faster, down to four tasks per thread.
pub const QUERY_CHUNK: usize = 256;

/// Below this many pair-columns a search runs on the calling thread.
const PARALLEL_WORK: usize = 1 << 22;

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

    /// Equal weights.
    pub fn uniform(n_num: usize, n_cat: usize) -> Result<Self> {
        Self::new(&vec![1.0; n_num], &vec![1.0; n_cat])
    }
}

/// The distance to search under.
#[derive(Clone, Debug)]
pub enum Metric {
    /// Weighted mixed-type distance over numeric and categorical columns.
    Mixed(MixedWeights),
    /// Sum of absolute differences over numeric columns.
    L1,
    /// Euclidean distance over numeric columns.
    L2,
    /// Share of categorical columns that differ.
    Hamming,
}

impl Metric {
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Mixed(_) => "mixed",
            Metric::L1 => "l1",
            Metric::L2 => "l2",
            Metric::Hamming => "hamming",
        }
    }
}

/// Which search path to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Chosen per call by the rule in the module documentation.
    #[default]
    Auto,
    /// Exhaustive SIMD scan of packed reference panels.
    Brute,
    /// k-d tree with box lower bounds.
    Tree,
}

impl Algorithm {
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Auto => "auto",
            Algorithm::Brute => "brute",
            Algorithm::Tree => "tree",
        }
    }
}

/// The instruction set the kernels run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    Scalar,
    Avx2,
    Avx512,
}

impl SimdLevel {
    pub fn name(&self) -> &'static str {
        match self {
            SimdLevel::Scalar => "scalar",
            SimdLevel::Avx2 => "avx2+fma",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// The best level this CPU supports, capped by `SYNTHRISK_SIMD` if set.
    pub fn detect() -> Self {
        let cap = match std::env::var("SYNTHRISK_SIMD").ok().as_deref() {
            Some("scalar") => SimdLevel::Scalar,
            Some("avx2") => SimdLevel::Avx2,
            _ => SimdLevel::Avx512,
        };
        Self::available().min(cap)
    }

    #[cfg(target_arch = "x86_64")]
    fn available() -> Self {
        if simd_x86::HAVE_AVX512
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("fma")
        {
            SimdLevel::Avx512
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            SimdLevel::Avx2
        } else {
            SimdLevel::Scalar
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn available() -> Self {
        SimdLevel::Scalar
    }
}

/// Options of [`knn`]: all default to automatic choices.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub algorithm: Algorithm,
    /// `None`: deduplicate a side when it pays (see the module documentation).
    pub dedup: Option<bool>,
    /// `None`: [`SimdLevel::detect`].
    pub simd: Option<SimdLevel>,
}

/// What a call did, for diagnostics and benchmarks.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub algorithm: Algorithm,
    pub simd: SimdLevel,
    pub query_groups: usize,
    pub reference_groups: usize,
    pub dedup_query: bool,
    pub dedup_reference: bool,
    /// Mean number of distances the tree pilot computed per query, if a pilot ran.
    pub pilot_rows_per_query: Option<f64>,
}

fn check_args(query: &MixedBlock, reference: &MixedBlock, metric: &Metric, k: usize, exclude_self: bool) -> Result<()> {
    if query.n_num != reference.n_num || query.n_cat != reference.n_cat {
        return Err(Error::shape(format!(
            "query has {} numeric and {} categorical columns but reference has {} and {}: encode both with the same Domain",
            query.n_num, query.n_cat, reference.n_num, reference.n_cat
        )));
    }
    let (p, c) = (query.n_num, query.n_cat);
    match metric {
        Metric::Mixed(w) => {
            if w.num.len() != p || w.cat.len() != c {
                return Err(Error::shape(format!(
                    "{} numeric and {} categorical weights given for {p} numeric and {c} categorical columns: give one weight per column",
                    w.num.len(),
                    w.cat.len()
                )));
            }
            if p + c == 0 {
                return Err(Error::invalid("the blocks have no columns"));
            }
        }
        Metric::L1 | Metric::L2 => {
            if c > 0 || p == 0 {
                return Err(Error::invalid(format!(
                    "metric '{}' needs numeric columns only, got {p} numeric and {c} categorical: use metric='mixed' or 'hamming'",
                    metric.name()
                )));
            }
        }
        Metric::Hamming => {
            if p > 0 || c == 0 {
                return Err(Error::invalid(format!(
                    "metric 'hamming' needs categorical codes only, got {p} numeric and {c} categorical columns: use metric='mixed'"
                )));
            }
        }
    }
    if query.n_rows == 0 || reference.n_rows == 0 {
        return Err(Error::invalid(format!(
            "empty input: the query has {} rows and the reference {}: both need at least one row",
            query.n_rows, reference.n_rows
        )));
    }
    if query.n_rows > u32::MAX as usize || reference.n_rows > u32::MAX as usize {
        return Err(Error::invalid("at most 4,294,967,295 rows per block are supported"));
    }
    if exclude_self && query.n_rows != reference.n_rows {
        return Err(Error::invalid(format!(
            "exclude_self=True needs query and reference to be the same rows, but they have {} and {} rows",
            query.n_rows, reference.n_rows
        )));
    }
    let available = reference.n_rows - usize::from(exclude_self);
    if k == 0 || k > available {
        return Err(Error::invalid(format!(
            "k={k} but the reference has {available} candidate rows{}: choose 1 ≤ k ≤ {available}",
            if exclude_self { " besides the query row itself" } else { "" }
        )));
    }
    for (block, what) in [(query, "query"), (reference, "reference")] {
        check_values(block, metric, what)?;
    }
    Ok(())
}

fn check_values(b: &MixedBlock, metric: &Metric, what: &str) -> Result<()> {
    let p = b.n_num;
    let mixed = matches!(metric, Metric::Mixed(_));
    let limit = if mixed { MAX_ABS_MIXED } else { max_abs_l(matches!(metric, Metric::L2), p) };
    for (i, row) in b.num.chunks_exact(p.max(1)).enumerate().take(if p == 0 { 0 } else { b.n_rows }) {
        for (j, x) in row.iter().enumerate() {
            if x.is_nan() {
                if !mixed {
                    return Err(Error::invalid(format!(
                        "{what} row {i}, numeric column {j} is NaN (missing): metric '{}' has no rule for missing values; impute them or use metric='mixed'",
                        metric.name()
                    )));
                }
            } else if x.abs() > limit {
                return Err(Error::invalid(format!(
                    "{what} row {i}, numeric column {j} is {x}: values must be finite and at most {limit:e} in magnitude{}",
                    if mixed { " after scaling by the column's range" } else { "; rescale the data" }
                )));
            }
        }
    }
    Ok(())
}

/// Groups a side's rows when that pays under the rule of the module documentation.
fn maybe_group(e: &Encoded, dedup: Option<bool>, tiny: bool) -> (Groups, bool) {
    match dedup {
        Some(false) => (Groups::identity(e.n_rows), false),
        None if tiny => (Groups::identity(e.n_rows), false),
        Some(true) => (group_rows(e), true),
        None => {
            let g = group_rows(e);
            if g.n_groups() * 5 <= e.n_rows * 4 {
                (g, true)
            } else {
                (Groups::identity(e.n_rows), false)
            }
        }
    }
}

/// What a search kernel needs besides the queries.
struct Search<'a> {
    refs: &'a Encoded,
    groups: &'a Groups,
    wn: &'a [f32],
    wc: &'a [f32],
    in_order: bool,
    /// Numeric terms are clipped at 1 (mixed metric): the tree weighs spreads accordingly.
    clip: bool,
    simd: SimdLevel,
}

/// Instantiates a generic `#[inline(always)]` chunk kernel for AVX2+FMA and portable code and
/// dispatches on the detected level (the tree path is scalar code: AVX2's FMA is what it needs).
macro_rules! simd_dispatch {
    ($level:expr, $generic:ident, $avx2:ident, ($($arg:ident : $ty:ty),*) -> $ret:ty, $body:expr) => {{
        #[inline(always)]
        fn $generic<K: Kernel>($($arg: $ty),*) -> $ret { $body }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2<K: Kernel>($($arg: $ty),*) -> $ret { $generic::<K>($($arg),*) }
        move |$($arg: $ty),*| -> $ret {
            match $level {
                // SAFETY: the level was detected on this CPU (SimdLevel::available).
                #[cfg(target_arch = "x86_64")]
                SimdLevel::Avx512 | SimdLevel::Avx2 => unsafe { $avx2::<K>($($arg),*) },
                _ => $generic::<K>($($arg),*),
            }
        }
    }};
}

fn brute_runner<K: Kernel>(level: SimdLevel) -> impl Fn(&brute::BruteArgs, usize, &mut [TopK]) + Sync {
    move |a: &brute::BruteArgs, q0: usize, tops: &mut [TopK]| match level {
        // SAFETY: the level was detected on this CPU (SimdLevel::available).
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { simd_x86::search_chunk_avx512::<K>(a, q0, tops) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { simd_x86::search_chunk_avx2::<K>(a, q0, tops) },
        _ => brute::search_chunk::<K, 4>(a, q0, tops),
    }
}

type TreeArgs<'a> = (&'a kdtree::KdTree, &'a Groups, &'a [f32], &'a [f32]);

fn tree_runner<K: Kernel>(level: SimdLevel) -> impl Fn(&TreeArgs, &Encoded, usize, &mut [TopK]) -> u64 + Sync {
    simd_dispatch!(level, gen_tree, avx2_tree, (a: &TreeArgs, q: &Encoded, q0: usize, tops: &mut [TopK]) -> u64, {
        kdtree::search_chunk::<K>(a.0, q, a.1, a.2, a.3, q0, tops)
    })
}

/// Runs `chunk(q0, tops)` over all queries, in parallel when the job is large enough.
fn run_chunks(n: usize, k: usize, parallel: bool, chunk: impl Fn(usize, &mut [TopK]) + Sync) -> Vec<TopK> {
    let mut tops = vec![TopK::new(k); n];
    if parallel {
        let size = (n / (4 * rayon::current_num_threads())).clamp(16, QUERY_CHUNK);
        tops.par_chunks_mut(size).enumerate().for_each(|(i, t)| chunk(i * size, t));
    } else {
        for (i, t) in tops.chunks_mut(QUERY_CHUNK).enumerate() {
            chunk(i * QUERY_CHUNK, t);
        }
    }
    tops
}

fn search_all<K: Kernel>(s: &Search, queries: &Encoded, k: usize, algorithm: Algorithm, plan: &mut Plan) -> Vec<TopK> {
    let work = queries.n_rows.saturating_mul(s.refs.n_rows).saturating_mul(s.refs.p + s.refs.c);
    let parallel = work >= PARALLEL_WORK;
    let n_ref = s.refs.n_rows;
    let mut algorithm = algorithm;
    let mut tree = None;
    let consider_tree = match algorithm {
        Algorithm::Tree => true,
        Algorithm::Brute => false,
        Algorithm::Auto => n_ref >= 2048 && queries.n_rows.saturating_mul(n_ref) >= 1 << 22,
    };
    if consider_tree {
        let t = kdtree::KdTree::build(s.refs, s.groups, s.wn, s.wc, s.clip);
        if algorithm == Algorithm::Auto {
            // Cost model measured on AVX2/AVX-512 (2 cores): a tree step costs ≈ 25 ns per row it
            // computes, a SIMD lane ≈ 0.1 + 0.02 · columns ns per pair. The pilot stops as soon
            // as its rows exceed what brute force would have cost.
            let cols = (s.refs.p + s.refs.c) as f64;
            let budget_per_query = n_ref as f64 * (5.0 + cols) / 1250.0;
            let pilots = queries.n_rows.min(64);
            let run = tree_runner::<K>(s.simd);
            let args = (&t, s.groups, s.wn, s.wc);
            let mut evaluated = 0u64;
            let mut done = 0usize;
            let mut top = [TopK::new(k)];
            while done < pilots && evaluated as f64 <= budget_per_query * pilots as f64 {
                let row = [(done * queries.n_rows / pilots) as u32];
                evaluated += run(&args, &queries.select(&row), 0, &mut top);
                done += 1;
            }
            let per_query = evaluated as f64 / done as f64;
            plan.pilot_rows_per_query = Some(per_query);
            algorithm = if done == pilots && per_query <= budget_per_query { Algorithm::Tree } else { Algorithm::Brute };
        }
        tree = Some(t);
    } else if algorithm == Algorithm::Auto {
        algorithm = Algorithm::Brute;
    }
    plan.algorithm = algorithm;
    match algorithm {
        Algorithm::Tree => {
            let t = tree.expect("built above");
            let run = tree_runner::<K>(s.simd);
            let args = (&t, s.groups, s.wn, s.wc);
            // A tree query costs little; parallelise by the (smaller) real work.
            let parallel = parallel && queries.n_rows >= 32;
            run_chunks(queries.n_rows, k, parallel, |q0, tops| {
                run(&args, queries, q0, tops);
            })
        }
        _ => {
            let panels = brute::Panels::pack(s.refs);
            let args = brute::BruteArgs {
                query: queries,
                panels: &panels,
                groups: s.groups,
                wn: s.wn,
                wc: s.wc,
                in_order: s.in_order,
            };
            let run = brute_runner::<K>(s.simd);
            run_chunks(queries.n_rows, k, parallel, |q0, tops| {
                run(&args, q0, tops);
            })
        }
    }
}

/// Exact top-k of every query row among the reference rows, with the plan that was used.
///
/// `exclude_self` skips reference row i for query row i (leave-one-out distances); query and
/// reference must then have the same number of rows.
pub fn knn(
    query: &MixedBlock,
    reference: &MixedBlock,
    metric: &Metric,
    k: usize,
    exclude_self: bool,
    options: &Options,
) -> Result<(Neighbors, Plan)> {
    check_args(query, reference, metric, k, exclude_self)?;
    let (p, c) = (query.n_num, query.n_cat);
    let q_enc = Encoded::new(query.num, query.cat, query.n_rows, p, c);
    let r_enc = Encoded::new(reference.num, reference.cat, reference.n_rows, p, c);
    let tiny = query.n_rows.saturating_mul(reference.n_rows) < 1 << 20;
    let (q_groups, dedup_q) = maybe_group(&q_enc, options.dedup, tiny);
    let (r_groups, dedup_r) = maybe_group(&r_enc, options.dedup, tiny);
    let q_unique = if dedup_q { q_enc.select(&q_groups.first) } else { q_enc };
    let r_unique = if dedup_r { r_enc.select(&r_groups.first) } else { r_enc };
    let (wn, wc): (Vec<f32>, Vec<f32>) = match metric {
        Metric::Mixed(w) => (w.num.clone(), w.cat.clone()),
        Metric::L1 | Metric::L2 => (vec![1.0; p], Vec::new()),
        Metric::Hamming => (Vec::new(), vec![1.0; c]),
    };
    let simd = options.simd.map_or_else(SimdLevel::detect, |s| s.min(SimdLevel::available()));
    let search = Search { refs: &r_unique, groups: &r_groups, wn: &wn, wc: &wc, in_order: !dedup_r, clip: matches!(metric, Metric::Mixed(_)), simd };
    let mut plan = Plan {
        algorithm: options.algorithm,
        simd,
        query_groups: q_unique.n_rows,
        reference_groups: r_unique.n_rows,
        dedup_query: dedup_q,
        dedup_reference: dedup_r,
        pilot_rows_per_query: None,
    };
    let kk = k + usize::from(exclude_self);
    let tops = match metric {
        Metric::Mixed(_) | Metric::Hamming => search_all::<MixedK>(&search, &q_unique, kk, options.algorithm, &mut plan),
        Metric::L1 => search_all::<L1K>(&search, &q_unique, kk, options.algorithm, &mut plan),
        Metric::L2 => search_all::<L2K>(&search, &q_unique, kk, options.algorithm, &mut plan),
    };
    let finish: fn(f32, usize) -> f64 = match metric {
        Metric::Mixed(_) | Metric::L1 => |d, _| d as f64,
        Metric::L2 => |d, _| (d as f64).sqrt(),
        Metric::Hamming => |d, c| d as f64 / c as f64,
    };
    let n = query.n_rows;
    let mut distances = vec![0.0f64; n * k];
    let mut indices = vec![0u64; n * k];
    let fill = |(qi, (d_row, i_row)): (usize, (&mut [f64], &mut [u64]))| {
        let items = tops[q_groups.group_of[qi] as usize].items();
        let mut out = 0;
        for &(d, idx) in items {
            if out == k {
                break;
            }
            if exclude_self && idx == qi as u64 {
                continue;
            }
            d_row[out] = finish(d, c);
            i_row[out] = idx;
            out += 1;
        }
    };
    distances.par_chunks_mut(k).zip(indices.par_chunks_mut(k)).enumerate().with_min_len(1 << 14).for_each(fill);
    Ok((Neighbors { k, distances, indices }, plan))
}

/// Exact top-k under the mixed distance with automatic choices (see [`knn`]).
pub fn knn_mixed(
    query: &MixedBlock,
    reference: &MixedBlock,
    weights: &MixedWeights,
    k: usize,
    exclude_self: bool,
) -> Result<Neighbors> {
    knn(query, reference, &Metric::Mixed(weights.clone()), k, exclude_self, &Options::default()).map(|r| r.0)
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
mod tests;
