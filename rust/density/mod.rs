//! Gaussian kernel density estimates in log space (DOMIAS-style density ratios).
//!
//! [`GaussianKde`] follows `scipy.stats.gaussian_kde` exactly: the kernel covariance is the
//! (weighted, unbiased) sample covariance times `factor²`, with Scott's factor
//! `n_eff^(-1/(d+4))`, Silverman's `(n_eff (d+2) / 4)^(-1/(d+4))` or a given one, and
//! `n_eff = 1 / Σ w_i²` for weights normalised to sum 1. A diagonal covariance keeps only the
//! variances. The log-density of a query `x` is
//!
//! ```text
//! log p(x) = logsumexp_i( log w_i − ½ ‖L⁻¹(x − x_i)‖² ) − ½ log det(2π Σ),   Σ = L Lᵀ
//! ```
//!
//! computed exactly (every sample point contributes; nothing is truncated) in `f64`. Sample
//! points are whitened once and packed in tiles of [`TILE`] points (coordinate-major inside a
//! tile); queries run in parallel chunks; for each tile the squared distances of a few queries
//! are computed together (SIMD across points), then folded into a running log-sum-exp per query
//! with a vectorised `exp`. Memory is O((n + m) · d), never an n × m matrix.

use crate::error::{Error, Result};
use crate::fastexp::{exp_le0, exp_le0_with};
use rayon::prelude::*;

/// Sample points per tile.
pub const TILE: usize = 256;
/// Queries computed together against one tile.
const QB: usize = 4;
/// Below this many point-query-dimension products a call runs on the calling thread.
const PARALLEL_WORK: usize = 1 << 20;
/// Coordinate of padding points (their log weight is −∞, so they add exactly 0).
const PAD: f64 = 0.0;

/// The instruction set the kernel runs with (detected at run time; `SYNTHRISK_SIMD=scalar|avx2`
/// caps it, for tests and benchmarks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    Scalar,
    Avx2,
    Avx512,
}

impl Simd {
    /// The best level this CPU supports, capped by `SYNTHRISK_SIMD` if set.
    pub fn detect() -> Self {
        let cap = match std::env::var("SYNTHRISK_SIMD").ok().as_deref() {
            Some("scalar") => Simd::Scalar,
            Some("avx2") => Simd::Avx2,
            _ => Simd::Avx512,
        };
        Self::available().min(cap)
    }

    #[cfg(target_arch = "x86_64")]
    fn available() -> Self {
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") && is_x86_feature_detected!("fma") {
            Simd::Avx512
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            Simd::Avx2
        } else {
            Simd::Scalar
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn available() -> Self {
        Simd::Scalar
    }
}

/// How the bandwidth factor is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bandwidth {
    /// `n_eff^(-1/(d+4))` (scipy's default).
    Scott,
    /// `(n_eff (d + 2) / 4)^(-1/(d+4))`.
    Silverman,
    /// A given factor that multiplies the sample standard deviations (scipy's scalar `bw_method`).
    Factor(f64),
}

/// The shape of the kernel covariance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covariance {
    /// The full sample covariance matrix (scipy).
    Full,
    /// Only the sample variances (a product kernel).
    Diagonal,
}

/// A fitted Gaussian KDE: whitened, tiled sample points and the normalising constant.
#[derive(Clone, Debug)]
pub struct GaussianKde {
    d: usize,
    n: usize,
    /// Bandwidth factor.
    pub factor: f64,
    /// Effective sample size `1 / Σ w²`.
    pub n_eff: f64,
    /// Kernel covariance `factor² · C` (row-major d × d).
    pub covariance: Vec<f64>,
    mean: Vec<f64>,
    /// Lower Cholesky factor of the kernel covariance (row-major d × d).
    chol: Vec<f64>,
    /// `−½ log det(2π Σ)`.
    log_norm: f64,
    /// Whitened points, tile after tile, each tile `d × TILE` (coordinate-major).
    tiles: Vec<f64>,
    /// Squared norms of the whitened points, per tile slot.
    norms: Vec<f64>,
    /// Log weights per tile slot: `log w_i` (0 for uniform weights, whose `log(1/n)` is added
    /// at the end) and `−∞` for padding.
    log_weights: Vec<f64>,
    weighted: bool,
    /// `log(1/n)` for uniform weights.
    log_uniform: f64,
}

