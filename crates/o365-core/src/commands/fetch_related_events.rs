//! Fetch Related Events (reference §3.6): the most recent messages of one
//! folder from the last N hours, newest first, as events (the same
//! enrichment and field mappings as Fetch Event).

use super::execute;
use super::fetch::{self, FetchPlan};
use super::params::{MAIL_READ, email_address, immutable_ids, mailbox_rule};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mail::folders::FolderRef;
use crate::mail::listing::Order;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection};
use crate::spec::{CommandSpec, ParamType, param};

pub const LABEL: &str = SPEC.label;
const FILTER: &str = SPEC.label_of("filter");
const SEARCH: &str = SPEC.label_of("search");
const MAILBOX: &str = SPEC.label_of("email-address");
const FOLDER: &str = SPEC.label_of("mail-folder");
const HOURS: &str = SPEC.label_of("the-hours-before");
const COUNT: &str = SPEC.label_of("top-recent-event-number");
/// Ten years: further back is not "related".
const MAX_HOURS: u32 = 87_600;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_address: Option<String>,
    pub mail_folder: String,
    pub the_hours_before: Option<u32>,
    pub top_recent_event_number: Option<u32>,
    pub filter: Option<String>,
    pub search: Option<String>,
    pub use_immutable_ids: bool,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_address: values.optional_text("email-address")?,
            mail_folder: values.text("mail-folder")?,
            the_hours_before: values.optional_u32("the-hours-before")?,
            top_recent_event_number: values.optional_u32("top-recent-event-number")?,
            filter: values.optional_text("filter")?,
            search: values.optional_text("search")?,
            use_immutable_ids: values.flag("use-immutable-ids")?,
        })
    }
}

fn parse(conn: &Connection, input: &Input, now: i64) -> Result<FetchPlan, Error> {
    let mailbox = Mailbox::resolve(conn, input.email_address.as_deref(), MAILBOX)?;
    if input.mail_folder.trim().is_empty() {
        return Err(Error::input(
            FOLDER,
            "is required: a folder id, a well-known name (inbox) or a display name.",
        ));
    }
    let folder = FolderRef::parse(FOLDER, &input.mail_folder)?;
    let hours = match input.the_hours_before {
        None => {
            return Err(Error::input(
                HOURS,
                "is required: how many hours back from now to look (e.g. 11).",
            ));
        }
        Some(h @ 1..=MAX_HOURS) => h,
        Some(h) => {
            return Err(Error::input(
                HOURS,
                format!("must be between 1 and {MAX_HOURS}; got {h}."),
            ));
        }
    };
    Ok(FetchPlan {
        label: LABEL,
        folder_label: FOLDER,
        mailbox,
        folders: vec![Some(folder)],
        after: Some(now - i64::from(hours) * 3600),
        before: Some(now),
        criteria: fetch::criteria(
            input.filter.as_deref(),
            input.search.as_deref(),
            FILTER,
            SEARCH,
        )?,
        order: Order::NewestFirst,
        limit: fetch::count(COUNT, input.top_recent_event_number)?,
        immutable: input.use_immutable_ids,
        cursor: None,
        events: true,
    })
}

pub fn fetch_related_events(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    let now = env.now_unix_secs() as i64;
    execute(
        env,
        conn,
        LABEL,
        |c| parse(c, input, now),
        |g: &Graph, plan| fetch::run(g, env, plan),
    )
}

/// What Fetch Related Events declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "fetch-related-events",
    label: "Fetch Related Events",
    description: "Returns the most recent emails of a folder from the last hours as events, newest first, with the same field mappings and enrichment as Fetch Event.",
    deprecated: false,
    run: |env, conn, v| Ok(fetch_related_events(env, conn, &Input::read(v)?)),
    parameters: &[
        email_address(mailbox_rule!("The email address from which to fetch related events.")),
        param("mail-folder", "Mail Folder", ParamType::Text, true)
            .example("inbox")
            .describe("The folder: a folder id, a well-known name, a display name or a path (Inbox/Phishing)."),
        param("the-hours-before", "The Hours Before", ParamType::Integer, true)
            .example("11")
            .describe("The number of hours before the current time."),
        param("top-recent-event-number", "Top Recent Event Number", ParamType::Integer, false)
            .default("10")
            .example("1")
            .describe("The maximum number of the most recent emails, 1 to 1000."),
        param("filter", "Filter", ParamType::Text, false)
            .example("createdDateTime gt 2020-04-21")
            .describe("An OData $filter expression. Leave empty when Search is given."),
        param("search", "Search", ParamType::Text, false)
            .example("body:excitement")
            .describe("A KQL $search expression. Leave empty when Filter is given."),
        immutable_ids(),
    ],
    permissions: MAIL_READ,
};
