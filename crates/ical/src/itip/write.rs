//! Calendar data written back from a [`Component`] tree: untouched properties keep their
//! original line, a property whose parameters changed is written anew (RFC 5545 §3.1, with
//! RFC 6868 caret escapes in parameter values), every line folded at 75 octets.

use crate::parse::{Component, Param, Property};

/// The whole tree as iCalendar text with CRLF line ends (as an import writes its objects).
pub fn calendar(root: &Component) -> String {
    let mut out = String::new();
    crate::split::write_component(root, &mut out);
    out
}

/// A property with its line rebuilt from name, parameters and value.
pub fn rebuilt(mut p: Property) -> Property {
    let mut line = p.name.clone();
    for param in &p.params {
        line.push(';');
        line.push_str(&param.name);
        line.push('=');
        for (i, v) in param.values.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            push_param_value(v, &mut line);
        }
    }
    line.push(':');
    line.push_str(&p.value);
    p.line = line;
    p
}

/// RFC 5545 §3.2: a value with `:`, `;` or `,` is quoted; RFC 6868: a newline, DQUOTE and
/// caret are written `^n`, `^'` and `^^`.
fn push_param_value(v: &str, out: &mut String) {
    let quote = v.contains([':', ';', ',']);
    if quote {
        out.push('"');
    }
    for ch in v.chars() {
        match ch {
            '^' => out.push_str("^^"),
            '"' => out.push_str("^'"),
            '\n' => out.push_str("^n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    if quote {
        out.push('"');
    }
}

/// `p` with parameter `name` set to `value` (in its place when it was there, else last),
/// rebuilt.
pub fn with_param(mut p: Property, name: &str, value: &str) -> Property {
    let param = Param {
        name: name.to_ascii_uppercase(),
        values: vec![value.to_owned()],
    };
    match p
        .params
        .iter()
        .position(|x| x.name.eq_ignore_ascii_case(name))
    {
        Some(i) => {
            p.params[i] = param;
            let mut seen = 0;
            p.params.retain(|x| {
                let same = x.name.eq_ignore_ascii_case(name);
                seen += usize::from(same);
                !same || seen == 1
            });
        }
        None => p.params.push(param),
    }
    rebuilt(p)
}

/// `p` without the parameters `names`; rebuilt only when one was there.
pub fn without_params(mut p: Property, names: &[&str]) -> Property {
    let before = p.params.len();
    p.params
        .retain(|x| !names.iter().any(|n| x.name.eq_ignore_ascii_case(n)));
    if p.params.len() == before {
        p
    } else {
        rebuilt(p)
    }
}

/// A property of this name and value without parameters.
pub fn simple(name: &str, value: &str) -> Property {
    Property {
        name: name.to_ascii_uppercase(),
        params: Vec::new(),
        value: value.to_owned(),
        line: format!("{}:{value}", name.to_ascii_uppercase()),
    }
}

/// Sets the single property `name` of `c` to `value` (replacing every one of that name, or
/// adding it after the others).
pub fn set_property(c: &mut Component, name: &str, value: &str) {
    let new = simple(name, value);
    match c
        .properties
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(name))
    {
        Some(i) => {
            c.properties[i] = new;
            let mut seen = 0;
            c.properties.retain(|p| {
                if p.name.eq_ignore_ascii_case(name) {
                    seen += 1;
                    seen == 1
                } else {
                    true
                }
            });
        }
        None => c.properties.push(new),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn untouched_lines_stay_and_changed_parameters_are_written_and_read_back() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n\
            ATTENDEE;CN=\"Doe, Jane\";PARTSTAT=NEEDS-ACTION:mailto:jane@example.org\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        let root = parse(text).unwrap();
        assert_eq!(calendar(&root), text);
        let attendee = root.components[0].properties[1].clone();
        let changed = with_param(attendee, "partstat", "ACCEPTED");
        assert_eq!(
            changed.line,
            "ATTENDEE;CN=\"Doe, Jane\";PARTSTAT=ACCEPTED:mailto:jane@example.org"
        );
        let again = parse(&format!(
            "BEGIN:VCALENDAR\r\n{}\r\nEND:VCALENDAR\r\n",
            with_param(changed, "X-NOTE", "say \"hi\"").line
        ))
        .unwrap();
        assert_eq!(again.properties[0].param("X-NOTE"), Some("say \"hi\""));
        assert_eq!(again.properties[0].param("CN"), Some("Doe, Jane"));
    }

    #[test]
    fn setting_a_property_replaces_every_one_of_its_name() {
        let mut root =
            parse("BEGIN:VCALENDAR\r\nSTATUS:A\r\nX:1\r\nSTATUS:B\r\nEND:VCALENDAR\r\n").unwrap();
        set_property(&mut root, "STATUS", "CANCELLED");
        let lines: Vec<&str> = root.properties.iter().map(|p| p.line.as_str()).collect();
        assert_eq!(lines, ["STATUS:CANCELLED", "X:1"]);
    }
}