impl GaussianKde {
    /// Fits a KDE to `n` points of dimension `d` (row-major `data`), with optional weights.
    pub fn fit(
        data: &[f64],
        n: usize,
        d: usize,
        weights: Option<&[f64]>,
        bandwidth: Bandwidth,
        covariance: Covariance,
    ) -> Result<Self> {
        if d == 0 {
            return Err(Error::invalid("the sample needs at least one column"));
        }
        if data.len() != n * d {
            return Err(Error::shape(format!("data has {} values, expected {n} × {d}", data.len())));
        }
        if n < 2 {
            return Err(Error::invalid(format!("a KDE needs at least 2 sample points, got {n}")));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!(
                "the sample holds a non-finite value (row {}, column {}): drop or impute missing values first",
                i / d,
                i % d
            )));
        }
        let w = normalised_weights(weights, n)?;
        let n_eff = match &w {
            Some(w) => 1.0 / w.iter().map(|x| x * x).sum::<f64>(),
            None => n as f64,
        };
        let factor = match bandwidth {
            Bandwidth::Scott => n_eff.powf(-1.0 / (d as f64 + 4.0)),
            Bandwidth::Silverman => (n_eff * (d as f64 + 2.0) / 4.0).powf(-1.0 / (d as f64 + 4.0)),
            Bandwidth::Factor(f) if f.is_finite() && f > 0.0 => f,
            Bandwidth::Factor(f) => {
                return Err(Error::invalid(format!("the bandwidth factor must be finite and positive, got {f}")))
            }
        };
        let (mean, mut cov) = weighted_covariance(data, n, d, w.as_deref());
        if covariance == Covariance::Diagonal {
            for i in 0..d {
                for j in 0..d {
                    if i != j {
                        cov[i * d + j] = 0.0;
                    }
                }
            }
        }
        for i in 0..d {
            let first = data[i];
            let constant = data.iter().skip(i).step_by(d).all(|v| *v == first);
            if constant || cov[i * d + i] <= 0.0 {
                return Err(Error::invalid(format!(
                    "column {i} of the sample is constant: its variance is 0, so no Gaussian kernel fits; drop it"
                )));
            }
        }
        let data_chol = cholesky(&cov, d).ok_or_else(|| {
            Error::invalid(
                "the sample covariance is singular (some columns are linear combinations of others): \
                 drop redundant columns or use a diagonal covariance",
            )
        })?;
        let chol: Vec<f64> = data_chol.iter().map(|v| v * factor).collect();
        let covariance: Vec<f64> = cov.iter().map(|v| v * factor * factor).collect();
        let log_norm =
            -(0..d).map(|i| (chol[i * d + i] * (2.0 * std::f64::consts::PI).sqrt()).ln()).sum::<f64>();
        let n_tiles = n.div_ceil(TILE);
        let mut tiles = vec![PAD; n_tiles * d * TILE];
        let mut z = vec![0.0; d];
        for (i, row) in data.chunks_exact(d).enumerate() {
            whiten(row, &mean, &chol, d, &mut z);
            let (t, slot) = (i / TILE, i % TILE);
            let base = t * d * TILE;
            for k in 0..d {
                tiles[base + k * TILE + slot] = z[k];
            }
        }
        let norms: Vec<f64> = (0..n_tiles * TILE)
            .map(|i| {
                let (t, slot) = (i / TILE, i % TILE);
                (0..d).map(|k| tiles[t * d * TILE + k * TILE + slot].powi(2)).sum()
            })
            .collect();
        let weighted = w.is_some();
        let mut log_weights = vec![f64::NEG_INFINITY; n_tiles * TILE];
        for (i, slot) in log_weights.iter_mut().take(n).enumerate() {
            *slot = match &w {
                Some(w) if w[i] > 0.0 => w[i].ln(),
                Some(_) => f64::NEG_INFINITY,
                None => 0.0,
            };
        }
        Ok(Self {
            d,
            n,
            factor,
            n_eff,
            covariance,
            mean,
            chol,
            log_norm,
            tiles,
            norms,
            log_weights,
            weighted,
            log_uniform: -(n as f64).ln(),
        })
    }

    /// Dimension of the sample.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Number of sample points.
    pub fn n_points(&self) -> usize {
        self.n
    }

    /// Log-density at `m` query points (row-major `m × d`).
    pub fn log_density(&self, queries: &[f64]) -> Result<Vec<f64>> {
        self.log_density_with(queries, Simd::detect())
    }

    /// Log-density with a given instruction-set level (for tests and benchmarks; a level this
    /// CPU lacks is lowered to the best one it has).
    pub fn log_density_with(&self, queries: &[f64], level: Simd) -> Result<Vec<f64>> {
        let level = level.min(Simd::available());
        let d = self.d;
        if queries.len() % d != 0 {
            return Err(Error::shape(format!(
                "queries have {} values, not a multiple of the sample's {d} columns",
                queries.len()
            )));
        }
        let m = queries.len() / d;
        if let Some(i) = queries.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!(
                "query row {} column {} is not finite: drop or impute missing values first",
                i / d,
                i % d
            )));
        }
        // Whitened queries, padded to whole groups of QB.
        let m_pad = m.div_ceil(QB) * QB;
        let mut zq = vec![0.0; m_pad * d];
        for (row, out) in queries.chunks_exact(d).zip(zq.chunks_exact_mut(d)) {
            whiten(row, &self.mean, &self.chol, d, out);
        }
        let mut out = vec![0.0; m_pad];
        let threads = rayon::current_num_threads().max(1);
        let chunk = if m_pad * self.n * d < PARALLEL_WORK {
            m_pad
        } else {
            // About four tasks per thread, at most 64 queries each, whole query groups.
            (m_pad.div_ceil(threads * 4)).clamp(QB, 64).div_ceil(QB) * QB
        };
        let run = |(zq, out): (&[f64], &mut [f64])| self.chunk_dispatch(zq, out, level);
        if chunk >= m_pad {
            run((&zq, &mut out));
        } else {
            zq.par_chunks(chunk * d).zip(out.par_chunks_mut(chunk)).for_each(run);
        }
        out.truncate(m);
        Ok(out)
    }

    fn chunk_dispatch(&self, zq: &[f64], out: &mut [f64], level: Simd) {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn avx2(k: &GaussianKde, zq: &[f64], out: &mut [f64]) {
            k.chunk::<true>(zq, out)
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        fn avx512(k: &GaussianKde, zq: &[f64], out: &mut [f64]) {
            k.chunk::<true>(zq, out)
        }
        match level {
            // SAFETY: the level was detected on this CPU (Simd::detect).
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { avx512(self, zq, out) },
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { avx2(self, zq, out) },
            _ => self.chunk::<false>(zq, out),
        }
    }

    /// Log-densities of a chunk of whitened queries (a whole number of QB groups).
    #[inline(always)]
    fn chunk<const FMA: bool>(&self, zq: &[f64], out: &mut [f64]) {
        let d = self.d;
        let groups = out.len() / QB;
        let mut run_max = vec![f64::NEG_INFINITY; out.len()];
        let mut run_sum = vec![0.0f64; out.len()];
        let mut buf = [[0.0f64; TILE]; QB];
        let q_norms: Vec<f64> = zq.chunks_exact(d).map(|q| q.iter().map(|v| v * v).sum()).collect();
        for (t, tile) in self.tiles.chunks_exact(d * TILE).enumerate() {
            let lw: &[f64; TILE] = self.log_weights[t * TILE..(t + 1) * TILE].try_into().expect("tile");
            let p_norms: &[f64; TILE] = self.norms[t * TILE..(t + 1) * TILE].try_into().expect("tile");
            for g in 0..groups {
                let q = &zq[g * QB * d..(g + 1) * QB * d];
                let qn: &[f64; QB] = q_norms[g * QB..(g + 1) * QB].try_into().expect("group");
                let maxima = tile_terms::<FMA>(q, qn, tile, p_norms, lw, d, &mut buf);
                for (b, (row, m)) in buf.iter().zip(maxima).enumerate() {
                    let i = g * QB + b;
                    fold_tile::<FMA>(row, m, &mut run_max[i], &mut run_sum[i]);
                }
            }
        }
        let shift = if self.weighted { 0.0 } else { self.log_uniform };
        for ((o, mx), s) in out.iter_mut().zip(&run_max).zip(&run_sum) {
            *o = mx + s.ln() + shift + self.log_norm;
        }
    }
}

