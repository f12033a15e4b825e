//! The runtime's structure, checked from its sources as the compiler reads
//! them. Every `use` and every path in `runtime/src` is resolved to the file
//! that defines what it names (through re-exports: `crate::Level` is
//! `level.rs`), and
//! - no files import each other around a circle, a parent and its child
//!   included;
//! - no module refers to a higher layer (the table is the one in
//!   `runtime/src/lib.rs`'s module docs).
//!
//! Each `.rs` file is a node; an inline `mod x {}` belongs to its file.
//! Declaring a child (`mod line;`) is not a reference to it, a `use` or path
//! through it is. Items under `#[cfg(test)]` or `#[test]`, attributes and
//! comments are not read. A path written `$crate::…` in a `macro_rules!`
//! body is the caller's, so it is no reference of the defining file.

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Item, Meta, Token, UseTree};

/// Layers from the bottom up, and the top-level modules in each.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "primitives",
        &[
            "level", "filter", "clock", "civil", "settings", "encode", "origin", "diag", "sync",
        ],
    ),
    (
        "event model",
        &[
            "value", "callsite", "context", "exc_info", "record", "capture", "replay",
        ],
    ),
    ("formats", &["format", "syslog"]),
    (
        "pipeline",
        &[
            "queue", "repeats", "sink", "relay", "writer", "export", "logger", "file",
        ],
    ),
    ("macro support", &["logged"]),
    ("testing", &["testing"]),
    ("integrations", &["log_bridge", "tracing", "tower"]),
    ("install", &["config", "output", "panic", "signal", "lib"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// A name a `use` brings into a scope: `use a::b as c;` is `c` → `a::b`.
/// A glob, or `as _`, brings no name. A leading `::` is kept as a `::`
/// segment (an external crate).
#[derive(Debug, Clone)]
struct Use {
    name: Option<String>,
    glob: bool,
    target: Vec<String>,
    line: usize,
}

/// The names declared in a module or a block.
#[derive(Debug, Default)]
struct Scope {
    items: BTreeSet<String>,
    macros: BTreeSet<String>,
    uses: Vec<Use>,
}

#[derive(Debug)]
struct Module {
    name: String,
    file: usize,
    parent: Option<usize>,
    children: BTreeMap<String, usize>,
    scope: Scope,
}

struct SourceFile {
    /// Relative to the source directory, `/`-separated: `format/json/line.rs`.
    path: String,
    module: usize,
    ast: syn::File,
}

/// One reference from one file to another.
#[derive(Debug, Clone)]
struct Edge {
    from: usize,
    to: usize,
    line: usize,
    path: String,
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Module(usize),
    /// An item of this module (and whatever follows it: a variant, an
    /// associated item).
    Item(usize),
    /// An item declared in a block.
    Local,
    /// Another crate, or a name that is no item of this crate.
    External,
}

/// How deep re-exports may chain before a path counts as unresolvable (a
/// circle of `use`s does not compile, so it only stops a bad input).
const MAX_DEPTH: usize = 32;

struct Crate {
    files: Vec<SourceFile>,
    modules: Vec<Module>,
    /// `#[macro_export]` macros live at the crate root whoever defines them.
    exported_macros: BTreeMap<String, usize>,
    /// Files declared only by test-only `mod` items (not read).
    test_files: BTreeSet<String>,
}

impl Crate {
    /// Reads the crate rooted at `lib.rs` in `sources` (relative path →
    /// text), following its `mod` declarations.
    fn read(sources: &BTreeMap<String, String>) -> Result<Crate, String> {
        let mut krate = Crate {
            files: Vec::new(),
            modules: Vec::new(),
            exported_macros: BTreeMap::new(),
            test_files: BTreeSet::new(),
        };
        krate.read_file(sources, "lib.rs", None, "crate")?;
        Ok(krate)
    }

    fn read_file(
        &mut self,
        sources: &BTreeMap<String, String>,
        path: &str,
        parent: Option<usize>,
        name: &str,
    ) -> Result<usize, String> {
        let text = sources
            .get(path)
            .ok_or_else(|| format!("{path}: no such file"))?;
        let ast =
            syn::parse_file(text).map_err(|e| format!("{path}:{}: {e}", e.span().start().line))?;
        let items = ast.items.clone();
        let file = self.files.len();
        let module = self.add_module(name, file, parent);
        self.files.push(SourceFile {
            path: path.to_owned(),
            module,
            ast,
        });
        self.declare(sources, module, &items, &child_dir(path))?;
        Ok(module)
    }

    fn add_module(&mut self, name: &str, file: usize, parent: Option<usize>) -> usize {
        let id = self.modules.len();
        self.modules.push(Module {
            name: name.to_owned(),
            file,
            parent,
            children: BTreeMap::new(),
            scope: Scope::default(),
        });
        if let Some(parent) = parent {
            self.modules[parent].children.insert(name.to_owned(), id);
        }
        id
    }

    /// Records what `items` declare in `module`, reading the files of its
    /// child modules (which live in `dir`).
    fn declare(
        &mut self,
        sources: &BTreeMap<String, String>,
        module: usize,
        items: &[Item],
        dir: &str,
    ) -> Result<(), String> {
        for item in items {
            let Item::Mod(m) = item else {
                if test_only(item_attrs(item)) {
                    continue;
                }
                if let Item::Macro(mac) = item
                    && let Some(name) = &mac.ident
                    && mac.attrs.iter().any(|a| a.path().is_ident("macro_export"))
                {
                    self.exported_macros.insert(name.to_string(), module);
                }
                declare_in(&mut self.modules[module].scope, item);
                continue;
            };
            let name = m.ident.to_string();
            let candidates = [format!("{dir}{name}.rs"), format!("{dir}{name}/mod.rs")];
            if test_only(&m.attrs) {
                self.test_files.extend(candidates);
                continue;
            }
            match &m.content {
                Some((_, inner)) => {
                    let file = self.modules[module].file;
                    let child = self.add_module(&name, file, Some(module));
                    self.declare(sources, child, inner, &format!("{dir}{name}/"))?;
                }
                None => {
                    let Some(path) = candidates.iter().find(|p| sources.contains_key(*p)) else {
                        let file = &self.files[self.modules[module].file].path;
                        return Err(format!(
                            "{file}:{}: `mod {name};` has neither {} nor {}",
                            line(m.ident.span()),
                            candidates[0],
                            candidates[1]
                        ));
                    };
                    self.read_file(sources, &path.clone(), Some(module), &name)?;
                }
            }
        }
        Ok(())
    }

    /// Where `path` leads when written in `from`, inside the blocks
    /// `blocks` (outermost first).
    fn resolve(&self, from: usize, blocks: &[Scope], path: &[String], depth: usize) -> Place {
        let Some((first, rest)) = path.split_first() else {
            return Place::Module(from);
        };
        if depth > MAX_DEPTH {
            return Place::External;
        }
        let start = match first.as_str() {
            "::" => return Place::External,
            "crate" => Place::Module(0),
            "self" => Place::Module(from),
            "super" => match self.modules[from].parent {
                Some(parent) => Place::Module(parent),
                None => return Place::External,
            },
            name => self.first_segment(from, blocks, name, depth),
        };
        self.walk(start, rest, depth)
    }

    /// A path's first name: a block's items and imports, innermost first,
    /// then the module's; else another crate or the prelude.
    fn first_segment(&self, from: usize, blocks: &[Scope], name: &str, depth: usize) -> Place {
        for (i, scope) in blocks.iter().enumerate().rev() {
            if scope.items.contains(name) || scope.macros.contains(name) {
                return Place::Local;
            }
            if let Some(u) = named(&scope.uses, name) {
                return self.resolve(from, &blocks[..i], &u.target, depth + 1);
            }
        }
        self.lookup(from, name, depth).unwrap_or(Place::External)
    }

    /// The name `name` inside `module`: a child module, an item, an
    /// exported macro (at the root), an import, or a name of a glob import.
    fn lookup(&self, module: usize, name: &str, depth: usize) -> Option<Place> {
        let m = &self.modules[module];
        if let Some(&child) = m.children.get(name) {
            return Some(Place::Module(child));
        }
        if m.scope.items.contains(name) || m.scope.macros.contains(name) {
            return Some(Place::Item(module));
        }
        if module == 0
            && let Some(&definer) = self.exported_macros.get(name)
        {
            return Some(Place::Item(definer));
        }
        if let Some(u) = named(&m.scope.uses, name) {
            return Some(self.resolve(module, &[], &u.target, depth + 1));
        }
        for glob in m.scope.uses.iter().filter(|u| u.glob) {
            if let Place::Module(g) = self.resolve(module, &[], &glob.target, depth + 1)
                && g != module
                && let Some(place) = self.lookup(g, name, depth + 1)
            {
                return Some(place);
            }
        }
        None
    }

    fn walk(&self, mut place: Place, rest: &[String], depth: usize) -> Place {
        for segment in rest {
            let Place::Module(m) = place else { break };
            place = match segment.as_str() {
                "self" => place,
                "super" => match self.modules[m].parent {
                    Some(parent) => Place::Module(parent),
                    None => return Place::External,
                },
                // A name no declaration shows is one a macro of that module
                // generates (`internal_site! { static DROPPED … }`).
                name => self.lookup(m, name, depth).unwrap_or(Place::Item(m)),
            };
        }
        place
    }

    /// A bare `name!` with no import: a `macro_rules!` of an enclosing
    /// module, in textual scope.
    fn textual_macro(&self, mut module: usize, name: &str) -> Option<usize> {
        loop {
            let m = &self.modules[module];
            if m.scope.macros.contains(name) {
                return Some(module);
            }
            if m.scope.items.contains(name) || named(&m.scope.uses, name).is_some() {
                return None;
            }
            module = m.parent?;
        }
    }

    /// Every reference from one file to another.
    fn edges(&self) -> Vec<Edge> {
        let mut refs = References {
            krate: self,
            file: 0,
            module: 0,
            blocks: Vec::new(),
            edges: Vec::new(),
        };
        for (i, file) in self.files.iter().enumerate() {
            refs.file = i;
            refs.module = file.module;
            for item in &file.ast.items {
                refs.visit_item(item);
            }
        }
        refs.edges
    }

    /// `format::json::line`; `crate` for the root.
    fn module_path(&self, file: usize) -> String {
        let mut names = Vec::new();
        let mut module = self.files[file].module;
        while let Some(parent) = self.modules[module].parent {
            names.push(self.modules[module].name.as_str());
            module = parent;
        }
        if names.is_empty() {
            return "crate".to_owned();
        }
        names.reverse();
        names.join("::")
    }

    /// The top-level module a file belongs to (`lib` for the root).
    fn top_module(&self, file: usize) -> String {
        let path = self.module_path(file);
        match path.split("::").next() {
            Some("crate") | None => "lib".to_owned(),
            Some(top) => top.to_owned(),
        }
    }

    /// The circles of the file graph: for every edge that lies on one, the
    /// shortest circle through it, each circle listed once. Each step is
    /// shown by its first reference in the file.
    fn circles<'e>(&self, edges: &'e [Edge]) -> Vec<Vec<&'e Edge>> {
        let mut first: BTreeMap<(usize, usize), &Edge> = BTreeMap::new();
        for edge in edges {
            let slot = first.entry((edge.from, edge.to)).or_insert(edge);
            if edge.line < slot.line {
                *slot = edge;
            }
        }
        let mut next: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &(from, to) in first.keys() {
            next.entry(from).or_default().push(to);
        }
        let mut found = BTreeSet::new();
        for &(from, to) in first.keys() {
            if let Some(back) = shortest_path(&next, to, from) {
                let mut circle = vec![from];
                circle.extend(back.iter().take(back.len() - 1));
                let low = (0..circle.len()).min_by_key(|&i| circle[i]).unwrap_or(0);
                circle.rotate_left(low);
                found.insert(circle);
            }
        }
        found
            .into_iter()
            .map(|circle| {
                (0..circle.len())
                    .map(|i| first[&(circle[i], circle[(i + 1) % circle.len()])])
                    .collect()
            })
            .collect()
    }

    fn describe_circle(&self, dir: &str, circle: &[&Edge]) -> String {
        let mut out = String::new();
        for edge in circle {
            write!(out, "{} -> ", self.module_path(edge.from)).unwrap();
        }
        out.push_str(&self.module_path(circle[0].from));
        for edge in circle {
            write!(
                out,
                "\n    {dir}{}:{}: {}",
                self.files[edge.from].path, edge.line, edge.path
            )
            .unwrap();
        }
        out
    }
}

