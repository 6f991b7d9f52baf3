//! In-process cron jobs: a registry of named jobs with schedules from configuration (5-field
//! cron, UTC), exactly-once per tick through a claim row, run history in aux.db, manual runs.
//!
//! NOTE: the schedule loop is our own (croner computes the ticks) rather than
//! tokio-cron-scheduler: claiming a tick needs the tick's scheduled instant, which that crate
//! does not hand to jobs, and its open bug #113 can stop a repeating job whose next tick fell
//! into the past. Here each job sleeps until its next tick, claims it, and runs it.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::config::JobsConfig;
use crate::store::Store;

/// What jobs run with: the server's state, which hands the scheduler its store and registry.
pub trait JobContext: Clone + Send + Sync + 'static {
    fn store(&self) -> &dyn Store;
    fn jobs(&self) -> &Jobs<Self>;
}

/// A job the binary knows how to run, over the context `C`.
pub struct JobSpec<C: 'static> {
    pub name: &'static str,
    pub description: &'static str,
    pub run: fn(C) -> BoxFuture<'static, anyhow::Result<()>>,
}

pub use crate::store::model::{JobRun, Trigger};

/// A registered job and its parsed schedule (`None` = disabled).
pub struct Job<C: 'static> {
    pub spec: &'static JobSpec<C>,
    pub schedule: Option<(String, Cron)>,
}

/// The registry: every known job with its schedule. Cheap to clone.
pub struct Jobs<C: 'static>(Arc<Vec<Job<C>>>);

impl<C> Clone for Jobs<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("there is no job named {0}")]
    Unknown(String),
}

