use super::*;
use crate::fixtures::{cur, date};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn eur(amount: Decimal) -> Money {
    Money::new(amount, cur("EUR"))
}

fn gbp(amount: Decimal) -> Money {
    Money::new(amount, cur("GBP"))
}

fn tables() -> RateTables {
    RateTables::builtin().unwrap()
}

const DE: InterestBasis = InterestBasis::Statutory(Jurisdiction::De);

#[test]
fn ten_thousand_euro_overdue_across_a_base_rate_change_is_split_at_the_change() {
    // Basiszinssatz 3.37 % in 2024-H2 and 2.27 % in 2025-H1, + 9 points between businesses.
    // December: 10,000 × 12.37 % × 31 / 365 = 105.0602… → 105.06
    // January:  10,000 × 11.27 % × 31 / 365 =  95.7178… →  95.72
    let claim = interest(
        &DE,
        &tables(),
        eur(dec!(10000.00)),
        date(2024, 12, 1),
        date(2025, 1, 31),
        true,
    )
    .unwrap();
    let parts: Vec<_> = claim
        .segments
        .iter()
        .map(|s| (s.from, s.to, s.days, s.rate_percent, s.interest.amount))
        .collect();
    assert_eq!(
        parts,
        [
            (
                date(2024, 12, 1),
                date(2024, 12, 31),
                31,
                dec!(12.37),
                dec!(105.06)
            ),
            (
                date(2025, 1, 1),
                date(2025, 1, 31),
                31,
                dec!(11.27),
                dec!(95.72)
            ),
        ]
    );
    assert_eq!(claim.interest, eur(dec!(200.78)));
    assert_eq!(claim.compensation, Some(eur(dec!(40))));
    assert!(claim.is_complete());
}

#[test]
fn a_german_invoice_is_in_default_only_from_the_formal_notice() {
    // Due 31 Mar 2025, the due date only printed on the invoice; the Mahnung arrives on
    // 14 Apr. Default from its receipt, interest from 15 Apr, not from 1 Apr.
    let facts = DefaultFacts {
        due: date(2025, 3, 31),
        notice_received: Some(date(2025, 4, 14)),
        due_date_agreed: false,
        debtor_is_business: true,
    };
    let start = interest_start(&DE, &facts).unwrap();
    assert_eq!(start, date(2025, 4, 15));
    // 15-30 Apr = 16 days: 10,000 × 11.27 % × 16 / 365 = 49.4027… → 49.40
    let claim = interest(
        &DE,
        &tables(),
        eur(dec!(10000)),
        start,
        date(2025, 4, 30),
        true,
    )
    .unwrap();
    assert_eq!(claim.interest, eur(dec!(49.40)));

    // Without a notice, § 286(3): from the 31st day after the due date.
    let no_notice = DefaultFacts {
        notice_received: None,
        ..facts
    };
    assert_eq!(interest_start(&DE, &no_notice), Some(date(2025, 5, 1)));
    // A notice later than that changes nothing.
    let late_notice = DefaultFacts {
        notice_received: Some(date(2025, 6, 1)),
        ..facts
    };
    assert_eq!(interest_start(&DE, &late_notice), Some(date(2025, 5, 1)));
    // A consumer without a notice is not in default at all.
    let consumer = DefaultFacts {
        notice_received: None,
        debtor_is_business: false,
        ..facts
    };
    assert_eq!(interest_start(&DE, &consumer), None);
    // A calendar date agreed in the contract: from the day after it.
    let agreed = DefaultFacts {
        due_date_agreed: true,
        ..facts
    };
    assert_eq!(interest_start(&DE, &agreed), Some(date(2025, 4, 1)));
    // Under the EU directive interest always runs from the day after the due date.
    assert_eq!(
        interest_start(&InterestBasis::Statutory(Jurisdiction::Eu), &facts),
        Some(date(2025, 4, 1))
    );
}

#[test]
fn a_consumer_in_germany_pays_five_points_and_no_flat_fee() {
    // 2,000 × (2.27 + 5) % × 10 / 365 = 3.9835… → 3.98
    let claim = interest(
        &DE,
        &tables(),
        eur(dec!(2000)),
        date(2025, 2, 1),
        date(2025, 2, 10),
        false,
    )
    .unwrap();
    assert_eq!(claim.interest, eur(dec!(3.98)));
    assert_eq!(claim.compensation, None);
}

