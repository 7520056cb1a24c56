//! The Office 365 guest component: WIT glue around `o365-core`, with a wasi:http transport.

mod convert;
mod wasi_env;

use o365_core::auth;
use o365_core::commands::{
    create_mail_folder, delete_message, delete_users, list_mail_folders, move_copy,
    remove_licenses, reply, report_emails, search_move, send_mail, setup_auto_reply,
    test_connection,
};
use o365_core::retry::RetryPolicy;

wit_bindgen::generate!({
    world: "plugin",
    path: "../../wit",
    generate_all,
});

use exports::soar::office365::commands::{
    CreateMailFolderInput, ListMailFoldersInput, MessagesInput, MoveOrCopyEmailMessagesInput,
    ReplyMailInput, ReportEmailsInput, SearchAndMoveOrCopyEmailMessagesInput, SendMailInput,
    SetupAutoReplyInput, UsersInput,
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
    ) -> Result<RefreshTokenGrant, CommandError> {
        let conn = convert::connection(connection);
        auth::get_refresh_token(
            &wasi_env::WasiEnv,
            &conn,
            code_verifier.as_deref(),
            RetryPolicy::default(),
        )
        .map(|g| RefreshTokenGrant {
            refresh_token: g.refresh_token,
            granted_scope: g.granted_scope,
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

    fn delete_email_message(connection: Connection, input: MessagesInput) -> CommandResult {
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

    fn move_email_to_junk_box(connection: Connection, input: MessagesInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(move_copy::move_email_to_junk_box(
            &wasi_env::WasiEnv,
            &conn,
            &convert::messages(input),
        ))
    }

    fn remove_office365_email(connection: Connection, input: MessagesInput) -> CommandResult {
        let conn = convert::connection(connection);
        convert::result(delete_message::remove_office365_email(
            &wasi_env::WasiEnv,
            &conn,
            &convert::messages(input),
        ))
    }
}

export!(Component);
