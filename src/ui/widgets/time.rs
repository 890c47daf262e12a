//! Times as people read them.

use std::time::SystemTime;

/// "just now", "5 min ago", "3 h ago", "2 days ago".
pub fn ago(time: SystemTime) -> String {
    ago_from(time, SystemTime::now())
}

/// Like [`ago`], measured from `now`.
pub fn ago_from(time: SystemTime, now: SystemTime) -> String {
    let Ok(elapsed) = now.duration_since(time) else {
        return "just now".to_owned();
    };
    let seconds = elapsed.as_secs();
    match seconds {
        0..=4 => "just now".to_owned(),
        5..=59 => format!("{seconds} s ago"),
        60..=3_599 => format!("{} min ago", seconds / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        _ => {
            let days = seconds / 86_400;
            format!("{days} {} ago", if days == 1 { "day" } else { "days" })
        }
    }
}

/// A duration in the largest units that matter: "850 ms", "12 s", "3 min 5 s", "2 h 4 min".
pub fn duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0 => format!("{} ms", duration.as_millis()),
        1..=59 => format!("{seconds} s"),
        60..=3_599 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3_600, seconds % 3_600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ages_read_naturally() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let before = |seconds| now - Duration::from_secs(seconds);
        assert_eq!(ago_from(before(3), now), "just now");
        assert_eq!(ago_from(before(40), now), "40 s ago");
        assert_eq!(ago_from(before(300), now), "5 min ago");
        assert_eq!(ago_from(before(7_200), now), "2 h ago");
        assert_eq!(ago_from(before(86_400), now), "1 day ago");
        assert_eq!(ago_from(now + Duration::from_secs(10), now), "just now");
        assert_eq!(duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(duration(Duration::from_secs(185)), "3 min 5 s");
        assert_eq!(duration(Duration::from_mins(124)), "2 h 4 min");
    }
}
