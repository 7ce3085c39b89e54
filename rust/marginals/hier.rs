//! Many marginals of one large table through intermediate tables.
//!
//! Summing a big clique table onto twenty small marginals costs twenty passes over it; so does
//! adding twenty small potential tables into it. A [`Hier`] plans a tree of intermediate tables
//! (the clique without one attribute, then without another, ...) so that most targets are
//! reached from a table a fraction of the size: targets that do not need attribute `z` are
//! summed out of `C \ {z}`, computed once. Summing runs down the tree; broadcasting (adding the
//! targets' tables into the clique) runs up it. Results equal the direct computation up to the
//! order of floating-point additions.

use super::index::{add_many, cells, sum_many, Plan};

/// Intermediate tables smaller than this are not worth splitting further.
const MIN_SPLIT: usize = 1 << 12;

#[derive(Clone, Debug)]
struct Node {
    attrs: Vec<usize>,
    size: usize,
    /// Children: nodes computed from this one, with their plans.
    children: Vec<(usize, Plan)>,
}

/// A plan to reach many sub-tables of one table (see the module docs).
#[derive(Clone, Debug)]
pub struct Hier {
    nodes: Vec<Node>,
    /// For each target, its node.
    target_node: Vec<usize>,
    /// Nodes in an order where each comes after its parent.
    order: Vec<usize>,
}

/// Scratch tables for the intermediate nodes of one [`Hier`].
#[derive(Clone, Debug, Default)]
pub struct HierBuffers {
    bufs: Vec<Vec<f64>>,
}

impl Hier {
    /// Plans the targets (sorted subsets of `attrs`) of a table over `attrs` (domain `sizes`).
    pub fn new(attrs: &[usize], sizes: &[usize], targets: &[Vec<usize>]) -> Hier {
        let mut nodes = vec![Node {
            attrs: attrs.to_vec(),
            size: cells(attrs, sizes),
            children: Vec::new(),
        }];
        let mut target_node = vec![usize::MAX; targets.len()];
        let ids: Vec<usize> = (0..targets.len()).collect();
        build(&mut nodes, 0, ids, targets, sizes, &mut target_node);
        let mut order = vec![0usize];
        let mut k = 0;
        while k < order.len() {
            let v = order[k];
            for (c, _) in &nodes[v].children {
                order.push(*c);
            }
            k += 1;
        }
        Hier {
            nodes,
            target_node,
            order,
        }
    }

    fn buffers<'a>(&self, b: &'a mut HierBuffers) -> &'a mut Vec<Vec<f64>> {
        if b.bufs.len() != self.nodes.len() {
            b.bufs = self.nodes.iter().map(|n| vec![0.0; n.size]).collect();
            b.bufs[0] = Vec::new(); // the root is the caller's table
        }
        &mut b.bufs
    }

    /// `out[t]` = the table summed onto target `t` (overwritten).
    pub fn sum(&self, table: &[f64], out: &mut [Vec<f64>], scratch: &mut HierBuffers) {
        self.sum_fused(table, &[], &mut [], out, scratch);
    }

    /// As [`Hier::sum`], and in the same pass over `table`: `extra_out[k] += table summed by
    /// extra[k]` (plans from the same table).
    pub fn sum_fused(
        &self,
        table: &[f64],
        extra: &[&Plan],
        extra_out: &mut [Vec<f64>],
        out: &mut [Vec<f64>],
        scratch: &mut HierBuffers,
    ) {
        let bufs = self.buffers(scratch);
        for &v in &self.order {
            let node = &self.nodes[v];
            if node.children.is_empty() && v != 0 {
                continue;
            }
            let mut plans: Vec<&Plan> = node.children.iter().map(|(_, p)| p).collect();
            let mut outs: Vec<Vec<f64>> = node
                .children
                .iter()
                .map(|(c, _)| std::mem::take(&mut bufs[*c]))
                .collect();
            for o in outs.iter_mut() {
                o.fill(0.0);
            }
            let n_own = outs.len();
            if v == 0 {
                plans.extend_from_slice(extra);
                outs.extend(extra_out.iter_mut().map(std::mem::take));
            }
            let src: &[f64] = if v == 0 { table } else { &bufs[v] };
            sum_many(&plans, src, &mut outs);
            let mut rest = outs.split_off(n_own);
            for ((c, _), o) in node.children.iter().zip(outs) {
                bufs[*c] = o;
            }
            if v == 0 {
                for (e, o) in extra_out.iter_mut().zip(rest.drain(..)) {
                    *e = o;
                }
            }
        }
        for (t, &n) in self.target_node.iter().enumerate() {
            out[t].copy_from_slice(if n == 0 { table } else { &bufs[n] });
        }
    }

    /// `table += scale · Σ_t broadcast(inputs[t])`.
    pub fn broadcast(&self, table: &mut [f64], inputs: &[&[f64]], scale: f64, scratch: &mut HierBuffers) {
        self.broadcast_fused(table, inputs, scale, &[], &[], scratch);
    }

    /// As [`Hier::broadcast`], and in the same pass over `table`: `table += broadcast of
    /// extra_in[k] by extra[k]` (unscaled).
    pub fn broadcast_fused(
        &self,
        table: &mut [f64],
        inputs: &[&[f64]],
        scale: f64,
        extra: &[&Plan],
        extra_in: &[&[f64]],
        scratch: &mut HierBuffers,
    ) {
        let bufs = self.buffers(scratch);
        for b in bufs.iter_mut().skip(1) {
            b.fill(0.0);
        }
        // Targets into their nodes (a target at the root is added directly).
        for (t, &n) in self.target_node.iter().enumerate() {
            if n == 0 {
                for (a, b) in table.iter_mut().zip(inputs[t]) {
                    *a += scale * b;
                }
            } else {
                for (a, b) in bufs[n].iter_mut().zip(inputs[t]) {
                    *a += b;
                }
            }
        }
        // Children into parents, deepest first; the root's children with the extras.
        for &v in self.order.iter().rev() {
            let node = &self.nodes[v];
            if node.children.is_empty() && v != 0 {
                continue;
            }
            let plans: Vec<&Plan> = node.children.iter().map(|(_, p)| p).collect();
            let kids: Vec<Vec<f64>> = node
                .children
                .iter()
                .map(|(c, _)| std::mem::take(&mut bufs[*c]))
                .collect();
            let refs: Vec<&[f64]> = kids.iter().map(|k| k.as_slice()).collect();
            if v == 0 {
                // Scale the hierarchy's tables, not the extras: fold `scale` into the kids.
                if scale == 1.0 {
                    let mut all = plans.clone();
                    all.extend_from_slice(extra);
                    let mut ins = refs.clone();
                    ins.extend_from_slice(extra_in);
                    add_many(&all, table, &ins, 1.0);
                } else {
                    add_many(&plans, table, &refs, scale);
                    add_many(extra, table, extra_in, 1.0);
                }
            } else {
                let mut dst = std::mem::take(&mut bufs[v]);
                add_many(&plans, &mut dst, &refs, 1.0);
                bufs[v] = dst;
            }
            for ((c, _), k) in node.children.iter().zip(kids) {
                bufs[*c] = k;
            }
        }
    }
}

