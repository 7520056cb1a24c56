//! A hostile component of world `plugin`, for the isolation tests and benchmarks only.
//!
//! It implements every export, but `list-mail-folders` is its way in: `parent-folder-id`
//! names an attack and `email-addresses` carries the attack's arguments. Each attack tries
//! to escape one bound of the host (egress, another connection's state, memory, CPU, log
//! volume, result shape) and, when it survives, reports in `raw-data` what it managed,
//! so a test can assert that nothing got through. Secrets it finds are reported as
//! SHA-256 digests, never as themselves, so a redactor cannot hide a real leak.

mod attacks;
mod conn;
mod net;
mod report;

use exports::soar::office365::commands::{
    AttachmentsInput, CreateMailFolderInput, FetchEventInput, FetchRelatedEventsInput,
    ListMailFoldersInput, ListMessageRulesInput, MessageItemsInput, MoveOrCopyEmailMessagesInput,
    ReplyMailInput, ReportEmailsInput, SearchAndMoveOrCopyEmailMessagesInput,
    SearchOffice365EmailInput, SendMailInput, SetupAutoReplyInput, UsersInput,
};
use exports::soar::office365::connection_actions::{AuthorizationRequest, RefreshTokenGrant};
use soar::office365::manifest::{CommandInfo, ParamType, Parameter, Permissions};
use soar::office365::types::{CommandError, CommandResult, Connection};

wit_bindgen::generate!({
    world: "plugin",
    path: "../../wit",
    generate_all,
});

struct Component;

impl Guest for Component {
    fn describe() -> PluginManifest {
        PluginManifest {
            name: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            commands: vec![CommandInfo {
                name: "list-mail-folders".into(),
                label: "List Mail Folders".into(),
                description: "Runs the attack named by Parent Folder ID.".into(),
                deprecated: false,
                parameters: vec![
                    parameter("email-addresses", "Email Addresses", ParamType::TextList),
                    parameter(
                        "include-hidden-folders",
                        "Include Hidden Folders",
                        ParamType::Boolean,
                    ),
                    parameter("parent-folder-id", "Parent Folder ID", ParamType::Text),
                ],
                permissions: Permissions {
                    delegated: Vec::new(),
                    application: Vec::new(),
                    note: None,
                },
            }],
        }
    }
}

fn parameter(name: &str, label: &str, param_type: ParamType) -> Parameter {
    Parameter {
        name: name.into(),
        label: label.into(),
        param_type,
        required: false,
        default_value: None,
        example: None,
        choices: Vec::new(),
        description: String::new(),
    }
}

impl exports::soar::office365::connection_actions::Guest for Component {
    fn get_authorization(_connection: Connection) -> Result<AuthorizationRequest, CommandError> {
        Err(CommandError {
            failure_indicator: "Get Authorization failed.".into(),
            status_code: 400,
            message: "the hostile component has no authorization flow".into(),
        })
    }

    /// The one result a host passes through unredacted: try to hand out the refresh
    /// token the cache holds under the key the real guest uses.
    fn get_refresh_token(
        connection: Connection,
        _code_verifier: Option<String>,
        _state: Option<String>,
    ) -> Result<RefreshTokenGrant, CommandError> {
        let key = conn::cache_key(&connection);
        match soar::office365::token_cache::get_refresh_token(&key) {
            Some(refresh_token) => Ok(RefreshTokenGrant {
                refresh_token,
                granted_scope: String::new(),
                account: None,
            }),
            None => Err(CommandError {
                failure_indicator: "Get Refresh Token failed.".into(),
                status_code: 404,
                message: "no refresh token under the connection's cache key".into(),
            }),
        }
    }
}

/// Every command but `list-mail-folders` answers the same harmless result.
macro_rules! idle_commands {
    ($($name:ident ( $($input:ty)? );)*) => {
        $(
            fn $name(_connection: Connection $(, _input: $input)?) -> CommandResult {
                report::idle()
            }
        )*
    };
}

impl exports::soar::office365::commands::Guest for Component {
    fn list_mail_folders(connection: Connection, input: ListMailFoldersInput) -> CommandResult {
        let attack = input.parent_folder_id.unwrap_or_default();
        attacks::run(&connection, &attack, &input.email_addresses)
    }

    idle_commands! {
        test_connection();
        create_mail_folder(CreateMailFolderInput);
        fetch_event(FetchEventInput);
        fetch_related_events(FetchRelatedEventsInput);
        get_email_messages(MessageItemsInput);
        get_email_emls(MessageItemsInput);
        get_email_attachments(AttachmentsInput);
        list_message_rules(ListMessageRulesInput);
        search_office365_email(SearchOffice365EmailInput);
        get_eml_attachment(AttachmentsInput);
        move_or_copy_email_messages(MoveOrCopyEmailMessagesInput);
        delete_email_message(MessageItemsInput);
        search_and_move_or_copy_email_messages(SearchAndMoveOrCopyEmailMessagesInput);
        send_mail(SendMailInput);
        reply_mail(ReplyMailInput);
        reply_all(ReplyMailInput);
        report_emails(ReportEmailsInput);
        setup_auto_reply(SetupAutoReplyInput);
        delete_user_accounts(UsersInput);
        remove_licenses(UsersInput);
        move_email_to_junk_box(MessageItemsInput);
        remove_office365_email(MessageItemsInput);
    }
}

/// The JSON entry point leads to the same attacks: `list-mail-folders` with the real
/// guest's input reading, every other command idle.
impl exports::soar::office365::json_entry::Guest for Component {
    fn invoke(command: String, connection: String, input: String) -> CommandResult {
        let Some(info) = o365_core::invoke::find(&command) else {
            return report::idle();
        };
        if info.name != "list-mail-folders" {
            return report::idle();
        }
        let read = o365_core::connection_json::from_text(&connection).and_then(|c| {
            let values = o365_core::input::Values::from_text(&input, info.parameters)?;
            Ok((
                c,
                values.optional_text("parent-folder-id")?,
                values.list("email-addresses")?,
            ))
        });
        match read {
            Ok((c, attack, arguments)) => {
                attacks::run(&conn::from_core(c), &attack.unwrap_or_default(), &arguments)
            }
            Err(_) => report::idle(),
        }
    }
}

export!(Component);
