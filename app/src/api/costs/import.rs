//! Reading a cost CSV (R-COST-2): `date,service,amount[,currency][,kind]`,
//! header required, all or nothing, every bad line named by its number.
//!
//! `kind` is optional: empty or `usage` (recurring), `one-off` (counted once,
//! e.g. an annual up-front charge) or `credit` (a refund: the amount must be
//! negative, and it is one-off). A negative amount in any other row is refused.
//! Each row's dedup key is a hash of its date, service, amount and currency
//! plus how many identical rows came before it in the file, so importing the
//! same file again adds nothing while two identical charges in one file stay two.

use crate::error::{AppError, FieldError};
use crate::i18n::Msg;
use chrono::NaiveDate;
use opsdeck::costs::Cents;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Largest CSV accepted (the request body limit is 1 MiB; a form-encoded CSV grows by about a third).
pub const MAX_CSV_BYTES: usize = 512 * 1024;

/// Bad lines named in one answer; the rest are summed up in one more entry.
pub const MAX_REPORTED_ERRORS: usize = 200;

/// Longest service name.
pub const MAX_SERVICE_CHARS: usize = 100;

/// One valid data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub date: NaiveDate,
    pub service: String,
    pub amount: Cents,
    pub currency: String,
    pub one_off: bool,
    pub dedup_key: String,
}

/// A line that could not be read, and why (`line` 0: the file as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub msg: Msg,
}

impl LineError {
    /// The field name the page reads the line number from: `csv:3`, or `csv` for the file.
    pub fn field(&self) -> String {
        if self.line == 0 {
            "csv".into()
        } else {
            format!("csv:{}", self.line)
        }
    }
}

/// The answer for a refused file: every bad line (up to the limit), nothing imported.
pub fn to_app_error(errors: &[LineError]) -> AppError {
    let mut fields: Vec<FieldError> = errors
        .iter()
        .take(MAX_REPORTED_ERRORS)
        .map(|e| FieldError {
            field: e.field(),
            msg: e.msg,
        })
        .collect();
    if errors.len() > MAX_REPORTED_ERRORS {
        fields.push(FieldError::new("csv:more", Msg::ErrCsvMoreErrors));
    }
    AppError::Validation(fields)
}

/// A date as `2026-11-30`, within 2000–2100.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
}

/// A service name: trimmed, 1–100 characters, no control characters.
pub fn parse_service(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= MAX_SERVICE_CHARS && !s.chars().any(char::is_control))
        .then(|| s.to_string())
}

/// A three-letter currency code, upper-cased.
pub fn parse_currency(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_uppercase();
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())).then_some(s)
}

/// The dedup key of the `occurrence`-th (0-based) identical row of a file.
pub fn dedup_key(
    date: NaiveDate,
    service: &str,
    amount: Cents,
    currency: &str,
    occurrence: u32,
) -> String {
    let mut h = Sha256::new();
    h.update(format!("{date}|{service}|{}|{currency}|{occurrence}", amount.0).as_bytes());
    hex::encode(h.finalize())
}

#[derive(Clone, Copy)]
enum Kind {
    Usage,
    OneOff,
    Credit,
}

fn parse_kind(s: &str) -> Option<Kind> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "usage" | "recurring" => Some(Kind::Usage),
        "one-off" | "one_off" | "oneoff" => Some(Kind::OneOff),
        "credit" => Some(Kind::Credit),
        _ => None,
    }
}

struct Columns {
    date: usize,
    service: usize,
    amount: usize,
    currency: Option<usize>,
    kind: Option<usize>,
    count: usize,
}

fn columns(header: &csv::StringRecord) -> Option<Columns> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let find = |n: &str| names.iter().position(|x| x == n);
    let known = ["date", "service", "amount", "currency", "kind"];
    let unique = names
        .iter()
        .all(|n| known.contains(&n.as_str()) && names.iter().filter(|m| *m == n).count() == 1);
    if !unique {
        return None;
    }
    Some(Columns {
        date: find("date")?,
        service: find("service")?,
        amount: find("amount")?,
        currency: find("currency"),
        kind: find("kind"),
        count: names.len(),
    })
}

