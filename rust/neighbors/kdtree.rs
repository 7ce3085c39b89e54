//! The space-partitioning path: a k-d tree over the (deduplicated) reference rows, with a
//! bounding box per node (numeric intervals and code intervals). A node is skipped when the
//! lower bound of its box, computed with the same floating-point steps as the distance, beats
//! neither the k-th best distance nor, on a tie, its index; leaves are scanned with early
//! abandoning. Exact for every metric here, because the bound never exceeds a computed distance.

use super::brute::push_group;
use super::metric::{distance_bounded, Kernel};
use super::prepare::{Encoded, Groups};
use super::topk::TopK;

const LEAF: usize = 24;

#[derive(Clone, Copy, Debug)]
struct Node {
    start: u32,
    end: u32,
    /// Children; 0 marks a leaf (the root is never a child).
    left: u32,
    right: u32,
    /// The lowest original reference index held below this node.
    min_index: u64,
}

pub struct KdTree {
    p: usize,
    c: usize,
    /// Tree position → group (deduplicated reference row).
    order: Vec<u32>,
    num: Vec<f32>,
    cat: Vec<u32>,
    nodes: Vec<Node>,
    lo: Vec<f32>,
    hi: Vec<f32>,
    clo: Vec<u32>,
    chi: Vec<u32>,
}

impl KdTree {
    /// Builds the tree over `refs` (one row per group of `groups`); `wn`, `wc` weight the
    /// spread of each column when the split column is chosen.
    pub fn build(refs: &Encoded, groups: &Groups, wn: &[f32], wc: &[f32], clip_numeric: bool) -> Self {
        let (p, c) = (refs.p, refs.c);
        let mut tree = KdTree {
            p,
            c,
            order: (0..refs.n_rows as u32).collect(),
            num: Vec::new(),
            cat: Vec::new(),
            nodes: Vec::new(),
            lo: Vec::new(),
            hi: Vec::new(),
            clo: Vec::new(),
            chi: Vec::new(),
        };
        let mut order = std::mem::take(&mut tree.order);
        tree.build_node(refs, groups, &mut order, 0, wn, wc, clip_numeric);
        let sel = refs.select(&order);
        tree.num = sel.num;
        tree.cat = sel.cat;
        tree.order = order;
        tree
    }

    #[allow(clippy::too_many_arguments)]
    fn build_node(
        &mut self,
        refs: &Encoded,
        groups: &Groups,
        rows: &mut [u32],
        offset: usize,
        wn: &[f32],
        wc: &[f32],
        clip_numeric: bool,
    ) -> u32 {
        let (p, c) = (self.p, self.c);
        let id = self.nodes.len();
        let mut lo = vec![f32::INFINITY; p];
        let mut hi = vec![f32::NEG_INFINITY; p];
        let mut clo = vec![u32::MAX; c];
        let mut chi = vec![0u32; c];
        let mut min_index = u64::MAX;
        for &r in rows.iter() {
            for (j, x) in refs.num_row(r as usize).iter().enumerate() {
                lo[j] = lo[j].min(*x);
                hi[j] = hi[j].max(*x);
            }
            for (j, x) in refs.cat_row(r as usize).iter().enumerate() {
                clo[j] = clo[j].min(*x);
                chi[j] = chi[j].max(*x);
            }
            min_index = min_index.min(groups.first[r as usize] as u64);
        }
        self.nodes.push(Node { start: offset as u32, end: (offset + rows.len()) as u32, left: 0, right: 0, min_index });
        self.lo.extend_from_slice(&lo);
        self.hi.extend_from_slice(&hi);
        self.clo.extend_from_slice(&clo);
        self.chi.extend_from_slice(&chi);
        if rows.len() <= LEAF {
            return id as u32;
        }
        // Split the column whose spread weighs most in the distance.
        let mut best = (0.0f32, usize::MAX);
        for j in 0..p {
            let spread = hi[j] - lo[j];
            let s = if clip_numeric { wn[j] * spread.min(1.0) } else { spread };
            if s > best.0 {
                best = (s, j);
            }
        }
        for j in 0..c {
            let s = if chi[j] > clo[j] { wc[j] } else { 0.0 };
            if s > best.0 {
                best = (s, p + j);
            }
        }
        if best.1 == usize::MAX {
            return id as u32; // every row identical in every weighted column
        }
        let j = best.1;
        let mid = rows.len() / 2;
        if j < p {
            rows.select_nth_unstable_by(mid, |a, b| {
                refs.num_row(*a as usize)[j].total_cmp(&refs.num_row(*b as usize)[j]).then(a.cmp(b))
            });
        } else {
            let j = j - p;
            rows.select_nth_unstable_by_key(mid, |a| (refs.cat_row(*a as usize)[j], *a));
        }
        let (left_rows, right_rows) = rows.split_at_mut(mid);
        let left = self.build_node(refs, groups, left_rows, offset, wn, wc, clip_numeric);
        let right = self.build_node(refs, groups, right_rows, offset + mid, wn, wc, clip_numeric);
        self.nodes[id].left = left;
        self.nodes[id].right = right;
        id as u32
    }