/// The nodes from `start` to `goal` (both included), fewest edges first.
fn shortest_path(
    next: &BTreeMap<usize, Vec<usize>>,
    start: usize,
    goal: usize,
) -> Option<Vec<usize>> {
    let mut came_from = BTreeMap::from([(start, start)]);
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        if node == goal {
            let mut path = vec![goal];
            let mut at = goal;
            while at != start {
                at = came_from[&at];
                path.push(at);
            }
            path.reverse();
            return Some(path);
        }
        for &n in next.get(&node).into_iter().flatten() {
            came_from.entry(n).or_insert_with(|| {
                queue.push_back(n);
                node
            });
        }
    }
    None
}

fn named<'u>(uses: &'u [Use], name: &str) -> Option<&'u Use> {
    uses.iter().find(|u| u.name.as_deref() == Some(name))
}

/// Where the files of a file's child modules are: `a.rs` and `a/mod.rs`
/// both have theirs in `a/`, the root in the source directory.
fn child_dir(path: &str) -> String {
    if path == "lib.rs" {
        return String::new();
    }
    let stem = path
        .strip_suffix("/mod.rs")
        .or_else(|| path.strip_suffix(".rs"));
    format!("{}/", stem.unwrap_or(path))
}

fn line(span: Span) -> usize {
    span.start().line
}