#[test]
fn uk_compensation_follows_the_debt_bands() {
    let cases = [
        (dec!(999.99), dec!(40)),
        (dec!(1000.00), dec!(70)),
        (dec!(9999.99), dec!(70)),
        (dec!(10000.00), dec!(100)),
    ];
    for (debt, fee) in cases {
        assert_eq!(
            uk_compensation(gbp(debt)),
            Some(gbp(fee)),
            "debt of GBP {debt}"
        );
    }
    assert_eq!(uk_compensation(eur(dec!(5000))), None);
}

#[test]
fn uk_interest_keeps_the_rate_of_the_half_year_the_debt_fell_overdue() {
    // Overdue from 21 Dec 2024 (2024-H2: Bank Rate 5.25 % on 30 Jun 2024), to 20 Mar 2025.
    // The 2025-H1 rate (4.75 %) does not apply: 11 + 31 + 28 + 20 = 90 days at 13.25 %.
    // 5,000 × 13.25 % × 90 / 365 = 163.3561… → 163.36
    let claim = interest(
        &InterestBasis::Statutory(Jurisdiction::Uk),
        &tables(),
        gbp(dec!(5000)),
        date(2024, 12, 21),
        date(2025, 3, 20),
        true,
    )
    .unwrap();
    assert_eq!(claim.segments.len(), 1);
    assert_eq!(claim.segments[0].days, 90);
    assert_eq!(claim.segments[0].rate_percent, dec!(13.25));
    assert_eq!(claim.interest, gbp(dec!(163.36)));
    assert_eq!(claim.compensation, Some(gbp(dec!(70))));
}

#[test]
fn the_uk_act_and_the_directive_refuse_consumer_debts() {
    for j in [Jurisdiction::Uk, Jurisdiction::Eu] {
        let err = interest(
            &InterestBasis::Statutory(j),
            &tables(),
            gbp(dec!(100)),
            date(2025, 1, 1),
            date(2025, 1, 31),
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("only between businesses"), "{err}");
    }
}

#[test]
fn one_percent_a_month_by_contract() {
    // 1,000 × 12 % × 30 / 365 = 9.8630… → 9.86, with the contract's 25 EUR fee.
    let terms = ContractualTerms {
        rate_percent: dec!(1),
        per: RatePer::Month,
        compensation: Some(eur(dec!(25))),
    };
    let claim = interest(
        &InterestBasis::Contractual(terms),
        &tables(),
        eur(dec!(1000)),
        date(2026, 3, 1),
        date(2026, 3, 30),
        true,
    )
    .unwrap();
    assert_eq!(claim.interest, eur(dec!(9.86)));
    assert_eq!(claim.compensation, Some(eur(dec!(25))));
}

#[test]
fn a_half_year_without_a_published_rate_is_reported_not_guessed() {
    let t = tables();
    let known = t.de_basiszins.known_until().unwrap();
    let first_unknown = known.succ_opt().unwrap();
    let to = first_unknown.checked_add_days(Days::new(9)).unwrap();
    let claim = interest(&DE, &t, eur(dec!(1000)), known, to, true).unwrap();
    assert!(!claim.is_complete());
    assert_eq!(claim.segments.len(), 1, "only the known last day is priced");
    assert_eq!(claim.missing_rates.len(), 1);
    let m = &claim.missing_rates[0];
    assert_eq!((m.from, m.to), (first_unknown, to));
    assert!(m.to_string().starts_with(&format!(
        "no known de_basiszins reference rate for {}",
        m.period
    )));
    assert_eq!(m.period, crate::rates::half_year_label(first_unknown));
}

#[test]
fn jurisdictions_are_read_from_the_company_setting() {
    assert_eq!(Jurisdiction::parse("de").unwrap(), Jurisdiction::De);
    assert_eq!(Jurisdiction::parse("GB").unwrap(), Jurisdiction::Uk);
    let err = Jurisdiction::parse("FR").unwrap_err().to_string();
    assert!(
        err.contains("company.jurisdiction: 'FR' has no interest profile"),
        "{err}"
    );
}

