//! File names the window picks on its own: `<prefix>-<UTC date and time>.<ext>` in the
//! current folder (screenshots, recordings, saved runs).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// `netviz-run-<lab>-<UTC date and time>.nvrun` in the current folder (File > Save run).
pub fn run_path(lab: &str) -> PathBuf {
    timestamped_path(&format!("netviz-run-{lab}"), "nvrun")
}

/// `<prefix>-<UTC date and time>.<ext>`, with `-2`, `-3`, ... if that file exists.
pub fn timestamped_path(prefix: &str, ext: &str) -> PathBuf {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stem = format!("{prefix}-{}", utc_timestamp(secs));
    let mut path = PathBuf::from(format!("{stem}.{ext}"));
    let mut n = 2;
    while path.exists() {
        path = PathBuf::from(format!("{stem}-{n}.{ext}"));
        n += 1;
    }
    path
}

/// `YYYYMMDD-HHMMSS` (UTC) of a Unix time.
fn utc_timestamp(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs_of_day = unix_secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(0), "19700101-000000");
        assert_eq!(utc_timestamp(951_782_400), "20000229-000000");
        assert_eq!(utc_timestamp(1_735_689_599), "20241231-235959");
        assert_eq!(utc_timestamp(1_735_689_600), "20250101-000000");
    }
}
