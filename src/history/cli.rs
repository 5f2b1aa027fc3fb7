//! `riskdesk history ...` and `riskdesk tasks`: clap types and handlers the CLI mounts.

use super::{
    AccessEntry, AccessQuery, ExportFormat, History, LookupSummary, NAME_SCAN_BOUND, SearchQuery,
    TaskState,
};
use crate::applicant::mask_id;
use crate::check::{CheckKind, Outcome};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use time::OffsetDateTime;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum HistoryCommand {
    /// Search lookups by phone (any format), ID number, request id, task id or name.
    Search {
        /// What to look for; leave out to list the newest lookups.
        #[arg(value_name = "QUERY", default_value = "")]
        query: String,
        #[command(flatten)]
        filters: FilterArgs,
        /// Rows per page.
        #[arg(long, default_value_t = super::DEFAULT_LIMIT)]
        limit: usize,
        /// Next page: rows older than the lookup with this id.
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
        /// JSON on stdout (identifiers unmasked).
        #[arg(long)]
        json: bool,
        /// Show phone and ID numbers in full.
        #[arg(long)]
        reveal: bool,
    },
    /// Show one lookup in full, by its id or its uuid (the identity a case file, an
    /// export or another desk's history names it by).
    Show {
        #[arg(value_name = "ID|UUID", value_parser = parse_lookup_ref)]
        lookup: LookupRef,
        #[arg(long, conflicts_with = "raw")]
        json: bool,
        /// Write the vendor's response body byte for byte, nothing else.
        #[arg(long)]
        raw: bool,
        #[arg(long)]
        reveal: bool,
        /// Why you are looking (kept in the access log).
        #[arg(long, value_name = "TEXT")]
        purpose: Option<String>,
    },
    /// Export matching lookups (all of them, not one page).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Only lookups matching this text.
        #[arg(long, value_name = "QUERY", default_value = "")]
        query: String,
        #[command(flatten)]
        filters: FilterArgs,
        /// Write here (created with mode 0600) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Why you are exporting (kept in the access log).
        #[arg(long, value_name = "TEXT")]
        purpose: Option<String>,
    },
    /// Who viewed lookups (show, export, the console), when and why: newest first.
    Access {
        /// Only views that included this lookup.
        #[arg(long, value_name = "ID")]
        lookup: Option<i64>,
        /// Only views by this user (OS user, or database role on a team database).
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
        /// From this day (UTC), YYYY-MM-DD.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        since: Option<time::Date>,
        /// Rows at most.
        #[arg(long, default_value_t = super::DEFAULT_LIMIT)]
        limit: usize,
        /// JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// One applicant's case: every lookup sharing their phone or ID number, oldest first,
    /// and what changed between answers. `--name` lists candidates instead.
    #[command(group(clap::ArgGroup::new("who").required(true).args(["phone", "id_number", "name"])))]
    Applicant {
        /// The applicant's phone, in any format search accepts.
        #[arg(long, value_name = "PHONE")]
        phone: Option<String>,
        /// The applicant's ID number.
        #[arg(long, value_name = "ID")]
        id_number: Option<String>,
        /// List the applicants (phone / ID number pairs) with this name; names never join.
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// First day (UTC), YYYY-MM-DD.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        since: Option<time::Date>,
        /// Last day (UTC), YYYY-MM-DD, included.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        until: Option<time::Date>,
        /// JSON (the same as --format json).
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// text (default), md (a case file to attach to a ticket) or json.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<CaseFormat>,
        /// Write here instead of stdout: replaced whole (written aside, then renamed), readable
        /// by its owner only (mode 0600: it holds personal data).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Show phone and ID numbers in full.
        #[arg(long)]
        reveal: bool,
        /// Why this case is viewed ("complaint 1234"): kept in the access log and written
        /// in the case file's header.
        #[arg(long, value_name = "TEXT")]
        purpose: Option<String>,
    },
    /// Import a JSON-lines export; rows already present are skipped.
    Import {
        #[arg(value_name = "FILE.jsonl")]
        file: PathBuf,
    },
    /// Delete lookups older than a period, e.g. 90d, 12w or 48h.
    Purge {
        #[arg(long, value_name = "PERIOD")]
        older_than: String,
    },
    /// Copy this desk's local history (and its open phone tasks) into the team database;
    /// lookups already there (same uuid) are skipped, so pushing twice adds nothing.
    Push {
        /// The team database (default: RISKDESK_HISTORY_URL, else `[history] url`).
        #[arg(long, value_name = "URL")]
        to: Option<String>,
    },
}

