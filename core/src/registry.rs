//! A client for real registries: the OCI distribution API over HTTP.
//!
//! A registry is a web server with a handful of endpoints (dist-spec `spec.md`):
//!
//! | what | request | answer |
//! | --- | --- | --- |
//! | is there a registry? | `GET /v2/` | 200, or 401 with a `WWW-Authenticate` challenge |
//! | a manifest by tag or digest | `GET /v2/<repo>/manifests/<ref>` | its exact bytes; `Docker-Content-Digest` |
//! | a blob (config, layer) | `GET /v2/<repo>/blobs/<digest>` | its bytes |
//! | does the registry have a blob? | `HEAD /v2/<repo>/blobs/<digest>` | 200 or 404 |
//! | copy a blob from another repository | `POST /v2/<repo>/blobs/uploads/?mount=<d>&from=<repo2>` | 201 mounted, or 202 with an upload session |
//! | upload a blob | `POST /v2/<repo>/blobs/uploads/` then `PUT <location>?digest=<d>` | 202 then 201 |
//! | tag a manifest | `PUT /v2/<repo>/manifests/<tag>` | 201 and its digest |
//!
//! Everything is named by digest, so nothing the registry sends has to be trusted: the
//! caller hashes every byte as it arrives (see [`crate::distribution`]).
//!
//! # Why a client of our own, and not the `oci-client` crate
//!
//! `oci-client` (the ORAS project's Rust client) was the first candidate. It lacks things that
//! Docker's pull and push do and that this course shows: it pushes a blob from a `&[u8]` held
//! whole in memory (a 1 GB layer would need 1 GB of RAM; PERFORMANCE.md allows 64 MB); its
//! `mount_blob` treats the registry's `202 Accepted` (not mounted, here is an upload session)
//! as an error, so "Mounted from" cannot be told from a fallback upload; it is async on top
//! of reqwest and tokio, while the engine is synchronous and threads are enough for three
//! downloads at once. What is left of a client once streaming, HEAD checks, mounts and the
//! auth challenge are done by hand is small, so it is written here, on `ureq` (a small
//! blocking HTTP client), where a student can read every request.
//!
//! # Authentication
//!
//! A registry that wants credentials answers `401` with a challenge:
//!
//! * `Basic realm="…"`: send `Authorization: Basic base64(user:password)`;
//! * `Bearer realm="https://auth…/token",service="…",scope="repository:x:pull"`: ask the token
//!   server at `realm` for a token (with the credentials, if any) and send
//!   `Authorization: Bearer <token>`.
//!
//! The client answers the challenge once and repeats the request, as Docker does.

use std::io::{self, Read, Write};
use std::sync::Mutex;
use std::time::Duration;

use ureq::Body;
use ureq::http::Response;

use crate::digest::Digest;

/// Docker schema 2 manifest list (a multi-platform index).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker schema 1 (signed) manifest: refused, as Docker 26+ refuses it.
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// What a pull accepts, in the order Docker and containerd send it. Sending the full list
/// matters: an old registry answers a request without it with a converted schema 1 manifest
/// whose digest differs from the one stored.
pub const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json";

/// Manifests and configs are small; anything larger than this is refused rather than held
/// in memory.
const MAX_DOCUMENT: u64 = 8 << 20;

