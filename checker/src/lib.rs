//! capas-checker: capas side by side with a real Docker daemon, and grading.
//!
//! | module | what |
//! | --- | --- |
//! | [`facts`] | pure comparison functions: daemon JSON and capas values into comparable facts |
//! | [`scenario`] | scenario files (TOML): steps and facts |
//! | [`runner`] | runs a scenario on capas (a fresh store) and on Docker (bollard), cleans up |
//! | [`report`] | the side-by-side table, JSON, JUnit |
//! | [`grade`] | the labs' checks over a student's store, or a class of stores |

pub mod facts;
pub mod grade;
pub mod report;
pub mod runner;
pub mod scenario;
