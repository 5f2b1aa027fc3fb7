//! From a team history URL to a connection config, the way libpq reads one: what the URL
//! leaves out comes from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`,
//! `PGSSLMODE`, `PGSSLROOTCERT` and `~/.pgpass` (or `PGPASSFILE`). TLS is rustls:
//! `sslmode` disable, allow/prefer, require (encrypted, not verified, as libpq), verify-ca
//! and verify-full (the chain checked against `sslrootcert`, `~/.postgresql/root.crt` or the
//! system's roots; verify-full also the host name). The password is only ever handed to
//! the driver: no message built here contains it.

use super::super::HistoryError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};

/// The environment a connection reads (a struct so tests pass their own).
#[derive(Debug, Clone, Default)]
pub struct PgEnv {
    pub host: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub password: Option<String>,
    pub passfile: Option<PathBuf>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub home: Option<PathBuf>,
    /// The OS user: the default database user, as in libpq.
    pub os_user: String,
}

impl PgEnv {
    pub fn from_process(os_user: &str) -> PgEnv {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        PgEnv {
            host: get("PGHOST"),
            port: get("PGPORT"),
            user: get("PGUSER"),
            database: get("PGDATABASE"),
            password: get("PGPASSWORD"),
            passfile: get("PGPASSFILE").map(PathBuf::from),
            sslmode: get("PGSSLMODE"),
            sslrootcert: get("PGSSLROOTCERT"),
            home: get("HOME").map(PathBuf::from),
            os_user: os_user.to_string(),
        }
    }
}

/// libpq's sslmode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// What to connect to, and how.
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: TlsMode,
    pub root_cert: Option<String>,
    /// `user@host:port/db`, never the password.
    pub shown: String,
}

fn bad(message: String) -> HistoryError {
    HistoryError::Open {
        path: "team history".into(),
        message,
        busy: false,
    }
}

