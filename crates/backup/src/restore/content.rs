//! Comparing calendar objects: the same content however a server stored it, and which of
//! two versions is newer.

/// Equal bytes, or the same content lines (a server may refold or reorder what it
/// stores); a restore run again after an interruption relies on this.
pub(super) fn same_content(a: &[u8], b: &[u8]) -> bool {
    a == b || content_lines(a) == content_lines(b)
}

/// Unfolded (RFC 5545 §3.1), sorted content lines without PRODID, which servers rewrite.
fn content_lines(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let unfolded = text.replace("\n ", "").replace("\n\t", "");
    let mut lines: Vec<String> = unfolded
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.to_ascii_uppercase().starts_with("PRODID"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// Whether `ours` was modified after `theirs` (LAST-MODIFIED, else DTSTAMP, in UTC).
pub(super) fn is_newer(ours: &[u8], theirs: &[u8]) -> bool {
    match (modified(ours), modified(theirs)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The latest LAST-MODIFIED (else DTSTAMP) of the object's components; UTC values in
/// the basic format compare as text.
fn modified(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?;
    let root = ical::parse(text).ok()?;
    root.components
        .iter()
        .filter(|c| ical::ComponentKind::from_name(&c.name).is_some())
        .filter_map(|c| {
            c.property("LAST-MODIFIED")
                .or_else(|| c.property("DTSTAMP"))
        })
        .map(|p| p.value.clone())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_comparison_ignores_folding_and_line_ends() {
        let a = b"BEGIN:VCALENDAR\r\nPRODID:a\r\nSUMMARY:long\r\n  text\r\nEND:VCALENDAR\r\n";
        let b = b"BEGIN:VCALENDAR\nSUMMARY:long text\nPRODID:b\nEND:VCALENDAR\n";
        assert!(same_content(a, b));
        assert!(!same_content(
            a,
            b"BEGIN:VCALENDAR\r\nSUMMARY:other\r\nEND:VCALENDAR\r\n"
        ));
    }

    #[test]
    fn newer_compares_last_modified() {
        let at = |t: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:{t}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            )
        };
        assert!(is_newer(
            at("20260102T000000Z").as_bytes(),
            at("20260101T000000Z").as_bytes()
        ));
        assert!(!is_newer(
            at("20260101T000000Z").as_bytes(),
            at("20260102T000000Z").as_bytes()
        ));
    }
}
