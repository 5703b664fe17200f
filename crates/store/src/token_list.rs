//! How both adapters read a page of [`TokenFilter`]'s list: which of their four keyset
//! statements, from which token, in which order, and the pattern of a search. Each adapter keeps
//! its own statements; the rules that pick one live here once.

use crate::{PageRequest, TokenCursor, TokenFilter};

/// Where the page's statement starts reading the account's tokens (in `seq` order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From the first token, skipping [`TokenWalk::offset`].
    First,
    /// After the token [`TokenWalk::cursor_id`], forwards.
    After,
    /// Before the token [`TokenWalk::cursor_id`], backwards.
    Before,
    /// From the last token, backwards.
    Last,
}

/// One page's read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenWalk {
    pub start: Start,
    /// The token of a cursor, bound after the limit and the offset.
    pub cursor_id: Option<String>,
    /// Read backwards: the rows are turned round after reading.
    pub reversed: bool,
    /// The rows at most, as a bound integer.
    pub limit: i64,
    /// The rows skipped, as a bound integer: zero with a cursor, which replaces the offset.
    pub offset: i64,
}

impl TokenWalk {
    pub fn new(filter: &TokenFilter, page: PageRequest) -> TokenWalk {
        let (start, cursor_id, reversed) = match &filter.cursor {
            None => (Start::First, None, false),
            Some(TokenCursor::After(id)) => (Start::After, Some(id.to_string()), false),
            Some(TokenCursor::Before(id)) => (Start::Before, Some(id.to_string()), true),
            Some(TokenCursor::Last) => (Start::Last, None, true),
        };
        let offset = if filter.cursor.is_some() { 0 } else { page.offset };
        TokenWalk {
            start,
            cursor_id,
            reversed,
            limit: i64::try_from(page.limit).unwrap_or(i64::MAX),
            offset: i64::try_from(offset).unwrap_or(i64::MAX),
        }
    }
}

/// The `LIKE` (or `ILIKE`) pattern of names containing `search`, with `\` as the escape
/// character: `%`, `_` and `\` in it match literally.
pub fn contains_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use gatehouse_domain::TokenId;

    use super::*;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(contains_pattern("100%_done\\x"), "%100\\%\\_done\\\\x%");
        assert_eq!(contains_pattern("plain"), "%plain%");
    }

    #[test]
    fn a_cursor_replaces_the_offset_and_backward_pages_are_turned_round() {
        let page = PageRequest { offset: 40, limit: 20 };
        let plain = TokenWalk::new(&TokenFilter::default(), page);
        assert_eq!((plain.start, plain.reversed, plain.offset, plain.limit), (Start::First, false, 40, 20));
        let id = TokenId::generate();
        let before = TokenFilter { cursor: Some(TokenCursor::Before(id)), ..TokenFilter::default() };
        let walk = TokenWalk::new(&before, page);
        assert_eq!((walk.start, walk.reversed, walk.offset), (Start::Before, true, 0));
        assert_eq!(walk.cursor_id, Some(id.to_string()));
        let last = TokenFilter { cursor: Some(TokenCursor::Last), ..TokenFilter::default() };
        let walk = TokenWalk::new(&last, page);
        assert_eq!((walk.start, walk.reversed, walk.offset, walk.cursor_id), (Start::Last, true, 0, None));
        let after = TokenFilter { cursor: Some(TokenCursor::After(id)), ..TokenFilter::default() };
        assert_eq!(TokenWalk::new(&after, page).start, Start::After);
    }
}
