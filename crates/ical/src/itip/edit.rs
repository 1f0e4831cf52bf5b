//! The copies of a meeting the server writes (RFC 6638 §3.2): the organizer's with each
//! attendee's SCHEDULE-STATUS, an attendee's made from the organizer's while keeping what
//! is the attendee's own (their PARTSTAT, alarms and TRANSP), a cancelled copy, and the
//! organizer's copy with an attendee's reply recorded.

use std::collections::HashMap;

use super::write::{rebuilt, set_property, with_param, without_params};
use super::{address_key, is_scheduled, recurrence_key};
use crate::parse::{Component, Property};

/// Parameters only the organizer's server acts on (RFC 6638 §7.2, §7.3): never stored in
/// an attendee's copy, and SCHEDULE-FORCE-SEND never stored at all.
const SERVER_PARAMS: &[&str] = &["SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND"];

fn is_party(p: &Property) -> bool {
    p.name == "ORGANIZER" || p.name == "ATTENDEE"
}

fn is_attendee(p: &Property, key: &str) -> bool {
    p.name == "ATTENDEE" && address_key(&p.value) == key
}

/// The organizer's copy as stored (RFC 6638 §3.2.9, §7.2): SCHEDULE-FORCE-SEND removed,
/// each ATTENDEE given the SCHEDULE-STATUS `status_of` returns for its address key (left
/// as sent when None), the ORGANIZER's SCHEDULE-STATUS removed.
pub fn organizer_copy(root: &Component, status_of: impl Fn(&str) -> Option<String>) -> Component {
    let mut out = root.clone();
    for c in out.components.iter_mut().filter(|c| is_scheduled(c)) {
        for p in c.properties.iter_mut().filter(|p| is_party(p)) {
            let mut changed = without_params(p.clone(), &["SCHEDULE-FORCE-SEND"]);
            if changed.name == "ORGANIZER" {
                changed = without_params(changed, &["SCHEDULE-STATUS"]);
            } else if let Some(status) = status_of(&address_key(&changed.value)) {
                if changed.param("SCHEDULE-STATUS") != Some(status.as_str()) {
                    changed = with_param(changed, "SCHEDULE-STATUS", &status);
                }
            }
            *p = changed;
        }
    }
    out
}

/// The PARTSTAT of attendee `key` in `c`.
pub fn partstat_in(c: &Component, key: &str) -> Option<String> {
    c.properties.iter().find(|p| is_attendee(p, key)).map(|p| {
        p.param("PARTSTAT")
            .unwrap_or("NEEDS-ACTION")
            .to_ascii_uppercase()
    })
}

/// The SCHEDULE-STATUS of attendee `key` in the first scheduled component of `root` that
/// names them (RFC 6638 §7.3).
pub fn schedule_status_in(root: &Component, key: &str) -> Option<String> {
    root.components
        .iter()
        .filter(|c| is_scheduled(c))
        .flat_map(|c| c.properties.iter())
        .find(|p| is_attendee(p, key))
        .and_then(|p| p.param("SCHEDULE-STATUS").map(str::to_owned))
}

/// The scheduled components of `root` by RECURRENCE-ID key (None: the master), the first
/// of each: built once, so a meeting with thousands of overridden instances is matched in
/// linear time.
fn by_recurrence(root: &Component) -> HashMap<Option<String>, &Component> {
    let mut out = HashMap::new();
    for c in root.components.iter().filter(|c| is_scheduled(c)) {
        out.entry(recurrence_key(c)).or_insert(c);
    }
    out
}

/// The components of `root` with these RECURRENCE-ID keys, in their order (unknown keys
/// left out).
pub fn components_for<'a>(root: &'a Component, rids: &[Option<String>]) -> Vec<&'a Component> {
    let parts = by_recurrence(root);
    rids.iter()
        .filter_map(|rid| parts.get(rid).copied())
        .collect()
}

/// The component of `root` with this RECURRENCE-ID key (None: the master).
pub fn component_for<'a>(root: &'a Component, rid: Option<&str>) -> Option<&'a Component> {
    root.components
        .iter()
        .filter(|c| is_scheduled(c))
        .find(|c| recurrence_key(c).as_deref() == rid)
}

