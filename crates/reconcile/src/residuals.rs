//! How a receipt settles a chosen set of items and what is left over: exact, short within
//! the bank-fee tolerance (or by the customer's learned usual fee), converted within the FX
//! band, partial (oldest first; the last item stays open with its remainder) or over (the
//! excess stays as unapplied credit). Realised FX differences are computed in the home
//! currency from the books' rate of each item against the rate the money was received at.

use crate::book::{Book, Item};
use crate::memory::Memory;
use crate::outcome::{ResidualKind, Rule, RuleHit};
use crate::receipt::Receipt;
use crate::settings::Settings;
use arsync_model::{Currency, ItemKind, Money, RateBook, RatePath, RateQuote, Rounding};
use rust_decimal::Decimal;

/// How the amount fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fit {
    Exact,
    Fee,
    FxBand,
    Partial,
    Over,
}

impl Fit {
    /// Whether the items are settled in full.
    pub(crate) fn settles(self) -> bool {
        matches!(self, Fit::Exact | Fit::Fee | Fit::FxBand)
    }
}

/// One line of a settlement.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub item: usize,
    pub applied: Decimal,
    pub received: Decimal,
    pub open_before: Decimal,
    pub open_after: Decimal,
}

/// A residual, before it is dressed for output.
#[derive(Debug, Clone)]
pub(crate) struct Left {
    pub kind: ResidualKind,
    pub amount: Money,
    pub item: Option<usize>,
}

/// A settlement of a receipt against items.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub fit: Fit,
    pub lines: Vec<Line>,
    pub left: Vec<Left>,
    pub hits: Vec<RuleHit>,
}

/// Why a set of items cannot be settled by the receipt.
#[derive(Debug, Clone)]
pub(crate) enum NoPlan {
    /// The items are in different currencies, or add up to nothing.
    Unfit,
    /// No rate to compare currencies.
    NoRate(String),
}

pub(crate) struct Ctx<'a> {
    pub book: &'a Book,
    pub rates: &'a RateBook,
    pub memory: &'a Memory,
    pub settings: &'a Settings,
    pub home: Currency,
}

/// A rule that fired, its clause written only when the plan is to be explained (the rule
/// alone is enough to weigh a candidate).
fn note(explain: bool, rule: Rule, detail: impl FnOnce() -> String) -> RuleHit {
    RuleHit {
        rule,
        detail: if explain { detail() } else { String::new() },
    }
}

fn money(amount: Decimal, currency: Currency) -> Money {
    Money::new(amount, currency)
}

/// A computed amount as shown to people: rounded to the currency's minor units and
/// written with all of them ("25.00 EUR", not "25 EUR").
pub(crate) fn shown(amount: Decimal, currency: Currency, rounding: Rounding) -> Money {
    let mut a = rounding.round(amount, currency.minor_units());
    a.rescale(currency.minor_units());
    Money::new(a, currency)
}

/// A rate as shown to people: six decimals, where it came from, and whether an earlier
/// fixing or a cross rate stood in.
pub(crate) fn rate_text(q: &RateQuote) -> String {
    let mut s = format!(
        "{} {}/{} ({} fixing of {}",
        q.rate.round_dp(6).normalize(),
        q.from,
        q.to,
        q.sources.join(" and "),
        q.fixing_date
    );
    match &q.path {
        RatePath::Inverse => s.push_str(", inverted"),
        RatePath::Cross { via } => s.push_str(&format!(", crossed through {via}")),
        RatePath::Identity | RatePath::Direct => {}
    }
    if q.is_fallback() {
        s.push_str(&format!("; none was published for {}", q.on));
    }
    s.push(')');
    s
}