/// Errors talking to a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Nothing answers at that address (the registry is down, or the port is wrong).
    #[error("cannot reach registry {host}: {reason}")]
    Unreachable {
        /// The registry host.
        host: String,
        /// What the network said.
        reason: String,
    },
    /// The registry wants credentials that were not given, or refused the ones given.
    #[error("unauthorized: authentication required for {host}/{repository}{hint}")]
    Unauthorized {
        /// The registry host.
        host: String,
        /// The repository.
        repository: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// The token server named in a `Bearer` challenge refused or answered nonsense.
    #[error("getting a token from {realm}: {reason}")]
    Token {
        /// The token server's URL.
        realm: String,
        /// Why it failed.
        reason: String,
    },
    /// The registry has no such manifest (an unknown tag or repository).
    #[error("manifest unknown")]
    ManifestUnknown,
    /// The registry has no such blob.
    #[error("blob {digest} unknown to registry {host}/{repository}")]
    BlobUnknown {
        /// The registry host.
        host: String,
        /// The repository.
        repository: String,
        /// The blob.
        digest: Digest,
    },
    /// The registry answered with an unexpected status.
    #[error("{method} {url}: {status}{message}")]
    Status {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The registry's own words, from its JSON error body (starting with `: `).
        message: String,
    },
    /// The connection broke during a transfer.
    #[error("{action} {url}: {reason}")]
    Transport {
        /// What was being done.
        action: &'static str,
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A document the registry sent does not hash to the digest it was asked for, or to the
    /// digest the registry announced.
    #[error("{what} digest mismatch: expected {expected}, got {found}")]
    DigestMismatch {
        /// Which document.
        what: String,
        /// The digest asked for or announced.
        expected: Digest,
        /// What the bytes hash to.
        found: Digest,
    },
    /// A manifest or config is larger than any real one.
    #[error("{what} from {url} is larger than {limit} bytes")]
    TooLarge {
        /// Which document.
        what: &'static str,
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The platform text given to `--platform` is not `os/arch[/variant]`.
    #[error("invalid platform {text:?}: expected os/arch[/variant], as in linux/amd64")]
    BadPlatform {
        /// What was given.
        text: String,
    },
}

/// Shorthand for results of this module.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// A user name and password for a registry (Docker keeps them from `docker login`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or access token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    // Never print a password, not even in a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"…")
            .finish()
    }
}

/// An OS and architecture, as in an index's `platform` field: Docker picks the manifest for
/// its own platform (`linux/amd64` on most machines) unless `--platform` says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `windows`.
    pub os: String,
    /// `amd64`, `arm64`, `arm`.
    pub architecture: String,
    /// `v7`, `v8`, if given.
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    ///
    /// ```
    /// use capas_core::registry::Platform;
    /// let p = Platform::parse("linux/arm64/v8").unwrap();
    /// assert_eq!((p.os.as_str(), p.architecture.as_str()), ("linux", "arm64"));
    /// assert_eq!(p.to_string(), "linux/arm64/v8");
    /// ```
    pub fn parse(text: &str) -> Result<Platform> {
        let parts: Vec<&str> = text.split('/').collect();
        let bad = || RegistryError::BadPlatform {
            text: text.to_string(),
        };
        let ok = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_lowercase(),
                architecture: arch.to_lowercase(),
                variant: None,
            }),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => Ok(Platform {
                os: os.to_lowercase(),
                architecture: arch.to_lowercase(),
                variant: Some(variant.to_lowercase()),
            }),
            _ => Err(bad()),
        }
    }

    /// The platform of this machine, named as Go names it (`x86_64` is `amd64`), which is
    /// what Docker chooses by default.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// Whether an index entry's platform is this one. A missing variant matches any.
    pub fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.architecture == architecture
            && match (&self.variant, variant) {
                (Some(want), Some(have)) => want == have,
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A manifest (or index) as the registry sent it: exact bytes, their digest, their type.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The bytes, exactly as received (their digest is the repo digest).
    pub bytes: Vec<u8>,
    /// sha256 of the bytes, checked against what was asked for and what was announced.
    pub digest: Digest,
    /// The media type, from `Content-Type` or the document's own `mediaType`.
    pub media_type: String,
}

impl FetchedManifest {
    /// Whether this is a multi-platform index (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_MANIFEST_LIST
    }
}

/// What a mount request achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// The registry linked the blob into the repository: nothing to upload.
    Mounted,
    /// It did not (the source does not have it, or mounts are off): here is an upload
    /// session to use instead.
    Upload(String),
}

