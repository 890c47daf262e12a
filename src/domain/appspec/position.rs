//! Where an entry of an AppSpec is in its text. The YAML library gives no
//! positions for the values it reads, so a path of keys and list items
//! ([`Step`]) is followed through the text by indentation ([`line_of`]).
//! Both the parser's errors and the linter's findings are placed this way.

/// One step of a path into an AppSpec: a mapping key or a list index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// The value of a key.
    Key(&'a str),
    /// The item of a list, from 0.
    Index(usize),
}

/// Writes a path as `hooks.AfterInstall[0].timeout`.
pub fn path_text(path: &[Step<'_>]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Index(index) => {
                text.push('[');
                text.push_str(&index.to_string());
                text.push(']');
            }
        }
    }
    text
}

/// A line of the text with its indentation.
struct TextLine<'a> {
    /// Its 1-based number.
    number: usize,
    /// Spaces before its content.
    indent: usize,
    /// Its content after the indentation.
    content: &'a str,
}

impl TextLine<'_> {
    /// The content after any leading `- ` list markers, and the column it
    /// starts at.
    fn after_markers(&self) -> (usize, &str) {
        let mut column = self.indent;
        let mut content = self.content;
        loop {
            if let Some(rest) = content.strip_prefix("- ") {
                let trimmed = rest.trim_start_matches(' ');
                column += content.len() - trimmed.len();
                content = trimmed;
            } else if let Some(rest) = content.strip_prefix("{") {
                let trimmed = rest.trim_start();
                column += content.len() - trimmed.len();
                content = trimmed;
            } else {
                return (column, content);
            }
        }
    }

    /// Whether the line is a block list item (`- ...` or `-`).
    fn is_item(&self) -> bool {
        self.content == "-" || self.content.starts_with("- ")
    }

    /// The mapping key this line starts, if any (quotes removed).
    fn key(&self) -> Option<&str> {
        let (_, content) = self.after_markers();
        for quote in ['"', '\''] {
            if let Some(rest) = content.strip_prefix(quote) {
                let end = rest.find(quote)?;
                let after = rest[end + 1..].trim_start();
                return after.starts_with(':').then(|| &rest[..end]);
            }
        }
        let colon = content
            .match_indices(':')
            .map(|(at, _)| at)
            .find(|at| matches!(content[at + 1..].chars().next(), None | Some(' ' | '\t')))?;
        Some(content[..colon].trim_end())
    }
}

/// The lines of `text` that carry content (no blank lines, comments or
/// document markers).
fn content_lines(text: &str) -> Vec<TextLine<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let content = line.trim_start_matches(' ');
            let trimmed = content.trim();
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || trimmed == "---"
                || trimmed == "..."
            {
                return None;
            }
            Some(TextLine {
                number: index + 1,
                indent: line.len() - content.len(),
                content: content.trim_end(),
            })
        })
        .collect()
}

/// The 1-based line of the entry at `path` in the YAML (or JSON) `text`,
/// found by following keys and block list items by indentation. When the
/// path leads somewhere the text does not show (a flow list, a missing
/// key), it gives the line of the deepest step found; `None` when not even
/// the first step is found.
pub fn line_of(text: &str, path: &[Step<'_>]) -> Option<usize> {
    let lines = content_lines(text);
    let mut start = 0;
    let mut end = lines.len();
    let mut found = None;
    for step in path {
        let block = &lines[start..end];
        match step {
            Step::Key(key) => {
                let Some(column) = block.iter().map(|line| line.after_markers().0).min() else {
                    break;
                };
                let at = block
                    .iter()
                    .position(|line| line.after_markers().0 == column && line.key() == Some(key))
                    .or_else(|| block.iter().position(|line| line.key() == Some(key)));
                let Some(at) = at else { break };
                let line = &block[at];
                let key_column = line.after_markers().0;
                found = Some(line.number);
                let child_start = start + at + 1;
                let child_end = lines[child_start..end]
                    .iter()
                    .position(|next| {
                        next.indent < key_column || (next.indent == key_column && !next.is_item())
                    })
                    .map_or(end, |offset| child_start + offset);
                start = child_start;
                end = child_end;
            }
            Step::Index(index) => {
                // Block items (`- `) when there are any; otherwise flow or
                // JSON items: the lines at the block's indentation that do
                // not close a bracket.
                let block_items = block.iter().any(TextLine::is_item);
                let is_item = |line: &TextLine<'_>| {
                    if block_items {
                        line.is_item()
                    } else {
                        !line.content.starts_with(['}', ']'])
                    }
                };
                let Some(column) = block
                    .iter()
                    .filter(|line| is_item(line))
                    .map(|line| line.indent)
                    .min()
                else {
                    break;
                };
                let items: Vec<usize> = block
                    .iter()
                    .enumerate()
                    .filter(|(_, line)| is_item(line) && line.indent == column)
                    .map(|(at, _)| start + at)
                    .collect();
                let Some(&item) = items.get(*index) else {
                    break;
                };
                found = Some(lines[item].number);
                end = items.get(index + 1).copied().unwrap_or(end);
                start = item;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_keys_and_items_by_indentation() {
        let text = "a:\n  - x: 1\n    y: 2\n  - x: 3\n    # comment\n    y: 4\nb:\n  y: 5\n";
        assert_eq!(line_of(text, &[Step::Key("a")]), Some(1));
        assert_eq!(
            line_of(text, &[Step::Key("a"), Step::Index(1), Step::Key("y")]),
            Some(6)
        );
        assert_eq!(
            line_of(text, &[Step::Key("a"), Step::Index(0), Step::Key("y")]),
            Some(3)
        );
        assert_eq!(line_of(text, &[Step::Key("b"), Step::Key("y")]), Some(8));
        // A missing step gives the deepest line found.
        assert_eq!(line_of(text, &[Step::Key("b"), Step::Key("z")]), Some(7));
        assert_eq!(line_of(text, &[Step::Key("c")]), None);
        // Lists at the same indentation as their key.
        let flat = "files:\n- source: a\n  destination: b\n- source: c\n";
        assert_eq!(
            line_of(
                flat,
                &[Step::Key("files"), Step::Index(1), Step::Key("source")]
            ),
            Some(4)
        );
        // Quoted keys, as in JSON.
        assert_eq!(
            line_of(
                "{\n  \"x\": {\n    \"y\": 1\n  }\n}",
                &[Step::Key("x"), Step::Key("y")]
            ),
            Some(3)
        );
    }
}
