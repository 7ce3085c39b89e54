//! A bounded, sorted list of the k best (distance, index) pairs seen so far.

/// Keeps the k smallest distances. Candidates arrive in increasing index order, so a candidate
/// that only ties the current k-th best is rejected: ties go to the lower index.
#[derive(Clone, Debug)]
pub struct TopK {
    k: usize,
    items: Vec<(f32, u64)>,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        Self { k, items: Vec::with_capacity(k + 1) }
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The distance a candidate must beat to enter; +inf until k items are held.
    #[inline]
    pub fn bound(&self) -> f32 {
        if self.items.len() < self.k {
            f32::INFINITY
        } else {
            self.items[self.k - 1].0
        }
    }

    #[inline]
    pub fn push(&mut self, d: f32, index: u64) {
        if d >= self.bound() && self.items.len() == self.k {
            return;
        }
        // Insert after every item with distance ≤ d, so equal distances stay in index order.
        let pos = self.items.partition_point(|(x, _)| *x <= d);
        self.items.insert(pos, (d, index));
        self.items.truncate(self.k);
    }

    pub fn write_sorted(&self, distances: &mut [f64], indices: &mut [u64]) {
        for ((d, i), (od, oi)) in self.items.iter().zip(distances.iter_mut().zip(indices.iter_mut())) {
            *od = *d as f64;
            *oi = *i;
        }
    }
}