/// Lanes of the register tiles: 8 points per query (two AVX2 vectors, one AVX-512 vector).
const W: usize = 8;

/// `buf[b][j] = log w_j − ½‖q_b − p_j‖²` for the QB queries `q` (row-major) and one tile of
/// points, with `‖q − p‖² = ‖q‖² + ‖p‖² − 2 q·p` (one multiply-add per coordinate; the data are
/// centred, so the cancellation costs about `‖q‖²·1e-16` of absolute accuracy, far below what
/// the sum needs). Returns the largest term of each query.
#[inline(always)]
fn tile_terms<const FMA: bool>(
    q: &[f64],
    q_norms: &[f64; QB],
    tile: &[f64],
    p_norms: &[f64; TILE],
    lw: &[f64; TILE],
    d: usize,
    buf: &mut [[f64; TILE]; QB],
) -> [f64; QB] {
    let mut lane_max = [[f64::NEG_INFINITY; W]; QB];
    for j in (0..TILE).step_by(W) {
        let mut acc = [[0.0f64; W]; QB];
        for k in 0..d {
            let p: &[f64; W] = tile[k * TILE + j..k * TILE + j + W].try_into().expect("lanes");
            for (b, a) in acc.iter_mut().enumerate() {
                let qk = q[b * d + k];
                for l in 0..W {
                    a[l] = if FMA { qk.mul_add(p[l], a[l]) } else { qk * p[l] + a[l] };
                }
            }
        }
        for b in 0..QB {
            for l in 0..W {
                let s = (q_norms[b] + p_norms[j + l]) - 2.0 * acc[b][l];
                let s = if s > 0.0 { s } else { 0.0 };
                let t = lw[j + l] - 0.5 * s;
                buf[b][j + l] = t;
                lane_max[b][l] = if t > lane_max[b][l] { t } else { lane_max[b][l] };
            }
        }
    }
    let mut out = [f64::NEG_INFINITY; QB];
    for (o, m) in out.iter_mut().zip(&lane_max) {
        *o = m.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    }
    out
}

