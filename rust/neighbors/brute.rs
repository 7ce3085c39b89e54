//! The exhaustive path: reference rows packed into panels of 16 rows stored column by column, so
//! one SIMD register holds one column of 16 reference rows; a register tile of `QB` queries × 16
//! reference rows is computed per panel, and the top-k lists are touched only when some lane
//! beats a query's current k-th best distance. Reference panels are walked in cache-sized chunks
//! that every query block of a task reuses.

use super::metric::Kernel;
use super::prepare::{Encoded, Groups};
use super::topk::TopK;

/// Reference rows per panel: two AVX2 registers or one AVX-512 register of `f32`.
pub const LANES: usize = 16;

/// Bytes of reference panels a task keeps hot while its query blocks pass over them.
const CHUNK_BYTES: usize = 256 * 1024;

/// Reference rows packed panel by panel: `num[panel][column][lane]`, `cat[panel][column][lane]`.
pub struct Panels {
    pub num: Vec<f32>,
    /// Per row (panel-major, padding 0): `‖r‖² · (1 − l2_margin(p))`, for the dot-product
    /// filter of the L2 tiles (`simd_x86.rs`).
    pub sq: Vec<f32>,
    pub cat: Vec<u32>,
    pub n_rows: usize,
    pub n_panels: usize,
    pub p: usize,
    pub c: usize,
}

impl Panels {
    pub fn pack(e: &Encoded) -> Self {
        let n_panels = e.n_rows.div_ceil(LANES);
        let (p, c) = (e.p, e.c);
        let mut num = vec![0.0f32; n_panels * p * LANES];
        let mut cat = vec![0u32; n_panels * c * LANES];
        for i in 0..e.n_rows {
            let (panel, lane) = (i / LANES, i % LANES);
            for (j, x) in e.num_row(i).iter().enumerate() {
                num[(panel * p + j) * LANES + lane] = *x;
            }
            for (j, x) in e.cat_row(i).iter().enumerate() {
                cat[(panel * c + j) * LANES + lane] = *x;
            }
        }
        let margin = l2_margin(p) as f64;
        let mut sq = vec![0.0f32; n_panels * LANES];
        for (i, v) in sq.iter_mut().enumerate().take(e.n_rows) {
            let r2: f64 = e.num_row(i).iter().map(|x| (*x as f64) * (*x as f64)).sum();
            *v = (r2 * (1.0 - margin)) as f32;
        }
        Self { num, sq, cat, n_rows: e.n_rows, n_panels, p, c }
    }

    pub fn panels_per_chunk(&self) -> usize {
        (CHUNK_BYTES / ((self.p + self.c).max(1) * LANES * 4)).max(1)
    }
}

/// The relative margin of the L2 dot-product filter: `‖q‖² + ‖r‖² − 2 q·r` in `f32` differs
/// from the exact distance by far less than `l2_margin(p) · (‖q‖² + ‖r‖²)` (about 50 times the
/// worst-case rounding of a `p`-term dot product), so a lane whose filter value exceeds the
/// k-th best by more than that margin cannot enter; every other lane is re-checked exactly.
pub fn l2_margin(p: usize) -> f32 {
    (p + 16) as f32 * (2.0f32).powi(-19)
}

/// Pushes the members of reference group `g` (all at distance `d`) in index order.
#[inline]
pub fn push_group(top: &mut TopK, d: f32, groups: &Groups, g: usize) {
    for &m in groups.members_of(g) {
        if !top.push(d, m as u64) {
            break;
        }
    }
}

