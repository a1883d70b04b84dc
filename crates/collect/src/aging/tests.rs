use super::*;
use crate::fixtures::{credit_note, cur, date, invoice, party};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn m(amount: Decimal, code: &str) -> Money {
    Money::new(amount, cur(code))
}

fn amounts_of(a: &AgingAmounts) -> Vec<Decimal> {
    a.buckets.iter().map(|b| b.amount).collect()
}

#[test]
fn default_buckets_put_due_today_in_current_and_day_31_in_the_second_bucket() {
    let b = AgingBuckets::default();
    assert_eq!(b.labels(), ["current", "1-30", "31-60", "61-90", "over 90"]);
    let cases = [
        (-5, 0),
        (0, 0),
        (1, 1),
        (30, 1),
        (31, 2),
        (60, 2),
        (61, 3),
        (90, 3),
        (91, 4),
        (4000, 4),
    ];
    for (days, bucket) in cases {
        assert_eq!(b.index_for(days), bucket, "{days} days overdue");
    }
    assert_eq!(b.label_for(31), "31-60");
}

#[test]
fn custom_edges_are_checked_and_labelled() {
    let b = AgingBuckets::new(vec![15, 45]).unwrap();
    assert_eq!(b.labels(), ["current", "1-15", "16-45", "over 45"]);
    assert_eq!(b.index_for(16), 2);

    let err = AgingBuckets::new(vec![30, 30, 90]).unwrap_err().to_string();
    assert!(err.contains("30 does not come after 30"), "{err}");
    let err = AgingBuckets::new(vec![0, 30]).unwrap_err().to_string();
    assert!(err.contains("0 is not a positive number of days"), "{err}");
    let err = AgingBuckets::with_labels(vec![30], vec!["now".into()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 labels given for 3 buckets"), "{err}");
    let named = AgingBuckets::with_labels(
        vec![30],
        vec!["not due".into(), "this month".into(), "older".into()],
    )
    .unwrap();
    assert_eq!(named.labels()[named.index_for(45)], "older");
}

#[test]
fn bucket_settings_read_from_toml_are_validated() {
    #[derive(Debug, Deserialize)]
    struct Cfg {
        aging: AgingBuckets,
    }
    let ok: Cfg = toml::from_str("[aging]\nedges = [7, 14]\n").unwrap();
    assert_eq!(ok.aging.labels(), ["current", "1-7", "8-14", "over 14"]);
    let bad = toml::from_str::<Cfg>("[aging]\nedges = [60, 30]\n").unwrap_err();
    assert!(
        bad.to_string().contains("30 does not come after 60"),
        "{bad}"
    );
    let unknown = toml::from_str::<Cfg>("[aging]\nedges = [30]\nedge = 3\n").unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `edge`"),
        "{unknown}"
    );
}

/// Three customers on 23 Nov 2026, home currency EUR:
/// - Acme (EUR): 100 due today, 200 due 30 days ago, 150 left of 300 due 31 days ago,
///   400 due 145 days ago, and a 50 credit note not yet applied; plus a paid, a draft and a
///   void invoice that must not count.
/// - Brandt (USD): 1,000 due 83 days ago at the books' rate 0.90; 500 due in a week with
///   no book rate, converted at the caller's 0.86; 200 due 22 days ago for which the books
///   hold 185.50 EUR.
/// - Cargo (CHF): 1,000 due 95 days ago, and nobody knows a CHF rate.
fn three_customers() -> (Vec<Invoice>, Vec<CreditNote>, Vec<Party>) {
    let mut invoices = vec![
        invoice("1", "C1", "EUR", dec!(100.00), date(2026, 11, 23)),
        invoice("2", "C1", "EUR", dec!(200.00), date(2026, 10, 24)),
        invoice("3", "C1", "EUR", dec!(300.00), date(2026, 10, 23)),
        invoice("4", "C1", "EUR", dec!(400.00), date(2026, 7, 1)),
        invoice("5", "C1", "EUR", dec!(999.00), date(2026, 7, 1)),
        invoice("6", "C1", "EUR", dec!(888.00), date(2026, 7, 1)),
        invoice("7", "C1", "EUR", dec!(777.00), date(2026, 7, 1)),
        invoice("10", "C2", "USD", dec!(1000.00), date(2026, 9, 1)),
        invoice("11", "C2", "USD", dec!(500.00), date(2026, 11, 30)),
        invoice("12", "C2", "USD", dec!(200.00), date(2026, 11, 1)),
        invoice("20", "C3", "CHF", dec!(1000.00), date(2026, 8, 20)),
    ];
    invoices[2].open_amount = dec!(150.00);
    invoices[4].status = DocumentStatus::Paid;
    invoices[4].open_amount = dec!(0);
    invoices[5].status = DocumentStatus::Draft;
    invoices[6].status = DocumentStatus::Void;
    invoices[7].book_rate = Some(dec!(0.90));
    invoices[9].home_open = Some(dec!(185.50));
    invoices[10].customer_name = Some("Cargo SA".into());
    let credits = vec![credit_note(
        "CN1",
        "C1",
        "EUR",
        dec!(50.00),
        date(2026, 11, 2),
    )];
    let parties = vec![party("C1", "Acme GmbH"), party("C2", "Brandt Inc")];
    (invoices, credits, parties)
}

fn usd_only(from: Currency, to: Currency, _: NaiveDate) -> Option<Decimal> {
    (from.code() == "USD" && to.code() == "EUR").then_some(dec!(0.86))
}

#[test]
fn three_customers_age_into_hand_computed_buckets() {
    let (invoices, credits, parties) = three_customers();
    let r = aging(
        &invoices,
        &credits,
        &parties,
        date(2026, 11, 23),
        &AgingBuckets::default(),
        cur("EUR"),
        &usd_only,
    );
    assert!(r.rejected.is_empty());
    let names: Vec<_> = r.rows.iter().map(|r| r.customer_name.as_str()).collect();
    assert_eq!(names, ["Acme GmbH", "Brandt Inc", "Cargo SA"]);

    let acme = &r.rows[0];
    assert_eq!(
        amounts_of(&acme.amounts),
        [dec!(100), dec!(200), dec!(150), dec!(0), dec!(400)]
    );
    assert_eq!(acme.amounts.open, m(dec!(850.00), "EUR"));
    assert_eq!(acme.amounts.unapplied_credit, m(dec!(-50.00), "EUR"));
    assert_eq!(acme.amounts.net, m(dec!(800.00), "EUR"));
    assert_eq!(acme.home.amounts, acme.amounts);

    let brandt = &r.rows[1];
    assert_eq!(brandt.currency, cur("USD"));
    // 500 current (-7 days), 200 at 22 days, 1,000 at 83 days.
    assert_eq!(
        amounts_of(&brandt.amounts),
        [dec!(500), dec!(200), dec!(0), dec!(1000), dec!(0)]
    );
    // 500 × 0.86 = 430.00; 185.50 as booked; 1,000 × 0.90 = 900.00.
    assert_eq!(
        amounts_of(&brandt.home.amounts),
        [dec!(430), dec!(185.50), dec!(0), dec!(900), dec!(0)]
    );
    assert_eq!(brandt.home.amounts.net, m(dec!(1515.50), "EUR"));
    assert!(brandt.home.is_complete());

    let cargo = &r.rows[2];
    assert_eq!(cargo.amounts.buckets[4], m(dec!(1000), "CHF"));
    assert_eq!(cargo.home.amounts.net, m(dec!(0), "EUR"));
    assert_eq!(
        cargo.home.missing_rate,
        [MissingRate {
            item: "invoice INV-20 (books:20)".into(),
            amount: m(dec!(1000.00), "CHF")
        }]
    );

    // Home total: current 100 + 430; 1-30 200 + 185.50; 31-60 150; 61-90 900; over 90 400.
    assert_eq!(
        amounts_of(&r.home_total.amounts),
        [dec!(530), dec!(385.50), dec!(150), dec!(900), dec!(400)]
    );
    assert_eq!(r.home_total.amounts.open, m(dec!(2365.50), "EUR"));
    assert_eq!(r.home_total.amounts.net, m(dec!(2315.50), "EUR"));
    assert!(!r.home_total.is_complete());

    let usd = r
        .currency_totals
        .iter()
        .find(|t| t.currency == cur("USD"))
        .unwrap();
    assert_eq!(usd.amounts.open, m(dec!(1700.00), "USD"));
    assert_eq!(r.currency_totals.len(), 3);
}

#[test]
fn each_line_says_which_rate_made_its_home_amount() {
    let (invoices, credits, parties) = three_customers();
    let r = aging(
        &invoices,
        &credits,
        &parties,
        date(2026, 11, 23),
        &AgingBuckets::default(),
        cur("EUR"),
        &usd_only,
    );
    let basis = |number: &str| {
        r.lines
            .iter()
            .find(|l| l.number == number)
            .map(|l| l.home_basis.clone())
            .unwrap()
    };
    assert_eq!(basis("INV-1"), HomeBasis::HomeCurrency);
    assert_eq!(basis("INV-10"), HomeBasis::BookRate { rate: dec!(0.90) });
    assert_eq!(
        basis("INV-11"),
        HomeBasis::ReferenceRate {
            rate: dec!(0.86),
            on: date(2026, 11, 23)
        }
    );
    assert_eq!(basis("INV-12"), HomeBasis::BookAmount);
    assert_eq!(basis("INV-20"), HomeBasis::Missing);
    assert!(
        r.lines
            .iter()
            .all(|l| !["INV-5", "INV-6", "INV-7"].contains(&l.number.as_str()))
    );
}

#[test]
fn an_impossible_invoice_is_listed_not_lost() {
    let mut inv = invoice("9", "C1", "EUR", dec!(100.00), date(2026, 11, 1));
    inv.open_amount = dec!(120.00);
    let r = aging(
        &[inv],
        &[],
        &[],
        date(2026, 11, 23),
        &AgingBuckets::default(),
        cur("EUR"),
        &NoRates,
    );
    assert!(r.rows.is_empty());
    assert_eq!(r.rejected.len(), 1);
    assert!(
        r.rejected[0]
            .reason
            .contains("open amount 120.00 exceeds the total 100.00")
    );
}

#[test]
fn a_partly_used_credit_note_is_converted_at_its_rate_not_its_original_home_total() {
    let mut cn = credit_note("CN2", "C2", "USD", dec!(100.00), date(2026, 11, 1));
    cn.total = dec!(300.00);
    cn.home_total = Some(dec!(270.00));
    let r = aging(
        &[],
        &[cn.clone()],
        &[],
        date(2026, 11, 23),
        &AgingBuckets::default(),
        cur("EUR"),
        &usd_only,
    );
    // 100 remaining × 0.86 reference rate, not the 270 booked for all 300.
    assert_eq!(
        r.home_total.amounts.unapplied_credit,
        m(dec!(-86.00), "EUR")
    );
    cn.remaining = dec!(300.00);
    let r = aging(
        &[],
        &[cn],
        &[],
        date(2026, 11, 23),
        &AgingBuckets::default(),
        cur("EUR"),
        &usd_only,
    );
    assert_eq!(
        r.home_total.amounts.unapplied_credit,
        m(dec!(-270.00), "EUR")
    );
}

fn arb_invoice() -> impl Strategy<Value = Invoice> {
    (
        0u8..4,
        prop::sample::select(vec!["EUR", "USD", "JPY", "CHF"]),
        1i64..10_000_000,
        0i64..=100,
        -60i64..400,
        prop::option::of(1u32..200),
    )
        .prop_map(|(cust, ccy, cents, open_pct, age, rate)| {
            let c = cur(ccy);
            let total = Money::from_minor_units(cents, c).amount;
            let open =
                Rounding::Down.round(total * Decimal::from(open_pct) / dec!(100), c.minor_units());
            let due = date(2026, 11, 23) - chrono::Duration::days(age);
            let mut inv = invoice(
                &format!("{cust}-{cents}-{age}"),
                &format!("C{cust}"),
                ccy,
                total,
                due,
            );
            inv.open_amount = open;
            inv.book_rate = rate.map(|r| Decimal::new(i64::from(r), 2));
            inv
        })
}

proptest! {
    #[test]
    fn buckets_always_add_up_to_the_open_total(
        invoices in prop::collection::vec(arb_invoice(), 0..40),
        credit_cents in prop::collection::vec(1i64..100_000, 0..4),
    ) {
        let credits: Vec<_> = credit_cents
            .iter()
            .enumerate()
            .map(|(i, c)| credit_note(&format!("CN{i}"), "C1", "EUR", Decimal::new(*c, 2), date(2026, 10, 1)))
            .collect();
        let r = aging(&invoices, &credits, &[], date(2026, 11, 23), &AgingBuckets::default(), cur("EUR"), &NoRates);
        let open_invoices: Decimal = invoices.iter().filter(|i| i.open_amount > Decimal::ZERO).map(|i| i.open_amount).sum();
        let mut all_rows = Decimal::ZERO;
        for row in &r.rows {
            let sum: Decimal = row.amounts.buckets.iter().map(|b| b.amount).sum();
            prop_assert_eq!(sum, row.amounts.open.amount);
            prop_assert_eq!(row.amounts.open.amount + row.amounts.unapplied_credit.amount, row.amounts.net.amount);
            all_rows += row.amounts.open.amount;
        }
        prop_assert_eq!(all_rows, open_invoices);
        for t in &r.currency_totals {
            let rows: Decimal = r.rows.iter().filter(|row| row.currency == t.currency).map(|row| row.amounts.net.amount).sum();
            prop_assert_eq!(rows, t.amounts.net.amount);
        }
        let home_rows: Decimal = r.rows.iter().map(|row| row.home.amounts.net.amount).sum();
        prop_assert_eq!(home_rows, r.home_total.amounts.net.amount);
        let home_buckets: Decimal = r.home_total.amounts.buckets.iter().map(|b| b.amount).sum();
        prop_assert_eq!(home_buckets, r.home_total.amounts.open.amount);
        // Every line is either converted or listed as missing a rate.
        let converted = r.lines.iter().filter(|l| l.home.is_some()).count();
        prop_assert_eq!(converted + r.home_total.missing_rate.len(), r.lines.len());
    }
}
