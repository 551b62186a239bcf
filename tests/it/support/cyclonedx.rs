//! Validation against the official CycloneDX 1.6 JSON schema vendored in `tests/schemas/`
//! (with the SPDX license list and JSF schemas it refers to).

#![allow(dead_code)]

use serde_json::Value;

/// Serves the two schemas that `bom-1.6.schema.json` refers to, from the vendored copies.
struct Vendored;

impl jsonschema::Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = match uri.as_str() {
            "http://cyclonedx.org/schema/spdx.schema.json" => {
                include_str!("../../schemas/spdx.schema.json")
            }
            "http://cyclonedx.org/schema/jsf-0.82.schema.json" => {
                include_str!("../../schemas/jsf-0.82.schema.json")
            }
            other => return Err(format!("no vendored schema for {other}").into()),
        };
        Ok(serde_json::from_str(text)?)
    }
}

/// The schema errors of `bom`, each with where it is.
pub fn errors(bom: &Value) -> Vec<String> {
    let schema: Value =
        serde_json::from_str(include_str!("../../schemas/bom-1.6.schema.json")).unwrap();
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .with_retriever(Vendored)
        .build(&schema)
        .expect("the CycloneDX schema compiles");
    validator
        .iter_errors(bom)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Panics with the errors unless `bom` is a valid CycloneDX 1.6 document.
pub fn validate(bom: &Value) {
    let errors = errors(bom);
    assert!(
        errors.is_empty(),
        "CycloneDX invalid:\n{}",
        errors.join("\n")
    );
}