/// A connection URL (or `key=value` string) as a message may show it: no password, no
/// query.
pub fn redact(url: &str) -> String {
    let Some(i) = url.find("://") else {
        // key=value form: only the keys that say where.
        let keep: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| {
                let k = kv.split('=').next().unwrap_or("");
                matches!(k, "host" | "port" | "dbname" | "user")
            })
            .collect();
        return keep.join(" ");
    };
    let (scheme, rest) = (&url[..i + 3], &url[i + 3..]);
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (authority_path, _) = rest.split_at(end);
    let shown = match authority_path.rfind('@') {
        Some(at) => {
            let user = authority_path[..at].split(':').next().unwrap_or("");
            format!("{user}@{}", &authority_path[at + 1..])
        }
        None => authority_path.to_string(),
    };
    format!("{scheme}{shown}")
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query (tokio-postgres knows only part of
/// libpq's sslmodes); the rest goes to the driver.
fn split_tls_params(url: &str) -> (String, Option<String>, Option<String>) {
    let mut mode = None;
    let mut root = None;
    if url.contains("://") {
        let Some(q) = url.find('?') else {
            return (url.to_string(), None, None);
        };
        let mut kept = Vec::new();
        for kv in url[q + 1..].split('&') {
            match kv.split_once('=') {
                Some(("sslmode", v)) => mode = Some(percent_decode(v)),
                Some(("sslrootcert", v)) => root = Some(percent_decode(v)),
                _ => kept.push(kv),
            }
        }
        let base = &url[..q];
        let out = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (out, mode, root)
    } else {
        let mut kept = Vec::new();
        for kv in url.split_whitespace() {
            match kv.split_once('=') {
                Some(("sslmode", v)) => mode = Some(v.trim_matches('\'').to_string()),
                Some(("sslrootcert", v)) => root = Some(v.trim_matches('\'').to_string()),
                _ => kept.push(kv),
            }
        }
        (kept.join(" "), mode, root)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_mode(s: &str) -> Result<TlsMode, HistoryError> {
    Ok(match s {
        "disable" => TlsMode::Disable,
        "allow" | "prefer" => TlsMode::Prefer,
        "require" => TlsMode::Require,
        "verify-ca" => TlsMode::VerifyCa,
        "verify-full" => TlsMode::VerifyFull,
        other => {
            return Err(bad(format!(
                "sslmode '{other}' is not one of disable, allow, prefer, require, verify-ca, verify-full"
            )));
        }
    })
}

/// Reads `url` (a `postgres://` URL or a libpq `key=value` string) with the environment's
/// defaults.
pub fn target(url: &str, env: &PgEnv) -> Result<Target, HistoryError> {
    let (rest, url_mode, url_root) = split_tls_params(url.trim());
    let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| {
        // The driver's parse errors name the option, never its value.
        bad(format!("{} is not a PostgreSQL URL: {e}", redact(url)))
    })?;
    if config.get_hosts().is_empty() {
        let hosts = env.host.clone().unwrap_or_else(|| {
            if Path::new("/var/run/postgresql").is_dir() {
                "/var/run/postgresql".into()
            } else {
                "localhost".into()
            }
        });
        for h in hosts.split(',') {
            config.host(h);
        }
    }
    if config.get_ports().is_empty()
        && let Some(p) = &env.port
    {
        let port = p
            .parse::<u16>()
            .map_err(|_| bad(format!("PGPORT '{p}' is not a port")))?;
        config.port(port);
    }
    if config.get_user().is_none() {
        config.user(env.user.clone().unwrap_or_else(|| env.os_user.clone()));
    }
    if config.get_dbname().is_none() {
        let db = env
            .database
            .clone()
            .unwrap_or_else(|| config.get_user().unwrap_or_default().to_string());
        config.dbname(db);
    }
    if config.get_password().is_none() {
        if let Some(p) = &env.password {
            config.password(p.as_str());
        } else if let Some(p) = pgpass_password(&config, env) {
            config.password(p);
        }
    }
    if config.get_application_name().is_none() {
        config.application_name("riskdesk");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let tls = parse_mode(
        url_mode
            .as_deref()
            .or(env.sslmode.as_deref())
            .unwrap_or("prefer"),
    )?;
    config.ssl_mode(match tls {
        TlsMode::Disable => SslMode::Disable,
        TlsMode::Prefer => SslMode::Prefer,
        _ => SslMode::Require,
    });
    let root_cert = url_root.or_else(|| env.sslrootcert.clone());
    let shown = shown(&config);
    Ok(Target {
        config,
        tls,
        root_cert,
        shown,
    })
}

fn host_text(h: &Host) -> String {
    match h {
        Host::Tcp(s) => s.clone(),
        #[cfg(unix)]
        Host::Unix(p) => p.display().to_string(),
    }
}

fn shown(c: &tokio_postgres::Config) -> String {
    let host = c.get_hosts().first().map(host_text).unwrap_or_default();
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{}:{}/{}",
        c.get_user().unwrap_or_default(),
        host,
        port,
        c.get_dbname().unwrap_or_default()
    )
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives this host, port, database and user; as
/// libpq, a file others can read is ignored.
fn pgpass_password(c: &tokio_postgres::Config, env: &PgEnv) -> Option<String> {
    let path = env
        .passfile
        .clone()
        .or_else(|| env.home.as_ref().map(|h| h.join(".pgpass")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                "password file ignored: it can be read by group or others (chmod 600)"
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = c.get_hosts().first().map(host_text).unwrap_or_default();
    let host = if host.starts_with('/') {
        "localhost".to_string()
    } else {
        host
    };
    let port = c.get_ports().first().copied().unwrap_or(5432).to_string();
    let want = [
        host.as_str(),
        port.as_str(),
        c.get_dbname().unwrap_or_default(),
        c.get_user().unwrap_or_default(),
    ];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|l| {
            let fields = pgpass_fields(l);
            if fields.len() < 5 {
                return None;
            }
            let ok = want.iter().zip(&fields).all(|(w, f)| f == "*" || f == w);
            ok.then(|| fields[4].clone())
        })
}

/// `host:port:db:user:password`, with `\:` and `\\` escapes.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.last_mut().expect("one field").push(n);
                }
            }
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut().expect("one field").push(c),
        }
    }
    out
}

