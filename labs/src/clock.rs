//! Where "now" comes from: an injectable clock.
//!
//! Docker asks the wall clock whenever it prints a relative time
//! (`2 weeks ago`) or stamps something it creates (`docker commit`, a build
//! step). capas must print the same thing on every run — a lab snapshot that
//! says `3 seconds ago` today and `4 seconds ago` tomorrow is useless — so
//! nothing reads the system clock directly. Commands take a [`Clock`]
//! instead, built once from the environment:
//!
//! | variable | effect |
//! | --- | --- |
//! | `CAPAS_NOW` | pins "now" for relative times ([`Clock::from_env`]) |
//! | `SOURCE_DATE_EPOCH` | pins the creation time of new images and layers ([`creation_time`]), the [reproducible-builds](https://reproducible-builds.org/specs/source-date-epoch/) convention that BuildKit and `docker buildx` also honour |
//!
//! The two are separate on purpose: a reproducible build wants a fixed
//! *creation* time, yet `capas images` should still say how long ago that was.
//!
//! The environment is read only by the thin `from_env`-style wrappers; the
//! parsing is in pure functions ([`Clock::parse`], [`creation_time_from`]) so
//! tests never have to mutate the process environment.

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

/// The environment variable that pins "now" (unix seconds or RFC 3339).
pub const CAPAS_NOW: &str = "CAPAS_NOW";

/// The reproducible-builds variable that pins creation times (unix seconds).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// Where "now" comes from.
///
/// Every command that prints a relative time receives one of these; tests and
/// lab snapshots use [`Clock::Fixed`], the real `capas` binary uses whatever
/// [`Clock::from_env`] finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The machine's wall clock, read on every call to [`Clock::now`].
    System,
    /// A pinned instant, in unix seconds.
    Fixed(i64),
}

impl Clock {
    /// `CAPAS_NOW` (unix seconds, or an RFC 3339 timestamp like
    /// `2024-02-10T12:00:00Z`) if set, else the system clock.
    ///
    /// An empty `CAPAS_NOW` counts as unset. An unparseable one is an error
    /// that names the variable — silently falling back to the wall clock
    /// would make a snapshot test flaky instead of failing it.
    pub fn from_env() -> Result<Clock> {
        match read_var(CAPAS_NOW)? {
            Some(value) => Clock::parse(&value),
            None => Ok(Clock::System),
        }
    }

    /// Parses the value of `CAPAS_NOW` into a [`Clock::Fixed`].
    ///
    /// Accepts unix seconds (`1707566400`, negative allowed) or an RFC 3339
    /// timestamp with an offset (`2024-02-10T12:00:00Z`,
    /// `2024-02-10T13:00:00+01:00`); fractional seconds are dropped, because
    /// Docker's times are whole seconds.
    pub fn parse(value: &str) -> Result<Clock> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<i64>() {
            return Ok(Clock::Fixed(seconds));
        }
        match value.parse::<Timestamp>() {
            Ok(timestamp) => Ok(Clock::Fixed(timestamp.as_second())),
            Err(err) => bail!(
                "{CAPAS_NOW}={value:?} is neither unix seconds nor an RFC 3339 \
                 timestamp like 2024-02-10T12:00:00Z: {err}"
            ),
        }
    }

    /// The current time in unix seconds.
    pub fn now(&self) -> i64 {
        match self {
            // Whole seconds, like every time stamp Docker stores and prints.
            Clock::System => Timestamp::now().as_second(),
            Clock::Fixed(seconds) => *seconds,
        }
    }
}

/// The time stamp for things capas creates now (commit, build, load):
/// `SOURCE_DATE_EPOCH` if set (reproducible builds), else the clock's now.
///
/// An empty `SOURCE_DATE_EPOCH` counts as unset; a malformed one is an error,
/// as the reproducible-builds specification asks ("the build process SHOULD
/// exit with a non-zero error code").
pub fn creation_time(clock: &Clock) -> Result<i64> {
    creation_time_from(read_var(SOURCE_DATE_EPOCH)?.as_deref(), clock)
}

/// [`creation_time`] with the value of `SOURCE_DATE_EPOCH` passed in, so it
/// can be tested without touching the process environment.
///
/// The specification allows only an integer of seconds, "identical to the
/// output format of `date +%s`" — no RFC 3339, unlike `CAPAS_NOW`.
pub fn creation_time_from(source_date_epoch: Option<&str>, clock: &Clock) -> Result<i64> {
    match source_date_epoch {
        None => Ok(clock.now()),
        Some(value) => value.trim().parse::<i64>().with_context(|| {
            format!("{SOURCE_DATE_EPOCH}={value:?} is not an integer number of unix seconds")
        }),
    }
}

/// Reads an environment variable; unset and empty both give `None`, a value
/// that is not UTF-8 is an error naming the variable.
fn read_var(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(raw)) => bail!("{name}={raw:?} is not valid UTF-8"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_pin_the_clock() {
        assert_eq!(
            Clock::parse("1707566400").ok(),
            Some(Clock::Fixed(1_707_566_400))
        );
        assert_eq!(Clock::parse(" 0 ").ok(), Some(Clock::Fixed(0)));
        assert_eq!(Clock::parse("-86400").ok(), Some(Clock::Fixed(-86_400)));
    }

    #[test]
    fn rfc3339_pins_the_clock_to_the_same_instant() {
        assert_eq!(
            Clock::parse("2024-02-10T12:00:00Z").ok(),
            Some(Clock::Fixed(1_707_566_400))
        );
        assert_eq!(
            Clock::parse("2024-02-10T13:00:00+01:00").ok(),
            Some(Clock::Fixed(1_707_566_400))
        );
    }

    #[test]
    fn fractional_seconds_are_dropped() {
        assert_eq!(
            Clock::parse("2024-02-10T12:00:00.999Z").ok(),
            Some(Clock::Fixed(1_707_566_400))
        );
    }

    #[test]
    fn garbage_capas_now_is_an_error_naming_the_variable() {
        for bad in ["yesterday", "2024-02-10", "2024-02-10T12:00:00", "12.5"] {
            let err = Clock::parse(bad).expect_err(bad).to_string();
            assert!(err.contains("CAPAS_NOW"), "{err}");
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn fixed_clock_never_moves() {
        let clock = Clock::Fixed(42);
        assert_eq!(clock.now(), 42);
        assert_eq!(clock.now(), 42);
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(Clock::System.now() > 1_704_067_200);
    }

    #[test]
    fn source_date_epoch_wins_over_the_clock() {
        let clock = Clock::Fixed(2_000_000_000);
        assert_eq!(
            creation_time_from(Some("1700000000"), &clock).ok(),
            Some(1_700_000_000)
        );
    }

    #[test]
    fn without_source_date_epoch_creation_time_is_now() {
        let clock = Clock::Fixed(2_000_000_000);
        assert_eq!(creation_time_from(None, &clock).ok(), Some(2_000_000_000));
    }

    #[test]
    fn malformed_source_date_epoch_is_an_error_naming_the_variable() {
        let clock = Clock::Fixed(0);
        for bad in ["2024-02-10T12:00:00Z", "1.5", "soon"] {
            let err = creation_time_from(Some(bad), &clock)
                .expect_err(bad)
                .to_string();
            assert!(err.contains("SOURCE_DATE_EPOCH"), "{err}");
        }
    }
}
