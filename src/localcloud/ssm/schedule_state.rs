//! An association's `ScheduleExpression`: `rate(<n> minutes|hours|days)`
//! (at least 30 minutes) or `cron(<minutes> <hours> <day-of-month> <month>
//! <day-of-week> [<year>])` in UTC, as Systems Manager takes them, and the
//! time each says the association runs next.

use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;

/// A minute in milliseconds.
const MINUTE: i64 = 60_000;
/// The furthest a cron expression is searched ahead for its next time.
const CRON_HORIZON_MINUTES: i64 = 366 * 24 * 60 * 5;

/// A checked schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every so many milliseconds.
    Rate(i64),
    /// On the minutes a cron expression matches.
    Cron(Box<Cron>),
}

/// A cron expression's fields, each as the values it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<u32>,
    hours: Vec<u32>,
    days: Option<Vec<u32>>,
    months: Vec<u32>,
    weekdays: Option<Vec<u32>>,
    years: Option<Vec<u32>>,
}

/// `InvalidSchedule` with a message that says what to write.
fn invalid(expression: &str, why: &str) -> ApiError {
    ApiError::new(
        "InvalidSchedule",
        format!(
            "The schedule expression \"{expression}\" is not valid: {why}. Write rate(30 minutes) or more, rate(<n> hours), rate(<n> days), or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), e.g. cron(0 2 ? * SUN *)."
        ),
    )
}

impl Schedule {
    /// Reads `expression`, refusing it with `InvalidSchedule`.
    pub fn parse(expression: &str) -> Result<Self, ApiError> {
        let trimmed = expression.trim();
        if let Some(inner) = trimmed
            .strip_prefix("rate(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let (count, unit) = inner
                .trim()
                .split_once(' ')
                .ok_or_else(|| invalid(expression, "a rate needs a number and a unit"))?;
            let count: i64 = count
                .parse()
                .ok()
                .filter(|count| *count > 0)
                .ok_or_else(|| invalid(expression, "the rate must be a whole number above 0"))?;
            let unit_millis = match unit.trim() {
                "minute" | "minutes" => MINUTE,
                "hour" | "hours" => 60 * MINUTE,
                "day" | "days" => 24 * 60 * MINUTE,
                _ => {
                    return Err(invalid(
                        expression,
                        "the unit must be minutes, hours or days",
                    ));
                }
            };
            let millis = count.saturating_mul(unit_millis);
            if millis < 30 * MINUTE {
                return Err(invalid(expression, "a rate must be at least 30 minutes"));
            }
            return Ok(Self::Rate(millis));
        }
        if let Some(inner) = trimmed
            .strip_prefix("cron(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            return Cron::parse(inner)
                .map(|cron| Self::Cron(Box::new(cron)))
                .map_err(|why| invalid(expression, &why));
        }
        Err(invalid(expression, "it must start with rate( or cron("))
    }

    /// The first time after `after` that the schedule runs.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        match self {
            Self::Rate(millis) => Some(after.plus_millis(*millis)),
            Self::Cron(cron) => cron.next_after(after),
        }
    }
}

/// The values `field` matches between `low` and `high`, with `names` (from
/// `low`) accepted for numbers; `None` for `?`.
fn field(text: &str, low: u32, high: u32, names: &[&str]) -> Result<Option<Vec<u32>>, String> {
    if text == "?" {
        return Ok(None);
    }
    let number = |word: &str| -> Result<u32, String> {
        if let Some(index) = names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(word))
        {
            return Ok(low + u32::try_from(index).unwrap_or(0));
        }
        word.parse::<u32>()
            .ok()
            .filter(|value| (low..=high).contains(value))
            .ok_or_else(|| format!("\"{word}\" is not a value from {low} to {high}"))
    };
    let mut values = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<u32>()
                    .ok()
                    .filter(|step| *step > 0)
                    .ok_or_else(|| format!("\"{step}\" is not a step above 0"))?,
            ),
            None => (part, 1),
        };
        let (first, last) = match range {
            "*" => (low, high),
            _ => match range.split_once('-') {
                Some((first, last)) => (number(first)?, number(last)?),
                None if step > 1 => (number(range)?, high),
                None => {
                    let value = number(range)?;
                    (value, value)
                }
            },
        };
        values.extend((first..=last).step_by(step as usize));
    }
    Ok(Some(values))
}