/// How `history applicant` writes a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CaseFormat {
    /// For a terminal.
    Text,
    /// A Markdown case file for a ticket.
    Md,
    /// `{"applicant", "lookups", "changes"}`.
    Json,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    #[arg(long, value_name = "CHECK")]
    pub check: Option<CheckKind>,
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Option<Outcome>,
    /// First day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<time::Date>,
    /// Last day (UTC), YYYY-MM-DD, included.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<time::Date>,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct TasksArgs {
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Show phone numbers in full.
    #[arg(long)]
    pub reveal: bool,
}

fn parse_date(s: &str) -> Result<time::Date, String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), f).map_err(|_| format!("'{s}' is not a date: expected YYYY-MM-DD"))
}

/// `90d`, `12w`, `48h`, or a bare number of days.
impl HistoryCommand {
    /// `mask_pii = false` in the config: show identifiers in full, as `--reveal` does.
    pub fn reveal_all(&mut self) {
        match self {
            HistoryCommand::Search { reveal, .. }
            | HistoryCommand::Show { reveal, .. }
            | HistoryCommand::Applicant { reveal, .. } => *reveal = true,
            _ => {}
        }
    }

    /// Whether the command writes to the history (then retention runs first).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            HistoryCommand::Import { .. } | HistoryCommand::Purge { .. }
        )
    }
}

/// How `history show` names a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupRef {
    Id(i64),
    /// Lowercase and hyphenated.
    Uuid(String),
}

impl std::fmt::Display for LookupRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupRef::Id(id) => write!(f, "id {id}"),
            LookupRef::Uuid(u) => write!(f, "uuid {u}"),
        }
    }
}

pub fn parse_lookup_ref(s: &str) -> Result<LookupRef, String> {
    if let Ok(id) = s.trim().parse::<i64>() {
        return Ok(LookupRef::Id(id));
    }
    super::parse_uuid(s)
        .map(LookupRef::Uuid)
        .ok_or_else(|| format!("'{s}' is neither a lookup id (a number) nor a uuid"))
}

pub fn parse_period(s: &str) -> Result<time::Duration, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), "d"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a period: expected e.g. 90d, 12w or 48h"))?;
    let hours_per_unit: i64 = match unit.trim() {
        "d" | "day" | "days" => 24,
        "w" | "week" | "weeks" => 24 * 7,
        "h" | "hour" | "hours" => 1,
        _ => return Err(format!("'{s}': unit must be d, w or h")),
    };
    // At most 1000 years: anything longer is a typo, and would overflow a date.
    match n.checked_mul(hours_per_unit) {
        Some(h) if h <= 1000 * 366 * 24 => Ok(time::Duration::hours(h)),
        _ => Err(format!("'{s}' is too long a period: at most 1000 years")),
    }
}

impl FilterArgs {
    fn query(&self, text: &str) -> SearchQuery {
        SearchQuery {
            text: text.to_string(),
            check: self.check,
            outcome: self.outcome,
            since: self.since,
            until: self.until,
            ..SearchQuery::default()
        }
    }
}

/// `+62812****7890`: enough to recognise a number, not enough to reuse it.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 10 {
        return crate::applicant::mask_phone(s);
    }
    let tail = chars.len() - 4;
    chars[..6]
        .iter()
        .chain(std::iter::repeat_n(&'*', tail - 6))
        .chain(&chars[tail..])
        .collect()
}

