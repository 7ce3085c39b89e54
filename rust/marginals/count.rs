//! Counting contingency tables straight from encoded columns, many tables per pass.

use super::index::{cells, strides};
use super::{check_clique, MAX_CELLS};
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Rows per task; each task counts every table of a group over its rows.
const ROW_CHUNK: usize = 8192;
/// Per-thread copies of the tables are made only while they stay under this many cells.
const LOCAL_CELLS: usize = 1 << 23;

/// A row-major block of integer codes: `n_rows × n_cols`, code `v` of column `j` in `0..sizes[j]`.
#[derive(Clone, Copy, Debug)]
pub struct Codes<'a> {
    pub data: &'a [u32],
    pub n_rows: usize,
    pub n_cols: usize,
}

impl<'a> Codes<'a> {
    pub fn new(data: &'a [u32], n_rows: usize, n_cols: usize) -> Result<Self> {
        if data.len() != n_rows.saturating_mul(n_cols) {
            return Err(Error::shape(format!(
                "codes hold {} values, not {n_rows} rows × {n_cols} columns",
                data.len()
            )));
        }
        Ok(Codes { data, n_rows, n_cols })
    }

    /// Checks every code against its column's size; the error names the first bad cell.
    pub fn check(&self, sizes: &[usize]) -> Result<()> {
        if sizes.len() != self.n_cols {
            return Err(Error::shape(format!(
                "codes have {} columns but {} domain sizes were given",
                self.n_cols,
                sizes.len()
            )));
        }
        if let Some((j, _)) = sizes.iter().enumerate().find(|(_, &s)| s == 0) {
            return Err(Error::invalid(format!("column {j} has domain size 0")));
        }
        let bad = self
            .data
            .par_chunks(self.n_cols.max(1) * ROW_CHUNK)
            .enumerate()
            .find_map_first(|(c, block)| {
                block.chunks(self.n_cols.max(1)).enumerate().find_map(|(r, row)| {
                    row.iter()
                        .enumerate()
                        .find(|(j, &v)| v as usize >= sizes[*j])
                        .map(|(j, &v)| (c * ROW_CHUNK + r, j, v))
                })
            });
        match bad {
            Some((row, col, v)) => Err(Error::invalid(format!(
                "code {v} in row {row}, column {col} is outside its domain of size {}",
                sizes[col]
            ))),
            None => Ok(()),
        }
    }
}

/// One table to count: the attributes and their strides.
struct Target {
    cols: Vec<usize>,
    strides: Vec<usize>,
    size: usize,
}

/// Counts the contingency table of each clique (sorted column indices) over all rows; the table
/// of clique `c` is row-major over `c`'s columns. With `weights`, each row adds its weight
/// instead of 1.
pub fn count_marginals(
    codes: &Codes<'_>,
    sizes: &[usize],
    cliques: &[Vec<usize>],
    weights: Option<&[f64]>,
) -> Result<Vec<Vec<f64>>> {
    codes.check(sizes)?;
    if let Some(w) = weights {
        if w.len() != codes.n_rows {
            return Err(Error::shape(format!("{} weights for {} rows", w.len(), codes.n_rows)));
        }
    }
    let mut targets = Vec::with_capacity(cliques.len());
    let mut total = 0usize;
    for c in cliques {
        check_clique(c, sizes.len())?;
        let size = cells(c, sizes);
        total = total.saturating_add(size);
        if total > MAX_CELLS {
            return Err(Error::Memory(format!(
                "counting {} tables needs more than {MAX_CELLS} cells ({:.1} GB); the table over \
                 columns {c:?} alone has {size} cells: use fewer bins or fewer columns per table",
                cliques.len(),
                (total as f64) * 8.0 / 1e9
            )));
        }
        let dims: Vec<usize> = c.iter().map(|&a| sizes[a]).collect();
        targets.push(Target {
            cols: c.clone(),
            strides: strides(&dims),
            size,
        });
    }
    // Group the tables so that per-thread copies stay small.
    let threads = rayon::current_num_threads().max(1);
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(targets.len());
    let mut start = 0;
    while start < targets.len() {
        let mut end = start;
        let mut group_cells = 0usize;
        while end < targets.len() && (end == start || group_cells + targets[end].size <= LOCAL_CELLS) {
            group_cells += targets[end].size;
            end += 1;
        }
        let group = &targets[start..end];
        let chunks = codes.n_rows.div_ceil(ROW_CHUNK);
        let per_thread_ok = group_cells.saturating_mul(threads) <= 4 * LOCAL_CELLS;
        let tables = if threads > 1 && chunks > 1 && per_thread_ok {
            let tasks = chunks.min(threads * 4);
            let rows_per = codes.n_rows.div_ceil(tasks);
            let parts: Vec<Vec<Vec<f64>>> = (0..tasks)
                .into_par_iter()
                .map(|t| {
                    let lo = (t * rows_per).min(codes.n_rows);
                    let hi = ((t + 1) * rows_per).min(codes.n_rows);
                    count_rows(codes, group, weights, lo, hi)
                })
                .collect();
            let mut it = parts.into_iter();
            let mut acc = it
                .next()
                .unwrap_or_else(|| group.iter().map(|t| vec![0.0; t.size]).collect());
            for part in it {
                for (a, b) in acc.iter_mut().zip(part) {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                }
            }
            acc
        } else if threads > 1 && group.len() > 1 {
            // Large tables: one table per task over all rows.
            group
                .par_iter()
                .map(|t| count_rows(codes, std::slice::from_ref(t), weights, 0, codes.n_rows).remove(0))
                .collect()
        } else {
            count_rows(codes, group, weights, 0, codes.n_rows)
        };
        out.extend(tables);
        start = end;
    }
    Ok(out)
}

