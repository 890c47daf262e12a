//! The Rollout planner for the AWS Lambda and Amazon ECS platforms: pick a
//! predefined or custom traffic configuration and see its schedule in
//! words, a chart of both versions' shares, every step of the schedule and
//! what a failure at that step does to the traffic, with and without
//! automatic rollback.

use egui::RichText;

use crate::domain::platform::ComputePlatform;
use crate::domain::traffic::{
    ALL_AT_ONCE, PREDEFINED_TRAFFIC, TIME_BASED_CANARY, TIME_BASED_LINEAR, TrafficRouting,
    TrafficRoutingError, TrafficStep, default_config, predefined,
};

use super::{field_error_ui, parse_number};
use crate::ui::widgets::traffic_chart::{TrafficChart, traffic_chart_ui};

/// The chart's height.
const CHART_HEIGHT: f32 = 170.0;
/// The prefix every predefined configuration's name starts with; the
/// buttons leave it out to fit.
const PREFIX: &str = "CodeDeployDefault.";

/// The configuration the user picked: a predefined one by name, or custom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Predefined(&'static str),
    Custom,
}

/// Everything the user typed for a Lambda or ECS plan.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inputs {
    choice: Choice,
    /// The custom configuration's routing type, as the API names it.
    kind: &'static str,
    percentage: String,
    interval: String,
    rollback: bool,
}

/// The planner's state for the Lambda and ECS platforms.
#[derive(Debug, Clone)]
pub(super) struct TrafficPlanner {
    inputs: Inputs,
}

impl Default for TrafficPlanner {
    fn default() -> Self {
        Self {
            inputs: Inputs {
                choice: Choice::Predefined(default_config(ComputePlatform::Lambda)),
                kind: TIME_BASED_CANARY,
                percentage: "10".to_owned(),
                interval: "5".to_owned(),
                rollback: true,
            },
        }
    }
}

/// How the two sides of a shift are named on a platform.
#[derive(Debug, Clone, Copy)]
struct Sides {
    new: &'static str,
    original: &'static str,
}

fn sides(platform: ComputePlatform) -> Sides {
    match platform {
        ComputePlatform::Ecs => Sides {
            new: "replacement task set",
            original: "original task set",
        },
        ComputePlatform::Lambda | ComputePlatform::Server => Sides {
            new: "new version",
            original: "original version",
        },
    }
}

/// One point of the deployment at which it may fail: when, where the
/// traffic is then, and what a failure there does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FailurePoint {
    /// When it is, e.g. `Minute 5 · step 2 of 2 (AllowTraffic)`.
    when: String,
    /// Where the production traffic is then.
    traffic: String,
    /// What a failure there does, in plain words.
    failure: String,
}

/// "W % on the new version, 100−W % on the original version".
fn shares(sides: Sides, weight: u8) -> String {
    format!(
        "{weight} % on the {}, {} % on the {}",
        sides.new,
        100 - weight,
        sides.original
    )
}

/// What happens after a failure with `weight` % on the new side.
fn after_failure(platform: ComputePlatform, rollback: bool, weight: u8) -> String {
    let sides = sides(platform);
    if weight == 0 {
        return if rollback {
            match platform {
                ComputePlatform::Ecs => format!(
                    "The automatic rollback has no production traffic to move; it removes the {}.",
                    sides.new
                ),
                _ => "The automatic rollback has no traffic to move.".to_owned(),
            }
        } else {
            format!(
                "Without automatic rollback nothing moves either: all traffic stays on the {}.",
                sides.original
            )
        };
    }
    if rollback {
        let removed = match platform {
            ComputePlatform::Ecs => format!(" and removes the {}", sides.new),
            _ => String::new(),
        };
        format!(
            "The automatic rollback moves all traffic back to the {} at once{removed}.",
            sides.original
        )
    } else {
        format!(
            "Without automatic rollback the traffic stays where it was ({}) until you deploy again.",
            shares(sides, weight)
        )
    }
}

