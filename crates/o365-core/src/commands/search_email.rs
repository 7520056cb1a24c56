//! Search Office 365 Email (deprecated; reference §3.20): messages of a
//! folder or the whole mailbox by Filter or Search, newest first. A thin
//! alias over the fetch code, without events or enrichment.

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

pub const LABEL: &str = "Search Office 365 Email";
const FOLDER: &str = "Mail Folder";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub email_address: Option<String>,
    pub mail_folder: Option<String>,
    pub filter: Option<String>,
    pub search_condition: Option<String>,
    pub number_of_results: Option<u32>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            email_address: values.optional_text("email-address")?,
            mail_folder: values.optional_text("mail-folder")?,
            filter: values.optional_text("filter")?,
            search_condition: values.optional_text("search-condition")?,
            number_of_results: values.optional_u32("number-of-results")?,
        })
    }
}

fn parse(conn: &Connection, input: &Input) -> Result<FetchPlan, Error> {
    let mailbox = Mailbox::resolve(conn, input.email_address.as_deref(), "Email Address")?;
    let folder = match input
        .mail_folder
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(f) => Some(FolderRef::parse(FOLDER, f)?),
        None => None,
    };
    Ok(FetchPlan {
        label: LABEL,
        folder_label: FOLDER,
        mailbox,
        folders: vec![folder],
        after: None,
        before: None,
        criteria: fetch::criteria(
            input.filter.as_deref(),
            input.search_condition.as_deref(),
            "Filter",
            "Search Condition",
        )?,
        order: Order::NewestFirst,
        limit: fetch::count("Number of Results", input.number_of_results)?,
        immutable: false,
        cursor: None,
        events: false,
    })
}

pub fn search_email(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(
        env,
        conn,
        LABEL,
        |c| parse(c, input),
        |g: &Graph, plan| fetch::run(g, env, plan),
    )
}
