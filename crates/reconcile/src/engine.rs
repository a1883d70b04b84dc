//! The pipeline's driver. Returned payments are paired with the receipts they return first.
//! Then every receipt gets a proposal (its best candidate, scored and explained) and
//! proposals are committed strongest first: a proposal whose items changed since it was made
//! is made again before it may commit, so the outcome never depends on the order receipts
//! arrive in, no item is settled twice, and weak evidence cannot take an item that strong
//! evidence names.

use crate::ReconcileInput;
use crate::book::Book;
use crate::candidates::{Evidence, Payer, RefHit, RefStrength, gather};
use crate::explain::{match_sentence, unmatched_sentence};
use crate::outcome::{
    AppliedItem, CustomerRef, Decision, Match, Outcome, Residual, Rule, RuleHit, Unmatched,
    UnmatchedReason,
};
use crate::receipt::{Receipt, ReceiptKind};
use crate::references::compact;
use crate::residuals::{Ctx, Fit, NoPlan, Plan};
use crate::subset;
use arsync_model::{Currency, ItemKind, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

fn hit(rule: Rule, detail: String) -> RuleHit {
    RuleHit { rule, detail }
}

/// Where a candidate came from; earlier sources win ties of equal confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Reference,
    FuzzyReference,
    Amount,
    Subset,
}

#[derive(Debug, Clone)]
struct Scored {
    items: Vec<usize>,
    source: Source,
    plan: Plan,
    confidence: Decimal,
    /// Why, for the sentence; empty until the candidate is about to be committed (scoring
    /// only weighs, so the sentences of candidates that lose are never written).
    reasons: Vec<RuleHit>,
    /// How many single items the amount alone fitted when it was scored.
    amount_cands: usize,
    customer: usize,
    reference_prefix: Option<String>,
    /// What keeps this candidate from being applied without review, whatever its score.
    doubts: Vec<RuleHit>,
}

#[derive(Debug, Clone)]
enum Proposal {
    Match {
        best: Box<Scored>,
        limits: Vec<RuleHit>,
        alternatives: Vec<String>,
    },
    Nothing {
        reason: UnmatchedReason,
        why: String,
    },
}

impl Proposal {
    fn priority(&self) -> Decimal {
        match self {
            Proposal::Match { best, .. } => best.confidence,
            Proposal::Nothing { .. } => Decimal::NEGATIVE_ONE,
        }
    }
}

struct Prepared {
    receipt: Receipt,
    evidence: Evidence,
}

#[derive(Default)]
struct SubsetInfo {
    ran: bool,
    exhausted: bool,
    nodes: u64,
}

struct Engine<'a> {
    ctx: Ctx<'a>,
}

/// How much more than `paid` an amount may be and still be settled by `paid` within the
/// fee tolerance (an upper bound, slack included); `None` when there is no bound.
fn shortfall_bound(settings: &crate::Settings, c: Currency, paid: Decimal) -> Option<Decimal> {
    match settings.fee_tolerance.get(c.code()) {
        Some(t) => Some(t.absolute.max(Decimal::ZERO)),
        None => {
            let pct = settings.fallback_fee_percent;
            if pct < Decimal::ONE_HUNDRED {
                paid.abs()
                    .checked_mul(pct)
                    .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED - pct))
            } else {
                None
            }
        }
    }
}

/// The credits of a run by currency and amount, so a returned payment looks only at the
/// credits it could return; a credit paired with its return is taken out.
struct Credits {
    list: Vec<Receipt>,
    taken: Vec<bool>,
    by_amount: BTreeMap<Currency, BTreeSet<(Decimal, usize)>>,
    /// By end-to-end id, account key and compact bank reference (four characters or more):
    /// the only ways a returned payment can name the credit it returns (see `pairing`).
    by_e2e: BTreeMap<String, Vec<usize>>,
    by_account: BTreeMap<String, Vec<usize>>,
    by_reference: BTreeMap<String, Vec<usize>>,
    reference_lengths: BTreeSet<usize>,
}

impl Credits {
    fn new(list: Vec<Receipt>) -> Credits {
        let mut by_amount: BTreeMap<Currency, BTreeSet<(Decimal, usize)>> = BTreeMap::new();
        for (k, c) in list.iter().enumerate() {
            by_amount
                .entry(c.amount.currency)
                .or_default()
                .insert((c.amount.amount, k));
        }
        let mut by_e2e: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_account: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_reference: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (k, c) in list.iter().enumerate() {
            if let Some(e2e) = c.end_to_end_id.as_deref() {
                by_e2e.entry(e2e.to_owned()).or_default().push(k);
            }
            if let Some(account) = c.payer_account.as_deref() {
                let key = crate::normalise::account_key(account);
                if !key.is_empty() {
                    by_account.entry(key).or_default().push(k);
                }
            }
            let reference = compact(&c.reference);
            if reference.len() >= 4 {
                by_reference.entry(reference).or_default().push(k);
            }
        }
        let reference_lengths = by_reference.keys().map(String::len).collect();
        Credits {
            taken: vec![false; list.len()],
            list,
            by_amount,
            by_e2e,
            by_account,
            by_reference,
            reference_lengths,
        }
    }

