//! Search Office 365 Email (deprecated; reference §3.20): messages of a
//! folder or the whole mailbox by Filter or Search, newest first. A thin
//! alias over the fetch code, without events or enrichment.

use super::execute;
use super::fetch::{self, FetchPlan};
use super::params::{MAIL_READ, email_address, mailbox_rule};
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
const EMAIL_ADDRESS: &str = SPEC.label_of("email-address");
const FILTER: &str = SPEC.label_of("filter");
const SEARCH_CONDITION: &str = SPEC.label_of("search-condition");
const NUMBER_OF_RESULTS: &str = SPEC.label_of("number-of-results");
const FOLDER: &str = SPEC.label_of("mail-folder");

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
    let mailbox = Mailbox::resolve(conn, input.email_address.as_deref(), EMAIL_ADDRESS)?;
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
            FILTER,
            SEARCH_CONDITION,
        )?,
        order: Order::NewestFirst,
        limit: fetch::count(NUMBER_OF_RESULTS, input.number_of_results)?,
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

/// What Search Office 365 Email declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "search-office365-email",
    label: "Search Office 365 Email",
    description: "Deprecated: use Fetch Related Events or Get Email Messages. Searches a folder or the whole mailbox by Filter or Search Condition, newest first.",
    deprecated: true,
    run: |env, conn, v| Ok(search_email(env, conn, &Input::read(v)?)),
    parameters: &[
        email_address(mailbox_rule!("The email address to search.")),
        param("mail-folder", "Mail Folder", ParamType::Text, false)
            .example("inbox")
            .describe("The folder to search; empty searches the whole mailbox."),
        param("filter", "Filter", ParamType::Text, false)
            .example("contains(subject, 'invoice')")
            .describe("An OData $filter expression. Leave empty when Search Condition is given."),
        param(
            "search-condition",
            "Search Condition",
            ParamType::Text,
            false,
        )
        .example("subject:invoice")
        .describe("A KQL $search expression. Leave empty when Filter is given."),
        param(
            "number-of-results",
            "Number of Results",
            ParamType::Integer,
            false,
        )
        .default("10")
        .example("10")
        .describe("The maximum number of emails returned, 1 to 1000."),
    ],
    permissions: MAIL_READ,
};