/// Folds one tile's terms into a running (max, Σ exp(term − max)).
#[inline(always)]
fn fold_tile<const FMA: bool>(t: &[f64; TILE], tile_max: f64, run_max: &mut f64, run_sum: &mut f64) {
    if tile_max == f64::NEG_INFINITY {
        return;
    }
    let new_max = run_max.max(tile_max);
    let mut lane_sum = [0.0f64; W];
    for chunk in t.chunks_exact(W) {
        for l in 0..W {
            lane_sum[l] += exp_le0_with::<FMA>(chunk[l] - new_max);
        }
    }
    let sum: f64 = lane_sum.iter().sum();
    *run_sum = *run_sum * exp_le0(*run_max - new_max) + sum;
    *run_max = new_max;
}

fn normalised_weights(weights: Option<&[f64]>, n: usize) -> Result<Option<Vec<f64>>> {
    let Some(w) = weights else { return Ok(None) };
    if w.len() != n {
        return Err(Error::shape(format!("{} weights for {n} sample points", w.len())));
    }
    if w.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::invalid("weights must be finite and non-negative"));
    }
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return Err(Error::invalid("weights must have a positive sum"));
    }
    Ok(Some(w.iter().map(|v| v / total).collect()))
}

/// Mean and covariance as `numpy.cov(data.T, bias=False, aweights=w)` computes them.
fn weighted_covariance(data: &[f64], n: usize, d: usize, w: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
    let uniform = 1.0 / n as f64;
    let wi = |i: usize| w.map_or(uniform, |w| w[i]);
    let mut mean = vec![0.0; d];
    for (i, row) in data.chunks_exact(d).enumerate() {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += wi(i) * x;
        }
    }
    let mut cov = vec![0.0; d * d];
    let mut c = vec![0.0; d];
    for (i, row) in data.chunks_exact(d).enumerate() {
        for k in 0..d {
            c[k] = row[k] - mean[k];
        }
        let wt = wi(i);
        for a in 0..d {
            for b in 0..=a {
                cov[a * d + b] += wt * c[a] * c[b];
            }
        }
    }
    let sum_w2 = w.map_or(uniform, |w| w.iter().map(|x| x * x).sum());
    let fact = 1.0 - sum_w2;
    for a in 0..d {
        for b in 0..=a {
            let v = cov[a * d + b] / fact;
            cov[a * d + b] = v;
            cov[b * d + a] = v;
        }
    }
    (mean, cov)
}

