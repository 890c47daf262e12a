//! The chart of a Lambda or ECS traffic schedule: the share of traffic on
//! the original and on the replacement, step by step over the
//! configuration's minutes. The steps reached are drawn solid and the rest
//! dashed and lighter, so that the same chart serves a running deployment
//! (the rollout view) and a plan (the Rollout planner).

use egui::Color32;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints};

use crate::domain::traffic::TrafficStep;

/// The replacement's colour.
pub const REPLACEMENT: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x5b);
/// The original's colour.
pub const ORIGINAL: Color32 = Color32::from_rgb(0x3d, 0x7e, 0xd8);

/// What to draw.
pub struct TrafficChart<'a> {
    /// The plot's id.
    pub id: &'a str,
    /// Its height.
    pub height: f32,
    /// What the x axis counts.
    pub x_label: &'a str,
    /// The original's name in the legend ("version 1").
    pub original: &'a str,
    /// The replacement's name in the legend ("version 2").
    pub replacement: &'a str,
    /// The schedule's steps.
    pub schedule: &'a [TrafficStep],
    /// How many of them are reached: drawn solid.
    pub reached: usize,
    /// What a screen reader says of it.
    pub words: &'a str,
}

/// The replacement's share as lines: through the step reached, and from
/// there on.
pub fn step_lines(schedule: &[TrafficStep], reached: usize) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let mut done = vec![[0.0, 0.0]];
    let mut ahead = Vec::new();
    let mut previous = 0.0;
    for (index, step) in schedule.iter().enumerate() {
        let x = f64::from(step.at_minutes);
        let weight = f64::from(step.weight);
        let line = if index < reached {
            &mut done
        } else {
            if ahead.is_empty() {
                ahead.push(done.last().copied().unwrap_or([0.0, 0.0]));
            }
            &mut ahead
        };
        line.push([x, previous]);
        line.push([x, weight]);
        previous = weight;
    }
    (done, ahead)
}

/// Draws `chart`.
pub fn traffic_chart_ui(ui: &mut egui::Ui, chart: &TrafficChart<'_>) {
    let (done, ahead) = step_lines(chart.schedule, chart.reached);
    let mirror = |points: &[[f64; 2]]| -> Vec<[f64; 2]> {
        points.iter().map(|[x, y]| [*x, 100.0 - y]).collect()
    };
    let end = f64::from(chart.schedule.last().map_or(0, |step| step.at_minutes)).max(1.0);
    let lighter = |color: Color32| color.gamma_multiply(0.35);
    let response = Plot::new(chart.id)
        .height(chart.height)
        .include_y(0.0)
        .include_y(100.0)
        .include_x(0.0)
        .include_x(end * 1.1)
        .x_axis_label(chart.x_label)
        .y_axis_label("% of traffic")
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .legend(Legend::default())
        .show(ui, |plot| {
            // Step lines: egui_plot would draw many points at one x as a band.
            plot.line(
                Line::new(chart.replacement.to_owned(), PlotPoints::from(done.clone()))
                    .color(REPLACEMENT)
                    .width(2.5)
                    .allow_band(false),
            );
            plot.line(
                Line::new(chart.original.to_owned(), PlotPoints::from(mirror(&done)))
                    .color(ORIGINAL)
                    .width(2.5)
                    .allow_band(false),
            );
            if ahead.len() > 1 {
                plot.line(
                    Line::new(
                        format!("{} (planned)", chart.replacement),
                        PlotPoints::from(ahead.clone()),
                    )
                    .color(lighter(REPLACEMENT))
                    .width(1.5)
                    .style(LineStyle::dashed_dense())
                    .allow_band(false),
                );
                plot.line(
                    Line::new(
                        format!("{} (planned)", chart.original),
                        PlotPoints::from(mirror(&ahead)),
                    )
                    .color(lighter(ORIGINAL))
                    .width(1.5)
                    .style(LineStyle::dashed_dense())
                    .allow_band(false),
                );
            }
        });
    let words = chart.words.to_owned();
    response
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &words));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::traffic::TrafficRouting;

    #[test]
    fn a_canary_halfway_is_drawn_solid_to_ten_percent_and_light_beyond() {
        let schedule = TrafficRouting::Canary {
            percentage: 10,
            interval_minutes: 5,
        }
        .schedule();
        let (done, ahead) = step_lines(&schedule, 1);
        assert_eq!(done, [[0.0, 0.0], [0.0, 0.0], [0.0, 10.0]]);
        assert_eq!(ahead, [[0.0, 10.0], [5.0, 10.0], [5.0, 100.0]]);
        let (all, rest) = step_lines(&schedule, schedule.len());
        assert_eq!(all.last(), Some(&[5.0, 100.0]));
        assert!(rest.is_empty());
    }
}
