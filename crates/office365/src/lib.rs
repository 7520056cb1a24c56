//! The Office 365 guest component: WIT glue around `o365-core`, with a wasi:http transport.

mod convert;
mod wasi_env;

use o365_core::auth;
use o365_core::commands::{
    create_mail_folder, delete_message, delete_users, fetch_event, fetch_related_events,
    get_email_attachments, get_email_emls, get_email_messages, list_mail_folders,
    list_message_rules, move_copy, remove_licenses, reply, report_emails, search_email,
    search_move, send_mail, setup_auto_reply, test_connection,
};
use o365_core::retry::RetryPolicy;

wit_bindgen::generate!({
    world: "plugin",
    path: "../../wit",
    generate_all,
});

use exports::soar::office365::commands::{
    AttachmentsInput, CreateMailFolderInput, FetchEventInput, FetchRelatedEventsInput,
    ListMailFoldersInput, ListMessageRulesInput, MessageItemsInput, MoveOrCopyEmailMessagesInput,
    ReplyMailInput, ReportEmailsInput, SearchAndMoveOrCopyEmailMessagesInput,
    SearchOffice365EmailInput, SendMailInput, SetupAutoReplyInput, UsersInput,
};
use exports::soar::office365::connection_actions::{AuthorizationRequest, RefreshTokenGrant};
use soar::office365::types::{CommandError, CommandResult, Connection};

struct Component;

impl Guest for Component {
    fn describe() -> PluginManifest {
        convert::manifest()
    }
}

impl exports::soar::office365::connection_actions::Guest for Component {
    fn get_authorization(connection: Connection) -> Result<AuthorizationRequest, CommandError> {
        let conn = convert::connection(connection);
        auth::get_authorization(&wasi_env::WasiEnv, &conn)
            .map(|r| AuthorizationRequest {
                url: r.url,
                state: r.state,
                code_verifier: r.code_verifier,
            })
            .map_err(|e| convert::action_error("Get Authorization", &e, &conn))
    }

    fn get_refresh_token(
        connection: Connection,
        code_verifier: Option<String>,
        state: Option<String>,
    ) -> Result<RefreshTokenGrant, CommandError> {
        let conn = convert::connection(connection);
        auth::get_refresh_token(
            &wasi_env::WasiEnv,
            &conn,
            code_verifier.as_deref(),
            state.as_deref(),
            RetryPolicy::default(),
        )
        .map(|g| RefreshTokenGrant {
            refresh_token: g.refresh_token,
            granted_scope: g.granted_scope,
            account: g.account,
        })
        .map_err(|e| convert::action_error("Get Refresh Token", &e, &conn))
    }
}