/// Every point at which a deployment by `routing` on `platform` may fail,
/// in order: the events before traffic moves, each step of the schedule,
/// and the hook after all traffic has moved.
fn failure_points(
    platform: ComputePlatform,
    routing: TrafficRouting,
    rollback: bool,
) -> Vec<FailurePoint> {
    let sides = sides(platform);
    let mut points = Vec::new();
    if platform == ComputePlatform::Ecs {
        points.push(FailurePoint {
            when: "While the replacement starts (BeforeInstall to AfterAllowTestTraffic)"
                .to_owned(),
            traffic: format!(
                "The {} starts and takes test traffic (through the test listener, when there is \
                 one); production traffic stays 100 % on the {}.",
                sides.new, sides.original
            ),
            failure: format!(
                "A failure while the {} starts or while it takes test traffic (its \
                 BeforeInstall, AfterInstall or AfterAllowTestTraffic hook) comes before any \
                 production traffic moves. {}",
                sides.new,
                after_failure(platform, rollback, 0)
            ),
        });
    }
    points.push(FailurePoint {
        when: "Before traffic moves (BeforeAllowTraffic)".to_owned(),
        traffic: shares(sides, 0),
        failure: format!(
            "A BeforeAllowTraffic hook failure comes before any traffic moves. {}",
            after_failure(platform, rollback, 0)
        ),
    });
    let schedule = routing.schedule();
    let count = schedule.len();
    for (index, step) in schedule.iter().enumerate() {
        let TrafficStep { at_minutes, weight } = *step;
        let left = if weight == 100 {
            format!("leaves all traffic on the {}", sides.new)
        } else {
            format!("leaves {weight} % on the {}", sides.new)
        };
        points.push(FailurePoint {
            when: format!(
                "Minute {at_minutes} · step {} of {count} (AllowTraffic)",
                index + 1
            ),
            traffic: format!("Minute {at_minutes}: {}", shares(sides, weight)),
            failure: format!(
                "A failure during AllowTraffic at this step (an alarm, or the deployment \
                 stopped) {left}. {}",
                after_failure(platform, rollback, weight)
            ),
        });
    }
    points.push(FailurePoint {
        when: "After all traffic has moved (AfterAllowTraffic)".to_owned(),
        traffic: shares(sides, 100),
        failure: format!(
            "An AfterAllowTraffic hook failure happens with 100 % on the {}. {}",
            sides.new,
            after_failure(platform, rollback, 100)
        ),
    });
    points
}

/// The custom routing the inputs describe, or a message that says what to
/// change.
fn custom_routing(inputs: &Inputs) -> Result<TrafficRouting, String> {
    if inputs.kind == ALL_AT_ONCE {
        return Ok(TrafficRouting::AllAtOnce);
    }
    let percentage = parse_number(&inputs.percentage, "the percentage")?;
    let interval = parse_number(&inputs.interval, "the interval")?;
    let settings = Some((Some(percentage), Some(interval)));
    let (canary, linear) = if inputs.kind == TIME_BASED_CANARY {
        (settings, None)
    } else {
        (None, settings)
    };
    let routing =
        TrafficRouting::from_api(Some(inputs.kind), canary, linear).map_err(
            |error| match error {
                TrafficRoutingError::Percentage { got, .. } => {
                    format!("The percentage must be between 1 and 99 (got {got}).")
                }
                TrafficRoutingError::Interval { got, .. } => {
                    format!("The interval must be at least 1 minute (got {got}).")
                }
                other => other.to_string(),
            },
        )?;
    // A schedule whose last step would lie beyond what a minute count
    // holds cannot be planned.
    if let TrafficRouting::Linear {
        percentage,
        interval_minutes,
    } = routing
    {
        let steps = 100_u32.div_ceil(u32::from(percentage));
        if (steps - 1).checked_mul(interval_minutes).is_none() {
            return Err(format!(
                "{steps} steps of {interval_minutes} minutes are longer than the planner can \
                 count; use a shorter interval."
            ));
        }
    }
    Ok(routing)
}

/// The routing of the chosen configuration on `platform`.
fn routing(inputs: &Inputs) -> Result<TrafficRouting, String> {
    match inputs.choice {
        Choice::Predefined(name) => predefined(name)
            .map(|known| known.routing)
            .ok_or_else(|| format!("{name} is not a predefined configuration.")),
        Choice::Custom => custom_routing(inputs),
    }
}

/// The total time in words.
fn total_words(routing: TrafficRouting) -> String {
    match routing.total_minutes() {
        0 => "none: all traffic moves at once".to_owned(),
        1 => "1 minute from the first shift to 100 %".to_owned(),
        minutes => format!("{minutes} minutes from the first shift to 100 %"),
    }
}

impl TrafficPlanner {
    /// Keeps the chosen predefined configuration one of `platform`'s.
    fn fit_to(&mut self, platform: ComputePlatform) {
        if let Choice::Predefined(name) = self.inputs.choice
            && predefined(name).is_none_or(|known| known.platform != platform)
        {
            self.inputs.choice = Choice::Predefined(default_config(platform));
        }
    }

