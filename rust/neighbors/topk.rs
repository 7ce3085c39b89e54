//! A bounded, sorted list of the k best (distance, index) pairs seen so far.

/// Keeps the k smallest `(distance, index)` pairs in lexicographic order: equal distances are
/// ordered by the lower index, whatever order the candidates arrive in.
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

    /// Whether k items are held.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.items.len() >= self.k
    }

    /// The distance a candidate must beat (or tie with a lower index) to enter; +inf until k
    /// items are held.
    #[inline]
    pub fn bound(&self) -> f32 {
        if self.is_full() {
            self.items[self.k - 1].0
        } else {
            f32::INFINITY
        }
    }

    /// The index of the k-th best item, or `u64::MAX` until k items are held.
    #[inline]
    pub fn bound_index(&self) -> u64 {
        if self.is_full() {
            self.items[self.k - 1].1
        } else {
            u64::MAX
        }
    }

    /// Offers a candidate; returns whether it entered. Distances must not be NaN.
    #[inline]
    pub fn push(&mut self, d: f32, index: u64) -> bool {
        if self.is_full() {
            let (bd, bi) = self.items[self.k - 1];
            if d > bd || (d == bd && index >= bi) {
                return false;
            }
        }
        let pos = self.items.partition_point(|&(x, i)| x < d || (x == d && i < index));
        self.items.insert(pos, (d, index));
        self.items.truncate(self.k);
        true
    }

    /// The items held, best first.
    pub fn items(&self) -> &[(f32, u64)] {
        &self.items
    }

    pub fn write_sorted(&self, distances: &mut [f64], indices: &mut [u64]) {
        for ((d, i), (od, oi)) in self.items.iter().zip(distances.iter_mut().zip(indices.iter_mut())) {
            *od = *d as f64;
            *oi = *i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TopK;

    #[test]
    fn keeps_lexicographic_order_for_any_arrival_order() {
        let mut t = TopK::new(3);
        for (d, i) in [(1.0, 9), (0.5, 7), (1.0, 2), (1.0, 4), (0.5, 8), (2.0, 0)] {
            t.push(d, i);
        }
        assert_eq!(t.items(), &[(0.5, 7), (0.5, 8), (1.0, 2)]);
        assert!(!t.push(1.0, 3));
        assert!(t.push(1.0, 1));
        assert_eq!(t.bound(), 1.0);
        assert_eq!(t.bound_index(), 1);
    }
}