/// Adds what `item` declares to `scope` (module declarations aside).
fn declare_in(scope: &mut Scope, item: &Item) {
    let name = match item {
        Item::Use(u) => {
            let mut prefix = Vec::new();
            if u.leading_colon.is_some() {
                prefix.push("::".to_owned());
            }
            flatten(&u.tree, &mut prefix, &mut scope.uses);
            return;
        }
        Item::Macro(m) => {
            if let Some(name) = &m.ident {
                scope.macros.insert(name.to_string());
            }
            return;
        }
        Item::Const(i) => &i.ident,
        Item::Enum(i) => &i.ident,
        Item::Fn(i) => &i.sig.ident,
        Item::Mod(i) => &i.ident,
        Item::Static(i) => &i.ident,
        Item::Struct(i) => &i.ident,
        Item::Trait(i) => &i.ident,
        Item::TraitAlias(i) => &i.ident,
        Item::Type(i) => &i.ident,
        Item::Union(i) => &i.ident,
        _ => return,
    };
    scope.items.insert(name.to_string());
}

/// The leaves of a use tree, each with its whole path.
fn flatten(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<Use>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => out.push(leaf(prefix, &n.ident, None)),
        UseTree::Rename(r) => out.push(leaf(prefix, &r.ident, Some(&r.rename))),
        UseTree::Glob(g) => out.push(Use {
            name: None,
            glob: true,
            target: prefix.clone(),
            line: line(g.star_token.span),
        }),
        UseTree::Group(g) => {
            for tree in &g.items {
                flatten(tree, prefix, out);
            }
        }
    }
}