fn parse_row(
    cols: &Columns,
    rec: &csv::StringRecord,
    budget_currency: &str,
) -> Result<(NaiveDate, String, Cents, String, bool), Msg> {
    if rec.len() != cols.count {
        return Err(Msg::ErrCsvColumns);
    }
    let field = |i: usize| rec.get(i).unwrap_or_default();
    let date = parse_date(field(cols.date)).ok_or(Msg::ErrDate)?;
    let service = parse_service(field(cols.service)).ok_or(Msg::ErrService)?;
    let amount = Cents::parse(field(cols.amount)).map_err(|_| Msg::ErrAmount)?;
    let currency = match cols.currency.map(field).filter(|c| !c.trim().is_empty()) {
        None => budget_currency.to_string(),
        Some(c) => parse_currency(c).ok_or(Msg::ErrCurrency)?,
    };
    if currency != budget_currency {
        return Err(Msg::ErrCsvOtherCurrency);
    }
    let kind = parse_kind(cols.kind.map(field).unwrap_or_default()).ok_or(Msg::ErrCsvKind)?;
    let one_off = match kind {
        Kind::Credit if amount.0 >= 0 => return Err(Msg::ErrCreditPositive),
        Kind::Credit => true,
        _ if amount.0 < 0 => return Err(Msg::ErrNegativeNotCredit),
        Kind::OneOff => true,
        Kind::Usage => false,
    };
    Ok((date, service, amount, currency, one_off))
}

