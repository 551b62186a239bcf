//! The integration tests: one test binary, one module per area, one `support` module they
//! share. Run one area with `cargo test --test it <module>::`.

mod support;

/// The benchmark generators (not part of the product), for the tests that need big inputs.
#[path = "../../benches/generate/mod.rs"]
#[allow(dead_code)]
mod generate;

mod architecture;
mod bad_inputs;
mod binaries;
mod cli_policy_init;
mod cli_surface;
mod corpus_deno;
mod demo;
mod e2e_api_trust;
mod e2e_codes;
mod e2e_matchers;
mod e2e_publisher;
mod e2e_publisher_facts;
mod e2e_sources;
mod e2e_vet_imports;
mod explain_list;
mod facts_api;
mod facts_dump;
mod facts_lock;
mod facts_sources;
mod facts_vet;
mod faults;
mod graph_cargo_tree;
mod graph_corpus;
mod graph_shapes;
mod hostile_inputs;
mod inputs;
mod policies;
mod policy_rules;
mod readme;
mod real_crates_dod;
mod report_formats;
mod sbom;
mod store;
