//! A small seeded generator (SplitMix64): the same seed always gives the same case, on
//! every machine, without a dependency on a random-number crate's stream stability.

/// Deterministic pseudo-random numbers.
#[derive(Debug, Clone)]
pub(crate) struct Prng(u64);

impl Prng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1A4_F87B)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi.saturating_sub(lo)).unwrap_or(0);
        let off = i64::try_from(self.below(span.saturating_add(1))).unwrap_or(0);
        lo.saturating_add(off)
    }

    /// An index into a slice of `len` elements (0 when empty).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        let n = u64::try_from(len).unwrap_or(u64::MAX);
        usize::try_from(self.below(n)).unwrap_or(0)
    }

    /// True with the given chance in percent.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.index(items.len());
        &items[i]
    }

    /// Shuffles in place (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_another_seed_others() {
        let a: Vec<u64> = (0..5)
            .scan(Prng::new(7), |p, _| Some(p.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Prng::new(7), |p, _| Some(p.next_u64()))
            .collect();
        let c: Vec<u64> = (0..5)
            .scan(Prng::new(8), |p, _| Some(p.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn between_stays_inside_its_bounds_and_reaches_both() {
        let mut p = Prng::new(1);
        let seen: Vec<i64> = (0..1000).map(|_| p.between(3, 6)).collect();
        assert!(seen.iter().all(|v| (3..=6).contains(v)));
        assert!(seen.contains(&3) && seen.contains(&6));
    }
}