fn when(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.format(f).unwrap_or_else(|_| t.to_string())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// A purpose as given, trimmed; `None` when absent or blank.
fn given(purpose: Option<String>) -> Option<String> {
    purpose
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
}

/// Lookups per `insert_absent` transaction when pushing.
pub const PUSH_BATCH: usize = 500;

/// `riskdesk history push [--to URL]`: copies the local SQLite history in `data_dir` into
/// the team database (`to`, else the configured one), [`PUSH_BATCH`] lookups per
/// transaction, skipping those whose uuid is already there; then the open phone tasks not
/// there yet. Exit 2 when no team database is named or this role may not record, 1 when
/// lookups had to be left out.
pub fn run_push(
    to: Option<String>,
    cfg: &crate::config::HistoryConfig,
    data_dir: &std::path::Path,
    os_user: &str,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let usage = ExitCode::from(crate::cli::EXIT_USAGE);
    let Some(url) = to
        .filter(|u| !u.trim().is_empty())
        .or_else(|| super::team_url(cfg))
    else {
        eprintln!(
            "riskdesk: history push needs a team database: give --to URL, set {}, or \
             `[history] url` in config.toml; nothing was pushed",
            super::HISTORY_URL_ENV
        );
        return Ok(usage);
    };
    let shown = super::pg::redact(&url);
    let db_file = data_dir.join("history.db");
    if !db_file.exists() {
        eprintln!(
            "riskdesk: no local history at {}: nothing to push",
            db_file.display()
        );
        return Ok(ExitCode::from(1));
    }
    let source = super::SqliteHistory::open(&db_file)
        .with_context(|| format!("opening the local history {}", db_file.display()))?;
    let target = super::PgHistory::open(&url, os_user)
        .with_context(|| format!("opening the team history {shown}"))?;
    if let Some(why) = target
        .may_record()
        .with_context(|| format!("asking {shown} what this role may do"))?
    {
        eprintln!("riskdesk: history push to {shown}: {why}");
        return Ok(usage);
    }
    push(&source, &target, out)
}

/// Copies `source`'s lookups and open tasks into `target` (see [`run_push`]).
pub fn push(
    source: &dyn History,
    target: &dyn History,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let bar = progress::counter("pushing", "lookups");
    let mut total = super::Inserted::default();
    let mut batch: Vec<(super::LookupRecord, String)> = Vec::with_capacity(PUSH_BATCH);
    let (mut unknown, mut unreadable) = (0usize, 0usize);
    let mut flush =
        |batch: &mut Vec<(super::LookupRecord, String)>| -> Result<(), super::HistoryError> {
            if batch.is_empty() {
                return Ok(());
            }
            let done = target.insert_absent(batch)?;
            total.added += done.added;
            total.duplicates += done.duplicates;
            bar.inc(batch.len() as u64);
            batch.clear();
            Ok(())
        };
    // The walk holds the local store; each full batch goes to the other (team) history.
    source.for_each(&SearchQuery::all(), &mut |item| {
        match item {
            super::ExportItem::Record(rec, uuid) => {
                batch.push((*rec, uuid));
                if batch.len() >= PUSH_BATCH {
                    flush(&mut batch)?;
                }
            }
            super::ExportItem::AsStored(_) => unknown += 1,
            super::ExportItem::Unreadable { id, why } => {
                unreadable += 1;
                eprintln!("warning: local lookup {id} is unreadable and was not pushed: {why}");
            }
        }
        Ok(())
    })?;
    flush(&mut batch)?;
    bar.finish_and_clear();
    writeln!(
        out,
        "pushed {} lookups ({} already there)",
        total.added, total.duplicates
    )?;

    // Open tasks the team does not have yet (one already there is never replaced: another
    // desk may be polling it), linked to the team's copy of their lookup.
    let (mut tasks_added, mut tasks_there) = (0usize, 0usize);
    for mut task in source.open_tasks()? {
        if target.task(&task.task_id)?.is_some() {
            tasks_there += 1;
            continue;
        }
        let uuid = match task.lookup_id {
            0 => None,
            id => source.uuid_of(id)?,
        };
        task.lookup_id = 0;
        if let Some(uuid) = uuid {
            let mut q = SearchQuery::text(&task.task_id);
            q.limit = 20;
            for row in target.search(&q)?.rows {
                if target.uuid_of(row.id)?.as_deref() == Some(uuid.as_str()) {
                    task.lookup_id = row.id;
                    break;
                }
            }
        }
        target.add_task(&task)?;
        tasks_added += 1;
    }
    if tasks_added + tasks_there > 0 {
        writeln!(
            out,
            "pushed {tasks_added} open phone tasks ({tasks_there} already there)"
        )?;
    }
    if unknown > 0 {
        eprintln!(
            "warning: {unknown} lookups of a check or outcome this riskdesk does not know were \
             not pushed (a newer riskdesk can push them)"
        );
    }
    if unreadable > 0 {
        eprintln!("warning: {unreadable} unreadable lookups were not pushed (listed above)");
    }
    Ok(if unknown + unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs one `history` subcommand as this process's OS user ([`run_history_as`]).
pub fn run_history(
    cmd: HistoryCommand,
    store: &dyn History,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    run_history_as(cmd, store, &crate::cli::operator(), out)
}

/// Runs one `history` subcommand; `show` and `export` add a row to the access log, by
/// `os_user`. Exit 0 on success, 1 when the asked-for row does not exist or an import
/// rejected lines.
pub fn run_history_as(
    cmd: HistoryCommand,
    store: &dyn History,
    os_user: &str,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match cmd {
        HistoryCommand::Search {
            query,
            filters,
            limit,
            before,
            json,
            reveal,
        } => {
            let mut q = filters.query(&query);
            q.limit = limit;
            if let Some(id) = before {
                // From the row's stored position: an unreadable row can be paged past too.
                q.before = Some(
                    store
                        .cursor_for(id)?
                        .with_context(|| format!("--before {id}: no lookup with that id"))?,
                );
            }
            let page = store.search(&q)?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &page)?;
                writeln!(out)?;
            } else {
                write_table(out, &page.rows, reveal)?;
                if page.incomplete {
                    writeln!(
                        out,
                        "searched {NAME_SCAN_BOUND} lookups for this name without filling a page: \
                         more letters or --since/--until answer at once"
                    )?;
                }
                if let Some(next) = page.next {
                    writeln!(out, "more: add --before {}", next.id)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HistoryCommand::Show {
            lookup,
            json,
            raw,
            reveal,
            purpose,
        } => {
            let id = match &lookup {
                LookupRef::Id(id) => Some(*id),
                LookupRef::Uuid(u) => store.id_of_uuid(u)?,
            };
            let Some((id, rec)) = id
                .map(|id| store.get(id).map(|r| r.map(|r| (id, r))))
                .transpose()?
                .flatten()
            else {
                eprintln!("no lookup with {lookup}");
                return Ok(ExitCode::from(1));
            };
            // Viewing is recorded before anything is shown: no log row, no view.
            store
                .log_access(&AccessEntry::now(os_user, "show", vec![id], given(purpose)))
                .context("recording this view in the access log")?;
            if raw {
                out.write_all(&rec.raw_response)?;
            } else if json {
                let uuid = store.uuid_of(id)?.unwrap_or_default();
                let role = store.operator_role(id)?;
                let os_user = rec.operator.clone();
                let mut json = super::exchange::record_json(rec, uuid);
                if let Some(obj) = json.as_object_mut() {
                    // Always there, null when none was given.
                    obj.entry("purpose").or_insert(serde_json::Value::Null);
                    // On a team database the operator is the database's word; the desk's
                    // OS user beside it.
                    if let Some(role) = role {
                        obj.insert("operator".into(), role.into());
                        obj.insert("os_user".into(), os_user.into());
                    }
                }
                serde_json::to_writer_pretty(&mut *out, &json)?;
                writeln!(out)?;
            } else {
                super::show::write_record(out, &rec, reveal)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        HistoryCommand::Export {
            format,
            query,
            filters,
            output,
            purpose,
        } => {
            let q = filters.query(&query);
            let mut seen: Vec<i64> = Vec::new();
            // Each unreadable row is said as it is met; the export goes on.
            let mut on_skip = |id: i64, why: &str| {
                eprintln!("warning: lookup {id} is unreadable and was left out: {why}");
            };
            let stats = match output {
                Some(path) => {
                    let mut o = std::fs::OpenOptions::new();
                    o.create(true).write(true).truncate(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
                    let file = o
                        .open(&path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    // mode() applies only when the file is created: tighten an existing one too.
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        file.set_permissions(std::fs::Permissions::from_mode(0o600))
                            .with_context(|| {
                                format!("cannot restrict {} to its owner", path.display())
                            })?;
                    }
                    let mut w = std::io::BufWriter::new(file);
                    let bar = progress::counter("exporting", "lookups");
                    let stats = super::exchange::export_seen(
                        store,
                        &q,
                        format,
                        &mut progress::Counting::new(&mut w, &bar),
                        &mut on_skip,
                        &mut seen,
                    )?;
                    bar.finish_and_clear();
                    w.flush()?;
                    writeln!(
                        out,
                        "exported {} lookups to {}",
                        stats.written,
                        path.display()
                    )?;
                    stats
                }
                None => {
                    super::exchange::export_seen(store, &q, format, out, &mut on_skip, &mut seen)?
                }
            };
            store
                .log_access(&AccessEntry::now(os_user, "export", seen, given(purpose)))
                .context("recording the export in the access log")?;
            if stats.as_stored > 0 {
                eprintln!(
                    "note: {} lookups of a check or outcome this riskdesk does not know were \
                     exported as stored (marked \"as_stored\")",
                    stats.as_stored
                );
            }
            if stats.skipped > 0 {
                eprintln!(
                    "warning: {} unreadable lookups were left out (listed above)",
                    stats.skipped
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HistoryCommand::Access {
            lookup,
            operator,
            since,
            limit,
            json,
        } => {
            let rows = store.access(&AccessQuery {
                lookup,
                operator,
                since,
                limit,
            })?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)?;
            } else {
                write_access(out, &rows)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        HistoryCommand::Applicant {
            phone,
            id_number,
            name,
            since,
            until,
            json,
            format,
            output,
            reveal,
            purpose,
        } => {
            let format = if json {
                CaseFormat::Json
            } else {
                format.unwrap_or(CaseFormat::Text)
            };
            let view = CaseView {
                since,
                until,
                format,
                reveal,
                purpose: given(purpose),
            };
            let key = match (phone, id_number, name) {
                (Some(p), _, _) => super::case::CaseKey::Phone(p),
                (None, Some(n), _) => super::case::CaseKey::IdNumber(n),
                (None, None, Some(name)) => {
                    return run_candidates(store, &name, &view, output.as_deref(), out);
                }
                (None, None, None) => anyhow::bail!("give --phone, --id-number or --name"),
            };
            run_case(store, &key, &view, os_user, output.as_deref(), out)
        }
        HistoryCommand::Import { file } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = progress::bytes("importing", size);
            let stats = super::exchange::import_jsonl(
                store,
                &mut std::io::BufReader::new(f),
                &mut |read| bar.set_position(read),
            )?;
            bar.finish_and_clear();
            writeln!(
                out,
                "read {}, added {}, already present {}, rejected {}",
                stats.read, stats.added, stats.duplicates, stats.rejected
            )?;
            for e in &stats.errors {
                writeln!(out, "  {e}")?;
            }
            Ok(if stats.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        HistoryCommand::Push { .. } => anyhow::bail!(
            "history push copies between two histories: it is run by run_push, not on one store"
        ),
        HistoryCommand::Purge { older_than } => {
            let period = parse_period(&older_than).map_err(anyhow::Error::msg)?;
            let now = OffsetDateTime::now_utc();
            let cutoff = now.checked_sub(period).unwrap_or(now);
            let bar = progress::spinner("purging (erasing from every file)");
            let purged = store.purge(cutoff);
            bar.finish_and_clear();
            let purged = purged?;
            writeln!(
                out,
                "purged {} lookups and {} phone tasks older than {} UTC{}",
                purged.lookups,
                purged.tasks,
                when(cutoff),
                match purged.exports {
                    0 => String::new(),
                    n => format!(" (and {n} console export files of them)"),
                }
            )?;
            if !purged.wal_cleared {
                eprintln!(
                    "note: another riskdesk was reading the history; copies of the purged rows \
                     stay in history.db-wal until its next checkpoint (run the purge again to \
                     clear them now)"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_access(out: &mut dyn Write, rows: &[AccessEntry]) -> anyhow::Result<()> {
    if rows.is_empty() {
        writeln!(out, "no access recorded")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<19}  {:<20}  {:<7}  {:<24}  PURPOSE",
        "TIME (UTC)", "WHO", "ACTION", "LOOKUPS"
    )?;
    for r in rows {
        let who = match &r.db_user {
            Some(role) if *role != r.os_user => format!("{role} ({})", r.os_user),
            _ => r.os_user.clone(),
        };
        let ids = match r.lookup_ids.len() {
            0 => "-".to_string(),
            n if n <= 4 => r
                .lookup_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            n => format!("{n} lookups"),
        };
        writeln!(
            out,
            "{:<19}  {:<20}  {:<7}  {:<24}  {}",
            when(r.at),
            clip(&who, 20),
            clip(&r.action, 7),
            clip(&ids, 24),
            r.purpose.as_deref().unwrap_or("-"),
        )?;
    }
    Ok(())
}

fn write_table(out: &mut dyn Write, rows: &[LookupSummary], reveal: bool) -> anyhow::Result<()> {
    if rows.is_empty() {
        writeln!(out, "no lookups found")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>7}  {:<19}  {:<18}  {:<8}  {:<16}  {:<20}  {:<22}  {:<9}  REQUEST ID",
        "ID", "TIME (UTC)", "CHECK", "OUTCOME", "PHONE", "ID NUMBER", "NAME", "STATUS"
    )?;
    for r in rows {
        let (phone, idn) = if reveal {
            (r.phone_e164.clone(), r.id_number.clone())
        } else {
            (mask_phone(&r.phone_e164), mask_id(&r.id_number))
        };
        writeln!(
            out,
            "{:>7}  {:<19}  {:<18}  {:<8}  {:<16}  {:<20}  {:<22}  {:<9}  {}{}",
            r.id,
            when(r.created_at),
            r.check.cli_name(),
            r.outcome.as_str(),
            clip(&phone, 16),
            clip(&idn, 20),
            clip(&r.name, 22),
            clip(r.vendor_status.as_deref().unwrap_or("-"), 9),
            r.vendor_request_id.as_deref().unwrap_or("-"),
            if r.sandbox { "  [sandbox]" } else { "" },
        )?;
    }
    Ok(())
}

/// How one case is asked for (`history applicant`).
struct CaseView {
    since: Option<time::Date>,
    until: Option<time::Date>,
    format: CaseFormat,
    reveal: bool,
    purpose: Option<String>,
}

/// `history applicant --name`: the applicants a name may stand for.
fn run_candidates(
    store: &dyn History,
    name: &str,
    view: &CaseView,
    output: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    use super::case;
    if view.format == CaseFormat::Md {
        eprintln!(
            "a case file is one applicant's: --name only lists who it may be; run again with \
             one of their phones (--phone) or ID numbers (--id-number)"
        );
        return Ok(ExitCode::from(2));
    }
    let (found, capped) = case::candidates(store, name, view.since, view.until)?;
    let mut body = Vec::new();
    if view.format == CaseFormat::Json {
        serde_json::to_writer_pretty(&mut body, &case::candidates_json(&found, view.reveal))?;
        writeln!(body)?;
    } else {
        case::write_candidates(&mut body, &found, view.reveal)?;
    }
    deliver(&body, output, out)?;
    if capped {
        eprintln!(
            "note: searched {} lookups for this name: narrow it with --since/--until or more \
             letters",
            case::CASE_CAP
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `history applicant --phone | --id-number`: the case, as text, Markdown or JSON. Viewing
/// is recorded in the access log before anything is written.
fn run_case(
    store: &dyn History,
    key: &super::case::CaseKey,
    view: &CaseView,
    os_user: &str,
    output: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    use super::case;
    let found = case::gather(store, key, view.since, view.until)?;
    let Some((first, _)) = found.lookups.first() else {
        eprintln!("no lookups of this applicant");
        return Ok(ExitCode::from(1));
    };
    let first_id = first.id;
    // Viewing a case is recorded before anything is shown, as `history show` is.
    let ids = found.lookups.iter().map(|(r, _)| r.id).collect();
    let entry = AccessEntry::now(os_user, "case", ids, view.purpose.clone());
    // Finding the changes (pure) overlaps the access log's commit (a durable write) and the
    // timeline's writing; nothing is written out until the view is logged.
    let mut body = Vec::with_capacity(256 * found.lookups.len() + 4096);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut changes = case::Changes::Finding(Some(s.spawn(|| case::changes_of(&found))));
        let logged = store
            .log_access(&entry)
            .context("recording this view in the access log")?;
        match view.format {
            CaseFormat::Json => {
                case::write_json_from(&mut body, &found, &mut changes, view.reveal)?
            }
            CaseFormat::Text => {
                case::write_text_from(&mut body, &found, &mut changes, view.reveal)?
            }
            CaseFormat::Md => {
                let header = case::CaseFileHeader {
                    generated_at: entry.at,
                    generated_by: viewer(store, first_id, logged, os_user),
                    purpose: view.purpose.clone(),
                };
                case::write_markdown_from(&mut body, &found, &mut changes, &header, view.reveal)?;
            }
        }
        // Not freed, as the case below is not.
        std::mem::forget(changes);
        Ok(())
    })?;
    deliver(&body, output, out)?;
    // The process ends here: freeing a thousand records one by one would only delay it.
    std::mem::forget((found, body));
    Ok(ExitCode::SUCCESS)
}

/// Who viewed the case, in the history's own words: on a team database the role its access
/// log stamped on row `logged` (the server decides who, not the desk), else the OS user.
fn viewer(store: &dyn History, first_id: i64, logged: i64, os_user: &str) -> String {
    // Only a backend that knows better than the client names roles (PostgreSQL).
    if !matches!(store.operator_role(first_id), Ok(Some(_))) {
        return os_user.to_string();
    }
    let today = OffsetDateTime::now_utc().date();
    let q = AccessQuery {
        lookup: Some(first_id),
        operator: None,
        since: today.previous_day(),
        limit: 100,
    };
    store
        .access(&q)
        .ok()
        .and_then(|rows| rows.into_iter().find(|e| e.id == logged))
        .and_then(|e| e.db_user)
        .map(|role| {
            if role == os_user {
                role
            } else {
                format!("{role} (OS user {os_user})")
            }
        })
        .unwrap_or_else(|| os_user.to_string())
}

/// Writes `body` to `output` (replaced whole and owner-only, see [`write_private`]) or to
/// `out`.
fn deliver(
    body: &[u8],
    output: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            write_private(path, body)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            out.write_all(body)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Writes `body` to `path` atomically and owner-only: a new file beside it (mode 0600 from
/// its creation), synced, then renamed over `path`. A reader sees the old file or the whole
/// new one, never a part, and nobody else can read it at any moment.
pub fn write_private(path: &std::path::Path, body: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?
        .to_string_lossy()
        .into_owned();
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = match o.open(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = f
            .write_all(body)
            .and_then(|()| f.sync_all())
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        return Ok(());
    }
    Err(std::io::Error::other(
        "no free temporary name beside the file",
    ))
}

/// `riskdesk tasks [--json]`: the open phone tasks (pending, or paused with the reason).
pub fn run_tasks_list(
    args: &TasksArgs,
    store: &dyn History,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let tasks = store.open_tasks()?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &tasks)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if tasks.is_empty() {
        writeln!(out, "no pending or paused phone tasks")?;
        return Ok(ExitCode::SUCCESS);
    }
    let now = OffsetDateTime::now_utc();
    writeln!(
        out,
        "{:<36}  {:>7}  {:<16}  {:<19}  {:<10}  {:>8}  {:<19}  STATE",
        "TASK", "LOOKUP", "PHONE", "SUBMITTED (UTC)", "EXPIRES", "ATTEMPTS", "LAST POLL"
    )?;
    for t in &tasks {
        let left = t.expires_at - now;
        let expires = if !t.state.is_open() || left <= time::Duration::ZERO {
            "expired".to_string()
        } else {
            format!(
                "in {}h{:02}m",
                left.whole_hours(),
                left.whole_minutes() % 60
            )
        };
        let phone = if args.reveal {
            t.phone_e164.clone()
        } else {
            mask_phone(&t.phone_e164)
        };
        let state = match (t.state, t.error.as_deref()) {
            (TaskState::Paused, Some(why)) => format!("paused: {why}"),
            (state, _) => state.to_string(),
        };
        writeln!(
            out,
            "{:<36}  {:>7}  {:<16}  {:<19}  {:<10}  {:>8}  {:<19}  {}",
            clip(&t.task_id, 36),
            t.lookup_id,
            clip(&phone, 16),
            when(t.submitted_at),
            expires,
            t.attempts,
            t.last_poll_at.map(when).unwrap_or_else(|| "-".into()),
            state,
        )?;
    }
    if tasks.iter().any(|t| t.state == TaskState::Paused) {
        writeln!(
            out,
            "paused: the vendor refused the credentials; fix the configuration, then \
             `riskdesk tasks --resume` (or the console, at start) polls them again"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_masks() {
        assert_eq!(parse_period("90d"), Ok(time::Duration::days(90)));
        assert_eq!(parse_period(" 2W "), Ok(time::Duration::weeks(2)));
        assert_eq!(parse_period("48h"), Ok(time::Duration::hours(48)));
        assert_eq!(parse_period("30"), Ok(time::Duration::days(30)));
        assert!(parse_period("soon").is_err());
        assert!(parse_period("5y").is_err());
        assert_eq!(mask_phone("+6281234567890"), "+62812****7890");
        assert_eq!(mask_phone(""), "");
    }
}

/// Progress on a terminal for the long commands (import, export, purge): drawn on stderr
/// only when stdout is a terminal, so scripts and pipes see nothing extra.
mod progress {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::{IsTerminal, Write};

    fn target() -> ProgressDrawTarget {
        if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        }
    }

    pub fn bytes(what: &'static str, total: u64) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(total), target());
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(what);
        bar
    }

    pub fn counter(what: &'static str, unit: &'static str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, target());
        bar.set_style(
            ProgressStyle::with_template(&format!("{{spinner}} {{msg}} {{pos}} {unit}"))
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(what);
        bar
    }

    pub fn spinner(what: &'static str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, target());
        bar.set_message(what);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// Counts written lines (one lookup each) onto a counter bar.
    pub struct Counting<'a> {
        inner: &'a mut dyn Write,
        bar: &'a ProgressBar,
    }

    impl<'a> Counting<'a> {
        pub fn new(inner: &'a mut dyn Write, bar: &'a ProgressBar) -> Self {
            Counting { inner, bar }
        }
    }

    impl Write for Counting<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.inner.write(buf)?;
            let lines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            if lines > 0 {
                self.bar.inc(lines);
            }
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
}
