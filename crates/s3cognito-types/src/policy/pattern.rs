//! Wildcard patterns (`*` any run, `?` one character) and the policy-variable templates that expand into them.
//!
//! A template keeps what the author wrote apart from what the request supplies: only the author's own `*`
//! and `?` are wildcards, so a substituted value such as a user name containing `*` matches only itself.

use super::RequestContext;

/// One unit of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Character(char),
    AnyRun,
    AnyOne,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Glob {
    pieces: Vec<Piece>,
}

impl Glob {
    /// `*` and `?` in `text` are wildcards, every other character stands for itself.
    pub(super) fn new(text: &str) -> Self {
        let mut glob = Self { pieces: Vec::with_capacity(text.len()) };
        glob.push_wildcard_text(text);
        glob
    }

    fn push_wildcard_text(&mut self, text: &str) {
        self.pieces.extend(text.chars().map(|character| match character {
            '*' => Piece::AnyRun,
            '?' => Piece::AnyOne,
            other => Piece::Character(other),
        }));
    }

    fn push_literal(&mut self, text: &str) {
        self.pieces.extend(text.chars().map(Piece::Character));
    }

    pub(super) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        pieces_match(&self.pieces, &text)
    }

    /// Splits at the first five `:` characters (from the author or a substituted value alike), the way an
    /// ARN splits into partition, service, region, account and resource; `None` when there are fewer.
    pub(super) fn split_arn(&self) -> Option<[Glob; 6]> {
        let mut parts: Vec<Glob> = Vec::with_capacity(6);
        let mut current = Vec::new();
        for piece in &self.pieces {
            if *piece == Piece::Character(':') && parts.len() < 5 {
                parts.push(Glob { pieces: std::mem::take(&mut current) });
            } else {
                current.push(*piece);
            }
        }
        parts.push(Glob { pieces: current });
        parts.try_into().ok()
    }
}

