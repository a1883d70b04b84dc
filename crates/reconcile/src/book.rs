//! The books as the matcher sees them: open items (invoices, and credit notes counting
//! negative) in a fixed order, oldest due first, indexed by number core and payment
//! reference; and the customers with their normalised names and accounts.

use crate::normalise::{account_key, name_tokens, number_core, number_prefix};
use crate::references::compact;
use arsync_model::{CreditNote, Currency, Invoice, ItemKind, Party};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// One open item.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub kind: ItemKind,
    pub id: String,
    pub number: String,
    pub customer: usize,
    pub currency: Currency,
    /// Open amount at the start of the run (positive for both kinds).
    pub open: Decimal,
    pub issue: NaiveDate,
    pub due: NaiveDate,
    pub core: String,
    pub prefix: String,
    pub payment_reference: Option<String>,
    /// Home-currency units per item-currency unit, as the books hold it.
    pub book_rate: Option<Decimal>,
}

impl Item {
    /// The item's open amount with its sign: credit notes count negative.
    pub(crate) fn signed(&self, remaining: Decimal) -> Decimal {
        match self.kind {
            ItemKind::Invoice => remaining,
            ItemKind::CreditNote => -remaining,
        }
    }
}

/// One customer.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: String,
    pub name: String,
    pub tokens: Vec<String>,
    pub accounts: Vec<String>,
}

/// Open items and customers.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pub items: Vec<Item>,
    pub customers: Vec<Customer>,
    pub by_core: BTreeMap<String, Vec<usize>>,
    pub by_reference: BTreeMap<String, Vec<usize>>,
    pub customer_items: Vec<Vec<usize>>,
    /// The lengths of the keys of `by_reference`, so text can be searched by window.
    pub reference_lengths: BTreeSet<usize>,
    /// Customer by id (the first one with that id).
    pub customer_by_id: BTreeMap<String, usize>,
    /// Customers by account on file, each customer once, in customer order.
    pub customers_by_account: BTreeMap<String, Vec<usize>>,
    /// Customers by name tokens, in customer order.
    pub customers_by_tokens: BTreeMap<Vec<String>, Vec<usize>>,
    /// Customers by the first token of their name, in customer order.
    pub customers_by_first_token: BTreeMap<String, Vec<usize>>,
    /// Customers of two or more name tokens by their first token, then their second, in
    /// customer order: a payer name of two or more tokens only looks at the customers
    /// whose first two tokens it could shorten.
    pub customers_by_first_two: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
}

