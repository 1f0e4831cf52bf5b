//! RFC 5545 §3.1 content lines to a component tree.
//!
//! The tree keeps each property's unfolded line exactly as received so that
//! partial retrieval ([`crate::select`]) can write it back without
//! re-serialising values it does not understand.

use crate::error::ParseError;
use crate::quirks;

/// Components nest a few levels in practice (VCALENDAR > VEVENT > VALARM;
/// VAVAILABILITY > AVAILABLE). The cap keeps recursion over the tree (and
/// the tree's own drop) bounded on hostile input.
const MAX_DEPTH: usize = 16;

/// One `BEGIN:x` ... `END:x` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Upper-cased component name (`VEVENT`).
    pub name: String,
    pub properties: Vec<Property>,
    pub components: Vec<Component>,
}

/// One content line other than BEGIN/END.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper-cased property name (`DTSTART`).
    pub name: String,
    pub params: Vec<Param>,
    /// Raw value text after the first unquoted ':' (still escaped).
    pub value: String,
    /// The whole unfolded content line as received.
    pub line: String,
}

/// One property parameter (RFC 5545 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Upper-cased parameter name (`TZID`).
    pub name: String,
    /// Values with their DQUOTEs removed and RFC 6868 `^` escapes decoded.
    pub values: Vec<String>,
}

impl Component {
    /// The first property called `name` (case-insensitive).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Every property called `name` (case-insensitive), in order.
    pub fn properties_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> {
        self.properties
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(name))
    }

    /// Sub-components called `name` (case-insensitive), in order.
    pub(crate) fn components_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Component> {
        self.components
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }
}

impl Property {
    /// The first value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| p.values.first())
            .map(String::as_str)
    }

    /// Byte offset in `line` where the value starts (just after the ':').
    pub(crate) fn value_offset(&self) -> usize {
        self.line.len().saturating_sub(self.value.len())
    }
}

/// Parses an iCalendar stream whose root must be one VCALENDAR.
///
/// Tolerated, because real clients send them: a leading UTF-8 BOM, bare-LF
/// line ends, TAB as the folding character, empty lines, a missing final
/// line end. Refused: anything after END:VCALENDAR but blank lines, a
/// second VCALENDAR, unbalanced BEGIN/END, a line without ':'.
pub fn parse(text: &str) -> Result<Component, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut stack: Vec<Component> = Vec::new();
    let mut root: Option<Component> = None;

    for (line_no, line) in unfold(text) {
        let prop = parse_line(&line, line_no)?;
        if root.is_some() {
            return Err(ParseError::new(
                line_no,
                if prop.name == "BEGIN" && prop.value.eq_ignore_ascii_case("VCALENDAR") {
                    "a second VCALENDAR follows END:VCALENDAR; a calendar object holds exactly one"
                        .to_string()
                } else {
                    format!("content after END:VCALENDAR: {}", truncate(&line))
                },
            ));
        }
        match prop.name.as_str() {
            "BEGIN" => {
                let name = component_name(&prop.value, line_no)?;
                if stack.is_empty() && name != "VCALENDAR" {
                    return Err(ParseError::new(
                        line_no,
                        format!("expected BEGIN:VCALENDAR, found BEGIN:{name}"),
                    ));
                }
                if !stack.is_empty() && name == "VCALENDAR" {
                    return Err(ParseError::new(
                        line_no,
                        "VCALENDAR nested inside another component",
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::new(line_no, "components nested too deeply"));
                }
                stack.push(Component {
                    name,
                    properties: Vec::new(),
                    components: Vec::new(),
                });
            }
            "END" => {
                let name = component_name(&prop.value, line_no)?;
                let Some(done) = stack.pop() else {
                    return Err(ParseError::new(
                        line_no,
                        format!("END:{name} without a matching BEGIN"),
                    ));
                };
                if done.name != name {
                    return Err(ParseError::new(
                        line_no,
                        format!("END:{name} does not close BEGIN:{}", done.name),
                    ));
                }
                match stack.last_mut() {
                    Some(parent) => parent.components.push(done),
                    None => root = Some(done),
                }
            }
            _ => match stack.last_mut() {
                Some(current) => current.properties.push(prop),
                None => {
                    return Err(ParseError::new(
                        line_no,
                        format!("{} outside BEGIN:VCALENDAR", prop.name),
                    ))
                }
            },
        }
    }

    if let Some(open) = stack.last() {
        return Err(ParseError::new(
            text.lines().count().max(1),
            format!("BEGIN:{} is never closed (truncated data?)", open.name),
        ));
    }
    root.ok_or_else(|| ParseError::new(1, "no BEGIN:VCALENDAR found"))
}

/// Joins folded lines (RFC 5545 §3.1: CRLF followed by one space or TAB)
/// and drops empty lines. Yields each logical line with the physical line
/// number where it starts.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            if let Some((_, last)) = out.last_mut() {
                last.push_str(rest);
                continue;
            }
            // A continuation with nothing to continue: treat it as a line of
            // its own so that the content-line check reports it.
            if rest.trim().is_empty() {
                continue;
            }
            out.push((i + 1, raw.to_string()));
            continue;
        }
        if raw.is_empty() {
            continue;
        }
        out.push((i + 1, raw.to_string()));
    }
    out
}

