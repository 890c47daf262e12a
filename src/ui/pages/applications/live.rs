//! The Applications page's live section: for each ECS group its service,
//! task sets and listeners, for each Lambda group its alias with the
//! versions' weights. While a deployment of a shown group runs, the
//! section is read again every few seconds, keeping what is on screen
//! until the new answer arrives; when none runs, nothing is read again and
//! nothing asks for a repaint.

use std::time::{Duration, Instant};

use egui::RichText;

use crate::cloud::live_targets::{
    EcsLive, LambdaLive, ListenerState, LiveGroup, LiveTargets, ServiceState, TaskSetState,
};
use crate::ui::widgets::button::Action;
use crate::ui::widgets::columns::{self, Share};
use crate::ui::widgets::loadable::Loadable;

/// Below this width the task sets are lines rather than a table.
const NARROW: f32 = 480.0;

/// How often the section is read again while a deployment runs.
pub const LIVE_EVERY: Duration = Duration::from_secs(3);

/// The live section's state, for the application on screen.
#[derive(Default)]
pub(super) struct LiveSection {
    /// The application the groups are of.
    application: Option<String>,
    /// What the groups move, as last read.
    groups: Loadable<Vec<LiveGroup>>,
    /// A read is on its way.
    reading: bool,
    /// Why the last read again failed; what was read before stays shown.
    error: Option<String>,
    /// When to read again; `None` while no deployment runs.
    next_read: Option<Instant>,
}

impl LiveSection {
    /// A read of `application`'s groups started.
    pub(super) fn reading(&mut self, application: &str) {
        if self.application.as_deref() != Some(application) {
            *self = Self {
                application: Some(application.to_owned()),
                ..Self::default()
            };
        }
        if !matches!(self.groups, Loadable::Loaded(_)) {
            self.groups = Loadable::Loading;
        }
        self.reading = true;
        self.next_read = None;
    }

    /// What was read before, so that a read again keeps what did not
    /// change; nothing for another application.
    pub(super) fn previous(&self, application: &str) -> Vec<LiveGroup> {
        match (
            &self.groups,
            self.application.as_deref() == Some(application),
        ) {
            (Loadable::Loaded(groups), true) => groups.clone(),
            _ => Vec::new(),
        }
    }

    /// A read finished at `now`. A failed read again keeps what is shown
    /// and says why beside it; another read follows while a deployment
    /// runs.
    pub(super) fn read(
        &mut self,
        application: &str,
        result: Result<Vec<LiveGroup>, String>,
        now: Instant,
    ) {
        if self.application.as_deref() != Some(application) {
            return;
        }
        self.reading = false;
        match result {
            Ok(groups) => {
                self.error = None;
                self.groups = Loadable::Loaded(groups);
            }
            Err(error) if matches!(self.groups, Loadable::Loaded(_)) => self.error = Some(error),
            Err(error) => self.groups = Loadable::Failed(error),
        }
        self.next_read = self.is_live().then(|| now + LIVE_EVERY);
    }

    /// Whether a deployment of a shown group runs.
    pub(super) fn is_live(&self) -> bool {
        matches!(&self.groups, Loadable::Loaded(groups) if groups.iter().any(LiveGroup::is_running))
    }

    /// The application to read again when a read is due at `now`; when
    /// one will be due later, asks `ctx` for a frame then.
    pub(super) fn due(&mut self, now: Instant, ctx: &egui::Context) -> Option<String> {
        let at = self.next_read?;
        if self.reading {
            return None;
        }
        if now >= at {
            self.next_read = None;
            return self.application.clone();
        }
        ctx.request_repaint_after(at - now);
        None
    }

    /// The groups as read, for the groups table's last deployments.
    pub(super) fn groups(&self) -> Option<&[LiveGroup]> {
        match &self.groups {
            Loadable::Loaded(groups) => Some(groups),
            _ => None,
        }
    }

