//! Loading: reads each policy file (a path or `builtin:NAME`), follows `extends`, merges the
//! files in load order and runs the checks that need every file (duplicate and unknown ids).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use super::builtin::{builtin, builtin_names};
use super::diagnostic::{SourceFile, closest};
use super::parse::{RawFile, parse_file};
use super::{Diagnostic, Location, Policy, PolicyErrors, PolicySource, Settings};

/// How deep `extends` may nest: a chain deeper than this is refused (exit 2), so that a
/// generated or hostile chain can neither exhaust the stack nor take long to load.
pub const MAX_EXTENDS_DEPTH: usize = 64;

/// Why a policy file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    NotFound,
    IsDir,
    /// A FIFO, socket or device: never opened, as reading one may block forever.
    NotRegular(&'static str),
    Other(io::Error),
}

/// Where policy files come from: the real filesystem, or memory in tests.
pub(crate) trait PolicyFs {
    fn read(&self, path: &Path) -> Result<String, ReadError>;
    /// A key naming the file, equal for two paths to the same file.
    fn identity(&self, path: &Path) -> PathBuf;
}

pub(crate) struct RealFs;

impl PolicyFs for RealFs {
    fn read(&self, path: &Path) -> Result<String, ReadError> {
        // Only a regular file is opened (`limits::open_regular`): opening a FIFO for
        // reading blocks until a writer comes, and a device may never end.
        let limit = crate::limits::POLICY_BYTES;
        let (file, _) =
            crate::limits::open_regular(path, limit).map_err(|e| read_error(path, e))?;
        crate::limits::read_text_from(file, limit).map_err(|e| read_error(path, e))
    }

    fn identity(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| {
            let abs = std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf());
            normalize(&abs)
        })
    }
}

/// A failed read of a policy file, by what the path turned out to be.
fn read_error(path: &Path, e: io::Error) -> ReadError {
    match e.kind() {
        io::ErrorKind::NotFound => ReadError::NotFound,
        io::ErrorKind::IsADirectory => ReadError::IsDir,
        _ => match std::fs::metadata(path) {
            Ok(m) if !m.is_file() && !m.is_dir() => {
                ReadError::NotRegular(crate::limits::file_kind(&m))
            }
            _ => ReadError::Other(e),
        },
    }
}

/// One file served from memory, every other path from the real filesystem.
pub(crate) struct OverlayFs<'a> {
    pub name: &'a Path,
    pub text: &'a str,
}

impl PolicyFs for OverlayFs<'_> {
    fn read(&self, path: &Path) -> Result<String, ReadError> {
        if normalize(path) == normalize(self.name) {
            Ok(self.text.to_string())
        } else {
            RealFs.read(path)
        }
    }

    fn identity(&self, path: &Path) -> PathBuf {
        if normalize(path) == normalize(self.name) {
            normalize(path)
        } else {
            RealFs.identity(path)
        }
    }
}

/// Removes `.` and folds `..` without touching the filesystem (`a/../b` is `b`).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out.iter().collect()
}

/// A file to load.
#[derive(Clone, Debug)]
enum Target {
    Builtin(String),
    Path(PathBuf),
}

impl Target {
    fn from_spec(spec: &str) -> Target {
        match spec.strip_prefix("builtin:") {
            Some(name) => Target::Builtin(name.to_string()),
            None => Target::Path(PathBuf::from(spec)),
        }
    }

    fn display(&self) -> String {
        match self {
            Target::Builtin(name) => format!("builtin:{name}"),
            Target::Path(p) => p.display().to_string(),
        }
    }
}

/// Who asked for a file: the command line, or an `extends` entry (file index, span).
#[derive(Clone)]
enum Origin {
    Spec,
    Extends { file: usize, span: Range<usize> },
}

struct Loader<'a> {
    fs: &'a dyn PolicyFs,
    files: Vec<SourceFile>,
    /// Parsed files in load order (an `extends` target before the file naming it), with
    /// the index of their [`SourceFile`]; `None` for a file with syntax errors.
    loaded: Vec<(usize, Option<RawFile>)>,
    done: HashMap<PathBuf, ()>,
    /// The files being loaded, outermost first, to detect cycles.
    stack: Vec<(PathBuf, String)>,
    diags: Vec<Diagnostic>,
}

