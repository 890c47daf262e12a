//! The tag instances table: a header that sorts, and one row per visible
//! instance with its checkbox, laid out only for the rows in view.

use egui::{Align, Layout, RichText};

use super::TagInstancesPage;
use super::model::SortColumn;

/// The widths of the table's columns before the tags, in points.
const COLUMN_WIDTHS: [f32; 5] = [200.0, 150.0, 100.0, 100.0, 120.0];

impl TagInstancesPage {
    fn sort_button_ui(&mut self, ui: &mut egui::Ui, column: SortColumn, title: &str) {
        let text = if self.sort.column == column {
            let direction = if self.sort.descending { "Z-A" } else { "A-Z" };
            format!("{title} ({direction})")
        } else {
            title.to_owned()
        };
        let response = ui
            .add(egui::Button::new(RichText::new(text).strong()).frame(false))
            .on_hover_text(format!("Sort by {title}"));
        if response.clicked() {
            self.sort = self.sort.toggled(column);
        }
    }

    pub(super) fn table_ui(&mut self, ui: &mut egui::Ui) {
        if self.instances.is_empty() {
            ui.label(RichText::new("This account has no EC2 instances in this region.").weak());
            return;
        }
        let row_height = ui.spacing().interact_size.y;
        ui.horizontal(|ui| {
            cell_ui(ui, COLUMN_WIDTHS[0], row_height, |ui| {
                self.sort_button_ui(ui, SortColumn::InstanceId, "Instance");
            });
            cell_ui(ui, COLUMN_WIDTHS[1], row_height, |ui| {
                self.sort_button_ui(ui, SortColumn::Name, "Name");
            });
            for (width, title) in COLUMN_WIDTHS[2..]
                .iter()
                .zip(["State", "Type", "Private IP"])
            {
                cell_ui(ui, *width, row_height, |ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
            ui.label(RichText::new("Tags").strong());
        });
        ui.separator();
        if self.visible.is_empty() {
            ui.label(RichText::new("No instance matches the filters.").weak());
            return;
        }
        let Self {
            instances,
            tags_text,
            visible,
            selection,
            ..
        } = self;
        egui::ScrollArea::vertical()
            .id_salt("tag_instances_table")
            .auto_shrink([false, true])
            .show_rows(ui, row_height, visible.len(), |ui, range| {
                for &index in &visible[range] {
                    let instance = &instances[index];
                    ui.horizontal(|ui| {
                        cell_ui(ui, COLUMN_WIDTHS[0], row_height, |ui| {
                            let mut selected = selection.contains(&instance.instance_id);
                            if ui
                                .checkbox(&mut selected, instance.instance_id.as_str())
                                .changed()
                            {
                                selection.set(&instance.instance_id, selected);
                            }
                        });
                        let cells = [
                            instance.name.as_deref().unwrap_or("-"),
                            instance.state.as_str(),
                            instance.instance_type.as_str(),
                            instance.private_ip.as_deref().unwrap_or("-"),
                        ];
                        for (width, text) in COLUMN_WIDTHS[1..].iter().zip(cells) {
                            cell_ui(ui, *width, row_height, |ui| {
                                ui.add(egui::Label::new(text).truncate());
                            });
                        }
                        let tags = match tags_text[index].as_str() {
                            "" => "(no tags)",
                            text => text,
                        };
                        ui.add(egui::Label::new(tags).truncate());
                    });
                }
            });
    }
}

/// A table cell of a fixed width.
fn cell_ui(ui: &mut egui::Ui, width: f32, height: f32, content: impl FnOnce(&mut egui::Ui)) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.set_width(width);
            content(ui);
        },
    );
}