#[test]
fn a_part_payment_stops_interest_on_what_it_paid_from_the_day_it_arrived() {
    // 10,000 overdue from 1 Dec 2024 (12.37 %), 4,000 received on 16 Dec, 6,000 still open
    // on 31 Dec. 1-15 Dec on 10,000: 10,000 × 12.37 % × 15 / 365 = 50.8356… → 50.84;
    // 16-31 Dec on 6,000: 6,000 × 12.37 % × 16 / 365 = 32.5348… → 32.53. Total 83.37.
    let claim = interest_on_balance(
        &DE,
        &tables(),
        eur(dec!(6000)),
        &[(date(2024, 12, 16), dec!(4000))],
        date(2024, 12, 1),
        date(2024, 12, 31),
        true,
    )
    .unwrap();
    let parts: Vec<_> = claim
        .segments
        .iter()
        .map(|s| (s.from, s.to, s.interest.amount))
        .collect();
    assert_eq!(
        parts,
        [
            (date(2024, 12, 1), date(2024, 12, 15), dec!(50.84)),
            (date(2024, 12, 16), date(2024, 12, 31), dec!(32.53)),
        ]
    );
    assert_eq!(claim.interest, eur(dec!(83.37)));
    assert_eq!(claim.principal, eur(dec!(10000)));
    // A payment before interest started only lowers the principal.
    let claim = interest_on_balance(
        &DE,
        &tables(),
        eur(dec!(6000)),
        &[(date(2024, 11, 20), dec!(4000))],
        date(2024, 12, 1),
        date(2024, 12, 31),
        true,
    )
    .unwrap();
    assert_eq!(claim.principal, eur(dec!(6000)));
    assert_eq!(claim.segments.len(), 1);
}

#[test]
fn a_uk_part_payment_in_the_next_half_year_keeps_the_rate_fixed_when_the_debt_fell_overdue() {
    // Overdue from 21 Dec 2024 at 13.25 % (2024-H2). GBP 2,000 of 5,000 paid on 1 Feb 2025.
    // 21 Dec-31 Jan (42 days) on 5,000: 5,000 × 13.25 % × 42 / 365 = 76.2328… → 76.23;
    // 1 Feb-20 Mar (48 days) on 3,000:  3,000 × 13.25 % × 48 / 365 = 52.2739… → 52.27.
    let claim = interest_on_balance(
        &InterestBasis::Statutory(Jurisdiction::Uk),
        &tables(),
        gbp(dec!(3000)),
        &[(date(2025, 2, 1), dec!(2000))],
        date(2024, 12, 21),
        date(2025, 3, 20),
        true,
    )
    .unwrap();
    let parts: Vec<_> = claim
        .segments
        .iter()
        .map(|s| (s.days, s.rate_percent, s.interest.amount))
        .collect();
    assert_eq!(
        parts,
        [
            (42, dec!(13.25), dec!(76.23)),
            (48, dec!(13.25), dec!(52.27))
        ]
    );
    assert_eq!(claim.interest, gbp(dec!(128.50)));
    // Banded on the debt when it fell overdue: GBP 5,000 → 70.
    assert_eq!(claim.compensation, Some(gbp(dec!(70))));
}

proptest! {
    #[test]
    fn parts_cover_every_day_once_and_add_up(
        start in 0i64..900, len in 0i64..700, cents in 1i64..100_000_000,
    ) {
        let from = date(2023, 1, 1).checked_add_days(Days::new(u64::try_from(start).unwrap())).unwrap();
        let to = from.checked_add_days(Days::new(u64::try_from(len).unwrap())).unwrap();
        let claim = interest(&DE, &tables(), Money::from_minor_units(cents, cur("EUR")), from, to, true).unwrap();
        let priced: i64 = claim.segments.iter().map(|s| s.days).sum();
        let unpriced: i64 = claim.missing_rates.iter().map(|m| days_between(m.from, m.to) + 1).sum();
        prop_assert_eq!(priced + unpriced, len + 1);
        let sum: Decimal = claim.segments.iter().map(|s| s.interest.amount).sum();
        prop_assert_eq!(sum, claim.interest.amount);
        for pair in claim.segments.windows(2) {
            prop_assert_eq!(pair[0].to.succ_opt().unwrap(), pair[1].from);
        }
    }
}