/// Attendee `key`'s copy of the organizer's `org` (RFC 6638 §3.2.4): the organizer's
/// meeting with the server's parameters removed and without the organizer's alarms; from
/// the attendee's `previous` copy, per component (by RECURRENCE-ID), their own PARTSTAT,
/// VALARMs and TRANSP, and the overridden instances only they have (replies to single
/// occurrences). A new attendee's PARTSTAT is the organizer's, or NEEDS-ACTION.
pub fn attendee_copy(org: &Component, key: &str, previous: Option<&Component>) -> Component {
    let mut out = org.clone();
    out.properties.retain(|p| p.name != "METHOD");
    let previous_parts = previous.map(by_recurrence).unwrap_or_default();
    let previous_master = previous_parts.get(&None).copied();
    for c in out.components.iter_mut().filter(|c| is_scheduled(c)) {
        let rid = recurrence_key(c);
        let mine = previous_parts.get(&rid).copied();
        let partstat = mine.or(previous_master).and_then(|m| partstat_in(m, key));
        c.components.retain(|sub| sub.name != "VALARM");
        c.properties.retain(|p| p.name != "TRANSP");
        for p in c.properties.iter_mut().filter(|p| is_party(p)) {
            let mut changed = without_params(p.clone(), SERVER_PARAMS);
            if is_attendee(&changed, key) {
                let wanted = partstat
                    .clone()
                    .or_else(|| changed.param("PARTSTAT").map(str::to_owned))
                    .unwrap_or_else(|| "NEEDS-ACTION".into());
                if changed.param("PARTSTAT") != Some(wanted.as_str()) {
                    changed = with_param(changed, "PARTSTAT", &wanted);
                }
            }
            *p = changed;
        }
        if let Some(mine) = mine {
            c.properties.extend(
                mine.properties
                    .iter()
                    .filter(|p| p.name == "TRANSP")
                    .cloned(),
            );
            c.components.extend(
                mine.components
                    .iter()
                    .filter(|s| s.name == "VALARM")
                    .cloned(),
            );
        }
    }
    if let Some(previous) = previous {
        let organizers = by_recurrence(org);
        let theirs_only: Vec<Component> = previous
            .components
            .iter()
            .filter(|c| is_scheduled(c))
            .filter(|c| {
                let rid = recurrence_key(c);
                rid.is_some() && !organizers.contains_key(&rid)
            })
            .cloned()
            .collect();
        out.components.extend(theirs_only);
    }
    out
}

/// Every scheduled component marked STATUS:CANCELLED (RFC 5546 §3.2.5).
pub fn cancelled(copy: &Component) -> Component {
    let mut out = copy.clone();
    out.properties.retain(|p| p.name != "METHOD");
    for c in out.components.iter_mut().filter(|c| is_scheduled(c)) {
        set_property(c, "STATUS", "CANCELLED");
    }
    out
}

/// The organizer's copy with attendee `key`'s PARTSTAT from each component of `reply`
/// (RFC 5546 §3.2.3, RFC 6638 §3.2.2.2): set on their ATTENDEE in the component with the
/// same RECURRENCE-ID; a reply to an instance the organizer has not overridden becomes an
/// override made from the master at the reply's instance times. None when nothing changes
/// (the attendee is not invited, or had already answered so).
pub fn with_reply(org: &Component, key: &str, reply: &[&Component]) -> Option<Component> {
    let mut out = org.clone();
    let mut changed = false;
    let master = component_for(org, None).cloned();
    let mut at: HashMap<Option<String>, usize> = HashMap::new();
    for (i, c) in out
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| is_scheduled(c))
    {
        at.entry(recurrence_key(c)).or_insert(i);
    }
    for answer in reply {
        let Some(partstat) = partstat_in(answer, key) else {
            continue;
        };
        let rid = recurrence_key(answer);
        let index = match at.get(&rid) {
            Some(i) => *i,
            None => {
                let Some(derived) = override_from_master(master.as_ref(), answer) else {
                    continue;
                };
                out.components.push(derived);
                at.insert(rid, out.components.len() - 1);
                out.components.len() - 1
            }
        };
        let c = &mut out.components[index];
        for p in c.properties.iter_mut().filter(|p| is_attendee(p, key)) {
            if p.param("PARTSTAT").map(str::to_ascii_uppercase).as_deref() != Some(&partstat) {
                *p = with_param(p.clone(), "PARTSTAT", &partstat);
                changed = true;
            }
        }
    }
    changed.then_some(out)
}

