//! Phone task ids that carry their own state: when the task was issued and for which
//! number, sealed with a checksum. Any sandbox, even one started after a restart of
//! riskdesk (which persists its tasks), can answer for a task another sandbox issued; an id
//! no sandbox issued fails the checksum.

use super::wire::stable_hash;
use time::OffsetDateTime;

/// What a task id says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedTask {
    pub created: OffsetDateTime,
    /// The last ten digits of the phone number (the scenario key).
    pub number: String,
}

const SEAL: &str = "riskdesk-sandbox-task";

fn seal(payload: &[u8]) -> u32 {
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    (stable_hash(&format!("{SEAL}:{hex}")) & 0xffff_ffff) as u32
}

/// 32 lowercase hex: 6 bytes of epoch millis, 5 bytes of the number, 1 random byte,
/// 4 bytes of seal.
pub(crate) fn issue(created: OffsetDateTime, number: &str) -> String {
    let millis = (created.unix_timestamp_nanos() / 1_000_000).clamp(0, (1 << 48) - 1) as u64;
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let tail = &digits[digits.len().saturating_sub(10)..];
    let n: u64 = tail.parse().unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6..11].copy_from_slice(&n.to_be_bytes()[3..]);
    bytes[11] = rand::random::<u8>();
    let s = seal(&bytes[..12]);
    bytes[12..].copy_from_slice(&s.to_be_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The task an id stands for, or `None` when no sandbox issued it.
pub(crate) fn read(task_id: &str) -> Option<IssuedTask> {
    let id = task_id.trim();
    if id.len() != 32 || !id.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&id[i * 2..i * 2 + 2], 16).ok()?;
    }
    let sealed = u32::from_be_bytes(bytes[12..].try_into().ok()?);
    if seal(&bytes[..12]) != sealed {
        return None;
    }
    let mut m = [0u8; 8];
    m[2..].copy_from_slice(&bytes[..6]);
    let mut n = [0u8; 8];
    n[3..].copy_from_slice(&bytes[6..11]);
    let millis = i128::from(u64::from_be_bytes(m));
    let created = OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()?;
    Some(IssuedTask {
        created,
        number: format!("{:010}", u64::from_be_bytes(n)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_id_reads_back() {
        let at = OffsetDateTime::from_unix_timestamp(1_763_800_000).unwrap()
            + time::Duration::milliseconds(123);
        let id = issue(at, "525512340004");
        assert_eq!(id.len(), 32);
        let t = read(&id).expect("issued");
        assert_eq!(t.created, at);
        assert_eq!(t.number, "5512340004");
        assert_eq!(read(&id.to_ascii_uppercase()), Some(t));
    }

    #[test]
    fn ids_nobody_issued_are_refused() {
        let id = issue(OffsetDateTime::now_utc(), "525512340004");
        let mut forged = id.clone().into_bytes();
        forged[3] = if forged[3] == b'0' { b'1' } else { b'0' };
        assert_eq!(read(std::str::from_utf8(&forged).unwrap()), None);
        for bad in [
            "",
            "xyz",
            "0123456789abcdef0123456789abcdef",
            "é123456789abcdef0123456789abcde",
        ] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }
}
