//! Junction trees: triangulation by a greedy elimination order, maximal cliques, and a maximum
//! spanning tree over their intersections.
//!
//! The elimination order is Private-PGM's greedy rule (eliminate the attribute whose
//! neighbourhood table is smallest; ties to the lower attribute index), so model sizes agree with
//! mbi's `hypothetical_model_size` for AIM's size filter. Components of the attribute graph are
//! joined by edges with an empty separator, so the tree is always connected and has one root.

use super::check_clique;
use super::index::{cells, intersect, is_subset};
use crate::error::{Error, Result};

/// A rooted junction tree over attributes `0..n_attrs`.
#[derive(Clone, Debug)]
pub struct JunctionTree {
    /// Maximal cliques, each sorted, the list sorted lexicographically.
    pub cliques: Vec<Vec<usize>>,
    /// Domain sizes of each clique's attributes.
    pub dims: Vec<Vec<usize>>,
    /// Cells of each clique's table.
    pub sizes: Vec<usize>,
    /// Parent of each clique (`None` for the root).
    pub parent: Vec<Option<usize>>,
    /// Separator of each clique with its parent (empty for the root).
    pub sep: Vec<Vec<usize>>,
    /// Children of each clique.
    pub children: Vec<Vec<usize>>,
    /// Cliques in pre-order from the root: every parent before its children.
    pub order: Vec<usize>,
    /// The elimination order used to triangulate.
    pub elimination: Vec<usize>,
}

/// Removes duplicates and cliques contained in another; sorts each clique and the list.
pub fn maximal_cliques(cliques: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut cs: Vec<Vec<usize>> = cliques
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.sort_unstable();
            c.dedup();
            c
        })
        .collect();
    cs.sort();
    cs.dedup();
    let keep: Vec<bool> = (0..cs.len())
        .map(|i| {
            !cs.iter()
                .enumerate()
                .any(|(j, o)| j != i && o.len() > cs[i].len() && is_subset(&cs[i], o))
        })
        .collect();
    cs.into_iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c).collect()
}

/// Total cells of the junction tree for these cliques (saturating), without building plans.
pub fn model_cells(n_attrs: usize, sizes: &[usize], cliques: &[Vec<usize>]) -> Result<usize> {
    let cl = triangulated_cliques(n_attrs, sizes, cliques)?.0;
    Ok(cl.iter().fold(0usize, |acc, c| acc.saturating_add(cells(c, sizes))))
}

/// The greedy elimination order and the maximal cliques of the triangulated graph.
fn triangulated_cliques(
    n_attrs: usize,
    sizes: &[usize],
    cliques: &[Vec<usize>],
) -> Result<(Vec<Vec<usize>>, Vec<usize>)> {
    if sizes.len() != n_attrs {
        return Err(Error::shape(format!(
            "{} domain sizes for {n_attrs} attributes",
            sizes.len()
        )));
    }
    for c in cliques {
        check_clique(c, n_attrs)?;
    }
    let mut set: Vec<Vec<usize>> = maximal_cliques(cliques).into_iter().filter(|c| !c.is_empty()).collect();
    // Greedy elimination order (Private-PGM's rule).
    let mut alive = vec![true; n_attrs];
    let mut order = Vec::with_capacity(n_attrs);
    for _ in 0..n_attrs {
        let mut best: Option<(f64, usize)> = None;
        for a in (0..n_attrs).filter(|&a| alive[a]) {
            let mut vars: Vec<usize> = Vec::new();
            for c in set.iter().filter(|c| c.binary_search(&a).is_ok()) {
                vars.extend_from_slice(c);
            }
            vars.sort_unstable();
            vars.dedup();
            let cost: f64 = vars.iter().map(|&v| sizes[v] as f64).product();
            if best.is_none_or(|(b, _)| cost < b) {
                best = Some((cost, a));
            }
        }
        let (_, a) = best.expect("an attribute is left");
        alive[a] = false;
        order.push(a);
        let mut merged: Vec<usize> = Vec::new();
        set.retain(|c| {
            if c.binary_search(&a).is_ok() {
                merged.extend(c.iter().copied().filter(|&v| v != a));
                false
            } else {
                true
            }
        });
        merged.sort_unstable();
        merged.dedup();
        if !merged.is_empty() {
            set.push(merged);
        }
    }
    // Triangulate along the order; elimination cliques hold every maximal clique.
    let mut adj = vec![vec![false; n_attrs]; n_attrs];
    for c in cliques {
        for (i, &a) in c.iter().enumerate() {
            for &b in &c[i + 1..] {
                adj[a][b] = true;
                adj[b][a] = true;
            }
        }
    }
    let mut gone = vec![false; n_attrs];
    let mut elim_cliques: Vec<Vec<usize>> = Vec::with_capacity(n_attrs);
    for &v in &order {
        let nbrs: Vec<usize> = (0..n_attrs).filter(|&u| !gone[u] && u != v && adj[v][u]).collect();
        for (i, &a) in nbrs.iter().enumerate() {
            for &b in &nbrs[i + 1..] {
                adj[a][b] = true;
                adj[b][a] = true;
            }
        }
        let mut c = nbrs;
        c.push(v);
        c.sort_unstable();
        elim_cliques.push(c);
        gone[v] = true;
    }
    Ok((maximal_cliques(&elim_cliques), order))
}

