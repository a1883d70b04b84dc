//! Which column holds which field. Headers are recognised by the names accountants give
//! them in English, German and French ("Inv #", "Fällig am", "Date d'échéance"), and any
//! field can be mapped to a header explicitly in the connection's configuration.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A field arsync reads from a spreadsheet row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Invoice or credit note number.
    InvoiceNumber,
    /// The document's id in the source when it is not the number.
    DocumentId,
    /// Customer name.
    Customer,
    /// Customer number or id.
    CustomerId,
    /// Issue (invoice) date.
    IssueDate,
    /// Due date.
    DueDate,
    /// Gross total of the document.
    Total,
    /// Amount still open (balance, amount due).
    OpenAmount,
    /// Amount already paid.
    Paid,
    /// Currency code of the row.
    Currency,
    /// Status in the books (open, paid, void, draft).
    Status,
    /// Payment terms ("Net 30").
    Terms,
    /// Reference for the payer (RF reference, PO number).
    PaymentReference,
    /// Kind of row: invoice, credit note or payment.
    Kind,
    /// Date a payment was received.
    PaymentDate,
    /// Amount of a payment.
    PaymentAmount,
    /// The invoice a credit note refers to.
    AppliesTo,
    /// Customer e-mail.
    Email,
    /// Customer country (ISO 3166).
    Country,
}

impl Field {
    /// Every field, in the order of the companion and error messages.
    pub const ALL: [Field; 19] = [
        Field::InvoiceNumber,
        Field::DocumentId,
        Field::Customer,
        Field::CustomerId,
        Field::IssueDate,
        Field::DueDate,
        Field::Total,
        Field::OpenAmount,
        Field::Paid,
        Field::Currency,
        Field::Status,
        Field::Terms,
        Field::PaymentReference,
        Field::Kind,
        Field::PaymentDate,
        Field::PaymentAmount,
        Field::AppliesTo,
        Field::Email,
        Field::Country,
    ];

