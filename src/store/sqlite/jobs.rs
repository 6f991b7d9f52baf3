//! Job tick claims (data.db, shared by replicas) and run history (aux.db).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::SqliteStore;
use crate::dates;
use crate::store::model::{JobRun, Trigger};
use crate::store::{JobStore, StoreResult};

#[async_trait]
impl JobStore for SqliteStore {
    async fn claim_job_tick(&self, job: &str, tick: DateTime<Utc>) -> StoreResult<bool> {
        let (job, tick) = (job.to_owned(), dates::format(tick));
        let inserted = self
            .data
            .write(move |c| {
                c.execute("INSERT INTO _jobClaims (job, tick) VALUES (?1, ?2) ON CONFLICT DO NOTHING", [job, tick])
            })
            .await?;
        Ok(inserted == 1)
    }

    async fn insert_job_run(&self, run: &JobRun) -> StoreResult<()> {
        let run = run.clone();
        self.aux
            .write(move |c| {
                c.execute(
                    "INSERT INTO _jobRuns (job, trigger, started, durationMs, ok, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![run.job, run.trigger.as_str(), dates::format(run.started), run.duration_ms, run.ok, run.error],
                )
            })
            .await?;
        Ok(())
    }

    async fn job_runs(&self, job: Option<&str>, limit: u32) -> StoreResult<Vec<JobRun>> {
        let job = job.map(str::to_owned);
        self.aux
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT job, trigger, started, durationMs, ok, error FROM _jobRuns
                     WHERE ?1 IS NULL OR job = ?1 ORDER BY started DESC, id DESC LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![job, limit], |r| {
                    let started: String = r.get(2)?;
                    Ok(JobRun {
                        job: r.get(0)?,
                        trigger: if r.get::<_, String>(1)? == "manual" { Trigger::Manual } else { Trigger::Schedule },
                        started: dates::parse(&started).unwrap_or_default(),
                        duration_ms: r.get(3)?,
                        ok: r.get(4)?,
                        error: r.get(5)?,
                    })
                })?;
                rows.collect()
            })
            .await
    }

    async fn prune_job_history(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let cutoff = dates::format(before);
        let c2 = cutoff.clone();
        let runs = self.aux.write(move |c| c.execute("DELETE FROM _jobRuns WHERE started < ?1", [cutoff])).await?;
        let claims = self.data.write(move |c| c.execute("DELETE FROM _jobClaims WHERE tick < ?1", [c2])).await?;
        Ok((runs + claims) as u64)
    }
}
