//! Partial retrieval of calendar data (RFC 4791 §9.6.1-9.6.4): the
//! `<C:comp>`, `<C:allcomp>`, `<C:prop>` and `<C:allprop>` elements of a
//! `<C:calendar-data>` request.
//!
//! Output is rebuilt from each property's original line, so values this
//! crate does not understand come back byte for byte (modulo folding).

use crate::error::ParseError;
use crate::parse::{parse, Component, Property};

/// `<C:comp name="...">` with its property and sub-component choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompSelector {
    pub name: String,
    pub props: PropSelection,
    pub comps: CompSelection,
}

/// `<C:allprop/>` or a list of `<C:prop>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropSelection {
    All,
    Only(Vec<PropSelector>),
}

/// `<C:prop name="..." novalue="yes|no"/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropSelector {
    pub name: String,
    pub novalue: bool,
}

/// `<C:allcomp/>` or a list of `<C:comp>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompSelection {
    All,
    Only(Vec<CompSelector>),
}

/// RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets.
const FOLD_AT: usize = 75;

/// Writes the parts of `text` chosen by `selector`, whose name should be
/// VCALENDAR. CRLF line ends, folded at 75 octets. A root that does not
/// match the selector yields an empty string.
pub fn select(text: &str, selector: &CompSelector) -> Result<String, ParseError> {
    let root = parse(text)?;
    let mut out = String::with_capacity(text.len());
    if root.name.eq_ignore_ascii_case(&selector.name) {
        write_component(&root, &selector.props, &selector.comps, &mut out);
    }
    Ok(out)
}

fn write_component(c: &Component, props: &PropSelection, comps: &CompSelection, out: &mut String) {
    write_folded(&format!("BEGIN:{}", c.name), out);
    for p in &c.properties {
        match props {
            PropSelection::All => write_folded(&p.line, out),
            PropSelection::Only(list) => {
                if let Some(sel) = list.iter().find(|s| s.name.eq_ignore_ascii_case(&p.name)) {
                    if sel.novalue {
                        write_folded(without_value(p), out);
                    } else {
                        write_folded(&p.line, out);
                    }
                }
            }
        }
    }
    for child in &c.components {
        match comps {
            CompSelection::All => {
                write_component(child, &PropSelection::All, &CompSelection::All, out)
            }
            CompSelection::Only(list) => {
                if let Some(sel) = list
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(&child.name))
                {
                    write_component(child, &sel.props, &sel.comps, out);
                }
            }
        }
    }
    write_folded(&format!("END:{}", c.name), out);
}

/// RFC 4791 §9.6.4 novalue: the name and parameters, an empty value.
fn without_value(p: &Property) -> &str {
    p.line.get(..p.value_offset()).unwrap_or(&p.line)
}

/// Folds one content line (RFC 5545 §3.1): at most 75 octets per physical
/// line, continuation lines start with a space, and a UTF-8 character is
/// never split.
pub fn write_folded(line: &str, out: &mut String) {
    let mut budget = FOLD_AT;
    let mut used = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if used + n > budget {
            out.push_str("\r\n ");
            // The leading space counts towards the 75 octets.
            budget = FOLD_AT - 1;
            used = 0;
        }
        out.push(ch);
        used += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;

    #[test]
    fn folds_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(80));
        write_folded(&line, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }
}
