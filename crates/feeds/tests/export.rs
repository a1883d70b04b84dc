//! Export feeds as an exporter receives them: a payment provider's payout report in CSV,
//! a JSON API answer in minor units, and a JSON-lines export of foreign-currency invoices.
#![allow(clippy::unwrap_used)]

use arsync_feeds::{ExportKind, ExportMapping, FeedFormat, parse_export};
use arsync_model::ItemKind;
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn payout_mapping() -> ExportMapping {
    ExportMapping {
        format: Some(FeedFormat::Csv {
            delimiter: ',',
            skip_lines: 0,
        }),
        connection: "psp".into(),
        source: "provider".into(),
        kind: Some("type".into()),
        id: "id".into(),
        date: "created".into(),
        currency: "currency".into(),
        amount: "gross".into(),
        number: Some("invoice".into()),
        customer_id: Some("customer".into()),
        reference: Some("description".into()),
        fee: Some("fee".into()),
        net: Some("net".into()),
        settlement_currency: Some("payout_currency".into()),
        conversion_rate: Some("exchange_rate".into()),
        ..ExportMapping::default()
    }
}

#[test]
fn a_dollar_charge_paid_out_in_euros_keeps_gross_fee_net_and_rate() {
    let feed = parse_export(&fixture("payouts.csv"), &payout_mapping()).unwrap();
    let first = &feed.payments[0];
    let p = &first.payment;
    assert_eq!(p.origin.external_id, "ch_001");
    assert_eq!(p.origin.connection, "psp");
    assert_eq!(
        (p.amount.amount, p.amount.currency.code()),
        (dec!(1000.00), "USD")
    );
    assert_eq!(p.date, d(2026, 11, 2));
    assert_eq!(p.customer_id.as_deref(), Some("C-US-1"));
    assert_eq!(p.allocations.len(), 1);
    assert_eq!(
        (
            p.allocations[0].item_kind,
            p.allocations[0].item_id.as_str(),
            p.allocations[0].amount
        ),
        (ItemKind::Invoice, "INV-2026-031", dec!(1000.00))
    );
    assert_eq!(p.reference.as_deref(), Some("Invoice INV-2026-031"));
    assert_eq!(first.fees.len(), 1);
    assert_eq!(
        (
            first.fees[0].amount.amount,
            first.fees[0].amount.currency.code()
        ),
        (dec!(12.40), "EUR")
    );
    assert!(first.fees[0].included);
    let net = first.net.unwrap();
    assert_eq!((net.amount, net.currency.code()), (dec!(910.80), "EUR"));
    let fx = first.exchange.as_ref().unwrap();
    assert_eq!(fx.rate, Some(dec!(0.9232)));
    assert_eq!(fx.instructed.amount, dec!(1000.00));
    assert_eq!(
        (
            fx.source_currency.unwrap().code(),
            fx.target_currency.unwrap().code()
        ),
        ("USD", "EUR")
    );
}

