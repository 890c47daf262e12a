//! Property tests that tie the AppSpec parser (what the local cloud's agent
//! refuses) to the linter (what the Revisions page blocks): AppSpec-like
//! files, valid and broken, are generated from a few choices per section.

use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::domain::appspec::parse;
use crate::domain::appspec_lint::{DeploymentStyle, LintPlatform, blocks_upload, lint};
use crate::domain::bundle::{BundleFile, BundleFiles};

/// How many files each property checks.
const CASES: u32 = 4000;

/// A field of an entry, as the generator writes it.
#[derive(Debug, Clone)]
enum Field {
    /// `key: text`.
    Text(&'static str),
    /// No such key.
    Missing,
    /// `key:` with nothing after it.
    Null,
    /// `key: [a, b]`.
    List,
    /// `key: {a: b}`.
    Mapping,
}

impl Field {
    /// The `key: value` line of the field, if it is written.
    fn line(&self, key: &str) -> Option<String> {
        match self {
            Self::Text(text) => Some(format!("{key}: {text}")),
            Self::Missing => None,
            Self::Null => Some(format!("{key}:")),
            Self::List => Some(format!("{key}: [a, b]")),
            Self::Mapping => Some(format!("{key}: {{a: b}}")),
        }
    }
}

/// A field that is mostly one of `good`, sometimes missing or of the wrong
/// type.
fn field(good: &'static [&'static str]) -> impl Strategy<Value = Field> {
    prop_oneof![
        8 => select(good).prop_map(Field::Text),
        1 => Just(Field::Missing),
        1 => Just(Field::Null),
        1 => Just(Field::List),
        1 => Just(Field::Mapping),
    ]
}

/// A list item: a mapping of fields, or a bare scalar.
#[derive(Debug, Clone)]
enum Item<T> {
    /// The item's fields.
    Mapping(T),
    /// `- text` where a mapping belongs.
    Scalar,
}

/// A section (or a hook's script list) as the generator writes it.
#[derive(Debug, Clone)]
enum Section<T> {
    /// Not written.
    Absent,
    /// `key:` with nothing after it.
    Null,
    /// Its entries.
    Entries(Vec<T>),
    /// A value of the wrong shape (a scalar, or the other kind of
    /// collection).
    Shapeless(&'static str),
}

/// A section that is mostly a list of `entry`.
fn section<T: std::fmt::Debug + Clone>(
    entry: impl Strategy<Value = T>,
    shapeless: &'static [&'static str],
) -> impl Strategy<Value = Section<T>> {
    prop_oneof![
        2 => Just(Section::Absent),
        1 => Just(Section::Null),
        8 => proptest::collection::vec(entry, 0..4).prop_map(Section::Entries),
        1 => select(shapeless).prop_map(Section::Shapeless),
    ]
}

/// A list item that is mostly a mapping of `fields`.
fn item<T: std::fmt::Debug + Clone>(
    fields: impl Strategy<Value = T>,
) -> impl Strategy<Value = Item<T>> {
    prop_oneof![10 => fields.prop_map(Item::Mapping), 1 => Just(Item::Scalar)]
}

/// One hook script.
#[derive(Debug, Clone)]
struct Script {
    /// Its location.
    location: Field,
    /// Its timeout as written, if any.
    timeout: Option<&'static str>,
    /// Whether it runs as root (`runas: root`).
    runas: bool,
    /// A setting the agent does not know, if any.
    unknown_setting: Option<&'static str>,
}

/// One hook.
#[derive(Debug, Clone)]
struct Hook {
    /// The event it names.
    name: &'static str,
    /// Its scripts.
    scripts: Section<Item<Script>>,
}

/// One `files` entry.
#[derive(Debug, Clone)]
struct File {
    /// Its source.
    source: Field,
    /// Its destination.
    destination: Field,
}

/// One `permissions` entry.
#[derive(Debug, Clone)]
struct Permission {
    /// Its object.
    object: Field,
    /// Its owner.
    owner: Field,
    /// Its mode, if any.
    mode: Option<&'static str>,
}

/// How the text is broken after it is written.
#[derive(Debug, Clone)]
enum Breakage {
    /// Not at all.
    None,
    /// A flow list left open.
    Unclosed,
    /// A line indented with a tab.
    Tab,
    /// A section written twice.
    Duplicate,
}

