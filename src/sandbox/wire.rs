//! What goes over the wire: request bodies in, envelopes and faults out, ids and hashes.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// A misbehaviour the sandbox can put on an answer, per identifier (a scenario row) or for
/// every answer (`SandboxOptions::fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Answers normally after this extra delay.
    Latency(Duration),
    /// Never answers (until the sandbox stops): longer than any client timeout.
    Hang,
    /// Closes the connection without a complete HTTP answer.
    DropConnection,
    /// A proxy's HTML "502 Bad Gateway" page instead of JSON.
    BadGateway,
    /// HTTP 200 with the JSON body cut in half.
    TruncatedJson,
    /// The normal body, a few bytes at a time with this pause between pieces.
    Trickle(Duration),
}

impl Fault {
    /// Whether the answer still reaches the client whole under this fault (late or slow).
    pub fn delivers(&self) -> bool {
        matches!(self, Fault::Latency(_) | Fault::Trickle(_))
    }

    /// Its command-line name without the argument: `latency`, `hang`, `drop`, `502`,
    /// `truncated`, `trickle` (the keys of `SandboxStats::faults`).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Latency(_) => "latency",
            Fault::Hang => "hang",
            Fault::DropConnection => "drop",
            Fault::BadGateway => "502",
            Fault::TruncatedJson => "truncated",
            Fault::Trickle(_) => "trickle",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Fault::Latency(d) => format!("normal answer after {} ms extra latency", d.as_millis()),
            Fault::Hang => "never answers (hangs past any client timeout)".into(),
            Fault::DropConnection => "drops the connection without an answer".into(),
            Fault::BadGateway => "HTTP 502 with a proxy's HTML page".into(),
            Fault::TruncatedJson => "HTTP 200 with the JSON body cut in half".into(),
            Fault::Trickle(d) => format!(
                "normal answer trickled in {TRICKLE_PIECE}-byte pieces every {} ms",
                d.as_millis()
            ),
        }
    }
}

/// Parses the spelling a command line would use: `latency:MS`, `hang`, `drop`, `502`,
/// `truncated`, `trickle:MS`.
impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        let (name, arg) = s.split_once(':').unwrap_or((s.as_str(), ""));
        let millis = |default: u64| -> Result<Duration, String> {
            if arg.is_empty() {
                return Ok(Duration::from_millis(default));
            }
            arg.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("'{arg}' is not a number of milliseconds"))
        };
        match name {
            "latency" => Ok(Fault::Latency(millis(1500)?)),
            "hang" => Ok(Fault::Hang),
            "drop" => Ok(Fault::DropConnection),
            "502" | "bad-gateway" | "html" => Ok(Fault::BadGateway),
            "truncated" => Ok(Fault::TruncatedJson),
            "trickle" => Ok(Fault::Trickle(millis(100)?)),
            _ => Err(format!(
                "'{s}' is not a fault: expected latency:MS, hang, drop, 502, truncated or trickle:MS"
            )),
        }
    }
}

/// How many bytes a trickled answer sends at a time.
const TRICKLE_PIECE: usize = 32;

/// An answer before any fault is applied.
pub(crate) struct Planned {
    pub status: StatusCode,
    pub body: Value,
    /// Held back this long before it is sent (a poll that hangs); the connection is
    /// dropped instead when the sandbox stops first.
    pub hold: Option<Duration>,
}

impl Planned {
    pub fn ok(body: Value) -> Self {
        Planned::new(StatusCode::OK, body)
    }

    pub fn new(status: StatusCode, body: Value) -> Self {
        Planned {
            status,
            body,
            hold: None,
        }
    }

    /// The same answer, held back for `d`.
    pub fn held(self, d: Duration) -> Self {
        Planned {
            hold: Some(d),
            ..self
        }
    }
}