impl<C> Jobs<C> {
    /// Builds the registry of `specs`, refusing unknown job names and invalid cron expressions.
    pub fn from_config(specs: &'static [JobSpec<C>], config: &JobsConfig) -> anyhow::Result<Self> {
        for name in config.schedules.keys() {
            if !specs.iter().any(|j| j.name == name) {
                let known: Vec<&str> = specs.iter().map(|j| j.name).collect();
                bail!("jobs.schedules names an unknown job {name:?}; known jobs: {}", known.join(", "));
            }
        }
        let jobs = specs
            .iter()
            .map(|spec| {
                let default =
                    crate::config::DEFAULT_JOB_SCHEDULES.iter().find(|(n, _)| *n == spec.name).map_or("", |(_, s)| *s);
                let expr = config.schedules.get(spec.name).map_or(default, String::as_str).trim();
                let schedule = if expr.is_empty() {
                    None
                } else {
                    Some((expr.to_owned(), parse_cron(expr).with_context(|| format!("jobs.schedules.{}", spec.name))?))
                };
                Ok(Job { spec, schedule })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self(Arc::new(jobs)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Job<C>> {
        self.0.iter()
    }

    pub fn get(&self, name: &str) -> Result<&Job<C>, JobError> {
        self.0.iter().find(|j| j.spec.name == name).ok_or_else(|| JobError::Unknown(name.to_owned()))
    }
}

/// Parses a 5-field cron expression (minute hour day-of-month month day-of-week), as PocketBase uses.
pub fn parse_cron(expr: &str) -> anyhow::Result<Cron> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expr)
        .map_err(|e| anyhow::anyhow!("invalid cron expression {expr:?} ({e}); use 5 fields such as \"0 3 * * *\""))
}

/// Starts one schedule loop per enabled job; they end when `shutdown` is cancelled.
pub fn start<C: JobContext>(state: &C, shutdown: &CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
    state
        .jobs()
        .iter()
        .filter_map(|job| {
            let Some((expr, cron)) = &job.schedule else {
                tracing::debug!(job = job.spec.name, "disabled");
                return None;
            };
            tracing::debug!(job = job.spec.name, schedule = %expr, "scheduled");
            Some(tokio::spawn(schedule_loop(state.clone(), job.spec, cron.clone(), shutdown.clone())))
        })
        .collect()
}

async fn schedule_loop<C: JobContext>(state: C, spec: &'static JobSpec<C>, cron: Cron, shutdown: CancellationToken) {
    loop {
        let Ok(tick) = cron.find_next_occurrence(&Utc::now(), false) else {
            tracing::warn!(job = spec.name, "the schedule has no next occurrence; the job stops");
            return;
        };
        let wait = (tick - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        match state.store().claim_job_tick(spec.name, tick).await {
            Ok(true) => {
                execute(&state, spec, Trigger::Schedule).await;
            }
            Ok(false) => tracing::debug!(job = spec.name, %tick, "tick claimed by another replica"),
            Err(err) => tracing::error!(job = spec.name, error = %err, "cannot claim the tick"),
        }
    }
}

/// Runs a job now, outside its schedule, and records the run.
pub async fn run_now<C: JobContext>(state: &C, name: &str) -> Result<JobRun, JobError> {
    let spec = state.jobs().get(name)?.spec;
    Ok(execute(state, spec, Trigger::Manual).await)
}

async fn execute<C: JobContext>(state: &C, spec: &'static JobSpec<C>, trigger: Trigger) -> JobRun {
    let started = Utc::now();
    let clock = Instant::now();
    // A panicking job must not take the scheduler down with it.
    let result =
        tokio::spawn((spec.run)(state.clone())).await.unwrap_or_else(|e| Err(anyhow::anyhow!("the job panicked: {e}")));
    crate::telemetry::job_run(spec.name, result.is_ok(), clock.elapsed());
    let run = JobRun {
        job: spec.name.to_owned(),
        trigger,
        started,
        duration_ms: i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX),
        ok: result.is_ok(),
        error: result.as_ref().err().map(|e| format!("{e:#}")).unwrap_or_default(),
    };
    match &result {
        Ok(()) => tracing::debug!(job = spec.name, trigger = trigger.as_str(), ms = run.duration_ms, "job finished"),
        Err(err) => {
            tracing::error!(job = spec.name, trigger = trigger.as_str(), error = %format!("{err:#}"), "job failed")
        }
    }
    if let Err(err) = state.store().insert_job_run(&run).await {
        tracing::error!(job = spec.name, error = %err, "cannot record the job run");
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_is_five_fields_utc() {
        let cron = parse_cron("30 3 * * *").expect("valid");
        let from = crate::dates::parse("2026-01-01 04:00:00.000Z").expect("date");
        let next = cron.find_next_occurrence(&from, false).expect("next");
        assert_eq!(crate::dates::format(next), "2026-01-02 03:30:00.000Z");
        assert!(parse_cron("0 30 3 * * *").is_err(), "six fields are refused");
        assert!(parse_cron("61 * * * *").is_err());
        assert!(parse_cron("*/5 * * * *").is_ok());
    }

    static SPECS: &[JobSpec<()>] = &[JobSpec {
        name: "db_maintenance",
        description: "a job with a default schedule",
        run: |()| Box::pin(async { Ok(()) }),
    }];

    #[test]
    fn registry_refuses_unknown_and_invalid() {
        let mut config = JobsConfig::default();
        config.schedules.retain(|name, _| name == SPECS[0].name);
        let jobs = Jobs::from_config(SPECS, &config).expect("valid");
        assert_eq!(jobs.get(SPECS[0].name).expect("known").schedule.as_ref().map(|s| s.0.as_str()), Some("0 3 * * *"));
        config.schedules.insert("nope".into(), "* * * * *".into());
        assert!(Jobs::from_config(SPECS, &config).is_err());
        let mut config = JobsConfig {
            schedules: [(SPECS[0].name.to_owned(), "every day".to_owned())].into(),
            ..JobsConfig::default()
        };
        let err = Jobs::from_config(SPECS, &config).err().expect("invalid cron");
        assert!(format!("{err:#}").contains(SPECS[0].name), "{err:#}");
        config.schedules = [(SPECS[0].name.to_owned(), String::new())].into();
        let jobs = Jobs::from_config(SPECS, &config).expect("disabled is fine");
        assert!(jobs.get(SPECS[0].name).expect("known").schedule.is_none());
    }
}