    /// Draws the section; returns whether the person asked to read again.
    pub(super) fn ui(&self, ui: &mut egui::Ui) -> bool {
        let mut retry = false;
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            ui.strong("Where the traffic goes");
            if self.is_live() {
                ui.label(
                    RichText::new(format!(
                        "· live: read again every {} s while a deployment runs",
                        LIVE_EVERY.as_secs()
                    ))
                    .weak(),
                );
            }
        });
        if let Some(error) = &self.error {
            ui.label(
                RichText::new(format!(
                    "Could not read again (what is shown may be old): {error}"
                ))
                .color(ui.visuals().warn_fg_color),
            );
        }
        match &self.groups {
            Loadable::NotLoaded => {}
            Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the services, listeners and aliases…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
                retry = ui.add(Action::secondary("Read again")).clicked();
            }
            Loadable::Loaded(groups) => {
                for group in groups {
                    group_ui(ui, group);
                }
            }
        }
        retry
    }
}

/// One group's section: its name and what it moves.
fn group_ui(ui: &mut egui::Ui, group: &LiveGroup) {
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        ui.strong(&group.name);
        if let Some(last) = group.last_attempted.as_ref().filter(|_| group.is_running()) {
            ui.label(
                RichText::new(format!(
                    "{} {}",
                    last.deployment_id,
                    super::status_text_word(&last.status).to_lowercase()
                ))
                .color(ui.visuals().warn_fg_color),
            );
        }
    });
    ui.indent(("live_group", &group.name), |ui| match &group.targets {
        LiveTargets::Ecs(services) if services.is_empty() => {
            weak_ui(
                ui,
                "The group names no ECS service. Give it one in its settings.",
            );
        }
        LiveTargets::Ecs(services) => {
            for service in services {
                ecs_ui(ui, &group.name, service);
            }
        }
        LiveTargets::Lambda(lambda) => lambda_ui(ui, &group.name, lambda),
    });
}

/// An ECS service: its counts, task sets and listeners.
fn ecs_ui(ui: &mut egui::Ui, group: &str, live: &EcsLive) {
    match &live.state {
        Ok(service) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Service {}/{}", live.cluster, live.service));
                ui.label(RichText::new(service_counts_text(service)).weak());
            });
            if !service.task_sets.is_empty() {
                task_sets_ui(ui, group, &service.task_sets);
            }
        }
        Err(error) => {
            ui.label(format!("Service {}/{}", live.cluster, live.service));
            error_ui(ui, error);
        }
    }
    match &live.listeners {
        Ok(listeners) if listeners.is_empty() => {
            let pair = if live.target_groups.is_empty() {
                String::new()
            } else {
                format!(" Target groups: {}.", live.target_groups.join(" and "))
            };
            weak_ui(
                ui,
                &format!("The group names no listeners, so CodeDeploy moves no traffic.{pair}"),
            );
        }
        Ok(listeners) => listeners_ui(ui, group, listeners),
        Err(error) => error_ui(ui, error),
    }
}

/// A service's counts and task definition in words.
fn service_counts_text(service: &ServiceState) -> String {
    let counts = format!(
        "{} · {} desired, {} running, {} pending",
        service.status, service.desired, service.running, service.pending
    );
    if service.task_definition.is_empty() {
        counts
    } else {
        format!("{counts} · task definition {}", service.task_definition)
    }
}

/// A task set's status in words, with ECS's word.
fn task_set_role(task_set: &TaskSetState) -> (&'static str, String) {
    let role = match task_set.status.as_str() {
        "PRIMARY" => "Primary",
        "DRAINING" => "Draining",
        _ => "Active",
    };
    let hover = match task_set.status.as_str() {
        "PRIMARY" => "PRIMARY: the task set production traffic goes to",
        "DRAINING" => "DRAINING: its tasks are being stopped",
        _ => "ACTIVE: running beside the primary; test traffic may reach it",
    };
    (role, format!("{hover}. Task set {}", task_set.id))
}

/// A task set's tasks in words: "1 of 3 running, 2 pending".
fn tasks_text(task_set: &TaskSetState) -> String {
    let running = format!("{} of {} running", task_set.running, task_set.desired);
    if task_set.pending == 0 {
        running
    } else {
        format!("{running}, {} pending", task_set.pending)
    }
}

