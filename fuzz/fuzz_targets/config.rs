//! `gatehouse serve`'s configuration: the input is the TOML file's text, layered under a fixed set
//! of command-line / environment overrides exactly as `Config::resolve` does for a file on disk.
//! Never panics; a resolved configuration has usable values (a non-zero origin timeout, TLS
//! files in pairs), its `Debug` never shows the database password, and the overrides win.
#![no_main]

use std::path::PathBuf;

use gatehouse_server::{Config, Overrides};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = PathBuf::from("gatehouse.toml");

    // The file alone.
    let plain =
        Config::resolve_text(text, Overrides { config_file: Some(path.clone()), ..Overrides::default() });
    if let Ok(config) = &plain {
        assert!(config.origin_timeout_secs >= 1);
        let _ = format!("{config:?}");
        if let Some(url) = &config.database_url {
            // `scheme://user:password@host`: the password never shows in the user part (the
            // path or query may repeat the same text: that is not the password).
            let shown: Vec<String> = [format!("{url:?}"), url.to_string()]
                .iter()
                .map(|text| {
                    let rest = text.split_once("://").map_or(text.as_str(), |(_, rest)| rest);
                    rest.split(['/', '?']).next().unwrap_or_default().to_owned()
                })
                .collect();
            let url = url.expose();
            if let Some(rest) = url.split_once("://").map(|(_, rest)| rest)
                && let Some(userinfo) =
                    rest.split(['/', '?']).next().and_then(|a| a.rsplit_once('@')).map(|(u, _)| u)
                && let Some((_, password)) = userinfo.split_once(':')
                && password.len() >= 4
                && !password.chars().all(|c| c == '*')
            {
                for authority in &shown {
                    assert!(!authority.contains(&format!(":{password}@")), "the password shows in {authority}");
                }
            }
        }
        let _ = config.sqlite_path();
        let _ = config.key_file();
    } else if let Err(error) = &plain {
        let _ = error.to_string();
    }

    // The same file under command-line / environment values.
    let overrides = Overrides {
        config_file: Some(path),
        data_dir: Some(PathBuf::from("/var/lib/gatehouse")),
        api_listen: "127.0.0.1:9787".parse().ok(),
        database_url: Some(gatehouse_server::DatabaseUrl::new("postgres://gatehouse:hunter2hunter2@db.internal/gatehouse")),
        bootstrap_account_id: Some("0123456789abcdef0123456789abcdef".to_owned()),
        ..Overrides::default()
    };
    let layered = Config::resolve_text(text, overrides);
    if let Ok(config) = &layered {
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/gatehouse"));
        assert_eq!(config.api_listen.port(), 9787);
        assert!(!format!("{config:?}").contains("hunter2hunter2"));
    }
    // The overrides here are all valid: they never turn a good file into an error.
    assert!(plain.is_err() || layered.is_ok(), "{layered:?}");
});