fn leaf(prefix: &[String], ident: &syn::Ident, rename: Option<&syn::Ident>) -> Use {
    let mut target = prefix.to_vec();
    if ident != "self" {
        target.push(ident.to_string());
    }
    let name = match rename {
        Some(r) if r == "_" => None,
        Some(r) => Some(r.to_string()),
        None => target.last().cloned(),
    };
    Use {
        name,
        glob: false,
        target,
        line: line(ident.span()),
    }
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[test]`, or a `cfg` that holds only in tests (`test`,
/// `all(test, …)`, `any(test, test)`).
fn test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg") && a.parse_args::<Meta>().is_ok_and(|m| implies_test(&m)))
    })
}

fn implies_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(p) => p.is_ident("test"),
        Meta::List(list) => {
            let Ok(args) = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            else {
                return false;
            };
            if list.path.is_ident("all") {
                args.iter().any(implies_test)
            } else if list.path.is_ident("any") {
                !args.is_empty() && args.iter().all(implies_test)
            } else {
                false
            }
        }
        Meta::NameValue(_) => false,
    }
}

/// Collects the references of one file, knowing the module and the blocks
/// it is in.
struct References<'k> {
    krate: &'k Crate,
    file: usize,
    module: usize,
    blocks: Vec<Scope>,
    edges: Vec<Edge>,
}

impl References<'_> {
    fn reference(&mut self, path: Vec<String>, line: usize, blocks: usize, shown: String) {
        let place = self
            .krate
            .resolve(self.module, &self.blocks[..blocks], &path, 0);
        if let Place::Module(m) | Place::Item(m) = place {
            self.add(self.krate.modules[m].file, line, shown);
        }
    }

    fn add(&mut self, to: usize, line: usize, path: String) {
        if to != self.file {
            self.edges.push(Edge {
                from: self.file,
                to,
                line,
                path,
            });
        }
    }

    fn path(&mut self, path: Vec<String>, line: usize) {
        let shown = path.join("::");
        self.reference(path, line, self.blocks.len(), shown);
    }

    /// The paths in a macro's tokens (`format!("{}", crate::a::b())`),
    /// except those after a `$`: `$crate::…` and metavariables.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            let TokenTree::Ident(ident) = &tokens[i] else {
                if let TokenTree::Group(group) = &tokens[i] {
                    self.tokens(group.stream());
                }
                i += 1;
                continue;
            };
            let mut path = vec![ident.to_string()];
            let mut end = i + 1;
            while let Some(next) = path_step(&tokens, end) {
                path.push(next);
                end += 3;
            }
            let after_dollar = i >= 1 && is_punct(&tokens[i - 1], '$');
            let after_colons =
                i >= 2 && is_punct(&tokens[i - 1], ':') && is_punct(&tokens[i - 2], ':');
            if !after_dollar && path.len() >= 2 {
                if after_colons {
                    path.insert(0, "::".to_owned());
                }
                self.path(path, line(ident.span()));
            }
            i = end;
        }
    }
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(p) if p.as_char() == c)
}

/// `:: name` at `at`: the name.
fn path_step(tokens: &[TokenTree], at: usize) -> Option<String> {
    match tokens.get(at..at + 3)? {
        [
            TokenTree::Punct(a),
            TokenTree::Punct(b),
            TokenTree::Ident(name),
        ] if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':' => {
            Some(name.to_string())
        }
        _ => None,
    }
}

fn segments(path: &syn::Path) -> Vec<String> {
    let mut out = Vec::new();
    if path.leading_colon.is_some() {
        out.push("::".to_owned());
    }
    out.extend(path.segments.iter().map(|s| s.ident.to_string()));
    out
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let Some((_, items)) = &m.content else {
            return;
        };
        // A module in a function body is no module of the tree; its paths
        // are read as the function's.
        let Some(&child) = self.krate.modules[self.module]
            .children
            .get(&m.ident.to_string())
            .filter(|_| self.blocks.is_empty())
        else {
            items.iter().for_each(|item| self.visit_item(item));
            return;
        };
        let outer = std::mem::replace(&mut self.module, child);
        for item in items {
            self.visit_item(item);
        }
        self.module = outer;
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        if u.leading_colon.is_some() {
            prefix.push("::".to_owned());
        }
        let mut leaves = Vec::new();
        flatten(&u.tree, &mut prefix, &mut leaves);
        // A block's `use` is resolved in the scopes around that block.
        let blocks = self.blocks.len().saturating_sub(1);
        for leaf in leaves {
            let shown = format!(
                "use {}{}",
                leaf.target.join("::"),
                if leaf.glob { "::*" } else { "" }
            );
            self.reference(leaf.target, leaf.line, blocks, shown);
        }
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if test_only(&m.attrs) {
            return;
        }
        if m.ident.is_some() && m.mac.path.is_ident("macro_rules") {
            self.tokens(m.mac.tokens.clone());
        } else {
            self.visit_macro(&m.mac);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let path = segments(&mac.path);
        let at = line(mac.path.segments[0].ident.span());
        if let [name] = path.as_slice() {
            let local = self.blocks.iter().any(|b| b.macros.contains(name));
            if !local && let Some(module) = self.krate.textual_macro(self.module, name) {
                self.add(self.krate.modules[module].file, at, format!("{name}!"));
            }
        } else {
            let shown = format!("{}!", path.join("::"));
            self.reference(path, at, self.blocks.len(), shown);
        }
        self.tokens(mac.tokens.clone());
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() >= 2 {
            self.path(segments(path), line(path.segments[0].ident.span()));
        }
        visit::visit_path(self, path);
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let mut scope = Scope::default();
        for stmt in &block.stmts {
            if let syn::Stmt::Item(item) = stmt
                && !test_only(item_attrs(item))
            {
                declare_in(&mut scope, item);
            }
        }
        self.blocks.push(scope);
        visit::visit_block(self, block);
        self.blocks.pop();
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return,
        };
        if !test_only(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        let attrs = match item {
            syn::TraitItem::Const(i) => &i.attrs,
            syn::TraitItem::Fn(i) => &i.attrs,
            syn::TraitItem::Type(i) => &i.attrs,
            syn::TraitItem::Macro(i) => &i.attrs,
            _ => return,
        };
        if !test_only(attrs) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        if !test_only(&field.attrs) {
            visit::visit_field(self, field);
        }
    }

    fn visit_variant(&mut self, variant: &'ast syn::Variant) {
        if !test_only(&variant.attrs) {
            visit::visit_variant(self, variant);
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if !test_only(&local.attrs) {
            visit::visit_local(self, local);
        }
    }

    fn visit_stmt_macro(&mut self, mac: &'ast syn::StmtMacro) {
        if !test_only(&mac.attrs) {
            visit::visit_stmt_macro(self, mac);
        }
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if !test_only(&arm.attrs) {
            visit::visit_arm(self, arm);
        }
    }

    // Doc comments, derives and `cfg`s name no dependency; a visibility
    // (`pub(in crate::a)`) names an ancestor, not something used.
    fn visit_attribute(&mut self, _: &'ast Attribute) {}
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
}

const SRC: &str = "runtime/src/";

fn runtime() -> Crate {
    fn read_dir(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("runtime/src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                read_dir(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under runtime/src");
                let rel: Vec<&str> = rel
                    .components()
                    .map(|c| c.as_os_str().to_str().expect("UTF-8 path"))
                    .collect();
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.insert(rel.join("/"), text);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(SRC);
    let mut sources = BTreeMap::new();
    read_dir(&root, &root, &mut sources);
    let krate = Crate::read(&sources).unwrap_or_else(|e| panic!("{SRC}{e}"));
    let read: BTreeSet<&str> = krate.files.iter().map(|f| f.path.as_str()).collect();
    let unread: Vec<&String> = sources
        .keys()
        .filter(|p| !read.contains(p.as_str()) && !krate.test_files.contains(*p))
        .collect();
    assert!(
        unread.is_empty(),
        "files no `mod` declares (a `#[path]` or `include!` this check does not follow?): {unread:?}"
    );
    assert!(krate.files.len() > 10, "found the runtime's sources");
    krate
}

