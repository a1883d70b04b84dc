//! Many-to-one: which of a customer's open items, together, make up a receipt. A bounded
//! depth-first search over the items oldest first (so the first combination found settles
//! the oldest debts), credit notes counting negative, pruned by what the remaining items can
//! still reach, and stopped after a node budget so one customer with hundreds of open items
//! cannot stall a run. The caller learns whether the answer is proven (the search finished)
//! or only the best found within the budget.

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubsetFound {
    /// Combinations found, each as indices into the input, ascending (oldest first).
    pub solutions: Vec<Vec<usize>>,
    /// Nodes visited.
    pub nodes: u64,
    /// Whether the budget ran out before the search space was covered.
    pub exhausted: bool,
}

struct Search<'a> {
    values: &'a [i64],
    pos_suffix: Vec<i128>,
    neg_suffix: Vec<i128>,
    low: i128,
    high: i128,
    budget: u64,
    max_items: usize,
    max_solutions: usize,
    nodes: u64,
    exhausted: bool,
    solutions: Vec<Vec<usize>>,
    stack: Vec<usize>,
}

impl Search<'_> {
    fn done(&self) -> bool {
        self.exhausted || self.solutions.len() >= self.max_solutions
    }

    fn walk(&mut self, start: usize, sum: i128) {
        for j in start..self.values.len() {
            if self.done() {
                return;
            }
            // Nothing from j on can bring the sum into range: stop this branch.
            if sum + self.pos_suffix[j] < self.low || sum + self.neg_suffix[j] > self.high {
                return;
            }
            self.nodes += 1;
            if self.nodes > self.budget {
                self.exhausted = true;
                return;
            }
            let next = sum + i128::from(self.values[j]);
            self.stack.push(j);
            if next >= self.low && next <= self.high {
                self.solutions.push(self.stack.clone());
            }
            if self.stack.len() < self.max_items {
                self.walk(j + 1, next);
            }
            self.stack.pop();
        }
    }
}

/// Finds up to `max_solutions` combinations of at most `max_items` values (minor units,
/// negative for credits) whose sum lies in `low..=high`, visiting at most `budget` nodes.
pub(crate) fn find(
    values: &[i64],
    low: i64,
    high: i64,
    budget: u64,
    max_items: usize,
    max_solutions: usize,
) -> SubsetFound {
    let n = values.len();
    let mut pos_suffix = vec![0i128; n + 1];
    let mut neg_suffix = vec![0i128; n + 1];
    for i in (0..n).rev() {
        let v = i128::from(values[i]);
        pos_suffix[i] = pos_suffix[i + 1] + v.max(0);
        neg_suffix[i] = neg_suffix[i + 1] + v.min(0);
    }
    let mut s = Search {
        values,
        pos_suffix,
        neg_suffix,
        low: i128::from(low),
        high: i128::from(high),
        budget,
        max_items,
        max_solutions,
        nodes: 0,
        exhausted: false,
        solutions: Vec::new(),
        stack: Vec::new(),
    };
    s.walk(0, 0);
    SubsetFound {
        solutions: s.solutions,
        nodes: s.nodes,
        exhausted: s.exhausted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_oldest_combination_is_found_first() {
        // 100 + 250 and 150 + 200 both make 350; the oldest items come first.
        let found = find(&[100, 250, 150, 200], 350, 350, 1000, 4, 2);
        assert_eq!(found.solutions, vec![vec![0, 1], vec![2, 3]]);
        assert!(!found.exhausted);
    }

    #[test]
    fn a_credit_note_counts_against_the_invoices() {
        // Two invoices of 500 and 300 less a credit note of 120 make 680.
        let found = find(&[500, 300, -120, 999], 680, 680, 1000, 4, 2);
        assert_eq!(found.solutions, vec![vec![0, 1, 2]]);
    }

    #[test]
    fn the_budget_stops_a_hopeless_search_and_says_so() {
        // Forty whole-euro items can never make a target with 50 cents.
        let values: Vec<i64> = (0..40).map(|i| 10_000 + i * 100).collect();
        let found = find(&values, 35_050, 35_050, 5_000, 6, 2);
        assert!(found.solutions.is_empty());
        assert!(found.exhausted);
        assert_eq!(found.nodes, 5_001);
    }

    #[test]
    fn no_combination_larger_than_allowed_is_returned() {
        let found = find(&[1, 1, 1, 1], 4, 4, 1000, 3, 2);
        assert!(found.solutions.is_empty());
        assert!(!found.exhausted);
    }

    proptest! {
        #[test]
        fn every_solution_sums_into_range(values in proptest::collection::vec(-500i64..5_000, 0..12), target in 1i64..10_000) {
            let found = find(&values, target, target + 20, 50_000, 5, 5);
            for s in &found.solutions {
                let sum: i64 = s.iter().map(|i| values[*i]).sum();
                prop_assert!(sum >= target && sum <= target + 20);
                prop_assert!(s.len() <= 5);
                prop_assert!(s.windows(2).all(|w| w[0] < w[1]));
            }
        }

        #[test]
        fn a_finished_search_misses_no_single_item(values in proptest::collection::vec(1i64..1_000, 1..10), pick in 0usize..10) {
            let pick = pick % values.len();
            let found = find(&values, values[pick], values[pick], 1_000_000, 1, 100);
            prop_assert!(!found.exhausted);
            prop_assert!(found.solutions.contains(&vec![pick]));
        }
    }
}
