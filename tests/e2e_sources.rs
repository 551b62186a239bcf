//! End-to-end: packages from every kind of source (path, crates.io through a directory
//! source, `file://` git, a sparse alternative registry) as cargo reports them and as the
//! tool audits them.

mod support;

use std::sync::OnceLock;

use serde_json::Value;
use support::*;

fn fixture() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        Fixture::builder()
            .member(
                Krate::new("app", "0.1.0")
                    .dep(Dep::path("helper"))
                    .dep(Dep::crates_io("foo", "1.2"))
                    .dep(Dep::git("gdep"))
                    .dep(Dep::registry("altdep", "0.4")),
            )
            .path_crate(
                Krate::new("helper", "0.2.0").repository("https://github.com/Helpers/helper"),
            )
            .vendored(Krate::new("foo", "1.2.3").dep(Dep::crates_io("bar", "2")))
            .vendored(Krate::new("bar", "2.0.1"))
            .git(Krate::new("gdep", "0.3.0").dep(Dep::crates_io("bar", "2")))
            .registry(Krate::new("altdep", "0.4.2"))
            .build()
    })
}

#[test]
fn cargo_reports_each_source_as_expected() {
    let fx = fixture();
    let m: Value = serde_json::from_str(&fx.metadata_json()).unwrap();
    let mut got: Vec<(String, Value)> = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["source"].clone()))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("altdep".to_string(), Value::from(fx.registry_url())),
            ("app".to_string(), Value::Null),
            ("bar".to_string(), Value::from(CRATES_IO)),
            ("foo".to_string(), Value::from(CRATES_IO)),
            ("gdep".to_string(), Value::from(fx.git_source("gdep"))),
            ("helper".to_string(), Value::Null),
        ]
    );
}
