//! `strftime(3)` in the C locale, for the access log's `%{format}t` and mod_autoindex's
//! "Last modified" column (`apr_strftime` hands the format to the C library; this is the
//! same output for glibc's conversions without flags or widths). Pure: the caller supplies
//! the instant, its UTC offset and the zone's abbreviation.

use crate::http::date::civil_from_unix;
use crate::http::response::push_u64;

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A broken-down time, as `struct tm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tm<'z> {
    /// Unix seconds of the instant (`%s`).
    pub epoch: i64,
    pub year: i64,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 0 = 1 January.
    pub yday: u32,
    /// Seconds east of UTC (`%z`).
    pub utc_offset: i64,
    /// The zone's abbreviation (`%Z`).
    pub zone: &'z str,
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

impl<'z> Tm<'z> {
    /// `epoch` seen in a zone `utc_offset` seconds east of UTC named `zone`.
    pub fn at(epoch: i64, utc_offset: i64, zone: &'z str) -> Tm<'z> {
        let local = epoch + utc_offset;
        let c = civil_from_unix(local);
        let days = local.div_euclid(86_400);
        const CUMULATIVE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let leap_day = u32::from(c.month > 2 && is_leap(c.year));
        Tm {
            epoch,
            year: c.year,
            month: c.month,
            day: c.day,
            hour: c.hour,
            minute: c.minute,
            second: c.second,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday: CUMULATIVE[c.month as usize - 1] + c.day - 1 + leap_day,
            utc_offset,
            zone,
        }
    }

    /// ISO 8601 week-based year and week number (`%G`, `%V`).
    fn iso_week(&self) -> (i64, u32) {
        let wday = i64::from((self.weekday + 6) % 7); // Monday = 0
        let week = (i64::from(self.yday) - wday + 10) / 7;
        // A year has 53 weeks when it starts on a Thursday, or ends on one.
        let p =
            |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
        let weeks_in = |y: i64| if p(y) == 4 || p(y - 1) == 3 { 53 } else { 52 };
        if week < 1 {
            (self.year - 1, weeks_in(self.year - 1) as u32)
        } else if week > weeks_in(self.year) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }
}

fn pad(out: &mut Vec<u8>, v: i64, width: usize, fill: u8) {
    let start = out.len();
    if v < 0 {
        out.push(b'-');
    }
    let digits = out.len();
    push_u64(out, v.unsigned_abs());
    let len = out.len() - digits;
    if len < width {
        out.splice(digits..digits, std::iter::repeat_n(fill, width - len));
    }
    let _ = start;
}

/// Appends `fmt` formatted for `t`. Unknown conversions are copied as written.
pub fn strftime(out: &mut Vec<u8>, fmt: &[u8], t: &Tm<'_>) {
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' || i + 1 == fmt.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let conv = fmt[i + 1];
        i += 2;
        let h12 = if t.hour.is_multiple_of(12) {
            12
        } else {
            t.hour % 12
        };
        match conv {
            b'a' => out.extend_from_slice(&DAYS[t.weekday as usize].as_bytes()[..3]),
            b'A' => out.extend_from_slice(DAYS[t.weekday as usize].as_bytes()),
            b'b' | b'h' => out.extend_from_slice(&MONTHS[t.month as usize - 1].as_bytes()[..3]),
            b'B' => out.extend_from_slice(MONTHS[t.month as usize - 1].as_bytes()),
            b'c' => strftime(out, b"%a %b %e %H:%M:%S %Y", t),
            b'C' => pad(out, t.year.div_euclid(100), 2, b'0'),
            b'd' => pad(out, i64::from(t.day), 2, b'0'),
            b'D' | b'x' => strftime(out, b"%m/%d/%y", t),
            b'e' => pad(out, i64::from(t.day), 2, b' '),
            b'F' => strftime(out, b"%Y-%m-%d", t),
            b'g' => pad(out, t.iso_week().0.rem_euclid(100), 2, b'0'),
            b'G' => pad(out, t.iso_week().0, 1, b'0'),
            b'H' => pad(out, i64::from(t.hour), 2, b'0'),
            b'I' => pad(out, i64::from(h12), 2, b'0'),
            b'j' => pad(out, i64::from(t.yday) + 1, 3, b'0'),
            b'k' => pad(out, i64::from(t.hour), 2, b' '),
            b'l' => pad(out, i64::from(h12), 2, b' '),
            b'm' => pad(out, i64::from(t.month), 2, b'0'),
            b'M' => pad(out, i64::from(t.minute), 2, b'0'),
            b'n' => out.push(b'\n'),
            b'p' => out.extend_from_slice(if t.hour < 12 { b"AM" } else { b"PM" }),
            b'P' => out.extend_from_slice(if t.hour < 12 { b"am" } else { b"pm" }),
            b'r' => strftime(out, b"%I:%M:%S %p", t),
            b'R' => strftime(out, b"%H:%M", t),
            b's' => pad(out, t.epoch, 1, b'0'),
            b'S' => pad(out, i64::from(t.second), 2, b'0'),
            b't' => out.push(b'\t'),
            b'T' | b'X' => strftime(out, b"%H:%M:%S", t),
            b'u' => pad(
                out,
                i64::from(if t.weekday == 0 { 7 } else { t.weekday }),
                1,
                b'0',
            ),
            b'U' => pad(out, i64::from((t.yday + 7 - t.weekday) / 7), 2, b'0'),
            b'V' => pad(out, i64::from(t.iso_week().1), 2, b'0'),
            b'w' => pad(out, i64::from(t.weekday), 1, b'0'),
            b'W' => pad(
                out,
                i64::from((t.yday + 7 - (t.weekday + 6) % 7) / 7),
                2,
                b'0',
            ),
            b'y' => pad(out, t.year.rem_euclid(100), 2, b'0'),
            b'Y' => pad(out, t.year, 1, b'0'),
            b'z' => {
                let off = t.utc_offset.unsigned_abs() / 60;
                out.push(if t.utc_offset < 0 { b'-' } else { b'+' });
                pad(out, (off / 60 * 100 + off % 60) as i64, 4, b'0');
            }
            b'Z' => out.extend_from_slice(t.zone.as_bytes()),
            b'%' => out.push(b'%'),
            other => {
                out.push(b'%');
                out.push(other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(f: &str, t: &Tm<'_>) -> String {
        let mut out = Vec::new();
        strftime(&mut out, f.as_bytes(), t);
        String::from_utf8(out).unwrap()
    }

    /// Expected strings from glibc's `date -u -d @1795251456 +...` (and TZ for offsets).
    #[test]
    fn conversions_table() {
        let t = Tm::at(1_795_251_456, 0, "UTC"); // Sat 2026-11-21 08:57:36 UTC
        let cases: &[(&str, &str)] = &[
            ("%Y-%m-%d %H:%M:%S", "2026-11-21 08:57:36"),
            ("%Y-%m-%d %H:%M", "2026-11-21 08:57"),
            ("%a %A %b %B %h", "Sat Saturday Nov November Nov"),
            ("%c", "Sat Nov 21 08:57:36 2026"),
            ("%C %y %G %g", "20 26 2026 26"),
            ("%D|%x|%F", "11/21/26|11/21/26|2026-11-21"),
            ("%e|%k|%l|%I", "21| 8| 8|08"),
            ("%j %U %W %V %u %w", "325 46 46 47 6 6"),
            (
                "%p %P %r %R %T %X",
                "AM am 08:57:36 AM 08:57 08:57:36 08:57:36",
            ),
            ("%s", "1795251456"),
            ("%z %Z", "+0000 UTC"),
            ("%n%t%%", "\n\t%"),
            ("%Q %", "%Q %"),
            ("plain", "plain"),
        ];
        for &(f, want) in cases {
            assert_eq!(fmt(f, &t), want, "{f}");
        }
        let ny = Tm::at(1_795_251_456, -5 * 3600, "EST");
        assert_eq!(fmt("%H:%M %z %Z", &ny), "03:57 -0500 EST");
        let india = Tm::at(1_795_251_456, 5 * 3600 + 1800, "IST");
        assert_eq!(fmt("%H:%M %z", &india), "14:27 +0530");
        // ISO weeks around the turn of a year: 2021-01-03 is in 2020's week 53; 2024-12-30
        // is in 2025's week 1; 2020-12-31 (leap year) yday 365.
        let jan3 = Tm::at(1_609_632_000, 0, "UTC");
        assert_eq!(fmt("%G-W%V %j %U %W", &jan3), "2020-W53 003 01 00");
        let dec30 = Tm::at(1_735_516_800, 0, "UTC");
        assert_eq!(fmt("%G-W%V %a", &dec30), "2025-W01 Mon");
        let dec31 = Tm::at(1_609_372_800, 0, "UTC");
        assert_eq!(fmt("%j %a", &dec31), "366 Thu");
        let noon = Tm::at(1_795_262_400, 0, "UTC");
        assert_eq!(fmt("%I %l %p", &noon), "12 12 PM");
        let midnight = Tm::at(1_795_219_200, 0, "UTC");
        assert_eq!(fmt("%I %p", &midnight), "12 AM");
    }
}