#[test]
fn the_payout_report_delivers_each_published_rate_once_and_reports_bad_records() {
    let feed = parse_export(&fixture("payouts.csv"), &payout_mapping()).unwrap();
    let ids: Vec<_> = feed
        .payments
        .iter()
        .map(|p| p.payment.origin.external_id.as_str())
        .collect();
    // The bank transfer is not a receivable; ch_005 does not add up; ch_007 has no currency.
    assert_eq!(ids, vec!["ch_001", "ch_002", "ch_003", "re_004", "ch_008"]);
    let rates: Vec<_> = feed
        .rates
        .iter()
        .map(|r| {
            (
                r.date,
                r.base.code(),
                r.quote.code(),
                r.rate,
                r.source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rates,
        vec![
            (d(2026, 11, 2), "USD", "EUR", dec!(0.9232), "provider"),
            (d(2026, 11, 3), "GBP", "EUR", dec!(1.1412), "provider"),
            (d(2026, 11, 5), "USD", "EUR", dec!(0.9240), "provider"),
        ]
    );
    let problems: Vec<_> = feed
        .problems
        .iter()
        .map(|p| (p.position.as_str(), p.field.as_deref().unwrap()))
        .collect();
    assert_eq!(problems, vec![("line 6", "net"), ("line 8", "currency")]);
    assert!(
        feed.problems[0].message.contains("181.64"),
        "{}",
        feed.problems[0]
    );
}

#[test]
fn a_refund_is_a_negative_payment_and_a_same_currency_charge_has_no_conversion() {
    let feed = parse_export(&fixture("payouts.csv"), &payout_mapping()).unwrap();
    let eur = &feed.payments[2];
    assert!(eur.exchange.is_none());
    assert_eq!(eur.net.unwrap().amount, dec!(492.50));
    let refund = &feed.payments[3];
    assert_eq!(refund.payment.amount.amount, dec!(-100.00));
    assert!(refund.payment.allocations.is_empty());
    assert!(refund.fees.is_empty(), "a zero fee is no charge");
}

#[test]
fn a_json_answer_in_minor_units_with_nested_fields() {
    let json = r#"{"object":"list","data":[
        {"id":"txn_1","type":"payment","created":1794475800,"amount":{"value":123456,"currency":"usd"},"fee":{"value":3611},"net":{"value":110367},"settlement":"eur","rate":"0.92323"},
        {"id":"txn_2","type":"payment","created":1794475800,"amount":{"value":150000,"currency":"jpy"},"fee":{"value":0},"net":{"value":150000},"settlement":"jpy"}
    ]}"#;
    let mapping = ExportMapping {
        format: Some(FeedFormat::Json {
            records: Some("/data".into()),
        }),
        connection: "psp".into(),
        source: "provider".into(),
        kind: Some("type".into()),
        id: "id".into(),
        date: "created".into(),
        date_format: Some("unix".into()),
        currency: "/amount/currency".into(),
        amount: "/amount/value".into(),
        fee: Some("/fee/value".into()),
        net: Some("/net/value".into()),
        settlement_currency: Some("settlement".into()),
        conversion_rate: Some("rate".into()),
        minor_units: true,
        ..ExportMapping::default()
    };
    let feed = parse_export(json.as_bytes(), &mapping).unwrap();
    assert!(feed.problems.is_empty(), "{:?}", feed.problems);
    let usd = &feed.payments[0];
    assert_eq!(usd.payment.amount.amount.to_string(), "1234.56");
    assert_eq!(usd.payment.date, d(2026, 11, 12));
    assert_eq!(usd.fees[0].amount.amount.to_string(), "36.11");
    assert_eq!(usd.net.unwrap().amount.to_string(), "1103.67");
    let jpy = &feed.payments[1];
    assert_eq!(jpy.payment.amount.amount.to_string(), "150000");
    assert_eq!(feed.rates.len(), 1);
}

#[test]
fn foreign_currency_invoices_and_payments_from_a_json_lines_export() {
    let mapping = ExportMapping {
        format: Some(FeedFormat::Jsonl),
        connection: "export".into(),
        source: "shop".into(),
        kind: Some("kind".into()),
        default_kind: ExportKind::Invoice,
        id: "id".into(),
        date: "issued".into(),
        currency: "currency".into(),
        amount: "total".into(),
        open_amount: Some("open".into()),
        due_date: Some("due".into()),
        number: Some("number".into()),
        customer_id: Some("/customer/id".into()),
        customer_name: Some("/customer/name".into()),
        ..ExportMapping::default()
    };
    let feed = parse_export(&fixture("invoices.jsonl"), &mapping).unwrap();
    let invoices: Vec<_> = feed
        .invoices
        .iter()
        .map(|i| {
            (
                i.number.as_str(),
                i.customer_id.as_str(),
                i.currency.code(),
                i.total,
                i.open_amount,
                i.due_date,
            )
        })
        .collect();
    assert_eq!(
        invoices,
        vec![
            (
                "EXP-101",
                "JP-7",
                "JPY",
                dec!(1250000),
                dec!(1250000),
                d(2026, 10, 31)
            ),
            (
                "EXP-102",
                "US-3",
                "USD",
                dec!(4800.00),
                dec!(1800.00),
                d(2026, 11, 14)
            ),
        ]
    );
    assert_eq!(
        feed.invoices[0].customer_name.as_deref(),
        Some("Tanaka Trading K.K.")
    );
    assert_eq!(feed.invoices[0].origin.external_id, "si-101");
    // EXP-103 claims more open than its total.
    assert_eq!(feed.problems.len(), 1);
    assert_eq!(feed.problems[0].position, "line 3");
    assert!(
        feed.problems[0].message.contains("exceeds the total"),
        "{}",
        feed.problems[0]
    );
    assert_eq!(feed.payments.len(), 1);
    assert_eq!(feed.payments[0].payment.allocations[0].item_id, "EXP-102");
    assert!(feed.payments[0].exchange.is_none());
}

