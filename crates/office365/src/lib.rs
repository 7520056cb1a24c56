//! The Office 365 guest component: WIT glue around `o365-core`, with a wasi:http transport.

mod convert;
mod wasi_env;

use o365_core::auth;
use o365_core::commands::{create_mail_folder, list_mail_folders, test_connection};
use o365_core::retry::RetryPolicy;

wit_bindgen::generate!({
    world: "plugin",
    path: "../../wit",
    generate_all,
});

use exports::soar::office365::commands::{CreateMailFolderInput, ListMailFoldersInput};
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
}

export!(Component);
