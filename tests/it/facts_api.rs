//! The crates.io API source against a fake crates.io on 127.0.0.1: answers, failures,
//! retries, the cache, offline mode, the pace and the unreachable server.

use std::time::{Duration, Instant};

use crate::support::fake_crates_io::{FakeCratesIo, Reply};
use cargo_vendor_audit::facts::api::{ApiConfig, CratesIoApi, user_agent};
use cargo_vendor_audit::facts::cache::ApiCache;
use cargo_vendor_audit::facts::publisher::{CrateKey, FactSource, Needed};
use cargo_vendor_audit::facts::{Owner, Provenance, Publisher};

fn fast_config(base_url: &str) -> ApiConfig {
    ApiConfig {
        base_url: base_url.to_string(),
        min_interval: Duration::ZERO,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(400),
        backoff: Duration::from_millis(10),
        ..ApiConfig::default()
    }
}

fn user(id: u64, login: &str) -> Owner {
    Owner::User {
        id,
        login: login.into(),
    }
}

fn key(name: &str, version: &str) -> CrateKey {
    CrateKey::new(name, version)
}

fn script(server: &FakeCratesIo) {
    let owners = |json: &str| vec![Reply::json(json)];
    server.route(
        "/api/v1/crates/serde/owners",
        owners(
            r#"{"users":[{"avatar":null,"github_username_matches":true,"id":3618,"kind":"user","login":"dtolnay","name":"David Tolnay","url":"https://github.com/dtolnay"}]}"#,
        ),
    );
    server.route(
        "/api/v1/crates/serde/1.0.0",
        owners(
            r#"{"version":{"id":1,"crate":"serde","num":"1.0.0","yanked":false,"published_by":{"id":3618,"login":"dtolnay","name":null,"avatar":null,"url":"https://github.com/dtolnay"},"trustpub_data":null,"audit_actions":[]}}"#,
        ),
    );
    server.route(
        "/api/v1/crates/teamed/owners",
        owners(
            r#"{"users":[{"avatar":null,"id":1,"kind":"user","login":"foo","name":null,"url":"https://github.com/foo"},{"avatar":null,"id":1,"kind":"team","login":"github:test_org:team_sloth","name":null,"url":"https://github.com/test_org"}]}"#,
        ),
    );
    server.route(
        "/api/v1/crates/teamed/0.1.0",
        owners(r#"{"version":{"num":"0.1.0","published_by":null}}"#),
    );
    server.route("/api/v1/crates/trusted/owners", owners(r#"{"users":[]}"#));
    server.route(
        "/api/v1/crates/trusted/1.2.3",
        owners(
            r#"{"version":{"num":"1.2.3","published_by":null,"trustpub_data":{"provider":"github","repository":"some-org/trusted","run_id":"1","sha":"abc"}}}"#,
        ),
    );
    server.route(
        "/api/v1/crates/busy/owners",
        vec![
            Reply::status(429).header("Retry-After", "1"),
            Reply::json(r#"{"users":[{"id":7,"kind":"user","login":"Busy"}]}"#),
        ],
    );
    server.route(
        "/api/v1/crates/busy/1.0.0",
        owners(
            r#"{"version":{"published_by":null,"trustpub_data":{"provider":"gitlab","project_path":"grp/sub/busy","job_id":"1","sha":"x"}}}"#,
        ),
    );
    server.route("/api/v1/crates/broken/owners", vec![Reply::status(500)]);
    server.route(
        "/api/v1/crates/garbled/owners",
        owners(r#"{"users": [{"id": "#),
    );
    server.route(
        "/api/v1/crates/slow/owners",
        vec![Reply::json(r#"{"users":[]}"#).delayed(Duration::from_millis(1500))],
    );
    // Everything else, `private` included, is 404.
}

fn owners_only(keys: &[CrateKey]) -> Vec<Needed> {
    keys.iter()
        .map(|k| Needed {
            key: k.clone(),
            owners: true,
            publisher: false,
        })
        .collect()
}

#[test]
fn answers_failures_cache_and_offline() {
    let server = FakeCratesIo::start();
    script(&server);
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ApiCache::new(cache_dir.path());
    let wanted = vec![
        key("serde", "1.0.0"),
        // A second version of the same crate: its owners are not asked again; the API
        // answers 404 for the version.
        key("serde", "1.0.1"),
        // 404 for both: a crates.io package the API does not know.
        key("private", "0.0.1"),
        key("teamed", "0.1.0"),
        key("trusted", "1.2.3"),
        key("busy", "1.0.0"),
    ];
    let failing = vec![
        key("broken", "1.0.0"),
        key("garbled", "1.0.0"),
        key("slow", "1.0.0"),
    ];

    // First run: everything asked once (busy twice: 429 then 200).
    let mut api = CratesIoApi::new(fast_config(&server.base_url), Some(cache.clone())).unwrap();
    let mut all: Vec<Needed> = wanted.iter().cloned().map(Needed::all).collect();
    all.extend(owners_only(&failing));
    let got = api.gather_needed(&all);

    let serde = got.get(&key("serde", "1.0.0")).unwrap();
    let owners = serde.owners.as_ref().unwrap();
    assert_eq!(owners.value, vec![user(3618, "dtolnay")]);
    assert_eq!(owners.provenance, Provenance::CratesIoApi);
    assert!(owners.fetched.as_deref().unwrap().ends_with('Z'));
    assert_eq!(
        serde.publisher.as_ref().unwrap().value,
        Some(Publisher::User {
            id: 3618,
            login: "dtolnay".into()
        })
    );

    let teamed = got.get(&key("teamed", "0.1.0")).unwrap();
    assert_eq!(
        teamed.owners.as_ref().unwrap().value,
        vec![
            user(1, "foo"),
            Owner::Team {
                id: 1,
                login: "github:test_org:team_sloth".into()
            }
        ]
    );
    // Known: no recorded publisher.
    assert_eq!(teamed.publisher.as_ref().unwrap().value, None);

    let trusted = got.get(&key("trusted", "1.2.3")).unwrap();
    assert_eq!(
        trusted.publisher.as_ref().unwrap().value,
        Some(Publisher::Trusted("github:some-org/trusted".into()))
    );
    let busy = got.get(&key("busy", "1.0.0")).unwrap();
    assert_eq!(busy.owners.as_ref().unwrap().value, vec![user(7, "Busy")]);
    assert_eq!(
        busy.publisher.as_ref().unwrap().value,
        Some(Publisher::Trusted("gitlab:grp/sub/busy".into()))
    );
    // 404 for a crates.io package: a failed answer, the fact stays unknown.
    let serde_101 = got.get(&key("serde", "1.0.1")).unwrap();
    assert_eq!(serde_101.owners, serde.owners);
    assert_eq!(serde_101.publisher, None);
    assert!(got.get(&key("private", "0.0.1")).is_none());

    // Failures: degraded, the crate left without facts, the run went on.
    for k in &failing {
        assert!(got.get(k).is_none(), "{k} should have no facts");
    }
    let messages: Vec<&str> = got.degraded.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(got.degraded.len(), 6, "{messages:#?}");
    for path in ["/serde/1.0.1", "/private/owners", "/private/0.0.1"] {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(path) && m.contains("HTTP 404")),
            "{path}: {messages:#?}"
        );
    }
    assert!(got.degraded.iter().all(|d| d.source == "crates-io-api"));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("/broken/owners") && m.contains("HTTP 500"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("garbled") && m.contains("malformed"))
    );
    assert!(messages.iter().any(|m| m.contains("/slow/owners")));

    let requests = server.requests();
    assert!(requests.iter().all(|r| r.method == "GET"));
    assert!(
        requests
            .iter()
            .all(|r| r.user_agent.as_deref() == Some(user_agent().as_str())),
        "{requests:#?}"
    );
    let mut paths = server.paths();
    paths.sort();
    let mut expected: Vec<String> = [
        "/api/v1/crates/broken/owners",
        "/api/v1/crates/broken/owners",
        "/api/v1/crates/broken/owners",
        "/api/v1/crates/broken/owners",
        "/api/v1/crates/busy/1.0.0",
        "/api/v1/crates/busy/owners",
        "/api/v1/crates/busy/owners",
        "/api/v1/crates/garbled/owners",
        "/api/v1/crates/private/0.0.1",
        "/api/v1/crates/private/owners",
        "/api/v1/crates/serde/1.0.0",
        "/api/v1/crates/serde/1.0.1",
        "/api/v1/crates/serde/owners",
        "/api/v1/crates/slow/owners",
        "/api/v1/crates/teamed/0.1.0",
        "/api/v1/crates/teamed/owners",
        "/api/v1/crates/trusted/1.2.3",
        "/api/v1/crates/trusted/owners",
    ]
    .map(String::from)
    .to_vec();
    expected.sort();
    assert_eq!(paths, expected);
    // Retry-After: 1 was honoured.
    let busy_at: Vec<Instant> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/crates/busy/owners")
        .map(|r| r.at)
        .collect();
    assert!(busy_at[1] - busy_at[0] >= Duration::from_millis(950));

    // Second run, new client, same cache: only the failures (404s included) are asked
    // again.
    server.clear();
    let mut api = CratesIoApi::new(fast_config(&server.base_url), Some(cache.clone())).unwrap();
    let again = api.gather_needed(&all);
    let mut paths = server.paths();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        vec![
            "/api/v1/crates/broken/owners",
            "/api/v1/crates/garbled/owners",
            "/api/v1/crates/private/0.0.1",
            "/api/v1/crates/private/owners",
            "/api/v1/crates/serde/1.0.1",
            "/api/v1/crates/slow/owners"
        ]
    );
    for k in &wanted {
        assert_eq!(again.get(k), got.get(k), "{k} from the cache");
    }

    // Offline: no request at all, cached answers only, one note for the rest.
    server.clear();
    let mut api = CratesIoApi::new(
        ApiConfig {
            offline: true,
            ..fast_config(&server.base_url)
        },
        Some(cache),
    )
    .unwrap();
    let mut more = all.clone();
    more.push(Needed::all(key("never-seen", "1.0.0")));
    let offline = api.gather_needed(&more);
    assert!(server.requests().is_empty());
    assert_eq!(api.requests_sent(), 0);
    for k in &wanted {
        assert_eq!(offline.get(k), got.get(k));
    }
    assert!(offline.get(&key("never-seen", "1.0.0")).is_none());
    assert_eq!(offline.degraded.len(), 1, "{:#?}", offline.degraded);
    assert!(offline.degraded[0].message.contains("offline"));
}

#[test]
fn default_pace_is_one_request_per_second() {
    let server = FakeCratesIo::start();
    for name in ["a", "b", "c"] {
        server.route(
            &format!("/api/v1/crates/{name}/owners"),
            vec![Reply::json(r#"{"users":[]}"#)],
        );
    }
    let mut api = CratesIoApi::new(
        ApiConfig {
            base_url: server.base_url.clone(),
            ..ApiConfig::default()
        },
        None,
    )
    .unwrap();
    let keys = [key("a", "1.0.0"), key("b", "1.0.0"), key("c", "1.0.0")];
    let got = api.gather_needed(&owners_only(&keys));
    assert_eq!(got.facts.len(), 3);
    let at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    assert_eq!(at.len(), 3);
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(950), "requests {gap:?} apart");
    }
}

#[test]
fn unreachable_server_is_given_up_quickly_and_reported_once() {
    // A port that was just free: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut api = CratesIoApi::new(fast_config(&format!("http://127.0.0.1:{port}")), None).unwrap();
    let wanted: Vec<CrateKey> = (0..20).map(|i| key(&format!("c{i}"), "1.0.0")).collect();
    let started = Instant::now();
    let got = api.gather(&wanted);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(got.facts.is_empty());
    assert_eq!(api.requests_sent(), 3);
    assert_eq!(got.degraded.len(), 1, "{:#?}", got.degraded);
    assert!(got.degraded[0].message.contains("cannot be reached"));
}

#[test]
fn unwritable_cache_degrades_but_answers() {
    let server = FakeCratesIo::start();
    script(&server);
    let dir = tempfile::tempdir().unwrap();
    // A file where the cache folder should be.
    let blocker = dir.path().join("cache");
    std::fs::write(&blocker, "not a folder").unwrap();
    let mut api =
        CratesIoApi::new(fast_config(&server.base_url), Some(ApiCache::new(&blocker))).unwrap();
    let got = api.gather(&[key("serde", "1.0.0"), key("teamed", "0.1.0")]);
    assert!(got.get(&key("serde", "1.0.0")).unwrap().is_complete());
    assert!(got.get(&key("teamed", "0.1.0")).unwrap().is_complete());
    assert_eq!(got.degraded.len(), 1, "{:#?}", got.degraded);
    assert!(got.degraded[0].message.contains("cache"));
}

#[test]
fn a_server_that_only_fails_is_given_up() {
    let server = FakeCratesIo::start();
    let wanted: Vec<CrateKey> = (0..8).map(|i| key(&format!("f{i}"), "1.0.0")).collect();
    for k in &wanted {
        server.route(
            &format!("/api/v1/crates/{}/owners", k.name),
            vec![Reply::status(403)],
        );
    }
    let mut api = CratesIoApi::new(fast_config(&server.base_url), None).unwrap();
    let got = api.gather_needed(&owners_only(&wanted));
    assert!(got.facts.is_empty());
    // Five failed crates, then one note for the three never asked.
    assert_eq!(server.requests().len(), 5);
    assert_eq!(got.degraded.len(), 6, "{:#?}", got.degraded);
    let last = &got.degraded[5].message;
    assert!(
        last.contains("keeps failing") && last.contains("3 questions"),
        "{last}"
    );
}
