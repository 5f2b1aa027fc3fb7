//! Finding the scenario row for an identifier as the vendor receives it (`62…`, md5, …).

use super::scenarios::{Scenario, scenarios, sequences, traps};
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

fn rows<B>(
    table: &'static [Scenario<B>],
    check: CheckKind,
) -> impl Iterator<Item = &'static Scenario<B>> {
    table.iter().filter(move |s| s.check == check)
}

/// debts_report: by `mobile` (any common spelling) or `mobile_md5` (md5 of the number with
/// country code, or of its national or trunk form: the page only says "MD5 value of mobile
/// number", so every spelling it could mean is accepted).
pub(crate) fn find_debts<B>(
    table: &'static [Scenario<B>],
    mobile: Option<&str>,
    mobile_md5: Option<&str>,
) -> Option<&'static Scenario<B>> {
    rows(table, CheckKind::DebtsReport).find(|s| {
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

/// debts_report: whether `mobile` is a row's number with the country code written twice
/// (`6262…`), the mistake of reading a 9-digit mobile typed with its country code as a
/// national number.
pub(crate) fn doubled_country_code(mobile: &str) -> bool {
    let d = digits(mobile);
    let Some(rest) = d.strip_prefix("6262") else {
        return false;
    };
    let known = |s: &str| id_national(s) == rest;
    rows(scenarios(), CheckKind::DebtsReport).any(|s| known(&s.key))
        || rows(traps(), CheckKind::DebtsReport).any(|s| known(&s.key))
        || rows(sequences(), CheckKind::DebtsReport).any(|s| known(&s.key))
}

/// multiple_order: `mobile_no` is md5 of country code + number (the page: "MD5 value of the
/// mobile number with country code, example: md5(915586685366)"). Hex in either case.
pub(crate) fn find_orders<B>(
    table: &'static [Scenario<B>],
    mobile_no_md5: &str,
) -> Option<&'static Scenario<B>> {
    let h = mobile_no_md5.to_ascii_lowercase();
    rows(table, CheckKind::MultipleOrder).find(|s| md5_hex(&format!("91{}", s.key)) == h)
}

/// multiple_order: when `mobile_no` is the md5 of a row's number spelled some other way
/// than the page's country code + number, that spelling in words.
pub(crate) fn misspelled_mobile_no(mobile_no_md5: &str) -> Option<&'static str> {
    let h = mobile_no_md5.to_ascii_lowercase();
    let keys = rows(scenarios(), CheckKind::MultipleOrder)
        .map(|s| s.key.as_str())
        .chain(rows(traps(), CheckKind::MultipleOrder).map(|s| s.key.as_str()))
        .chain(rows(sequences(), CheckKind::MultipleOrder).map(|s| s.key.as_str()));
    for key in keys {
        let spellings = [
            (key.to_string(), "the number without its country code"),
            (
                format!("0{key}"),
                "the number with a trunk 0 instead of its country code",
            ),
            (
                format!("+91{key}"),
                "the number with a '+' before its country code",
            ),
            (
                format!("0091{key}"),
                "the number with '00' before its country code",
            ),
            (
                format!("910{key}"),
                "the number with a trunk 0 after its country code",
            ),
            (format!("+910{key}"), "the number with a '+' and a trunk 0"),
        ];
        if let Some((_, what)) = spellings.iter().find(|(v, _)| md5_hex(v) == h) {
            return Some(what);
        }
    }
    None
}

/// phone_number: the last ten digits after the country code 52.
pub(crate) fn find_phone<B>(
    table: &'static [Scenario<B>],
    phone_number: &str,
) -> Option<&'static Scenario<B>> {
    let d = digits(phone_number);
    let tail = &d[d.len().saturating_sub(10)..];
    rows(table, CheckKind::PhoneStatus).find(|s| s.key == tail)
}