    /// The credits a returned payment could name at all, by its end-to-end id, its
    /// account, or a bank reference in its text; ascending, each once.
    fn named_by(&self, keys: &ReversalKeys<'_>) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        if let Some(e2e) = keys.reversal.end_to_end_id.as_deref()
            && !e2e.trim().is_empty()
        {
            out.extend(self.by_e2e.get(e2e).into_iter().flatten());
        }
        if let Some(account) = keys.account.as_deref().filter(|a| !a.is_empty()) {
            out.extend(self.by_account.get(account).into_iter().flatten());
        }
        let text = &keys.text;
        for len in &self.reference_lengths {
            for start in 0..=text.len().saturating_sub(*len) {
                if let Some(window) = text.get(start..start + len)
                    && let Some(ks) = self.by_reference.get(window)
                {
                    out.extend(ks);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The credits not yet taken whose amount in `currency` is at least `low` and at most
    /// `low + extra` (unbounded without `extra`), in arrival order; among `named` only.
    fn between(
        &self,
        currency: Currency,
        low: Decimal,
        extra: Option<Decimal>,
        named: &[usize],
    ) -> Vec<usize> {
        let high = extra.and_then(|e| low.checked_add(e)?.checked_add(Decimal::ONE));
        // Few credits named: check them, instead of every credit of the amount range.
        if named.len() < 64 {
            return named
                .iter()
                .copied()
                .filter(|k| {
                    let c = &self.list[*k];
                    !self.taken[*k]
                        && c.amount.currency == currency
                        && c.amount.amount >= low
                        && high.is_none_or(|h| c.amount.amount <= h)
                })
                .collect();
        }
        let Some(set) = self.by_amount.get(&currency) else {
            return Vec::new();
        };
        let mut out: Vec<usize> = match high {
            Some(high) => set
                .range((low, 0)..=(high, usize::MAX))
                .map(|(_, k)| *k)
                .collect(),
            None => set.range((low, 0)..).map(|(_, k)| *k).collect(),
        };
        out.retain(|k| !self.taken[*k]);
        out.sort_unstable();
        out
    }

    fn take(&mut self, k: usize) -> Receipt {
        self.taken[k] = true;
        let c = &self.list[k];
        if let Some(set) = self.by_amount.get_mut(&c.amount.currency) {
            set.remove(&(c.amount.amount, k));
        }
        c.clone()
    }

    fn into_rest(self) -> Vec<Receipt> {
        self.list
            .into_iter()
            .zip(self.taken)
            .filter_map(|(c, taken)| (!taken).then_some(c))
            .collect()
    }
}

/// Open invoices by currency and open amount, and within one amount by due date, kept up
/// to date as matches commit, so a receipt whose payer is unknown finds the few open
/// items whose amount fits it best without looking at every item of a common amount.
struct AmountIndex {
    by_currency: BTreeMap<Currency, BTreeMap<Decimal, Bucket>>,
}

/// The open invoices of one currency and open amount, by due date and item.
type Bucket = BTreeSet<(NaiveDate, usize)>;

/// One side of a currency's amounts, walked away from what the receipt pays: the distance
/// of an amount from `center` is the gap `Engine::quick_fit` reports for its items.
struct Side<'a> {
    center: Decimal,
    buckets: Box<dyn Iterator<Item = (&'a Decimal, &'a Bucket)> + 'a>,
    head: Option<(Decimal, &'a Bucket)>,
}

impl<'a> Side<'a> {
    fn new(
        center: Decimal,
        mut buckets: Box<dyn Iterator<Item = (&'a Decimal, &'a Bucket)> + 'a>,
    ) -> Side<'a> {
        let head = buckets.next().map(|(a, b)| ((*a - center).abs(), b));
        Side {
            center,
            buckets,
            head,
        }
    }

    fn advance(&mut self) {
        let center = self.center;
        self.head = self.buckets.next().map(|(a, b)| ((*a - center).abs(), b));
    }
}

/// Where open amounts of one currency could fit a receipt: from `lo` to `hi` (unbounded
/// without), gaps measured from `center`.
struct FitRange {
    currency: Currency,
    center: Decimal,
    lo: Decimal,
    hi: Option<Decimal>,
}

/// What the amount stage found for a receipt whose payer is unknown.
struct Closest {
    /// The closest fitting items as `(gap, days from due, item)`, best first.
    fits: Vec<(Decimal, i64, usize)>,
    /// How many items fit in all: exact below `MAX_AMOUNT_CANDIDATES`, at least that many
    /// otherwise (only "one" or "more than one" is ever asked).
    count: usize,
}

impl AmountIndex {
    fn new(book: &Book, remaining: &[Decimal]) -> AmountIndex {
        let mut index = AmountIndex {
            by_currency: BTreeMap::new(),
        };
        for (i, open) in remaining.iter().enumerate() {
            index.insert(book, i, *open);
        }
        index
    }

    fn insert(&mut self, book: &Book, i: usize, open: Decimal) {
        let item = &book.items[i];
        if open > Decimal::ZERO && item.kind == ItemKind::Invoice {
            self.by_currency
                .entry(item.currency)
                .or_default()
                .entry(open)
                .or_default()
                .insert((item.due, i));
        }
    }

    /// Item `i` went from `before` to `after` open.
    fn update(&mut self, book: &Book, i: usize, before: Decimal, after: Decimal) {
        let item = &book.items[i];
        if let Some(amounts) = self.by_currency.get_mut(&item.currency)
            && let Some(bucket) = amounts.get_mut(&before)
        {
            bucket.remove(&(item.due, i));
            if bucket.is_empty() {
                amounts.remove(&before);
            }
        }
        self.insert(book, i, after);
    }

    /// Where in each currency an open amount could fit this receipt: the currency, the
    /// amount the gap is measured from, and the range `Engine::quick_fit` could accept (a
    /// superset: `quick_fit` still decides). `None` when a converted amount overflows.
    fn ranges(
        &self,
        engine: &Engine<'_>,
        p: &Prepared,
        rates: &mut BTreeMap<Currency, Option<Decimal>>,
    ) -> Option<Vec<FitRange>> {
        let r = &p.receipt;
        let settings = engine.ctx.settings;
        let slack = Decimal::ONE;
        let mut out = Vec::new();
        for c in self.by_currency.keys() {
            let c = *c;
            let paid = if c == r.amount.currency {
                Some(r.amount.amount)
            } else {
                r.instructed.filter(|m| m.currency == c).map(|m| m.amount)
            };
            if let Some(paid) = paid {
                // Short by nothing, by the fee tolerance, by the bank's charges or by a
                // learned fee of any customer.
                let mut extra = shortfall_bound(settings, c, paid);
                if let Some(ch) = r.bank_charges.filter(|ch| ch.currency == c) {
                    extra = extra.map(|e| e.max(ch.amount));
                }
                for h in engine
                    .ctx
                    .memory
                    .fee_habits
                    .iter()
                    .filter(|h| h.fee.currency == c)
                {
                    extra = extra.map(|e| e.max(h.fee.amount));
                }
                let hi = extra.and_then(|e| paid.checked_add(e)?.checked_add(slack));
                out.push(FitRange {
                    currency: c,
                    center: paid,
                    lo: paid,
                    hi,
                });
            } else {
                let rate = *rates.entry(c).or_insert_with(|| {
                    engine
                        .ctx
                        .rates
                        .lookup(r.amount.currency, c, r.date)
                        .ok()
                        .map(|q| q.rate)
                });
                let Some(rate) = rate else {
                    continue;
                };
                // |paid · rate − open| ≤ open · band
                let x = r.amount.amount.checked_mul(rate)?;
                let band = settings.fx_band_percent / Decimal::ONE_HUNDRED;
                let lo = x
                    .checked_div(Decimal::ONE + band)
                    .map_or(Decimal::MIN, |v| v - slack);
                let hi = if band < Decimal::ONE {
                    x.checked_div(Decimal::ONE - band)
                        .and_then(|v| v.checked_add(slack))
                } else {
                    None
                };
                out.push(FitRange {
                    currency: c,
                    center: x,
                    lo,
                    hi,
                });
            }
        }
        Some(out)
    }

    /// Every open invoice whose open amount lies where `Engine::quick_fit` could accept it
    /// for this receipt (a superset: `quick_fit` still decides), in item order.
    fn near(
        &self,
        engine: &Engine<'_>,
        p: &Prepared,
        rates: &mut BTreeMap<Currency, Option<Decimal>>,
    ) -> Vec<usize> {
        let ranges = self.ranges(engine, p, rates);
        let mut out = Vec::new();
        for (c, amounts) in &self.by_currency {
            let all = || amounts.values().flat_map(|b| b.iter().map(|(_, i)| *i));
            let Some(ranges) = &ranges else {
                out.extend(all());
                continue;
            };
            let Some(&FitRange { lo, hi, .. }) = ranges.iter().find(|x| x.currency == *c) else {
                continue;
            };
            let in_range = |b: &Bucket| b.iter().map(|(_, i)| *i).collect::<Vec<_>>();
            match hi {
                Some(hi) if hi < lo => {}
                Some(hi) => out.extend(amounts.range(lo..=hi).flat_map(|(_, b)| in_range(b))),
                None => out.extend(amounts.range(lo..).flat_map(|(_, b)| in_range(b))),
            }
        }
        out.sort_unstable();
        out
    }

    /// The `MAX_AMOUNT_CANDIDATES` fitting items closest to this receipt, ordered by gap,
    /// then days from due, then item, exactly as if every item in range had been tried:
    /// amounts are walked away from what the receipt pays (so the gap only grows) and,
    /// within an amount, due dates away from the receipt's date. `None` when a converted
    /// amount overflows (the caller then tries every item).
    fn closest(
        &self,
        engine: &Engine<'_>,
        p: &Prepared,
        remaining: &[Decimal],
        rates: &mut BTreeMap<Currency, Option<Decimal>>,
    ) -> Option<Closest> {
        let r = &p.receipt;
        let ranges = self.ranges(engine, p, rates)?;
        let mut sides: Vec<Side<'_>> = Vec::new();
        for FitRange {
            currency: c,
            center,
            lo,
            hi,
        } in ranges
        {
            let Some(amounts) = self.by_currency.get(&c) else {
                continue;
            };
            if hi.is_some_and(|hi| hi < lo) {
                continue;
            }
            let from = center.max(lo);
            if lo < from {
                sides.push(Side::new(center, Box::new(amounts.range(lo..from).rev())));
            }
            match hi {
                Some(hi) if hi < from => {}
                Some(hi) => sides.push(Side::new(center, Box::new(amounts.range(from..=hi)))),
                None => sides.push(Side::new(center, Box::new(amounts.range(from..)))),
            }
        }
        let k = MAX_AMOUNT_CANDIDATES;
        let mut fits: Vec<(Decimal, i64, usize)> = Vec::new();
        while fits.len() < k {
            let Some(gap) = sides.iter().filter_map(|s| s.head.map(|h| h.0)).min() else {
                break;
            };
            let need = k - fits.len();
            let mut level: Vec<(Decimal, i64, usize)> = Vec::new();
            for side in sides.iter_mut() {
                let Some((g, bucket)) = side.head else {
                    continue;
                };
                if g != gap {
                    continue;
                }
                // Due dates on or after the receipt's date, and before it, merged by days.
                let mut later = bucket.range((r.date, 0)..).peekable();
                let mut earlier = bucket.range(..(r.date, 0)).rev().peekable();
                let mut taken = 0usize;
                let mut last_days: Option<i64> = None;
                loop {
                    let days_of = |d: NaiveDate| (r.date - d).num_days().abs();
                    let next = match (later.peek(), earlier.peek()) {
                        (Some(a), Some(b)) if days_of(a.0) <= days_of(b.0) => later.next(),
                        (Some(_), Some(_)) => earlier.next(),
                        (Some(_), None) => later.next(),
                        (None, _) => earlier.next(),
                    };
                    let Some((due, i)) = next else {
                        break;
                    };
                    let days = days_of(*due);
                    if taken >= need && last_days.is_some_and(|l| days > l) {
                        break;
                    }
                    if let Some(gap) = engine.quick_fit(p, *i, remaining, rates) {
                        level.push((gap, days, *i));
                        taken += 1;
                        last_days = Some(days);
                    }
                }
                side.advance();
            }
            level.sort_unstable();
            level.truncate(need);
            fits.extend(level);
        }
        let count = fits.len();
        Some(Closest { fits, count })
    }
}

/// Most single items scored on amount alone for one receipt.
const MAX_AMOUNT_CANDIDATES: usize = 8;

fn dec(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

impl Engine<'_> {
    fn book(&self) -> &Book {
        self.ctx.book
    }

    fn numbers(&self, items: &[usize]) -> Vec<String> {
        items
            .iter()
            .map(|i| self.book().items[*i].number.clone())
            .collect()
    }

    fn customer_name(&self, c: usize) -> &str {
        &self.book().customers[c].name
    }

    /// How far a single item's open amount is from what the receipt pays for it, when the
    /// receipt alone could settle it in full (exact, within the fee tolerance or the
    /// customer's learned fee or the bank's charges, or within the FX band).
    fn quick_fit(
        &self,
        p: &Prepared,
        i: usize,
        remaining: &[Decimal],
        rates: &mut BTreeMap<Currency, Option<Decimal>>,
    ) -> Option<Decimal> {
        let item = &self.book().items[i];
        let r = &p.receipt;
        let open = remaining[i];
        let c = item.currency;
        let paid = if c == r.amount.currency {
            r.amount.amount
        } else if let Some(instr) = r.instructed.filter(|m| m.currency == c) {
            instr.amount
        } else {
            let rate = (*rates.entry(c).or_insert_with(|| {
                self.ctx
                    .rates
                    .lookup(r.amount.currency, c, r.date)
                    .ok()
                    .map(|q| q.rate)
            }))?;
            let gap = (r.amount.amount * rate - open).abs();
            let band = open * self.ctx.settings.fx_band_percent / Decimal::ONE_HUNDRED;
            return (gap <= band).then_some(gap);
        };
        let short = open - paid;
        let fits = short.is_zero()
            || (short > Decimal::ZERO
                && (short <= self.ctx.settings.fee_allowance(c, open)
                    || r.bank_charges == Some(Money::new(short, c))
                    || self.ctx.memory.fee_habits.iter().any(|h| {
                        h.customer_id == self.book().customers[item.customer].id
                            && h.fee == Money::new(short, c)
                    })));
        fits.then_some(short)
    }

    fn propose(
        &self,
        p: &Prepared,
        remaining: &[Decimal],
        index: &AmountIndex,
    ) -> (Proposal, BTreeSet<usize>) {
        let book = self.book();
        let ev = &p.evidence;
        let r = &p.receipt;
        let open = |i: usize| remaining[i] > Decimal::ZERO;
        let mut depends: BTreeSet<usize> = ev.refs.iter().map(|h| h.item).collect();
        let mut cands: Vec<(Vec<usize>, Source)> = Vec::new();
        let refs: Vec<&RefHit> = ev.refs.iter().filter(|h| open(h.item)).collect();
        let exact: Vec<usize> = refs
            .iter()
            .filter(|h| h.strength != RefStrength::Transposed)
            .map(|h| h.item)
            .collect();
        if exact
            .iter()
            .any(|i| book.items[*i].kind == ItemKind::Invoice)
        {
            cands.push((exact.clone(), Source::Reference));
            if exact.len() > 1 {
                for i in exact
                    .iter()
                    .filter(|i| book.items[**i].kind == ItemKind::Invoice)
                {
                    cands.push((vec![*i], Source::Reference));
                }
            }
        }
        for h in refs
            .iter()
            .filter(|h| h.strength == RefStrength::Transposed)
        {
            cands.push((vec![h.item], Source::FuzzyReference));
        }
        let mut rates = BTreeMap::new();
        let mut closest: Option<Closest> = None;
        let pool: Vec<usize> = match &ev.payer {
            Payer::Known { customer, .. } => book.customer_items[*customer].clone(),
            Payer::Ambiguous { customers, .. } => {
                let mut v: Vec<usize> = customers
                    .iter()
                    .flat_map(|c| book.customer_items[*c].iter().copied())
                    .collect();
                v.sort_unstable();
                v
            }
            Payer::Unknown => match index.closest(self, p, remaining, &mut rates) {
                // Only the closest few are scored, so only they are depended on.
                Some(found) => {
                    depends.extend(found.fits.iter().map(|f| f.2));
                    closest = Some(found);
                    Vec::new()
                }
                None => index.near(self, p, &mut rates),
            },
        };
        let mut fits: Vec<(Decimal, i64, usize)> = Vec::new();
        for i in pool {
            if open(i)
                && book.items[i].kind == ItemKind::Invoice
                && let Some(gap) = self.quick_fit(p, i, remaining, &mut rates)
            {
                depends.insert(i);
                let days = (r.date - book.items[i].due).num_days().abs();
                fits.push((gap, days, i));
            }
        }
        // Many open items of one amount (subscriptions) would make every receipt score every
        // one of them; the closest few decide, and the count alone says it is not unique.
        let mut amount_fits = fits.len();
        if let Some(found) = closest {
            amount_fits = found.count;
            fits = found.fits;
        }
        if fits.len() > MAX_AMOUNT_CANDIDATES {
            fits.select_nth_unstable(MAX_AMOUNT_CANDIDATES - 1);
            fits.truncate(MAX_AMOUNT_CANDIDATES);
        }
        fits.sort_unstable();
        for (_, _, i) in fits.into_iter().take(MAX_AMOUNT_CANDIDATES) {
            if !cands.iter().any(|(items, _)| items == &vec![i]) {
                cands.push((vec![i], Source::Amount));
            }
        }
        let mut scored = Vec::new();
        let mut rate_error: Option<String> = None;
        for (items, source) in &cands {
            match self.score(p, items, *source, remaining, amount_fits, false) {
                Ok(Some(s)) => scored.push(s),
                Ok(None) => {}
                Err(e) => rate_error = Some(e),
            }
        }
        // An overpayment is judged against the customer's other open items: when they
        // change, the proposal must be made again.
        for s in scored.iter().filter(|s: &&Scored| s.plan.fit == Fit::Over) {
            depends.extend(
                book.customer_items[book.items[s.items[0]].customer]
                    .iter()
                    .copied(),
            );
        }
        let mut info = SubsetInfo::default();
        if !scored.iter().any(|s: &Scored| s.plan.fit.settles())
            && let Payer::Known { customer, .. } = &ev.payer
        {
            let found = self.subsets(p, *customer, remaining, &mut info);
            depends.extend(book.customer_items[*customer].iter().copied());
            for items in found {
                if let Ok(Some(s)) = self.score(p, &items, Source::Subset, remaining, 0, false) {
                    scored.push(s);
                }
            }
        }
        scored.sort_by(|a, b| {
            b.confidence
                .cmp(&a.confidence)
                .then(a.source.cmp(&b.source))
                .then_with(|| a.items.cmp(&b.items))
        });
        let mut seen = BTreeSet::new();
        scored.retain(|s| seen.insert(s.items.clone()));
        let Some(best) = scored.first().cloned() else {
            let (reason, why) = if let Some(e) = rate_error {
                (
                    UnmatchedReason::NoFxRate { detail: e.clone() },
                    format!(
                        "it could not be compared with the open items in other currencies: {e}"
                    ),
                )
            } else if info.exhausted {
                (
                    UnmatchedReason::SubsetBudgetExhausted { nodes: info.nodes },
                    format!(
                        "no single open item fits and the search for a combination stopped after {} nodes without finding one; raise subset_node_budget or match it by hand",
                        info.nodes
                    ),
                )
            } else if let Payer::Known { customer, hit, .. } = &ev.payer {
                (
                    UnmatchedReason::NoAmountFit {
                        customer_id: book.customers[*customer].id.clone(),
                    },
                    format!(
                        "{}, but no open item{} of {} fits {}",
                        hit.detail,
                        if info.ran {
                            " or combination of up to the allowed number of items"
                        } else {
                            ""
                        },
                        self.customer_name(*customer),
                        r.amount
                    ),
                )
            } else {
                let mut why = "no reference, payer or amount points to an open item".to_owned();
                if let Payer::Ambiguous { hit, .. } = &ev.payer {
                    why = format!("{why} ({})", hit.detail);
                }
                (UnmatchedReason::NoCandidate, why)
            };
            return (Proposal::Nothing { reason, why }, depends);
        };
        let margin = self.ctx.settings.tie_margin;
        let mut limits = Vec::new();
        let mut alternatives = Vec::new();
        for other in scored.iter().skip(1) {
            if other.confidence + margin < best.confidence {
                break;
            }
            let numbers = self.numbers(&other.items);
            alternatives.push(format!(
                "{} of {} (confidence {})",
                numbers.join(" and "),
                self.customer_name(other.customer),
                other.confidence
            ));
            if alternatives.len() > 1 {
                continue;
            }
            if best.source == Source::Amount
                && other.source == Source::Amount
                && other.customer != best.customer
            {
                limits.push(hit(
                    Rule::SameAmountSeveralCustomers,
                    format!(
                        "{} is open both on {} of {} and on {} of {}",
                        r.amount,
                        self.numbers(&best.items).join(" and "),
                        self.customer_name(best.customer),
                        numbers.join(" and "),
                        self.customer_name(other.customer)
                    ),
                ));
            } else {
                limits.push(hit(
                    Rule::Tie,
                    format!(
                        "{} of {} fits as well (confidence {})",
                        numbers.join(" and "),
                        self.customer_name(other.customer),
                        other.confidence
                    ),
                ));
            }
        }
        limits.extend(best.doubts.iter().cloned());
        if best.source == Source::Subset && info.exhausted {
            limits.push(hit(
                Rule::SubsetBudgetExhausted,
                format!("the search for combinations stopped after {} nodes, so another combination may fit too", info.nodes),
            ));
        }
        if r.pending {
            limits.push(hit(
                Rule::PendingEntry,
                "the bank reports the entry as pending".to_owned(),
            ));
        }
        if best.confidence < self.ctx.settings.auto_threshold {
            limits.push(hit(
                Rule::BelowThreshold,
                format!(
                    "confidence {} is under the auto-apply threshold of {}",
                    best.confidence, self.ctx.settings.auto_threshold
                ),
            ));
        }
        (
            Proposal::Match {
                best: Box::new(best),
                limits,
                alternatives,
            },
            depends,
        )
    }

    /// Combinations of the customer's open items in the receipt's currency that add up to
    /// the receipt exactly, else within the fee tolerance. Single items are left to the
    /// amount stage.
    fn subsets(
        &self,
        p: &Prepared,
        customer: usize,
        remaining: &[Decimal],
        info: &mut SubsetInfo,
    ) -> Vec<Vec<usize>> {
        let book = self.book();
        let r = p.receipt.amount;
        let mut idx = Vec::new();
        let mut values = Vec::new();
        for i in &book.customer_items[customer] {
            let item = &book.items[*i];
            if remaining[*i] <= Decimal::ZERO || item.currency != r.currency {
                continue;
            }
            if let Some(v) = Money::new(item.signed(remaining[*i]), item.currency).to_minor_units()
            {
                idx.push(*i);
                values.push(v);
            }
        }
        let Some(target) = r.to_minor_units() else {
            return Vec::new();
        };
        let allowance = Money::new(
            self.ctx.settings.fee_allowance(r.currency, r.amount),
            r.currency,
        )
        .round(arsync_model::Rounding::Down)
        .to_minor_units()
        .unwrap_or(0);
        let charges = p
            .receipt
            .bank_charges
            .filter(|ch| ch.currency == r.currency)
            .and_then(|ch| ch.to_minor_units())
            .unwrap_or(0);
        let allowance = allowance.max(charges);
        let s = self.ctx.settings;
        info.ran = true;
        let mut found = subset::find(
            &values,
            target,
            target,
            s.subset_node_budget,
            s.subset_max_items,
            3,
        );
        if found.solutions.iter().all(|sol| sol.len() < 2) && allowance > 0 {
            let fee = subset::find(
                &values,
                target + 1,
                target + allowance,
                s.subset_node_budget,
                s.subset_max_items,
                3,
            );
            found.nodes += fee.nodes;
            found.exhausted |= fee.exhausted;
            found.solutions.extend(fee.solutions);
        }
        info.exhausted = found.exhausted;
        info.nodes = found.nodes;
        found
            .solutions
            .into_iter()
            .filter(|sol| sol.len() >= 2)
            .map(|sol| sol.into_iter().map(|k| idx[k]).collect())
            .collect()
    }

    /// Scores one candidate set. `Ok(None)` when it cannot be a match; `Err` with the rate
    /// book's message when a rate is missing.
    fn score(
        &self,
        p: &Prepared,
        items: &[usize],
        source: Source,
        remaining: &[Decimal],
        amount_cands: usize,
        explain: bool,
    ) -> Result<Option<Scored>, String> {
        let book = self.book();
        let r = &p.receipt;
        let plan = match self.ctx.plan(r, items, remaining, explain) {
            Ok(plan) => plan,
            Err(NoPlan::Unfit) => return Ok(None),
            Err(NoPlan::NoRate(e)) => return Err(e),
        };
        let mut reasons = Vec::new();
        let mut confidence = Decimal::ZERO;
        let hits: Vec<&RefHit> = items
            .iter()
            .filter_map(|i| p.evidence.refs.iter().find(|h| h.item == *i))
            .collect();
        let weights: Vec<Decimal> = hits.iter().map(|h| h.strength.weight()).collect();
        if !hits.is_empty() {
            let all = hits.len() == items.len();
            confidence += if all {
                weights.iter().copied().min().unwrap_or_default()
            } else {
                weights.iter().copied().max().unwrap_or_default() / Decimal::TWO
            };
            for h in hits.iter().filter(|_| explain) {
                let number = &book.items[h.item].number;
                let detail = match h.strength {
                    RefStrength::Structured => format!(
                        "the structured reference {} is the one printed on {number}",
                        h.written
                    ),
                    RefStrength::NumberWithPrefix => {
                        format!("the remittance names {number} as '{}'", h.written)
                    }
                    RefStrength::Number => {
                        format!("the remittance names {number} as '{}'", h.written)
                    }
                    RefStrength::Transposed => format!(
                        "'{}' in the remittance is {number} with two neighbouring digits swapped",
                        h.written
                    ),
                };
                reasons.push(hit(h.strength.rule(), detail));
            }
            if let Some(pattern) = hits.iter().find_map(|h| h.pattern.clone()) {
                confidence += dec(5, 2);
                if explain {
                    reasons.push(hit(Rule::LearnedReferencePattern, pattern));
                }
            }
        }
        if matches!(plan.fit, Fit::Partial | Fit::Over) && hits.is_empty() {
            return Ok(None);
        }
        let first = &book.items[items[0]];
        let mut customer = first.customer;
        match &p.evidence.payer {
            Payer::Known {
                customer: c,
                weight,
                hit: h,
            } => {
                if items.iter().all(|i| book.items[*i].customer == *c) {
                    confidence += *weight;
                    if explain {
                        reasons.push(h.clone());
                    }
                    customer = *c;
                } else {
                    confidence -= dec(30, 2);
                    reasons.push(hit(
                        Rule::CustomerConflict,
                        format!(
                            "the payer was recognised as {} ({}), but {} belongs to {}",
                            self.customer_name(*c),
                            h.detail,
                            first.number,
                            self.customer_name(first.customer)
                        ),
                    ));
                }
            }
            Payer::Ambiguous { hit: h, .. } if explain => reasons.push(h.clone()),
            Payer::Ambiguous { .. } => {}
            Payer::Unknown => {}
        }
        let mut doubts = Vec::new();
        confidence += match plan.fit {
            Fit::Exact => dec(30, 2),
            Fit::Fee => dec(25, 2),
            Fit::FxBand => dec(20, 2),
            Fit::Partial => dec(10, 2),
            Fit::Over => match self.absorbing_items(r, items, &plan, remaining) {
                // Settling one item and parking the rest as credit is the weakest reading
                // when the rest could pay the customer's other items: any combination that
                // settles within the fee tolerance must rank above it.
                Some(doubt) => {
                    doubts.push(doubt);
                    dec(-20, 2)
                }
                None => dec(10, 2),
            },
        };
        if source == Source::Subset && explain {
            reasons.push(hit(
                Rule::SubsetSum,
                format!(
                    "{} open items of {} add up to the amount",
                    items.len(),
                    self.customer_name(customer)
                ),
            ));
        }
        if source == Source::Amount && amount_cands == 1 {
            confidence += dec(10, 2);
            if explain {
                reasons.push(hit(
                    Rule::OnlyItemWithAmount,
                    format!("{} is the only open item this amount settles", first.number),
                ));
            }
        }
        let window = self.ctx.settings.date_window_days;
        let days = (r.date - first.due).num_days();
        if days.abs() <= window {
            let bonus = (dec(5, 2) * Decimal::from(window - days.abs()) / Decimal::from(window))
                .round_dp(2);
            if bonus > Decimal::ZERO && !explain {
                confidence += bonus;
            } else if bonus > Decimal::ZERO {
                confidence += bonus;
                let when = match days {
                    0 => format!("received on the day {} was due", first.number),
                    1 => format!("received 1 day after {} was due", first.number),
                    -1 => format!("received 1 day before {} was due", first.number),
                    d if d < 0 => format!("received {} days before {} was due", -d, first.number),
                    d => format!("received {d} days after {} was due", first.number),
                };
                reasons.push(hit(Rule::DueDateProximity, when));
            }
        }
        if explain {
            reasons.extend(plan.hits.iter().cloned());
        }
        let confidence = confidence.clamp(Decimal::ZERO, Decimal::ONE).round_dp(2);
        let reference_prefix = hits.iter().find_map(|h| h.foreign_prefix.clone());
        Ok(Some(Scored {
            items: items.to_vec(),
            source,
            plan,
            confidence,
            reasons,
            amount_cands,
            customer,
            reference_prefix,
            doubts,
        }))
    }

    /// When an overpayment is larger than the fee tolerance and the customer of the items
    /// has other items open in their currency that the excess could go to, the reason to
    /// review it, naming those items.
    fn absorbing_items(
        &self,
        r: &Receipt,
        items: &[usize],
        plan: &Plan,
        remaining: &[Decimal],
    ) -> Option<RuleHit> {
        let book = self.book();
        let excess = plan
            .left
            .iter()
            .find(|x| x.kind == crate::outcome::ResidualKind::Overpayment)?
            .amount;
        let allowance = self
            .ctx
            .settings
            .fee_allowance(excess.currency, r.amount.amount);
        if excess.amount <= allowance {
            return None;
        }
        let first = &book.items[*items.first()?];
        let others: Vec<usize> = book.customer_items[first.customer]
            .iter()
            .copied()
            .filter(|i| {
                let it = &book.items[*i];
                !items.contains(i)
                    && it.kind == ItemKind::Invoice
                    && it.currency == first.currency
                    && remaining[*i] > Decimal::ZERO
            })
            .collect();
        if others.is_empty() {
            return None;
        }
        const NAMED: usize = 3;
        let mut named: Vec<String> = others
            .iter()
            .take(NAMED)
            .map(|i| {
                format!(
                    "{} ({} open)",
                    book.items[*i].number,
                    crate::residuals::shown(
                        remaining[*i],
                        first.currency,
                        self.ctx.settings.rounding
                    )
                )
            })
            .collect();
        if others.len() > NAMED {
            named.push(format!("{} more", others.len() - NAMED));
        }
        Some(hit(
            Rule::OverpaymentWithOpenItems,
            format!(
                "the {excess} excess could pay {} of {} as well",
                crate::explain::list(&named),
                self.customer_name(first.customer)
            ),
        ))
    }

    /// Writes the reasons of the candidate about to be committed. What it settles is as it
    /// was when it was scored (it would have been proposed again otherwise), so scoring it
    /// again gives the same result, explained.
    fn explain(&self, p: &Prepared, best: &mut Scored, remaining: &[Decimal]) {
        if let Ok(Some(s)) = self.score(
            p,
            &best.items,
            best.source,
            remaining,
            best.amount_cands,
            true,
        ) {
            best.reasons = s.reasons;
        }
    }

    fn commit(
        &self,
        p: &Prepared,
        receipt: Receipt,
        best: &Scored,
        limits: Vec<RuleHit>,
        alternatives: Vec<String>,
        remaining: &mut [Decimal],
    ) -> Match {
        let book = self.book();
        let r = &receipt;
        let decision = if limits.is_empty() {
            Decision::Auto
        } else {
            Decision::Suggested
        };
        let mut allocations = Vec::new();
        for l in &best.plan.lines {
            let item = &book.items[l.item];
            remaining[l.item] = l.open_after;
            allocations.push(AppliedItem {
                item_kind: item.kind,
                item_id: item.id.clone(),
                number: item.number.clone(),
                customer_id: book.customers[item.customer].id.clone(),
                applied: Money::new(l.applied, item.currency),
                received: Money::new(l.received, r.amount.currency),
                open_before: Money::new(l.open_before, item.currency),
                open_after: Money::new(l.open_after, item.currency),
            });
        }
        let residuals = best
            .plan
            .left
            .iter()
            .map(|x| Residual {
                kind: x.kind,
                amount: x.amount,
                item_id: x.item.map(|i| book.items[i].id.clone()),
            })
            .collect();
        let mut reasons = p.evidence.notes.clone();
        reasons.extend(best.reasons.iter().cloned());
        let numbers: Vec<String> = best
            .plan
            .lines
            .iter()
            .map(|l| book.items[l.item].number.clone())
            .collect();
        let customer = &book.customers[best.customer];
        let verb = match decision {
            Decision::Auto => "pays",
            Decision::Suggested => "may pay",
        };
        let explanation = match_sentence(
            r,
            verb,
            &numbers,
            Some(&customer.name),
            &reasons,
            (decision, &limits, best.confidence),
        );
        let mut rules = reasons;
        rules.extend(limits);
        Match {
            receipt,
            customer: Some(CustomerRef {
                id: customer.id.clone(),
                name: customer.name.clone(),
            }),
            allocations,
            residuals,
            confidence: best.confidence,
            decision,
            rules,
            explanation,
            alternatives,
            reverses: None,
            reference_prefix: best.reference_prefix.clone(),
        }
    }
}

/// A proposal, the item versions it was made against, and how many matches had been
/// committed when it was made.
type Slot = (Proposal, Vec<(usize, u64)>, usize);

/// A receipt waiting to commit: the most confident first, then the earliest, then by id.
/// Receipts are numbered in (date, id) order, so the number stands for both.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    confidence: Decimal,
    index: Reverse<usize>,
}

/// What is left in place of a receipt moved into the outcome: nothing allocated.
fn vacated(r: &Receipt) -> Receipt {
    Receipt {
        id: String::new(),
        reference: String::new(),
        source: crate::ReceiptSource::Payment { method: None },
        kind: r.kind,
        date: r.date,
        amount: r.amount,
        pending: r.pending,
        customer_id: None,
        payer_name: None,
        payer_account: None,
        remittance: Vec::new(),
        structured_refs: Vec::new(),
        end_to_end_id: None,
        instructed: None,
        bank_charges: None,
    }
}

/// Moves the receipt out of `p`, for the outcome; `p` keeps its evidence.
fn take_receipt(p: &mut Prepared) -> Receipt {
    let empty = vacated(&p.receipt);
    std::mem::replace(&mut p.receipt, empty)
}

/// Sorts by receipt date and id, keeping the order of equal keys, without the buffer of
/// half the list a stable sort takes: the order is found on positions and applied by swaps.
fn sort_by_receipt<T>(list: &mut [T], receipt: impl Fn(&T) -> &Receipt) {
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.sort_unstable_by(|a, b| {
        let (ra, rb) = (receipt(&list[*a]), receipt(&list[*b]));
        (ra.date, &ra.id, a).cmp(&(rb.date, &rb.id, b))
    });
    // order[k] is where the k-th element comes from; follow each cycle once.
    for start in 0..order.len() {
        let mut k = start;
        while order[k] != start {
            let from = order[k];
            list.swap(k, from);
            order[k] = k;
            k = from;
        }
        order[k] = k;
    }
}

/// How surely a returned payment names the receipt it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pairing {
    Account,
    Reference,
}

/// What a returned payment is compared by, worked out once per returned payment instead of
/// once per receipt it might return.
struct ReversalKeys<'a> {
    reversal: &'a Receipt,
    text: String,
    account: Option<String>,
}

