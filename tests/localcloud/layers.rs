//! The local cloud stays layered: no file of `src/localcloud/` imports a
//! file of a higher layer, and no files import each other in a circle.
//!
//! The layers, from the bottom (see `ARCHITECTURE.md`):
//!
//! 1. foundation: the clock, the account, fault specs and the wire
//!    protocols' shared pieces (`protocol/`);
//! 2. model: what each service stores (`world.rs`, `store/`,
//!    and in a service folder its `mod.rs`, `state.rs`, `*_state.rs`,
//!    `shapes.rs` and `errors.rs`);
//! 3. the deployment engine (`engine/`);
//! 4. the dispatch shape every service has (`dispatch.rs`);
//! 5. the request handlers: every other file of a service folder;
//! 6. the services as the server sees them: each folder's `service.rs`, the
//!    one-file services and the registry (`services.rs`);
//! 7. the server and what starts it (`server.rs`, `serve.rs`, `mod.rs`).
//!
//! The test reads every file with `syn` and follows each path that names
//! something of the local cloud (in `use` items and in code) to the file
//! that defines it. A `pub use` is a module's facade: a path through it is
//! followed on to the file that defines the item, and the re-export itself
//! imports nothing into the file that makes it. Declaring a child module
//! (`mod x;`) is not an import either. Paths written inside macro calls are
//! not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use syn::visit::Visit;

/// The layers, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// The clock, the account, fault specs, the protocols' shared pieces.
    Foundation,
    /// What the services store.
    Model,
    /// The deployment engine.
    Engine,
    /// The shape every service has.
    Dispatch,
    /// The request handlers.
    Handlers,
    /// The services as the server sees them.
    Services,
    /// The server and what starts it.
    Server,
}

/// Folders of `src/localcloud/` that are not services, with their layer.
const FOLDERS: [(&str, Layer); 3] = [
    ("protocol", Layer::Foundation),
    ("store", Layer::Model),
    ("engine", Layer::Engine),
];

/// The files directly in `src/localcloud/`, with their layer. A new file
/// there must be placed in a layer here.
const TOP_FILES: [(&str, Layer); 12] = [
    ("clock.rs", Layer::Foundation),
    ("account.rs", Layer::Foundation),
    ("error.rs", Layer::Foundation),
    ("faults.rs", Layer::Foundation),
    ("world.rs", Layer::Model),
    ("dispatch.rs", Layer::Dispatch),
    ("sts.rs", Layer::Services),
    ("sso.rs", Layer::Services),
    ("services.rs", Layer::Services),
    ("server.rs", Layer::Server),
    ("serve.rs", Layer::Server),
    ("mod.rs", Layer::Server),
];

/// Imports that break the layering today and are to go: each names the
/// importing file, the imported file and why it is still here. The test
/// fails when one of them is no longer needed, so the list only shrinks.
const KNOWN_EXCEPTIONS: [(&str, &str, &str); 0] = [];

/// Which layer the file `relative` (a path below `src/localcloud/`, with
/// `/` separators) is in, or `None` for a top-level file no layer names.
fn layer_of(relative: &str) -> Option<Layer> {
    let Some((folder, rest)) = relative.split_once('/') else {
        return TOP_FILES
            .iter()
            .find(|(name, _)| *name == relative)
            .map(|(_, layer)| *layer);
    };
    if let Some((_, layer)) = FOLDERS.iter().find(|(name, _)| *name == folder) {
        return Some(*layer);
    }
    // A service folder.
    let file = rest.rsplit('/').next().unwrap_or(rest);
    Some(match file {
        "mod.rs" | "state.rs" | "shapes.rs" | "errors.rs" => Layer::Model,
        _ if file.ends_with("_state.rs") => Layer::Model,
        "service.rs" => Layer::Services,
        _ => Layer::Handlers,
    })
}

/// One module: a file, or a module written inline in a file.
#[derive(Debug, Default)]
struct Module {
    /// The file it is in.
    file: usize,
    /// The module it is in; `None` for the local cloud's root.
    parent: Option<usize>,
    /// Its child modules, by name.
    children: BTreeMap<String, usize>,
    /// The names its `use` items bring in, each with the path it stands for.
    aliases: BTreeMap<String, Vec<String>>,
    /// The paths of its glob imports (`use x::*`).
    globs: Vec<Vec<String>>,
    /// The names of the items defined in it.
    items: BTreeSet<String>,
}