    /// Draws the inputs for `platform`.
    pub(super) fn inputs_ui(&mut self, ui: &mut egui::Ui, platform: ComputePlatform) {
        self.fit_to(platform);
        let error = routing(&self.inputs).err();

        ui.strong("Deployment configuration");
        ui.add(
            egui::Label::new(
                RichText::new(format!("The predefined ones, each named {PREFIX}<name>:")).weak(),
            )
            .wrap(),
        );
        for config in PREDEFINED_TRAFFIC
            .iter()
            .filter(|config| config.platform == platform)
        {
            let short = config.name.trim_start_matches(PREFIX);
            ui.selectable_value(
                &mut self.inputs.choice,
                Choice::Predefined(config.name),
                short,
            )
            .on_hover_text(config.name);
        }
        ui.selectable_value(&mut self.inputs.choice, Choice::Custom, "Custom");
        if self.inputs.choice == Choice::Custom {
            ui.add_space(4.0);
            ui.horizontal_wrapped(|ui| {
                for kind in [ALL_AT_ONCE, TIME_BASED_CANARY, TIME_BASED_LINEAR] {
                    ui.radio_value(&mut self.inputs.kind, kind, kind);
                }
            });
            if self.inputs.kind != ALL_AT_ONCE {
                egui::Grid::new("planner_traffic_custom")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (label, value, hint) in [
                            (
                                "Percentage",
                                &mut self.inputs.percentage,
                                "The share moved at each step, 1 to 99.",
                            ),
                            (
                                "Interval (minutes)",
                                &mut self.inputs.interval,
                                "Minutes between steps, at least 1.",
                            ),
                        ] {
                            let label = ui.label(label);
                            ui.add(egui::TextEdit::singleline(value).desired_width(70.0))
                                .labelled_by(label.id)
                                .on_hover_text(hint);
                            ui.end_row();
                        }
                    });
            }
            field_error_ui(ui, error.as_deref());
        }

        ui.add_space(10.0);
        ui.strong("When the deployment fails");
        ui.checkbox(&mut self.inputs.rollback, "Automatic rollback")
            .on_hover_text("Roll back when a deployment fails (the deployment group's setting).");
    }

    /// Draws the schedule and what a failure at each step does.
    pub(super) fn result_ui(&self, ui: &mut egui::Ui, platform: ComputePlatform) {
        let Ok(routing) = routing(&self.inputs) else {
            ui.label(RichText::new("Fix the inputs on the left to see the schedule.").weak());
            return;
        };
        let name = match self.inputs.choice {
            Choice::Predefined(name) => name.to_owned(),
            Choice::Custom => format!("A custom {} configuration", routing.api_type()),
        };
        ui.label(RichText::new(name).strong());
        for (label, value) in [
            ("Schedule:", routing.to_string()),
            ("Total time:", total_words(routing)),
        ] {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(label).weak());
                ui.label(value);
            });
        }
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .id_salt("planner_traffic_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                chart_ui(ui, platform, routing);
                ui.add_space(8.0);
                ui.label(RichText::new("Steps and what a failure at each does").strong());
                for point in failure_points(platform, routing, self.inputs.rollback) {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.label(RichText::new(&point.when).weak());
                        ui.add(egui::Label::new(&point.traffic).wrap());
                        ui.add(egui::Label::new(RichText::new(&point.failure).italics()).wrap());
                    });
                }
            });
    }
}