/// A connection to one registry, for one repository and the repositories it may mount from.
pub struct Registry {
    agent: ureq::Agent,
    scheme: &'static str,
    host: String,
    credentials: Option<Credentials>,
    /// The scopes asked for when a `Bearer` challenge comes (`repository:x:pull,push`).
    scopes: Vec<String>,
    /// The `Authorization` header value, once a challenge was answered.
    authorization: Mutex<Option<String>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("url", &format!("{}://{}", self.scheme, self.host))
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Whether Docker talks to `host` over plain HTTP by default: loopback addresses
/// (`127.0.0.0/8`, `localhost`, `[::1]`) are "insecure registries" out of the box. Other hosts
/// can be added with `CAPAS_INSECURE_REGISTRIES` (comma-separated `host:port`), as Docker's
/// `insecure-registries` setting does.
pub fn is_insecure(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    if name == "localhost" || name == "[::1]" || name.starts_with("127.") {
        return true;
    }
    std::env::var("CAPAS_INSECURE_REGISTRIES")
        .map(|list| list.split(',').any(|h| h.trim() == host))
        .unwrap_or(false)
}

impl Registry {
    /// A client for `host` that will ask for `scopes` (`repository:<path>:pull` or
    /// `repository:<path>:pull,push`) if the registry wants a token.
    pub fn new(host: &str, credentials: Option<Credentials>, scopes: Vec<String>) -> Registry {
        let config = ureq::Agent::config_builder()
            // Statuses are answers to interpret (404 = unknown, 401 = challenge), not errors.
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .user_agent("capas (docker-compatible teaching engine)")
            .build();
        Registry {
            agent: config.new_agent(),
            scheme: if is_insecure(host) { "http" } else { "https" },
            host: host.to_string(),
            credentials,
            scopes,
            authorization: Mutex::new(None),
        }
    }

    /// The registry host.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.host, path)
    }

