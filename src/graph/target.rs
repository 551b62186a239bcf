//! Evaluates a dependency's `target` (a plain triple or `cfg(...)`) against targets.
//!
//! Takes the [`Platform`] of a `dep_kinds` entry and answers two questions for the
//! graph stage: can it be true on some target at all (to drop `cfg(any())` pins), and
//! does it apply to one of the `--target` triples.
//!
//! Two ways of evaluating a `cfg(...)`:
//! - *possible*: Kleene three-valued logic over cfg-expr's builtin targets, where every
//!   predicate that does not describe the target (`feature = ..`, `debug_assertions`,
//!   `test`, custom flags, `target_feature`) is unknown. The entry is dropped only when
//!   the expression is false for every builtin target.
//! - *for a triple*: as cargo does for `[target.'cfg(..)'.dependencies]`, which asks
//!   `rustc --print cfg` with no extra flags: target predicates from cfg-expr's builtin
//!   target info, `debug_assertions` true (rustc without `-O` sets it), `test`,
//!   `proc_macro`, `feature = ..` and custom flags false. `target_feature` and unknown
//!   `target_*` keys (e.g. `target_thread_local`) are unknown, because cfg-expr does not
//!   know a target's default features; an entry whose value stays unknown is kept.

use std::fmt;

use cargo_metadata::cargo_platform::{Cfg, CfgExpr, Platform};
use cfg_expr::targets::{ALL_BUILTINS, TargetInfo, get_builtin_target_by_triple};
use cfg_expr::{Expression, Predicate};

/// The deepest nesting of parentheses in a `cfg(...)` that is parsed; cargo's parser
/// and the evaluation recurse on it. Real ones nest a few levels.
pub const MAX_CFG_DEPTH: usize = 64;