/// A path written in a module, to be followed to the file it names.
#[derive(Debug)]
struct Reference {
    /// The module it is written in.
    module: usize,
    /// Its segments.
    path: Vec<String>,
}

/// What a path leads to.
#[derive(Debug, Clone, Copy)]
enum Found {
    /// A module.
    Module(usize),
    /// An item defined in a module.
    Item(usize),
}

impl Found {
    fn module(self) -> usize {
        match self {
            Found::Module(module) | Found::Item(module) => module,
        }
    }
}

/// The local cloud's files, their modules and the paths they write.
#[derive(Debug, Default)]
struct Tree {
    /// The files, as paths below `src/localcloud/`.
    files: Vec<String>,
    /// Every module; the first is the root (`mod.rs`).
    modules: Vec<Module>,
    /// Every path that imports something.
    references: Vec<Reference>,
}

/// An import from one file to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    /// The importing file.
    from: String,
    /// The imported file.
    to: String,
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.from, self.to)
    }
}

/// The module path of a file: `codedeploy/deployments.rs` is
/// `["codedeploy", "deployments"]`, `codedeploy/mod.rs` is `["codedeploy"]`.
fn module_path(relative: &str) -> Vec<String> {
    let without = relative.strip_suffix(".rs").unwrap_or(relative);
    let mut segments: Vec<String> = without.split('/').map(str::to_owned).collect();
    if segments.last().is_some_and(|last| last == "mod") {
        segments.pop();
    }
    segments
}

/// The segments of a `syn` path.
fn segments(path: &syn::Path) -> Vec<String> {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect()
}

/// Reads one file's modules, items and paths.
struct Reader<'a> {
    tree: &'a mut Tree,
    /// The module being read.
    module: usize,
}

impl Reader<'_> {
    /// Records a `use` tree under `prefix`: its aliases and globs, and,
    /// unless it is a re-export, its paths as imports.
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>, facade: bool) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(&path.tree, prefix, facade);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let ident = name.ident.to_string();
                let (target, alias) = if ident == "self" {
                    (prefix.clone(), prefix.last().cloned())
                } else {
                    let mut target = prefix.clone();
                    target.push(ident.clone());
                    (target, Some(ident))
                };
                self.import(target, alias, facade);
            }
            syn::UseTree::Rename(rename) => {
                let mut target = prefix.clone();
                let ident = rename.ident.to_string();
                if ident != "self" {
                    target.push(ident);
                }
                let alias = rename.rename.to_string();
                self.import(target, (alias != "_").then_some(alias), facade);
            }
            syn::UseTree::Glob(_) => {
                self.tree.modules[self.module].globs.push(prefix.clone());
                if !facade {
                    self.reference(prefix.clone());
                }
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(tree, prefix, facade);
                }
            }
        }
    }

    /// Records that `target` is imported, under the name `alias` if any.
    fn import(&mut self, target: Vec<String>, alias: Option<String>, facade: bool) {
        if let Some(alias) = alias {
            self.tree.modules[self.module]
                .aliases
                .insert(alias, target.clone());
        }
        if !facade {
            self.reference(target);
        }
    }

    /// Records a path written in the module being read.
    fn reference(&mut self, path: Vec<String>) {
        self.tree.references.push(Reference {
            module: self.module,
            path,
        });
    }

    /// Records the name of an item defined in the module being read.
    fn item(&mut self, ident: &syn::Ident) {
        self.tree.modules[self.module]
            .items
            .insert(ident.to_string());
    }
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let Some((_, items)) = &item.content else {
            // `mod x;`: the child's own file is read on its own.
            return;
        };
        let file = self.tree.modules[self.module].file;
        let child = self.tree.modules.len();
        self.tree.modules.push(Module {
            file,
            parent: Some(self.module),
            ..Module::default()
        });
        self.tree.modules[self.module]
            .children
            .insert(item.ident.to_string(), child);
        let outer = std::mem::replace(&mut self.module, child);
        for item in items {
            self.visit_item(item);
        }
        self.module = outer;
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let facade = !matches!(item.vis, syn::Visibility::Inherited);
        let mut prefix = Vec::new();
        if item.leading_colon.is_none() {
            self.use_tree(&item.tree, &mut prefix, facade);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            self.reference(segments(path));
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {
        // `pub(super)` and `pub(in path)` name where an item is seen from,
        // not something it uses.
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.item(&item.sig.ident);
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        self.item(&item.ident);
        syn::visit::visit_item_struct(self, item);
    }

    fn visit_item_enum(&mut self, item: &'ast syn::ItemEnum) {
        self.item(&item.ident);
        syn::visit::visit_item_enum(self, item);
    }

    fn visit_item_const(&mut self, item: &'ast syn::ItemConst) {
        self.item(&item.ident);
        syn::visit::visit_item_const(self, item);
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        self.item(&item.ident);
        syn::visit::visit_item_static(self, item);
    }

    fn visit_item_type(&mut self, item: &'ast syn::ItemType) {
        self.item(&item.ident);
        syn::visit::visit_item_type(self, item);
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.item(&item.ident);
        syn::visit::visit_item_trait(self, item);
    }
}