/// Reads the whole file: every row, or every bad line (nothing half-read).
pub fn parse(text: &str, budget_currency: &str) -> Result<Vec<ImportRow>, Vec<LineError>> {
    if text.len() > MAX_CSV_BYTES {
        return Err(vec![LineError {
            line: 0,
            msg: Msg::ErrCsvTooLarge,
        }]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => {
            return Err(vec![LineError {
                line: 0,
                msg: Msg::ErrCsvEmpty,
            }])
        }
    };
    let Some(cols) = columns(&header) else {
        return Err(vec![LineError {
            line: 1,
            msg: Msg::ErrCsvHeader,
        }]);
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    // The reader skips blank lines without counting them (its position is
    // where the blank lines began), so the line number comes from the byte
    // offset past those blank lines: newlines before it, plus one.
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| -> u64 {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte >= counted.0 {
            let newlines = text.as_bytes()[counted.0..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted = (byte, counted.1 + newlines as u64);
        }
        counted.1
    };
    for rec in records {
        match rec {
            Err(e) => errors.push(LineError {
                line: e.position().map(|p| line_at(p.byte())).unwrap_or(0),
                msg: Msg::ErrCsvUnreadable,
            }),
            Ok(rec) => {
                let line = rec.position().map(|p| line_at(p.byte())).unwrap_or(0);
                match parse_row(&cols, &rec, budget_currency) {
                    Err(msg) => errors.push(LineError { line, msg }),
                    Ok((date, service, amount, currency, one_off)) => {
                        let base = format!("{date}|{service}|{}|{currency}", amount.0);
                        let n = seen.entry(base).or_insert(0);
                        let dedup_key = dedup_key(date, &service, amount, &currency, *n);
                        *n += 1;
                        rows.push(ImportRow {
                            line,
                            date,
                            service,
                            amount,
                            currency,
                            one_off,
                            dedup_key,
                        });
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![LineError {
            line: 0,
            msg: Msg::ErrCsvEmpty,
        }]);
    }
    Ok(rows)
}

/// A month's entries as CSV, in the import format (so an export imports back as duplicates).
pub fn export(entries: &[super::view::EntryView]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["date", "service", "amount", "currency", "kind"])?;
    for e in entries {
        let abs = e.amount.0.unsigned_abs();
        let amount = format!(
            "{}{}.{:02}",
            if e.amount.0 < 0 { "-" } else { "" },
            abs / 100,
            abs % 100
        );
        let kind = match (e.amount.0 < 0, e.one_off) {
            (true, _) => "credit",
            (false, true) => "one-off",
            (false, false) => "usage",
        };
        w.write_record([
            e.date.to_string().as_str(),
            e.service.as_str(),
            amount.as_str(),
            e.currency.as_str(),
            kind,
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn errors(text: &str) -> Vec<(u64, Msg)> {
        parse(text, "USD")
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.msg))
            .collect()
    }

    #[test]
    fn r_cost_2_good_file_with_optional_columns() {
        let rows = parse(
            "\u{feff}Date,Service,Amount,Currency,Kind\n\
             2026-11-01,compute,12.50,usd,\n\
             2026-11-01,\"cdn, edge\",\"1,200.00\",USD,one-off\n\
             2026-11-02,compute,-5,USD,credit\n\
             \n\
             2026-11-01,compute,12.50,USD,usage\n",
            "USD",
        )
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].amount, Cents(1_250));
        assert_eq!(rows[1].service, "cdn, edge");
        assert!(rows[1].one_off && rows[2].one_off && !rows[0].one_off);
        assert_eq!(rows[2].amount, Cents(-500));
        // The same row twice in one file: two entries, two keys.
        assert_eq!(rows[3].line, 6);
        assert_ne!(rows[0].dedup_key, rows[3].dedup_key);
        // And the same keys when the file is read again.
        let again = parse("date,service,amount\n2026-11-01,compute,12.50\n", "USD").unwrap();
        assert_eq!(again[0].dedup_key, rows[0].dedup_key);
    }

    #[test]
    fn r_cost_2_every_bad_line_by_number() {
        assert_eq!(
            errors(
                "date,service,amount,currency,kind\n\
                 2026-11-01,compute,12.50,USD,\n\
                 2026-13-01,compute,1,USD,\n\
                 2026-11-02,compute,abc,USD,\n\
                 2026-11-02,compute,1,EUR,\n\
                 2026-11-02,compute,-1,USD,\n\
                 2026-11-02,compute,1,USD,credit\n\
                 2026-11-02,,1,USD,\n\
                 2026-11-02,compute\n\
                 2026-11-02,compute,1,USD,gift\n"
            ),
            vec![
                (3, Msg::ErrDate),
                (4, Msg::ErrAmount),
                (5, Msg::ErrCsvOtherCurrency),
                (6, Msg::ErrNegativeNotCredit),
                (7, Msg::ErrCreditPositive),
                (8, Msg::ErrService),
                (9, Msg::ErrCsvColumns),
                (10, Msg::ErrCsvKind),
            ]
        );
    }

    #[test]
    fn r_cost_2_header_and_size() {
        assert_eq!(
            errors("2026-11-01,compute,1\n"),
            vec![(1, Msg::ErrCsvHeader)]
        );
        assert_eq!(errors("date,service\n"), vec![(1, Msg::ErrCsvHeader)]);
        assert_eq!(
            errors("date,service,amount,amount\n"),
            vec![(1, Msg::ErrCsvHeader)]
        );
        assert_eq!(errors(""), vec![(0, Msg::ErrCsvEmpty)]);
        // Blank lines (and CRLF) still count: the number is the file's own line.
        assert_eq!(
            errors("date,service,amount\n\n\n2026-11-01,x,abc\n"),
            vec![(4, Msg::ErrAmount)]
        );
        assert_eq!(
            errors("date,service,amount\r\n2026-11-01,x,1\r\n\r\n2026-11-01,x,abc\r\n"),
            vec![(4, Msg::ErrAmount)]
        );
        assert_eq!(errors("date,service,amount\n"), vec![(0, Msg::ErrCsvEmpty)]);
        let big = format!(
            "date,service,amount\n{}",
            "2026-11-01,compute,1\n".repeat(MAX_CSV_BYTES / 20)
        );
        assert_eq!(errors(&big), vec![(0, Msg::ErrCsvTooLarge)]);
    }

    #[test]
    fn many_errors_are_capped_in_the_answer() {
        let text = format!("date,service,amount\n{}", "x,y,z\n".repeat(300));
        let e = parse(&text, "USD").unwrap_err();
        assert_eq!(e.len(), 300);
        let AppError::Validation(fields) = to_app_error(&e) else {
            panic!("validation expected")
        };
        assert_eq!(fields.len(), MAX_REPORTED_ERRORS + 1);
        assert_eq!(fields[0].field, "csv:2");
        assert_eq!(fields[MAX_REPORTED_ERRORS].field, "csv:more");
    }

    #[test]
    fn export_imports_back_unchanged() {
        let rows = parse(
            "date,service,amount,kind\n2026-11-01,\"a,b\",12.5,\n2026-11-02,x,-3,credit\n2026-11-03,y,450,one-off\n",
            "USD",
        )
        .unwrap();
        let views: Vec<super::super::view::EntryView> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| super::super::view::EntryView {
                id: i as i64,
                date: r.date,
                service: r.service.clone(),
                amount: r.amount,
                currency: r.currency.clone(),
                one_off: r.one_off,
                source: "csv".into(),
                note: String::new(),
                created_at: chrono::Utc::now(),
                created_by: None,
            })
            .collect();
        let text = export(&views).unwrap();
        let back = parse(&text, "USD").unwrap();
        assert_eq!(back, {
            let mut r = rows.clone();
            for (a, b) in r.iter_mut().zip(&back) {
                a.line = b.line;
            }
            r
        });
    }
}
