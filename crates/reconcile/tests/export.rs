//! The file-mode export and the audit events a run produces.

mod support;

use arsync_reconcile::{AuditEvent, audit_events, export_rows};
use support::*;

#[test]
fn one_row_per_allocation_and_one_per_unmatched_receipt_with_residuals_where_they_belong() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("130", "INV-1001", "C1", "EUR", "1190.00", d(2026, 10, 1)),
        invoice("131", "INV-1002", "C1", "EUR", "845.50", d(2026, 10, 8)),
        invoice("132", "INV-1003", "C2", "EUR", "700.00", d(2026, 10, 8)),
    ];
    case.receipts = vec![
        receipt(&entry(
            "BR-1",
            d(2026, 10, 9),
            "2020.50",
            "EUR",
            Some("ACME IND CHEM"),
            "INV-1001 INV-1002",
        )),
        receipt(&entry(
            "BR-2",
            d(2026, 10, 9),
            "300.00",
            "EUR",
            Some("Borealis Trading Ltd"),
            "INV-1003",
        )),
        receipt(&entry("BR-3", d(2026, 10, 9), "12.34", "EUR", None, "")),
    ];
    let out = case.run();
    let rows = export_rows(&out);
    let summary: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.receipt_reference.as_str(),
                r.invoice_number.as_str(),
                r.residual_kind.as_str(),
                r.residual_amount.as_str(),
                r.decision.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("BR-1", "INV-1001", "", "", "auto"),
            ("BR-1", "INV-1002", "bank_fee", "15.00", "auto"),
            ("BR-2", "INV-1003", "partial_payment", "400.00", "auto"),
            ("BR-3", "", "", "", "unmatched"),
        ]
    );
    assert_eq!(rows[0].entry_amount.to_string(), "2020.50");
    assert_eq!(rows[0].customer, "Acme Industrial Chemicals GmbH");
    assert!(rows[1].rules.split(';').any(|r| r == "bank_fee"));
    assert_eq!(rows[3].rules, "no_candidate");
    let json = serde_json::to_value(&rows[1]).unwrap();
    assert_eq!(json["applied_amount"], "845.50");
    assert_eq!(json["entry_date"], "2026-10-09");
}

#[test]
fn every_decision_becomes_an_audit_event_that_round_trips() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![
        receipt(&entry(
            "BR-1",
            d(2026, 10, 2),
            "1190.00",
            "EUR",
            None,
            "INV-1001",
        )),
        receipt(&entry("BR-2", d(2026, 10, 2), "5.00", "EUR", None, "")),
    ];
    let out = case.run();
    let events = audit_events(&out);
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0], AuditEvent::Matched { decision, .. } if decision == "auto"));
    assert_eq!(events[1].receipt_id(), "bank:BR-2");
    let json = serde_json::to_string(&events).unwrap();
    assert!(json.contains("\"event\":\"matched\"") && json.contains("\"event\":\"unmatched\""));
    let back: Vec<AuditEvent> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, events);
}
