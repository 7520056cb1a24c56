//! Fetch Related Events (reference §3.6): the most recent messages of one
//! folder from the last N hours, newest first, as events (the same
//! enrichment and field mappings as Fetch Event).

use super::execute;
use super::fetch::{self, FetchPlan};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::input::Values;
use crate::mail::folders::FolderRef;
use crate::mail::listing::Order;
use crate::mailbox::Mailbox;
use crate::model::{CommandResult, Connection};

pub const LABEL: &str = "Fetch Related Events";
const MAILBOX: &str = "Email Address";
const FOLDER: &str = "Mail Folder";
const HOURS: &str = "The Hours Before";
const COUNT: &str = "Top Recent Event Number";
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
            "Filter",
            "Search",
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