/// Whether `s` nests parentheses deeper than [`MAX_CFG_DEPTH`].
pub fn too_deep(s: &str) -> bool {
    let mut depth = 0usize;
    for b in s.bytes() {
        match b {
            b'(' => {
                depth += 1;
                if depth > MAX_CFG_DEPTH {
                    return true;
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A triple that cfg-expr's builtin target list does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTarget(pub String);

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown target triple `{}`", self.0)
    }
}

impl std::error::Error for UnknownTarget {}

/// A target triple that rustc knows, with its cfg values.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    info: &'static TargetInfo,
}

impl Target {
    /// Looks up a triple in cfg-expr's builtin list (what `rustc --print target-list` gives).
    pub fn by_triple(triple: &str) -> Result<Target, UnknownTarget> {
        get_builtin_target_by_triple(triple)
            .map(|info| Target { info })
            .ok_or_else(|| UnknownTarget(triple.to_string()))
    }

    /// The triple as cfg-expr spells it, e.g. `x86_64-unknown-linux-gnu`.
    pub fn triple(&self) -> &str {
        self.info.triple.as_ref()
    }
}

/// The triple `rustc -vV` reports as its host: what cargo builds build scripts,
/// build-dependencies and proc-macros for. Runs `$RUSTC` when set, as cargo does,
/// else `rustc` from the `PATH`.
pub fn host_triple() -> Result<String, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let shown = std::path::Path::new(&rustc).display().to_string();
    let out = std::process::Command::new(&rustc)
        .arg("-vV")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("could not run `{shown} -vV`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{shown} -vV` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_host(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| format!("`{shown} -vV` printed no `host:` line"))
}

/// The `host: TRIPLE` line of `rustc -vV` output.
fn parse_host(verbose_version: &str) -> Option<String> {
    verbose_version
        .lines()
        .find_map(|l| l.strip_prefix("host:"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// A parsed dependency target: `x86_64-pc-windows-msvc` or `cfg(windows)`.
#[derive(Clone, Debug)]
pub enum Condition {
    /// A plain triple, e.g. `x86_64-pc-windows-msvc`; applies to that target only.
    Triple(String),
    /// A `cfg(...)` expression.
    Cfg(Node),
}

/// A node of a `cfg(...)` expression. Leaves hold the single predicate parsed by
/// cfg-expr, or `None` when cfg-expr cannot parse it (treated as unknown).
#[derive(Clone, Debug)]
pub enum Node {
    /// `not(...)`: true when the inner node is false.
    Not(Box<Node>),
    /// `all(...)`: true when every inner node is; `all()` is true.
    All(Vec<Node>),
    /// `any(...)`: true when some inner node is; `any()` is false.
    Any(Vec<Node>),
    /// `cfg(true)` or `cfg(false)`.
    Const(bool),
    /// One predicate such as `unix` or `target_os = "linux"`; `None` when cfg-expr cannot parse it.
    Leaf(Option<Box<Expression>>),
}

impl Condition {
    /// Converts cargo's parsed platform. `cfg(true)`/`cfg(false)` are kept as constants
    /// (cfg-expr would read them as custom flags).
    pub fn from_platform(platform: &Platform) -> Condition {
        match platform {
            Platform::Name(triple) => Condition::Triple(triple.clone()),
            Platform::Cfg(expr) => Condition::Cfg(Node::from_cfg_expr(expr)),
        }
    }

    /// Parses a target string as it appears in `cargo metadata` (`cfg(unix)`, a triple).
    pub fn parse(s: &str) -> Result<Condition, String> {
        if too_deep(s) {
            return Err(format!(
                "`cfg(...)` nested deeper than {MAX_CFG_DEPTH} levels"
            ));
        }
        s.parse::<Platform>()
            .map(|p| Condition::from_platform(&p))
            .map_err(|e| e.to_string())
    }

    /// Whether this can be true on some target: false only when it is false on every
    /// builtin target with non-target predicates unknown. A plain triple is always
    /// possible (it may be a custom target).
    pub fn is_possible(&self) -> bool {
        match self {
            Condition::Triple(_) => true,
            Condition::Cfg(node) => {
                // Cheap first pass: `any()`, `all()`, `not(any())`... decide without a target.
                if let Some(v) = node.eval(&mut |_| None) {
                    return v;
                }
                ALL_BUILTINS.iter().any(|info| {
                    node.eval(&mut |pred| match pred {
                        Predicate::Target(tp) => Some(tp.matches(info)),
                        _ => None,
                    }) != Some(false)
                })
            }
        }
    }

    /// Whether this applies to `target`, as cargo evaluates it for that target with no
    /// extra rustc flags. Unknown (only `target_feature` and unknown `target_*` keys)
    /// counts as applying.
    pub fn matches(&self, target: &Target) -> bool {
        match self {
            Condition::Triple(triple) => triple == target.triple(),
            Condition::Cfg(node) => {
                node.eval(&mut |pred| eval_for_rustc(pred, target.info)) != Some(false)
            }
        }
    }
}

fn eval_for_rustc(pred: &Predicate<'_>, info: &TargetInfo) -> Option<bool> {
    match pred {
        Predicate::Target(tp) => Some(tp.matches(info)),
        Predicate::DebugAssertions => Some(true),
        Predicate::Test | Predicate::ProcMacro | Predicate::Feature(_) => Some(false),
        Predicate::TargetFeature(_) => None,
        Predicate::Flag(name) | Predicate::KeyValue { key: name, .. } => {
            if name.starts_with("target_") {
                None
            } else {
                Some(false)
            }
        }
    }
}

impl Node {
    fn from_cfg_expr(expr: &CfgExpr) -> Node {
        match expr {
            CfgExpr::Not(e) => Node::Not(Box::new(Node::from_cfg_expr(e))),
            CfgExpr::All(es) => Node::All(es.iter().map(Node::from_cfg_expr).collect()),
            CfgExpr::Any(es) => Node::Any(es.iter().map(Node::from_cfg_expr).collect()),
            CfgExpr::True => Node::Const(true),
            CfgExpr::False => Node::Const(false),
            CfgExpr::Value(cfg) => {
                let text = match cfg {
                    Cfg::Name(ident) => ident.name.clone(),
                    Cfg::KeyPair(key, value) => format!("{} = \"{}\"", key.name, value),
                };
                Node::Leaf(Expression::parse(&text).ok().map(Box::new))
            }
        }
    }

    /// Kleene evaluation; `leaf` gives each predicate's value (`None`: unknown).
    fn eval(&self, leaf: &mut dyn FnMut(&Predicate<'_>) -> Option<bool>) -> Option<bool> {
        match self {
            Node::Const(v) => Some(*v),
            Node::Not(n) => n.eval(leaf).map(|v| !v),
            Node::All(ns) => {
                let mut acc = Some(true);
                for n in ns {
                    match n.eval(leaf) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => acc = None,
                    }
                }
                acc
            }
            Node::Any(ns) => {
                let mut acc = Some(false);
                for n in ns {
                    match n.eval(leaf) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => acc = None,
                    }
                }
                acc
            }
            Node::Leaf(None) => None,
            Node::Leaf(Some(expr)) => expr.eval(|p| leaf(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(s: &str) -> Condition {
        Condition::parse(s).unwrap()
    }

    fn on(s: &str, triple: &str) -> bool {
        cond(s).matches(&Target::by_triple(triple).unwrap())
    }

    const LINUX: &str = "x86_64-unknown-linux-gnu";
    const WINDOWS: &str = "x86_64-pc-windows-msvc";
    const MAC: &str = "aarch64-apple-darwin";
    const WASM: &str = "wasm32-unknown-unknown";

    #[test]
    fn families_and_os() {
        assert!(on("cfg(unix)", LINUX));
        assert!(!on("cfg(unix)", WINDOWS));
        assert!(on("cfg(windows)", WINDOWS));
        assert!(!on("cfg(windows)", LINUX));
        assert!(on("cfg(target_os = \"macos\")", MAC));
        assert!(!on("cfg(target_os = \"macos\")", LINUX));
        assert!(on("cfg(target_arch = \"wasm32\")", WASM));
        assert!(!on("cfg(unix)", WASM));
        assert!(!on("cfg(windows)", WASM));
    }

    #[test]
    fn combinators() {
        assert!(on("cfg(not(windows))", LINUX));
        assert!(!on("cfg(not(windows))", WINDOWS));
        assert!(on("cfg(all(unix, target_pointer_width = \"64\"))", LINUX));
        assert!(!on("cfg(all(unix, target_pointer_width = \"32\"))", LINUX));
        assert!(on("cfg(any(windows, target_os = \"linux\"))", LINUX));
        assert!(!on(
            "cfg(all(unix, not(target_os = \"macos\")))",
            "x86_64-apple-darwin"
        ));
    }

    #[test]
    fn any_empty_is_impossible() {
        assert!(!cond("cfg(any())").is_possible());
        assert!(!cond("cfg(all(unix, any()))").is_possible());
        assert!(!cond("cfg(not(all()))").is_possible());
        assert!(!on("cfg(any())", LINUX));
        assert!(cond("cfg(all())").is_possible());
        assert!(cond("cfg(not(any()))").is_possible());
    }

    #[test]
    fn impossible_over_all_targets() {
        // No builtin target is both windows and unix.
        assert!(!cond("cfg(all(windows, unix))").is_possible());
        assert!(!cond("cfg(all(target_os = \"linux\", target_os = \"macos\"))").is_possible());
        assert!(cond("cfg(all(unix, target_arch = \"x86_64\"))").is_possible());
        // Unknown non-target predicates keep an expression possible...
        assert!(cond("cfg(feature = \"foo\")").is_possible());
        assert!(cond("cfg(tokio_unstable)").is_possible());
        assert!(cond("cfg(all(unix, debug_assertions))").is_possible());
        // ...but not when the target part alone is false everywhere.
        assert!(!cond("cfg(all(feature = \"foo\", windows, unix))").is_possible());
        // A target no builtin knows.
        assert!(!cond("cfg(target_os = \"no-such-os\")").is_possible());
        // Plain triples, even unknown ones (custom targets), stay possible.
        assert!(cond("x86_64-pc-windows-msvc").is_possible());
        assert!(cond("my-custom-target").is_possible());
    }

    #[test]
    fn non_target_predicates_for_a_triple() {
        assert!(on("cfg(debug_assertions)", LINUX));
        assert!(!on("cfg(test)", LINUX));
        assert!(!on("cfg(feature = \"foo\")", LINUX));
        assert!(!on("cfg(tokio_unstable)", LINUX));
        assert!(on("cfg(not(tokio_unstable))", LINUX));
        // target_feature is unknown: kept.
        assert!(on("cfg(target_feature = \"sse2\")", LINUX));
        assert!(!on("cfg(all(windows, target_feature = \"sse2\"))", LINUX));
    }

    #[test]
    fn true_false_literals() {
        assert!(on("cfg(true)", LINUX));
        assert!(!on("cfg(false)", LINUX));
        assert!(!cond("cfg(false)").is_possible());
        assert!(cond("cfg(true)").is_possible());
    }

    #[test]
    fn plain_triples() {
        assert!(on(WINDOWS, WINDOWS));
        assert!(!on(WINDOWS, LINUX));
    }

    #[test]
    fn host_line_of_rustc_vv() {
        let text = "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\nhost: aarch64-apple-darwin\nrelease: 1.95.0\n";
        assert_eq!(parse_host(text).as_deref(), Some("aarch64-apple-darwin"));
        assert_eq!(parse_host("rustc 1.95.0\nhost: \n"), None);
        assert_eq!(parse_host(""), None);
    }

    #[test]
    fn unknown_triple() {
        assert_eq!(
            Target::by_triple("x86_64-unknown-nowhere").unwrap_err(),
            UnknownTarget("x86_64-unknown-nowhere".into())
        );
        assert_eq!(Target::by_triple(LINUX).unwrap().triple(), LINUX);
    }
}