#[test]
fn no_import_circles() {
    let krate = runtime();
    let edges = krate.edges();
    assert!(edges.len() > 50, "found the runtime's references");
    let circles = krate.circles(&edges);
    let shown: Vec<String> = circles
        .iter()
        .map(|c| krate.describe_circle(SRC, c))
        .collect();
    assert!(
        circles.is_empty(),
        "{} import circles in {SRC} (for every reference on a circle, the shortest circle through \
         it; each step is shown by its first reference):\n\n{}",
        circles.len(),
        shown.join("\n\n")
    );
}

#[test]
fn no_module_refers_to_a_higher_layer() {
    let krate = runtime();
    let mut found = BTreeSet::new();
    for file in 0..krate.files.len() {
        let module = krate.top_module(file);
        if layer_of(&module).is_none() {
            found.insert(format!(
                "{SRC}{}: module `{module}` is in no layer: add it to the table here and in lib.rs",
                krate.files[file].path
            ));
        }
    }
    for edge in krate.edges() {
        let (own, theirs) = (krate.top_module(edge.from), krate.top_module(edge.to));
        let (Some(own_layer), Some(their_layer)) = (layer_of(&own), layer_of(&theirs)) else {
            continue;
        };
        if their_layer > own_layer {
            found.insert(format!(
                "{SRC}{}:{}: `{own}` ({}) refers to `{}` ({}), a higher layer: {}",
                krate.files[edge.from].path,
                edge.line,
                LAYERS[own_layer].0,
                krate.module_path(edge.to),
                LAYERS[their_layer].0,
                edge.path
            ));
        }
    }
    assert!(
        found.is_empty(),
        "references from a lower layer to a higher one:\n{}",
        found.into_iter().collect::<Vec<_>>().join("\n")
    );
}

