//! The iCalendar parser and the validator a PUT runs (with the instance index it builds),
//! and the splitting of a whole exported calendar that an import runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// RFC 4791 §5.2.6-5.2.7 limits as the server defaults them (1900 to 2200).
const LIMITS: ical::ValidationLimits = ical::ValidationLimits {
    min_date_time: -2_208_988_800,
    max_date_time: 7_258_118_400,
};

const INDEX: ical::IndexLimits = ical::IndexLimits {
    horizon: 2_500_000_000,
    max_instances: 5_000,
    max_span: 400 * 86_400,
};

fuzz_target!(|data: &[u8]| {
    let _ = ical::analyze_and_index(data, &LIMITS, Some(&INDEX));
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(root) = ical::parse(text) {
            let _ = ical::event_index(&root, &INDEX);
        }
        let _ = ical::split_calendar(text);
    }
});