#[test]
fn a_mapping_without_its_required_fields_is_refused_by_name() {
    let err = parse_export(
        b"a,b\n",
        &ExportMapping {
            format: Some(FeedFormat::Jsonl),
            connection: "x".into(),
            source: "y".into(),
            ..ExportMapping::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("mapping field `id`"), "{err}");
}

#[test]
fn provider_specific_kinds_are_mapped_in_configuration() {
    let csv = "id,type,created,currency,gross\nevt_1,payment_intent.succeeded,2026-11-02,eur,10.00\nevt_2,payout.paid,2026-11-03,eur,10.00\nevt_3,dispute,2026-11-04,eur,10.00\n";
    let mut mapping = ExportMapping {
        format: Some(FeedFormat::Csv {
            delimiter: ',',
            skip_lines: 0,
        }),
        connection: "psp".into(),
        source: "provider".into(),
        kind: Some("type".into()),
        id: "id".into(),
        date: "created".into(),
        currency: "currency".into(),
        amount: "gross".into(),
        ..ExportMapping::default()
    };
    mapping
        .kind_values
        .insert("Payment_Intent.Succeeded".into(), ExportKind::Payment);
    mapping
        .kind_values
        .insert("payout.paid".into(), ExportKind::Skip);
    let feed = parse_export(csv.as_bytes(), &mapping).unwrap();
    assert_eq!(feed.payments.len(), 1);
    assert_eq!(feed.problems.len(), 1);
    assert_eq!(
        (
            feed.problems[0].position.as_str(),
            feed.problems[0].value.as_str()
        ),
        ("line 4", "dispute")
    );
    assert!(feed.problems[0].message.contains("kind_values"));
}

fn one_payout(
    gross: Decimal,
    fee: Decimal,
    net: Decimal,
    rate: Decimal,
) -> arsync_feeds::ExportFeed {
    let csv = format!(
        "id,type,created,customer,invoice,currency,gross,fee,net,payout_currency,exchange_rate,description\nch,charge,2026-11-02,C,I,usd,{gross},{fee},{net},eur,{rate},\n"
    );
    parse_export(csv.as_bytes(), &payout_mapping()).unwrap()
}

proptest! {
    #[test]
    fn a_payout_whose_net_is_the_converted_gross_less_the_fee_is_accepted_and_one_that_is_not_is_refused(
        gross_cents in 1i64..1_000_000_000,
        rate_units in 5_000i64..2_000_000,
        fee_per_mille in 0i64..100,
    ) {
        let gross = Decimal::new(gross_cents, 2);
        let rate = Decimal::new(rate_units, 4);
        let converted = (gross * rate).round_dp(2);
        let fee = (converted * Decimal::new(fee_per_mille, 3)).round_dp(2);
        let net = converted - fee;
        let feed = one_payout(gross, fee, net, rate);
        prop_assert!(feed.problems.is_empty(), "{:?}", feed.problems);
        let payout = &feed.payments[0];
        prop_assert_eq!(payout.payment.amount.amount, gross);
        // What the customer paid, converted, is what reached the account plus the fee.
        let fees: Decimal = payout.fees.iter().map(|f| f.amount.amount).sum();
        prop_assert_eq!(payout.net.unwrap().amount + fees, converted);
        prop_assert_eq!(feed.rates[0].rate, rate);

        let off = one_payout(gross, fee, net + Decimal::new(2, 2), rate);
        prop_assert!(off.payments.is_empty());
        prop_assert_eq!(off.problems.len(), 1);
    }
}