/// An AppSpec as the generator builds it.
#[derive(Debug, Clone)]
struct Spec {
    /// The `version` line, if any.
    version: Option<&'static str>,
    /// The `os` line, if any.
    os: Option<&'static str>,
    /// Another top-level line, if any.
    extra: Option<&'static str>,
    /// The `files` section.
    files: Section<Item<File>>,
    /// The `permissions` section.
    permissions: Section<Item<Permission>>,
    /// The `hooks` section.
    hooks: Section<Hook>,
    /// Whether list items are indented below their key.
    indented: bool,
    /// How the text is broken.
    breakage: Breakage,
}

/// The scripts of the bundle every generated file is linted against.
const SCRIPTS: &[&str] = &["scripts/start.sh", "scripts/stop.sh", "scripts/check.sh"];

/// Sources that are in that bundle.
const SOURCES: &[&str] = &["/", "/index.html", "scripts", "index.html"];

/// The bundle: the sample page and the scripts, all executable.
fn bundle() -> BundleFiles {
    BundleFiles::new(
        ["appspec.yml", "index.html"]
            .iter()
            .chain(SCRIPTS)
            .map(|path| BundleFile {
                path: (*path).to_owned(),
                executable: path.starts_with("scripts/"),
            }),
    )
}

/// Hook names: the scriptable events most of the time, and events that
/// run no scripts, misspellings and ECS hooks.
const HOOK_NAMES: &[&str] = &[
    "ApplicationStop",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeBlockTraffic",
    "AfterBlockTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
    "AfterInstall",
    "ApplicationStart",
    "Install",
    "DownloadBundle",
    "AfterInstal",
    "afterinstall",
    "AfterAllowTestTraffic",
    "\"AfterInstall\"",
];

/// Timeouts: whole seconds in range, and out of range, fractional, text
/// and lists.
const TIMEOUTS: &[&str] = &[
    "300",
    "\"120\"",
    "3600",
    "1",
    "1800",
    "2000",
    "0",
    "-5",
    "3601",
    "ten",
    "30.5",
    "[1]",
    "~",
    "99999999999",
    "\" 60 \"",
];

/// A hook script; `runas` is only written when `linux` (runas is an error
/// on Windows, a rule the parser does not have).
fn script(linux: bool) -> impl Strategy<Value = Script> {
    (
        field(SCRIPTS),
        proptest::option::weighted(0.6, select(TIMEOUTS)),
        any::<bool>(),
        proptest::option::weighted(0.1, select(&["sudo: true", "2: x"][..])),
    )
        .prop_map(move |(location, timeout, runas, unknown_setting)| Script {
            location,
            timeout,
            runas: runas && linux,
            unknown_setting,
        })
}

/// A whole AppSpec, valid or broken in the ways the parser checks. Its
/// destinations are absolute for its os, its scripts are in the bundle,
/// and it breaks no rule that only the linter has.
fn spec() -> impl Strategy<Value = Spec> {
    let os = prop_oneof![
        6 => Just(Some("os: linux")),
        3 => Just(Some("os: windows")),
        1 => Just(Some("os: macos")),
        1 => Just(Some("os:")),
        1 => Just(Some("os: [linux]")),
        1 => Just(None),
    ];
    os.prop_flat_map(|os| {
        let windows = os == Some("os: windows");
        let destinations: &'static [&'static str] = if windows {
            &["C:\\inetpub\\wwwroot", "D:/app"]
        } else {
            &["/var/www/html", "/opt/app"]
        };
        let version = prop_oneof![
            8 => Just(Some("version: 0.0")),
            1 => Just(Some("version: 0")),
            1 => Just(Some("version: \"0.0\"")),
            1 => Just(Some("version: 1.0")),
            1 => Just(Some("version:")),
            1 => Just(Some("version: [0.0]")),
            1 => Just(None),
        ];
        let extra = prop_oneof![
            6 => Just(None),
            1 => Just(Some("file_exists_behavior: OVERWRITE")),
            1 => Just(Some("notes: kept by hand")),
        ];
        let files = section(
            item(
                (field(SOURCES), field(destinations)).prop_map(|(source, destination)| File {
                    source,
                    destination,
                }),
            ),
            &["/var/www", "{source: /, destination: /opt}"],
        );
        let permissions = section(
            item(
                (
                    field(&["/var/www/html", "/opt/app"]),
                    field(&["root", "nginx", "1000"]),
                    proptest::option::of(select(&["644", "0755", "600"][..])),
                )
                    .prop_map(|(object, owner, mode)| Permission {
                        object,
                        owner,
                        mode,
                    }),
            ),
            &["/var/www", "{object: /opt}"],
        );
        let hook = (
            select(HOOK_NAMES),
            section(
                item(script(!windows)),
                &["scripts/start.sh", "{location: scripts/start.sh}"],
            ),
        )
            .prop_map(|(name, scripts)| Hook { name, scripts });
        let hooks = section(hook, &["[AfterInstall]", "scripts/start.sh"]);
        let breakage = prop_oneof![
            12 => Just(Breakage::None),
            1 => Just(Breakage::Unclosed),
            1 => Just(Breakage::Tab),
            1 => Just(Breakage::Duplicate),
        ];
        (
            version,
            Just(os),
            extra,
            files,
            permissions,
            hooks,
            any::<bool>(),
            breakage,
        )
            .prop_map(
                |(version, os, extra, files, permissions, hooks, indented, breakage)| Spec {
                    version,
                    os,
                    extra,
                    files,
                    permissions,
                    hooks,
                    indented,
                    breakage,
                },
            )
    })
}

