//! A throwaway PostgreSQL cluster for tests: `initdb` in a temporary directory, started on
//! a free loopback port with its socket in that directory, stopped (and deleted) on drop.
//! `initdb` refuses to run as root, so as root the server runs as the `postgres` user (or
//! one created for it) through `runuser`.
//!
//! The binaries are looked up on the PATH, then under `/usr/lib/postgresql/*/bin`. When
//! there are none, [`Cluster::start`] answers `None` and the caller skips — unless
//! `CI=true`, where a missing server is a failure ([`Cluster::start_or_skip`]).
//!
//! [`Options`] choose TLS (`ssl=on` with a server certificate for `localhost` signed by a
//! throwaway CA made here with `rcgen`: [`Cluster::root_cert`] is that CA's file) and
//! durability (by default the cluster neither fsyncs nor waits for WAL flushes, which tests
//! and most benches do not need; `durable` keeps PostgreSQL's defaults).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    run_as: Option<String>,
    tls: Option<TlsFiles>,
}

/// How to start a cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `ssl=on`, with a certificate for `localhost` (not for `127.0.0.1`) from a throwaway CA.
    pub tls: bool,
    /// PostgreSQL's durable defaults (`fsync`, `synchronous_commit`, `full_page_writes` on)
    /// instead of the fast, crash-unsafe settings tests use.
    pub durable: bool,
}

/// The certificates of a TLS cluster, all PEM files in its directory.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA that signed the server's certificate: what a client's `sslrootcert` names.
    pub root_cert: PathBuf,
    /// Another CA, which signed nothing the server has: a wrong `sslrootcert`.
    pub other_root_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

/// A CA, and a server certificate for `localhost` signed by it, written into `dir`; and a
/// second, unrelated CA.
fn make_certificates(dir: &Path) -> TlsFiles {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let ca = |name: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        CertifiedIssuer::self_signed(p, KeyPair::generate().expect("CA key")).expect("CA")
    };
    let root = ca("riskdesk test CA");
    let other = ca("riskdesk other test CA");
    let key = KeyPair::generate().expect("server key");
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
    p.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = p.signed_by(&key, &root).expect("server certificate");
    let files = TlsFiles {
        root_cert: dir.join("root.crt"),
        other_root_cert: dir.join("other-root.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
    };
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    write(&files.root_cert, root.pem());
    write(&files.other_root_cert, other.pem());
    write(&files.server_cert, cert.pem());
    write(&files.server_key, key.serialize_pem());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The server refuses a key others can read.
        std::fs::set_permissions(&files.server_key, std::fs::Permissions::from_mode(0o600))
            .expect("chmod server.key");
    }
    files
}

/// The directory holding `initdb`, `pg_ctl` and `psql`.
pub fn find_bin() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if d.join("initdb").is_file() && d.join("pg_ctl").is_file() {
                // A link (/usr/local/bin/initdb) leads to the directory psql is in too.
                let real = std::fs::canonicalize(d.join("initdb")).ok();
                return Some(
                    real.and_then(|r| r.parent().map(Path::to_path_buf))
                        .unwrap_or(d),
                );
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn user_exists(name: &str) -> bool {
    Command::new("id")
        .arg("-u")
        .arg(name)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// A running cluster, or `None` (after saying why) when no PostgreSQL is installed and
    /// `CI` is not `true`. With `CI=true` a missing server fails the test.
    pub fn start_or_skip(test: &str) -> Option<Cluster> {
        Cluster::start_or_skip_with(test, Options::default())
    }

    /// [`Cluster::start_or_skip`] with options.
    pub fn start_or_skip_with(test: &str, options: Options) -> Option<Cluster> {
        match find_bin() {
            Some(bin) => Some(Cluster::start_with(&bin, options)),
            None => {
                let msg = "PostgreSQL binaries (initdb, pg_ctl) not found on the PATH or under \
                           /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql \
                           postgresql-contrib)";
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{test}: CI=true and {msg}: the PostgreSQL suite must run in CI");
                }
                eprintln!("SKIPPED {test}: {msg}");
                None
            }
        }
    }

    pub fn start(bin: &Path) -> Cluster {
        Cluster::start_with(bin, Options::default())
    }

    pub fn start_with(bin: &Path, options: Options) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("riskdesk-pg-")
            .tempdir()
            .expect("temp dir");
        let tls = options.tls.then(|| make_certificates(dir.path()));
        let run_as = is_root().then(|| {
            let user = if user_exists("postgres") {
                "postgres".to_string()
            } else {
                let name = "riskdeskpg";
                if !user_exists(name) {
                    let ok = Command::new("useradd")
                        .args(["--system", "--no-create-home", name])
                        .status()
                        .map(|s| s.success())
                        .unwrap_or(false);
                    assert!(ok || user_exists(name), "useradd {name} failed");
                }
                name.to_string()
            };
            let ok = Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(dir.path())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "chown {} to {user}", dir.path().display());
            user
        });
        let mut c = Cluster {
            bin: bin.to_path_buf(),
            dir,
            port: 0,
            run_as,
            tls,
        };
        let data = c.data();
        c.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )
        .expect("initdb");
        let mut last = String::new();
        for _ in 0..5 {
            c.port = free_port();
            let mut opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1",
                c.port,
                c.dir.path().display()
            );
            if !options.durable {
                opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            if let Some(t) = &c.tls {
                opts.push_str(&format!(
                    " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                    t.server_cert.display(),
                    t.server_key.display()
                ));
            }
            let log = c.dir.path().join("server.log").display().to_string();
            match c.run(
                "pg_ctl",
                &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
            ) {
                Ok(_) => return c,
                Err(e) => {
                    last = format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default())
                }
            }
        }
        panic!("pg_ctl start failed: {last}");
    }

    /// The certificates, when started with [`Options::tls`].
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of the cluster's programs (as the server's user when we are root).
    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let exe = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd.output().map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{program} {args:?}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A URL for `user` on database `db` (trust auth on loopback, no TLS).
    pub fn url(&self, user: &str, db: &str) -> String {
        format!(
            "postgres://{user}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// psql as `user` on `db` over loopback, quiet, stopping at the first error; the caller
    /// adds `-c SQL` and pipes what it needs (a `COPY … FROM STDIN` feeds its stdin).
    pub fn psql_command(&self, user: &str, db: &str) -> Command {
        let psql = match self.bin.join("psql") {
            p if p.is_file() => p,
            _ => PathBuf::from("psql"),
        };
        let mut cmd = Command::new(psql);
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", user, "-d", db])
            .env_remove("PGPASSWORD");
        cmd
    }

    /// Runs SQL as `user` on `db` with psql; its output (unaligned, tuples only), or the
    /// error.
    pub fn psql_as(&self, user: &str, db: &str, sql: &str) -> Result<String, String> {
        let psql = match self.bin.join("psql") {
            p if p.is_file() => p,
            _ => PathBuf::from("psql"),
        };
        let out = Command::new(psql)
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", user, "-d", db, "-c", sql])
            .env_remove("PGPASSWORD")
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs SQL as the superuser on `db`, panicking on failure.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        self.psql_as("postgres", db, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        if let Err(e) = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]) {
            eprintln!("stopping the test cluster: {e}");
        }
    }
}