/// An overridden instance made from the master for a reply to one occurrence: the master's
/// properties without the series rules, at the instance's RECURRENCE-ID and times.
fn override_from_master(master: Option<&Component>, answer: &Component) -> Option<Component> {
    let rid = answer.property("RECURRENCE-ID")?;
    let master = master?;
    let mut derived = master.clone();
    derived.components.clear();
    derived.properties.retain(|p| {
        !matches!(
            p.name.as_str(),
            "RRULE" | "RDATE" | "EXDATE" | "EXRULE" | "DTSTART" | "DTEND" | "DURATION"
        )
    });
    derived.properties.push(rid.clone());
    let start = answer.property("DTSTART").cloned().unwrap_or_else(|| {
        rebuilt(Property {
            name: "DTSTART".into(),
            ..rid.clone()
        })
    });
    derived.properties.push(start);
    derived.properties.extend(
        answer
            .properties
            .iter()
            .filter(|p| p.name == "DTEND" || p.name == "DURATION")
            .cloned(),
    );
    Some(derived)
}

/// RFC 6638 §3.2.10, §8.3: the organizer's client wrote over the copy it read, whose
/// Schedule-Tag still holds; the answers recorded since (a reply changes no tag) are kept:
/// each attendee's PARTSTAT from `stored`, per component (but for attendees `own` says are
/// the organizer's own), and the overridden instances that only record replies.
pub fn with_stored_partstats(
    new: &Component,
    stored: &Component,
    own: impl Fn(&str) -> bool,
) -> Component {
    let mut out = new.clone();
    let stored_parts = by_recurrence(stored);
    for c in out.components.iter_mut().filter(|c| is_scheduled(c)) {
        let Some(recorded) = stored_parts.get(&recurrence_key(c)).copied() else {
            continue;
        };
        for p in c.properties.iter_mut().filter(|p| p.name == "ATTENDEE") {
            let key = address_key(&p.value);
            if own(&key) {
                continue;
            }
            if let Some(partstat) = partstat_in(recorded, &key) {
                let now = p.param("PARTSTAT").map(str::to_ascii_uppercase);
                if now.as_deref() != Some(partstat.as_str()) {
                    *p = with_param(p.clone(), "PARTSTAT", &partstat);
                }
            }
        }
    }
    // Such an instance is made again from the new master (the organizer may have renamed
    // the meeting), with the answers it recorded.
    let present = by_recurrence(new);
    let new_master = present.get(&None).copied();
    let replies_only: Vec<Component> = stored
        .components
        .iter()
        .filter(|c| is_scheduled(c))
        .filter(|c| !present.contains_key(&recurrence_key(c)))
        .filter(|c| super::tag::records_replies_only(stored, c))
        .filter_map(|recorded| {
            let mut derived = override_from_master(new_master, recorded)?;
            for p in derived
                .properties
                .iter_mut()
                .filter(|p| p.name == "ATTENDEE")
            {
                if let Some(partstat) = partstat_in(recorded, &address_key(&p.value)) {
                    *p = with_param(p.clone(), "PARTSTAT", &partstat);
                }
            }
            Some(derived)
        })
        .collect();
    out.components.extend(replies_only);
    out
}

/// The components of `new` in which attendee `key`'s PARTSTAT differs from `old`'s (the
/// same RECURRENCE-ID, else `old`'s master): what an attendee's PUT replies to.
pub fn changed_partstats<'a>(old: &Component, new: &'a Component, key: &str) -> Vec<&'a Component> {
    let old_parts = by_recurrence(old);
    let old_master = old_parts.get(&None).copied();
    new.components
        .iter()
        .filter(|c| is_scheduled(c))
        .filter(|c| {
            let Some(now) = partstat_in(c, key) else {
                return false;
            };
            let before = old_parts
                .get(&recurrence_key(c))
                .copied()
                .or(old_master)
                .and_then(|o| partstat_in(o, key));
            before.as_deref() != Some(now.as_str())
        })
        .collect()
}