const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Turns a planned answer into the response, misbehaving as `fault` says. `stop` ends hangs
/// when the sandbox shuts down, so a stopped sandbox never leaves a task behind.
pub(crate) async fn deliver(
    planned: Planned,
    fault: Option<Fault>,
    mut stop: watch::Receiver<bool>,
) -> Response {
    if let Some(hold) = planned.hold {
        tokio::select! {
            _ = tokio::time::sleep(hold) => {}
            _ = stop.wait_for(|stopped| *stopped) => return dropped_connection(),
        }
    }
    let text = planned.body.to_string();
    match fault {
        None => json_response(planned.status, Body::from(text)),
        Some(Fault::Latency(d)) => {
            tokio::time::sleep(d).await;
            json_response(planned.status, Body::from(text))
        }
        Some(Fault::Hang) => {
            let _ = stop.wait_for(|stopped| *stopped).await;
            dropped_connection()
        }
        Some(Fault::DropConnection) => dropped_connection(),
        Some(Fault::BadGateway) => {
            let mut r = Response::new(Body::from(BAD_GATEWAY_PAGE));
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        Some(Fault::TruncatedJson) => {
            let cut = text.len() / 2;
            json_response(StatusCode::OK, Body::from(text.as_bytes()[..cut].to_vec()))
        }
        Some(Fault::Trickle(pause)) => {
            let pieces: Vec<Vec<u8>> = text
                .as_bytes()
                .chunks(TRICKLE_PIECE)
                .map(<[u8]>::to_vec)
                .collect();
            let stream = futures::stream::unfold(pieces.into_iter(), move |mut rest| async move {
                let piece = rest.next()?;
                tokio::time::sleep(pause).await;
                Some((Ok::<_, std::io::Error>(piece), rest))
            });
            json_response(planned.status, Body::from_stream(stream))
        }
    }
}

fn json_response(status: StatusCode, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// A body that fails before its first byte: hyper aborts the connection, so the client sees
/// the connection close without a complete answer.
fn dropped_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<Vec<u8>, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection dropped",
        ))
    });
    json_response(StatusCode::OK, Body::from_stream(stream))
}

/// The request's fields, from a JSON object or a form body. `None` when the body is neither.
/// Values are trimmed; numbers and booleans become their text; nulls count as absent.
pub(crate) fn parse_fields(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, String>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(HashMap::new());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.contains("json") {
        json_fields(body)
    } else if content_type.contains("x-www-form-urlencoded") {
        Some(form_fields(body))
    } else {
        // The pages never name a content type: accept whichever the body parses as.
        json_fields(body).or_else(|| Some(form_fields(body)))
    }
}

fn json_fields(body: &[u8]) -> Option<HashMap<String, String>> {
    let Value::Object(map) = serde_json::from_slice::<Value>(body).ok()? else {
        return None;
    };
    Some(
        map.into_iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::Null => return None,
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                Some((k.trim().to_string(), text.trim().to_string()))
            })
            .collect(),
    )
}

pub(crate) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |b| *b == b'=');
            let k = percent_decode(it.next().unwrap_or_default());
            let v = percent_decode(it.next().unwrap_or_default());
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

fn percent_decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                match std::str::from_utf8(&s[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `TID` + 32 lowercase hex, as in every AccuAuth sample.
pub(crate) fn request_id() -> String {
    format!("TID{:032x}", rand::random::<u128>())
}

/// 32 lowercase hex, like the multiplatform samples' `sequence_id`.
pub(crate) fn hex_sequence_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Like the willingness sample `1715242432854559I30332E092745515`: epoch millis, three
/// digits, `I`, then fifteen upper-case hex characters (32 in all).
pub(crate) fn willingness_sequence_id(now: time::OffsetDateTime) -> String {
    let millis = (now.unix_timestamp_nanos() / 1_000_000).rem_euclid(10_000_000_000_000);
    let tail = rand::random::<u64>() & 0x0fff_ffff_ffff_ffff;
    format!(
        "{millis:013}{:03}I{tail:015X}",
        rand::random::<u16>() % 1000
    )
}

/// Lowercase hex md5.
pub(crate) fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stable 64-bit FNV-1a hash: the seed of the "ordinary" answers for unknown identifiers,
/// so the same identifier always gets the same answer across runs and machines.
pub(crate) fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode() {
        let f = form_fields(b"mobile=%2B62+812&idcard=&x=%zz&=v");
        assert_eq!(f["mobile"], "+62 812");
        assert_eq!(f["idcard"], "");
        assert_eq!(f["x"], "%zz");
    }

    #[test]
    fn ids_have_the_sample_shapes() {
        let t = request_id();
        assert!(t.starts_with("TID") && t.len() == 35);
        assert_eq!(hex_sequence_id().len(), 32);
        let w = willingness_sequence_id(time::OffsetDateTime::now_utc());
        assert_eq!(w.len(), 32);
        assert_eq!(&w[16..17], "I");
    }

    #[test]
    fn faults_parse_from_their_command_line_spelling() {
        assert_eq!(
            "latency:250".parse(),
            Ok(Fault::Latency(Duration::from_millis(250)))
        );
        assert_eq!("HANG".parse(), Ok(Fault::Hang));
        assert_eq!("drop".parse(), Ok(Fault::DropConnection));
        assert_eq!("502".parse(), Ok(Fault::BadGateway));
        assert_eq!("truncated".parse(), Ok(Fault::TruncatedJson));
        assert_eq!(
            "trickle".parse(),
            Ok(Fault::Trickle(Duration::from_millis(100)))
        );
        assert!("latency:soon".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().is_err());
    }

    #[test]
    fn md5_matches_the_reference() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