/// The chart of both sides' shares over the schedule.
fn chart_ui(ui: &mut egui::Ui, platform: ComputePlatform, routing: TrafficRouting) {
    let sides = sides(platform);
    let schedule = routing.schedule();
    let words = format!(
        "Traffic schedule chart: {} steps to 100 % on the {}",
        schedule.len(),
        sides.new
    );
    traffic_chart_ui(
        ui,
        &TrafficChart {
            id: "planner_traffic_chart",
            height: CHART_HEIGHT,
            x_label: "minutes after the first shift",
            original: sides.original,
            replacement: sides.new,
            schedule: &schedule,
            reached: schedule.len(),
            words: &words,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(kind: &'static str, percentage: &str, interval: &str) -> Inputs {
        Inputs {
            choice: Choice::Custom,
            kind,
            percentage: percentage.to_owned(),
            interval: interval.to_owned(),
            rollback: true,
        }
    }

    #[test]
    fn a_lambda_canary_fails_before_at_each_step_and_after() {
        let routing = predefined("CodeDeployDefault.LambdaCanary10Percent5Minutes")
            .unwrap()
            .routing;
        let points = failure_points(ComputePlatform::Lambda, routing, true);
        let traffic: Vec<&str> = points.iter().map(|point| point.traffic.as_str()).collect();
        assert_eq!(
            traffic,
            [
                "0 % on the new version, 100 % on the original version",
                "Minute 0: 10 % on the new version, 90 % on the original version",
                "Minute 5: 100 % on the new version, 0 % on the original version",
                "100 % on the new version, 0 % on the original version",
            ]
        );
        assert!(points[0].failure.contains("before any traffic moves"));
        assert!(points[1].failure.contains("leaves 10 % on the new version"));
        assert!(
            points[1]
                .failure
                .contains("moves all traffic back to the original version at once")
        );
        assert!(
            points[2]
                .failure
                .contains("leaves all traffic on the new version")
        );
        assert!(points[3].failure.contains("with 100 % on the new version"));
    }

    #[test]
    fn without_rollback_the_traffic_stays_where_it_was() {
        let routing = TrafficRouting::Linear {
            percentage: 30,
            interval_minutes: 2,
        };
        let points = failure_points(ComputePlatform::Lambda, routing, false);
        assert!(
            points[2].failure.contains(
                "stays where it was (60 % on the new version, 40 % on the original version)"
            ),
            "{}",
            points[2].failure
        );
        assert!(
            !points
                .iter()
                .any(|point| point.failure.contains("rollback moves"))
        );
    }

    #[test]
    fn ecs_takes_test_traffic_first_and_rolls_back_to_the_original_task_set() {
        let points = failure_points(ComputePlatform::Ecs, TrafficRouting::AllAtOnce, true);
        assert_eq!(points.len(), 4);
        assert!(points[0].traffic.contains("takes test traffic"));
        assert!(
            points[0]
                .failure
                .contains("removes the replacement task set")
        );
        assert_eq!(
            points[2].traffic,
            "Minute 0: 100 % on the replacement task set, 0 % on the original task set"
        );
        assert!(
            points[2]
                .failure
                .contains("back to the original task set at once and removes the replacement")
        );
    }

    #[test]
    fn custom_routings_are_checked_with_messages_that_say_what_to_change() {
        assert_eq!(
            custom_routing(&custom(TIME_BASED_LINEAR, "30", "10")),
            Ok(TrafficRouting::Linear {
                percentage: 30,
                interval_minutes: 10
            })
        );
        assert_eq!(
            custom_routing(&custom(ALL_AT_ONCE, "", "")),
            Ok(TrafficRouting::AllAtOnce)
        );
        assert_eq!(
            custom_routing(&custom(TIME_BASED_CANARY, "0", "5")).unwrap_err(),
            "The percentage must be between 1 and 99 (got 0)."
        );
        assert_eq!(
            custom_routing(&custom(TIME_BASED_LINEAR, "120", "5")).unwrap_err(),
            "The percentage must be between 1 and 99 (got 120)."
        );
        assert_eq!(
            custom_routing(&custom(TIME_BASED_CANARY, "10", "0")).unwrap_err(),
            "The interval must be at least 1 minute (got 0)."
        );
        assert!(
            custom_routing(&custom(TIME_BASED_CANARY, "ten", "5"))
                .unwrap_err()
                .contains("is not a whole number")
        );
        assert!(
            custom_routing(&custom(TIME_BASED_LINEAR, "1", "4000000000"))
                .unwrap_err()
                .contains("shorter interval")
        );
    }

    #[test]
    fn switching_platform_keeps_the_choice_one_of_its_configurations() {
        let mut planner = TrafficPlanner::default();
        planner.inputs.choice =
            Choice::Predefined("CodeDeployDefault.LambdaCanary10Percent5Minutes");
        planner.fit_to(ComputePlatform::Lambda);
        assert_eq!(
            planner.inputs.choice,
            Choice::Predefined("CodeDeployDefault.LambdaCanary10Percent5Minutes")
        );
        planner.fit_to(ComputePlatform::Ecs);
        assert_eq!(
            planner.inputs.choice,
            Choice::Predefined("CodeDeployDefault.ECSAllAtOnce")
        );
        planner.inputs.choice = Choice::Custom;
        planner.fit_to(ComputePlatform::Lambda);
        assert_eq!(planner.inputs.choice, Choice::Custom);
    }
}
