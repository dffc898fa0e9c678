//! capas-checker: capas side by side with a real Docker daemon, and grading.
//!
//! | module | what |
//! | --- | --- |
//! | [`daemon`] | what the checker reads of the daemon outside bollard (`/system/df`, the layer store) |
//! | [`facts`] | pure comparison functions: daemon JSON and capas values into comparable facts |
//! | [`scenario`] | scenario files (TOML): steps and facts |
//! | [`runner`] | runs a scenario on capas (a fresh store) and on Docker (bollard), cleans up |
//! | [`report`] | the side-by-side table, JSON, JUnit |
//! | [`registry`] | a `docker-registry` on loopback for the pull scenarios |
//! | [`grade`] | the labs' checks over a student's store, or a class of stores |
//! | [`mirror`] | a student's Docker daemon copied into a capas store, for `grade --docker` |

pub mod daemon;
pub mod facts;
pub mod grade;
pub mod mirror;
pub mod registry;
pub mod report;
pub mod runner;
pub mod scenario;