    /// Resolves a `Location` header, which may be relative to the registry.
    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            self.url(location)
        }
    }

    fn transport(&self, action: &'static str, url: &str, e: ureq::Error) -> RegistryError {
        match e {
            ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
                RegistryError::Unreachable {
                    host: self.host.clone(),
                    reason: "connection refused".into(),
                }
            }
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                RegistryError::Unreachable {
                    host: self.host.clone(),
                    reason: e.to_string(),
                }
            }
            ureq::Error::Io(io) => RegistryError::Transport {
                action,
                url: url.to_string(),
                reason: io.to_string(),
            },
            other => RegistryError::Transport {
                action,
                url: url.to_string(),
                reason: other.to_string(),
            },
        }
    }

    /// Sends a request made by `make` (given the current `Authorization` value); on a 401
    /// answers the challenge once and sends it again.
    fn send(
        &self,
        action: &'static str,
        url: &str,
        mut make: impl FnMut(&ureq::Agent, Option<&str>) -> Result<Response<Body>, ureq::Error>,
    ) -> Result<Response<Body>> {
        let mut answered = false;
        loop {
            let auth = self
                .authorization
                .lock()
                .map(|a| a.clone())
                .unwrap_or_default();
            let response =
                make(&self.agent, auth.as_deref()).map_err(|e| self.transport(action, url, e))?;
            if response.status() != 401 {
                return Ok(response);
            }
            let challenge = header(&response, "www-authenticate").unwrap_or_default();
            if answered || !self.answer(&challenge)? {
                return Err(self.unauthorized());
            }
            answered = true;
        }
    }

    fn unauthorized(&self) -> RegistryError {
        let repository = self
            .scopes
            .first()
            .and_then(|s| s.split(':').nth(1))
            .unwrap_or("")
            .to_string();
        RegistryError::Unauthorized {
            host: self.host.clone(),
            repository,
            hint: if self.credentials.is_some() {
                " (the credentials given were refused)"
            } else {
                " (no credentials given)"
            },
        }
    }

    /// Answers a `WWW-Authenticate` challenge; `false` if there is nothing to answer with.
    fn answer(&self, challenge: &str) -> Result<bool> {
        let (scheme, params) = parse_challenge(challenge);
        let value = match scheme.to_ascii_lowercase().as_str() {
            "basic" => match &self.credentials {
                Some(c) => format!("Basic {}", basic(c)),
                None => return Ok(false),
            },
            "bearer" => {
                let realm = params
                    .iter()
                    .find(|(k, _)| k == "realm")
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| RegistryError::Token {
                        realm: String::new(),
                        reason: "the Bearer challenge names no realm".into(),
                    })?;
                format!("Bearer {}", self.token(&realm, &params)?)
            }
            _ => return Ok(false),
        };
        if let Ok(mut a) = self.authorization.lock() {
            *a = Some(value);
        }
        Ok(true)
    }

    /// Asks a token server for a token (the Docker token protocol: `GET realm?service=&scope=`).
    fn token(&self, realm: &str, params: &[(String, String)]) -> Result<String> {
        let mut request = self.agent.get(realm);
        if let Some((_, service)) = params.iter().find(|(k, _)| k == "service") {
            request = request.query("service", service);
        }
        let mut scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        if let Some((_, scope)) = params.iter().find(|(k, _)| k == "scope")
            && !scopes.contains(&scope.as_str())
        {
            scopes.push(scope);
        }
        for scope in scopes {
            request = request.query("scope", scope);
        }
        if let Some(c) = &self.credentials {
            request = request.header("Authorization", format!("Basic {}", basic(c)));
        }
        let token_error = |reason: String| RegistryError::Token {
            realm: realm.to_string(),
            reason,
        };
        let mut response = request.call().map_err(|e| token_error(e.to_string()))?;
        if response.status() == 401 || response.status() == 403 {
            return Err(self.unauthorized());
        }
        if response.status() != 200 {
            return Err(token_error(format!("status {}", response.status())));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| token_error(e.to_string()))?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| token_error(e.to_string()))?;
        json.get("token")
            .or_else(|| json.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .ok_or_else(|| token_error("the answer holds no token".into()))
    }

    /// `GET /v2/`: checks that a registry answers (and answers its challenge early).
    pub fn ping(&self) -> Result<()> {
        let url = self.url("/v2/");
        let mut response = self.send("pinging", &url, |agent, auth| {
            with_auth(agent.get(&url), auth).call()
        })?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(status_error("GET", &url, status, &mut response)),
        }
    }

    /// Fetches a manifest (or index) by tag or digest, with the full `Accept` list. The bytes
    /// are hashed; a pinned digest, and the `Docker-Content-Digest` the registry announces,
    /// must both match.
    pub fn manifest(&self, repository: &str, reference: &str) -> Result<FetchedManifest> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let mut response = self.send("fetching manifest", &url, |agent, auth| {
            with_auth(agent.get(&url), auth)
                .header("Accept", MANIFEST_ACCEPT)
                .call()
        })?;
        match response.status().as_u16() {
            200 => {}
            404 => return Err(RegistryError::ManifestUnknown),
            status => return Err(status_error("GET", &url, status, &mut response)),
        }
        let announced = header(&response, "docker-content-digest");
        let content_type = header(&response, "content-type").unwrap_or_default();
        let bytes = read_limited(&mut response, "manifest", &url)?;
        let digest = Digest::of_bytes(&bytes);
        if let Ok(pinned) = Digest::parse(reference)
            && pinned != digest
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("manifest {repository}@{pinned}"),
                expected: pinned,
                found: digest,
            });
        }
        if let Some(announced) = announced.and_then(|a| Digest::parse(&a).ok())
            && announced != digest
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("manifest {repository}:{reference}"),
                expected: announced,
                found: digest,
            });
        }
        // The document's own mediaType wins over a generic Content-Type.
        let declared = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("mediaType")
                    .and_then(|m| m.as_str())
                    .map(String::from)
            });
        let media_type = declared.unwrap_or_else(|| {
            content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        });
        Ok(FetchedManifest {
            bytes,
            digest,
            media_type,
        })
    }

    /// Fetches a small blob (a config) whole, checking its digest.
    pub fn small_blob(&self, repository: &str, digest: &Digest) -> Result<Vec<u8>> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let mut response = self.get_blob(repository, digest, &url)?;
        let bytes = read_limited(&mut response, "config", &url)?;
        let found = Digest::of_bytes(&bytes);
        if &found != digest {
            return Err(RegistryError::DigestMismatch {
                what: format!("blob {digest}"),
                expected: digest.clone(),
                found,
            });
        }
        Ok(bytes)
    }

    fn get_blob(&self, repository: &str, digest: &Digest, url: &str) -> Result<Response<Body>> {
        let mut response = self.send("fetching blob", url, |agent, auth| {
            with_auth(agent.get(url), auth).call()
        })?;
        match response.status().as_u16() {
            200 => Ok(response),
            404 => Err(RegistryError::BlobUnknown {
                host: self.host.clone(),
                repository: repository.to_string(),
                digest: digest.clone(),
            }),
            status => Err(status_error("GET", url, status, &mut response)),
        }
    }

    /// Streams a blob into `out`, calling `progress` with the bytes received so far (at most
    /// every 256 KiB). `keep_going` is asked between chunks: another download failed, stop.
    /// Returns how many bytes arrived. The caller hashes what `out` receives.
    pub fn blob_to(
        &self,
        repository: &str,
        digest: &Digest,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
        keep_going: &dyn Fn() -> bool,
    ) -> Result<u64> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.get_blob(repository, digest, &url)?;
        let mut reader = response.into_body().into_reader();
        let mut buf = vec![0u8; 256 << 10];
        let mut total = 0u64;
        loop {
            if !keep_going() {
                return Err(RegistryError::Transport {
                    action: "fetching blob",
                    url,
                    reason: "stopped: another layer failed".into(),
                });
            }
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(RegistryError::Transport {
                        action: "downloading",
                        url,
                        reason: e.to_string(),
                    });
                }
            };
            out.write_all(&buf[..n])
                .map_err(|e| RegistryError::Transport {
                    action: "storing",
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
            total += n as u64;
            progress(total);
        }
        Ok(total)
    }

    /// `HEAD` a blob: whether the repository already has it (push skips it then).
    pub fn has_blob(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let mut response = self.send("checking blob", &url, |agent, auth| {
            with_auth(agent.head(&url), auth).call()
        })?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(status_error("HEAD", &url, status, &mut response)),
        }
    }

    /// Asks the registry to link blob `digest` from repository `from` into `repository`
    /// (cross-repository mount): no bytes move when it works.
    pub fn mount(&self, repository: &str, digest: &Digest, from: &str) -> Result<Mount> {
        let url = self.url(&format!(
            "/v2/{repository}/blobs/uploads/?mount={digest}&from={from}"
        ));
        let mut response = self.send("mounting blob", &url, |agent, auth| {
            with_auth(agent.post(&url), auth).send_empty()
        })?;
        match response.status().as_u16() {
            201 => Ok(Mount::Mounted),
            202 => Ok(Mount::Upload(self.location(&response, &url)?)),
            status => Err(status_error("POST", &url, status, &mut response)),
        }
    }

    fn location(&self, response: &Response<Body>, url: &str) -> Result<String> {
        header(response, "location")
            .map(|l| self.absolute(&l))
            .ok_or_else(|| RegistryError::Status {
                method: "POST",
                url: url.to_string(),
                status: response.status().as_u16(),
                message: ": the answer has no Location".into(),
            })
    }

    /// Starts an upload session; returns its location.
    pub fn start_upload(&self, repository: &str) -> Result<String> {
        let url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let mut response = self.send("starting upload", &url, |agent, auth| {
            with_auth(agent.post(&url), auth).send_empty()
        })?;
        match response.status().as_u16() {
            202 => self.location(&response, &url),
            status => Err(status_error("POST", &url, status, &mut response)),
        }
    }

    /// Finishes an upload session with the whole blob in one `PUT` (a "monolithic" upload),
    /// streamed from `open()` (called again if the request must be repeated after a
    /// challenge). The registry checks the digest and refuses a mismatch.
    pub fn finish_upload<B: ureq::AsSendBody>(
        &self,
        location: &str,
        digest: &Digest,
        mut open: impl FnMut() -> io::Result<B>,
    ) -> Result<()> {
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={digest}");
        let mut response = self.send("uploading blob", &url, |agent, auth| {
            let body = open().map_err(ureq::Error::Io)?;
            with_auth(agent.put(&url), auth)
                .header("Content-Type", "application/octet-stream")
                .send(body)
        })?;
        match response.status().as_u16() {
            201 | 204 => Ok(()),
            status => Err(status_error("PUT", &url, status, &mut response)),
        }
    }

    /// Puts a manifest under a tag; returns the digest the registry gives it (which must be
    /// the digest of the bytes sent).
    pub fn put_manifest(
        &self,
        repository: &str,
        tag: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest> {
        let url = self.url(&format!("/v2/{repository}/manifests/{tag}"));
        let mut response = self.send("pushing manifest", &url, |agent, auth| {
            with_auth(agent.put(&url), auth)
                .header("Content-Type", media_type)
                .send(bytes)
        })?;
        match response.status().as_u16() {
            201 | 200 => {}
            status => return Err(status_error("PUT", &url, status, &mut response)),
        }
        let ours = Digest::of_bytes(bytes);
        if let Some(theirs) =
            header(&response, "docker-content-digest").and_then(|d| Digest::parse(&d).ok())
            && theirs != ours
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("pushed manifest {repository}:{tag}"),
                expected: ours,
                found: theirs,
            });
        }
        Ok(ours)
    }
}

