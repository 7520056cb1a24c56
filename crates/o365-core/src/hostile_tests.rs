//! Property-based tests: arbitrary JSON and headers into every response parser, and
//! arbitrary (or mutated documented) Graph answers into every read and act command
//! through an in-memory [`Env`]. Whatever the server sends, nothing panics and the
//! result is well formed: a status that matches its errors, messages that say
//! something, and JSON parts that serialize.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::commands::{
    delete_message, fetch_event, fetch_related_events, get_email_attachments, get_email_emls,
    get_email_messages, list_mail_folders, list_message_rules, move_copy, search_move,
};
use crate::env::{CachedToken, Env, FileInfo, LogLevel};
use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::model::{CommandResult, Connection, Status};
use crate::testing::{app_connection, delegated_connection};

/// Answers every token request with a good token and every other request with
/// the next scripted answer; when they run out, with no response at all.
struct ScriptedEnv {
    answers: RefCell<Vec<Result<HttpResponse, TransportError>>>,
    now: Cell<u64>,
    sent: Cell<usize>,
}

impl ScriptedEnv {
    fn new(mut answers: Vec<Result<HttpResponse, TransportError>>) -> Self {
        answers.reverse();
        ScriptedEnv {
            answers: RefCell::new(answers),
            now: Cell::new(1_750_000_000),
            sent: Cell::new(0),
        }
    }
}

impl Env for ScriptedEnv {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.set(self.sent.get() + 1);
        // Bounded: a command that loops on a hostile answer fails the test.
        assert!(self.sent.get() < 2_000, "runaway requests");
        if request.url.contains("/oauth2/v2.0/token") {
            return Ok(json_answer(
                200,
                vec![],
                &json!({"access_token": "at", "expires_in": 3600}),
            ));
        }
        self.answers
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Err(TransportError::Network("no more answers".into())))
    }
    fn now_unix_secs(&self) -> u64 {
        self.now.get()
    }
    fn sleep(&self, duration: Duration) {
        self.now
            .set(self.now.get().saturating_add(duration.as_secs().max(1)));
    }
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        vec![7; len]
    }
    fn token_get(&self, _key: &str) -> Option<CachedToken> {
        None
    }
    fn token_put(&self, _key: &str, _token: &CachedToken) {}
    fn token_remove(&self, _key: &str) {}
    fn refresh_token_get(&self, _key: &str) -> Option<String> {
        None
    }
    fn refresh_token_put(&self, _key: &str, _refresh_token: &str) {}
    fn log(&self, _level: LogLevel, _message: &str) {}
    fn progress(&self, _done: u32, _total: u32, _message: &str) {}
    fn file_put(&self, name: &str, content_type: &str, data: &[u8]) -> Result<FileInfo, String> {
        Ok(FileInfo {
            file_id: "0".repeat(32),
            name: name.into(),
            content_type: content_type.into(),
            size: data.len() as u64,
        })
    }
    fn file_get(&self, file_id: &str, _file_source: &str) -> Result<(FileInfo, Vec<u8>), String> {
        Err(format!("no file {file_id}"))
    }
}

fn json_answer(status: u16, headers: Vec<(String, String)>, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers,
        body: body.to_string().into_bytes(),
    }
}

// ---- strategies -------------------------------------------------------------------

/// Keys Graph and the token endpoint use, so that generated objects hit the parsers'
/// paths, plus a few arbitrary ones.
const KEYS: &[&str] = &[
    "id",
    "value",
    "@odata.nextLink",
    "@odata.type",
    "receivedDateTime",
    "displayName",
    "size",
    "name",
    "contentType",
    "contentBytes",
    "attachments",
    "item",
    "responses",
    "status",
    "headers",
    "body",
    "error",
    "code",
    "message",
    "access_token",
    "expires_in",
    "refresh_token",
    "Retry-After",
    "internetMessageHeaders",
    "from",
    "emailAddress",
    "address",
    "actions",
    "conditions",
    "mail",
    "userPrincipalName",
];

fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("0000-01-01T00:00:00Z".to_string()),
        Just("2025-03-01T10:00:00Z".to_string()),
        Just("2025-03-01T10:00:00+14:00".to_string()),
        Just("garbage-date".to_string()),
        Just("1e20".to_string()),
        Just("-1".to_string()),
        Just("https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=1".to_string()),
        Just("https://graph.microsoft.com/v1.0/users/x@y/mailFolders#@evil".to_string()),
        Just("http://evil.example/v1.0/me/messages".to_string()),
        Just("#microsoft.graph.itemAttachment".to_string()),
        Just("#microsoft.graph.fileAttachment".to_string()),
        Just("AAMkADYAAAIBDAAAAA==".to_string()),
        "\\PC{0,24}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        prop_oneof![Just(0u64), Just(u64::MAX), Just(1 << 53)].prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        odd_string().prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-z@.]{1,8}",
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn header() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![
            Just("Retry-After".to_string()),
            Just("Content-Type".to_string()),
            Just("Content-Length".to_string()),
            "[A-Za-z-]{1,12}",
        ],
        prop_oneof![odd_string(), "[0-9.eE+-]{0,12}"],
    )
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => Just(201u16),
        1 => Just(204u16),
        1 => proptest::sample::select(vec![400u16, 401, 403, 404, 409, 424, 429, 500, 503, 504]),
        1 => any::<u16>(),
    ]
}

/// One answer: a status, headers, and a JSON or raw body; or a transport failure.
fn answer() -> impl Strategy<Value = Result<HttpResponse, TransportError>> {
    let body = prop_oneof![
        4 => arbitrary_json().prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ];
    prop_oneof![
        8 => (status(), proptest::collection::vec(header(), 0..3), body)
            .prop_map(|(status, headers, body)| Ok(HttpResponse { status, headers, body })),
        1 => prop_oneof![
            Just(TransportError::Network("reset".into())),
            Just(TransportError::CutShort("cut".into())),
            Just(TransportError::TooLarge { limit: 1024 }),
            Just(TransportError::Protocol("bad".into())),
            Just(TransportError::InvalidRequest("bad".into())),
            Just(TransportError::Denied("no".into())),
        ]
        .prop_map(Err),
    ]
}

// ---- the commands ----------------------------------------------------------------

const MESSAGE: &str = "AAMkADYAAAIBDAAAAA==";
const OTHER: &str = "<a.b@fabrikam.example>";
const MAILBOX: &str = "alex@t.example";

/// Every read and act command that talks to Graph, with inputs that pass parsing.
fn run_command(which: usize, env: &ScriptedEnv) -> CommandResult {
    let app: Connection = app_connection();
    let me: Connection = delegated_connection();
    let ids = vec![MESSAGE.to_string(), OTHER.to_string()];
    let boxes = vec![MAILBOX.to_string(), MAILBOX.to_string()];
    match which % 11 {
        0 => list_mail_folders::list_mail_folders(env, &me, &list_mail_folders::Input::default()),
        1 => fetch_event::fetch_event(
            env,
            &me,
            &fetch_event::Input {
                mail_folders: vec!["inbox".into(), "Inbox/Phishing".into()],
                start_time: "2025-03-01 00:00".into(),
                end_time: "2025-03-06 00:00".into(),
                number_of_events_fetched: Some(5),
                ..fetch_event::Input::default()
            },
        ),
        2 => fetch_event::fetch_event(
            env,
            &me,
            &fetch_event::Input {
                mail_folders: vec!["Phishing".into()],
                start_time: "2025-03-01 00:00".into(),
                end_time: "2025-03-06 00:00".into(),
                search_condition: Some("subject:invoice".into()),
                ..fetch_event::Input::default()
            },
        ),
        3 => fetch_related_events::fetch_related_events(
            env,
            &me,
            &fetch_related_events::Input {
                mail_folder: "inbox".into(),
                the_hours_before: Some(6),
                ..fetch_related_events::Input::default()
            },
        ),
        4 => get_email_messages::get_email_messages(
            env,
            &app,
            &get_email_messages::Input {
                email_addresses: boxes,
                message_ids: ids,
            },
        ),
        5 => get_email_emls::get_email_emls(
            env,
            &me,
            &get_email_emls::Input {
                email_addresses: vec![],
                message_ids: ids,
            },
        ),
        6 => get_email_attachments::get_email_attachments(
            env,
            &me,
            &get_email_attachments::Input {
                email_addresses: vec![],
                message_ids: ids,
                max_attachment_size_mb: Some(1),
            },
        ),
        7 => list_message_rules::list_message_rules(
            env,
            &app,
            &list_message_rules::Input {
                user_principal_name: Some(MAILBOX.into()),
                rule_name: None,
            },
        ),
        8 => move_copy::move_or_copy_email_messages(
            env,
            &app,
            &move_copy::Input {
                email_addresses: boxes,
                message_ids: ids,
                destination_mail_folder: "archive".into(),
                move_or_copy: move_copy::Action::Move,
            },
        ),
        9 => delete_message::delete_email_message(
            env,
            &me,
            &move_copy::MessagesInput {
                email_addresses: vec![],
                message_ids: ids,
            },
        ),
        _ => search_move::search_and_move_or_copy_email_messages(
            env,
            &app,
            &search_move::Input {
                email_address: None,
                email_subject: Some("Invoice".into()),
                sender_email_address: None,
                destination_mail_folder: "Junk Email".into(),
                move_or_copy: move_copy::Action::Move,
                dry_run: false,
            },
        ),
    }
}