// The resolver itself, on small crates.

fn small(files: &[(&str, &str)]) -> Crate {
    let sources = files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    Crate::read(&sources).unwrap_or_else(|e| panic!("{e}"))
}

/// `from.rs:line -> to.rs`, sorted, duplicates kept.
fn edges_of(files: &[(&str, &str)]) -> Vec<String> {
    let krate = small(files);
    let mut out: Vec<String> = krate
        .edges()
        .iter()
        .map(|e| {
            format!(
                "{}:{} -> {}",
                krate.files[e.from].path, e.line, krate.files[e.to].path
            )
        })
        .collect();
    out.sort();
    out
}

fn circles_of(files: &[(&str, &str)]) -> Vec<String> {
    let krate = small(files);
    let edges = krate.edges();
    krate
        .circles(&edges)
        .iter()
        .map(|c| {
            let mut chain: Vec<String> = c.iter().map(|e| krate.module_path(e.from)).collect();
            chain.push(krate.module_path(c[0].from));
            chain.join(" -> ")
        })
        .collect()
}

#[test]
fn nested_use_groups_and_globs() {
    let edges = edges_of(&[
        ("lib.rs", "mod a; mod b; mod c;"),
        (
            "a.rs",
            "use crate::{\n    b::{self, x},\n    c::{y::{z as w}, *},\n};",
        ),
        ("b.rs", "pub fn x() {}"),
        ("c.rs", "pub mod y;"),
        ("c/y.rs", "pub fn z() {}"),
    ]);
    assert_eq!(
        edges,
        [
            "a.rs:2 -> b.rs",
            "a.rs:2 -> b.rs",
            "a.rs:3 -> c.rs",
            "a.rs:3 -> c/y.rs"
        ]
    );
}