impl<'a> ReversalKeys<'a> {
    fn new(reversal: &'a Receipt) -> ReversalKeys<'a> {
        ReversalKeys {
            reversal,
            text: compact(&reversal.free_text()),
            account: reversal
                .payer_account
                .as_deref()
                .map(crate::normalise::account_key),
        }
    }
}

fn pairing(
    keys: &ReversalKeys<'_>,
    reference: &str,
    e2e: Option<&str>,
    account: Option<&str>,
) -> Option<(Pairing, String)> {
    let reversal = keys.reversal;
    if let (Some(a), Some(b)) = (reversal.end_to_end_id.as_deref(), e2e)
        && !a.trim().is_empty()
        && a == b
    {
        return Some((
            Pairing::Reference,
            format!("it carries the end-to-end id {a} of the original"),
        ));
    }
    let reference_key = compact(reference);
    if reference_key.len() >= 4 && keys.text.contains(&reference_key) {
        return Some((
            Pairing::Reference,
            format!("it quotes the original's bank reference {reference}"),
        ));
    }
    match (keys.account.as_deref(), account) {
        (Some(a), Some(b)) if !a.is_empty() && a == b => Some((
            Pairing::Account,
            format!("it goes back to the same account {b} with the same amount"),
        )),
        _ => None,
    }
}

/// Runs the pipeline over `receipts` (the input's, taken by value so none is copied).
pub(crate) fn run(
    input: &ReconcileInput<'_>,
    mut receipts: Vec<Receipt>,
    settings: &crate::Settings,
) -> Outcome {
    let book = Book::new(
        input.as_of,
        input.parties,
        input.invoices,
        input.credit_notes,
    );
    let engine = Engine {
        ctx: Ctx {
            book: &book,
            rates: input.rates,
            memory: input.memory,
            settings,
            home: input.home,
        },
    };
    receipts.sort_by(|a, b| {
        (
            a.date,
            &a.id,
            &a.reference,
            a.amount.amount,
            a.amount.currency,
        )
            .cmp(&(
                b.date,
                &b.id,
                &b.reference,
                b.amount.amount,
                b.amount.currency,
            ))
    });
    let (reversals, mut credits): (Vec<Receipt>, Vec<Receipt>) = receipts
        .into_iter()
        .partition(|r| r.kind == ReceiptKind::Reversal);
    let mut outcome = Outcome::default();
    // A receipt applied in an earlier run must not be applied again while the books catch up.
    let mut applied_by_id = BTreeMap::new();
    for a in &input.memory.applied {
        applied_by_id.entry(a.receipt_id.as_str()).or_insert(a);
    }
    credits.retain(|r| {
        let Some(earlier) = applied_by_id.get(r.id.as_str()) else {
            return true;
        };
        outcome.unmatched.push(Unmatched {
            explanation: unmatched_sentence(
                r,
                &format!(
                    "it was already applied on {} by {}; nothing more to do",
                    earlier.applied_on, earlier.applied_by
                ),
                &[],
            ),
            receipt: r.clone(),
            reason: UnmatchedReason::AlreadyApplied {
                applied_on: earlier.applied_on,
                applied_by: earlier.applied_by.clone(),
            },
        });
        false
    });
    let mut credits = Credits::new(credits);
    for rv in reversals {
        handle_reversal(&engine, rv, &mut credits, &mut outcome);
    }
    let receipts = credits.into_rest();
    let evidence = in_parallel(&receipts, |receipt| gather(receipt, &book, input.memory));
    let mut prepared: Vec<Prepared> = receipts
        .into_iter()
        .zip(evidence)
        .map(|(receipt, evidence)| Prepared { receipt, evidence })
        .collect();
    let mut remaining: Vec<Decimal> = book.items.iter().map(|i| i.open).collect();
    let mut index = AmountIndex::new(&book, &remaining);
    let mut version: Vec<u64> = vec![0; book.items.len()];
    let mut slots: Vec<Option<Slot>> = Vec::with_capacity(prepared.len());
    let mut queue = BinaryHeap::new();
    let snapshot = |deps: BTreeSet<usize>, version: &[u64]| {
        deps.into_iter()
            .map(|i| (i, version[i]))
            .collect::<Vec<_>>()
    };
    // Before anything commits, every proposal is independent of the others.
    let first = in_parallel(&prepared, |p| engine.propose(p, &remaining, &index));
    for (k, (proposal, deps)) in first.into_iter().enumerate() {
        queue.push(Queued {
            confidence: proposal.priority(),
            index: Reverse(k),
        });
        slots.push(Some((proposal, snapshot(deps, &version), 0)));
    }
    let mut commits = 0usize;
    outcome.matches.reserve(prepared.len());
    while let Some(q) = queue.pop() {
        let k = q.index.0;
        let Some(p) = prepared.get_mut(k) else {
            continue;
        };
        let Some((proposal, deps, made_after)) = slots[k].take() else {
            continue;
        };
        // A receipt with no candidate is looked at once more after later commits: a part
        // payment may have left an invoice open with exactly what this receipt pays.
        let nothing_stale = matches!(proposal, Proposal::Nothing { .. }) && made_after != commits;
        if nothing_stale || deps.iter().any(|(i, v)| version[*i] != *v) {
            let (proposal, deps) = engine.propose(p, &remaining, &index);
            queue.push(Queued {
                confidence: proposal.priority(),
                index: Reverse(k),
            });
            slots[k] = Some((proposal, snapshot(deps, &version), commits));
            continue;
        }
        match proposal {
            Proposal::Match {
                mut best,
                limits,
                alternatives,
            } => {
                engine.explain(p, &mut best, &remaining);
                let mut before: BTreeMap<usize, Decimal> = BTreeMap::new();
                for l in &best.plan.lines {
                    before.entry(l.item).or_insert(remaining[l.item]);
                }
                let receipt = take_receipt(p);
                let m = engine.commit(p, receipt, &best, limits, alternatives, &mut remaining);
                for l in &best.plan.lines {
                    version[l.item] += 1;
                }
                for (i, open) in before {
                    index.update(&book, i, open, remaining[i]);
                }
                outcome.matches.push(m);
                commits += 1;
            }
            Proposal::Nothing { reason, why } => outcome.unmatched.push(Unmatched {
                explanation: unmatched_sentence(&p.receipt, &why, &p.evidence.notes),
                receipt: take_receipt(p),
                reason,
            }),
        }
        // Decided: its evidence is never looked at again.
        p.evidence = Evidence {
            payer: Payer::Unknown,
            refs: Vec::new(),
            notes: Vec::new(),
        };
    }
    drop(prepared);
    drop(slots);
    sort_by_receipt(&mut outcome.matches, |m| &m.receipt);
    sort_by_receipt(&mut outcome.unmatched, |u| &u.receipt);
    outcome
}

/// Fewer items than this are not worth a second thread.
const PARALLEL_FROM: usize = 512;

/// `f` over `items` on up to two threads (the machine's cores, at most two), results in
/// the order of `items`, so the outcome is the same as one thread's.
fn in_parallel<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    if threads < 2 || items.len() < PARALLEL_FROM {
        return items.iter().map(&f).collect();
    }
    let (head, tail) = items.split_at(items.len() / 2);
    let f = &f;
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("reconcile".into())
            .spawn_scoped(scope, move || tail.iter().map(f).collect::<Vec<U>>());
        let mut out: Vec<U> = head.iter().map(f).collect();
        match spawned {
            Ok(handle) => match handle.join() {
                Ok(rest) => out.extend(rest),
                Err(cause) => std::panic::resume_unwind(cause),
            },
            // No second thread to be had: this one does the rest.
            Err(_) => out.extend(tail.iter().map(f)),
        }
        out
    })
}