fn count_rows(codes: &Codes<'_>, group: &[Target], weights: Option<&[f64]>, lo: usize, hi: usize) -> Vec<Vec<f64>> {
    let d = codes.n_cols;
    let mut tables: Vec<Vec<f64>> = group.iter().map(|t| vec![0.0; t.size]).collect();
    // The columns the group uses, transposed chunk by chunk so each index pass reads a
    // contiguous column.
    let mut used: Vec<usize> = group.iter().flat_map(|t| t.cols.iter().copied()).collect();
    used.sort_unstable();
    used.dedup();
    let mut slot = vec![usize::MAX; d];
    for (k, &c) in used.iter().enumerate() {
        slot[c] = k;
    }
    let mut cols = vec![0u32; used.len() * ROW_CHUNK];
    let mut idx = vec![0usize; ROW_CHUNK];
    let mut r0 = lo;
    while r0 < hi {
        let r1 = (r0 + ROW_CHUNK).min(hi);
        let m = r1 - r0;
        for (r, row) in codes.data[r0 * d..r1 * d].chunks_exact(d.max(1)).enumerate() {
            for (k, &c) in used.iter().enumerate() {
                cols[k * ROW_CHUNK + r] = row[c];
            }
        }
        for (t, table) in group.iter().zip(tables.iter_mut()) {
            let idx = &mut idx[..m];
            idx.fill(0);
            for (&col, &stride) in t.cols.iter().zip(&t.strides) {
                let column = &cols[slot[col] * ROW_CHUNK..slot[col] * ROW_CHUNK + m];
                for (i, &v) in idx.iter_mut().zip(column) {
                    *i += v as usize * stride;
                }
            }
            match weights {
                None => {
                    for &i in idx.iter() {
                        table[i] += 1.0;
                    }
                }
                Some(w) => {
                    for (&i, &wt) in idx.iter().zip(&w[r0..r1]) {
                        table[i] += wt;
                    }
                }
            }
        }
        r0 = r1;
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_a_direct_loop() {
        let sizes = [3usize, 4, 2, 5];
        let n = 20_000;
        let mut data = Vec::with_capacity(n * 4);
        let mut s = 17u64;
        for _ in 0..n {
            for &k in &sizes {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                data.push(((s >> 33) % k as u64) as u32);
            }
        }
        let codes = Codes::new(&data, n, 4).unwrap();
        let cliques = vec![vec![], vec![0], vec![1, 3], vec![0, 2, 3], vec![0, 1, 2, 3]];
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = pool
                .install(|| count_marginals(&codes, &sizes, &cliques, None))
                .unwrap();
            for (c, table) in cliques.iter().zip(&got) {
                let dims: Vec<usize> = c.iter().map(|&a| sizes[a]).collect();
                let st = strides(&dims);
                let mut want = vec![0.0; dims.iter().product()];
                for row in data.chunks(4) {
                    let i: usize = c.iter().zip(&st).map(|(&a, &s)| row[a] as usize * s).sum();
                    want[i] += 1.0;
                }
                assert_eq!(table, &want);
            }
        }
        let w: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        let got = count_marginals(&codes, &sizes, &[vec![]], Some(&w)).unwrap();
        assert_eq!(got[0][0], w.iter().sum::<f64>());
    }

    #[test]
    fn bad_codes_and_cliques_are_named() {
        let data = [0u32, 1, 2, 0];
        let codes = Codes::new(&data, 2, 2).unwrap();
        let e = count_marginals(&codes, &[2, 2], &[vec![0]], None).unwrap_err();
        assert!(e.to_string().contains("row 1, column 0"), "{e}");
        assert!(count_marginals(&codes, &[3, 3], &[vec![1, 0]], None).is_err());
        assert!(count_marginals(&codes, &[3, 3], &[vec![2]], None).is_err());
        assert!(Codes::new(&data, 3, 2).is_err());
        let huge = [1usize << 40, 1 << 40];
        let e = count_marginals(&Codes::new(&[], 0, 2).unwrap(), &huge, &[vec![0, 1]], None);
        assert!(matches!(e, Err(Error::Memory(_))));
    }
}
