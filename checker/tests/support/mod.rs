//! What the checker's tests against the machine's Docker share: whether the daemon is there
//! (required in CI: `CAPAS_REQUIRE_DOCKER=1`), `capas` run in-process on a store, and the
//! `checker` binary run as an instructor runs it.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;

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

/// Runs the checker with `args` (and the test-only fault `fault`): exit code, stdout,
/// stderr.
pub fn checker(args: &[&str], fault: Option<&str>) -> (i32, String, String) {
    let (code, out, err, _) = checker_pid(args, fault);
    (code, out, err)
}

/// Runs the checker; also returns its process ID, which names everything it makes in Docker.
pub fn checker_pid(args: &[&str], fault: Option<&str>) -> (i32, String, String, u32) {
    let mut cmd = Command::cargo_bin("checker").expect("checker binary");
    cmd.args(args)
        .env_remove("CAPAS_CHECKER_FAULT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(f) = fault {
        cmd.env("CAPAS_CHECKER_FAULT", f);
    }
    let child = cmd.spawn().expect("run checker");
    let pid = child.id();
    let out = child.wait_with_output().expect("checker output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        pid,
    )
}
