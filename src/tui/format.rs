//! Pure formatting for the console: numbers, score bands, times, masking, raw bodies
//! and the OSC 52 clipboard sequence. Screens call these; nothing here draws.

use time::OffsetDateTime;

/// `1234567.5` -> `1,234,567.5`; integers keep no decimals.
pub fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let negative = value < 0.0;
    let abs = value.abs();
    let whole = abs.trunc() as u128;
    let frac = abs - abs.trunc();
    let mut digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    let first = digits.len() % 3;
    for (i, ch) in digits.drain(..).enumerate() {
        if i != 0 && (i + 3 - first).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if frac > 0.0005 {
        let f = format!("{frac:.2}");
        out.push_str(f.trim_start_matches('0').trim_end_matches('0'));
    }
    if negative { format!("-{out}") } else { out }
}

/// An integer count with separators.
pub fn count(value: i64) -> String {
    thousands(value as f64)
}

pub const SCORE_MIN: i64 = 300;
pub const SCORE_MAX: i64 = 900;

/// A 300–900 score drawn on its band, e.g. `300 ─────────●── 900`.
pub fn score_band(score: i64, width: usize) -> String {
    let width = width.max(3);
    let clamped = score.clamp(SCORE_MIN, SCORE_MAX);
    let pos = ((clamped - SCORE_MIN) as f64 / (SCORE_MAX - SCORE_MIN) as f64 * (width - 1) as f64)
        .round() as usize;
    let bar: String = (0..width)
        .map(|i| if i == pos { '●' } else { '─' })
        .collect();
    format!("{SCORE_MIN} {bar} {SCORE_MAX}")
}

/// Whole seconds as `m:ss` or `h:mm:ss`.
pub fn clock(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A coarse age: `42s`, `5m`, `3h`, `2d`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86400),
    }
}

/// `2026-03-03 14:05` in UTC: what support staff read off a ticket.
pub fn timestamp(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.to_offset(time::UtcOffset::UTC)
        .format(f)
        .unwrap_or_else(|_| t.to_string())
}

/// A phone for the screen: masked unless the operator revealed it.
pub fn show_phone(raw: &str, reveal: bool) -> String {
    if reveal || raw.is_empty() {
        raw.to_string()
    } else {
        crate::applicant::mask_phone(raw)
    }
}

/// An ID or card number for the screen: masked unless revealed.
pub fn show_id(raw: &str, reveal: bool) -> String {
    if reveal || raw.is_empty() {
        raw.to_string()
    } else {
        crate::applicant::mask_id(raw)
    }
}

/// Raw vendor bytes as readable text: pretty JSON when it parses, the text as-is otherwise.
pub fn pretty_raw(raw: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(raw) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Standard base64 (with padding), for OSC 52 clipboard writes.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// The OSC 52 sequence that asks the terminal (also over SSH) to set the clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(-4500.5), "-4,500.5");
        assert_eq!(thousands(123456.25), "123,456.25");
        assert_eq!(count(24), "24");
    }

    #[test]
    fn score_on_band() {
        assert_eq!(score_band(300, 5), "300 ●──── 900");
        assert_eq!(score_band(900, 5), "300 ────● 900");
        assert_eq!(score_band(600, 5), "300 ──●── 900");
        assert_eq!(score_band(-5, 5), "300 ●──── 900");
    }

    #[test]
    fn words_and_times() {
        assert_eq!(clock(75), "1:15");
        assert_eq!(clock(3725), "1:02:05");
        assert_eq!(age(7200), "2h");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn raw_is_pretty_or_verbatim() {
        assert!(pretty_raw(br#"{"a":1}"#).contains("\"a\": 1"));
        assert_eq!(pretty_raw(b"<html>"), "<html>");
    }
}