impl Tree {
    /// Reads `sources`: each file's path below `src/localcloud/` and its
    /// text.
    fn read(sources: &[(String, String)]) -> Result<Tree, String> {
        let mut tree = Tree::default();
        let mut by_path: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        let mut ordered: Vec<&(String, String)> = sources.iter().collect();
        // Parents before children, the root first.
        ordered.sort_by_key(|(relative, _)| module_path(relative));
        for (relative, _) in &ordered {
            let path = module_path(relative);
            let file = tree.files.len();
            tree.files.push(relative.clone());
            let module = tree.modules.len();
            let parent =
                if path.is_empty() {
                    None
                } else {
                    let parent_path = &path[..path.len() - 1];
                    Some(*by_path.get(parent_path).ok_or_else(|| {
                        format!("{relative} has no parent module file in the tree")
                    })?)
                };
            tree.modules.push(Module {
                file,
                parent,
                ..Module::default()
            });
            if let (Some(parent), Some(name)) = (parent, path.last()) {
                tree.modules[parent].children.insert(name.clone(), module);
            }
            by_path.insert(path, module);
        }
        for (relative, text) in ordered {
            let syntax = syn::parse_file(text).map_err(|error| format!("{relative}: {error}"))?;
            let module = by_path[&module_path(relative)];
            let mut reader = Reader {
                tree: &mut tree,
                module,
            };
            reader.visit_file(&syntax);
        }
        Ok(tree)
    }

    /// Reads every file below `root`.
    fn read_dir(root: &Path) -> Result<Tree, String> {
        let mut sources = Vec::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            let entries = std::fs::read_dir(&folder)
                .map_err(|error| format!("{}: {error}", folder.display()))?;
            for entry in entries {
                let path = entry.map_err(|error| error.to_string())?.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|extension| extension == "rs") {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|error| format!("{}: {error}", path.display()))?;
                    let relative = path
                        .strip_prefix(root)
                        .map_err(|error| error.to_string())?
                        .components()
                        .map(|part| part.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    sources.push((relative, text));
                }
            }
        }
        Tree::read(&sources)
    }

    /// What the name `name` stands for inside module `module`, if the module
    /// knows it: a child, an item, a name it imports, or a name one of its
    /// glob imports brings.
    fn lookup(&self, module: usize, name: &str, depth: usize) -> Option<Found> {
        let here = &self.modules[module];
        if let Some(child) = here.children.get(name) {
            return Some(Found::Module(*child));
        }
        if here.items.contains(name) {
            return Some(Found::Item(module));
        }
        if let Some(target) = here.aliases.get(name) {
            return self.resolve(module, target, depth + 1);
        }
        here.globs
            .iter()
            .find_map(|glob| match self.resolve(module, glob, depth + 1)? {
                Found::Module(source) if source != module => self.lookup(source, name, depth + 1),
                _ => None,
            })
    }

    /// Follows `path`, written in module `module`, to what it names; `None`
    /// when it names nothing of the local cloud.
    fn resolve(&self, module: usize, path: &[String], depth: usize) -> Option<Found> {
        if depth > 32 {
            return None;
        }
        let (first, rest) = path.split_first()?;
        let mut at = match first.as_str() {
            "crate" => {
                let (second, rest) = rest.split_first()?;
                return (second == "localcloud").then(|| self.walk(0, rest, depth));
            }
            "self" => module,
            "super" => self.modules[module].parent?,
            _ => match self.lookup(module, first, depth)? {
                Found::Module(child) => child,
                item @ Found::Item(_) => return Some(item),
            },
        };
        // A path of supers climbs on.
        let mut rest = rest;
        while let Some(("super", after)) = rest.split_first().map(|(s, r)| (s.as_str(), r)) {
            at = self.modules[at].parent?;
            rest = after;
        }
        Some(self.walk(at, rest, depth))
    }

    /// Follows the segments `rest` down from module `at`.
    fn walk(&self, mut at: usize, rest: &[String], depth: usize) -> Found {
        for segment in rest {
            if segment == "self" {
                continue;
            }
            match self.lookup(at, segment, depth) {
                Some(Found::Module(child)) => at = child,
                Some(item @ Found::Item(_)) => return item,
                // An item the module defines in a way not read here (an
                // enum variant, a macro), or a name that does not exist.
                None => return Found::Item(at),
            }
        }
        Found::Module(at)
    }

    /// Every import between two different files, with one path that makes
    /// it.
    fn edges(&self) -> BTreeMap<Edge, String> {
        let mut edges = BTreeMap::new();
        for reference in &self.references {
            let Some(found) = self.resolve(reference.module, &reference.path, 0) else {
                continue;
            };
            let from = self.modules[reference.module].file;
            let to = self.modules[found.module()].file;
            if from != to {
                edges
                    .entry(Edge {
                        from: self.files[from].clone(),
                        to: self.files[to].clone(),
                    })
                    .or_insert_with(|| reference.path.join("::"));
            }
        }
        edges
    }
}

