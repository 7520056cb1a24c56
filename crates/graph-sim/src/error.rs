//! Error bodies in the exact shapes clients branch on: Graph's
//! `{"error":{code,message,innerError}}` and AAD's token-endpoint errors.

use http::StatusCode;
use serde_json::{Value, json};

use crate::time;
use crate::wire::{self, ReqMeta, Resp};

/// A Graph API error; rendered with per-request ids by [`GraphError::render`].
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra response headers (Retry-After, WWW-Authenticate).
    pub headers: Vec<(&'static str, String)>,
}

impl GraphError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 401 InvalidAuthenticationToken; carries the challenge header Graph sends.
    pub(crate) fn unauthenticated(message: impl Into<String>) -> Self {
        GraphError::new(401, "InvalidAuthenticationToken", message).with_header(
            "WWW-Authenticate",
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
        )
    }

    /// 400 BadRequest for a path segment no route knows.
    pub(crate) fn unknown_segment(segment: &str) -> Self {
        GraphError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    /// 403 for mailbox (Exchange) resources.
    pub(crate) fn access_denied() -> Self {
        GraphError::new(
            403,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        )
    }

    /// 403 for directory resources.
    pub(crate) fn directory_denied() -> Self {
        GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// The canned error a status fault answers with, per status.
    pub(crate) fn for_status(status: u16) -> Self {
        let (code, message) = match status {
            429 => ("TooManyRequests", "Please retry again later."),
            503 => (
                "ServiceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            ),
            504 => ("UnknownError", ""),
            500 => ("InternalServerError", "An internal server error occurred."),
            502 => ("BadGateway", "The service is temporarily unavailable."),
            401 => (
                "InvalidAuthenticationToken",
                "Access token validation failure.",
            ),
            403 => (
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            ),
            404 => (
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            ),
            409 => ("Conflict", "The request conflicts with the current state."),
            _ => ("BadRequest", "The request is invalid."),
        };
        GraphError::new(status, code, message)
    }

    pub(crate) fn render(&self, meta: &ReqMeta) -> Resp {
        let client_id = meta
            .client_request_id
            .clone()
            .unwrap_or_else(|| meta.request_id.clone());
        let mut inner = json!({
            "date": time::graph_date(meta.now),
            "request-id": meta.request_id,
            "client-request-id": client_id,
        });
        // Throttling answers carry a few more inner fields (reference §5.1).
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            inner["code"] = json!("429");
            inner["message"] = json!("Please retry after");
            inner["status"] = json!("429");
        }
        let body =
            json!({"error": {"code": self.code, "message": self.message, "innerError": inner}});
        let mut headers: Vec<(&str, String)> = vec![
            ("request-id", meta.request_id.clone()),
            ("client-request-id", client_id),
        ];
        headers.extend(self.headers.iter().map(|(n, v)| (*n, v.clone())));
        wire::json_with(self.status, "application/json", &body, &headers)
    }
}

/// An error of the v2.0 token/authorize endpoints (reference §1.7).
#[derive(Debug, Clone)]
pub(crate) struct AadError {
    pub status: StatusCode,
    /// OAuth error, e.g. `invalid_grant`.
    pub error: &'static str,
    /// AADSTS number.
    pub code: u32,
    /// Text after `AADSTSnnnn: `.
    pub message: String,
}

impl AadError {
    pub(crate) fn new(
        status: u16,
        error: &'static str,
        code: u32,
        message: impl Into<String>,
    ) -> Self {
        AadError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            error,
            code,
            message: message.into(),
        }
    }

    /// AADSTS900144: a required form field is absent.
    pub(crate) fn missing(field: &str) -> Self {
        AadError::new(
            400,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{field}'."),
        )
    }

    /// The JSON body, with the trace/correlation trailer AAD appends.
    pub(crate) fn body(&self, meta: &ReqMeta) -> Value {
        let stamp = time::aad_timestamp(meta.now);
        let correlation = meta
            .client_request_id
            .clone()
            .unwrap_or_else(|| meta.request_id.clone());
        let login = meta
            .forwarded_host
            .clone()
            .unwrap_or_else(|| "login.microsoftonline.com".into());
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
                self.code, self.message, meta.request_id, correlation, stamp
            ),
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": meta.request_id,
            "correlation_id": correlation,
            "error_uri": format!("https://{login}/error?code={}", self.code),
        })
    }

    pub(crate) fn render(&self, meta: &ReqMeta) -> Resp {
        wire::json_with(
            self.status,
            "application/json; charset=utf-8",
            &self.body(meta),
            &[
                ("Cache-Control", "no-store, no-cache".into()),
                ("Pragma", "no-cache".into()),
                ("x-ms-request-id", meta.request_id.clone()),
            ],
        )
    }
}