impl JunctionTree {
    /// Builds the junction tree of a model with these cliques over `sizes.len()` attributes.
    /// Attributes in no clique get a clique of their own. Refuses trees of more than
    /// `max_cells` cells in all, saying how large they would be.
    pub fn build(sizes: &[usize], cliques: &[Vec<usize>], max_cells: usize) -> Result<JunctionTree> {
        let n = sizes.len();
        let (mut cl, elimination) = triangulated_cliques(n, sizes, cliques)?;
        cl.sort();
        let csize: Vec<usize> = cl.iter().map(|c| cells(c, sizes)).collect();
        let total = csize.iter().fold(0usize, |a, &b| a.saturating_add(b));
        if total > max_cells {
            let (big, &big_cells) = csize.iter().enumerate().max_by_key(|(_, s)| **s).expect("a clique");
            return Err(Error::Memory(format!(
                "the graphical model would need {total} cells ({:.1} MB), more than the limit of \
                 {max_cells} cells ({:.1} MB); its largest clique, attributes {:?}, has {big_cells} \
                 cells. Use fewer bins for numeric columns, fewer or smaller marginals, or raise \
                 max_model_size",
                total as f64 * 8.0 / (1 << 20) as f64,
                max_cells as f64 * 8.0 / (1 << 20) as f64,
                cl[big]
            )));
        }
        let m = cl.len();
        // Maximum spanning tree on intersection sizes (Kruskal; ties in clique order).
        let mut edges: Vec<(usize, usize, usize)> = Vec::new();
        for i in 0..m {
            for j in i + 1..m {
                let w = intersect(&cl[i], &cl[j]).len();
                if w > 0 {
                    edges.push((w, i, j));
                }
            }
        }
        edges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut uf: Vec<usize> = (0..m).collect();
        fn find(uf: &mut [usize], mut x: usize) -> usize {
            while uf[x] != x {
                uf[x] = uf[uf[x]];
                x = uf[x];
            }
            x
        }
        let mut nbrs: Vec<Vec<usize>> = vec![Vec::new(); m];
        for (_, i, j) in edges {
            let (ri, rj) = (find(&mut uf, i), find(&mut uf, j));
            if ri != rj {
                uf[ri] = rj;
                nbrs[i].push(j);
                nbrs[j].push(i);
            }
        }
        // Join the components through clique 0 with empty separators.
        for i in 1..m {
            let (r0, ri) = (find(&mut uf, 0), find(&mut uf, i));
            if r0 != ri {
                uf[ri] = r0;
                nbrs[0].push(i);
                nbrs[i].push(0);
            }
        }
        // Root at the largest clique (fewer, smaller messages out of it).
        let root = (0..m)
            .max_by(|&a, &b| csize[a].cmp(&csize[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        let mut parent = vec![None; m];
        let mut children = vec![Vec::new(); m];
        let mut order = Vec::with_capacity(m);
        let mut seen = vec![false; m];
        let mut stack = vec![root];
        seen[root] = true;
        while let Some(v) = stack.pop() {
            order.push(v);
            let mut next: Vec<usize> = nbrs[v].iter().copied().filter(|&u| !seen[u]).collect();
            next.sort_unstable();
            for &u in next.iter().rev() {
                seen[u] = true;
                parent[u] = Some(v);
                children[v].push(u);
                stack.push(u);
            }
        }
        for c in &mut children {
            c.sort_unstable();
        }
        let sep: Vec<Vec<usize>> = (0..m)
            .map(|i| parent[i].map(|p| intersect(&cl[i], &cl[p])).unwrap_or_default())
            .collect();
        let dims = cl.iter().map(|c| c.iter().map(|&a| sizes[a]).collect()).collect();
        Ok(JunctionTree {
            cliques: cl,
            dims,
            sizes: csize,
            parent,
            sep,
            children,
            order,
            elimination,
        })
    }

    /// Total cells of all clique tables.
    pub fn total_cells(&self) -> usize {
        self.sizes.iter().sum()
    }

    /// The smallest clique containing `attrs` (sorted), if any.
    pub fn containing(&self, attrs: &[usize]) -> Option<usize> {
        (0..self.cliques.len())
            .filter(|&i| is_subset(attrs, &self.cliques[i]))
            .min_by_key(|&i| (self.sizes[i], i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_running_intersection(t: &JunctionTree, n: usize) {
        // Each attribute's cliques form a connected subtree: exactly one of them has its parent
        // outside the set.
        for a in 0..n {
            let holders: Vec<usize> = (0..t.cliques.len()).filter(|&i| t.cliques[i].contains(&a)).collect();
            assert!(!holders.is_empty(), "attribute {a} in no clique");
            let tops = holders
                .iter()
                .filter(|&&i| t.parent[i].is_none_or(|p| !t.cliques[p].contains(&a)))
                .count();
            assert_eq!(tops, 1, "attribute {a}: {:?}", t.cliques);
        }
        assert_eq!(t.order.len(), t.cliques.len());
        assert_eq!(t.parent.iter().filter(|p| p.is_none()).count(), 1);
    }

    #[test]
    fn cycle_is_triangulated() {
        let sizes = [2, 3, 4, 5];
        let t = JunctionTree::build(&sizes, &[vec![0, 1], vec![1, 2], vec![2, 3], vec![0, 3]], 1 << 20).unwrap();
        assert_eq!(t.cliques.len(), 2);
        assert!(t.cliques.iter().all(|c| c.len() == 3));
        check_running_intersection(&t, 4);
    }

    #[test]
    fn trees_forests_and_isolated_attributes() {
        let sizes = [2, 3, 4, 5, 6, 7];
        let t = JunctionTree::build(&sizes, &[vec![0, 1], vec![1, 2], vec![4, 5]], 1 << 20).unwrap();
        // {0,1} {1,2} {3} {4,5}
        assert_eq!(t.cliques, vec![vec![0, 1], vec![1, 2], vec![3], vec![4, 5]]);
        assert_eq!(t.total_cells(), 6 + 12 + 5 + 42);
        check_running_intersection(&t, 6);
        assert_eq!(t.containing(&[1]), Some(0));
        assert_eq!(t.containing(&[2]), Some(1));
        assert_eq!(t.containing(&[0, 2]), None);
        assert_eq!(
            model_cells(6, &sizes, &[vec![0, 1], vec![1, 2], vec![4, 5]]).unwrap(),
            65
        );
    }

    #[test]
    fn random_graphs_give_valid_trees() {
        let mut s = 5u64;
        let mut next = |k: usize| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 33) as usize) % k
        };
        for _ in 0..200 {
            let n = 2 + next(9);
            let sizes: Vec<usize> = (0..n).map(|_| 1 + next(4)).collect();
            let cliques: Vec<Vec<usize>> = (0..next(8))
                .map(|_| {
                    let mut c: Vec<usize> = (0..1 + next(3)).map(|_| next(n)).collect();
                    c.sort_unstable();
                    c.dedup();
                    c
                })
                .collect();
            let t = JunctionTree::build(&sizes, &cliques, usize::MAX).unwrap();
            check_running_intersection(&t, n);
            for c in &cliques {
                assert!(t.containing(c).is_some(), "{c:?} not covered by {:?}", t.cliques);
            }
        }
    }

    #[test]
    fn size_limit_is_enforced_with_a_clear_message() {
        let e = JunctionTree::build(&[100, 100, 100], &[vec![0, 1, 2]], 1000).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::Memory(_)));
        assert!(msg.contains("1000000 cells") && msg.contains("fewer bins"), "{msg}");
    }
}
