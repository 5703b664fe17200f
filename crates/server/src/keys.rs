//! The server key: the HMAC key every secret and API token is hashed with, and the key signing
//! private keys are sealed under. It lives outside the database — `GATEHOUSE_SECRET_KEY` (hex),
//! or a file (`GATEHOUSE_SECRET_KEY_FILE`, default `<data_dir>/secret.key`) created with mode
//! 0600 on first start — so a copy of the database alone does not allow guessing secrets
//! offline.
//!
//! While the key is rotated, previous keys stay accepted: `GATEHOUSE_PREVIOUS_SECRET_KEYS`
//! (comma-separated hex), or, when that is unset, the file `<key file>.previous` (one hex key
//! per line, `#` comments). See `docs/operations.md`, "Rotating the server key".

use std::io::Write;
use std::path::{Path, PathBuf};

use gatehouse_domain::{Secret, ServerKey};

use crate::config::Config;

/// Why the server key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the server key from GATEHOUSE_SECRET_KEY is unusable: {0}")]
    FromEnv(gatehouse_domain::ServerKeyError),
    #[error("the server key file {path} is unusable: {reason}")]
    File { path: String, reason: String },
    #[error("a previous server key from {source_name} is unusable: {reason}")]
    Previous { source_name: String, reason: String },
    #[error(
        "the database holds data but the server key file {path} is missing; restore it (or set GATEHOUSE_SECRET_KEY): \
         without it no existing secret or API token can be verified"
    )]
    Missing { path: String },
    #[error(
        "this node's server key differs from the one the database was set up with: every node sharing a database \
         must use the same key (set the same GATEHOUSE_SECRET_KEY, or GATEHOUSE_SECRET_KEY_FILE pointing at a copy \
         of the same file, on every node); otherwise no secret or API token created elsewhere can be \
         verified. To rotate the key, keep the database's key as a previous key (GATEHOUSE_PREVIOUS_SECRET_KEYS or \
         <key file>.previous)"
    )]
    Mismatch,
}

/// Loads the key ring: the current key (the key file is created only when the database is new)
/// and the previous keys still accepted.
pub fn load_or_create(config: &Config, database_is_new: bool) -> Result<ServerKey, KeyError> {
    Ok(load_current(config, database_is_new)?.with_previous(previous_keys(config)?))
}

/// The previous keys: from `GATEHOUSE_PREVIOUS_SECRET_KEYS`, else from `<key file>.previous`.
fn previous_keys(config: &Config) -> Result<Vec<ServerKey>, KeyError> {
    let (text, source_name) = match &config.previous_secret_keys {
        Some(list) => (Secret::new(list.expose().to_owned()), "GATEHOUSE_PREVIOUS_SECRET_KEYS".to_owned()),
        None => {
            let path = previous_key_file(config);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    warn_if_readable_by_others(&path);
                    (Secret::new(text), path.display().to_string())
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(error) => {
                    let source_name = path.display().to_string();
                    return Err(KeyError::Previous { source_name, reason: error.to_string() });
                }
            }
        }
    };
    // `text` holds keys: as a `Secret` it is zeroed when dropped.
    text.expose()
        .split([',', '\n'])
        .map(|entry| entry.split('#').next().unwrap_or_default().trim())
        .filter(|entry| !entry.is_empty())
        .map(|hex| {
            ServerKey::from_hex(hex)
                .map_err(|e| KeyError::Previous { source_name: source_name.clone(), reason: e.to_string() })
        })
        .collect()
}

/// `<key file>.previous`: the previous keys beside the key file.
pub fn previous_key_file(config: &Config) -> PathBuf {
    let mut path = config.key_file().into_os_string();
    path.push(".previous");
    PathBuf::from(path)
}

fn load_current(config: &Config, database_is_new: bool) -> Result<ServerKey, KeyError> {
    if let Some(hex) = &config.secret_key {
        return ServerKey::from_hex(hex.expose()).map_err(KeyError::FromEnv);
    }
    let path = config.key_file();
    let display = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            warn_if_readable_by_others(&path);
            ServerKey::from_hex(&text).map_err(|e| KeyError::File { path: display, reason: e.to_string() })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if !database_is_new {
                return Err(KeyError::Missing { path: display });
            }
            let key = ServerKey::generate();
            write_key_file(&path, &key)
                .map_err(|e| KeyError::File { path: display, reason: e.to_string() })?;
            tracing::info!(path = %path.display(), "created the server key file");
            Ok(key)
        }
        Err(error) => Err(KeyError::File { path: display, reason: error.to_string() }),
    }
}

fn write_key_file(path: &Path, key: &ServerKey) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(key.to_hex().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0) {
            tracing::warn!(path = %path.display(), "the server key file is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn config(dir: &Path) -> Config {
        Config::resolve(Overrides { data_dir: Some(dir.to_owned()), ..Overrides::default() }).unwrap()
    }

    #[test]
    fn creates_a_private_key_file_once_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        let first = load_or_create(&config, true).unwrap();
        let again = load_or_create(&config, false).unwrap();
        assert_eq!(first.to_hex().as_str(), again.to_hex().as_str());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(config.key_file()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn previous_keys_come_from_the_environment_or_the_file_beside_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let (old, older) = (ServerKey::generate(), ServerKey::generate());
        let mut config = config(dir.path());
        let current = load_or_create(&config, true).unwrap();
        assert_eq!(current.previous_ids().count(), 0);

        let (old_hex, older_hex) = (old.to_hex(), older.to_hex());
        let file =
            format!("# rotated on 2026-11-28\n{}\n\n{}  # older\n", old_hex.as_str(), older_hex.as_str());
        std::fs::write(previous_key_file(&config), file).unwrap();
        let ring = load_or_create(&config, false).unwrap();
        assert_eq!(ring.id(), current.id());
        assert_eq!(ring.previous_ids().collect::<Vec<_>>(), vec![old.id(), older.id()]);

        // The environment wins over the file.
        config.previous_secret_keys = Some(Secret::new(format!(" {} ", older.to_hex().as_str())));
        let ring = load_or_create(&config, false).unwrap();
        assert_eq!(ring.previous_ids().collect::<Vec<_>>(), vec![older.id()]);
        config.previous_secret_keys = Some(Secret::new("abcd".to_owned()));
        let error = load_or_create(&config, false).unwrap_err();
        assert!(matches!(error, KeyError::Previous { .. }));
        assert!(!error.to_string().contains("abcd"), "the message never quotes a key");
    }

    #[test]
    fn refuses_to_invent_a_key_for_an_existing_database() {
        let dir = tempfile::tempdir().unwrap();
        let error = load_or_create(&config(dir.path()), false).unwrap_err();
        assert!(matches!(error, KeyError::Missing { .. }));
    }
}