/// The task sets as a table.
fn task_sets_ui(ui: &mut egui::Ui, group: &str, task_sets: &[TaskSetState]) {
    let scale = |task_set: &TaskSetState| {
        task_set
            .scale_percent
            .map_or_else(|| "—".to_owned(), |scale| format!("{scale:.0} %"))
    };
    let stability = |task_set: &TaskSetState| match task_set.stability.as_str() {
        "STEADY_STATE" => "steady".to_owned(),
        "STABILIZING" => "stabilizing".to_owned(),
        other => other.to_owned(),
    };
    if ui.available_width() < NARROW {
        // Too narrow for six columns: one wrapped line a task set.
        for task_set in task_sets {
            let (role, hover) = task_set_role(task_set);
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("{role}:")).strong())
                    .on_hover_text(hover);
                // No break inside "scale 100 %".
                ui.label(format!(
                    "{} · {} · scale\u{a0}{} · {} · {}",
                    task_set.task_definition,
                    tasks_text(task_set),
                    scale(task_set).replace(' ', "\u{a0}"),
                    stability(task_set),
                    task_set.target_groups.join(", ")
                ));
            });
        }
        return;
    }
    let rows: Vec<Vec<Cell>> = task_sets
        .iter()
        .map(|task_set| {
            let (role, hover) = task_set_role(task_set);
            vec![
                Cell::new(role).hover(hover),
                Cell::new(&task_set.task_definition),
                Cell::new(tasks_text(task_set)),
                Cell::new(scale(task_set)),
                Cell::new(stability(task_set))
                    .hover(format!("ECS's stability: {}", task_set.stability)),
                Cell::new(task_set.target_groups.join(", ")),
            ]
        })
        .collect();
    table_ui(
        ui,
        &format!("live_task_sets_{group}"),
        &[
            "Task set",
            "Task definition",
            "Tasks",
            "Scale",
            "Stability",
            "Target group",
        ],
        &[
            Share {
                fraction: 0.12,
                minimum: 56.0,
            },
            Share {
                fraction: 0.17,
                minimum: 72.0,
            },
            Share {
                fraction: 0.24,
                minimum: 100.0,
            },
            Share {
                fraction: 0.08,
                minimum: 44.0,
            },
            Share {
                fraction: 0.12,
                minimum: 64.0,
            },
        ],
        &rows,
    );
}

/// The production and test listeners as a table.
fn listeners_ui(ui: &mut egui::Ui, group: &str, listeners: &[ListenerState]) {
    let rows: Vec<Vec<Cell>> = listeners
        .iter()
        .map(|listener| {
            let port = listener
                .port
                .map_or_else(String::new, |port| format!(" :{port}"));
            vec![
                Cell::new(format!("{}{port}", listener.role.label())).hover(&listener.arn),
                Cell::new(listener.forwards_text()),
            ]
        })
        .collect();
    table_ui(
        ui,
        &format!("live_listeners_{group}"),
        &["Listener", "Forwards to"],
        &[Share {
            fraction: 0.3,
            minimum: 120.0,
        }],
        &rows,
    );
}

/// A Lambda group's alias and where it points.
fn lambda_ui(ui: &mut egui::Ui, group: &str, lambda: &LambdaLive) {
    match lambda {
        LambdaLive::NeverDeployed => weak_ui(
            ui,
            "Not deployed yet. A Lambda group names no function: the AppSpec of its first deployment names the function and alias it shifts, and they show here.",
        ),
        LambdaLive::NoFunction { deployment_id } => weak_ui(
            ui,
            &format!(
                "Deployment {deployment_id} has not named a function yet: its AppSpec names the function and alias it shifts once it reaches them."
            ),
        ),
        LambdaLive::Unread(error) => error_ui(ui, error),
        LambdaLive::Alias {
            deployment_id,
            function,
            alias,
            state,
        } => {
            let traffic = match state {
                Ok(state) => Cell::new(state.weights_text()).hover(format!(
                    "The alias points at version {}; named by deployment {deployment_id}",
                    state.version
                )),
                Err(error) => Cell::new(error).error(),
            };
            table_ui(
                ui,
                &format!("live_alias_{group}"),
                &["Function", "Alias", "Traffic"],
                &[
                    Share {
                        fraction: 0.25,
                        minimum: 90.0,
                    },
                    Share {
                        fraction: 0.15,
                        minimum: 60.0,
                    },
                ],
                &[vec![
                    Cell::new(function.as_str()),
                    Cell::new(alias.as_str()),
                    traffic,
                ]],
            );
        }
    }
}