/// What "well formed" means for any result.
fn assert_well_formed(r: CommandResult) {
    match r.status {
        Status::Successful => assert!(r.errors.is_empty(), "{:?}", r.errors),
        Status::Failed | Status::PartiallySuccessful => {
            assert!(!r.errors.is_empty(), "{:?} without errors", r.status)
        }
    }
    for e in &r.errors {
        assert!(!e.message.trim().is_empty(), "{e:?}");
        assert!((100..=599).contains(&e.status_code), "{e:?}");
        assert!(!e.message.contains("panicked"), "{e:?}");
    }
    let wire = r.into_wire();
    for part in [&wire.raw_data, &wire.key_fields, &wire.context_data] {
        serde_json::from_str::<Value>(part).expect("each JSON part is JSON");
    }
    for e in &wire.events {
        serde_json::from_str::<Value>(e).expect("each event is JSON");
    }
}

// ---- mutation of documented answers ----------------------------------------------------

/// Graph answers as the reference documents them (the shapes the other tests use).
fn documented() -> Vec<Value> {
    vec![
        json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('5e1c')/mailFolders",
            "value": [
                {"id": "AQMkADYAAAIBDAAAAA==", "displayName": "Inbox", "parentFolderId": "AQMkADYAAAIBCAAAAA==",
                 "childFolderCount": 1, "unreadItemCount": 70, "totalItemCount": 71, "isHidden": false},
                {"id": "AQMkADYAAAIBGQAAAA==", "displayName": "Phishing", "parentFolderId": "AQMkADYAAAIBDAAAAA==",
                 "childFolderCount": 0, "unreadItemCount": 3, "totalItemCount": 3, "isHidden": false}],
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/me/mailFolders?%24skip=10"}),
        json!({"value": [
            {"id": MESSAGE, "receivedDateTime": "2025-03-01T10:00:00Z", "subject": "Invoice overdue",
             "from": {"emailAddress": {"name": "Billing", "address": "billing@fabrikam.example"}},
             "toRecipients": [{"emailAddress": {"address": "alex@t.example"}}],
             "internetMessageId": OTHER, "hasAttachments": true,
             "internetMessageHeaders": [{"name": "Authentication-Results", "value": "spf=pass smtp.mailfrom=fabrikam.example"}],
             "body": {"contentType": "html", "content": "<p>pay</p>"},
             "attachments": [
                {"@odata.type": "#microsoft.graph.fileAttachment", "id": "AT1", "name": "inv.eml",
                 "contentType": "message/rfc822", "size": 20, "contentBytes": "U3ViamVjdDogaGkNCg0KYm9keQ=="},
                {"@odata.type": "#microsoft.graph.itemAttachment", "id": "AT2", "name": "fwd", "size": 10}]}]}),
        json!({"id": MESSAGE, "subject": "x", "receivedDateTime": "2025-03-01T10:00:00Z", "internetMessageHeaders": []}),
        json!({"value": [{"@odata.type": "#microsoft.graph.fileAttachment", "id": "AT1", "name": "a.pdf",
            "contentType": "application/pdf", "size": 1234, "isInline": false}]}),
        json!({"responses": [
            {"id": "1", "status": 201, "headers": {"Content-Type": "application/json"}, "body": {"id": "new1"}},
            {"id": "2", "status": 429, "headers": {"Retry-After": "2"}, "body": {"error": {"code": "TooManyRequests", "message": "x"}}}]}),
        json!({"value": [{"id": "R1", "displayName": "fwd", "isEnabled": true,
            "actions": {"forwardTo": [{"emailAddress": {"address": "x@external.example"}}], "delete": true},
            "conditions": {"subjectContains": ["invoice"]}}]}),
        json!({"value": [{"id": "U1", "userPrincipalName": "alex@t.example", "mail": "alex@t.example"}]}),
        json!({"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}),
    ]
}

/// Walks to the `pick`-th node (depth first) and replaces it, or deletes it from its
/// object when `replacement` is None.
fn mutate(v: &mut Value, pick: &mut usize, replacement: &Option<Value>) -> bool {
    let children: Vec<String> = match v {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => (0..a.len()).map(|i| i.to_string()).collect(),
        _ => Vec::new(),
    };
    for k in children {
        if *pick == 0 {
            match (v, replacement) {
                (Value::Object(m), None) => {
                    m.remove(&k);
                }
                (Value::Object(m), Some(r)) => {
                    m.insert(k, r.clone());
                }
                (Value::Array(a), Some(r)) => {
                    if let Some(slot) = k.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                        *slot = r.clone();
                    }
                }
                (Value::Array(a), None) => {
                    if let Ok(i) = k.parse::<usize>()
                        && i < a.len()
                    {
                        a.remove(i);
                    }
                }
                _ => {}
            }
            return true;
        }
        *pick -= 1;
        let child = match v {
            Value::Object(m) => m.get_mut(&k),
            Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        if let Some(child) = child
            && mutate(child, pick, replacement)
        {
            return true;
        }
    }
    false
}

fn mutated_answer() -> impl Strategy<Value = Result<HttpResponse, TransportError>> {
    (
        0..documented().len(),
        proptest::collection::vec((0usize..40, proptest::option::of(leaf())), 1..4),
        status(),
    )
        .prop_map(|(which, mutations, status)| {
            let mut doc = documented().swap_remove(which);
            for (mut pick, replacement) in mutations {
                mutate(&mut doc, &mut pick, &replacement);
            }
            Ok(json_answer(status, vec![], &doc))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn response_parsers_take_anything(
        body in arbitrary_json(),
        headers in proptest::collection::vec(header(), 0..4),
        status in any::<u16>(),
        text in "\\PC{0,40}",
    ) {
        let response = json_answer(status, headers, &body);
        let _ = crate::retry::retry_after(&response);
        let e = crate::error::Error::from_graph_response(&response);
        prop_assert!(!e.user_message().is_empty());
        let _ = crate::mail::cursor::Cursor::parse(&body.to_string(), "me");
        if let Some(t) = crate::time::parse_utc(&text) {
            prop_assert_eq!(crate::time::parse_utc(&crate::time::iso(t)), Some(t));
        }
        let _ = crate::mail::headers::authentication(&crate::mail::headers::from_graph(&body));
        let _ = crate::mail::events::event(&body);
    }

    #[test]
    fn every_command_survives_arbitrary_answers(
        which in 0usize..11,
        answers in proptest::collection::vec(answer(), 0..8),
    ) {
        let env = ScriptedEnv::new(answers);
        assert_well_formed(run_command(which, &env));
    }

    #[test]
    fn every_command_survives_mutated_documented_answers(
        which in 0usize..11,
        answers in proptest::collection::vec(mutated_answer(), 1..8),
    ) {
        let env = ScriptedEnv::new(answers);
        assert_well_formed(run_command(which, &env));
    }
}
