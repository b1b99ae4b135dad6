//! Local time for log lines (`localtime_r`), which std does not offer.

/// Broken-down local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: u32,
    /// Seconds east of UTC.
    pub utc_offset: i64,
    /// The zone's abbreviation (`tm_zone`, e.g. `CET`), NUL-padded.
    zone: [u8; 16],
}

impl LocalTime {
    /// The zone's abbreviation (`UTC`, `CEST`, ...).
    pub fn zone(&self) -> &str {
        let len = self
            .zone
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.zone.len());
        std::str::from_utf8(&self.zone[..len]).unwrap_or("")
    }
}

fn zone_bytes(name: &[u8]) -> [u8; 16] {
    let mut z = [0u8; 16];
    let n = name.len().min(15);
    z[..n].copy_from_slice(&name[..n]);
    z
}

/// Converts seconds since the epoch to local time (the TZ environment or /etc/localtime).
pub fn local_time(epoch_secs: i64) -> LocalTime {
    let t: libc::time_t = epoch_secs as libc::time_t;
    // SAFETY: `tm` is plain old data that localtime_r fully initialises on success; both
    // pointers are valid for the duration of the call and localtime_r is thread-safe. A
    // non-null tm_zone is a NUL-terminated string the C library keeps alive.
    let (tm, zone) = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return utc(epoch_secs);
        }
        // tm_zone points into the C library's static zone names (or is null).
        let zone = if tm.tm_zone.is_null() {
            [0u8; 16]
        } else {
            zone_bytes(std::ffi::CStr::from_ptr(tm.tm_zone).to_bytes())
        };
        (tm, zone)
    };
    LocalTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        weekday: tm.tm_wday as u32,
        utc_offset: tm.tm_gmtoff,
        zone,
    }
}

/// Seconds since the epoch as UTC (also the fallback when `localtime_r` fails).
pub fn utc(epoch_secs: i64) -> LocalTime {
    let c = crate::http::date::civil_from_unix(epoch_secs);
    LocalTime {
        year: c.year as i32,
        month: c.month,
        day: c.day,
        hour: c.hour,
        minute: c.minute,
        second: c.second,
        weekday: c.weekday(),
        utc_offset: 0,
        zone: zone_bytes(b"UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_fallback_matches_known_dates() {
        let t = utc(0);
        assert_eq!((t.year, t.month, t.day, t.weekday), (1970, 1, 1, 4));
        let t = utc(1_795_248_960); // 2026-11-21 08:16:00 UTC, a Saturday
        assert_eq!((t.year, t.month, t.day), (2026, 11, 21));
        assert_eq!((t.hour, t.minute, t.second, t.weekday), (8, 16, 0, 6));
    }

    #[test]
    fn zone_has_a_name() {
        let t = local_time(1_795_251_360);
        assert!(
            !t.zone().is_empty() && t.zone().len() < 16,
            "{:?}",
            t.zone()
        );
        assert_eq!(utc(0).zone(), "UTC");
    }

    #[test]
    fn local_time_agrees_with_its_offset() {
        let now = 1_795_251_360;
        let local = local_time(now);
        let back = utc(now + local.utc_offset);
        assert_eq!(
            (back.year, back.month, back.day),
            (local.year, local.month, local.day)
        );
        assert_eq!((back.hour, back.minute), (local.hour, local.minute));
    }
}
