//! Time in the local cloud: a timestamp type that travels as epoch seconds,
//! and a clock that is the system's by default or set by hand in tests.
//!
//! Everything in the local cloud that needs the time asks the [`Clock`] it
//! was started with, so a test (and later the deployment engine's tests) can
//! hold time still or move it forward exactly.

use std::fmt;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time with millisecond precision. It is written, on the wire
/// and on disk, as seconds since the Unix epoch: a JSON number with a
/// fraction, as CodeDeploy's `awsJson1_1` protocol sends timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    /// The timestamp `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self { millis }
    }

    /// The timestamp `seconds` whole seconds after the Unix epoch.
    pub const fn from_secs(seconds: i64) -> Self {
        Self {
            millis: seconds * 1000,
        }
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    /// Seconds since the Unix epoch, with the milliseconds as a fraction.
    pub fn as_secs_f64(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// The timestamp in ISO 8601 form with milliseconds, in UTC, as the
    /// XML protocols write times: `2024-05-01T12:00:00.000Z`. A timestamp
    /// outside the years 1 to 9999 is written as the nearest one inside.
    pub fn to_iso8601(self) -> String {
        const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        let nanos = i128::from(self.millis) * 1_000_000;
        let time = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(if nanos < 0 {
            time::PrimitiveDateTime::MIN.assume_utc()
        } else {
            time::PrimitiveDateTime::MAX.assume_utc()
        });
        // Formatting a date in range into a string cannot fail.
        time.format(FORMAT).unwrap_or_default()
    }

    /// This timestamp moved `millis` milliseconds later (earlier if negative).
    #[must_use]
    pub const fn plus_millis(self, millis: i64) -> Self {
        Self {
            millis: self.millis.saturating_add(millis),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}", self.as_secs_f64())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_secs_f64())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        if !seconds.is_finite() {
            return Err(serde::de::Error::custom(
                "a timestamp must be a finite number of seconds",
            ));
        }
        Ok(Self::from_millis((seconds * 1000.0).round() as i64))
    }
}

/// Where the local cloud gets the time from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The computer's own clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // A system clock set before 1970 reads as the epoch itself.
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            });
        Timestamp::from_millis(millis)
    }
}

/// A clock that only moves when told to, for tests and for driving the
/// local cloud step by step.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Sets the time to `now`.
    pub fn set(&self, now: Timestamp) {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = now;
    }

    /// Moves the time forward by `millis` milliseconds.
    pub fn advance_millis(&self, millis: i64) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now = now.plus_millis(millis);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_travel_as_fractional_epoch_seconds() {
        let stamp = Timestamp::from_millis(1_700_000_000_250);
        assert_eq!(serde_json::to_string(&stamp).unwrap(), "1700000000.25");
        let back: Timestamp = serde_json::from_str("1700000000.25").unwrap();
        assert_eq!(back, stamp);
        let whole: Timestamp = serde_json::from_str("1700000000").unwrap();
        assert_eq!(whole, Timestamp::from_secs(1_700_000_000));
    }

    #[test]
    fn iso_8601_has_milliseconds_and_utc() {
        assert_eq!(
            Timestamp::from_millis(1_714_564_800_250).to_iso8601(),
            "2024-05-01T12:00:00.250Z"
        );
        assert_eq!(
            Timestamp::from_secs(0).to_iso8601(),
            "1970-01-01T00:00:00.000Z"
        );
        assert!(
            Timestamp::from_millis(i64::MAX)
                .to_iso8601()
                .starts_with("9999-12-31T")
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_secs(100));
        assert_eq!(clock.now(), Timestamp::from_secs(100));
        clock.advance_millis(1500);
        assert_eq!(clock.now(), Timestamp::from_millis(101_500));
        clock.set(Timestamp::from_secs(5));
        assert_eq!(clock.now(), Timestamp::from_secs(5));
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > Timestamp::from_secs(1_577_836_800));
    }
}
