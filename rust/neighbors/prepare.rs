//! Encoding of the caller's blocks for the kernels, and deduplication of identical rows.

use super::metric::SENTINEL;

/// Rows encoded for the kernels: missing numerics replaced by [`SENTINEL`], `-0.0` by `0.0`.
pub struct Encoded {
    pub num: Vec<f32>,
    pub cat: Vec<u32>,
    pub n_rows: usize,
    pub p: usize,
    pub c: usize,
}

impl Encoded {
    pub fn new(num: &[f32], cat: &[u32], n_rows: usize, p: usize, c: usize) -> Self {
        let num = num.iter().map(|&x| if x.is_nan() { SENTINEL } else { x + 0.0 }).collect();
        Self { num, cat: cat.to_vec(), n_rows, p, c }
    }

    #[inline]
    pub fn num_row(&self, i: usize) -> &[f32] {
        &self.num[i * self.p..(i + 1) * self.p]
    }

    #[inline]
    pub fn cat_row(&self, i: usize) -> &[u32] {
        &self.cat[i * self.c..(i + 1) * self.c]
    }

    /// The rows `rows`, in that order.
    pub fn select(&self, rows: &[u32]) -> Self {
        let mut num = Vec::with_capacity(rows.len() * self.p);
        let mut cat = Vec::with_capacity(rows.len() * self.c);
        for &r in rows {
            num.extend_from_slice(self.num_row(r as usize));
            cat.extend_from_slice(self.cat_row(r as usize));
        }
        Self { num, cat, n_rows: rows.len(), p: self.p, c: self.c }
    }
}

/// Identical rows grouped: group `g` holds the original rows `members[start[g]..start[g + 1]]`
/// in increasing order, and groups are numbered in the order of their first row.
pub struct Groups {
    /// The first (representative) row of each group.
    pub first: Vec<u32>,
    pub start: Vec<u32>,
    pub members: Vec<u32>,
    /// The group of each original row.
    pub group_of: Vec<u32>,
}

impl Groups {
    pub fn n_groups(&self) -> usize {
        self.first.len()
    }

    #[inline]
    pub fn members_of(&self, g: usize) -> &[u32] {
        &self.members[self.start[g] as usize..self.start[g + 1] as usize]
    }

    /// Every row its own group.
    pub fn identity(n: usize) -> Self {
        let all: Vec<u32> = (0..n as u32).collect();
        Self { first: all.clone(), start: (0..=n as u32).collect(), members: all.clone(), group_of: all }
    }
}

#[inline]
fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

fn row_hash(e: &Encoded, i: usize) -> u64 {
    let mut h = 0u64;
    for x in e.num_row(i) {
        h = mix(h, x.to_bits() as u64);
    }
    for x in e.cat_row(i) {
        h = mix(h, *x as u64);
    }
    // A final avalanche so that sorting by hash mixes well.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

fn same_row(e: &Encoded, a: usize, b: usize) -> bool {
    e.cat_row(a) == e.cat_row(b)
        && e.num_row(a).iter().zip(e.num_row(b)).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Groups bit-identical encoded rows (identical rows are at distance 0 from each other and at
/// the same distance from everything else, so one search per group is exact).
pub fn group_rows(e: &Encoded) -> Groups {
    let n = e.n_rows;
    let mut order: Vec<(u64, u32)> = (0..n).map(|i| (row_hash(e, i), i as u32)).collect();
    order.sort_unstable();
    // Within a run of equal hashes, split true duplicates from collisions; a group's label is its
    // first (lowest) row, because rows within a run arrive in increasing order.
    let mut label = vec![0u32; n];
    let mut s = 0;
    while s < n {
        let mut t = s + 1;
        while t < n && order[t].0 == order[s].0 {
            t += 1;
        }
        let mut reps: Vec<u32> = Vec::new();
        for &(_, row) in &order[s..t] {
            match reps.iter().find(|&&r| same_row(e, r as usize, row as usize)) {
                Some(&r) => label[row as usize] = r,
                None => {
                    reps.push(row);
                    label[row as usize] = row;
                }
            }
        }
        s = t;
    }
    // Number groups by their first row, then fill the member lists in row order.
    let mut group_of = vec![0u32; n];
    let mut first = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    for i in 0..n {
        let g = if label[i] as usize == i {
            first.push(i as u32);
            counts.push(0);
            (first.len() - 1) as u32
        } else {
            group_of[label[i] as usize]
        };
        group_of[i] = g;
        counts[g as usize] += 1;
    }
    let mut start = Vec::with_capacity(first.len() + 1);
    let mut acc = 0u32;
    start.push(0);
    for c in &counts {
        acc += c;
        start.push(acc);
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; n];
    for (i, g) in group_of.iter().enumerate() {
        members[fill[*g as usize] as usize] = i as u32;
        fill[*g as usize] += 1;
    }
    Groups { first, start, members, group_of }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_identical_rows_in_first_row_order() {
        let num = [1.0, f32::NAN, 2.0, 1.0, f32::NAN, -0.0, 0.0];
        let cat = [0, 1, 0, 0, 1, 3, 3];
        let e = Encoded::new(&num, &cat, 7, 1, 1);
        let g = group_rows(&e);
        assert_eq!(g.first, vec![0, 1, 2, 5]);
        assert_eq!(g.group_of, vec![0, 1, 2, 0, 1, 3, 3]);
        assert_eq!(g.members_of(0), &[0, 3]);
        assert_eq!(g.members_of(1), &[1, 4]);
        assert_eq!(g.members_of(3), &[5, 6]);
    }
}
