//! Date formatting for headers (`Date`, `Last-Modified`) and the access log's `%t`.
//!
//! Pure arithmetic over Unix seconds: no allocation, no clock reads (callers pass `now`), so
//! the per-second caches built on it are trivially testable. Parsing dates (If-Modified-Since)
//! is left to the `httpdate` crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Broken-down UTC (or offset-adjusted) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Thursday (1970-01-01 was a Thursday); index into `DAYS`.
    weekday_from_thu: u32,
}

/// Converts Unix seconds to a civil date (proleptic Gregorian), H. Hinnant's algorithm.
pub fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem / 60 % 60,
        second: rem % 60,
        weekday_from_thu: days.rem_euclid(7) as u32,
    }
}

impl Civil {
    /// Day of the week, 0 = Sunday (`struct tm`'s `tm_wday`).
    pub fn weekday(&self) -> u32 {
        (self.weekday_from_thu + 4) % 7
    }
}

fn two(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), always 29 bytes.
pub fn http_date(secs: i64) -> [u8; 29] {
    let c = civil_from_unix(secs);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[c.weekday_from_thu as usize]);
    two(&mut out[5..7], c.day);
    out[8..11].copy_from_slice(MONTHS[c.month as usize - 1]);
    let y = c.year.clamp(0, 9999) as u32;
    two(&mut out[12..14], y / 100);
    two(&mut out[14..16], y % 100);
    two(&mut out[17..19], c.hour);
    two(&mut out[20..22], c.minute);
    two(&mut out[23..25], c.second);
    out
}

/// Appends the Common Log Format time `[10/Oct/2000:13:55:36 -0700]` for `secs` (UTC) shown in
/// a zone `offset_secs` east of UTC.
pub fn push_clf_time(out: &mut Vec<u8>, secs: i64, offset_secs: i32) {
    let c = civil_from_unix(secs + i64::from(offset_secs));
    let mut b = *b"[01/Jan/1970:00:00:00 +0000]";
    two(&mut b[1..3], c.day);
    b[4..7].copy_from_slice(MONTHS[c.month as usize - 1]);
    let y = c.year.clamp(0, 9999) as u32;
    two(&mut b[8..10], y / 100);
    two(&mut b[10..12], y % 100);
    two(&mut b[13..15], c.hour);
    two(&mut b[16..18], c.minute);
    two(&mut b[19..21], c.second);
    let off = offset_secs.unsigned_abs() / 60;
    b[22] = if offset_secs < 0 { b'-' } else { b'+' };
    two(&mut b[23..25], off / 60);
    two(&mut b[25..27], off % 60);
    out.extend_from_slice(&b);
}

/// Unix time of `t` in whole seconds (negative before 1970).
pub fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

/// Unix time of `t` in microseconds (Apache's `apr_time_t`).
pub fn unix_micros(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}

/// `UNIX_EPOCH + secs`, saturating at the epoch for negative values.
pub fn system_time_from_secs(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64)
}

/// The formatted `Date` value, recomputed only when the second changes.
#[derive(Debug, Clone)]
pub struct DateCache {
    secs: i64,
    value: [u8; 29],
}

impl Default for DateCache {
    fn default() -> Self {
        DateCache {
            secs: 0,
            value: http_date(0),
        }
    }
}

impl DateCache {
    /// The IMF-fixdate for `now_secs`.
    pub fn get(&mut self, now_secs: i64) -> &[u8; 29] {
        if now_secs != self.secs {
            self.secs = now_secs;
            self.value = http_date(now_secs);
        }
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date_matches_httpdate_crate() {
        for secs in [
            0i64,
            784_111_777,
            951_782_400,
            1_700_000_000,
            4_102_444_800,
            253_402_300_799,
        ] {
            let ours = http_date(secs);
            let theirs = httpdate::fmt_http_date(system_time_from_secs(secs));
            assert_eq!(std::str::from_utf8(&ours).unwrap(), theirs, "{secs}");
        }
    }

    #[test]
    fn clf_time_cases() {
        let cases: &[(i64, i32, &str)] = &[
            (0, 0, "[01/Jan/1970:00:00:00 +0000]"),
            (971_211_336, -7 * 3600, "[10/Oct/2000:13:55:36 -0700]"),
            (1_795_248_960, 0, "[21/Nov/2026:08:16:00 +0000]"),
            (1_795_248_960, 3600 + 1800, "[21/Nov/2026:09:46:00 +0130]"),
            (951_782_400, 0, "[29/Feb/2000:00:00:00 +0000]"),
        ];
        for &(secs, off, want) in cases {
            let mut out = Vec::new();
            push_clf_time(&mut out, secs, off);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{secs} {off}");
        }
    }

    #[test]
    fn date_cache_reformats_on_new_second() {
        let mut c = DateCache::default();
        assert_eq!(c.get(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(c.get(784_111_778), b"Sun, 06 Nov 1994 08:49:38 GMT");
    }

    #[test]
    fn unix_conversions() {
        let t = UNIX_EPOCH + Duration::from_micros(1_500_000);
        assert_eq!(unix_secs(t), 1);
        assert_eq!(unix_micros(t), 1_500_000);
    }
}
