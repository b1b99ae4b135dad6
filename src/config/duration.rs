//! Durations as written in the file: an integer in the directive's Apache unit (seconds, or
//! milliseconds for `acquire`), or a string with a unit (`"250ms"`, `"5s"`, `"2m"`, `"1h"`).
//! Pure parsing; whether zero is allowed is the caller's decision.

use std::time::Duration;

use super::lenient::DurationValue;

/// The unit a bare integer is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Millis => "milliseconds",
        }
    }

    fn of(self, count: u64) -> Duration {
        match self {
            Unit::Seconds => Duration::from_secs(count),
            Unit::Millis => Duration::from_millis(count),
        }
    }
}

/// Parses a duration, or says why not (the text follows `invalid value for "KEY": `).
pub fn parse_duration(value: &DurationValue, unit: Unit) -> Result<Duration, String> {
    let expected = || {
        format!(
            "expected an integer in {}, or a number with a unit: \"250ms\", \"5s\", \"2m\", \"1h\"",
            unit.name()
        )
    };
    match value {
        DurationValue::Count(n) => u64::try_from(*n)
            .map(|n| unit.of(n))
            .map_err(|_| format!("{n} is negative ({})", expected())),
        DurationValue::Text(text) => {
            let trimmed = text.trim();
            let digits_end = trimmed
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(trimmed.len());
            let (digits, suffix) = trimmed.split_at(digits_end);
            let count: Option<u64> = digits.parse().ok();
            let parsed = count.and_then(|n| match suffix.trim() {
                "" => Some(unit.of(n)),
                "ms" => Some(Duration::from_millis(n)),
                "s" => Some(Duration::from_secs(n)),
                "m" => n.checked_mul(60).map(Duration::from_secs),
                "h" => n.checked_mul(3600).map(Duration::from_secs),
                _ => None,
            });
            parsed.ok_or_else(|| format!("\"{text}\" is not a duration ({})", expected()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> DurationValue {
        DurationValue::Text(s.to_owned())
    }

    #[test]
    fn accepted() {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        for (value, unit, expected) in [
            (DurationValue::Count(5), Unit::Seconds, s(5)),
            (DurationValue::Count(0), Unit::Seconds, s(0)),
            (DurationValue::Count(250), Unit::Millis, ms(250)),
            (text("250ms"), Unit::Seconds, ms(250)),
            (text("5s"), Unit::Seconds, s(5)),
            (text("5s"), Unit::Millis, s(5)),
            (text("2m"), Unit::Seconds, s(120)),
            (text("1h"), Unit::Seconds, s(3600)),
            (text("7"), Unit::Seconds, s(7)),
            (text("7"), Unit::Millis, ms(7)),
            (text(" 3 s "), Unit::Seconds, s(3)),
        ] {
            assert_eq!(parse_duration(&value, unit), Ok(expected), "{value:?}");
        }
    }

    #[test]
    fn rejected() {
        for (value, message) in [
            (
                DurationValue::Count(-1),
                "-1 is negative (expected an integer in seconds",
            ),
            (
                text("5x"),
                "\"5x\" is not a duration (expected an integer in seconds",
            ),
            (text("ms"), "\"ms\" is not a duration"),
            (text(""), "\"\" is not a duration"),
            (text("1.5s"), "\"1.5s\" is not a duration"),
            (text("-5s"), "\"-5s\" is not a duration"),
        ] {
            let error = parse_duration(&value, Unit::Seconds).unwrap_err();
            assert!(error.starts_with(message), "{value:?}: {error}");
        }
        let error = parse_duration(&DurationValue::Count(-2), Unit::Millis).unwrap_err();
        assert!(error.contains("in milliseconds"), "{error}");
    }
}
