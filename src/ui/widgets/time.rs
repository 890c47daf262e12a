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

/// Like [`ago`], for text on screen: it asks for a repaint when the text
/// will next read differently (in a second while it counts seconds, in a
/// minute while it counts minutes), so it moves while it is drawn and costs
/// nothing once it is not.
pub fn ago_live(ctx: &egui::Context, time: SystemTime) -> String {
    let now = SystemTime::now();
    if let Ok(elapsed) = now.duration_since(time) {
        ctx.request_repaint_after(ago_changes_in(elapsed));
    }
    ago_from(time, now)
}

/// Like [`duration`], for something still running on screen: asks for a
/// repaint when the text next changes.
pub fn running_live(ctx: &egui::Context, running: std::time::Duration) -> String {
    ctx.request_repaint_after(duration_changes_in(running));
    duration(running)
}

/// How long until [`ago_from`] for this `elapsed` reads differently.
pub fn ago_changes_in(elapsed: std::time::Duration) -> std::time::Duration {
    let unit = match elapsed.as_secs() {
        0..=59 => 1,
        60..=3_599 => 60,
        3_600..=86_399 => 3_600,
        _ => 86_400,
    };
    next_multiple(elapsed, unit)
}

/// How long until [`duration`] of a running `elapsed` reads differently.
pub fn duration_changes_in(elapsed: std::time::Duration) -> std::time::Duration {
    let unit = if elapsed.as_secs() < 3_600 { 1 } else { 60 };
    next_multiple(elapsed, unit)
}

/// The time from `elapsed` to the next whole multiple of `unit` seconds.
fn next_multiple(elapsed: std::time::Duration, unit: u64) -> std::time::Duration {
    let next = std::time::Duration::from_secs((elapsed.as_secs() / unit + 1) * unit);
    next.saturating_sub(elapsed)
        .max(std::time::Duration::from_millis(10))
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

    #[test]
    fn live_texts_repaint_when_they_next_change() {
        // Seconds tick every second, at the next whole second.
        assert_eq!(
            ago_changes_in(Duration::from_millis(16_250)),
            Duration::from_millis(750)
        );
        assert_eq!(
            ago_changes_in(Duration::from_secs(59)),
            Duration::from_secs(1)
        );
        // "5 min ago" changes at the next minute, "2 h ago" at the next hour.
        assert_eq!(
            ago_changes_in(Duration::from_secs(305)),
            Duration::from_secs(55)
        );
        assert_eq!(
            ago_changes_in(Duration::from_secs(7_230)),
            Duration::from_secs(3_570)
        );
        // "3 min 5 s" counts seconds; "2 h 4 min" counts minutes.
        assert_eq!(
            duration_changes_in(Duration::from_secs(185)),
            Duration::from_secs(1)
        );
        assert_eq!(
            duration_changes_in(Duration::from_secs(7_230)),
            Duration::from_secs(30)
        );
    }
}