/// The groups of files that import each other in a circle (strongly
/// connected components of more than one file), by Tarjan's algorithm.
fn circles(edges: &BTreeSet<Edge>) -> Vec<Vec<String>> {
    /// The state of the search.
    struct Search<'a> {
        next: BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, file: &'a str) {
            let number = self.index.len();
            self.index.insert(file, number);
            self.low.insert(file, number);
            self.stack.push(file);
            self.on_stack.insert(file);
            for target in self.next.get(file).cloned().unwrap_or_default() {
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[file].min(self.low[target]);
                    self.low.insert(file, low);
                } else if self.on_stack.contains(target) {
                    let low = self.low[file].min(self.index[target]);
                    self.low.insert(file, low);
                }
            }
            if self.low[file] == self.index[file] {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    group.push(member.to_owned());
                    if member == file {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut search = Search {
        next: BTreeMap::new(),
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for edge in edges {
        search
            .next
            .entry(edge.from.as_str())
            .or_default()
            .push(edge.to.as_str());
    }
    let files: Vec<&str> = search.next.keys().copied().collect();
    for file in files {
        if !search.index.contains_key(file) {
            search.visit(file);
        }
    }
    search.found
}

/// Everything wrong with the layering of `tree`, allowing the imports in
/// `exceptions`, as sentences; empty when all is well.
fn problems(tree: &Tree, exceptions: &[(&str, &str, &str)]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in &tree.files {
        if layer_of(file).is_none() {
            problems.push(format!(
                "src/localcloud/{file} is in no layer: name it in TOP_FILES of this test, or put it in a folder"
            ));
        }
    }
    let all = tree.edges();
    for (from, to, _) in exceptions {
        let edge = Edge {
            from: (*from).to_owned(),
            to: (*to).to_owned(),
        };
        if !all.contains_key(&edge) {
            problems.push(format!(
                "the known exception {edge} is no longer needed: remove it from KNOWN_EXCEPTIONS"
            ));
        }
    }
    let edges: BTreeMap<Edge, String> = all
        .into_iter()
        .filter(|(edge, _)| {
            !exceptions
                .iter()
                .any(|(from, to, _)| edge.from == *from && edge.to == *to)
        })
        .collect();
    for (edge, path) in &edges {
        if let (Some(from), Some(to)) = (layer_of(&edge.from), layer_of(&edge.to))
            && to > from
        {
            problems.push(format!(
                "src/localcloud/{} ({from:?}) imports src/localcloud/{} ({to:?}, a higher layer) through `{path}`",
                edge.from, edge.to
            ));
        }
    }
    let keys: BTreeSet<Edge> = edges.keys().cloned().collect();
    for circle in circles(&keys) {
        let within: Vec<String> = edges
            .iter()
            .filter(|(edge, _)| circle.contains(&edge.from) && circle.contains(&edge.to))
            .map(|(edge, path)| format!("{edge} (`{path}`)"))
            .collect();
        problems.push(format!(
            "these files import each other in a circle: {}",
            within.join(", ")
        ));
    }
    problems
}

/// The sources of a small made-up local cloud.
fn sources(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect()
}

#[test]
fn the_local_cloud_is_layered_without_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/localcloud");
    let tree = Tree::read_dir(&root).expect("the local cloud's sources parse");
    assert!(
        tree.files.len() > 40,
        "only {} files were read from {}",
        tree.files.len(),
        root.display()
    );
    let problems = problems(&tree, &KNOWN_EXCEPTIONS);
    assert!(
        problems.is_empty(),
        "the local cloud's layering is broken:\n- {}",
        problems.join("\n- ")
    );
}

#[test]
fn an_upward_import_and_a_circle_are_caught() {
    let tree = Tree::read(&sources(&[
        ("mod.rs", "pub mod engine; pub mod shop; pub mod world;"),
        ("world.rs", "use super::shop::state::Stock; pub struct World;"),
        ("engine/mod.rs", "pub mod run; pub use run::tick;"),
        (
            "engine/run.rs",
            "use crate::localcloud::world::World; pub fn tick(_: &World) { crate::localcloud::shop::sell(); }",
        ),
        ("shop/mod.rs", "pub mod state; pub mod sell; pub use sell::sell;"),
        ("shop/state.rs", "pub struct Stock;"),
        (
            "shop/sell.rs",
            "use super::state::Stock; pub fn sell() { super::super::engine::tick(todo!()); let _ = Stock; }",
        ),
    ]))
    .expect("the made-up sources parse");
    let edges: Vec<String> = tree.edges().keys().map(ToString::to_string).collect();
    assert_eq!(
        edges,
        [
            "engine/run.rs -> shop/sell.rs",
            "engine/run.rs -> world.rs",
            "shop/sell.rs -> engine/run.rs",
            "shop/sell.rs -> shop/state.rs",
            "world.rs -> shop/state.rs",
        ],
        "the re-exports in engine/mod.rs and shop/mod.rs lead on to the files that define the items"
    );
    let problems = problems(&tree, &[]);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0]
            .contains("engine/run.rs (Engine) imports src/localcloud/shop/sell.rs (Handlers"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].contains("circle")
            && problems[1].contains("engine/run.rs -> shop/sell.rs")
            && problems[1].contains("shop/sell.rs -> engine/run.rs"),
        "{}",
        problems[1]
    );
}