fn with_auth<T>(request: ureq::RequestBuilder<T>, auth: Option<&str>) -> ureq::RequestBuilder<T> {
    match auth {
        Some(a) => request.header("Authorization", a),
        None => request,
    }
}

fn header(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn read_limited(response: &mut Response<Body>, what: &'static str, url: &str) -> Result<Vec<u8>> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_DOCUMENT)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => RegistryError::TooLarge {
                what,
                url: url.to_string(),
                limit: MAX_DOCUMENT,
            },
            other => RegistryError::Transport {
                action: "reading",
                url: url.to_string(),
                reason: other.to_string(),
            },
        })
}

/// An unexpected status, with the registry's JSON error words when it sent some
/// (`{"errors":[{"code":"…","message":"…"}]}`).
fn status_error(
    method: &'static str,
    url: &str,
    status: u16,
    response: &mut Response<Body>,
) -> RegistryError {
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 10)
        .read_to_vec()
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let errors = v.get("errors")?.as_array()?;
            let words: Vec<String> = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                .map(str::to_string)
                .collect();
            (!words.is_empty()).then(|| format!(": {}", words.join("; ")))
        })
        .unwrap_or_default();
    RegistryError::Status {
        method,
        url: url.to_string(),
        status,
        message,
    }
}

/// Splits `Bearer realm="x",service="y",scope="a:b:pull,push"` into the scheme and its
/// parameters (values may hold commas inside quotes).
fn parse_challenge(text: &str) -> (String, Vec<(String, String)>) {
    let text = text.trim();
    let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.push((key.trim().to_ascii_lowercase(), value));
    }
    (scheme.to_string(), params)
}