impl Book {
    /// Builds the book from what the books hold as of `as_of`: only open, receivable items
    /// issued by then with something left open.
    pub(crate) fn new(
        as_of: NaiveDate,
        parties: &[Party],
        invoices: &[Invoice],
        credit_notes: &[CreditNote],
    ) -> Book {
        let mut customers: Vec<Customer> = parties
            .iter()
            .map(|p| Customer {
                id: p.origin.external_id.clone(),
                name: p.name.clone(),
                tokens: name_tokens(&p.name),
                accounts: p.bank_accounts.iter().map(|a| account_key(a)).collect(),
            })
            .collect();
        let mut known: BTreeSet<String> = customers.iter().map(|c| c.id.clone()).collect();
        let mut named = |id: &str, name: Option<&String>| {
            if !known.contains(id) {
                known.insert(id.to_owned());
                let name = name.cloned().unwrap_or_else(|| id.to_owned());
                customers.push(Customer {
                    id: id.to_owned(),
                    tokens: name_tokens(&name),
                    name,
                    accounts: Vec::new(),
                });
            }
        };
        for i in invoices {
            named(&i.customer_id, i.customer_name.as_ref());
        }
        for c in credit_notes {
            named(&c.customer_id, c.customer_name.as_ref());
        }
        customers.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.name.cmp(&b.name)));
        customers.dedup_by(|later, earlier| later.id == earlier.id);
        let mut positions: BTreeMap<&str, usize> = BTreeMap::new();
        for (c, customer) in customers.iter().enumerate() {
            positions.entry(customer.id.as_str()).or_insert(c);
        }
        let customer_index = |id: &str| positions.get(id).copied();

        let mut items = Vec::new();
        for inv in invoices {
            let open = inv.open_amount;
            if !inv.status.is_receivable() || open <= Decimal::ZERO || inv.issue_date > as_of {
                continue;
            }
            let Some(customer) = customer_index(&inv.customer_id) else {
                continue;
            };
            let book_rate = inv.book_rate.or_else(|| {
                inv.home_open
                    .filter(|_| !inv.open_amount.is_zero())
                    .map(|h| h / inv.open_amount)
            });
            items.push(Item {
                kind: ItemKind::Invoice,
                id: inv.origin.external_id.clone(),
                number: inv.number.clone(),
                customer,
                currency: inv.currency,
                open,
                issue: inv.issue_date,
                due: inv.due_date,
                core: number_core(&inv.number),
                prefix: number_prefix(&inv.number),
                payment_reference: inv.payment_reference.as_deref().map(compact),
                book_rate,
            });
        }
        for cn in credit_notes {
            if !cn.status.is_receivable() || cn.remaining <= Decimal::ZERO || cn.issue_date > as_of
            {
                continue;
            }
            let Some(customer) = customer_index(&cn.customer_id) else {
                continue;
            };
            items.push(Item {
                kind: ItemKind::CreditNote,
                id: cn.origin.external_id.clone(),
                number: cn.number.clone(),
                customer,
                currency: cn.currency,
                open: cn.remaining,
                issue: cn.issue_date,
                due: cn.issue_date,
                core: number_core(&cn.number),
                prefix: number_prefix(&cn.number),
                payment_reference: None,
                book_rate: cn.book_rate,
            });
        }
        items.sort_by(|a, b| {
            (a.due, a.issue, &a.number, &a.id, a.kind)
                .cmp(&(b.due, b.issue, &b.number, &b.id, b.kind))
        });
        items.dedup_by(|later, earlier| later.id == earlier.id && later.kind == earlier.kind);

        let mut by_core: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_reference: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut customer_items = vec![Vec::new(); customers.len()];
        for (idx, item) in items.iter().enumerate() {
            if !item.core.is_empty() {
                by_core.entry(item.core.clone()).or_default().push(idx);
            }
            if let Some(r) = item.payment_reference.as_ref().filter(|r| r.len() >= 5) {
                by_reference.entry(r.clone()).or_default().push(idx);
            }
            customer_items[item.customer].push(idx);
        }
        let reference_lengths = by_reference.keys().map(String::len).collect();
        let mut customer_by_id = BTreeMap::new();
        let mut customers_by_account: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut customers_by_tokens: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        let mut customers_by_first_token: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut customers_by_first_two: BTreeMap<String, BTreeMap<String, Vec<usize>>> =
            BTreeMap::new();
        for (c, customer) in customers.iter().enumerate() {
            customer_by_id.entry(customer.id.clone()).or_insert(c);
            for account in &customer.accounts {
                let list = customers_by_account.entry(account.clone()).or_default();
                if list.last() != Some(&c) {
                    list.push(c);
                }
            }
            if let Some(first) = customer.tokens.first() {
                customers_by_tokens
                    .entry(customer.tokens.clone())
                    .or_default()
                    .push(c);
                customers_by_first_token
                    .entry(first.clone())
                    .or_default()
                    .push(c);
                if let Some(second) = customer.tokens.get(1) {
                    customers_by_first_two
                        .entry(first.clone())
                        .or_default()
                        .entry(second.clone())
                        .or_default()
                        .push(c);
                }
            }
        }
        Book {
            items,
            customers,
            by_core,
            by_reference,
            customer_items,
            reference_lengths,
            customer_by_id,
            customers_by_account,
            customers_by_tokens,
            customers_by_first_token,
            customers_by_first_two,
        }
    }
}