/// A table cell: its text, what hovering it shows, and whether it is an
/// error.
struct Cell {
    text: String,
    hover: Option<String>,
    error: bool,
}

impl Cell {
    fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            hover: None,
            error: false,
        }
    }

    fn hover(mut self, hover: impl Into<String>) -> Self {
        self.hover = Some(hover.into());
        self
    }

    fn error(mut self) -> Self {
        self.error = true;
        self
    }
}

/// A compact table of `rows` under `headers`: columns share the width
/// as `shares` say (the last takes the rest), texts cut short with the
/// whole on hover, and a scroll bar when the page is narrower than the
/// columns' minimums.
fn table_ui(ui: &mut egui::Ui, name: &str, headers: &[&str], shares: &[Share], rows: &[Vec<Cell>]) {
    use egui_extras::TableBuilder;
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    let row_height = (ui.text_style_height(&egui::TextStyle::Body) + 6.0).max(20.0);
    let width = ui.available_width();
    egui::ScrollArea::horizontal()
        .id_salt(("live_columns", name))
        .show(ui, |ui| {
            let table = TableBuilder::new(ui)
                .id_salt(columns::table_id(name, width))
                .striped(true)
                .resizable(true)
                .vscroll(false)
                .auto_shrink([false, true])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
            columns::fitted(table, shares, 90.0, width)
                .header(row_height, |mut header| {
                    for title in headers {
                        header.col(|ui| {
                            ui.strong(*title);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut row| {
                        for cell in &rows[row.index()] {
                            row.col(|ui| {
                                let mut text = RichText::new(&cell.text);
                                if cell.error {
                                    text = text.color(ui.visuals().error_fg_color);
                                }
                                let response = ui.add(egui::Label::new(text).truncate());
                                if let Some(hover) = &cell.hover {
                                    response.on_hover_text(hover);
                                }
                            });
                        }
                    });
                });
        });
}

/// A line that says what is missing, wrapped.
fn weak_ui(ui: &mut egui::Ui, text: &str) {
    ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
}

/// An error of one group, wrapped.
fn error_ui(ui: &mut egui::Ui, error: &str) {
    ui.add(egui::Label::new(RichText::new(error).color(ui.visuals().error_fg_color)).wrap());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::codedeploy::LastDeployment;

    fn lambda_group(status: &str) -> LiveGroup {
        LiveGroup {
            name: "live".to_owned(),
            last_attempted: Some(LastDeployment {
                deployment_id: "d-1".to_owned(),
                status: status.to_owned(),
                created: None,
                ended: None,
            }),
            targets: LiveTargets::Lambda(LambdaLive::NoFunction {
                deployment_id: "d-1".to_owned(),
            }),
        }
    }

    #[test]
    fn a_running_deployment_reads_again_after_a_few_seconds_and_an_ended_one_never() {
        let ctx = egui::Context::default();
        let start = Instant::now();
        let mut live = LiveSection::default();
        live.reading("orders");
        assert_eq!(live.due(start, &ctx), None, "no read again while one runs");
        live.read("orders", Ok(vec![lambda_group("InProgress")]), start);
        assert!(live.is_live());
        assert_eq!(live.due(start + LIVE_EVERY / 2, &ctx), None);
        assert_eq!(
            live.due(start + LIVE_EVERY, &ctx).as_deref(),
            Some("orders")
        );
        // Once due, it is read, not asked for twice.
        assert_eq!(live.due(start + LIVE_EVERY * 2, &ctx), None);

        live.reading("orders");
        live.read("orders", Ok(vec![lambda_group("Succeeded")]), start);
        assert!(!live.is_live());
        assert_eq!(live.due(start + LIVE_EVERY * 10, &ctx), None);
    }

    #[test]
    fn a_task_set_says_pending_tasks_only_when_it_has_some() {
        let mut task_set = TaskSetState {
            id: "ecs-svc/1".to_owned(),
            status: "ACTIVE".to_owned(),
            task_definition: "web:2".to_owned(),
            desired: 3,
            pending: 2,
            running: 1,
            scale_percent: Some(100.0),
            stability: "STABILIZING".to_owned(),
            target_groups: vec!["web-green".to_owned()],
        };
        assert_eq!(tasks_text(&task_set), "1 of 3 running, 2 pending");
        task_set.pending = 0;
        task_set.running = 3;
        assert_eq!(tasks_text(&task_set), "3 of 3 running");
    }

    fn page_with(platform: crate::domain::ComputePlatform) -> super::super::ApplicationsPage {
        use crate::cloud::codedeploy::{Application, DeploymentGroup};
        let mut page = super::super::ApplicationsPage::default();
        page.applications_loaded(Ok(vec![Application {
            name: "orders".to_owned(),
            platform: Some(platform),
            created: None,
        }]));
        let group = DeploymentGroup {
            name: "live".to_owned(),
            deployment_config: "CodeDeployDefault.LambdaAllAtOnce".to_owned(),
            service_role_arn: None,
            deployment_style: "Blue/green".to_owned(),
            targets: Vec::new(),
            last_attempted: None,
            last_successful: None,
            alarms: Vec::new(),
            alarms_unread: None,
            triggers: Vec::new(),
        };
        let follow_up = page.groups_loaded("orders", Ok(vec![group]));
        if platform == crate::domain::ComputePlatform::Server {
            assert_eq!(follow_up, None, "a server application has no live section");
        } else {
            assert_eq!(
                follow_up,
                Some(super::super::ApplicationsAction::ReadLive {
                    application: "orders".to_owned(),
                    groups: vec!["live".to_owned()],
                    again: false,
                })
            );
        }
        page
    }

    #[test]
    fn a_lambda_applications_groups_are_read_live_and_their_statuses_reach_the_table() {
        page_with(crate::domain::ComputePlatform::Server);
        let mut page = page_with(crate::domain::ComputePlatform::Lambda);
        page.live_reading("orders");
        page.live_read("orders", Ok(vec![lambda_group("Ready")]));
        let Loadable::Loaded(groups) = &page.groups else {
            panic!("groups loaded");
        };
        assert_eq!(
            groups[0]
                .last_attempted
                .as_ref()
                .map(|last| last.status.as_str()),
            Some("Ready")
        );
        assert!(page.live.is_live());
        assert_eq!(
            page.read_live(true).map(|action| matches!(
                action,
                super::super::ApplicationsAction::ReadLive { again: true, .. }
            )),
            Some(true)
        );
    }

    #[test]
    fn a_failed_read_again_keeps_what_is_shown_and_goes_on_reading() {
        let start = Instant::now();
        let mut live = LiveSection::default();
        live.reading("orders");
        live.read("orders", Ok(vec![lambda_group("Ready")]), start);
        live.reading("orders");
        live.read("orders", Err("Permission denied".to_owned()), start);
        assert_eq!(live.groups().map(<[LiveGroup]>::len), Some(1));
        assert_eq!(live.error.as_deref(), Some("Permission denied"));
        assert!(live.next_read.is_some());
    }

    #[test]
    fn an_answer_for_another_application_is_dropped() {
        let start = Instant::now();
        let mut live = LiveSection::default();
        live.reading("orders");
        live.reading("shop");
        live.read("orders", Ok(vec![lambda_group("Ready")]), start);
        assert!(live.groups().is_none());
        assert!(live.previous("orders").is_empty());
    }
}
