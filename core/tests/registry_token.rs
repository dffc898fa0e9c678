//! Bearer (token) authentication against a real registry: `docker-registry` configured with
//! `auth: token`, and a small token server here that plays Docker Hub's `auth.docker.io`:
//! it checks the user's Basic credentials and returns a JWT (ES256, its certificate in the
//! `x5c` header, that certificate being the registry's `rootcertbundle`) granting the scopes
//! asked for. The registry verifies every token itself; nothing of it is mocked.
//!
//! Required in CI (`CAPAS_REQUIRE_REGISTRY=1`), skipped where `docker-registry` is missing.

#[path = "registry_support/mod.rs"]
mod registry_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use capas_core::distribution::{self, PullError, PullOptions, PushOptions};
use capas_core::fsck;
use capas_core::reference::Reference;
use capas_core::registry::{Credentials, RegistryError};
use capas_core::store::Store;
use registry_support::TestRegistry;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

const SERVICE: &str = "capas-test-registry";
const ISSUER: &str = "capas-test-issuer";

fn b64(bytes: &[u8], url: bool) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    if url {
        URL_SAFE_NO_PAD.encode(bytes)
    } else {
        STANDARD.encode(bytes)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("utf-8");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// The token server: one thread, answering `GET /token?service=…&scope=…` until dropped.
struct TokenServer {
    port: u16,
    stop: Arc<AtomicBool>,
    issued: Arc<AtomicUsize>,
}

impl TokenServer {
    fn start(pkcs8: Vec<u8>, cert_der: Vec<u8>, user: &str, password: &str) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(AtomicUsize::new(0));
        let expected = format!(
            "Basic {}",
            b64(format!("{user}:{password}").as_bytes(), false)
        );
        let (stop2, issued2) = (stop.clone(), issued.clone());
        std::thread::spawn(move || {
            let rng = SystemRandom::new();
            let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
                .expect("key");
            while !stop2.load(Ordering::Relaxed) {
                let (stream, _) = match listener.accept() {
                    Ok(s) => s,
                    Err(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        continue;
                    }
                };
                stream.set_nonblocking(false).expect("blocking");
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut first = String::new();
                reader.read_line(&mut first).expect("request line");
                let mut authorization = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).expect("header") == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("authorization")
                    {
                        authorization = Some(v.trim().to_string());
                    }
                }
                let target = first.split_whitespace().nth(1).unwrap_or("");
                let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
                let mut access = Vec::new();
                for pair in query.split('&') {
                    let Some((k, v)) = pair.split_once('=') else {
                        continue;
                    };
                    if k == "scope" {
                        let scope = percent_decode(v);
                        let parts: Vec<&str> = scope.splitn(3, ':').collect();
                        if let [kind, name, actions] = parts.as_slice() {
                            access.push(serde_json::json!({
                                "type": kind,
                                "name": name,
                                "actions": actions.split(',').collect::<Vec<_>>(),
                            }));
                        }
                    }
                }
                let mut stream = stream;
                if authorization.as_deref() != Some(expected.as_str()) {
                    let _ = stream.write_all(
                        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                }
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("time")
                    .as_secs();
                let n = issued2.fetch_add(1, Ordering::SeqCst);
                let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [b64(&cert_der, false)]});
                let claims = serde_json::json!({
                    "iss": ISSUER, "sub": "student", "aud": SERVICE,
                    "exp": now + 300, "nbf": now - 10, "iat": now - 10,
                    "jti": format!("capas-test-{n}"), "access": access,
                });
                let signing_input = format!(
                    "{}.{}",
                    b64(header.to_string().as_bytes(), true),
                    b64(claims.to_string().as_bytes(), true)
                );
                let signature = key.sign(&rng, signing_input.as_bytes()).expect("sign");
                let token = format!("{signing_input}.{}", b64(signature.as_ref(), true));
                let body = serde_json::json!({"token": token, "expires_in": 300}).to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenServer { port, stop, issued }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn bearer_token_challenge_is_answered() {
    // The certificate and key that sign tokens; the registry trusts that certificate.
    let certified = rcgen::generate_simple_self_signed(vec!["capas-test-token".to_string()])
        .expect("self-signed certificate");
    let cert_der = certified.cert.der().to_vec();
    let pkcs8 = certified.signing_key.serialize_der();
    let tokens = TokenServer::start(pkcs8, cert_der, "student", "s3cret");
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("token.pem");
    std::fs::write(&bundle, certified.cert.pem()).expect("bundle");
    let auth = format!(
        "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
        tokens.port,
        bundle.display()
    );
    let Some(registry) = TestRegistry::start_with_auth(&auth) else {
        return;
    };
    let name =
        Reference::parse_tagged(&format!("{}/capas-test/hello:1", registry.host())).expect("ref");
    let good = Credentials {
        username: "student".into(),
        password: "s3cret".into(),
    };

    // Push with credentials: the token grants pull,push on the repository.
    let source_dir = tempfile::tempdir().expect("tempdir");
    let source = Store::open(source_dir.path()).expect("store");
    {
        let locked = source.lock().expect("lock");
        let sample = Reference::parse_tagged("hello-world").expect("ref");
        let report = distribution::pull(&locked, &sample, &mut |_| {}).expect("sample");
        let mut index = locked.index().expect("index");
        index.set_reference(name.clone(), &report.image.id);
        locked.write_index(&index).expect("index");
        let err =
            distribution::push(&locked, &name, &PushOptions::default(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().starts_with("unauthorized"), "{err}");
        distribution::push(
            &locked,
            &name,
            &PushOptions {
                credentials: Some(good.clone()),
            },
            &mut |_| {},
        )
        .expect("push with a token");
    }
    assert!(tokens.issued.load(Ordering::SeqCst) >= 1);

    // Pull: refused without credentials, granted with them.
    let target_dir = tempfile::tempdir().expect("tempdir");
    let target = Store::open(target_dir.path()).expect("store");
    let locked = target.lock().expect("lock");
    let err =
        distribution::pull_with(&locked, &name, &PullOptions::default(), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, PullError::Registry(RegistryError::Unauthorized { .. })),
        "{err}"
    );
    let report = distribution::pull_with(
        &locked,
        &name,
        &PullOptions {
            platform: None,
            credentials: Some(good),
        },
        &mut |_| {},
    )
    .expect("pull with a token");
    assert!(!report.up_to_date);
    drop(locked);
    let check = fsck::fsck(&target).expect("fsck");
    assert!(check.is_clean(), "{:?}", check.problems);
}
