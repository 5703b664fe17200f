//! A scratch database per test on the server named by `GATEHOUSE_TEST_DATABASE_URL`, created
//! through a maintenance connection and dropped again when the guard is.

use sqlx::{Connection, PgConnection};

/// The variable naming the server the tests create their databases on.
pub const URL_VARIABLE: &str = "GATEHOUSE_TEST_DATABASE_URL";

const HOW_TO_RUN: &str = "
==========================================================================================
 GATEHOUSE_TEST_DATABASE_URL is not set: the PostgreSQL store cannot be tested.

 Run the tests with scripts/test, which starts a throwaway PostgreSQL server for them
 (it needs PostgreSQL's server binaries: /usr/lib/postgresql/*/bin or `pg_config --bindir`),
 or name a server on which this user may CREATE DATABASE:

   GATEHOUSE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
     cargo nextest run -p gatehouse-store-postgres

 Each test creates its own database `gatehouse_test_<random hex>` and drops it afterwards.
==========================================================================================
";

/// The server URL, or a test failure that says how to provide one.
pub fn server_url() -> String {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!("{HOW_TO_RUN}"),
    }
}

/// `url` pointed at the database `name` (libpq's `dbname` parameter wins over the path).
pub fn with_database(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}dbname={name}")
}

/// A new empty database; dropped (best effort) with the guard.
#[derive(Debug)]
pub struct ScratchDatabase {
    server: String,
    name: String,
}

impl ScratchDatabase {
    pub async fn create() -> ScratchDatabase {
        let server = server_url();
        let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&server)
            .await
            .unwrap_or_else(|err| panic!("cannot connect to the server of {URL_VARIABLE}: {err}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|err| panic!("cannot create the scratch database {name}: {err}"));
        conn.close().await.ok();
        ScratchDatabase { server, name }
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> String {
        with_database(&self.server, &self.name)
    }

    /// A connection of its own, to inspect or damage the database behind the store's back.
    pub async fn raw(&self) -> PgConnection {
        PgConnection::connect(&self.url()).await.unwrap()
    }
}

impl Drop for ScratchDatabase {
    /// Drops the database on a thread with a runtime of its own: the test's runtime may have a
    /// single thread, busy running this very drop. `WITH (FORCE)` ends the connections a
    /// dropped pool may still hold.
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime
                .block_on(async {
                    let mut conn = PgConnection::connect(&server).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await?;
                    conn.close().await
                })
                .map_err(|err| err.to_string())
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: cannot drop the scratch database {}: {err}", self.name),
            Err(_) => eprintln!("warning: dropping the scratch database {} panicked", self.name),
        }
    }
}