impl Ctx<'_> {
    /// Settles `items` (indices into the book, oldest first) with `receipt`, given what
    /// each item still has open.
    pub(crate) fn plan(
        &self,
        receipt: &Receipt,
        items: &[usize],
        remaining: &[Decimal],
        explain: bool,
    ) -> Result<Plan, NoPlan> {
        let first = items.first().ok_or(NoPlan::Unfit)?;
        let c = self.book.items[*first].currency;
        if items.iter().any(|i| self.book.items[*i].currency != c) {
            return Err(NoPlan::Unfit);
        }
        let item = |i: usize| &self.book.items[i];
        let total: Decimal = items.iter().map(|i| item(*i).signed(remaining[*i])).sum();
        if total <= Decimal::ZERO {
            return Err(NoPlan::Unfit);
        }
        let r = receipt.amount;
        let dp = c.minor_units();
        let rounding = self.settings.rounding;
        let mut hits = Vec::new();
        // What the receipt is worth in the items' currency, and how it was converted.
        let (paid, quote_rate) = if c == r.currency {
            (r.amount, None)
        } else if let Some(instr) = receipt.instructed.filter(|m| m.currency == c) {
            hits.push(note(explain, Rule::InstructedAmount, || {
                format!("the payer instructed {instr}, received as {r}")
            }));
            (instr.amount, None)
        } else {
            let q = self
                .rates
                .lookup(r.currency, c, receipt.date)
                .map_err(|e| NoPlan::NoRate(e.to_string()))?;
            if q.is_fallback() || matches!(q.path, RatePath::Cross { .. }) {
                hits.push(note(explain, Rule::FxRateFallback, || rate_text(&q)));
            }
            (r.amount * q.rate, Some(q))
        };
        let customer = item(*first).customer;
        let diff = paid - total;
        let fx = quote_rate.is_some();
        let band = total * self.settings.fx_band_percent / Decimal::ONE_HUNDRED;
        let fit = if fx {
            if diff.abs() <= band {
                Fit::FxBand
            } else if diff < Decimal::ZERO {
                Fit::Partial
            } else {
                Fit::Over
            }
        } else if diff.is_zero() {
            Fit::Exact
        } else if diff < Decimal::ZERO {
            let short = -diff;
            if short <= self.settings.fee_allowance(c, total) {
                Fit::Fee
            } else if let Some(charges) = receipt
                .bank_charges
                .filter(|ch| ch.currency == c && ch.amount == short)
            {
                hits.push(note(explain, Rule::BankFee, || format!(
                        "the bank reports {charges} of charges taken from the payment, exactly the shortfall"
                    ),
                ));
                Fit::Fee
            } else if let Some(h) = self.memory.fee_habits.iter().find(|h| {
                h.customer_id == self.book.customers[customer].id && h.fee == money(short, c)
            }) {
                hits.push(note(explain, Rule::LearnedFeeHabit, || format!(
                        "{}'s payments usually lose {} to bank charges, confirmed {} time(s), last on {} by {}",
                        h.customer_name, h.fee, h.times, h.confirmed_on, h.confirmed_by
                    ),
                ));
                Fit::Fee
            } else {
                Fit::Partial
            }
        } else {
            Fit::Over
        };
        let q = quote_rate.as_ref();
        let mut lines = Vec::new();
        let mut left = Vec::new();
        match fit {
            Fit::Exact | Fit::Fee | Fit::FxBand => {
                for i in items {
                    let applied = item(*i).signed(remaining[*i]);
                    lines.push(Line {
                        item: *i,
                        applied,
                        received: Decimal::ZERO,
                        open_before: remaining[*i],
                        open_after: Decimal::ZERO,
                    });
                }
                let fee = if fit == Fit::Fee {
                    -diff
                } else {
                    Decimal::ZERO
                };
                self.spread_received(&mut lines, r.amount, r.currency, c);
                if fit == Fit::Fee {
                    let allowance = self.settings.fee_allowance(c, total);
                    if !hits
                        .iter()
                        .any(|h| matches!(h.rule, Rule::LearnedFeeHabit | Rule::BankFee))
                    {
                        hits.push(note(explain, Rule::BankFee, || format!(
                                "the {} shortfall is within the bank-fee tolerance of {} and is booked as charges",
                                money(fee, c),
                                shown(allowance, c, rounding)
                            ),
                        ));
                    }
                    left.push(Left {
                        kind: ResidualKind::BankFee,
                        amount: money(fee, c),
                        item: None,
                    });
                } else if fit == Fit::Exact {
                    hits.push(note(explain, Rule::AmountExact, || {
                        match receipt
                            .instructed
                            .filter(|m| m.currency == c && c != r.currency)
                        {
                            Some(instr) => {
                                format!("the {instr} instructed is exactly what is open")
                            }
                            None => format!("{r} is exactly what is open"),
                        }
                    }));
                }
                if let Some(q) = q {
                    hits.push(note(explain, Rule::FxBand, || {
                        format!(
                            "{r} at {} is {}, within {}% of the {} open",
                            rate_text(q),
                            shown(paid, c, rounding),
                            self.settings.fx_band_percent.normalize(),
                            money(total, c)
                        )
                    }));
                }
            }
            Fit::Partial => {
                // Credit notes first, then invoices oldest first until the money runs out.
                let mut available = rounding.round(paid, dp);
                let mut ordered: Vec<usize> = items
                    .iter()
                    .copied()
                    .filter(|i| item(*i).kind == ItemKind::CreditNote)
                    .collect();
                for i in &ordered {
                    available += remaining[*i];
                }
                ordered.extend(
                    items
                        .iter()
                        .copied()
                        .filter(|i| item(*i).kind == ItemKind::Invoice),
                );
                for i in ordered {
                    let it = item(i);
                    if it.kind == ItemKind::CreditNote {
                        lines.push(Line {
                            item: i,
                            applied: -remaining[i],
                            received: Decimal::ZERO,
                            open_before: remaining[i],
                            open_after: Decimal::ZERO,
                        });
                        continue;
                    }
                    if available <= Decimal::ZERO {
                        break;
                    }
                    let applied = available.min(remaining[i]);
                    available -= applied;
                    lines.push(Line {
                        item: i,
                        applied,
                        received: Decimal::ZERO,
                        open_before: remaining[i],
                        open_after: remaining[i] - applied,
                    });
                }
                self.spread_received(&mut lines, r.amount, r.currency, c);
                for l in &lines {
                    if l.open_after > Decimal::ZERO {
                        hits.push(note(explain, Rule::PartialPayment, || {
                            format!(
                                "{} pays {} of {} open on {}; {} stays open",
                                r,
                                money(l.applied, c),
                                money(l.open_before, c),
                                item(l.item).number,
                                money(l.open_after, c)
                            )
                        }));
                        left.push(Left {
                            kind: ResidualKind::PartialPayment,
                            amount: money(l.open_after, c),
                            item: Some(l.item),
                        });
                    }
                }
            }
            Fit::Over => {
                for i in items {
                    let applied = item(*i).signed(remaining[*i]);
                    lines.push(Line {
                        item: *i,
                        applied,
                        received: Decimal::ZERO,
                        open_before: remaining[*i],
                        open_after: Decimal::ZERO,
                    });
                }
                let used = match (
                    q,
                    receipt
                        .instructed
                        .filter(|m| m.currency == c && c != r.currency),
                ) {
                    (Some(q), _) => rounding.round(total / q.rate, r.currency.minor_units()),
                    (None, Some(instr)) => {
                        rounding.round(r.amount * total / instr.amount, r.currency.minor_units())
                    }
                    (None, None) => total,
                };
                let excess = r.amount - used;
                if excess <= Decimal::ZERO {
                    return Err(NoPlan::Unfit);
                }
                self.spread_received(&mut lines, used, r.currency, c);
                hits.push(note(explain, Rule::Overpayment, || format!(
                        "{} is {} more than the {} open; the excess stays as unapplied credit on {}",
                        r,
                        money(excess, r.currency),
                        money(total, c),
                        self.book.customers[customer].name
                    ),
                ));
                left.push(Left {
                    kind: ResidualKind::Overpayment,
                    amount: money(excess, r.currency),
                    item: None,
                });
            }
        }
        if let Some((diff, detail)) = self.fx_difference(receipt, &lines, c, &left, explain) {
            hits.push(note(explain, Rule::FxDifference, || detail));
            if let Some(diff) = diff.filter(|d| !d.is_zero()) {
                left.push(Left {
                    kind: ResidualKind::FxDifference,
                    amount: money(diff, self.home),
                    item: None,
                });
            }
        }
        Ok(Plan {
            fit,
            lines,
            left,
            hits,
        })
    }

    /// Splits `amount` of the receipt over the invoice lines in proportion to what they
    /// settle; credit-note lines use none of it (same currency: they use their own amount).
    fn spread_received(&self, lines: &mut [Line], amount: Decimal, rc: Currency, c: Currency) {
        let same = rc == c;
        let credits: Decimal = lines
            .iter()
            .filter(|l| l.applied < Decimal::ZERO)
            .map(|l| l.applied)
            .sum();
        let to_spread = if same { amount - credits } else { amount };
        let weights: Vec<Decimal> = lines.iter().map(|l| l.applied.max(Decimal::ZERO)).collect();
        let parts = Money::new(to_spread, rc).split(&weights, self.settings.rounding);
        for (k, l) in lines.iter_mut().enumerate() {
            l.received = if l.applied < Decimal::ZERO {
                if same { l.applied } else { Decimal::ZERO }
            } else {
                parts
                    .as_ref()
                    .and_then(|p| p.get(k))
                    .map(|m| m.amount)
                    .unwrap_or(Decimal::ZERO)
            };
        }
    }

    /// The realised exchange difference in the home currency: what the money received is
    /// worth at the rate of its date, less what the settled items are worth at the books'
    /// rates. `None` when nothing crosses currencies; no amount, with the reason, when a
    /// rate is missing.
    fn fx_difference(
        &self,
        receipt: &Receipt,
        lines: &[Line],
        c: Currency,
        left: &[Left],
        explain: bool,
    ) -> Option<(Option<Decimal>, String)> {
        let say = |f: &dyn Fn() -> String| if explain { f() } else { String::new() };
        let rc = receipt.amount.currency;
        if c == self.home && rc == self.home {
            return None;
        }
        let dp = self.home.minor_units();
        let rounding = self.settings.rounding;
        let mut book_value = Decimal::ZERO;
        for l in lines {
            let it: &Item = &self.book.items[l.item];
            let rate = if c == self.home {
                Decimal::ONE
            } else if let Some(rate) = it.book_rate {
                rate
            } else {
                return Some((
                    None,
                    say(&|| {
                        format!(
                            "the books hold no {c}/{} rate for {}, so the realised FX difference is left to the books",
                            self.home, it.number
                        )
                    }),
                ));
            };
            book_value += l.applied * rate;
        }
        let fee: Decimal = left
            .iter()
            .filter(|x| x.kind == ResidualKind::BankFee && x.amount.currency == rc)
            .map(|x| x.amount.amount)
            .sum();
        let received: Decimal = lines.iter().map(|l| l.received).sum::<Decimal>() + fee;
        let (received_home, how) = if rc == self.home {
            (
                received,
                say(&|| format!("the {} received", money(received, rc))),
            )
        } else {
            let q = match self.rates.lookup(rc, self.home, receipt.date) {
                Ok(q) => q,
                Err(e) => {
                    return Some((
                        None,
                        say(&|| format!("the realised FX difference is left to the books: {e}")),
                    ));
                }
            };
            (
                received * q.rate,
                say(&|| format!("the {} received at {}", money(received, rc), rate_text(&q))),
            )
        };
        let diff = rounding.round(received_home - book_value, dp);
        let word = if diff < Decimal::ZERO { "loss" } else { "gain" };
        Some((
            Some(diff),
            say(&|| {
                format!(
                    "{how} is worth {} against {} at the books' rates: realised FX {word} of {}",
                    shown(received_home, self.home, rounding),
                    shown(book_value, self.home, rounding),
                    shown(diff.abs(), self.home, rounding)
                )
            }),
        ))
    }
}
