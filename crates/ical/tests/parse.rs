//! `parse`: content lines, folding, parameters, structure.
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use ical::parse;

#[test]
fn folding_crlf_lf_and_tab() {
    let cases = [
        "BEGIN:VCALENDAR\r\nX-A:hello\r\n  world\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\nX-A:hello\n  world\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nX-A:hello\n\t world\nEND:VCALENDAR",
        // Folded before the colon (KOrganizer) and inside the name.
        "BEGIN:VCALENDAR\r\nX-\r\n A\r\n :hello world\r\nEND:VCALENDAR\r\n",
    ];
    for text in cases {
        let root = parse(text).unwrap();
        let p = root.property("x-a").unwrap();
        assert_eq!(p.value, "hello world", "{text:?}");
        assert_eq!(p.line, "X-A:hello world");
    }
}

#[test]
fn names_are_upper_cased_and_lines_kept() {
    let root = parse(
        "begin:vcalendar\nbegin:vevent\nsummary;language=de:Hallo\nend:vevent\nend:vcalendar\n",
    )
    .unwrap();
    assert_eq!(root.name, "VCALENDAR");
    let ev = &root.components[0];
    assert_eq!(ev.name, "VEVENT");
    let p = ev.property("SUMMARY").unwrap();
    assert_eq!(p.name, "SUMMARY");
    assert_eq!(p.params[0].name, "LANGUAGE");
    assert_eq!(p.param("Language"), Some("de"));
    assert_eq!(p.line, "summary;language=de:Hallo");
}

#[test]
fn parameters() {
    let text = "BEGIN:VCALENDAR\r\n\
        ATTENDEE;MEMBER=\"mailto:a@x\",\"mailto:b@x\";CN=\"Doe, Jane: PhD\";X-URL=\"http://x/?a=1;b=2\":mailto:j@x\r\n\
        X-EMPTY;X-P=:v\r\n\
        X-CARET;X-P=a^nb^'c^^d:v\r\n\
        DESCRIPTION:a:b;c\\,d\r\n\
        X-MULTI:1\r\nX-MULTI:2\r\n\
        END:VCALENDAR\r\n";
    let root = parse(text).unwrap();
    let a = root.property("ATTENDEE").unwrap();
    assert_eq!(a.params[0].values, vec!["mailto:a@x", "mailto:b@x"]);
    assert_eq!(a.param("CN"), Some("Doe, Jane: PhD"));
    assert_eq!(a.param("X-URL"), Some("http://x/?a=1;b=2"));
    assert_eq!(a.value, "mailto:j@x");
    assert_eq!(root.property("X-EMPTY").unwrap().param("X-P"), Some(""));
    assert_eq!(
        root.property("X-CARET").unwrap().param("X-P"),
        Some("a\nb\"c^d")
    );
    assert_eq!(root.property("DESCRIPTION").unwrap().value, "a:b;c\\,d");
    assert_eq!(root.properties_named("x-multi").count(), 2);
}

#[test]
fn errors_carry_the_physical_line() {
    let cases = [
        (
            "BEGIN:VCALENDAR\r\nX-A:1\r\n  more\r\nNO COLON\r\nEND:VCALENDAR\r\n",
            4,
            "':'",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\nEND:VCALENDAR\n",
            3,
            "does not close",
        ),
        (
            "BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VCALENDAR\nEND:VCALENDAR\n",
            3,
            "second VCALENDAR",
        ),
        (
            "BEGIN:VCALENDAR\nEND:VCALENDAR\nX:1\n",
            3,
            "after END:VCALENDAR",
        ),
        ("BEGIN:VEVENT\nEND:VEVENT\n", 1, "expected BEGIN:VCALENDAR"),
        ("X:1\n", 1, "outside"),
        (
            "BEGIN:VCALENDAR\nX;P=\"open:1\nEND:VCALENDAR\n",
            2,
            "unterminated",
        ),
        ("BEGIN:VCALENDAR\nX;P:1\nEND:VCALENDAR\n", 2, "without '='"),
        (
            "BEGIN:VCALENDAR\nX Y:1\nEND:VCALENDAR\n",
            2,
            "invalid property name",
        ),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\n", 2, "never closed"),
        ("", 1, "no BEGIN:VCALENDAR"),
    ];
    for (text, line, needle) in cases {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
        assert!(e.to_string().starts_with(&format!("line {line}: ")));
    }
}

#[test]
fn blank_lines_and_bom_are_tolerated() {
    let root =
        parse("\u{feff}\r\n\r\nBEGIN:VCALENDAR\r\n\r\nX-A:1\r\nEND:VCALENDAR\r\n\r\n\n").unwrap();
    assert_eq!(root.property("X-A").unwrap().value, "1");
}
