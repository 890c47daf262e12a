//! The deployment group wizard's fields for the applications that shift
//! traffic rather than deploy to instances: for ECS the cluster, a
//! `CODE_DEPLOY` service of it, its two target groups, the production and
//! test listeners that forward to them, the wait for Continue and when the
//! original task set goes; for Lambda and ECS the configuration, from the
//! platform's predefined ones and the account's own.

use egui::RichText;

use crate::cloud::CloudError;
use crate::cloud::ecs::{EcsServiceChoice, ListenerChoice};
use crate::domain::ComputePlatform;
use crate::domain::group_spec::{EcsTrafficSpec, MAX_BLUE_GREEN_WAIT_MINUTES};
use crate::domain::traffic::PREDEFINED_TRAFFIC;
use crate::ui::widgets::loadable::{Loadable, loaded};
use crate::ui::widgets::wizard;

/// What the traffic fields ask to be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrafficRequest {
    /// The account's ECS clusters.
    LoadClusters,
    /// The services of a cluster.
    LoadServices(String),
    /// The listeners that forward to these target groups.
    LoadListeners(Vec<String>),
    /// The account's own configurations of a platform.
    LoadConfigs(ComputePlatform),
}

/// What came back for a [`TrafficRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum TrafficEvent {
    /// The account's ECS clusters.
    Clusters(Result<Vec<String>, CloudError>),
    /// The services of `cluster`.
    Services {
        /// The cluster.
        cluster: String,
        /// Its services, or why they could not be listed.
        result: Result<Vec<EcsServiceChoice>, CloudError>,
    },
    /// The listeners that forward to `target_groups`.
    Listeners {
        /// The target groups asked about.
        target_groups: Vec<String>,
        /// The listeners, or why they could not be listed.
        result: Result<Vec<ListenerChoice>, CloudError>,
    },
    /// The account's own configurations of `platform`.
    Configs {
        /// The platform.
        platform: ComputePlatform,
        /// Their names, or why they could not be listed.
        result: Result<Vec<String>, CloudError>,
    },
}

impl TrafficEvent {
    /// The cloud error the listing failed with, if it did.
    pub fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Clusters(Err(error))
            | Self::Services {
                result: Err(error), ..
            }
            | Self::Listeners {
                result: Err(error), ..
            }
            | Self::Configs {
                result: Err(error), ..
            } => Some(error),
            _ => None,
        }
    }
}

/// The traffic fields' inputs and the account's lists they pick from.
#[derive(Debug, Clone)]
pub struct TrafficForm {
    /// The ECS service and its traffic, as picked or typed.
    pub ecs: EcsTrafficSpec,
    /// Reroute as soon as the replacement is ready (or wait for Continue).
    pub reroute_at_once: bool,
    /// How long to wait for Continue before the deployment stops.
    pub wait_minutes: u32,
    /// How long the original task set is kept after success.
    pub termination_wait_minutes: u32,
    /// The configuration's name.
    pub config: String,
    clusters: Loadable<Vec<String>>,
    /// The services listed, with the cluster they are of.
    services: Loadable<(String, Vec<EcsServiceChoice>)>,
    /// The listeners listed, with the target groups they were asked for.
    listeners: Loadable<(Vec<String>, Vec<ListenerChoice>)>,
    /// The account's own configurations, with the platform they are for.
    configs: Loadable<(ComputePlatform, Vec<String>)>,
}

impl Default for TrafficForm {
    fn default() -> Self {
        Self {
            ecs: EcsTrafficSpec::default(),
            reroute_at_once: true,
            wait_minutes: 60,
            termination_wait_minutes: 60,
            config: String::new(),
            clusters: Loadable::NotLoaded,
            services: Loadable::NotLoaded,
            listeners: Loadable::NotLoaded,
            configs: Loadable::NotLoaded,
        }
    }
}

impl TrafficForm {
    /// Applies a listing that came back; one for a cluster, target groups
    /// or platform no longer chosen is dropped.
    pub fn apply(&mut self, event: TrafficEvent) {
        match event {
            TrafficEvent::Clusters(result) => self.clusters = loaded(result),
            TrafficEvent::Services { cluster, result } => {
                if cluster == self.ecs.cluster {
                    self.services = loaded(result.map(|services| (cluster, services)));
                }
            }
            TrafficEvent::Listeners {
                target_groups,
                result,
            } => {
                if target_groups == self.target_groups() {
                    self.listeners = loaded(result.map(|found| (target_groups, found)));
                }
            }
            TrafficEvent::Configs { platform, result } => {
                self.configs = loaded(result.map(|names| (platform, names)));
            }
        }
    }