#[test]
fn an_exception_that_is_no_longer_needed_is_reported() {
    let tree = Tree::read(&sources(&[
        ("mod.rs", "pub mod world; pub mod dispatch;"),
        ("world.rs", "pub struct World;"),
        ("dispatch.rs", "pub fn run(_: &super::world::World) {}"),
    ]))
    .expect("the made-up sources parse");
    assert!(problems(&tree, &[("dispatch.rs", "world.rs", "")]).is_empty());
    let stale = problems(&tree, &[("world.rs", "dispatch.rs", "")]);
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert!(stale[0].contains("no longer needed"), "{}", stale[0]);
}

#[test]
fn files_are_placed_in_their_layers() {
    assert_eq!(layer_of("protocol/query.rs"), Some(Layer::Foundation));
    assert_eq!(layer_of("codedeploy/state.rs"), Some(Layer::Model));
    assert_eq!(
        layer_of("codedeploy/deployment_state.rs"),
        Some(Layer::Model)
    );
    assert_eq!(layer_of("s3/mod.rs"), Some(Layer::Model));
    assert_eq!(layer_of("engine/waves.rs"), Some(Layer::Engine));
    assert_eq!(layer_of("iam/roles.rs"), Some(Layer::Handlers));
    assert_eq!(layer_of("iam/service.rs"), Some(Layer::Services));
    assert_eq!(layer_of("server.rs"), Some(Layer::Server));
    assert_eq!(layer_of("newthing.rs"), None);
}
