//! The one way into the renderers: [`render`] with a [`Format`], the report and the
//! [`RenderOptions`]. Every format is one [`Renderer`], with one signature.

use std::io::{self, Write};
use std::path::Path;

use super::human::{self, Style, Verbosity};
use super::{Context, FailOn, Report, cyclonedx, github, markdown, sarif};
use crate::facts::PackageFacts;
use crate::graph::Graph;

/// What the report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a person at a terminal: findings with their evidence and paths, and a verdict.
    Human,
    /// The JSON report, whose schema is the stable interface.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// A summary for $GITHUB_STEP_SUMMARY or a pull-request comment.
    Markdown,
    /// GitHub workflow commands (annotations).
    Github,
    /// A CycloneDX 1.6 JSON SBOM with supplier facts and the verdict per component.
    Cyclonedx,
}

/// What a renderer may need beyond the report.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions<'a> {
    /// How much the human output shows (`--verbose`, `--quiet`).
    pub verbosity: Verbosity,
    /// Whether the human output is coloured.
    pub style: Style,
    /// For the verdict the human, Markdown and SARIF outputs state.
    pub fail_on: FailOn,
    /// Paths in SARIF and annotations are relative to it; its Cargo.lock locates packages.
    pub workspace_root: &'a Path,
    /// The audited graph and its facts, for the outputs that list every component.
    pub graph: &'a Graph,
    /// The facts per package, indexed as [`Graph::packages`].
    pub facts: &'a [PackageFacts],
}

/// A renderer: the report, the options, the writer.
pub type Renderer = fn(&Report, &RenderOptions<'_>, &mut dyn Write) -> io::Result<()>;

/// The renderer of a format.
pub fn renderer(format: Format) -> Renderer {
    match format {
        Format::Human => {
            |report, o, w| human::render_with(report, o.verbosity, o.style, o.fail_on, w)
        }
        Format::Json => |report, _, w| report.write_json(w),
        Format::Sarif => |report, o, w| sarif::render(report, &context(o), w),
        Format::Markdown => |report, o, w| markdown::render(report, &context(o), w),
        Format::Github => |report, o, w| github::render(report, &context(o), w),
        Format::Cyclonedx => |report, o, w| cyclonedx::render(report, o.graph, o.facts, w),
    }
}

/// Writes `report` as `format`.
pub fn render(
    format: Format,
    report: &Report,
    options: &RenderOptions<'_>,
    w: &mut dyn Write,
) -> io::Result<()> {
    renderer(format)(report, options, w)
}

/// The CI renderers' context, with the workspace's Cargo.lock read when they need it.
fn context(o: &RenderOptions<'_>) -> Context {
    Context::new(o.workspace_root, o.fail_on)
}
