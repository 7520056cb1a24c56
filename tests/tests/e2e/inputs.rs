//! Bad input: a failed result naming the parameter, and not a single HTTP request.
//! Data-driven: each case is a connection change, a command, an input and what the
//! message must say.

use o365_tests::{Fixture, error_message, error_status, json};
use serde_json::Value;

struct Case {
    name: &'static str,
    connection: &'static str,
    change: fn(&mut Value),
    command: &'static str,
    input: Value,
    expect: &'static str,
}

fn unchanged(_: &mut Value) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "missing tenant",
            connection: "demo-app",
            change: |c| c["tenant-id"] = json!(""),
            command: "test-connection",
            input: json!({}),
            expect: "Tenant ID",
        },
        Case {
            name: "tenant is 'common'",
            connection: "demo-app",
            change: |c| c["tenant-id"] = json!("common"),
            command: "test-connection",
            input: json!({}),
            expect: "Tenant ID: 'common' is not a tenant",
        },
        Case {
            name: "client id missing",
            connection: "demo-app",
            change: |c| c["client-id"] = json!(null),
            command: "test-connection",
            input: json!({}),
            expect: "Client ID: is required",
        },
        Case {
            name: "client secret missing",
            connection: "demo-delegated",
            change: |c| c["client-secret"] = json!(""),
            command: "list-mail-folders",
            input: json!({}),
            expect: "Client Secret: is required",
        },
        Case {
            name: "grant type missing",
            connection: "demo-app",
            change: |c| c["grant-type"] = json!(""),
            command: "test-connection",
            input: json!({}),
            expect: "Grant Type: is required",
        },
        Case {
            name: "unknown environment",
            connection: "demo-app",
            change: |c| c["environment"] = json!("mars"),
            command: "test-connection",
            input: json!({}),
            expect: "Microsoft 365 Environment: 'mars'",
        },
        Case {
            name: "bad api version",
            connection: "demo-app",
            change: |c| c["api-version"] = json!("v2"),
            command: "test-connection",
            input: json!({}),
            expect: "API Version: 'v2'",
        },
        Case {
            name: "refresh token missing",
            connection: "demo-delegated",
            change: |c| c["refresh-token"] = json!(""),
            command: "list-mail-folders",
            input: json!({}),
            expect: "Refresh Token: the connection has no refresh token yet",
        },
        Case {
            name: "empty folder name",
            connection: "demo-delegated",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({"new-folder-name": "   "}),
            expect: "New Folder Name: is required",
        },
        Case {
            name: "folder name absent",
            connection: "demo-delegated",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({}),
            expect: "New Folder Name: is required",
        },
        Case {
            name: "unknown parent folder",
            connection: "demo-delegated",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({"new-folder-name": "x", "destination-mail-folder-id": "Inbxo"}),
            expect: "Destination Mail Folder ID: 'Inbxo' is neither a folder id nor a well-known folder name",
        },
        Case {
            name: "display name as parent",
            connection: "demo-delegated",
            change: unchanged,
            command: "list-mail-folders",
            input: json!({"parent-folder-id": "Junk Email"}),
            expect: "Did you mean the well-known name 'junkemail'?",
        },
        Case {
            name: "app-only without mailbox (create)",
            connection: "demo-app",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({"new-folder-name": "x"}),
            expect: "The parameter 'Email Address' is required when your connection uses the 'Client Credential' Grant Type.",
        },
        Case {
            name: "app-only without mailbox (list)",
            connection: "demo-app",
            change: unchanged,
            command: "list-mail-folders",
            input: json!({"email-addresses": []}),
            expect: "The parameter 'Email Addresses or User IDs' is required",
        },
        Case {
            name: "malformed mailbox",
            connection: "demo-app",
            change: unchanged,
            command: "list-mail-folders",
            input: json!({"email-addresses": ["alex wilber@contoso.example"]}),
            expect: "Email Addresses or User IDs: 'alex wilber@contoso.example' is not an email address",
        },
        Case {
            name: "boolean of the wrong type",
            connection: "demo-delegated",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({"new-folder-name": "x", "is-hidden": "maybe"}),
            expect: "Is Hidden: expected true or false, got \"maybe\"",
        },
        Case {
            name: "list of the wrong type",
            connection: "demo-app",
            change: unchanged,
            command: "list-mail-folders",
            input: json!({"email-addresses": {"a": 1}}),
            expect: "Email Addresses or User IDs: expected text",
        },
        Case {
            name: "text of the wrong type",
            connection: "demo-delegated",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({"new-folder-name": ["a"]}),
            expect: "New Folder Name: expected text",
        },
        Case {
            name: "mismatched address and message arrays",
            connection: "demo-app",
            change: unchanged,
            command: "move-or-copy-email-messages",
            input: json!({"email-addresses": ["alex.wilber@contoso.example"], "message-ids": ["AAMkAGVmMDEzMTM4AAA=", "AAMkAGVmMDEzMTM5AAA="],
                          "destination-mail-folder": "archive", "move-or-copy": "move"}),
            expect: "Email Addresses or User IDs: has 1 items but Message IDs has 2",
        },
        Case {
            name: "a message listed twice",
            connection: "demo-delegated",
            change: unchanged,
            command: "delete-email-message",
            input: json!({"message-ids": ["AAMkAGVmMDEzMTM4AAA=", " AAMkAGVmMDEzMTM4AAA="]}),
            expect: "Message IDs: 'AAMkAGVmMDEzMTM4AAA=' is listed twice",
        },
        Case {
            name: "no message ids",
            connection: "demo-delegated",
            change: unchanged,
            command: "move-email-to-junk-box",
            input: json!({}),
            expect: "Message IDs: is required",
        },
        Case {
            name: "unknown move-or-copy choice",
            connection: "demo-delegated",
            change: unchanged,
            command: "move-or-copy-email-messages",
            input: json!({"message-ids": ["AAMkAGVmMDEzMTM4AAA="], "destination-mail-folder": "archive", "move-or-copy": "Moev"}),
            expect: "Move or Copy: 'Moev' is not one of",
        },
        Case {
            name: "search without subject or sender",
            connection: "demo-app",
            change: unchanged,
            command: "search-and-move-or-copy-email-messages",
            input: json!({"destination-mail-folder": "junkemail", "move-or-copy": "move"}),
            expect: "Email Subject: is required when Sender Email Address is empty",
        },
        Case {
            name: "CC with a waiting reply mode",
            connection: "demo-delegated",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": ["alex.wilber@contoso.example"], "cc-recipients": ["adele.vance@contoso.example"], "reply-mode": "Require Approval"}),
            expect: "CC Recipients: can only be used with Reply Mode 'No Reply' (Reply Mode is 'require-approval')",
        },
        Case {
            name: "BCC with a waiting reply mode",
            connection: "demo-delegated",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": ["alex.wilber@contoso.example"], "BCC Recipients": "adele.vance@contoso.example", "Reply Mode": "First to Approve / Reject"}),
            expect: "BCC Recipients: can only be used with Reply Mode 'No Reply'",
        },
        Case {
            name: "empty recipients",
            connection: "demo-delegated",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": []}),
            expect: "To Recipients: is required",
        },
        Case {
            name: "a recipient that is no address",
            connection: "demo-delegated",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": ["alex wilber"]}),
            expect: "To Recipients: 'alex wilber' is not an email address",
        },
        Case {
            name: "unknown file id",
            connection: "demo-delegated",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": ["alex.wilber@contoso.example"], "file-ids": ["0123456789abcdef0123456789abcdef"]}),
            expect: "File IDs: '0123456789abcdef0123456789abcdef' could not be read from the incident-attachment-file store",
        },
        Case {
            name: "response link without a response page",
            connection: "demo-delegated",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": ["alex.wilber@contoso.example"], "content": "<a href=\"<<EmailResponseLink>>\">go</a>", "reply-mode": "Require Reply"}),
            expect: "Content: contains <<EmailResponseLink>>, but the platform running this component supplies no response link",
        },
        Case {
            name: "app-only send without mailbox",
            connection: "demo-app",
            change: unchanged,
            command: "send-mail",
            input: json!({"subject": "x", "to-recipients": ["alex.wilber@contoso.example"]}),
            expect: "The parameter 'Mailbox Address' is required when your connection uses the 'Client Credential' Grant Type.",
        },
        Case {
            name: "app-only reply without sender (the seed's text)",
            connection: "demo-app",
            change: unchanged,
            command: "reply-all",
            input: json!({"message-id": "AAMkAGVmMDEzMTM4AAA="}),
            expect: "The parameter 'Sender Email' is required when your connection uses the 'Client Credential' Grant Type.",
        },
        Case {
            name: "report with client credentials",
            connection: "demo-app",
            change: unchanged,
            command: "report-emails",
            input: json!({"user-id-or-email-address": "alex.wilber@contoso.example", "message-ids": ["AAMkAGVmMDEzMTM4AAA="]}),
            expect: "Grant Type: Report Emails needs a connection with the Authorization Code grant",
        },
        Case {
            name: "auto reply date not in UTC form",
            connection: "demo-app",
            change: unchanged,
            command: "setup-auto-reply",
            input: json!({"user-ids": ["alex.wilber@contoso.example"], "status": "Scheduled", "scheduled-start-time": "10/10/2023"}),
            expect: "Scheduled Start Time: '10/10/2023' is not a UTC date and time",
        },
        Case {
            name: "no users to delete",
            connection: "demo-app",
            change: unchanged,
            command: "delete-user-accounts",
            input: json!({"user-ids": [" "], "dry-run": true}),
            expect: "User IDs Or User Principal Names: is required",
        },
        Case {
            name: "unknown parameter",
            connection: "demo-delegated",
            change: unchanged,
            command: "create-mail-folder",
            input: json!({"folder-name": "x"}),
            expect: "folder-name: is not a parameter of this command",
        },
        Case {
            name: "start after end",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-06 00:00", "End Time": "2025-03-01T00:00:00Z"}),
            expect: "Start Time: 2025-03-06T00:00:00Z is after the End Time 2025-03-01T00:00:00Z.",
        },
        Case {
            name: "top 0",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "Number of Event(s) Fetched": 0}),
            expect: "Number of Event(s) Fetched: must be between 1 and 1000; got 0.",
        },
        Case {
            name: "top 1001",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "number-of-events-fetched": "1001"}),
            expect: "Number of Event(s) Fetched: must be between 1 and 1000; got 1001.",
        },
        Case {
            name: "negative top",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "Number of Event(s) Fetched": -1}),
            expect: "Number of Event(s) Fetched: -1 is out of range.",
        },
        Case {
            name: "filter with search",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "Filter": "hasAttachments eq true", "Search Condition": "subject:x"}),
            expect: "Filter and Search cannot be used at the same time",
        },
        Case {
            name: "unknown folder",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox", "Inbxo"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"}),
            expect: "Mail Folders: 'Inbxo' is not a well-known folder name: did you mean 'inbox'?",
        },
        Case {
            name: "folder path with an empty name",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["Inbox//Phishing"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"}),
            expect: "Mail Folders: 'Inbox//Phishing' has an empty folder name",
        },
        Case {
            name: "no folders",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": [], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"}),
            expect: "Mail Folders: is required",
        },
        Case {
            name: "start time missing",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "End Time": "2025-03-06 00:00"}),
            expect: "Start Time: is required",
        },
        Case {
            name: "end time not a time",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "next tuesday"}),
            expect: "End Time: 'next tuesday' is not a UTC time",
        },
        Case {
            name: "tolerance over a week",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "Tolerance Scope": 20000}),
            expect: "Tolerance Scope: must be at most 10080 minutes",
        },
        Case {
            name: "unbalanced filter",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "Filter": "contains(subject, 'x'"}),
            expect: "Filter: has unbalanced parentheses",
        },
        Case {
            name: "cursor not JSON",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00", "Cursor": "{oops"}),
            expect: "Cursor: is not JSON",
        },
        Case {
            name: "cursor of another mailbox",
            connection: "demo-app",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Email Address": "alex.wilber@contoso.example", "Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00",
                          "Cursor": {"version": 1, "mailbox": "adele.vance@contoso.example", "folders": {}}}),
            expect: "Cursor: belongs to mailbox 'adele.vance@contoso.example'",
        },
        Case {
            name: "app-only fetch without mailbox",
            connection: "demo-app",
            change: unchanged,
            command: "fetch-event",
            input: json!({"Mail Folders": ["inbox"], "Start Time": "2025-03-01 00:00", "End Time": "2025-03-06 00:00"}),
            expect: "The parameter 'Email Address' is required when your connection uses the 'Client Credential' Grant Type.",
        },
        Case {
            name: "hours before missing",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-related-events",
            input: json!({"Mail Folder": "inbox"}),
            expect: "The Hours Before: is required",
        },
        Case {
            name: "related top 1001",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-related-events",
            input: json!({"Mail Folder": "inbox", "The Hours Before": 5, "Top Recent Event Number": 1001}),
            expect: "Top Recent Event Number: must be between 1 and 1000; got 1001.",
        },
        Case {
            name: "related filter with search",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-related-events",
            input: json!({"Mail Folder": "inbox", "The Hours Before": 5, "Filter": "isRead eq false", "Search": "body:x"}),
            expect: "Filter and Search cannot be used at the same time",
        },
        Case {
            name: "related folder missing",
            connection: "demo-delegated",
            change: unchanged,
            command: "fetch-related-events",
            input: json!({"The Hours Before": 5}),
            expect: "Mail Folder: is required",
        },
        Case {
            name: "mismatched array lengths",
            connection: "demo-app",
            change: unchanged,
            command: "get-email-messages",
            input: json!({"Email Addresses or User IDs": ["alex.wilber@contoso.example"], "Message IDs": ["AAMkAGVmMDEzMTM4AAA=", "AAMkAGVmMDEzMTM5AAA="]}),
            expect: "Email Addresses or User IDs: has 1 items but Message IDs has 2",
        },
        Case {
            name: "malformed message id",
            connection: "demo-delegated",
            change: unchanged,
            command: "get-email-emls",
            input: json!({"Message IDs": ["AAMkAGVmMDEzMTM4AAA=", "not an id"]}),
            expect: "Message IDs: 'not an id' (item 2) is neither a Graph message id",
        },
        Case {
            name: "malformed internet message id",
            connection: "demo-delegated",
            change: unchanged,
            command: "get-email-messages",
            input: json!({"Message IDs": ["<two words@x.example>"]}),
            expect: "Message IDs: '<two words@x.example>' (item 1) is not an internetMessageId",
        },
        Case {
            name: "no message ids",
            connection: "demo-delegated",
            change: unchanged,
            command: "get-email-attachments",
            input: json!({"Message IDs": []}),
            expect: "Message IDs: is required",
        },
        Case {
            name: "app-only messages without mailboxes",
            connection: "demo-app",
            change: unchanged,
            command: "get-email-messages",
            input: json!({"Message IDs": ["AAMkAGVmMDEzMTM4AAA="]}),
            expect: "The parameter 'Email Addresses or User IDs' is required",
        },
        Case {
            name: "attachment cap 0",
            connection: "demo-delegated",
            change: unchanged,
            command: "get-email-attachments",
            input: json!({"Message IDs": ["AAMkAGVmMDEzMTM4AAA="], "Max Attachment Size (MB)": 0}),
            expect: "Max Attachment Size (MB): must be between 1 and 40; got 0.",
        },
        Case {
            name: "rules app-only without UPN",
            connection: "demo-app",
            change: unchanged,
            command: "list-message-rules",
            input: json!({"Rule Name": "forwarding"}),
            expect: "User Principal Name is required if the Grant Type of the Connector is \"Client Credentials\".",
        },
        Case {
            name: "deprecated search with both",
            connection: "demo-delegated",
            change: unchanged,
            command: "search-office365-email",
            input: json!({"Filter": "isRead eq false", "Search Condition": "x"}),
            expect: "Filter and Search cannot be used at the same time",
        },
        Case {
            name: "unknown command",
            connection: "demo-delegated",
            change: unchanged,
            command: "list-mail-folderz",
            input: json!({}),
            expect: "Unknown command 'list-mail-folderz'",
        },
    ]
}