#[test]
fn super_super_and_self_paths() {
    let edges = edges_of(&[
        ("lib.rs", "mod a;\npub fn top() {}"),
        ("a/mod.rs", "mod b;\npub fn g() {}\npub use self::b::Thing;"),
        ("a/b.rs", "pub struct Thing;\nmod c;"),
        (
            "a/b/c.rs",
            "fn f() {\n    super::super::g();\n    super::super::super::top();\n    self::super::Thing;\n}",
        ),
    ]);
    assert_eq!(
        edges,
        [
            "a/b/c.rs:2 -> a/mod.rs",
            "a/b/c.rs:3 -> lib.rs",
            "a/b/c.rs:4 -> a/b.rs",
            "a/mod.rs:3 -> a/b.rs",
        ]
    );
}

#[test]
fn a_re_export_leads_to_its_definition() {
    let edges = edges_of(&[
        (
            "lib.rs",
            "mod level;\nmod format;\nmod other;\npub use crate::level::Level;",
        ),
        ("level.rs", "pub enum Level { Info }"),
        (
            "format/mod.rs",
            "use crate::Level;\nmod json;\npub(crate) use json::{write};",
        ),
        ("format/json.rs", "pub fn write() {}"),
        (
            "other.rs",
            "fn f() {\n    crate::format::write();\n    crate::Level::Info;\n}",
        ),
    ]);
    assert_eq!(
        edges,
        [
            "format/mod.rs:1 -> level.rs",
            "format/mod.rs:3 -> format/json.rs",
            "lib.rs:4 -> level.rs",
            "other.rs:2 -> format/json.rs",
            "other.rs:3 -> level.rs",
        ]
    );
}

#[test]
fn a_module_name_is_resolved_where_it_is_written() {
    let edges = edges_of(&[
        ("lib.rs", "mod tracing;\nmod a;\nfn f() { tracing::on(); }"),
        ("tracing.rs", "use tracing::Event;\npub fn on() {}"),
        (
            "a/mod.rs",
            "use tracing::Span;\nmod line;\nfn f() {\n    line::x();\n    use crate::tracing as t;\n    t::on();\n}",
        ),
        (
            "a/line.rs",
            "pub fn x() {}\nfn g() { ::std::fmt::x(); std::mem::y(); }",
        ),
    ]);
    assert_eq!(
        edges,
        [
            "a/mod.rs:4 -> a/line.rs",
            "a/mod.rs:5 -> tracing.rs",
            "a/mod.rs:6 -> tracing.rs",
            "lib.rs:3 -> tracing.rs",
        ]
    );
}