fn add_node(nodes: &mut Vec<Node>, parent: usize, attrs: Vec<usize>, sizes: &[usize]) -> usize {
    let p = &nodes[parent];
    let dims: Vec<usize> = p.attrs.iter().map(|&a| sizes[a]).collect();
    let plan = Plan::new(&p.attrs, &dims, &attrs);
    let id = nodes.len();
    nodes.push(Node {
        size: cells(&attrs, sizes),
        attrs,
        children: Vec::new(),
    });
    nodes[parent].children.push((id, plan));
    id
}

fn build(
    nodes: &mut Vec<Node>,
    at: usize,
    mut ids: Vec<usize>,
    targets: &[Vec<usize>],
    sizes: &[usize],
    target_node: &mut [usize],
) {
    // Targets equal to this node live here.
    ids.retain(|&t| {
        if targets[t] == nodes[at].attrs {
            target_node[t] = at;
            false
        } else {
            true
        }
    });
    loop {
        let size = nodes[at].size;
        if ids.len() < 2 || size < MIN_SPLIT {
            break;
        }
        // The attribute whose removal serves the most targets, weighted by the pass it saves.
        let mut best: Option<(f64, usize)> = None;
        for &z in &nodes[at].attrs {
            let avoid = ids.iter().filter(|&&t| targets[t].binary_search(&z).is_err()).count();
            if avoid < 2 {
                continue;
            }
            let child = size / sizes[z].max(1);
            let gain = avoid as f64 * size as f64 - (size as f64 + avoid as f64 * child as f64);
            if gain > 0.0 && best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, z));
            }
        }
        let Some((_, z)) = best else { break };
        let attrs: Vec<usize> = nodes[at].attrs.iter().copied().filter(|&a| a != z).collect();
        let (moved, kept): (Vec<usize>, Vec<usize>) =
            ids.into_iter().partition(|&t| targets[t].binary_search(&z).is_err());
        ids = kept;
        let child = add_node(nodes, at, attrs, sizes);
        build(nodes, child, moved, targets, sizes, target_node);
    }
    for t in ids {
        let n = add_node(nodes, at, targets[t].clone(), sizes);
        target_node[t] = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_broadcasts_match_direct_plans() {
        let sizes = [32usize, 16, 7, 15, 6, 2, 2];
        let attrs: Vec<usize> = (0..7).collect();
        let n = cells(&attrs, &sizes);
        let table: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1013) as f64).collect();
        let targets: Vec<Vec<usize>> = vec![
            vec![0, 1, 2],
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 5, 6],
            vec![0, 6],
            vec![1, 2, 3],
            vec![],
            attrs.clone(),
            vec![4, 5, 6],
            vec![0, 1, 4],
        ];
        let h = Hier::new(&attrs, &sizes, &targets);
        let mut scratch = HierBuffers::default();
        let mut out: Vec<Vec<f64>> = targets.iter().map(|t| vec![0.0; cells(t, &sizes)]).collect();
        h.sum(&table, &mut out, &mut scratch);
        let dims = sizes.to_vec();
        for (t, o) in targets.iter().zip(&out) {
            let plan = Plan::new(&attrs, &dims, t);
            let mut want = vec![0.0; plan.inner_size];
            plan.sum_into(&table, &mut want);
            assert_eq!(o, &want, "{t:?}");
        }
        let inputs: Vec<Vec<f64>> = targets
            .iter()
            .map(|t| (0..cells(t, &sizes)).map(|i| (i % 5) as f64).collect())
            .collect();
        let refs: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
        let mut got = vec![0.0; n];
        h.broadcast(&mut got, &refs, 2.0, &mut scratch);
        let mut want = vec![0.0; n];
        for (t, inp) in targets.iter().zip(&inputs) {
            Plan::new(&attrs, &dims, t).add_broadcast(&mut want, inp, 2.0);
        }
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-9);
        }
        assert!(h.nodes.len() > targets.len(), "intermediate tables were planned");
    }
}