#[tokio::test]
async fn bad_input_fails_naming_the_parameter_without_http() {
    let f = Fixture::new().await;
    let mut failures = Vec::new();
    for case in cases() {
        f.sim.clear_requests();
        let mut conn = f.demo(case.connection);
        (case.change)(&mut conn);
        let out = f.run(&conn, case.command, case.input.clone()).await;
        let msg = error_message(&out);
        let ok = out.status() == "failed"
            && error_status(&out) == 400
            && msg.contains(case.expect)
            && f.sim.requests().is_empty()
            && f.http_log().is_empty();
        if !ok {
            failures.push(format!(
                "{}: status {} / {} message {msg:?}, requests {}",
                case.name,
                out.status(),
                error_status(&out),
                f.sim.requests().len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn labels_and_lenient_values_are_accepted() {
    let f = Fixture::new().await;
    let out = f
        .run(
            &f.demo("demo-app"),
            "list-mail-folders",
            json!({"Email Addresses or User IDs": "[\"alex.wilber@contoso.example\"]", "Include Hidden Folders": "false", "Parent Folder ID": ""}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    let out = f
        .run(
            &f.demo("demo-app"),
            "list-mail-folders",
            json!({"email-addresses": "alex.wilber@contoso.example; adele.vance@contoso.example"}),
        )
        .await;
    assert_eq!(out.status(), "successful", "{:#}", out.result);
    assert_eq!(f.requests_to("/mailFolders"), 3);
}
