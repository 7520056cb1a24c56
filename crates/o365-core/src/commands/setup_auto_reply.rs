//! Setup Auto Reply (reference §3.19): `PATCH users/{id}/mailboxSettings` with the
//! `automaticRepliesSetting` fields that were given, per user, 20 per `$batch`. Fields left
//! out keep their current value, because PATCH leaves unsent properties alone.

use serde_json::{Map, Value, json};

use super::execute;
use crate::batch::{self, Request};
use crate::env::Env;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::segment;
use crate::input::Values;
use crate::model::{CommandResult, Connection};
use crate::outcome::{ItemOutcome, ItemOutcomes, ItemStatus};
use crate::retry::Idempotency;
use crate::spec::{CommandSpec, ParamType, Permissions, param};
use crate::time;
use crate::user_list;

pub const LABEL: &str = SPEC.label;
const USERS: &str = SPEC.label_of("user-ids");
const START: &str = SPEC.label_of("scheduled-start-time");
const END: &str = SPEC.label_of("scheduled-end-time");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AutoReplyStatus {
    #[default]
    AlwaysEnabled,
    Scheduled,
    Disabled,
}

impl crate::input::Choice for AutoReplyStatus {
    const CASES: &'static [(&'static str, Self)] = &[
        ("always-enabled", AutoReplyStatus::AlwaysEnabled),
        ("scheduled", AutoReplyStatus::Scheduled),
        ("disabled", AutoReplyStatus::Disabled),
    ];
}

impl AutoReplyStatus {
    fn graph(self) -> &'static str {
        match self {
            AutoReplyStatus::AlwaysEnabled => "alwaysEnabled",
            AutoReplyStatus::Scheduled => "scheduled",
            AutoReplyStatus::Disabled => "disabled",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub user_ids: Vec<String>,
    /// None: the seed's default, Always Enabled.
    pub status: Option<AutoReplyStatus>,
    pub scheduled_start_time: Option<String>,
    pub scheduled_end_time: Option<String>,
    pub internal_reply_message: Option<String>,
    pub external_reply_message: Option<String>,
}

impl Input {
    /// The input as JSON hosts give it ([`Values`]).
    pub fn read(values: &Values) -> Result<Input, Error> {
        Ok(Input {
            user_ids: values.list("user-ids")?,
            status: values.optional_choice("status")?,
            scheduled_start_time: values.optional_text("scheduled-start-time")?,
            scheduled_end_time: values.optional_text("scheduled-end-time")?,
            internal_reply_message: values.optional_text("internal-reply-message")?,
            external_reply_message: values.optional_text("external-reply-message")?,
        })
    }
}

#[derive(Debug)]
struct Plan {
    users: Vec<String>,
    setting: Map<String, Value>,
}

fn when(label: &str, given: &Option<String>) -> Result<Option<i64>, Error> {
    match given.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => time::parse_utc(t).map(Some).ok_or_else(|| {
            Error::input(
                label,
                format!("'{t}' is not a UTC date and time; use e.g. 2023-10-10 00:00 or 2023-10-10T00:00:00Z."),
            )
        }),
    }
}

/// `2023-10-10T00:00:00`: Graph's `dateTimeTimeZone.dateTime`, the zone given apart.
fn local(at: i64) -> String {
    time::iso(at).trim_end_matches('Z').to_string()
}

fn parse(input: &Input) -> Result<Plan, Error> {
    let users = user_list::parse(USERS, &input.user_ids)?;
    let start = when(START, &input.scheduled_start_time)?;
    let end = when(END, &input.scheduled_end_time)?;
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        return Err(Error::input(
            END,
            format!(
                "must be after the {START} ({} is not after {}).",
                time::iso(e),
                time::iso(s)
            ),
        ));
    }
    let status = input.status.unwrap_or_default();
    let mut setting = Map::new();
    setting.insert("status".into(), json!(status.graph()));
    for (key, at) in [
        ("scheduledStartDateTime", start),
        ("scheduledEndDateTime", end),
    ] {
        if let Some(at) = at {
            setting.insert(
                key.into(),
                json!({"dateTime": local(at), "timeZone": "UTC"}),
            );
        }
    }
    for (key, text) in [
        ("internalReplyMessage", &input.internal_reply_message),
        ("externalReplyMessage", &input.external_reply_message),
    ] {
        if let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            setting.insert(key.into(), json!(t));
        }
    }
    Ok(Plan { users, setting })
}

