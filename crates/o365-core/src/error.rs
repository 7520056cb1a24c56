//! One error type for everything that can stop a command, and how each reads to a user.

use crate::http::HttpResponse;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Bad input, found before any HTTP call. `parameter` is the seed's label.
    #[error("{}", input_text(parameter, message))]
    Input { parameter: String, message: String },

    /// The identity platform refused a token request.
    #[error("{message}")]
    Token {
        status: u16,
        error: String,
        aadsts: Option<u64>,
        message: String,
    },

    /// Graph answered with an error body.
    #[error("{message}")]
    Graph {
        status: u16,
        code: String,
        message: String,
        /// What usually causes this code and what to do, when known.
        hint: Option<String>,
    },

    /// Retries ran out on 429/503/504.
    #[error("{message}")]
    Throttled { status: u16, message: String },

    /// The host would not let the request out.
    #[error("{0}")]
    Denied(String),

    /// No response (reset, timeout, refused).
    #[error("{0}")]
    Network(String),

    /// A response we cannot use (malformed body, paging that leaves the cloud).
    #[error("{0}")]
    Protocol(String),

    /// A request the transport could not send as built; it never left.
    #[error("{0}")]
    Unsendable(String),

    /// A response body past its cap; not fetched again.
    #[error("{message}")]
    TooLarge { limit: u64, message: String },

    /// The command's overall deadline passed.
    #[error("{0}")]
    Deadline(String),
}

impl Error {
    pub fn input(parameter: &str, message: impl Into<String>) -> Error {
        Error::Input {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }

    /// The status code for the Error tab: the HTTP status when there was one, 400 for
    /// bad input (as the vendor document does), 403 for a denied host, 502/504 otherwise.
    pub fn status_code(&self) -> u16 {
        match self {
            Error::Input { .. } => 400,
            Error::Token { status, .. }
            | Error::Graph { status, .. }
            | Error::Throttled { status, .. } => *status,
            Error::Denied(_) => 403,
            Error::Network(_) | Error::Deadline(_) => 504,
            Error::Protocol(_) | Error::TooLarge { .. } => 502,
            Error::Unsendable(_) => 500,
        }
    }

    /// Graph's error code or the token error, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Graph { code, .. } => Some(code),
            Error::Token { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Parses a Graph error response (`{"error":{"code","message"}}`, reference §5.2).
    pub fn from_graph_response(response: &HttpResponse) -> Error {
        let body = response.json();
        let err = body.as_ref().and_then(|b| b.get("error"));
        let code = err
            .and_then(|e| e.get("code"))
            .and_then(|c| c.as_str())
            .unwrap_or("UnknownError")
            .to_string();
        let message = err
            .and_then(|e| e.get("message"))
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(&response.body);
                let text: String = text.chars().take(200).collect();
                if text.trim().is_empty() {
                    format!("HTTP {} with an empty body", response.status)
                } else {
                    text
                }
            });
        Error::Graph {
            status: response.status,
            hint: graph_hint(&code).map(str::to_string),
            code,
            message,
        }
    }

    /// Graph's "no such item" for an id the user gave: the message names the parameter,
    /// and `hint` says where valid ids come from.
    pub fn for_parameter_with(self, parameter: &str, value: &str, hint: &str) -> Error {
        match self {
            Error::Graph {
                status,
                code,
                message,
                ..
            } if code == "ErrorItemNotFound" || code == "ErrorInvalidIdMalformed" => Error::Graph {
                status,
                message: format!(
                    "{parameter} '{value}' was not found in this mailbox ({message})."
                ),
                hint: Some(hint.to_string()),
                code,
            },
            other => other,
        }
    }

    /// [`Error::for_parameter_with`] for folder parameters.
    pub fn for_parameter(self, parameter: &str, value: &str) -> Error {
        self.for_parameter_with(parameter, value, "Run List Mail Folders for valid ids.")
    }

    /// The Error tab's message: Graph's code and text, with a hint for the usual causes.
    pub fn user_message(&self) -> String {
        match self {
            Error::Graph {
                code,
                message,
                hint,
                ..
            } => match hint {
                Some(hint) => format!("{code}: {message} {hint}"),
                None => format!("{code}: {message}"),
            },
            other => other.to_string(),
        }
    }
}

/// "Label: what is wrong", unless the message already names the parameter (the seed's
/// wordings: "The parameter 'Email Address' is required ...", "Filter and Search cannot
/// be used at the same time").
fn input_text(parameter: &str, message: &str) -> String {
    if message.contains(&format!("'{parameter}'")) || message.starts_with(parameter) {
        message.to_string()
    } else {
        format!("{parameter}: {message}")
    }
}

fn graph_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "ErrorAccessDenied" | "Authorization_RequestDenied" => {
            "The app registration lacks a permission this command needs (run Test Connection to see which)."
        }
        "NoPermissionsInAccessToken" => {
            "The token carries no Graph permission: add API permissions to the app and grant admin consent."
        }
        "ErrorInvalidUser" | "MailboxNotEnabledForRESTAPI" | "ResourceNotFound" => {
            "Check the mailbox address: it must be an Exchange Online mailbox of this tenant."
        }
        "ErrorItemNotFound" => {
            "The id does not exist in this mailbox (a moved message gets a new id)."
        }
        "ErrorInvalidIdMalformed" => "The id is not a Graph id of this mailbox.",
        "InvalidAuthenticationToken" => {
            "The access token was refused even after a fresh one was fetched: check the Microsoft 365 Environment."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_error_body_is_parsed() {
        let resp = HttpResponse {
            status: 404,
            headers: vec![],
            body: br#"{"error":{"code":"ErrorItemNotFound","message":"The specified object was not found in the store."}}"#.to_vec(),
        };
        let e = Error::from_graph_response(&resp);
        assert_eq!(e.status_code(), 404);
        assert_eq!(e.code(), Some("ErrorItemNotFound"));
        assert!(
            e.user_message()
                .starts_with("ErrorItemNotFound: The specified object")
        );
    }

    #[test]
    fn non_json_error_keeps_some_text() {
        let resp = HttpResponse {
            status: 502,
            headers: vec![],
            body: b"<html>Bad gateway</html>".to_vec(),
        };
        let e = Error::from_graph_response(&resp);
        assert_eq!(e.code(), Some("UnknownError"));
        assert!(e.user_message().contains("Bad gateway"));
    }
}