/// A returned payment: pairs it with the receipt it returns in this run (both then apply
/// nothing) or with a receipt applied earlier (its allocations are reversed).
fn handle_reversal(engine: &Engine<'_>, rv: Receipt, credits: &mut Credits, outcome: &mut Outcome) {
    let settings = engine.ctx.settings;
    let amount_fits = |original: Money| {
        original.currency == rv.amount.currency
            && original.amount >= rv.amount.amount
            && original.amount - rv.amount.amount
                <= settings.fee_allowance(original.currency, original.amount)
    };
    let keys = ReversalKeys::new(&rv);
    let named = credits.named_by(&keys);
    let in_run = credits
        .between(
            rv.amount.currency,
            rv.amount.amount,
            shortfall_bound(settings, rv.amount.currency, rv.amount.amount),
            &named,
        )
        .into_iter()
        .map(|k| (k, &credits.list[k]))
        .filter(|(_, c)| c.date <= rv.date && amount_fits(c.amount))
        .filter_map(|(k, c)| {
            pairing(
                &keys,
                &c.reference,
                c.end_to_end_id.as_deref(),
                c.payer_account
                    .as_deref()
                    .map(crate::normalise::account_key)
                    .as_deref(),
            )
            .map(|(strength, why)| (strength, c.date, Reverse(k), why))
        })
        .max();
    let reversal_match = |reverses: String,
                          customer: Option<CustomerRef>,
                          allocations: Vec<AppliedItem>,
                          strength: Pairing,
                          why: String,
                          what: String| {
        let decision = if strength == Pairing::Reference {
            Decision::Auto
        } else {
            Decision::Suggested
        };
        let numbers: Vec<String> = allocations.iter().map(|a| a.number.clone()).collect();
        // Returned in the same run: nothing was applied, so the sentence names the receipt.
        // Returned after it was applied: the sentence names the items it re-opens.
        let (verb, targets, reason) = if numbers.is_empty() {
            ("returns", vec![what], hit(Rule::Reversal, why))
        } else {
            (
                "re-opens",
                numbers,
                hit(Rule::Reversal, format!("it returns {what}, as {why}")),
            )
        };
        let limits: Vec<RuleHit> = if decision == Decision::Suggested {
            vec![hit(
                Rule::BelowThreshold,
                "only the account and amount tie it to the original".to_owned(),
            )]
        } else {
            Vec::new()
        };
        let confidence = if decision == Decision::Auto {
            dec(100, 2)
        } else {
            dec(60, 2)
        };
        let explanation = match_sentence(
            &rv,
            verb,
            &targets,
            customer.as_ref().map(|c| c.name.as_str()),
            std::slice::from_ref(&reason),
            (decision, &limits, confidence),
        );
        let mut rules = vec![reason];
        rules.extend(limits);
        Match {
            receipt: rv.clone(),
            customer,
            allocations,
            residuals: Vec::new(),
            confidence,
            decision,
            rules,
            explanation,
            alternatives: Vec::new(),
            reverses: Some(reverses),
            reference_prefix: None,
        }
    };
    if let Some((strength, _, Reverse(k), why)) = in_run {
        let original = credits.take(k);
        let what = format!("receipt {}", original.describe());
        outcome.matches.push(reversal_match(
            original.id.clone(),
            None,
            Vec::new(),
            strength,
            why,
            what,
        ));
        outcome.unmatched.push(Unmatched {
            explanation: unmatched_sentence(&original, &format!("it was returned by {} in the same statement period, so there is nothing to apply", rv.describe()), &[]),
            receipt: original,
            reason: UnmatchedReason::Reversed { by: rv.id.clone() },
        });
        return;
    }
    let remembered = engine
        .ctx
        .memory
        .applied
        .iter()
        .filter(|a| a.date <= rv.date && amount_fits(a.amount))
        .filter_map(|a| {
            pairing(
                &keys,
                &a.reference,
                a.end_to_end_id.as_deref(),
                a.payer_account.as_deref(),
            )
            .map(|(s, why)| (s, a.date, Reverse(a.receipt_id.clone()), why, a))
        })
        .max_by(|x, y| (x.0, x.1, &x.2).cmp(&(y.0, y.1, &y.2)));
    if let Some((strength, _, _, why, applied)) = remembered {
        let book = engine.book();
        let allocations: Vec<AppliedItem> = applied
            .lines
            .iter()
            .map(|l| AppliedItem {
                item_kind: l.item_kind,
                item_id: l.item_id.clone(),
                number: l.number.clone(),
                customer_id: l.customer_id.clone(),
                applied: l.applied.negate(),
                received: l.received.negate(),
                open_before: Money::zero(l.applied.currency),
                open_after: l.applied,
            })
            .collect();
        let customer = applied.lines.first().map(|l| CustomerRef {
            id: l.customer_id.clone(),
            name: book
                .customers
                .iter()
                .find(|c| c.id == l.customer_id)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| l.customer_id.clone()),
        });
        let what = format!(
            "receipt {} of {} ({}), applied on {} by {}",
            applied.amount, applied.date, applied.reference, applied.applied_on, applied.applied_by
        );
        outcome.matches.push(reversal_match(
            applied.receipt_id.clone(),
            customer,
            allocations,
            strength,
            why,
            what,
        ));
        return;
    }
    outcome.unmatched.push(Unmatched {
        explanation: unmatched_sentence(&rv, "it returns money, but no receipt of this amount from this payer is in this run or remembered as applied; find the original and undo its match by hand", &[]),
        receipt: rv,
        reason: UnmatchedReason::ReversalOfUnknown,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Memory, Settings};
    use arsync_model::{DocumentStatus, FxRate, Invoice, Origin, Party, RateBook};
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + chrono::Duration::days(n)
    }

    fn invoice(k: usize, customer: usize, ccy: Currency, cents: i64, due: i64) -> Invoice {
        Invoice {
            origin: Origin::new("books", format!("I{k}")),
            number: format!("INV-{k}"),
            customer_id: format!("C{customer}"),
            customer_name: None,
            issue_date: day(due - 30),
            due_date: day(due),
            terms: None,
            currency: ccy,
            total: Decimal::new(cents, 2),
            open_amount: Decimal::new(cents, 2),
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: None,
            status: DocumentStatus::Open,
        }
    }

    fn receipt(cents: i64, date: i64, instructed: Option<Money>) -> Receipt {
        Receipt {
            id: "B1".into(),
            reference: "B1".into(),
            source: crate::ReceiptSource::BankEntry {
                account: "DE89370400440532013000".into(),
                statement_id: None,
            },
            kind: ReceiptKind::Credit,
            date: day(date),
            amount: Money::new(Decimal::new(cents, 2), eur()),
            pending: false,
            customer_id: None,
            payer_name: None,
            payer_account: None,
            remittance: Vec::new(),
            structured_refs: Vec::new(),
            end_to_end_id: None,
            instructed,
            bank_charges: None,
        }
    }

    /// Every fitting item in range tried and ordered: what the amount stage did before it
    /// walked the index.
    fn exhaustive(
        engine: &Engine<'_>,
        index: &AmountIndex,
        p: &Prepared,
        remaining: &[Decimal],
    ) -> (Vec<(Decimal, i64, usize)>, usize) {
        let mut rates = BTreeMap::new();
        let mut fits: Vec<(Decimal, i64, usize)> = index
            .near(engine, p, &mut rates)
            .into_iter()
            .filter_map(|i| {
                let gap = engine.quick_fit(p, i, remaining, &mut rates)?;
                let days = (p.receipt.date - engine.book().items[i].due)
                    .num_days()
                    .abs();
                Some((gap, days, i))
            })
            .collect();
        let count = fits.len();
        fits.sort_unstable();
        fits.truncate(MAX_AMOUNT_CANDIDATES);
        (fits, count)
    }

    proptest! {
        /// Walking the amount index away from what the receipt pays finds exactly the
        /// closest fitting items that trying every item in range finds, in the same order,
        /// and the same answer to "is it the only one"; also after part of the book is paid.
        #[test]
        fn the_closest_amounts_are_those_an_exhaustive_search_finds(
            items in proptest::collection::vec(
                (0usize..3, 0usize..4, 0usize..7, -40i64..40, 0usize..4), 1..60),
            paid_down in proptest::collection::vec(0usize..60, 0..10),
            receipt_amount in 0usize..7,
            receipt_day in -40i64..40,
            instructed_usd in proptest::bool::ANY,
        ) {
            let amounts = [9_900_i64, 9_910, 9_925, 10_000, 10_130, 9_700, 10_200];
            let ccys = ["EUR", "USD", "CHF", "GBP"].map(|c| Currency::parse(c).unwrap());
            let parties: Vec<Party> = (0..3)
                .map(|c| Party::new(Origin::new("books", format!("C{c}")), format!("Customer {c}")).unwrap())
                .collect();
            let invoices: Vec<Invoice> = items
                .iter()
                .enumerate()
                .map(|(k, (c, ccy, a, due, _))| invoice(k, *c, ccys[*ccy], amounts[*a], *due))
                .collect();
            let rates = RateBook::new([
                FxRate::new(eur(), ccys[1], day(-100), Decimal::new(11, 1), "ecb").unwrap(),
                FxRate::new(eur(), ccys[2], day(-100), Decimal::new(98, 2), "ecb").unwrap(),
            ]);
            let book = Book::new(day(200), &parties, &invoices, &[]);
            let memory = Memory::default();
            let settings = Settings::default();
            let engine = Engine {
                ctx: Ctx { book: &book, rates: &rates, memory: &memory, settings: &settings, home: eur() },
            };
            let mut remaining: Vec<Decimal> = book.items.iter().map(|i| i.open).collect();
            let mut index = AmountIndex::new(&book, &remaining);
            for k in paid_down {
                if k < remaining.len() {
                    let before = remaining[k];
                    let after = if items[k].4 == 0 { Decimal::ZERO } else { before - Decimal::new(25, 2) };
                    remaining[k] = after;
                    index.update(&book, k, before, after);
                }
            }
            let instructed = instructed_usd.then(|| Money::new(Decimal::new(amounts[receipt_amount], 2), ccys[1]));
            let r = receipt(amounts[receipt_amount], receipt_day, instructed);
            let p = Prepared {
                evidence: crate::candidates::gather(&r, &book, &memory),
                receipt: r,
            };
            let (want, count) = exhaustive(&engine, &index, &p, &remaining);
            let got = index.closest(&engine, &p, &remaining, &mut BTreeMap::new()).unwrap();
            prop_assert_eq!(&got.fits, &want);
            prop_assert_eq!(got.count == 1, count == 1);
            prop_assert_eq!(got.count == 0, count == 0);
        }
    }
}
