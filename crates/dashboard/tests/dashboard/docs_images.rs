//! The screenshots `docs/dashboard.md` shows: every image it references exists in the
//! repository and is a PNG of a sensible size (made by the browser suite at a fixed
//! 1280×800 viewport, see the "Tests" section of that page).

use std::path::Path;

/// The PNG signature, then the IHDR chunk's length and type.
const PNG_START: [u8; 16] =
    [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

/// `(width, height)` from a PNG's IHDR chunk, `None` when `bytes` is not a PNG.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || bytes[..16] != PNG_START {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((word(16), word(20)))
}

/// The targets of the Markdown images `![alt](target)` in `text`.
fn image_targets(text: &str) -> Vec<&str> {
    text.match_indices("![")
        .filter_map(|(at, _)| {
            let rest = &text[at..];
            let open = rest.find("](")? + 2;
            let close = rest[open..].find(')')? + open;
            Some(&rest[open..close])
        })
        .collect()
}

#[test]
fn every_screenshot_the_dashboard_page_shows_is_a_png_of_sensible_size() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let text = std::fs::read_to_string(docs.join("dashboard.md")).unwrap();
    let targets = image_targets(&text);
    for wanted in ["images/dashboard-home.png", "images/dashboard-tokens.png", "images/dashboard-create.png"]
    {
        assert!(targets.contains(&wanted), "docs/dashboard.md shows {wanted}: {targets:?}");
    }
    for target in targets {
        let path = docs.join(target);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (width, height) = png_size(&bytes).unwrap_or_else(|| panic!("{target} is not a PNG"));
        assert!(
            (800..=2560).contains(&width) && (400..=1600).contains(&height),
            "{target}: {width}×{height}"
        );
        // A real screen, not a blank or truncated file, and small enough to keep in git.
        assert!((10_000..=400_000).contains(&bytes.len()), "{target}: {} bytes", bytes.len());
    }
}

#[test]
fn the_png_check_refuses_what_is_not_a_png() {
    assert_eq!(png_size(b"GIF89a not a png at all, really"), None);
    assert_eq!(png_size(&PNG_START), None, "truncated");
    let mut header = PNG_START.to_vec();
    header.extend([0, 0, 5, 0, 0, 0, 3, 32]);
    assert_eq!(png_size(&header), Some((1280, 800)));
    assert_eq!(image_targets("a ![x](images/a.png) b ![y](b.png)"), ["images/a.png", "b.png"]);
}