/// Writes list items: `- first` and the other lines aligned below it.
fn write_item(text: &mut Vec<String>, indent: usize, lines: &[String]) {
    let pad = " ".repeat(indent);
    match lines.split_first() {
        None => text.push(format!("{pad}- {{}}")),
        Some((first, rest)) => {
            text.push(format!("{pad}- {first}"));
            for line in rest {
                text.push(format!("{pad}  {line}"));
            }
        }
    }
}

/// Writes a section's header and its entries, each with `write_entry`.
fn write_section<T>(
    text: &mut Vec<String>,
    indent: usize,
    key: &str,
    section: &Section<T>,
    mut write_entry: impl FnMut(&mut Vec<String>, &T),
) {
    let pad = " ".repeat(indent);
    match section {
        Section::Absent => {}
        Section::Null => text.push(format!("{pad}{key}:")),
        Section::Shapeless(value) => text.push(format!("{pad}{key}: {value}")),
        Section::Entries(entries) if entries.is_empty() => {
            text.push(format!("{pad}{key}: []"));
        }
        Section::Entries(entries) => {
            text.push(format!("{pad}{key}:"));
            for entry in entries {
                write_entry(text, entry);
            }
        }
    }
}

/// Writes an item of fields, or a bare scalar.
fn write_fields<T>(
    text: &mut Vec<String>,
    indent: usize,
    item: &Item<T>,
    fields: impl Fn(&T) -> Vec<String>,
) {
    match item {
        Item::Mapping(value) => write_item(text, indent, &fields(value)),
        Item::Scalar => text.push(format!("{}- just-text", " ".repeat(indent))),
    }
}

