//! Between the WIT types and the core's types.

use o365_core::commands::move_copy::{Action, MessagesInput as CoreMessages};
use o365_core::commands::reply;
use o365_core::commands::report_emails::Category;
use o365_core::commands::send_mail::ReplyMode as CoreReplyMode;
use o365_core::commands::setup_auto_reply::AutoReplyStatus as CoreStatus;
use o365_core::compose::files::FileSource as CoreFileSource;
use o365_core::error::Error;
use o365_core::manifest as core_manifest;
use o365_core::model as core;

use crate::exports::soar::office365::commands::{
    AutoReplyStatus, FileSource, MessageItemsInput, MoveOrCopy, ReplyMailInput, ReplyMode,
    ReportCategory,
};
use crate::soar::office365::manifest::{
    CommandInfo, ParamType, Parameter, Permissions, PluginManifest,
};
use crate::soar::office365::types::{
    CommandError, CommandResult, Connection, Environment, Grant, Status, StoredFile,
};

pub fn connection(c: Connection) -> core::Connection {
    core::Connection {
        environment: match c.environment {
            Environment::CommercialGcc => core::Environment::CommercialGcc,
            Environment::GccHigh => core::Environment::GccHigh,
            Environment::Dod => core::Environment::Dod,
            Environment::China => core::Environment::China,
        },
        tenant_id: c.tenant_id,
        grant: match c.grant {
            Grant::ClientCredentials(g) => {
                core::Grant::ClientCredentials(core::ClientCredentials {
                    client_id: g.client_id,
                    client_secret: g.client_secret,
                })
            }
            Grant::AuthorizationCode(g) => {
                core::Grant::AuthorizationCode(core::AuthorizationCode {
                    client_id: g.client_id,
                    client_secret: g.client_secret,
                    scope: g.scope,
                    callback_url: g.callback_url,
                    authorization_code: g.authorization_code,
                    refresh_token: g.refresh_token,
                    account: g.account,
                })
            }
        },
        api_version: c.api_version,
    }
}

/// The core's wire result (JSON parts as scrubbed text) in WIT types.
pub fn result(r: core::CommandResult) -> CommandResult {
    let w = r.into_wire();
    CommandResult {
        status: match w.status {
            core::Status::Successful => Status::Successful,
            core::Status::PartiallySuccessful => Status::PartiallySuccessful,
            core::Status::Failed => Status::Failed,
        },
        raw_data: w.raw_data,
        key_fields: w.key_fields,
        context_data: w.context_data,
        errors: w.errors.into_iter().map(command_error).collect(),
        events: w.events,
        files: w
            .files
            .into_iter()
            .map(|f| StoredFile {
                file_id: f.file_id,
                name: f.name,
                content_type: f.content_type,
                size: f.size,
                md5: f.md5,
                sha1: f.sha1,
                sha256: f.sha256,
            })
            .collect(),
    }
}

fn command_error(e: core::CommandError) -> CommandError {
    CommandError {
        failure_indicator: e.failure_indicator,
        status_code: e.status_code,
        message: e.message,
    }
}

/// A button's error, scrubbed of the connection's secrets like command results are.
pub fn action_error(label: &str, error: &Error, conn: &core::Connection) -> CommandError {
    let mut r = o365_core::commands::failed(label, error);
    r.redact(&conn.secrets());
    command_error(r.errors.remove(0))
}

pub fn manifest() -> PluginManifest {
    PluginManifest {
        name: core_manifest::PLUGIN_NAME.to_string(),
        version: core_manifest::PLUGIN_VERSION.to_string(),
        commands: core_manifest::commands()
            .iter()
            .map(|c| command_info(c))
            .collect(),
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn command_info(c: &core_manifest::CommandSpec) -> CommandInfo {
    CommandInfo {
        name: c.name.into(),
        label: c.label.into(),
        description: core_manifest::full_description(c),
        deprecated: c.deprecated,
        parameters: c
            .parameters
            .iter()
            .map(|p| Parameter {
                name: p.name.into(),
                label: p.label.into(),
                param_type: match p.param_type {
                    core_manifest::ParamType::Text => ParamType::Text,
                    core_manifest::ParamType::Boolean => ParamType::Boolean,
                    core_manifest::ParamType::Integer => ParamType::Integer,
                    core_manifest::ParamType::TextList => ParamType::TextList,
                    core_manifest::ParamType::DateTime => ParamType::DateTime,
                    core_manifest::ParamType::Choice => ParamType::Choice,
                    core_manifest::ParamType::Json => ParamType::Json,
                },
                required: p.required,
                default_value: p.default_value.map(str::to_string),
                example: p.example.map(str::to_string),
                choices: strings(p.choices),
                description: p.description.into(),
            })
            .collect(),
        permissions: Permissions {
            delegated: strings(c.permissions.delegated),
            application: strings(c.permissions.application),
            note: c.permissions.note.map(str::to_string),
        },
    }
}

pub fn action(a: MoveOrCopy) -> Action {
    match a {
        MoveOrCopy::Move => Action::Move,
        MoveOrCopy::Copy => Action::Copy,
    }
}

pub fn messages(m: MessageItemsInput) -> CoreMessages {
    CoreMessages {
        email_addresses: m.email_addresses,
        message_ids: m.message_ids,
    }
}

pub fn file_source(f: FileSource) -> CoreFileSource {
    match f {
        FileSource::IncidentAttachmentFile => CoreFileSource::IncidentAttachmentFile,
        FileSource::PlaybookFile => CoreFileSource::PlaybookFile,
        FileSource::ArtifactFile => CoreFileSource::ArtifactFile,
    }
}

pub fn reply_mode(m: ReplyMode) -> CoreReplyMode {
    match m {
        ReplyMode::NoReply => CoreReplyMode::NoReply,
        ReplyMode::RequireReply => CoreReplyMode::RequireReply,
        ReplyMode::RequireAllReply => CoreReplyMode::RequireAllReply,
        ReplyMode::RequireApproval => CoreReplyMode::RequireApproval,
        ReplyMode::RequireAllApproval => CoreReplyMode::RequireAllApproval,
        ReplyMode::FirstToApproveReject => CoreReplyMode::FirstToApproveReject,
    }
}

pub fn auto_reply_status(s: AutoReplyStatus) -> CoreStatus {
    match s {
        AutoReplyStatus::AlwaysEnabled => CoreStatus::AlwaysEnabled,
        AutoReplyStatus::Scheduled => CoreStatus::Scheduled,
        AutoReplyStatus::Disabled => CoreStatus::Disabled,
    }
}

pub fn category(c: ReportCategory) -> Category {
    match c {
        ReportCategory::Phishing => Category::Phishing,
        ReportCategory::Spam => Category::Spam,
    }
}

pub fn reply(r: ReplyMailInput) -> reply::Input {
    reply::Input {
        sender_email: r.sender_email,
        message_id: r.message_id,
        subject: r.subject,
        content: r.content,
        file_ids: r.file_ids,
        file_source: r.file_source.map(file_source),
    }
}