impl Cron {
    /// Reads the fields of a cron expression.
    fn parse(inner: &str) -> Result<Self, String> {
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let fields: Vec<&str> = inner.split_whitespace().collect();
        if !(5..=6).contains(&fields.len()) {
            return Err(format!(
                "a cron expression has 5 or 6 fields, not {}",
                fields.len()
            ));
        }
        let all = |values: Option<Vec<u32>>, name: &str| {
            values.ok_or_else(|| format!("the {name} field cannot be ?"))
        };
        let cron = Self {
            minutes: all(field(fields[0], 0, 59, &[])?, "minutes")?,
            hours: all(field(fields[1], 0, 23, &[])?, "hours")?,
            days: field(fields[2], 1, 31, &[])?,
            months: all(field(fields[3], 1, 12, &MONTHS)?, "month")?,
            weekdays: field(fields[4], 1, 7, &WEEKDAYS)?,
            years: match fields.get(5) {
                Some(years) => field(years, 1970, 2199, &[])?,
                None => None,
            },
        };
        if cron.days.is_some() == cron.weekdays.is_some() && fields[2] != "*" && fields[4] != "*" {
            return Err("give a day of the month or a day of the week, and ? in the other".into());
        }
        Ok(cron)
    }

    /// Whether the minute starting at `millis` (since the epoch) matches.
    fn matches(&self, millis: i64) -> bool {
        let minutes = millis.div_euclid(MINUTE);
        let days = minutes.div_euclid(24 * 60);
        let minute_of_day = minutes.rem_euclid(24 * 60);
        let (year, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday; cron counts Sunday as 1.
        let weekday = u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0) + 1;
        let within = |values: &Option<Vec<u32>>, value: u32| {
            values.as_ref().is_none_or(|values| values.contains(&value))
        };
        self.minutes
            .contains(&u32::try_from(minute_of_day % 60).unwrap_or(0))
            && self
                .hours
                .contains(&u32::try_from(minute_of_day / 60).unwrap_or(0))
            && self.months.contains(&month)
            && within(&self.days, day)
            && within(&self.weekdays, weekday)
            && within(&self.years, year)
    }

    /// The first matching minute after `after`.
    fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let first = (after.as_millis().div_euclid(MINUTE) + 1) * MINUTE;
        (0..CRON_HORIZON_MINUTES)
            .map(|step| first + step * MINUTE)
            .find(|millis| self.matches(*millis))
            .map(Timestamp::from_millis)
    }
}

/// The year, month and day of `days` since 1970-01-01 (Howard Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (u32, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let narrow = |value: i64| u32::try_from(value).unwrap_or(0);
    (narrow(year), narrow(month), narrow(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-05-01 12:00:00 UTC, a Wednesday.
    const NOON: Timestamp = Timestamp::from_secs(1_714_564_800);

    #[test]
    fn rates_of_thirty_minutes_or_more_are_taken() {
        let days = Schedule::parse("rate(14 days)").unwrap();
        assert_eq!(
            days.next_after(NOON),
            Some(NOON.plus_millis(14 * 24 * 3_600_000))
        );
        assert_eq!(
            Schedule::parse("rate(30 minutes)"),
            Ok(Schedule::Rate(30 * MINUTE))
        );
        for bad in [
            "rate(10 minutes)",
            "rate(0 days)",
            "rate(two days)",
            "rate(3 weeks)",
            "every day",
            "rate(1day)",
        ] {
            assert_eq!(
                Schedule::parse(bad).unwrap_err().code,
                "InvalidSchedule",
                "{bad}"
            );
        }
    }

    #[test]
    fn cron_finds_the_next_matching_minute() {
        // Sundays at 02:00: the next one after Wednesday noon is 5 May.
        let sundays = Schedule::parse("cron(0 2 ? * SUN *)").unwrap();
        assert_eq!(
            sundays.next_after(NOON),
            Some(NOON.plus_millis((3 * 24 + 14) * 3_600_000))
        );
        let every_quarter = Schedule::parse("cron(0/15 * * * ?)").unwrap();
        assert_eq!(
            every_quarter.next_after(NOON),
            Some(NOON.plus_millis(15 * MINUTE))
        );
        for bad in [
            "cron(0 2 * *)",
            "cron(61 2 ? * * *)",
            "cron(0 2 ? * FUNDAY *)",
        ] {
            assert_eq!(
                Schedule::parse(bad).unwrap_err().code,
                "InvalidSchedule",
                "{bad}"
            );
        }
    }

    #[test]
    fn days_count_into_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_844), (2024, 5, 1));
    }
}
