//! Image references: how `alpine` comes to mean `docker.io/library/alpine:latest`.
//!
//! A reference names an image in a registry: `[domain/]path[:tag][@digest]`. Docker fills in
//! what is left out: the domain `docker.io`, the `library/` namespace of official images, and
//! the tag `latest`. It prints the short ("familiar") form back: `alpine:3.19`, never
//! `docker.io/library/alpine:3.19`. capas does the same, so that `capas images` and
//! `docker images` print the same names.
//!
//! ```
//! use capas_core::reference::Reference;
//! let r = Reference::parse_tagged("alpine").unwrap();
//! assert_eq!(r.to_string(), "alpine:latest");
//! assert_eq!(r.full(), "docker.io/library/alpine:latest");
//! let local = Reference::parse_tagged("127.0.0.1:5000/demo/web:1").unwrap();
//! assert_eq!(local.domain(), "127.0.0.1:5000");
//! assert_eq!(local.repository_path(), "demo/web");
//! ```

use std::fmt;

use crate::digest::Digest;

/// Docker Hub's domain, used when a name has none.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The namespace of official images on Docker Hub (`alpine` is `library/alpine`).
pub const OFFICIAL_NAMESPACE: &str = "library";
/// The tag used when a name has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";

/// Errors in what the user typed as an image name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The text does not follow the reference grammar (Docker: `invalid reference format`).
    #[error("invalid reference format: {text:?} {reason}")]
    InvalidFormat {
        /// What was typed.
        text: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Docker only accepts lowercase repository names.
    #[error("invalid reference format: repository name ({text}) must be lowercase")]
    Uppercase {
        /// The repository path, as Docker names it (`library/Alpine`).
        text: String,
    },
}

/// A parsed, normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference as typed, filling in the domain and `library/` but not the tag.
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        let invalid = |reason| ReferenceError::InvalidFormat {
            text: text.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(invalid("is empty"));
        }
        // The digest is everything after '@'.
        let (name_and_tag, digest) = match text.split_once('@') {
            Some((n, d)) => (
                n,
                Some(Digest::parse(d).map_err(|_| invalid("has an invalid digest"))?),
            ),
            None => (text, None),
        };
        // A tag is after the last ':' that comes after the last '/' (a ':' before a '/' is a port).
        let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&name_and_tag[..at], Some(&name_and_tag[at + 1..]))
            }
            None => (name_and_tag, None),
        };
        if let Some(tag) = tag
            && !valid_tag(tag)
        {
            return Err(invalid("has an invalid tag"));
        }
        // The first component is a domain if it looks like a host: has '.' or ':', or is localhost.
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
        };
        if path.chars().any(|c| c.is_ascii_uppercase()) {
            // Docker names the repository path as it would store it: `library/Alpine`.
            let shown = if domain == DEFAULT_DOMAIN && !path.contains('/') {
                format!("{OFFICIAL_NAMESPACE}/{path}")
            } else {
                path
            };
            return Err(ReferenceError::Uppercase { text: shown });
        }
        if !valid_domain(&domain) {
            return Err(invalid("has an invalid registry host"));
        }
        if path.is_empty() || !path.split('/').all(valid_path_component) {
            return Err(invalid("has an invalid repository name"));
        }
        let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
            format!("{OFFICIAL_NAMESPACE}/{path}")
        } else {
            path
        };
        Ok(Reference {
            domain,
            path,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// Parses a reference and adds `:latest` when it has neither tag nor digest, as
    /// `docker pull alpine` and `docker tag x alpine` do.
    pub fn parse_tagged(text: &str) -> Result<Reference, ReferenceError> {
        let mut r = Reference::parse(text)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some(DEFAULT_TAG.to_string());
        }
        Ok(r)
    }

    /// The registry host (`docker.io`, `127.0.0.1:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry (`library/alpine`, `demo/web`).
    pub fn repository_path(&self) -> &str {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// Whether the name has no registry host of its own (Docker Hub; in capas, the built-in
    /// sample registry).
    pub fn is_default_domain(&self) -> bool {
        self.domain == DEFAULT_DOMAIN
    }

    /// The repository as Docker prints it: `alpine`, `demo/web`, `127.0.0.1:5000/demo/web`.
    pub fn familiar_repository(&self) -> String {
        if self.is_default_domain() {
            self.path
                .strip_prefix("library/")
                .filter(|rest| !rest.contains('/'))
                .unwrap_or(&self.path)
                .to_string()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The full repository name: `docker.io/library/alpine`.
    pub fn full_repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The full reference: `docker.io/library/alpine:3.19`, as Docker prints it after a pull.
    pub fn full(&self) -> String {
        let mut s = self.full_repository();
        self.push_suffix(&mut s);
        s
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    /// The same repository pinned to a digest (and no tag): a "repo digest".
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        }
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(&digest.to_string());
        }
    }
}

impl fmt::Display for Reference {
    /// The familiar form: `alpine:3.19`, `127.0.0.1:5000/demo/web@sha256:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.familiar_repository();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

fn valid_tag(tag: &str) -> bool {
    // [\w][\w.-]{0,127}
    let mut chars = tag.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

fn valid_domain(domain: &str) -> bool {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn valid_path_component(component: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
    let bytes = component.as_bytes();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Reference {
        Reference::parse_tagged(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn official_images_get_library_and_latest() {
        let r = ok("alpine");
        assert_eq!(r.full(), "docker.io/library/alpine:latest");
        assert_eq!(r.to_string(), "alpine:latest");
        assert_eq!(
            ok("docker.io/library/alpine:3.19").to_string(),
            "alpine:3.19"
        );
        assert_eq!(ok("library/alpine:3.19").to_string(), "alpine:3.19");
    }

    #[test]
    fn user_repositories_and_registries_keep_their_path() {
        assert_eq!(ok("demo/web:1").to_string(), "demo/web:1");
        assert_eq!(ok("demo/web:1").full(), "docker.io/demo/web:1");
        let r = ok("127.0.0.1:5000/demo/web");
        assert_eq!(r.to_string(), "127.0.0.1:5000/demo/web:latest");
        assert!(!r.is_default_domain());
        assert_eq!(ok("localhost/x").domain(), "localhost");
    }

    #[test]
    fn port_colon_is_not_a_tag() {
        let r = Reference::parse("localhost:5000/x").expect("valid");
        assert_eq!(r.tag(), None);
        assert_eq!(r.domain(), "localhost:5000");
    }

    #[test]
    fn digest_references_have_no_default_tag() {
        let d = Digest::of_bytes(b"m");
        let r = ok(&format!("alpine@{d}"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.digest(), Some(&d));
        assert_eq!(r.to_string(), format!("alpine@{d}"));
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [
            "",
            "Alpine",
            "alpine:",
            "a//b",
            "-a",
            "a:b:c",
            "alpine@sha256:12",
            "a b",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(
            Reference::parse("Alpine"),
            Err(ReferenceError::Uppercase { .. })
        ));
    }
}
