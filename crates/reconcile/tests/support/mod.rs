//! Builders for the accountant's cases: customers, invoices, bank entries and a run.
// Test builders: a bad fixture should stop the test at once.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use arsync_model::{
    AccountId, BankEntry, Counterparty, CreditNote, Currency, DocumentStatus, EntryStatus, FxRate,
    Invoice, Money, Origin, Party, RateBook, RefKind, StructuredRef,
};
use arsync_reconcile::{Memory, Outcome, Receipt, ReconcileInput, Settings, reconcile};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub fn c(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn amount(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn party(id: &str, name: &str, accounts: &[&str]) -> Party {
    let mut p = Party::new(Origin::new("books", id), name).unwrap();
    p.bank_accounts = accounts.iter().map(|a| (*a).to_owned()).collect();
    p
}

pub fn invoice(
    id: &str,
    number: &str,
    customer: &str,
    ccy: &str,
    total: &str,
    due: NaiveDate,
) -> Invoice {
    let inv = Invoice {
        origin: Origin::new("books", id),
        number: number.to_owned(),
        customer_id: customer.to_owned(),
        customer_name: None,
        issue_date: due - chrono::Duration::days(30),
        due_date: due,
        terms: Some("Net 30".into()),
        currency: c(ccy),
        total: amount(total),
        open_amount: amount(total),
        book_rate: None,
        home_total: None,
        home_open: None,
        payment_reference: None,
        status: DocumentStatus::Open,
    };
    inv.validate().unwrap();
    inv
}

pub fn credit_note(
    id: &str,
    number: &str,
    customer: &str,
    ccy: &str,
    total: &str,
    issued: NaiveDate,
) -> CreditNote {
    let cn = CreditNote {
        origin: Origin::new("books", id),
        number: number.to_owned(),
        customer_id: customer.to_owned(),
        customer_name: None,
        issue_date: issued,
        currency: c(ccy),
        total: amount(total),
        remaining: amount(total),
        book_rate: None,
        home_total: None,
        reference: None,
        status: DocumentStatus::Open,
    };
    cn.validate().unwrap();
    cn
}

/// A booked credit on the company's account.
pub fn entry(
    bank_ref: &str,
    date: NaiveDate,
    amt: &str,
    ccy: &str,
    payer: Option<&str>,
    text: &str,
) -> BankEntry {
    let e = BankEntry {
        origin: Origin::new("bank", bank_ref),
        account: AccountId {
            iban: Some("DE89370400440532013000".into()),
            other: None,
            currency: c(ccy),
        },
        statement_id: Some("2026-10".into()),
        booking_date: Some(date),
        value_date: Some(date),
        amount: Money::new(amount(amt), c(ccy)),
        status: EntryStatus::Booked,
        bank_reference: Some(bank_ref.to_owned()),
        end_to_end_id: None,
        bank_tx_code: None,
        counterparty: Counterparty {
            name: payer.map(str::to_owned),
            account: None,
            bic: None,
        },
        remittance: if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_owned()]
        },
        structured_refs: Vec::new(),
        exchange: None,
        charges: Vec::new(),
        reversal: false,
        detail_index: None,
    };
    e.validate().unwrap();
    e
}

pub fn with_rf(mut e: BankEntry, rf: &str) -> BankEntry {
    e.structured_refs.push(StructuredRef {
        kind: RefKind::Rf,
        value: rf.to_owned(),
    });
    e
}

pub fn receipt(e: &BankEntry) -> Receipt {
    Receipt::from_bank_entry(e).unwrap()
}

pub fn ecb(quote: &str, date: NaiveDate, rate: &str) -> FxRate {
    FxRate::new(c("EUR"), c(quote), date, amount(rate), "ecb").unwrap()
}

/// The books and the bank of one run.
pub struct Case {
    pub as_of: NaiveDate,
    pub home: Currency,
    pub parties: Vec<Party>,
    pub invoices: Vec<Invoice>,
    pub credit_notes: Vec<CreditNote>,
    pub receipts: Vec<Receipt>,
    pub rates: Vec<FxRate>,
    pub memory: Memory,
    pub settings: Settings,
}

impl Case {
    pub fn new() -> Case {
        Case {
            as_of: d(2026, 12, 31),
            home: c("EUR"),
            parties: vec![
                party(
                    "C1",
                    "Acme Industrial Chemicals GmbH",
                    &["DE44 5001 0517 5407 3249 31"],
                ),
                party("C2", "Borealis Trading Ltd", &[]),
            ],
            invoices: Vec::new(),
            credit_notes: Vec::new(),
            receipts: Vec::new(),
            rates: Vec::new(),
            memory: Memory::default(),
            settings: Settings::default(),
        }
    }

    pub fn run(&self) -> Outcome {
        let rates = RateBook::new(self.rates.clone());
        let input = ReconcileInput {
            as_of: self.as_of,
            home: self.home,
            parties: &self.parties,
            invoices: &self.invoices,
            credit_notes: &self.credit_notes,
            receipts: self.receipts.clone(),
            rates: &rates,
            memory: &self.memory,
        };
        reconcile(&input, &self.settings).unwrap()
    }
}

pub fn money(s: &str, ccy: &str) -> Money {
    Money::new(amount(s), c(ccy))
}