/// Every scheduled component with attendee `key`'s PARTSTAT set to `partstat`.
pub fn with_partstat(root: &Component, key: &str, partstat: &str) -> Component {
    let mut out = root.clone();
    for c in out.components.iter_mut().filter(|c| is_scheduled(c)) {
        for p in c.properties.iter_mut().filter(|p| is_attendee(p, key)) {
            *p = with_param(p.clone(), "PARTSTAT", partstat);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::itip::write::calendar;
    use crate::parse;

    const BOB: &str = "mailto:bob@example.org";
    const ORG: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m\r\n\
        DTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n\
        ORGANIZER:mailto:ann@example.org\r\n\
        ATTENDEE;PARTSTAT=NEEDS-ACTION;SCHEDULE-FORCE-SEND=REQUEST:mailto:bob@example.org\r\n\
        BEGIN:VALARM\r\nTRIGGER:-PT1H\r\nACTION:DISPLAY\r\nEND:VALARM\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn the_organizers_copy_gets_statuses_and_loses_force_send() {
        let copy = organizer_copy(&parse(ORG).unwrap(), |k| {
            (k == BOB).then(|| "1.2".to_string())
        });
        let text = calendar(&copy);
        assert!(text.contains("ATTENDEE;PARTSTAT=NEEDS-ACTION;SCHEDULE-STATUS=1.2:mailto:bob"));
        assert!(!text.contains("FORCE-SEND"));
    }

    #[test]
    fn an_update_keeps_the_attendees_partstat_alarm_and_single_replies() {
        let org = parse(ORG).unwrap();
        let first = attendee_copy(&org, BOB, None);
        let text = calendar(&first);
        assert!(!text.contains("VALARM"), "the organizer's alarm is theirs");
        assert!(text.contains("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob"));
        // Bob accepts, sets an alarm and declines the second week.
        let bobs = text
            .replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
            .replacen(
                "END:VEVENT",
                "BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nACTION:AUDIO\r\nEND:VALARM\r\nEND:VEVENT",
                1,
            )
            .replace(
                "END:VCALENDAR",
                "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID:20261208T100000Z\r\n\
                 DTSTART:20261208T100000Z\r\nDTEND:20261208T110000Z\r\n\
                 ORGANIZER:mailto:ann@example.org\r\n\
                 ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR",
            );
        let bobs = parse(&bobs).unwrap();
        let moved = parse(
            &ORG.replace("T100000Z", "T140000Z")
                .replace("T110000Z", "T150000Z"),
        )
        .unwrap();
        let update = calendar(&attendee_copy(&moved, BOB, Some(&bobs)));
        assert!(update.contains("DTSTART:20261201T140000Z"));
        assert!(update.contains("ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob"));
        assert!(update.contains("TRIGGER:-PT5M") && !update.contains("TRIGGER:-PT1H"));
        assert!(update.contains("RECURRENCE-ID:20261208T100000Z"));
        // The reply to one occurrence reaches the organizer's copy as an override.
        let changed = changed_partstats(&first, &bobs, BOB);
        assert_eq!(changed.len(), 2);
        let recorded = with_reply(&org, BOB, &changed).unwrap();
        let text = calendar(&recorded);
        assert!(text.contains("ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-FORCE-SEND=REQUEST:mailto:bob"));
        let instance = component_for(&recorded, Some("20261208T100000Z")).unwrap();
        assert_eq!(partstat_in(instance, BOB).as_deref(), Some("DECLINED"));
        assert!(instance.property("RRULE").is_none());
        assert_eq!(with_reply(&recorded, BOB, &changed), None, "nothing new");
    }

    #[test]
    fn a_cancelled_copy_says_so_once() {
        let text = calendar(&cancelled(&parse(ORG).unwrap()));
        assert_eq!(text.matches("STATUS:CANCELLED").count(), 1);
    }

    #[test]
    fn thousands_of_overridden_instances_cost_linear_time() {
        // Issue 23 §6: a daily meeting over ten years, every instance overridden.
        let mut text = ORG.replace("COUNT=4", "COUNT=3650");
        let mut overrides = String::new();
        for day in 0..3000 {
            let rid = format!("2026{:02}{:02}T100000Z", 1 + (day / 28) % 12, 1 + day % 28);
            overrides.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID:{rid}-{day}\r\nDTSTART:{rid}\r\n\
                 ORGANIZER:mailto:ann@example.org\r\n\
                 ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\nEND:VEVENT\r\n"
            ));
        }
        text = text.replace("END:VCALENDAR", &format!("{overrides}END:VCALENDAR"));
        let org = parse(&text).unwrap();
        let started = std::time::Instant::now();
        let copy = attendee_copy(&org, BOB, None);
        let accepted = with_partstat(&copy, BOB, "ACCEPTED");
        let changed = changed_partstats(&copy, &accepted, BOB);
        assert_eq!(changed.len(), 3001);
        let recorded = with_reply(&org, BOB, &changed).unwrap();
        let again = attendee_copy(&recorded, BOB, Some(&accepted));
        let _ = crate::itip::tag::organizer_content(&again);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }
}