/// Parses one unfolded content line:
/// `name *(";" param) ":" value` (RFC 5545 §3.1).
fn parse_line(line: &str, line_no: usize) -> Result<Property, ParseError> {
    if let Some(c) = line.chars().find(|&c| is_control(c)) {
        return Err(ParseError::new(
            line_no,
            format!("control character U+{:04X} in content line", c as u32),
        ));
    }
    let name_end = line.find([';', ':']).ok_or_else(|| {
        ParseError::new(
            line_no,
            format!("content line without ':' ({})", truncate(line)),
        )
    })?;
    let name = &line[..name_end];
    if !is_name(name) {
        return Err(ParseError::new(
            line_no,
            format!("invalid property name {:?}", truncate(name)),
        ));
    }

    let mut params = Vec::new();
    let bytes = line.as_bytes();
    let mut pos = name_end;
    // Each round consumes ";name=value[,value]" until the value's ':'.
    while bytes.get(pos) == Some(&b';') {
        pos += 1;
        let eq = line[pos..]
            .find(['=', ':', ';'])
            .map(|i| i + pos)
            .filter(|&i| bytes[i] == b'=')
            .ok_or_else(|| ParseError::new(line_no, format!("parameter without '=' in {name}")))?;
        let pname = &line[pos..eq];
        if !is_name(pname) {
            return Err(ParseError::new(
                line_no,
                format!("invalid parameter name {:?} in {name}", truncate(pname)),
            ));
        }
        pos = eq + 1;
        let mut values = Vec::new();
        loop {
            pos = quirks::skip_space_before_quoted_value(line, pos);
            if bytes.get(pos) == Some(&b'"') {
                let close = line[pos + 1..]
                    .find('"')
                    .map(|i| i + pos + 1)
                    .ok_or_else(|| {
                        ParseError::new(line_no, format!("unterminated quoted value of {pname}"))
                    })?;
                values.push(decode_caret(&line[pos + 1..close]));
                pos = close + 1;
            } else {
                let end = unquoted_end(line, pos);
                values.push(decode_caret(&line[pos..end]));
                pos = end;
            }
            match bytes.get(pos) {
                Some(b',') => pos += 1,
                Some(b';') | Some(b':') => break,
                _ => {
                    return Err(ParseError::new(
                        line_no,
                        format!("malformed value of parameter {pname} in {name}"),
                    ))
                }
            }
        }
        params.push(Param {
            name: pname.to_ascii_uppercase(),
            values,
        });
    }
    if bytes.get(pos) != Some(&b':') {
        return Err(ParseError::new(
            line_no,
            format!("content line without ':' ({})", truncate(line)),
        ));
    }
    Ok(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: line[pos + 1..].to_string(),
        line: line.to_string(),
    })
}

/// End of an unquoted parameter value starting at `start` (a backslash protects the next
/// character: [`quirks::BACKSLASH_PROTECTS_PARAMETER_SEPARATORS`]).
fn unquoted_end(line: &str, start: usize) -> usize {
    let mut escaped = false;
    for (i, c) in line[start..].char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quirks::BACKSLASH_PROTECTS_PARAMETER_SEPARATORS => escaped = true,
            ',' | ';' | ':' | '"' => return start + i,
            _ => {}
        }
    }
    line.len()
}

fn component_name(value: &str, line_no: usize) -> Result<String, ParseError> {
    if is_name(value) {
        Ok(value.to_ascii_uppercase())
    } else {
        Err(ParseError::new(
            line_no,
            format!("invalid component name {:?}", truncate(value)),
        ))
    }
}

/// RFC 5545 §3.1: `iana-token / x-name`, i.e. ALPHA, DIGIT and '-'.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// RFC 5545 §3.1 excludes CONTROL characters (but HTAB) from values.
fn is_control(c: char) -> bool {
    (c.is_ascii_control() && c != '\t') || c == '\u{7f}'
}

/// RFC 6868: `^n` is a newline, `^'` a DQUOTE, `^^` a caret; any other
/// caret sequence is left as it is.
fn decode_caret(s: &str) -> String {
    if !s.contains('^') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('n') | Some('N') => {
                out.push('\n');
                chars.next();
            }
            Some('\'') => {
                out.push('"');
                chars.next();
            }
            Some('^') => {
                out.push('^');
                chars.next();
            }
            _ => out.push('^'),
        }
    }
    out
}

/// Error messages quote input; keep them short and on one line.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;

    #[test]
    fn quoted_param_may_hold_separators() {
        let p = parse_line(r#"ATTENDEE;X-C="a:b;c,d",e;CN=x:mailto:a@b"#, 1).unwrap();
        assert_eq!(p.params[0].values, vec!["a:b;c,d", "e"]);
        assert_eq!(p.param("cn"), Some("x"));
        assert_eq!(p.value, "mailto:a@b");
        assert_eq!(p.value_offset(), p.line.len() - "mailto:a@b".len());
    }

    #[test]
    fn client_quirks_in_parameters() {
        // Apple: backslash-escaped ';' inside an unquoted parameter value.
        let p = parse_line(r"X-LOC;X-TITLE=a\; b;X-R=1:geo:1,2", 1).unwrap();
        assert_eq!(p.params[0].values, vec![r"a\; b"]);
        assert_eq!(p.value, "geo:1,2");
        // khal: a space left by folding before a quoted value.
        let p = parse_line(r#"ATTENDEE;DELEGATED-FROM= "mailto:a@b":mailto:c@d"#, 1).unwrap();
        assert_eq!(p.param("DELEGATED-FROM"), Some("mailto:a@b"));
    }

    #[test]
    fn caret_escapes() {
        assert_eq!(decode_caret("a^nb^'c^^d^a"), "a\nb\"c^d^a");
    }

    #[test]
    fn empty_param_is_refused() {
        assert!(parse_line("DTSTART;;VALUE=DATE-TIME:20200101T000000", 3).is_err());
    }

    #[test]
    fn depth_is_capped() {
        let mut s = String::from("BEGIN:VCALENDAR\n");
        for _ in 0..40 {
            s.push_str("BEGIN:X\n");
        }
        let e = parse(&s).unwrap_err();
        assert!(e.message.contains("deeply"), "{e}");
    }
}