/// Loads, merges and checks the given policy specs (paths relative to the current
/// directory, or `builtin:NAME`).
pub(crate) fn load_with(fs: &dyn PolicyFs, specs: &[String]) -> Result<Policy, PolicyErrors> {
    if specs.is_empty() {
        return Err(PolicyErrors(vec![Diagnostic::about_file(
            "(no policy)",
            "no policy file was given",
            Some(format!(
                "pass `--policy PATH` or `--policy builtin:NAME` (known: {})",
                builtin_names()
                    .iter()
                    .map(|n| format!("builtin:{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        )]));
    }
    let mut loader = Loader {
        fs,
        files: Vec::new(),
        loaded: Vec::new(),
        done: HashMap::new(),
        stack: Vec::new(),
        diags: Vec::new(),
    };
    for spec in specs {
        loader.load(Target::from_spec(spec), Origin::Spec);
    }
    let policy = loader.merge();
    if loader.diags.is_empty() {
        Ok(policy)
    } else {
        Err(PolicyErrors(loader.sorted_diagnostics()))
    }
}

impl Loader<'_> {
    /// A problem with reaching a file, reported where it was asked for.
    fn origin_error(&mut self, origin: &Origin, target: &str, message: String, hint: String) {
        let d = match origin {
            Origin::Spec => Diagnostic::about_file(target, message, Some(hint)),
            Origin::Extends { file, span } => {
                self.files[*file].diagnostic(span.clone(), message, Some(hint))
            }
        };
        self.diags.push(d);
    }

    fn load(&mut self, target: Target, origin: Origin) {
        let display = target.display();
        let key = match &target {
            Target::Builtin(_) => PathBuf::from(&display),
            Target::Path(p) => self.fs.identity(p),
        };
        if let Some(pos) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<&str> = self.stack[pos..].iter().map(|(_, d)| d.as_str()).collect();
            chain.push(&display);
            let message = format!("`extends` cycle: {}", chain.join(" -> "));
            self.origin_error(
                &origin,
                &display,
                message,
                "remove one of the `extends` entries of the cycle".to_string(),
            );
            return;
        }
        if self.done.contains_key(&key) {
            return; // already loaded through another path (a diamond): load each file once
        }
        if self.stack.len() >= MAX_EXTENDS_DEPTH {
            let message = format!(
                "`extends` chain too deep: {display} would be policy number {} in one chain, more than the {MAX_EXTENDS_DEPTH} allowed (it starts at {})",
                self.stack.len() + 1,
                self.stack[0].1
            );
            self.origin_error(
                &origin,
                &display,
                message,
                format!("flatten the chain: a policy may extend several files at once (`extends = [\"a.toml\", \"b.toml\"]`), at most {MAX_EXTENDS_DEPTH} deep"),
            );
            return;
        }
        let via = match &origin {
            Origin::Spec => String::new(),
            Origin::Extends { file, .. } => {
                format!(" (named in `extends` of {})", self.files[*file].name)
            }
        };
        let text = match &target {
            Target::Builtin(name) => match builtin(name) {
                Some(text) => text.to_string(),
                None => {
                    self.origin_error(
                        &origin,
                        &display,
                        format!("unknown builtin policy `{display}`{via}"),
                        format!(
                            "the builtin policies are: {}",
                            builtin_names()
                                .iter()
                                .map(|n| format!("builtin:{n}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    return;
                }
            },
            Target::Path(path) => match self.fs.read(path) {
                Ok(text) => text,
                Err(e) => {
                    let (message, hint) = match e {
                        ReadError::NotFound => (
                            format!("cannot read policy file `{display}`{via}: no such file"),
                            match origin {
                                Origin::Spec => "check the path given to `--policy` (it is relative to the current directory)".to_string(),
                                Origin::Extends { .. } => "check the path: `extends` paths are relative to the file that names them".to_string(),
                            },
                        ),
                        ReadError::IsDir => (
                            format!("cannot read policy file `{display}`{via}: it is a folder"),
                            "name a policy `.toml` file, not the folder holding it".to_string(),
                        ),
                        ReadError::NotRegular(what) => (
                            format!("cannot read policy file `{display}`{via}: it is {what}, not a regular file"),
                            "name a regular policy `.toml` file; pipes, sockets and devices are not read".to_string(),
                        ),
                        ReadError::Other(e) => (
                            format!("cannot read policy file `{display}`{via}: {e}"),
                            "check that the file exists, is readable and is UTF-8 text".to_string(),
                        ),
                    };
                    self.origin_error(&origin, &display, message, hint);
                    return;
                }
            },
        };
        let index = self.files.len();
        self.files.push(SourceFile::new(display.clone(), text));
        let raw = parse_file(&self.files[index], &mut self.diags);
        self.stack.push((key.clone(), display.clone()));
        if let Some(raw) = &raw {
            for entry in raw.extends.clone() {
                let next = if let Some(name) = entry.value.strip_prefix("builtin:") {
                    Target::Builtin(name.to_string())
                } else {
                    match &target {
                        Target::Builtin(_) => {
                            let d = self.files[index].diagnostic(
                                entry.span.clone(),
                                format!(
                                    "builtin policy `{display}` extends a path, `{}`",
                                    entry.value
                                ),
                                Some("a builtin policy can only extend `builtin:NAME`".to_string()),
                            );
                            self.diags.push(d);
                            continue;
                        }
                        Target::Path(path) => {
                            let base = path.parent().unwrap_or(Path::new(""));
                            Target::Path(normalize(&base.join(&entry.value)))
                        }
                    }
                };
                self.load(
                    next,
                    Origin::Extends {
                        file: index,
                        span: entry.span.clone(),
                    },
                );
            }
        }
        self.stack.pop();
        self.done.insert(key, ());
        self.loaded.push((index, raw));
    }

    /// Merges the loaded files in load order and checks references across them.
    fn merge(&mut self) -> Policy {
        let mut policy = Policy::default();
        let mut settings = Settings::default();
        // Where each id was first defined, to name both places of a duplicate.
        let mut citation_at: HashMap<String, Location> = HashMap::new();
        let mut entity_at: HashMap<String, Location> = HashMap::new();
        let mut allow_registries: Option<Vec<String>> = None;
        let mut allow_git: Vec<String> = Vec::new();
        let all_parsed = self.loaded.iter().all(|(_, raw)| raw.is_some());
        let mut new_diags = Vec::new();
        let loaded = std::mem::take(&mut self.loaded);
        for (index, raw) in &loaded {
            let file = &self.files[*index];
            let Some(raw) = raw else {
                policy.sources.push(PolicySource {
                    id: String::new(),
                    source: file.name.clone(),
                    reviewed: None,
                });
                continue;
            };
            let id = raw.id.as_ref().map(|a| a.value.clone()).unwrap_or_default();
            policy.sources.push(PolicySource {
                id: id.clone(),
                source: file.name.clone(),
                reviewed: raw.reviewed,
            });
            settings.id = id;
            if raw.title.is_some() {
                settings.title = raw.title.clone();
            }
            if let Some(k) = raw.dependency_kinds {
                settings.dependency_kinds = k;
            }
            if let Some(c) = &raw.deny_min_confidence {
                settings.deny_min_confidence = c.value;
            }
            if let Some(c) = &raw.warn_min_confidence {
                settings.warn_min_confidence = c.value;
            }
            if let Some(l) = raw.missing_facts {
                settings.missing_facts = l;
            }
            if let Some(l) = raw.expired_exception {
                settings.expired_exception = l;
            }
            if let Some(l) = raw.unused_exception {
                settings.unused_exception = l;
            }
            if let Some(l) = raw.unknown_registry {
                policy.origins.unknown_registry = l;
            }
            if let Some(l) = raw.unknown_git {
                policy.origins.unknown_git = l;
            }
            if let Some(list) = &raw.allow_registries {
                let merged = allow_registries.get_or_insert_with(Vec::new);
                for r in list {
                    if !merged.contains(r) {
                        merged.push(r.clone());
                    }
                }
            }
            for g in raw.allow_git.iter().flatten() {
                if !allow_git.contains(g) {
                    allow_git.push(g.clone());
                }
            }
            for (citation, span) in &raw.citations {
                if let Some(first) = citation_at.get(&citation.id) {
                    new_diags.push(duplicate(file, span, "citation", &citation.id, first));
                    continue;
                }
                citation_at.insert(citation.id.clone(), file.location(span.start));
                policy
                    .citations
                    .insert(citation.id.clone(), citation.clone());
            }
            for e in &raw.entities {
                if let Some(first) = entity_at.get(&e.entity.id) {
                    new_diags.push(duplicate(file, &e.id_span, "entity", &e.entity.id, first));
                    continue;
                }
                entity_at.insert(e.entity.id.clone(), file.location(e.id_span.start));
                policy.entities.push(e.entity.clone());
            }
            policy
                .exceptions
                .extend(raw.exceptions.iter().map(|(e, _)| e.clone()));
            policy
                .not_affiliated
                .extend(raw.not_affiliated.iter().map(|(n, _)| n.clone()));
        }
        if let Some(list) = allow_registries {
            policy.origins.allow_registries = list;
        }
        policy.origins.allow_git = allow_git;

        // References are checked on the merged policy: a citation or an entity may come
        // from another file. Skipped when a file could not be parsed, since its ids are
        // unknown and every reference to them would be reported for nothing.
        if all_parsed {
            let entity_ids: Vec<&str> = policy.entities.iter().map(|e| e.id.as_str()).collect();
            let citation_ids: Vec<&str> = policy.citations.keys().map(String::as_str).collect();
            for (index, raw) in &loaded {
                let Some(raw) = raw else { continue };
                let file = &self.files[*index];
                for e in &raw.entities {
                    for (c, span) in e.entity.citations.iter().zip(&e.citation_spans) {
                        if !policy.citations.contains_key(c) {
                            new_diags.push(unknown(
                                file,
                                span,
                                "citation",
                                c,
                                &citation_ids,
                                "[[citation]]",
                            ));
                        }
                    }
                }
                for (ex, span) in &raw.exceptions {
                    if let (Some(entity), Some(span)) = (&ex.entity, span)
                        && !entity_ids.contains(&entity.as_str())
                    {
                        new_diags.push(unknown(
                            file,
                            span,
                            "entity",
                            entity,
                            &entity_ids,
                            "[[entity]]",
                        ));
                    }
                }
                for (na, span) in &raw.not_affiliated {
                    if !entity_ids.contains(&na.entity.as_str()) {
                        new_diags.push(unknown(
                            file,
                            span,
                            "entity",
                            &na.entity,
                            &entity_ids,
                            "[[entity]]",
                        ));
                    }
                }
            }
        }
        self.loaded = loaded;
        self.diags.extend(new_diags);
        policy.settings = settings;
        policy
    }

    /// Diagnostics grouped by file in load order, then by position.
    fn sorted_diagnostics(&mut self) -> Vec<Diagnostic> {
        let mut order: BTreeMap<String, usize> = BTreeMap::new();
        for d in &self.diags {
            let n = order.len();
            order.entry(d.location.file.clone()).or_insert(n);
        }
        let mut diags = std::mem::take(&mut self.diags);
        diags.sort_by_key(|d| (order[&d.location.file], d.location.line, d.location.column));
        diags
    }
}

fn duplicate(
    file: &SourceFile,
    span: &Range<usize>,
    what: &str,
    id: &str,
    first: &Location,
) -> Diagnostic {
    let here = file.location(span.start);
    let message = if first.file == here.file {
        format!("duplicate {what} id `{id}`: defined at {first} and again at {here}")
    } else {
        format!(
            "duplicate {what} id `{id}`: defined in both {} ({first}) and {} ({here})",
            first.file, here.file
        )
    };
    file.diagnostic(
        span.clone(),
        message,
        Some(format!(
            "{what} ids must be unique across all policies loaded together: rename or remove one of them"
        )),
    )
}

fn unknown(
    file: &SourceFile,
    span: &Range<usize>,
    what: &str,
    id: &str,
    known: &[&str],
    table: &str,
) -> Diagnostic {
    let mut hint = match closest(id, known) {
        Some(best) => format!("did you mean `{best}`? "),
        None => String::new(),
    };
    if known.is_empty() {
        hint.push_str(&format!(
            "no {table} is defined in the policies loaded; define one with this id"
        ));
    } else if known.len() <= 30 {
        hint.push_str(&format!("known {what} ids: {}", known.join(", ")));
    } else {
        hint.push_str(&format!("define a {table} with id `{id}`, or fix the id"));
    }
    file.diagnostic(
        span.clone(),
        format!("unknown {what} `{id}`: no {table} has this id in the policies loaded"),
        Some(hint),
    )
}

/// An in-memory filesystem for tests.
#[cfg(test)]
pub(crate) struct MemFs(pub Vec<(&'static str, &'static str)>);

#[cfg(test)]
impl PolicyFs for MemFs {
    fn read(&self, path: &Path) -> Result<String, ReadError> {
        let path = normalize(path);
        if let Some((_, text)) = self.0.iter().find(|(p, _)| Path::new(p) == path) {
            return Ok(text.to_string());
        }
        if self.0.iter().any(|(p, _)| Path::new(p).starts_with(&path)) {
            return Err(ReadError::IsDir);
        }
        Err(ReadError::NotFound)
    }
    fn identity(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
}
