//! Request path normalization for routing, so that no spelling of a path can escape the
//! application that protects it.

/// Normalizes a request path for matching (and only for matching: forward the original path to
/// the origin). `None` means the path is malformed and the request should be answered 400.
///
/// In order:
/// - the query string and fragment are cut off;
/// - the path must start with `/`;
/// - percent-escapes are decoded once; an invalid escape, an encoded `/` (`%2F`), a backslash
///   (raw or `%5C`: some origins treat it as `/`), a NUL byte, or a result that is not UTF-8 is
///   refused;
/// - `;parameters` are cut from each segment, as Tomcat and other servlet containers do (so
///   `/public/..;/admin` cannot reach `/admin` behind the gateway's back);
/// - empty segments (`//`) and `.` are dropped, `..` removes the previous segment but never
///   climbs above the root; a trailing `/` is kept;
/// - the result is lowercased: paths match case-insensitively.
///
/// `%`, `?` and `#` that were decoded are written back escaped (`%25`, `%3f`, `%23`), so the
/// result normalizes to itself.
pub fn normalize_path(raw_path: &str) -> Option<String> {
    let end = raw_path.find(['?', '#']).unwrap_or(raw_path.len());
    let raw_path = &raw_path[..end];
    if !raw_path.starts_with('/') {
        return None;
    }
    let decoded = String::from_utf8(percent_decode(raw_path)?).ok()?;

    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in decoded.split('/').skip(1) {
        let segment = segment.split(';').next().unwrap_or_default();
        trailing_slash = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }

    let mut out = String::with_capacity(decoded.len() + 1);
    for segment in &segments {
        out.push('/');
        for c in segment.chars() {
            match c {
                '%' => out.push_str("%25"),
                '?' => out.push_str("%3f"),
                '#' => out.push_str("%23"),
                c => out.extend(c.to_lowercase()),
            }
        }
    }
    if segments.is_empty() || trailing_slash {
        out.push('/');
    }
    Some(out)
}

/// Decodes `%XX` escapes; refuses the escapes and bytes that could change the path's structure.
fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let decoded = if byte == b'%' {
            let high = hex_value(*bytes.get(i + 1)?)?;
            let low = hex_value(*bytes.get(i + 2)?)?;
            i += 3;
            let value = high << 4 | low;
            if value == b'/' {
                return None;
            }
            value
        } else {
            i += 1;
            byte
        };
        if matches!(decoded, b'\\' | 0) {
            return None;
        }
        out.push(decoded);
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
