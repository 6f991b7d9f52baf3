//! Jobs over HTTP: PocketBase's `/api/crons` and Croft's richer `/api/jobs`.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;

pub struct CronsApi;

/// PocketBase's cron entry.
#[derive(Debug, Object)]
pub struct CronJob {
    pub id: String,
    pub expression: String,
}

/// A job with its schedule and last run.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct JobInfo {
    pub name: String,
    pub description: String,
    /// The 5-field cron expression (UTC); empty when the job is disabled.
    pub schedule: String,
    /// Absent when the job has never run.
    #[oai(skip_serializing_if_is_none)]
    pub last_run: Option<JobRunDto>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct JobRunDto {
    /// `schedule` or `manual`.
    pub trigger: String,
    pub started: String,
    pub duration_ms: i64,
    pub ok: bool,
    pub error: String,
}

#[derive(ApiResponse)]
pub enum RunStarted {
    /// The job was started in the background.
    #[oai(status = 204)]
    Started,
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Jobs)]
impl CronsApi {
    /// List cron jobs.
    ///
    /// The enabled jobs and their schedules, in PocketBase's shape. Superusers only.
    #[oai(path = "/crons", method = "get", operation_id = "list_crons")]
    async fn list_crons(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Json<Vec<CronJob>>> {
        auth.require_superuser()?;
        let jobs = state
            .jobs
            .iter()
            .filter_map(|j| {
                j.schedule.as_ref().map(|(expr, _)| CronJob { id: j.spec.name.to_owned(), expression: expr.clone() })
            })
            .collect();
        Ok(Json(jobs))
    }

    /// Run a cron job.
    ///
    /// Starts the job now in the background (its result appears in `GET /api/jobs`). Superusers only.
    #[oai(path = "/crons/:id", method = "post", operation_id = "run_cron")]
    async fn run_cron(&self, state: Data<&AppState>, auth: TokenAuth, id: Path<String>) -> ApiResult<RunStarted> {
        auth.require_superuser()?;
        if state.jobs.get(&id).is_err() {
            return Err(ApiError::not_found("Missing or invalid cron job."));
        }
        let state = state.0.clone();
        tokio::spawn(async move {
            let _ = crate::jobs::run_now(&state, &id).await;
        });
        Ok(RunStarted::Started)
    }

    /// List jobs with their last run.
    ///
    /// Every built-in job, enabled or not, with its schedule and the result of its last run.
    /// Superusers only.
    #[oai(path = "/jobs", method = "get", operation_id = "list_jobs")]
    async fn list_jobs(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Json<Vec<JobInfo>>> {
        auth.require_superuser()?;
        let mut out = Vec::new();
        for job in state.jobs.iter() {
            let last = state.store.job_runs(Some(job.spec.name), 1).await?.into_iter().next();
            out.push(JobInfo {
                name: job.spec.name.to_owned(),
                description: job.spec.description.to_owned(),
                schedule: job.schedule.as_ref().map(|(e, _)| e.clone()).unwrap_or_default(),
                last_run: last.map(|r| JobRunDto {
                    trigger: r.trigger.as_str().to_owned(),
                    started: crate::dates::format(r.started),
                    duration_ms: r.duration_ms,
                    ok: r.ok,
                    error: r.error,
                }),
            });
        }
        Ok(Json(out))
    }
}