pub(crate) fn find_multiplatform<B>(
    table: &'static [Scenario<B>],
    id_number: &str,
) -> Option<&'static Scenario<B>> {
    let id: String = id_number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    rows(table, CheckKind::Multiplatform).find(|s| s.key == id)
}

pub(crate) fn find_willingness<B>(
    table: &'static [Scenario<B>],
    phone_number: &str,
) -> Option<&'static Scenario<B>> {
    let nat = id_national(phone_number);
    rows(table, CheckKind::CreditWillingness).find(|s| id_national(&s.key) == nat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row of `table` the key of (`check`, `key`) selects, looked up as the vendor
    /// receives it.
    fn found<B>(table: &'static [Scenario<B>], check: CheckKind, key: &str) -> Option<String> {
        let f = match check {
            CheckKind::DebtsReport => find_debts(table, Some(&format!("+62{}", &key[1..])), None),
            CheckKind::MultipleOrder => find_orders(table, &md5_hex(&format!("91{key}"))),
            CheckKind::PhoneStatus => find_phone(table, &format!("52{key}")),
            CheckKind::Multiplatform => find_multiplatform(table, &key.to_ascii_lowercase()),
            CheckKind::CreditWillingness => find_willingness(table, key),
        };
        f.map(|s| s.key.clone())
    }

    #[test]
    fn keys_are_unique_per_check_and_found_by_their_lookup() {
        let mut seen = std::collections::HashSet::new();
        for s in scenarios() {
            assert!(seen.insert((s.check, s.key.clone())), "duplicate {s:?}");
            assert_eq!(
                found(scenarios(), s.check, &s.key),
                Some(s.key.clone()),
                "{s:?}"
            );
            assert_eq!(found(traps(), s.check, &s.key), None, "{s:?}");
        }
        for s in traps() {
            assert!(seen.insert((s.check, s.key.clone())), "duplicate {s:?}");
            assert_eq!(
                found(traps(), s.check, &s.key),
                Some(s.key.clone()),
                "{s:?}"
            );
            assert_eq!(found(scenarios(), s.check, &s.key), None, "{s:?}");
        }
        for s in sequences() {
            assert!(seen.insert((s.check, s.key.clone())), "duplicate {s:?}");
            assert_eq!(
                found(sequences(), s.check, &s.key),
                Some(s.key.clone()),
                "{s:?}"
            );
            assert_eq!(found(scenarios(), s.check, &s.key), None, "{s:?}");
            assert_eq!(found(traps(), s.check, &s.key), None, "{s:?}");
        }
    }

    #[test]
    fn debts_rows_are_found_by_any_md5_spelling() {
        for v in ["6281298765432", "081298765432", "81298765432"] {
            let found = find_debts(scenarios(), None, Some(&md5_hex(v).to_ascii_uppercase()));
            assert_eq!(found.map(|s| s.key.as_str()), Some("081298765432"));
        }
    }

    #[test]
    fn mobile_no_is_md5_of_country_code_and_number_only() {
        let right = md5_hex("919123456789");
        assert!(find_orders(scenarios(), &right.to_ascii_uppercase()).is_some());
        assert_eq!(misspelled_mobile_no(&right), None);
        for wrong in [
            "9123456789",
            "09123456789",
            "+919123456789",
            "9109123456789",
        ] {
            assert!(
                find_orders(scenarios(), &md5_hex(wrong)).is_none(),
                "{wrong}"
            );
            assert!(misspelled_mobile_no(&md5_hex(wrong)).is_some(), "{wrong}");
        }
        // An unknown number's md5 is not a misspelling of anything.
        assert_eq!(misspelled_mobile_no(&md5_hex("919999999999")), None);
    }

    #[test]
    fn a_doubled_country_code_is_recognised() {
        assert!(doubled_country_code("6262812345678"));
        assert!(doubled_country_code("+626281234567890"));
        assert!(!doubled_country_code("62812345678"));
        assert!(!doubled_country_code("6262999999999"));
    }
}