    /// The snake_case name used in configuration (`due_date = "Fällig am"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::InvoiceNumber => "invoice_number",
            Field::DocumentId => "document_id",
            Field::Customer => "customer",
            Field::CustomerId => "customer_id",
            Field::IssueDate => "issue_date",
            Field::DueDate => "due_date",
            Field::Total => "total",
            Field::OpenAmount => "open_amount",
            Field::Paid => "paid",
            Field::Currency => "currency",
            Field::Status => "status",
            Field::Terms => "terms",
            Field::PaymentReference => "payment_reference",
            Field::Kind => "kind",
            Field::PaymentDate => "payment_date",
            Field::PaymentAmount => "payment_amount",
            Field::AppliesTo => "applies_to",
            Field::Email => "email",
            Field::Country => "country",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name.trim())
    }

    /// Header names recognised for the field, normalised (see [`normalize_header`]).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::InvoiceNumber => &[
                "invoice no",
                "invoice number",
                "inv no",
                "invoice",
                "inv",
                "invoice id",
                "document no",
                "document number",
                "doc no",
                "number",
                "no",
                "ref no",
                "rechnungsnummer",
                "rechnungsnr",
                "rechnung no",
                "rechnung",
                "re no",
                "belegnummer",
                "belegnr",
                "beleg no",
                "dokumentnummer",
                "numero de facture",
                "no de facture",
                "no facture",
                "numero facture",
                "facture",
                "no piece",
                "numero de piece",
                "piece",
            ],
            Field::DocumentId => &["id", "internal id", "txn id", "transaction id", "record id"],
            Field::Customer => &[
                "customer",
                "customer name",
                "client",
                "client name",
                "debtor",
                "account name",
                "name",
                "bill to",
                "kunde",
                "kundenname",
                "kunden name",
                "debitor",
                "debitorname",
                "name des kunden",
                "nom du client",
                "nom client",
                "raison sociale",
                "client nom",
            ],
            Field::CustomerId => &[
                "customer id",
                "customer no",
                "customer number",
                "customer ref",
                "account no",
                "account number",
                "account id",
                "debtor no",
                "kundennummer",
                "kundennr",
                "kunden no",
                "kunden id",
                "debitorennummer",
                "debitorennr",
                "debitor no",
                "code client",
                "no client",
                "numero client",
                "numero de client",
                "id client",
            ],
            Field::IssueDate => &[
                "date",
                "invoice date",
                "issue date",
                "inv date",
                "document date",
                "doc date",
                "txn date",
                "transaction date",
                "rechnungsdatum",
                "belegdatum",
                "datum",
                "ausstellungsdatum",
                "date de facture",
                "date facture",
                "date d emission",
                "date de la facture",
                "date piece",
            ],
            Field::DueDate => &[
                "due date",
                "due",
                "due on",
                "payment due",
                "date due",
                "due by",
                "falligkeit",
                "falligkeitsdatum",
                "fallig am",
                "fallig",
                "zahlbar bis",
                "date d echeance",
                "echeance",
                "date echeance",
                "date limite de paiement",
            ],
            Field::Total => &[
                "amount",
                "total",
                "invoice amount",
                "invoice total",
                "gross",
                "gross amount",
                "total amount",
                "original amount",
                "betrag",
                "rechnungsbetrag",
                "brutto",
                "bruttobetrag",
                "gesamtbetrag",
                "gesamt",
                "montant",
                "montant ttc",
                "total ttc",
                "montant total",
                "montant facture",
            ],
            Field::OpenAmount => &[
                "amount due",
                "balance",
                "balance due",
                "open amount",
                "open balance",
                "outstanding",
                "amount outstanding",
                "open",
                "remaining",
                "due amount",
                "offen",
                "offener betrag",
                "offener posten",
                "restbetrag",
                "saldo",
                "offene summe",
                "solde",
                "solde du",
                "reste a payer",
                "montant du",
                "montant restant",
                "restant du",
            ],
            Field::Paid => &[
                "paid",
                "amount paid",
                "paid amount",
                "payments",
                "bezahlt",
                "gezahlt",
                "bezahlter betrag",
                "zahlungen",
                "paye",
                "montant paye",
                "regle",
                "montant regle",
            ],
            Field::Currency => &[
                "currency",
                "ccy",
                "cur",
                "curr",
                "currency code",
                "wahrung",
                "wahrungscode",
                "devise",
                "monnaie",
            ],
            Field::Status => &["status", "state", "invoice status", "statut", "etat"],
            Field::Terms => &[
                "terms",
                "payment terms",
                "zahlungsbedingungen",
                "zahlungsziel",
                "konditionen",
                "conditions de paiement",
                "conditions",
                "delai de paiement",
            ],
            Field::PaymentReference => &[
                "payment reference",
                "reference",
                "ref",
                "payment ref",
                "remittance reference",
                "po number",
                "verwendungszweck",
                "zahlungsreferenz",
                "referenz",
                "reference de paiement",
            ],
            Field::Kind => &[
                "type",
                "document type",
                "doc type",
                "kind",
                "transaction type",
                "txn type",
                "belegart",
                "typ",
                "dokumenttyp",
                "art",
                "type de document",
                "type de piece",
            ],
            Field::PaymentDate => &[
                "payment date",
                "paid on",
                "date paid",
                "receipt date",
                "zahlungsdatum",
                "bezahlt am",
                "zahlungseingang",
                "date de paiement",
                "date de reglement",
                "date d encaissement",
            ],
            Field::PaymentAmount => &[
                "payment amount",
                "amount received",
                "received",
                "zahlbetrag",
                "zahlungsbetrag",
                "montant encaisse",
                "montant du paiement",
                "montant recu",
            ],
            Field::AppliesTo => &[
                "applies to",
                "original invoice",
                "related invoice",
                "for invoice",
                "bezug",
                "bezugsrechnung",
                "zu rechnung",
                "facture d origine",
                "facture liee",
            ],
            Field::Email => &[
                "email",
                "e mail",
                "mail",
                "billing email",
                "courriel",
                "adresse e mail",
            ],
            Field::Country => &["country", "land", "pays", "country code", "landercode"],
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Normalises a header for matching: lower case, accents and umlauts folded, `#`, `n°`,
/// `nr.` and `no.` all read as "no", punctuation as spaces, spaces collapsed.
pub fn normalize_header(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().to_lowercase().chars() {
        match c {
            'ä' | 'à' | 'â' | 'á' => out.push('a'),
            'ö' | 'ô' | 'ó' => out.push('o'),
            'ü' | 'ù' | 'û' | 'ú' => out.push('u'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' => out.push('i'),
            'ç' => out.push('c'),
            'ß' => out.push_str("ss"),
            '#' | '°' | 'º' => out.push_str(" no "),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace()
        .map(|w| match w {
            "nr" | "n" | "num" => "no",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("no no", "no")
}

/// Which column (zero-based) holds each field, with the header it was found under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    columns: BTreeMap<Field, (usize, String)>,
}

impl ColumnMap {
    /// The column index of a field, if the sheet has it.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.columns.get(&field).map(|(i, _)| *i)
    }

    /// The header a field was found under.
    pub fn header(&self, field: Field) -> Option<&str> {
        self.columns.get(&field).map(|(_, h)| h.as_str())
    }

    /// Whether the field has a column.
    pub fn has(&self, field: Field) -> bool {
        self.columns.contains_key(&field)
    }

    /// Every mapped field with its column and header, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (Field, usize, &str)> {
        self.columns.iter().map(|(f, (i, h))| (*f, *i, h.as_str()))
    }

    /// Maps a field to a column.
    pub fn insert(&mut self, field: Field, column: usize, header: impl Into<String>) {
        self.columns.insert(field, (column, header.into()));
    }

    /// The fields an open-items sheet cannot do without that this map lacks, each named
    /// as in configuration; alternatives are joined with " or ".
    pub fn missing_for_items(&self, has_default_currency: bool) -> Vec<String> {
        let mut missing = Vec::new();
        if !self.has(Field::InvoiceNumber) {
            missing.push(Field::InvoiceNumber.to_string());
        }
        if !self.has(Field::Customer) && !self.has(Field::CustomerId) {
            missing.push("customer or customer_id".to_owned());
        }
        if !self.has(Field::IssueDate) {
            missing.push(Field::IssueDate.to_string());
        }
        if !self.has(Field::DueDate) && !self.has(Field::Terms) {
            missing.push("due_date or terms".to_owned());
        }
        if !self.has(Field::Total) && !self.has(Field::OpenAmount) {
            missing.push("total or open_amount".to_owned());
        }
        if !has_default_currency && !self.has(Field::Currency) {
            missing.push("currency (or a default currency for the connection)".to_owned());
        }
        missing
    }

    /// Whether the columns look like a list of payments received rather than open items.
    pub fn looks_like_payments(&self) -> bool {
        (self.has(Field::PaymentDate) || self.has(Field::PaymentAmount))
            && !self.has(Field::DueDate)
            && !self.has(Field::Terms)
            && !self.has(Field::Kind)
    }

    /// The fields a payments sheet cannot do without that this map lacks.
    pub fn missing_for_payments(&self, has_default_currency: bool) -> Vec<String> {
        let mut missing = Vec::new();
        if !self.has(Field::PaymentDate) && !self.has(Field::IssueDate) {
            missing.push(Field::PaymentDate.to_string());
        }
        if !self.has(Field::PaymentAmount) && !self.has(Field::Total) && !self.has(Field::Paid) {
            missing.push(Field::PaymentAmount.to_string());
        }
        if !has_default_currency && !self.has(Field::Currency) {
            missing.push("currency (or a default currency for the connection)".to_owned());
        }
        missing
    }
}

/// Recognises columns from their headers. `overrides` map a field to the header text that
/// holds it (matched after normalisation, so case and accents do not matter); an override
/// whose header is absent is returned in the error list. A column is used for one field
/// only; the first column matching a field wins.
pub fn detect_columns(
    headers: &[String],
    overrides: &BTreeMap<Field, String>,
) -> Result<ColumnMap, Vec<(Field, String)>> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let mut map = ColumnMap::default();
    let mut taken = vec![false; headers.len()];
    let mut not_found = Vec::new();
    for (field, header) in overrides {
        let wanted = normalize_header(header);
        match normalized.iter().position(|h| *h == wanted) {
            Some(i) => {
                map.insert(*field, i, headers[i].clone());
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
            }
            None => not_found.push((*field, header.clone())),
        }
    }
    if !not_found.is_empty() {
        return Err(not_found);
    }
    // Specific names first, so "Rechnungsnr." wins over a running "Nr." and "Invoice Date"
    // over a "Date" elsewhere in the sheet; generic names only fill what is left.
    for generic_pass in [false, true] {
        for field in Field::ALL {
            if map.has(field) {
                continue;
            }
            let found = normalized.iter().enumerate().find(|(i, h)| {
                !taken[*i]
                    && !h.is_empty()
                    && GENERIC.contains(&h.as_str()) == generic_pass
                    && field.synonyms().contains(&h.as_str())
            });
            if let Some((i, _)) = found {
                taken[i] = true;
                map.insert(field, i, headers[i].clone());
            }
        }
    }
    Ok(map)
}

/// Header names that say little on their own.
const GENERIC: [&str; 25] = [
    "no",
    "number",
    "invoice",
    "inv",
    "rechnung",
    "facture",
    "piece",
    "name",
    "date",
    "datum",
    "amount",
    "total",
    "betrag",
    "montant",
    "open",
    "offen",
    "ref",
    "reference",
    "type",
    "typ",
    "art",
    "kind",
    "state",
    "status",
    "due",
];

/// How many of the headers are recognised: used to find the header row under title rows.
pub(crate) fn recognised_count(cells: &[String]) -> usize {
    cells
        .iter()
        .map(|c| normalize_header(c))
        .filter(|h| {
            !h.is_empty()
                && Field::ALL
                    .iter()
                    .any(|f| f.synonyms().contains(&h.as_str()))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn detect(list: &[&str]) -> ColumnMap {
        detect_columns(&headers(list), &BTreeMap::new()).unwrap()
    }

    #[test]
    fn an_english_aging_report_is_recognised() {
        let map = detect(&[
            "Inv #",
            "Customer",
            "Date",
            "Due Date",
            "Amount",
            "Amount Due",
            "Currency",
        ]);
        assert_eq!(map.get(Field::InvoiceNumber), Some(0));
        assert_eq!(map.get(Field::Customer), Some(1));
        assert_eq!(map.get(Field::IssueDate), Some(2));
        assert_eq!(map.get(Field::DueDate), Some(3));
        assert_eq!(map.get(Field::Total), Some(4));
        assert_eq!(map.get(Field::OpenAmount), Some(5));
        assert_eq!(map.get(Field::Currency), Some(6));
        assert!(map.missing_for_items(false).is_empty());
    }

    #[test]
    fn a_german_offene_posten_list_is_recognised() {
        let map = detect(&[
            "Rechnungsnr.",
            "Kundennr.",
            "Kunde",
            "Rechnungsdatum",
            "Fällig am",
            "Bruttobetrag",
            "Offener Betrag",
            "Währung",
        ]);
        assert_eq!(map.get(Field::InvoiceNumber), Some(0));
        assert_eq!(map.get(Field::CustomerId), Some(1));
        assert_eq!(map.get(Field::Customer), Some(2));
        assert_eq!(map.get(Field::IssueDate), Some(3));
        assert_eq!(map.get(Field::DueDate), Some(4));
        assert_eq!(map.get(Field::Total), Some(5));
        assert_eq!(map.get(Field::OpenAmount), Some(6));
        assert_eq!(map.get(Field::Currency), Some(7));
    }

    #[test]
    fn a_french_balance_agee_is_recognised() {
        let map = detect(&[
            "N° facture",
            "Code client",
            "Client",
            "Date de facture",
            "Date d'échéance",
            "Montant TTC",
            "Solde",
            "Devise",
        ]);
        assert_eq!(map.get(Field::InvoiceNumber), Some(0));
        assert_eq!(map.get(Field::CustomerId), Some(1));
        assert_eq!(map.get(Field::Customer), Some(2));
        assert_eq!(map.get(Field::IssueDate), Some(3));
        assert_eq!(map.get(Field::DueDate), Some(4));
        assert_eq!(map.get(Field::Total), Some(5));
        assert_eq!(map.get(Field::OpenAmount), Some(6));
        assert_eq!(map.get(Field::Currency), Some(7));
    }

    #[test]
    fn a_running_number_and_a_generic_date_yield_to_specific_headers() {
        let map = detect(&[
            "Nr.",
            "Datum",
            "Rechnungsnr.",
            "Rechnungsdatum",
            "Kunde",
            "Betrag",
        ]);
        assert_eq!(map.get(Field::InvoiceNumber), Some(2));
        assert_eq!(map.get(Field::IssueDate), Some(3));
        assert_eq!(map.get(Field::Total), Some(5));
        // With nothing more specific, the generic names still serve.
        let map = detect(&["No", "Date", "Name", "Amount"]);
        assert_eq!(map.get(Field::InvoiceNumber), Some(0));
        assert_eq!(map.get(Field::IssueDate), Some(1));
        assert_eq!(map.get(Field::Customer), Some(2));
        assert_eq!(map.get(Field::Total), Some(3));
    }

    #[test]
    fn invoice_no_variants_all_read_as_the_number() {
        for h in [
            "Invoice No",
            "Invoice No.",
            "Invoice Nr.",
            "Invoice #",
            "INVOICE NUMBER",
            "Inv. No",
            "Rechnung Nr.",
            "Numéro de facture",
            "No. facture",
        ] {
            let map = detect(&[h]);
            assert_eq!(map.get(Field::InvoiceNumber), Some(0), "{h}");
        }
    }

    #[test]
    fn a_configured_mapping_wins_and_an_absent_header_is_reported() {
        let mut overrides = BTreeMap::new();
        overrides.insert(Field::DueDate, "Zahlungsziel Datum".to_owned());
        let map = detect_columns(
            &headers(&["Beleg", "Zahlungsziel Datum", "Due Date"]),
            &overrides,
        )
        .unwrap();
        assert_eq!(map.get(Field::DueDate), Some(1));
        let mut overrides = BTreeMap::new();
        overrides.insert(Field::Total, "Summe brutto".to_owned());
        let err = detect_columns(&headers(&["Invoice", "Total"]), &overrides).unwrap_err();
        assert_eq!(err, vec![(Field::Total, "Summe brutto".to_owned())]);
    }

    #[test]
    fn missing_required_fields_are_named_as_in_configuration() {
        let map = detect(&["Invoice", "Amount"]);
        let missing = map.missing_for_items(true);
        assert_eq!(
            missing,
            vec!["customer or customer_id", "issue_date", "due_date or terms"]
        );
    }
}