/// The classic linear-backtracking wildcard match: on a mismatch, only the most recent `*` absorbs one
/// more character, which is enough because a later `*` can always take over what an earlier one would.
fn pieces_match(pattern: &[Piece], text: &[char]) -> bool {
    let (mut pattern_index, mut text_index) = (0, 0);
    // Where to resume after the last `*`: the pattern position after it, and the text position it has reached.
    let mut resume: Option<(usize, usize)> = None;
    while let Some(&character) = text.get(text_index) {
        match pattern.get(pattern_index) {
            Some(Piece::AnyRun) => {
                pattern_index += 1;
                resume = Some((pattern_index, text_index));
            }
            Some(Piece::AnyOne) => {
                pattern_index += 1;
                text_index += 1;
            }
            Some(Piece::Character(expected)) if *expected == character => {
                pattern_index += 1;
                text_index += 1;
            }
            _ => match resume {
                Some((after_star, absorbed)) => {
                    pattern_index = after_star;
                    text_index = absorbed + 1;
                    resume = Some((after_star, absorbed + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(pattern_index..).is_some_and(|rest| rest.iter().all(|piece| *piece == Piece::AnyRun))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// What the author wrote; its `*` and `?` are wildcards.
    Text(String),
    /// `${*}`, `${?}` and `${$}`: a character that stands for itself.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`; the key is lowercased because request keys are.
    Variable { key: String, default: Option<String> },
}

/// A Resource or condition value, possibly holding policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Text taken as written: what policies of version 2008-10-17, which predate variables, get.
    pub(super) fn plain(text: &str) -> Self {
        Self { parts: vec![Part::Text(text.to_owned())] }
    }

    /// Parses `${...}` variables; the error is the reason a variable is malformed.
    pub(super) fn with_variables(text: &str) -> Result<Self, &'static str> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after_opening = &rest[start + 2..];
            let end = closing_brace(after_opening)
                .ok_or("a \"${\" is not closed by \"}\" (write ${$} for a literal \"$\")")?;
            parts.push(parse_variable(&after_opening[..end])?);
            rest = &after_opening[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// Whether the template is one fixed text: no variable and no wildcard of the author's.
    pub(super) fn is_fixed(&self) -> bool {
        self.parts.iter().all(|part| match part {
            Part::Text(text) => !text.contains(['*', '?']),
            Part::Escaped(_) => true,
            Part::Variable { .. } => false,
        })
    }

    /// The wildcard pattern for this request; `None` when a variable has no single value and no default.
    pub(super) fn to_glob(&self, request: &RequestContext) -> Option<Glob> {
        let mut glob = Glob { pieces: Vec::new() };
        for part in &self.parts {
            match part {
                Part::Text(text) => glob.push_wildcard_text(text),
                Part::Escaped(character) => glob.pieces.push(Piece::Character(*character)),
                Part::Variable { key, default } => glob.push_literal(resolve(request, key, default.as_deref())?),
            }
        }
        Some(glob)
    }

    /// The exact string for this request (for the Equals operators, where `*` is not a wildcard anyway).
    pub(super) fn to_text(&self, request: &RequestContext) -> Option<String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Text(written) => text.push_str(written),
                Part::Escaped(character) => text.push(*character),
                Part::Variable { key, default } => text.push_str(resolve(request, key, default.as_deref())?),
            }
        }
        Some(text)
    }
}

/// A variable takes the request's value only when the key has exactly one; a multi-valued key is as
/// good as absent, since there would be no telling which value was meant.
fn resolve<'a>(request: &'a RequestContext, key: &str, default: Option<&'a str>) -> Option<&'a str> {
    match request.values(key) {
        Some([value]) => Some(value),
        _ => default,
    }
}

/// The byte index of the `}` closing a variable, skipping any inside the quoted default.
fn closing_brace(text: &str) -> Option<usize> {
    let mut quoted = false;
    for (index, character) in text.char_indices() {
        match character {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some(index),
            _ => {}
        }
    }
    None
}

fn parse_variable(inside: &str) -> Result<Part, &'static str> {
    let inside = inside.trim();
    match inside {
        "*" => return Ok(Part::Escaped('*')),
        "?" => return Ok(Part::Escaped('?')),
        "$" => return Ok(Part::Escaped('$')),
        _ => {}
    }
    let (key, default) = match inside.split_once(',') {
        Some((key, default)) => (key.trim(), Some(parse_default(default.trim())?)),
        None => (inside, None),
    };
    if key.is_empty() {
        return Err("the variable names no key");
    }
    if key.chars().any(|character| character.is_whitespace() || "${}',".contains(character)) {
        return Err("a variable's key must not contain spaces or any of $ { } ' ,");
    }
    Ok(Part::Variable { key: key.to_lowercase(), default })
}

/// `'text'`, where `''` stands for one quote.
fn parse_default(quoted: &str) -> Result<String, &'static str> {
    const MALFORMED: &str = "a default value must be quoted like 'value', with '' for a quote inside";
    let inner = quoted.strip_prefix('\'').and_then(|rest| rest.strip_suffix('\'')).ok_or(MALFORMED)?;
    let mut value = String::with_capacity(inner.len());
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        if character == '\'' && characters.next() != Some('\'') {
            return Err(MALFORMED);
        }
        value.push(character);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_iam() {
        for (pattern, text, expected) in [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything", true),
            ("a*", "a", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "xxaxxbxxb", true),
            ("*a*b", "xxbxxa", false),
            ("??", "é!", true),
            ("a**b", "ab", true),
        ] {
            assert_eq!(Glob::new(pattern).matches(text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn splits_arns_into_six_parts() {
        let parts = Glob::new("arn:aws:s3:::bucket/a:b").split_arn().map(|parts| parts.map(|part| part.pieces.len()));
        assert_eq!(parts, Some([3, 3, 2, 0, 0, 10]));
        assert!(Glob::new("arn:aws:s3::").split_arn().is_none());
    }
}
