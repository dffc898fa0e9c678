//! What the checker's tests against the machine's Docker share: whether the daemon is there
//! (required in CI: `CAPAS_REQUIRE_DOCKER=1`), and `capas` run in-process on a store.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Whether a Docker daemon answers; without one the test is skipped, or fails when
/// `CAPAS_REQUIRE_DOCKER=1`.
pub fn docker_available() -> bool {
    let up = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !up {
        if std::env::var("CAPAS_REQUIRE_DOCKER").is_ok_and(|v| v == "1") {
            panic!("no Docker daemon, but CAPAS_REQUIRE_DOCKER=1 requires one");
        }
        eprintln!("skipping: no Docker daemon (set CAPAS_REQUIRE_DOCKER=1 to require it)");
    }
    up
}

/// Runs `capas ARGS…` on `store`, in-process, as a student would from the shell; it must
/// succeed.
pub fn capas(store: &Path, args: &[&str]) {
    use clap::Parser as _;
    let mut argv = vec![
        "capas".to_string(),
        "--store".into(),
        store.display().to_string(),
    ];
    argv.extend(args.iter().map(|a| a.to_string()));
    let cli = capas_labs::cli::Cli::try_parse_from(&argv).expect("arguments");
    let code = capas_labs::cli::run(cli, &mut std::io::sink()).expect("capas");
    assert_eq!(code, 0, "capas {args:?}");
}
