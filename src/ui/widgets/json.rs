//! A read-only, highlighted view of a JSON document (policy documents on
//! the wizards' review pages), selectable so it can be copied.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};

/// The kinds of token the highlighter colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// An object member's name.
    Key,
    /// A string value.
    String,
    /// A number.
    Number,
    /// `true`, `false` or `null`.
    Literal,
    /// Braces, brackets, colons, commas and white space.
    Punctuation,
}

/// Splits pretty-printed JSON into tokens, as byte ranges. Text that is not
/// JSON comes out as punctuation, so nothing is ever lost.
fn tokens(text: &str) -> Vec<(Token, std::ops::Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let token = match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                // A string followed by a colon is a member name.
                let rest = text[i..].trim_start();
                if rest.starts_with(':') {
                    Token::Key
                } else {
                    Token::String
                }
            }
            b'-' | b'0'..=b'9' => {
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                Token::Number
            }
            b't' | b'f' | b'n' => {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                Token::Literal
            }
            _ => {
                while i < bytes.len()
                    && !matches!(bytes[i], b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
                {
                    i += 1;
                }
                Token::Punctuation
            }
        };
        out.push((token, start..i));
    }
    out
}

/// The colour of a token in the current theme.
fn colour(token: Token, dark: bool) -> Color32 {
    match (token, dark) {
        (Token::Key, true) => Color32::from_rgb(0x9c, 0xdc, 0xfe),
        (Token::Key, false) => Color32::from_rgb(0x00, 0x45, 0x8a),
        (Token::String, true) => Color32::from_rgb(0xce, 0x91, 0x78),
        (Token::String, false) => Color32::from_rgb(0xa3, 0x15, 0x15),
        (Token::Number | Token::Literal, true) => Color32::from_rgb(0xb5, 0xce, 0xa8),
        (Token::Number | Token::Literal, false) => Color32::from_rgb(0x09, 0x86, 0x58),
        (Token::Punctuation, true) => Color32::from_gray(0xc8),
        (Token::Punctuation, false) => Color32::from_gray(0x40),
    }
}

/// The highlighted layout of `text`.
fn layout(text: &str, dark: bool, font: &FontId) -> LayoutJob {
    let mut job = LayoutJob::default();
    for (token, range) in tokens(text) {
        job.append(
            &text[range],
            0.0,
            TextFormat::simple(font.clone(), colour(token, dark)),
        );
    }
    job
}

/// Shows `document` pretty-printed and highlighted, in a frame, with a
/// Copy button. `label` names it for screen readers.
pub fn json_ui(ui: &mut egui::Ui, label: &str, document: &serde_json::Value) {
    let text = serde_json::to_string_pretty(document).unwrap_or_else(|_| document.to_string());
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(label).strong());
        if ui
            .small_button("Copy")
            .on_hover_text("Copy this document to the clipboard")
            .clicked()
        {
            ui.ctx().copy_text(text.clone());
        }
    });
    let dark = ui.visuals().dark_mode;
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    egui::Frame::group(ui.style())
        .fill(ui.visuals().extreme_bg_color)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            let job = layout(&text, dark, &font);
            ui.add(egui::Label::new(job).selectable(true))
                .on_hover_text(label);
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_lands_in_exactly_one_token() {
        let text = serde_json::to_string_pretty(&serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "n": -1.5e3, "ok": true, "none": null,
                           "quoted": "a \"b\" : c"}]
        }))
        .unwrap();
        let tokens = tokens(&text);
        let joined: String = tokens
            .iter()
            .map(|(_, range)| &text[range.clone()])
            .collect();
        assert_eq!(joined, text);
        let kind_of = |needle: &str| {
            tokens
                .iter()
                .find(|(_, range)| &text[range.clone()] == needle)
                .map(|(token, _)| *token)
        };
        assert_eq!(kind_of("\"Version\""), Some(Token::Key));
        assert_eq!(kind_of("\"2012-10-17\""), Some(Token::String));
        assert_eq!(kind_of("-1500.0"), Some(Token::Number));
        assert_eq!(kind_of("true"), Some(Token::Literal));
        assert_eq!(kind_of("null"), Some(Token::Literal));
        assert_eq!(kind_of("\"a \\\"b\\\" : c\""), Some(Token::String));
    }

    #[test]
    fn text_that_is_not_json_is_kept_whole() {
        for text in ["", "\"unterminated", "not json at all", "{\"a\": \\"] {
            let joined: String = tokens(text)
                .iter()
                .map(|(_, range)| &text[range.clone()])
                .collect();
            assert_eq!(joined, text);
        }
    }
}