impl exports::soar::office365::commands::Guest for Component {
    fn test_connection(connection: Connection) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(test_connection::test_connection(&wasi_env::WasiEnv, &conn))
    }

    fn list_mail_folders(connection: Connection, input: ListMailFoldersInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = list_mail_folders::Input {
            email_addresses: input.email_addresses,
            include_hidden_folders: input.include_hidden_folders,
            parent_folder_id: input.parent_folder_id,
        };
        convert::result(list_mail_folders::list_mail_folders(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn create_mail_folder(connection: Connection, input: CreateMailFolderInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = create_mail_folder::Input {
            email_address: input.email_address,
            destination_mail_folder_id: input.destination_mail_folder_id,
            new_folder_name: input.new_folder_name,
            is_hidden: input.is_hidden,
        };
        convert::result(create_mail_folder::create_mail_folder(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn fetch_event(connection: Connection, input: FetchEventInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = fetch_event::Input {
            email_address: input.email_address,
            mail_folders: input.mail_folders,
            start_time: input.start_time,
            end_time: input.end_time,
            number_of_events_fetched: input.number_of_events_fetched,
            filter: input.filter,
            search_condition: input.search_condition,
            tolerance_scope: input.tolerance_scope,
            use_immutable_ids: input.use_immutable_ids,
            cursor: input.cursor,
        };
        convert::result(fetch_event::fetch_event(&wasi_env::WasiEnv, &conn, &input))
    }

    fn fetch_related_events(
        connection: Connection,
        input: FetchRelatedEventsInput,
    ) -> CommandResult {
        let conn = convert::connection(connection);
        let input = fetch_related_events::Input {
            email_address: input.email_address,
            mail_folder: input.mail_folder,
            the_hours_before: input.the_hours_before,
            top_recent_event_number: input.top_recent_event_number,
            filter: input.filter,
            search: input.search,
            use_immutable_ids: input.use_immutable_ids,
        };
        convert::result(fetch_related_events::fetch_related_events(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn get_email_messages(connection: Connection, input: MessageItemsInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = get_email_messages::Input {
            email_addresses: input.email_addresses,
            message_ids: input.message_ids,
        };
        convert::result(get_email_messages::get_email_messages(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn get_email_emls(connection: Connection, input: MessageItemsInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = get_email_emls::Input {
            email_addresses: input.email_addresses,
            message_ids: input.message_ids,
        };
        convert::result(get_email_emls::get_email_emls(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn get_email_attachments(connection: Connection, input: AttachmentsInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(get_email_attachments::get_email_attachments(
            &wasi_env::WasiEnv,
            &conn,
            &attachments_input(input),
        ))
    }

    fn list_message_rules(connection: Connection, input: ListMessageRulesInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = list_message_rules::Input {
            user_principal_name: input.user_principal_name,
            rule_name: input.rule_name,
        };
        convert::result(list_message_rules::list_message_rules(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn search_office365_email(
        connection: Connection,
        input: SearchOffice365EmailInput,
    ) -> CommandResult {
        let conn = convert::connection(connection);
        let input = search_email::Input {
            email_address: input.email_address,
            mail_folder: input.mail_folder,
            filter: input.filter,
            search_condition: input.search_condition,
            number_of_results: input.number_of_results,
        };
        convert::result(search_email::search_email(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn get_eml_attachment(connection: Connection, input: AttachmentsInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(get_email_attachments::get_eml_attachment(
            &wasi_env::WasiEnv,
            &conn,
            &attachments_input(input),
        ))
    }

    fn move_or_copy_email_messages(
        connection: Connection,
        input: MoveOrCopyEmailMessagesInput,
    ) -> CommandResult {
        let conn = convert::connection(connection);
        let input = move_copy::Input {
            email_addresses: input.email_addresses,
            message_ids: input.message_ids,
            destination_mail_folder: input.destination_mail_folder,
            move_or_copy: convert::action(input.move_or_copy),
        };
        convert::result(move_copy::move_or_copy_email_messages(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn delete_email_message(connection: Connection, input: MessageItemsInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(delete_message::delete_email_message(
            &wasi_env::WasiEnv,
            &conn,
            &convert::messages(input),
        ))
    }

    fn search_and_move_or_copy_email_messages(
        connection: Connection,
        input: SearchAndMoveOrCopyEmailMessagesInput,
    ) -> CommandResult {
        let conn = convert::connection(connection);
        let input = search_move::Input {
            email_address: input.email_address,
            email_subject: input.email_subject,
            sender_email_address: input.sender_email_address,
            destination_mail_folder: input.destination_mail_folder,
            move_or_copy: convert::action(input.move_or_copy),
            dry_run: input.dry_run,
        };
        convert::result(search_move::search_and_move_or_copy_email_messages(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn send_mail(connection: Connection, input: SendMailInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = send_mail::Input {
            mailbox_address: input.mailbox_address,
            subject: input.subject,
            content: input.content,
            to_recipients: input.to_recipients,
            cc_recipients: input.cc_recipients,
            bcc_recipients: input.bcc_recipients,
            file_ids: input.file_ids,
            file_source: input.file_source.map(convert::file_source),
            reply_mode: input.reply_mode.map(convert::reply_mode),
            reply_due_time: input.reply_due_time,
            send_as: input.send_as,
            reply_to: input.reply_to,
        };
        convert::result(send_mail::send_mail(&wasi_env::WasiEnv, &conn, &input))
    }

    fn reply_mail(connection: Connection, input: ReplyMailInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(reply::reply_mail(
            &wasi_env::WasiEnv,
            &conn,
            &convert::reply(input),
        ))
    }

    fn reply_all(connection: Connection, input: ReplyMailInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(reply::reply_all(
            &wasi_env::WasiEnv,
            &conn,
            &convert::reply(input),
        ))
    }

    fn report_emails(connection: Connection, input: ReportEmailsInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = report_emails::Input {
            user_id_or_email_address: input.user_id_or_email_address,
            message_ids: input.message_ids,
            category: input.category.map(convert::category),
        };
        convert::result(report_emails::report_emails(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn setup_auto_reply(connection: Connection, input: SetupAutoReplyInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = setup_auto_reply::Input {
            user_ids: input.user_ids,
            status: input.status.map(convert::auto_reply_status),
            scheduled_start_time: input.scheduled_start_time,
            scheduled_end_time: input.scheduled_end_time,
            internal_reply_message: input.internal_reply_message,
            external_reply_message: input.external_reply_message,
        };
        convert::result(setup_auto_reply::setup_auto_reply(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn delete_user_accounts(connection: Connection, input: UsersInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = delete_users::Input {
            user_ids: input.user_ids,
            dry_run: input.dry_run,
        };
        convert::result(delete_users::delete_user_accounts(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn remove_licenses(connection: Connection, input: UsersInput) -> CommandResult {
        let conn = convert::connection(connection);
        let input = remove_licenses::Input {
            user_ids: input.user_ids,
            dry_run: input.dry_run,
        };
        convert::result(remove_licenses::remove_licenses(
            &wasi_env::WasiEnv,
            &conn,
            &input,
        ))
    }

    fn move_email_to_junk_box(connection: Connection, input: MessageItemsInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(move_copy::move_email_to_junk_box(
            &wasi_env::WasiEnv,
            &conn,
            &convert::messages(input),
        ))
    }

    fn remove_office365_email(connection: Connection, input: MessageItemsInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(delete_message::remove_office365_email(
            &wasi_env::WasiEnv,
            &conn,
            &convert::messages(input),
        ))
    }
}

fn attachments_input(input: AttachmentsInput) -> get_email_attachments::Input {
    get_email_attachments::Input {
        email_addresses: input.email_addresses,
        message_ids: input.message_ids,
        max_attachment_size_mb: input.max_attachment_size_mb,
    }
}

impl exports::soar::office365::json_entry::Guest for Component {
    fn invoke(command: String, connection: String, input: String) -> CommandResult {
        convert::result(o365_core::invoke::invoke(
            &wasi_env::WasiEnv,
            &command,
            &connection,
            &input,
        ))
    }
}

export!(Component);
