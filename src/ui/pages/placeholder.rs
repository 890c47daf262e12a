//! Pages that are not built yet say what they will hold.

use crate::settings::Page;

/// What a page that is not built yet will hold.
fn coming(page: Page) -> &'static str {
    match page {
        Page::Applications => {
            "Your CodeDeploy applications and their deployment groups: compute platform, \
             deployment configuration, target tags and last deployment. Create and delete \
             applications here."
        }
        Page::Deployments => {
            "Recent deployments with their status, and the live rollout view: a grid of \
             every instance's health during a deployment, with lifecycle events and log \
             tails a click away."
        }
        Page::Revisions => {
            "Registered revisions, and a picker that lints the AppSpec, bundles a folder, \
             uploads it to S3 with progress and registers it."
        }
        Page::Setup => {
            "Wizards for the CodeDeploy service role, the EC2 instance profile and tagged \
             deployment groups, each showing exactly what it will create."
        }
        Page::RolloutPlanner => "How a rollout will go, from CodeDeploy's own health rules.",
    }
}

/// Draws a page that is still to come.
pub fn ui(ui: &mut egui::Ui, page: Page) {
    ui.heading(page.title());
    ui.add_space(8.0);
    ui.label(coming(page));
    ui.add_space(8.0);
    ui.label(
        egui::RichText::new(
            "This page is not available yet. Meanwhile the Rollout planner shows how CodeDeploy will roll out to your fleet.",
        )
        .weak(),
    );
}