fn run(graph: &Graph, plan: Plan) -> Result<CommandResult, Error> {
    let body = json!({"automaticRepliesSetting": plan.setting});
    let requests: Vec<Request> = plan
        .users
        .iter()
        .map(|u| {
            Request::patch(
                format!("users/{}/mailboxSettings", segment(u)),
                body.clone(),
            )
        })
        .collect();
    // The same PATCH twice leaves the same settings: safe to resend.
    let outcomes = batch::run(
        graph,
        &requests,
        Idempotency::Idempotent,
        "set up automatic replies",
    );
    let mut items = ItemOutcomes::new(LABEL);
    let mut users = Vec::new();
    for (user, outcome) in plan.users.iter().zip(outcomes) {
        match outcome {
            Ok(settings) => {
                let setting = settings
                    .get("automaticRepliesSetting")
                    .cloned()
                    .unwrap_or(settings);
                users.push(
                    json!({"user": user, "status": "updated", "automaticRepliesSetting": setting}),
                );
                items.push(
                    ItemOutcome::succeeded(user, "updated")
                        .with("automaticRepliesSetting", setting),
                );
            }
            Err(e) => {
                users.push(
                    json!({"user": user, "status": "failed", "automaticRepliesSetting": null}),
                );
                items.push(ItemOutcome::failed(user, e));
            }
        }
    }
    let mut result = items.result();
    result.key_fields = json!({
        "status": plan.setting["status"],
        "updated-users": items.items().iter().filter(|i| i.status == ItemStatus::Succeeded).map(|i| i.item.clone()).collect::<Vec<_>>(),
        "failed": items.count(ItemStatus::Failed),
    });
    result.context_data = json!({"users": users});
    Ok(result)
}

pub fn setup_auto_reply(env: &dyn Env, conn: &Connection, input: &Input) -> CommandResult {
    execute(env, conn, LABEL, |_| parse(input), run)
}

/// What Setup Auto Reply declares: the manifest entry, the input it reads, the runner.
pub const SPEC: CommandSpec = CommandSpec {
    name: "setup-auto-reply",
    label: "Setup Auto Reply",
    description: "Configures the automatic replies of the specified accounts; settings not given keep their current value.",
    deprecated: false,
    run: |env, conn, v| Ok(setup_auto_reply(env, conn, &Input::read(v)?)),
    parameters: &[
        param(
            "user-ids",
            "User IDs Or User Principal Names",
            ParamType::TextList,
            true,
        )
        .example("[\"alex.wilber@contoso.example\"]"),
        param("status", "Status", ParamType::Choice, false)
            .choices(&["Always Enabled", "Scheduled", "Disabled"])
            .default("Always Enabled")
            .example("Scheduled"),
        param(
            "scheduled-start-time",
            "Scheduled Start Time",
            ParamType::DateTime,
            false,
        )
        .example("2023-10-10 00:00")
        .describe("UTC. Default: the current scheduled start time."),
        param(
            "scheduled-end-time",
            "Scheduled End Time",
            ParamType::DateTime,
            false,
        )
        .example("2023-10-20 00:00")
        .describe("UTC. Default: the current scheduled end time."),
        param(
            "internal-reply-message",
            "Internal Reply Message",
            ParamType::Text,
            false,
        )
        .describe("HTML for senders inside the organization. Default: the current message."),
        param(
            "external-reply-message",
            "External Reply Message",
            ParamType::Text,
            false,
        )
        .describe("HTML for senders outside the organization. Default: the current message."),
    ],
    permissions: Permissions {
        delegated: &["MailboxSettings.ReadWrite"],
        application: &["MailboxSettings.ReadWrite"],
        note: Some(
            "With Authorization Code only the signed-in user's own settings can be changed.",
        ),
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_fields_are_sent() {
        let p = parse(&Input {
            user_ids: vec!["a@t.example".into()],
            status: Some(AutoReplyStatus::Scheduled),
            scheduled_end_time: Some("2023-10-20 00:00".into()),
            internal_reply_message: Some("<p>Out</p>".into()),
            ..Input::default()
        })
        .unwrap();
        assert_eq!(
            Value::Object(p.setting),
            json!({"status": "scheduled",
                   "scheduledEndDateTime": {"dateTime": "2023-10-20T00:00:00", "timeZone": "UTC"},
                   "internalReplyMessage": "<p>Out</p>"})
        );
    }

    #[test]
    fn default_status_is_always_enabled_and_end_must_follow_start() {
        let p = parse(&Input {
            user_ids: vec!["a@t.example".into()],
            ..Input::default()
        })
        .unwrap();
        assert_eq!(Value::Object(p.setting), json!({"status": "alwaysEnabled"}));
        let e = parse(&Input {
            user_ids: vec!["a@t.example".into()],
            scheduled_start_time: Some("2023-10-20 00:00".into()),
            scheduled_end_time: Some("2023-10-10 00:00".into()),
            ..Input::default()
        })
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Scheduled End Time: must be after"),
            "{e}"
        );
    }
}