#[test]
fn test_code_comments_and_caller_paths_are_not_references() {
    let edges = edges_of(&[
        ("lib.rs", "mod a; mod b; mod c;"),
        (
            "a.rs",
            r#"
//! see crate::b::x
/// and [`x`](crate::b::x)
#[cfg(test)]
mod tests { use crate::b::x; }
#[cfg(all(test, unix))]
use crate::b::y;
#[test]
fn t() { crate::b::x(); }
struct S;
impl S {
    #[cfg(test)]
    fn f() { crate::b::x(); }
}
macro_rules! m {
    () => { $crate::b::x(); $crate::b::mac!(); };
}
#[cfg(any(test, feature = "x"))]
use crate::c::z; // crate::b::x
fn g() { crate::c::mac!(); println!("{}", crate::c::z()); }
"#,
        ),
        ("b.rs", "pub fn x() {}\npub fn y() {}"),
        ("c.rs", "pub fn z() {}"),
    ]);
    assert_eq!(
        edges,
        ["a.rs:19 -> c.rs", "a.rs:20 -> c.rs", "a.rs:20 -> c.rs"]
    );
}

#[test]
fn macros_by_path_export_and_textual_scope() {
    let edges = edges_of(&[
        (
            "lib.rs",
            "mod a;\nmod b;\nmacro_rules! early { () => {} }\nmod c;",
        ),
        (
            "a.rs",
            "#[macro_export]\nmacro_rules! site { () => {} }\nmacro_rules! inner { () => { crate::b::f() } }\npub(crate) use inner;",
        ),
        (
            "b.rs",
            "pub fn f() {}\nfn g() { crate::site!(); crate::a::inner!(); }",
        ),
        ("c.rs", "fn g() { early!(); vec![1]; }"),
    ]);
    assert_eq!(
        edges,
        [
            "a.rs:3 -> b.rs",
            "b.rs:2 -> a.rs",
            "b.rs:2 -> a.rs",
            "c.rs:1 -> lib.rs",
        ]
    );
}

#[test]
fn a_circle_of_three() {
    let circles = circles_of(&[
        ("lib.rs", "mod a; mod b; mod c; mod d;"),
        ("a.rs", "use crate::b::B;\npub struct A;"),
        ("b.rs", "pub struct B(crate::c::C);"),
        (
            "c.rs",
            "pub struct C;\nfn f(_: super::a::A) {}\nuse crate::d::D;",
        ),
        ("d.rs", "pub struct D;"),
    ]);
    assert_eq!(circles, ["a -> b -> c -> a"]);
}

#[test]
fn a_parent_and_its_child_can_form_a_circle() {
    let files = [
        ("lib.rs", "mod a;"),
        ("a/mod.rs", "mod b;\nuse b::X;\npub struct Y;"),
        ("a/b.rs", "pub struct X;\nuse super::Y;"),
    ];
    assert_eq!(circles_of(&files), ["a -> a::b -> a"]);
    // Declaring the child alone is no reference to it.
    let files = [
        ("lib.rs", "mod a;"),
        ("a/mod.rs", "mod b;\npub struct Y;"),
        ("a/b.rs", "pub struct X;\nuse super::Y;"),
    ];
    assert!(circles_of(&files).is_empty());
}

#[test]
fn a_re_export_is_no_circle_through_the_root() {
    // `level` uses a root item and the root re-exports `level`'s: that is a
    // circle; using the re-export from `level`'s own sibling is not.
    let circle = [
        (
            "lib.rs",
            "mod level;\npub use crate::level::Level;\npub fn f() {}",
        ),
        ("level.rs", "pub enum Level {}\nfn g() { crate::f(); }"),
    ];
    assert_eq!(circles_of(&circle), ["crate -> level -> crate"]);
    let none = [
        (
            "lib.rs",
            "mod level;\nmod format;\npub use crate::level::Level;",
        ),
        ("level.rs", "pub enum Level {}"),
        ("format.rs", "use crate::Level;"),
    ];
    assert!(circles_of(&none).is_empty());
}

#[test]
fn every_edge_on_a_circle_is_shown() {
    // Two circles through `a`; the edge `c -> a` is on the longer one only.
    let circles = circles_of(&[
        ("lib.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::b::B;\npub struct A;"),
        ("b.rs", "pub struct B;\nuse crate::a::A;\nuse crate::c::C;"),
        ("c.rs", "pub struct C;\nuse crate::a::A;"),
    ]);
    assert_eq!(circles, ["a -> b -> a", "a -> b -> c -> a"]);
}