/// The distances of `QB` queries (`qn[column][query]`) to the 16 rows of one panel.
#[inline(always)]
fn tile<K: Kernel, const QB: usize>(
    qn: &[f32],
    qc: &[u32],
    pn: &[f32],
    pc: &[u32],
    wn: &[f32],
    wc: &[f32],
) -> [[f32; LANES]; QB] {
    let mut acc = [[0.0f32; LANES]; QB];
    for ((qj, rj), w) in qn.chunks_exact(QB).zip(pn.chunks_exact(LANES)).zip(wn) {
        for qi in 0..QB {
            let b = qj[qi];
            for l in 0..LANES {
                acc[qi][l] = K::num(acc[qi][l], b, rj[l], *w);
            }
        }
    }
    for ((qj, rj), w) in qc.chunks_exact(QB).zip(pc.chunks_exact(LANES)).zip(wc) {
        for qi in 0..QB {
            let b = qj[qi];
            for l in 0..LANES {
                acc[qi][l] = K::cat(acc[qi][l], b, rj[l], *w);
            }
        }
    }
    acc
}

#[inline(always)]
fn lane_min(x: &[f32; LANES]) -> f32 {
    let mut m = [f32::INFINITY; 8];
    for l in 0..LANES {
        let v = x[l];
        m[l % 8] = if v < m[l % 8] { v } else { m[l % 8] };
    }
    let mut r = m[0];
    for v in &m[1..] {
        r = if *v < r { *v } else { r };
    }
    r
}

/// Arguments shared by every task of one brute-force search.
pub struct BruteArgs<'a> {
    pub query: &'a Encoded,
    pub panels: &'a Panels,
    pub groups: &'a Groups,
    pub wn: &'a [f32],
    pub wc: &'a [f32],
    /// Reference rows are scanned in increasing original index (no deduplication), so a lane
    /// that only ties the k-th best can be skipped without a look.
    pub in_order: bool,
}

/// Top-k of query rows `q0..q0 + tops.len()`, one list per query.
#[inline(always)]
pub fn search_chunk<K: Kernel, const QB: usize>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
    let (p, c) = (a.panels.p, a.panels.c);
    let nq = tops.len();
    let n_blocks = nq.div_ceil(QB);
    // Query blocks, column-major within a block; the last block repeats its last query.
    let mut qn = vec![0.0f32; n_blocks * p * QB];
    let mut qc = vec![0u32; n_blocks * c * QB];
    for b in 0..n_blocks {
        for qi in 0..QB {
            let row = q0 + (b * QB + qi).min(nq - 1);
            for (j, x) in a.query.num_row(row).iter().enumerate() {
                qn[(b * p + j) * QB + qi] = *x;
            }
            for (j, x) in a.query.cat_row(row).iter().enumerate() {
                qc[(b * c + j) * QB + qi] = *x;
            }
        }
    }
    let mut bounds: Vec<f32> = tops.iter().map(TopK::bound).collect();
    let step = a.panels.panels_per_chunk();
    let mut pc0 = 0;
    while pc0 < a.panels.n_panels {
        let pc1 = (pc0 + step).min(a.panels.n_panels);
        for b in 0..n_blocks {
            let bqn = &qn[b * p * QB..(b + 1) * p * QB];
            let bqc = &qc[b * c * QB..(b + 1) * c * QB];
            let live = QB.min(nq - b * QB);
            for pi in pc0..pc1 {
                let pn = &a.panels.num[pi * p * LANES..(pi + 1) * p * LANES];
                let pcat = &a.panels.cat[pi * c * LANES..(pi + 1) * c * LANES];
                let acc = tile::<K, QB>(bqn, bqc, pn, pcat, a.wn, a.wc);
                let valid = LANES.min(a.panels.n_rows - pi * LANES);
                for (qi, row) in acc.iter().enumerate().take(live) {
                    let q = b * QB + qi;
                    let bound = bounds[q];
                    let m = lane_min(row);
                    if m < bound || (!a.in_order && m == bound) {
                        let top = &mut tops[q];
                        for (l, &d) in row.iter().enumerate().take(valid) {
                            if d <= top.bound() {
                                push_group(top, d, a.groups, pi * LANES + l);
                            }
                        }
                        bounds[q] = top.bound();
                    }
                }
            }
        }
        pc0 = pc1;
    }
}