impl Spec {
    /// The YAML text.
    fn text(&self) -> String {
        let mut text = Vec::new();
        let step = if self.indented { 2 } else { 0 };
        for line in [self.version, self.os, self.extra].into_iter().flatten() {
            text.push(line.to_owned());
        }
        write_section(&mut text, 0, "files", &self.files, |text, file| {
            write_fields(text, step, file, |file: &File| {
                [
                    file.source.line("source"),
                    file.destination.line("destination"),
                ]
                .into_iter()
                .flatten()
                .collect()
            });
        });
        write_section(
            &mut text,
            0,
            "permissions",
            &self.permissions,
            |text, permission| {
                write_fields(text, step, permission, |permission: &Permission| {
                    [
                        permission.object.line("object"),
                        permission.owner.line("owner"),
                        permission.mode.map(|mode| format!("mode: {mode}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect()
                });
            },
        );
        // Hook names are keys: a name written twice is a YAML error, so
        // only the first of each is kept.
        let mut seen = Vec::new();
        write_section(&mut text, 0, "hooks", &self.hooks, |text, hook| {
            let name = hook.name.trim_matches('"');
            if seen.contains(&name) {
                return;
            }
            seen.push(name);
            write_section(text, 2, hook.name, &hook.scripts, |text, script| {
                write_fields(text, 2 + step, script, |script: &Script| {
                    [
                        script.location.line("location"),
                        script.timeout.map(|timeout| format!("timeout: {timeout}")),
                        script.runas.then(|| "runas: root".to_owned()),
                        script.unknown_setting.map(str::to_owned),
                    ]
                    .into_iter()
                    .flatten()
                    .collect()
                });
            });
        });
        match self.breakage {
            Breakage::None => {}
            Breakage::Unclosed => text.push("notes: [open".to_owned()),
            Breakage::Tab => text.push("files:\n\t- source: /".to_owned()),
            Breakage::Duplicate => text.push("version: 0.0".to_owned()),
        }
        text.join("\n") + "\n"
    }
}

/// Tokens a free mutation writes in place of a value.
const TOKENS: &[&str] = &[
    "5",
    "true",
    "\"\"",
    "web user",
    "relative/path",
    "REPLACE",
    "~",
    "[]",
    "{}",
    "scripts/gone.sh",
    "rwxr-xr-x",
    "AppStart",
    "- x",
    ":",
    "'",
    "3601",
];

/// A change to a written file: anything at all, including what only the
/// linter checks.
#[derive(Debug, Clone)]
enum Mutation {
    /// The line at the index is removed.
    Drop(Index),
    /// The value of the line at the index is replaced by the token.
    Replace(Index, &'static str),
    /// The line at the index is indented two more spaces.
    Indent(Index),
}

impl Mutation {
    /// Applies the mutation to `text`.
    fn apply(&self, text: &str) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            return text.to_owned();
        }
        let count = lines.len();
        match self {
            Self::Drop(index) => {
                lines.remove(index.index(count));
            }
            Self::Replace(index, token) => {
                let line = &mut lines[index.index(count)];
                if let Some(colon) = line.find(": ") {
                    line.truncate(colon + 2);
                    line.push_str(token);
                } else {
                    line.push_str(token);
                }
            }
            Self::Indent(index) => {
                lines[index.index(count)].insert_str(0, "  ");
            }
        }
        lines.join("\n") + "\n"
    }
}

/// A mutation.
fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Drop),
        (any::<Index>(), select(TOKENS)).prop_map(|(index, token)| Mutation::Replace(index, token)),
        any::<Index>().prop_map(Mutation::Indent),
    ]
}

/// The EC2/on-premises platforms a file may be linted for.
fn server_platform() -> impl Strategy<Value = LintPlatform> {
    prop_oneof![
        Just(LintPlatform::SERVER),
        Just(LintPlatform::Server {
            style: DeploymentStyle::InPlace,
            load_balancer: false
        }),
        Just(LintPlatform::Server {
            style: DeploymentStyle::BlueGreen,
            load_balancer: true
        }),
    ]
}

/// The bundles a mutated file may be linted against: the full one, a list
/// known to be incomplete, and one whose scripts are not executable.
fn any_bundle() -> impl Strategy<Value = BundleFiles> {
    prop_oneof![
        Just(bundle()),
        Just(BundleFiles::default()),
        Just({
            let mut files = bundle();
            for file in &mut files.files {
                file.executable = false;
            }
            files
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// For files that break no rule of the linter's own (their paths are in
    /// the bundle, their destinations absolute), the linter blocks the
    /// upload exactly when the parser refuses the file.
    #[test]
    fn the_linter_blocks_exactly_what_the_parser_refuses(spec in spec(), platform in server_platform()) {
        let text = spec.text();
        let parsed = parse(&text);
        let findings = lint(&text, platform, &bundle());
        prop_assert_eq!(
            parsed.is_err(),
            blocks_upload(&findings),
            "{}\nparser: {:?}\nlinter: {:#?}", text, parsed.err(), findings
        );
    }

    /// Whatever the file, the linter never lets through what the parser
    /// refuses.
    #[test]
    fn whenever_the_parser_refuses_a_file_the_linter_reports_an_error(
        spec in spec(),
        mutations in proptest::collection::vec(mutation(), 0..3),
        platform in server_platform(),
        files in any_bundle(),
    ) {
        let text = mutations.iter().fold(spec.text(), |text, mutation| mutation.apply(&text));
        if let Err(error) = parse(&text) {
            let findings = lint(&text, platform, &files);
            prop_assert!(blocks_upload(&findings), "{}\nparser: {:?}\nlinter: {:#?}", text, error, findings);
        }
    }
}