    /// The two target groups picked, trimmed.
    fn target_groups(&self) -> Vec<String> {
        self.ecs
            .target_groups
            .iter()
            .map(|name| name.trim().to_owned())
            .collect()
    }

    /// The ECS fields: cluster, service, the second target group and the
    /// listeners, each picked from the account's lists (or typed when a
    /// list could not be read). `target_group_choices` are the account's
    /// target group names.
    pub fn ecs_ui(
        &mut self,
        ui: &mut egui::Ui,
        target_group_choices: &Loadable<Vec<String>>,
        touched: &mut wizard::Touched,
    ) -> Option<TrafficRequest> {
        let mut request = None;
        ui.label(RichText::new("ECS cluster").strong());
        match &self.clusters {
            Loadable::NotLoaded => {
                self.clusters = Loadable::Loading;
                request = Some(TrafficRequest::LoadClusters);
            }
            Loadable::Loading => {
                ui.spinner();
            }
            Loadable::Failed(error) => {
                wizard::error_line_ui(
                    ui,
                    &format!("The clusters could not be listed ({error}); type the names instead."),
                );
                if ui.button("List the clusters again").clicked() {
                    self.clusters = Loadable::Loading;
                    request = Some(TrafficRequest::LoadClusters);
                }
            }
            Loadable::Loaded(clusters) if clusters.is_empty() => {
                ui.label(
                    RichText::new("The account has no ECS cluster in this region: create one with its service first.")
                        .weak(),
                );
            }
            Loadable::Loaded(clusters) => {
                ui.horizontal_wrapped(|ui| {
                    for cluster in clusters {
                        if ui
                            .radio(self.ecs.cluster == *cluster, format!("Cluster {cluster}"))
                            .clicked()
                            && self.ecs.cluster != *cluster
                        {
                            self.ecs.cluster.clone_from(cluster);
                            self.ecs.service.clear();
                            self.services = Loadable::NotLoaded;
                        }
                    }
                });
            }
        }
        if matches!(self.clusters, Loadable::Failed(_)) {
            let response =
                wizard::field_ui(ui, "Cluster name", &mut self.ecs.cluster, "e.g. shop", None);
            touched.note("ecs service", &response);
        }
        if !self.ecs.cluster.trim().is_empty()
            && let Some(asked) = self.services_ui(ui, touched)
        {
            request = Some(asked);
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Target groups").strong());
        ui.label(
            RichText::new("The original task set serves the first; the replacement task set starts behind the second, and the listeners move traffic between them.")
                .weak(),
        );
        let first = wizard::field_ui(
            ui,
            "First target group (the service's)",
            &mut self.ecs.target_groups[0],
            "e.g. web-blue",
            None,
        );
        touched.note("target groups", &first);
        if let Loadable::Loaded(names) = target_group_choices {
            ui.horizontal_wrapped(|ui| {
                let first = self.ecs.target_groups[0].clone();
                for name in names.iter().filter(|name| **name != first) {
                    if ui
                        .radio(
                            self.ecs.target_groups[1] == *name,
                            format!("Second target group {name}"),
                        )
                        .clicked()
                    {
                        self.ecs.target_groups[1].clone_from(name);
                        touched.touch("target groups");
                    }
                }
            });
        }
        let second = wizard::field_ui(
            ui,
            "Second target group",
            &mut self.ecs.target_groups[1],
            "e.g. web-green",
            None,
        );
        touched.note("target groups", &second);
        let groups = self.target_groups();
        if groups.iter().all(|name| !name.is_empty()) {
            ui.add_space(6.0);
            if let Some(asked) = self.listeners_ui(ui, groups, touched) {
                request = Some(asked);
            }
        }
        ui.add_space(6.0);
        self.waits_ui(ui, "replacement task set", "original task set");
        request
    }

    /// The services of the chosen cluster: the `CODE_DEPLOY` ones to pick,
    /// the others named with why they cannot be.
    fn services_ui(
        &mut self,
        ui: &mut egui::Ui,
        touched: &mut wizard::Touched,
    ) -> Option<TrafficRequest> {
        ui.label(RichText::new("ECS service").strong());
        let cluster = self.ecs.cluster.trim().to_owned();
        let listed = match &self.services {
            Loadable::Loaded((of, services)) if *of == cluster => services,
            Loadable::Loading => {
                ui.spinner();
                return None;
            }
            Loadable::Failed(error) => {
                wizard::error_line_ui(
                    ui,
                    &format!(
                        "The services of {cluster} could not be listed ({error}); type the name instead."
                    ),
                );
                let retry = ui.button("List the services again").clicked();
                let response =
                    wizard::field_ui(ui, "Service name", &mut self.ecs.service, "e.g. web", None);
                touched.note("ecs service", &response);
                if retry {
                    self.services = Loadable::Loading;
                    return Some(TrafficRequest::LoadServices(cluster));
                }
                return None;
            }
            _ => {
                self.services = Loadable::Loading;
                return Some(TrafficRequest::LoadServices(cluster));
            }
        };
        let (code_deploy, others): (Vec<&EcsServiceChoice>, Vec<&EcsServiceChoice>) =
            listed.iter().partition(|service| service.is_code_deploy());
        if code_deploy.is_empty() {
            ui.label(
                RichText::new(format!("{cluster} has no service that CodeDeploy deploys: create one with the CODE_DEPLOY deployment controller."))
                    .color(ui.visuals().warn_fg_color),
            );
        }
        let mut picked = None;
        for service in code_deploy {
            let words = if service.target_groups.is_empty() {
                "behind no target group".to_owned()
            } else {
                format!("serves {}", service.target_groups.join(", "))
            };
            if ui
                .radio(
                    self.ecs.service == service.name,
                    format!("Service {} ({words})", service.name),
                )
                .clicked()
            {
                picked = Some(service.clone());
            }
        }
        if !others.is_empty() {
            let names: Vec<&str> = others.iter().map(|service| service.name.as_str()).collect();
            ui.label(
                RichText::new(format!(
                    "Not offered: {}. Their deployment controller is not CODE_DEPLOY, and CodeDeploy deploys only services created with it.",
                    names.join(", ")
                ))
                .weak(),
            );
        }
        if let Some(service) = picked {
            self.ecs.service.clone_from(&service.name);
            if let Some(first) = service.target_groups.first() {
                self.ecs.target_groups[0].clone_from(first);
            }
            touched.touch("ecs service");
        }
        None
    }

    /// The production and test listeners, from those forwarding to the
    /// two target groups.
    fn listeners_ui(
        &mut self,
        ui: &mut egui::Ui,
        groups: Vec<String>,
        touched: &mut wizard::Touched,
    ) -> Option<TrafficRequest> {
        ui.label(RichText::new("Listeners").strong());
        let mut request = None;
        match &self.listeners {
            Loadable::Loaded((asked, listeners)) if *asked == groups => {
                if listeners.is_empty() {
                    ui.label(
                        RichText::new("No listener forwards to these target groups: add one to their load balancer, or type its ARN.")
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                if listener_radios_ui(
                    ui,
                    "Production",
                    listeners,
                    &mut self.ecs.production_listener,
                ) {
                    touched.touch("listeners");
                }
                if ui
                    .radio(self.ecs.test_listener.is_empty(), "No test listener")
                    .clicked()
                {
                    self.ecs.test_listener.clear();
                }
                if listener_radios_ui(ui, "Test", listeners, &mut self.ecs.test_listener) {
                    touched.touch("listeners");
                }
            }
            Loadable::Loading => {
                ui.spinner();
            }
            Loadable::Failed(error) => {
                wizard::error_line_ui(
                    ui,
                    &format!(
                        "The listeners could not be listed ({error}); type their ARNs instead."
                    ),
                );
                if ui.button("List the listeners again").clicked() {
                    self.listeners = Loadable::Loading;
                    request = Some(TrafficRequest::LoadListeners(groups));
                }
            }
            _ => {
                self.listeners = Loadable::Loading;
                request = Some(TrafficRequest::LoadListeners(groups));
            }
        }
        let production = wizard::field_ui(
            ui,
            "Production listener ARN",
            &mut self.ecs.production_listener,
            "arn:aws:elasticloadbalancing:…:listener/app/…",
            None,
        );
        touched.note("listeners", &production);
        let test = wizard::field_ui(
            ui,
            "Test listener ARN (optional)",
            &mut self.ecs.test_listener,
            "empty for none",
            None,
        );
        touched.note("listeners", &test);
        request
    }

    /// When traffic moves and when the original goes.
    fn waits_ui(&mut self, ui: &mut egui::Ui, replacement: &str, original: &str) {
        ui.label(RichText::new("Rerouting").strong());
        ui.radio_value(
            &mut self.reroute_at_once,
            true,
            format!("Reroute traffic immediately once the {replacement} is ready"),
        );
        ui.radio_value(
            &mut self.reroute_at_once,
            false,
            "Wait for me to choose Continue",
        );
        if !self.reroute_at_once {
            ui.horizontal(|ui| {
                let label = ui.label("Stop the deployment if not continued within (minutes)");
                ui.add(
                    egui::DragValue::new(&mut self.wait_minutes)
                        .range(1..=MAX_BLUE_GREEN_WAIT_MINUTES),
                )
                .labelled_by(label.id);
            });
        }
        ui.horizontal(|ui| {
            let label = ui.label(format!("Remove the {original} after success (minutes)"));
            ui.add(
                egui::DragValue::new(&mut self.termination_wait_minutes)
                    .range(0..=MAX_BLUE_GREEN_WAIT_MINUTES),
            )
            .labelled_by(label.id);
        });
    }

    /// The configuration: the platform's predefined ones with their
    /// schedule in words, and the account's own.
    pub fn config_ui(
        &mut self,
        ui: &mut egui::Ui,
        platform: ComputePlatform,
    ) -> Option<TrafficRequest> {
        let mut request = None;
        ui.label(RichText::new("How traffic moves to the new version").strong());
        for config in PREDEFINED_TRAFFIC
            .iter()
            .filter(|config| config.platform == platform)
        {
            ui.radio_value(
                &mut self.config,
                config.name.to_owned(),
                format!("{}: {}", config.name, config.routing),
            );
        }
        ui.add_space(4.0);
        ui.label(RichText::new("The account's own configurations").strong());
        match &self.configs {
            Loadable::Loaded((of, names)) if *of == platform => {
                if names.is_empty() {
                    ui.label(
                        RichText::new(format!(
                            "None for {}: the rollout planner shows how to make one.",
                            platform.as_str()
                        ))
                        .weak(),
                    );
                }
                for name in names {
                    ui.radio_value(&mut self.config, name.clone(), name.as_str());
                }
            }
            Loadable::Loading => {
                ui.spinner();
            }
            Loadable::Failed(error) => {
                wizard::error_line_ui(
                    ui,
                    &format!("The account's configurations could not be listed ({error})."),
                );
                if ui.button("List the configurations again").clicked() {
                    self.configs = Loadable::Loading;
                    request = Some(TrafficRequest::LoadConfigs(platform));
                }
            }
            _ => {
                self.configs = Loadable::Loading;
                request = Some(TrafficRequest::LoadConfigs(platform));
            }
        }
        request
    }

    /// The Lambda group's type step: what it does, and nothing to pick.
    pub fn lambda_ui(ui: &mut egui::Ui) {
        ui.label(RichText::new("Blue/green, with traffic control").strong());
        ui.label("Each deployment moves a function alias's traffic from its current version to the target version, as the configuration's schedule says. The function, alias and versions are named in the deployment's AppSpec, so the group needs no more here.");
    }
}

/// A radio button for each of `listeners`, named "`role`: port … forwards
/// to …", choosing its ARN into `chosen`. Returns whether one was clicked.
fn listener_radios_ui(
    ui: &mut egui::Ui,
    role: &str,
    listeners: &[ListenerChoice],
    chosen: &mut String,
) -> bool {
    let mut clicked = false;
    for listener in listeners {
        if ui
            .radio(
                *chosen == listener.arn,
                format!("{role}: {}", listener.label()),
            )
            .on_hover_text(&listener.arn)
            .clicked()
        {
            chosen.clone_from(&listener.arn);
            clicked = true;
        }
    }
    clicked
}
