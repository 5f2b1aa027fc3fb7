//! Finding the scenario row for an identifier as the vendor receives it (`62…`, md5, …).

use super::scenarios::{Scenario, scenarios};
use super::wire::{digits, md5_hex};
use crate::check::CheckKind;

/// The national number of an Indonesian phone as sent (`62…`, `+62…`, `0…`).
pub(crate) fn id_national(raw: &str) -> String {
    let d = digits(raw);
    if let Some(rest) = d.strip_prefix("62") {
        rest.to_string()
    } else if let Some(rest) = d.strip_prefix('0') {
        rest.to_string()
    } else {
        d
    }
}

fn rows(check: CheckKind) -> impl Iterator<Item = &'static Scenario> {
    scenarios().iter().filter(move |s| s.check == check)
}

/// debts_report: by `mobile` (any common spelling) or `mobile_md5` (md5 of the number with
/// country code, or of its national or trunk form).
pub(crate) fn find_debts(
    mobile: Option<&str>,
    mobile_md5: Option<&str>,
) -> Option<&'static Scenario> {
    rows(CheckKind::DebtsReport).find(|s| {
        let nat = id_national(&s.key);
        match (mobile, mobile_md5) {
            (Some(m), _) if !m.is_empty() => id_national(m) == nat,
            (_, Some(h)) => {
                let h = h.to_ascii_lowercase();
                [
                    format!("62{nat}"),
                    format!("0{nat}"),
                    nat.clone(),
                    format!("+62{nat}"),
                ]
                .iter()
                .any(|v| md5_hex(v) == h)
            }
            _ => false,
        }
    })
}

/// multiple_order: `mobile_no` is md5 of country code + number; also accept md5 of the bare
/// 10 digits, which a confused client might send.
pub(crate) fn find_orders(mobile_no_md5: &str) -> Option<&'static Scenario> {
    let h = mobile_no_md5.to_ascii_lowercase();
    rows(CheckKind::MultipleOrder)
        .find(|s| md5_hex(&format!("91{}", s.key)) == h || md5_hex(&s.key) == h)
}

/// phone_number: the last ten digits after the country code 52.
pub(crate) fn find_phone(phone_number: &str) -> Option<&'static Scenario> {
    let d = digits(phone_number);
    let tail = &d[d.len().saturating_sub(10)..];
    rows(CheckKind::PhoneStatus).find(|s| s.key == tail)
}

pub(crate) fn find_multiplatform(id_number: &str) -> Option<&'static Scenario> {
    let id: String = id_number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    rows(CheckKind::Multiplatform).find(|s| s.key == id)
}

pub(crate) fn find_willingness(phone_number: &str) -> Option<&'static Scenario> {
    let nat = id_national(phone_number);
    rows(CheckKind::CreditWillingness).find(|s| id_national(&s.key) == nat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_per_check_and_found_by_their_lookup() {
        let mut seen = std::collections::HashSet::new();
        for s in scenarios() {
            assert!(seen.insert((s.check, s.key.clone())), "duplicate {s:?}");
            let found = match s.check {
                CheckKind::DebtsReport => find_debts(Some(&format!("+62{}", &s.key[1..])), None),
                CheckKind::MultipleOrder => find_orders(&md5_hex(&format!("91{}", s.key))),
                CheckKind::PhoneStatus => find_phone(&format!("52{}", s.key)),
                CheckKind::Multiplatform => find_multiplatform(&s.key.to_ascii_lowercase()),
                CheckKind::CreditWillingness => find_willingness(&s.key),
            };
            assert_eq!(found.map(|f| &f.key), Some(&s.key), "{s:?}");
        }
    }

    #[test]
    fn debts_rows_are_found_by_any_md5_spelling() {
        for v in ["6281298765432", "081298765432", "81298765432"] {
            let found = find_debts(None, Some(&md5_hex(v).to_ascii_uppercase()));
            assert_eq!(found.map(|s| s.key.as_str()), Some("081298765432"));
        }
    }
}
