//! PostgreSQL for the cluster tests: a scratch database per test on the server named by
//! `GATEHOUSE_TEST_DATABASE_URL` (which `scripts/test` starts), and, for the outage test, a
//! dedicated throwaway server it may stop and start without disturbing other tests.

use std::path::PathBuf;
use std::process::Command;

use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

use crate::support::random_hex;

const URL_VARIABLE: &str = "GATEHOUSE_TEST_DATABASE_URL";

const HOW_TO_RUN: &str = "
==========================================================================================
 GATEHOUSE_TEST_DATABASE_URL is not set: the multi-node PostgreSQL tests cannot run.
 Run the suite with scripts/test, which starts a throwaway PostgreSQL server, or set
 GATEHOUSE_TEST_DATABASE_URL=postgres://USER@HOST:PORT/postgres (a user that may CREATE DATABASE).
==========================================================================================
";

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(future)
}

/// A fresh database on a PostgreSQL server, dropped with the guard.
#[derive(Debug)]
pub struct ScratchDatabase {
    server: String,
    name: String,
}

impl ScratchDatabase {
    /// On the server of `GATEHOUSE_TEST_DATABASE_URL`; fails the test loudly without one.
    #[track_caller]
    pub fn create() -> Self {
        let server = match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => panic!("{HOW_TO_RUN}"),
        };
        Self::create_on(&server)
    }

    #[track_caller]
    pub fn create_on(server: &str) -> Self {
        let name = format!("gatehouse_e2e_{}", random_hex(16));
        block_on(async {
            let mut conn = PgConnection::connect(server)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {server}: {e}"));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create the scratch database");
            conn.close().await.ok();
        });
        ScratchDatabase { server: server.to_owned(), name }
    }

    pub fn url(&self) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{separator}dbname={}", self.server, self.name)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&server).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            })
        })
        .join();
    }
}

/// A throwaway PostgreSQL server of this test alone (the recipe of `scripts/test`), which the
/// test may stop and start again. Removed on drop.
#[derive(Debug)]
pub struct DedicatedServer {
    bindir: PathBuf,
    dir: TempDir,
    pub port: u16,
}

impl DedicatedServer {
    #[track_caller]
    pub fn start() -> Self {
        let bindir = postgres_bindir().unwrap_or_else(|| {
            panic!("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or `pg_config --bindir`: the outage test cannot run; install PostgreSQL's server package")
        });
        let dir = tempfile::Builder::new().prefix("gatehouse-pg-outage-").tempdir().expect("temp dir");
        if is_root() {
            let status =
                Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().expect("chown");
            assert!(status.success(), "chown the cluster directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let server = DedicatedServer { bindir, dir, port };
        let output = server
            .as_postgres("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
            .output()
            .expect("run initdb");
        assert!(output.status.success(), "initdb failed: {}", String::from_utf8_lossy(&output.stderr));
        server.resume();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_postgres(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts (again) and waits until it accepts connections.
    #[track_caller]
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let output = self
            .as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .expect("run pg_ctl start");
        assert!(output.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// Kills the server the hard way (`-m immediate`): connections drop, nothing is flushed.
    #[track_caller]
    pub fn kill(&self) {
        let output = self
            .as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output()
            .expect("run pg_ctl stop");
        assert!(output.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&output.stderr));
    }
}

impl Drop for DedicatedServer {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self
                .as_postgres("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest `/usr/lib/postgresql/<version>/bin`, else `pg_config --bindir`.
fn postgres_bindir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    candidates.reverse();
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    }
    candidates.into_iter().find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}