/// `base64(user:password)` for HTTP Basic authentication (RFC 7617).
fn basic(c: &Credentials) -> String {
    base64(format!("{}:{}", c.username, c.password).as_bytes())
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_examples() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn bearer_challenge_keeps_commas_inside_quotes() {
        let (scheme, params) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(
            params,
            vec![
                ("realm".into(), "https://auth.example/token".into()),
                ("service".into(), "registry.example".into()),
                ("scope".into(), "repository:a/b:pull,push".into()),
            ]
        );
        let (scheme, params) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(scheme, "Basic");
        assert_eq!(params, vec![("realm".into(), "Registry Realm".into())]);
    }

    #[test]
    fn loopback_registries_are_plain_http_as_in_docker() {
        assert!(is_insecure("127.0.0.1:5000"));
        assert!(is_insecure("localhost:5000"));
        assert!(is_insecure("127.5.0.1"));
        assert!(!is_insecure("registry.example:5000"));
        assert!(!is_insecure("docker.io"));
    }

    #[test]
    fn platforms_parse_and_match() {
        let p = Platform::parse("linux/amd64").expect("platform");
        assert!(p.matches("linux", "amd64", None));
        assert!(p.matches("linux", "amd64", Some("v3")));
        assert!(!p.matches("linux", "arm64", None));
        let v = Platform::parse("linux/arm/v7").expect("platform");
        assert!(v.matches("linux", "arm", Some("v7")));
        assert!(!v.matches("linux", "arm", Some("v6")));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux/amd64/v1/x").is_err());
    }
}