/// Lower Cholesky factor of a symmetric positive-definite matrix, or `None`.
fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                // A pivot that lost all but ~1e-10 of the variance means a (numerically)
                // linear dependence: the kernel would be degenerate along it.
                if s <= 1e-10 * a[i * d + i] || !s.is_finite() {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// `z = L⁻¹ (x − μ)` by forward substitution.
fn whiten(x: &[f64], mean: &[f64], chol: &[f64], d: usize, z: &mut [f64]) {
    for i in 0..d {
        let mut s = x[i] - mean[i];
        for k in 0..i {
            s -= chol[i * d + k] * z[k];
        }
        z[i] = s / chol[i * d + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain formula, term by term, with `f64::exp`.
    fn reference(data: &[f64], d: usize, kde: &GaussianKde, x: &[f64]) -> f64 {
        let n = data.len() / d;
        let mut zx = vec![0.0; d];
        whiten(x, &kde.mean, &kde.chol, d, &mut zx);
        let mut terms = Vec::with_capacity(n);
        let mut zp = vec![0.0; d];
        for row in data.chunks_exact(d) {
            whiten(row, &kde.mean, &kde.chol, d, &mut zp);
            let s: f64 = zx.iter().zip(&zp).map(|(a, b)| (a - b) * (a - b)).sum();
            terms.push(-0.5 * s);
        }
        let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln() - (n as f64).ln() + kde.log_norm
    }

    fn sample(n: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n * d)
            .map(|i| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                u * 3.0 + (i % d) as f64 * 0.5 * u
            })
            .collect()
    }

    #[test]
    fn matches_the_plain_formula_on_every_path() {
        for &(n, d, m) in &[(2usize, 1usize, 3usize), (300, 3, 17), (777, 5, 9)] {
            let data = sample(n, d, 7);
            let queries = sample(m, d, 11);
            for cov in [Covariance::Full, Covariance::Diagonal] {
                let kde = GaussianKde::fit(&data, n, d, None, Bandwidth::Scott, cov).unwrap();
                for level in [Simd::Scalar, Simd::detect()] {
                    let got = kde.log_density_with(&queries, level).unwrap();
                    for (j, q) in queries.chunks_exact(d).enumerate() {
                        let want = reference(&data, d, &kde, q);
                        assert!(((got[j] - want) / want).abs() < 1e-12, "{n} {d} {cov:?}: {} vs {want}", got[j]);
                    }
                }
            }
        }
    }

    #[test]
    fn far_queries_stay_finite() {
        let data = sample(100, 2, 3);
        let kde = GaussianKde::fit(&data, 100, 2, None, Bandwidth::Factor(0.01), Covariance::Full).unwrap();
        let out = kde.log_density(&[1e4, -1e4]).unwrap();
        assert!(out[0].is_finite() && out[0] < -1e6);
    }

    #[test]
    fn weights_and_bandwidths() {
        let data = sample(50, 2, 5);
        let ones = vec![2.0; 50];
        let a = GaussianKde::fit(&data, 50, 2, None, Bandwidth::Silverman, Covariance::Full).unwrap();
        let b = GaussianKde::fit(&data, 50, 2, Some(&ones), Bandwidth::Silverman, Covariance::Full).unwrap();
        let (x, y) = (a.log_density(&[1.0, 1.0]).unwrap(), b.log_density(&[1.0, 1.0]).unwrap());
        assert!((x[0] - y[0]).abs() < 1e-12);
        assert!((a.factor - (50.0f64 * 4.0 / 4.0).powf(-1.0 / 6.0)).abs() < 1e-15);
        assert!((a.n_eff - b.n_eff).abs() < 1e-9);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let data = vec![1.0, 2.0, 1.0, 3.0, 1.0, 4.0];
        let e = GaussianKde::fit(&data, 3, 2, None, Bandwidth::Scott, Covariance::Full).unwrap_err();
        assert!(e.to_string().contains("constant"));
        let collinear = vec![1.0, 2.0, 2.0, 4.0, 3.0, 6.0];
        let e = GaussianKde::fit(&collinear, 3, 2, None, Bandwidth::Scott, Covariance::Full).unwrap_err();
        assert!(e.to_string().contains("singular"));
        assert!(GaussianKde::fit(&collinear, 3, 2, None, Bandwidth::Scott, Covariance::Diagonal).is_ok());
        assert!(GaussianKde::fit(&[1.0], 1, 1, None, Bandwidth::Scott, Covariance::Full).is_err());
        assert!(GaussianKde::fit(&[1.0, f64::NAN], 2, 1, None, Bandwidth::Scott, Covariance::Full).is_err());
        assert!(GaussianKde::fit(&[1.0, 2.0], 2, 1, None, Bandwidth::Factor(-1.0), Covariance::Full).is_err());
        let kde = GaussianKde::fit(&[1.0, 2.0], 2, 1, None, Bandwidth::Scott, Covariance::Full).unwrap();
        assert!(kde.log_density(&[f64::NAN]).is_err());
        assert_eq!(kde.log_density(&[]).unwrap().len(), 0);
    }
}