/// The rustls configuration for a mode.
pub fn tls_config(t: &Target, home: Option<&Path>) -> Result<rustls::ClientConfig, HistoryError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS: {e}")))?;
    let verify = matches!(t.tls, TlsMode::VerifyCa | TlsMode::VerifyFull)
        || (t.tls == TlsMode::Require && t.root_cert.is_some());
    if !verify {
        // prefer/require: encrypted, the certificate not checked (libpq does the same).
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    let default_root = home.map(|h| h.join(".postgresql/root.crt"));
    let file = match t.root_cert.as_deref() {
        Some("system") => None,
        Some(f) => Some(PathBuf::from(f)),
        None => default_root.filter(|p| p.exists()),
    };
    match file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| bad(format!("root certificate {}: {e}", path.display())))?;
            for c in certs {
                let c = c.map_err(|e| bad(format!("root certificate {}: {e}", path.display())))?;
                roots
                    .add(c)
                    .map_err(|e| bad(format!("root certificate {}: {e}", path.display())))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    if roots.is_empty() {
        return Err(bad(
            "verify-ca/verify-full: no root certificate found (set sslrootcert)".into(),
        ));
    }
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| bad(format!("TLS: {e}")))?;
    let full = t.tls == TlsMode::VerifyFull;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ChainVerify { webpki, full }))
        .with_no_client_auth())
}

/// require/prefer: any certificate, but the handshake's signatures still checked.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// verify-ca: the chain, not the name; verify-full: both.
#[derive(Debug)]
struct ChainVerify {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    full: bool,
}

impl ServerCertVerifier for ChainVerify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) if !self.full => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> PgEnv {
        PgEnv {
            os_user: "ana".into(),
            ..PgEnv::default()
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let canary = "CANARY-p%40ss";
        for url in [
            format!("postgres://ana:{canary}@db.example:5433/team?sslmode=require"),
            format!(
                "postgresql://ana:{canary}@db.example/team?sslmode=verify-full&application_name=x"
            ),
            format!("host=db.example user=ana password={canary} dbname=team"),
        ] {
            let t = target(&url, &env()).expect(&url);
            assert!(!t.shown.contains("CANARY"), "{}", t.shown);
            assert!(!redact(&url).contains("CANARY"), "{}", redact(&url));
            assert!(t.config.get_password().is_some());
        }
        for url in [
            format!("postgres://ana:{canary}@db.example/team?sslmode=bogus"),
            format!("postgres://ana:{canary}@db.example/team?nosuch={canary}"),
            format!("postgres://ana:{canary}@db.example:99999/team"),
        ] {
            let e = target(&url, &env()).err().expect(&url).to_string();
            assert!(!e.contains("CANARY") && !e.contains("p%40ss"), "{e}");
        }
    }

    #[test]
    fn libpq_environment_fills_the_gaps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pass = dir.path().join("pgpass");
        std::fs::write(
            &pass,
            "# comment\nother:*:*:*:no\ndb.example:5433:team:budi:s\\:cret\n",
        )
        .expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let e = PgEnv {
            host: Some("db.example".into()),
            port: Some("5433".into()),
            user: Some("budi".into()),
            database: Some("team".into()),
            passfile: Some(pass),
            sslmode: Some("verify-full".into()),
            ..env()
        };
        let t = target("postgres://", &e).expect("target");
        assert_eq!(t.shown, "postgres://budi@db.example:5433/team");
        assert_eq!(t.config.get_password(), Some(&b"s:cret"[..]));
        assert_eq!(t.tls, TlsMode::VerifyFull);
        // The URL wins over the environment (a host without a port is on 5432: the driver's
        // URL reading says so, where libpq would take PGPORT).
        let t = target("postgres://ana@h2/other?sslmode=disable", &e).expect("target");
        assert_eq!(t.shown, "postgres://ana@h2:5432/other");
        assert_eq!(t.tls, TlsMode::Disable);
        assert!(t.config.get_password().is_none());
    }
}
