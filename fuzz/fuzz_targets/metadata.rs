//! The metadata loader and the graph stage on arbitrary JSON.
#![no_main]

use cargo_vendor_audit::graph::{Graph, GraphOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(metadata) = cargo_vendor_audit::input::metadata::parse(text.to_string(), "fuzz") else {
        return;
    };
    for opts in [
        GraphOptions::default(),
        GraphOptions {
            workspace: true,
            exclude_dev: true,
            targets: vec!["x86_64-unknown-linux-gnu".to_string()],
            ..GraphOptions::default()
        },
    ] {
        if let Ok(graph) = Graph::build(&metadata, &opts) {
            let finder = graph.path_finder();
            for i in graph.reached().take(50) {
                let _ = finder.paths(i, cargo_vendor_audit::graph::Kinds::ALL, 5);
            }
        }
    }
});