    /// The lower bound of the distance from the query to any row of node `n`.
    #[inline(always)]
    fn node_bound<K: Kernel>(&self, n: usize, qn: &[f32], qc: &[u32], wn: &[f32], wc: &[f32]) -> f32 {
        let (p, c) = (self.p, self.c);
        let (lo, hi) = (&self.lo[n * p..(n + 1) * p], &self.hi[n * p..(n + 1) * p]);
        let mut acc = 0.0f32;
        for j in 0..p {
            let q = qn[j];
            let gap = if q < lo[j] {
                lo[j] - q
            } else if q > hi[j] {
                q - hi[j]
            } else {
                0.0
            };
            acc = K::num_gap(acc, gap, wn[j]);
        }
        let (clo, chi) = (&self.clo[n * c..(n + 1) * c], &self.chi[n * c..(n + 1) * c]);
        for j in 0..c {
            if qc[j] < clo[j] || qc[j] > chi[j] {
                acc += wc[j];
            }
        }
        acc
    }

    #[inline(always)]
    fn prune(&self, top: &TopK, n: usize, lb: f32) -> bool {
        let bound = top.bound();
        lb > bound || (lb == bound && top.is_full() && self.nodes[n].min_index > top.bound_index())
    }

    /// Fills `top` with the k nearest reference rows of one query; returns how many distances
    /// it computed (or started).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn search<K: Kernel>(
        &self,
        qn: &[f32],
        qc: &[u32],
        wn: &[f32],
        wc: &[f32],
        groups: &Groups,
        top: &mut TopK,
        stack: &mut Vec<(u32, f32)>,
    ) -> u64 {
        let (p, c) = (self.p, self.c);
        let mut evaluated = 0u64;
        stack.clear();
        stack.push((0, self.node_bound::<K>(0, qn, qc, wn, wc)));
        while let Some((n, lb)) = stack.pop() {
            let n = n as usize;
            if self.prune(top, n, lb) {
                continue;
            }
            let node = self.nodes[n];
            if node.left == 0 {
                for pos in node.start as usize..node.end as usize {
                    let bound = top.bound();
                    let rn = &self.num[pos * p..(pos + 1) * p];
                    let rc = &self.cat[pos * c..(pos + 1) * c];
                    let d = distance_bounded::<K>(qn, qc, rn, rc, wn, wc, bound);
                    evaluated += 1;
                    if d <= bound {
                        push_group(top, d, groups, self.order[pos] as usize);
                    }
                }
                continue;
            }
            let (l, r) = (node.left as usize, node.right as usize);
            let lb_l = self.node_bound::<K>(l, qn, qc, wn, wc);
            let lb_r = self.node_bound::<K>(r, qn, qc, wn, wc);
            // Visit the nearer child first (it is pushed last); on equal bounds the left child,
            // which holds the lower split values.
            if lb_l <= lb_r {
                stack.push((r as u32, lb_r));
                stack.push((l as u32, lb_l));
            } else {
                stack.push((l as u32, lb_l));
                stack.push((r as u32, lb_r));
            }
        }
        evaluated
    }
}

/// Top-k of query rows `q0..q0 + tops.len()` through the tree; returns distances computed.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn search_chunk<K: Kernel>(
    tree: &KdTree,
    query: &Encoded,
    groups: &Groups,
    wn: &[f32],
    wc: &[f32],
    q0: usize,
    tops: &mut [TopK],
) -> u64 {
    let mut stack = Vec::with_capacity(64);
    let mut evaluated = 0;
    for (i, top) in tops.iter_mut().enumerate() {
        top.clear();
        evaluated += tree.search::<K>(query.num_row(q0 + i), query.cat_row(q0 + i), wn, wc, groups, top, &mut stack);
    }
    evaluated
}
