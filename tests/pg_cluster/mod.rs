//! A throwaway PostgreSQL cluster for tests: `initdb` in a temporary directory, started on
//! a free loopback port with its socket in that directory, stopped (and deleted) on drop.
//! `initdb` refuses to run as root, so as root the server runs as the `postgres` user (or
//! one created for it) through `runuser`.
//!
//! The binaries are looked up on the PATH, then under `/usr/lib/postgresql/*/bin`. When
//! there are none, [`Cluster::start`] answers `None` and the caller skips — unless
//! `CI=true`, where a missing server is a failure ([`Cluster::start_or_skip`]).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    run_as: Option<String>,
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
        match find_bin() {
            Some(bin) => Some(Cluster::start(&bin)),
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
        let dir = tempfile::Builder::new()
            .prefix("riskdesk-pg-")
            .tempdir()
            .expect("temp dir");
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
            let opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                c.port,
                c.dir.path().display()
            );
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
