//! The deterministic demo tenant: Contoso's users, their folder trees and
//! the two demo app registrations.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::demo_admin;
use crate::demo_mail;
use crate::identity::store::AppRegistration;
use crate::ids;
use crate::store::{Folder, FolderKind, Mailbox, Tenant, TenantData, User};

pub(crate) const TENANT_ID: &str = "8f5a1c7e-2b4d-4e6f-9a1b-3c5d7e9f0a2b";
pub(crate) const DOMAIN: &str = "contoso.example";

pub(crate) const ANALYST_UPN: &str = "soc.analyst@contoso.example";

pub(crate) const APP_CLIENT_ID: &str = "3f6b2d8e-91c4-4a7e-b5d0-6c2e8f4a1b93";
/// Contains `+`, `/`, `=` and `~` so clients must form-encode it.
pub(crate) const APP_SECRET: &str = "Qm8~xR2+vL/7kP=z9Tn~Wd4+Hs/1cYb=";
pub(crate) const DELEGATED_CLIENT_ID: &str = "a7d4c1e8-2b5f-4e93-8c6a-0f1d3b5e7a29";
pub(crate) const DELEGATED_SECRET: &str = "Lp3~Nv7+Gk/2Zs=Yw5~Rc8+Bf/4Jt=Xq";
pub(crate) const CALLBACK_URL: &str = "https://soar.example/o365/callback";
pub(crate) const DELEGATED_SCOPE: &str = "offline_access https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/MailboxSettings.ReadWrite https://graph.microsoft.com/User.Read";

/// (id, upn, displayName, givenName, surname, jobTitle, mail, guest)
type UserRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
);

const USERS: &[UserRow] = &[
    (
        "4a7c2e19-6b3d-4f58-9e21-7d0c5b8a3f61",
        ANALYST_UPN,
        "SOC Analyst",
        "SOC",
        "Analyst",
        "Security Operations Analyst",
        "soc.analyst@contoso.example",
        false,
    ),
    (
        "6f1d8b42-3c9e-4a7d-b5e0-2c4f6a8b0d13",
        "alex.wilber@contoso.example",
        "Alex Wilber",
        "Alex",
        "Wilber",
        "Marketing Assistant",
        "alex.wilber@contoso.example",
        false,
    ),
    (
        "2d8e4f6a-7b1c-4c3d-9e5f-8a0b1c2d3e4f",
        "adele.vance@contoso.example",
        "Adele Vance",
        "Adele",
        "Vance",
        "Retail Manager",
        "adele.vance@contoso.example",
        false,
    ),
    (
        "8b2f4d6c-5e7a-4913-a8c2-1d3e5f7a9b0c",
        "megan.bowen@contoso.example",
        "Megan Bowen",
        "Megan",
        "Bowen",
        "Marketing Manager",
        "megan.bowen@contoso.example",
        false,
    ),
    (
        "c1e3a5b7-9d2f-4e6a-8c0b-3f5a7c9e1b2d",
        "finance.team@contoso.example",
        "Finance Team",
        "Finance",
        "Team",
        "Accounts Payable",
        "finance.team@contoso.example",
        false,
    ),
    (
        "e7a9c1b3-5d7f-4b2e-9a4c-6e8f0a2c4b6d",
        "partner_fabrikam.example#EXT#@contoso.example",
        "Pat Partner (Fabrikam)",
        "Pat",
        "Partner",
        "External Partner",
        "pat.partner@fabrikam.example",
        true,
    ),
];

pub(crate) fn tenant() -> Tenant {
    Tenant {
        id: TENANT_ID.into(),
        domain: DOMAIN.into(),
        display_name: "Contoso".into(),
    }
}

pub(crate) fn apps() -> Vec<AppRegistration> {
    vec![
        AppRegistration {
            client_id: APP_CLIENT_ID.into(),
            client_secret: APP_SECRET.into(),
            secret_expired: false,
            roles: [
                "Mail.ReadWrite",
                "Mail.Send",
                "MailboxSettings.ReadWrite",
                "User.Read.All",
            ]
            .map(String::from)
            .to_vec(),
            delegated_scopes: Vec::new(),
            redirect_uris: Vec::new(),
            signed_in_user: None,
        },
        AppRegistration {
            client_id: DELEGATED_CLIENT_ID.into(),
            client_secret: DELEGATED_SECRET.into(),
            secret_expired: false,
            roles: Vec::new(),
            delegated_scopes: [
                "Mail.ReadWrite",
                "Mail.Send",
                "MailboxSettings.ReadWrite",
                "User.Read",
            ]
            .map(String::from)
            .to_vec(),
            redirect_uris: vec![CALLBACK_URL.into()],
            signed_in_user: Some(ANALYST_UPN.into()),
        },
    ]
}

/// The demo tenant's directory and mailboxes; `now` places the few
/// messages that must look recent.
pub(crate) fn data(now: i64) -> TenantData {
    let mut data = TenantData::default();
    for row in USERS {
        let user = user(row);
        if user.has_mailbox {
            let extra: &[&str] = if user.upn == ANALYST_UPN {
                &["Escalations", "Threat Intel", "Vendor Notices"]
            } else {
                &["Projects"]
            };
            let mut mbx = mailbox(&user.id, &user.upn, extra);
            demo_mail::fill(&mut mbx, &user.upn, row.2, now);
            data.mailboxes.insert(user.id.clone(), mbx);
        }
        data.directory.add(user);
    }
    demo_admin::seed(&mut data);
    data
}

fn user(row: &UserRow) -> User {
    let &(id, upn, name, given, surname, job, mail, guest) = row;
    let nickname = upn.split('@').next().unwrap_or(upn);
    let mut props = Map::new();
    for (k, v) in [
        ("id", json!(id)),
        ("userPrincipalName", json!(upn)),
        ("displayName", json!(name)),
        ("givenName", json!(given)),
        ("surname", json!(surname)),
        ("jobTitle", json!(job)),
        ("mail", json!(mail)),
        (
            "businessPhones",
            json!(if guest {
                vec![]
            } else {
                vec!["+1 425 555 0100"]
            }),
        ),
        ("mobilePhone", Value::Null),
        (
            "officeLocation",
            if guest { Value::Null } else { json!("18/2111") },
        ),
        ("preferredLanguage", json!("en-US")),
        ("accountEnabled", json!(true)),
        ("userType", json!(if guest { "Guest" } else { "Member" })),
        ("mailNickname", json!(nickname)),
        ("usageLocation", json!("US")),
        (
            "proxyAddresses",
            json!(if guest {
                vec![]
            } else {
                vec![format!("SMTP:{mail}")]
            }),
        ),
        ("createdDateTime", json!("2024-01-15T09:30:00Z")),
    ] {
        props.insert(k.into(), v);
    }
    User {
        id: id.into(),
        upn: upn.into(),
        has_mailbox: !guest,
        props,
    }
}

/// A small per-user offset so counts differ between mailboxes but stay
/// stable across runs.
fn jitter(upn: &str, name: &str) -> u32 {
    u32::from(Sha256::digest(format!("{upn}/{name}").as_bytes())[0] % 7)
}

pub(crate) fn mailbox(owner_id: &str, upn: &str, extra_top_level: &[&str]) -> Mailbox {
    let mut mbx = Mailbox::new(owner_id);
    let add = |mbx: &mut Mailbox,
               parent: &str,
               name: &str,
               well_known: Option<&'static str>,
               hidden: bool,
               (unread, total): (u32, u32),
               kind: FolderKind| {
        let j = jitter(upn, name);
        let (unread, total) = if total == 0 {
            (0, 0)
        } else {
            (unread + j.min(unread), total + j)
        };
        mbx.seed(Folder {
            id: ids::folder_id(owner_id, well_known.unwrap_or(name), well_known.is_some()),
            display_name: name.into(),
            parent_id: parent.into(),
            well_known,
            hidden,
            unread,
            total,
            size: u64::from(total) * 23_517,
            kind,
        })
    };
    let root_parent = mbx.root_parent_id.clone();
    let root = add(
        &mut mbx,
        &root_parent,
        "Top of Information Store",
        Some("msgfolderroot"),
        false,
        (0, 0),
        FolderKind::Mail,
    );
    add(
        &mut mbx,
        &root_parent,
        "Deletions",
        Some("recoverableitemsdeletions"),
        true,
        (0, 6),
        FolderKind::Mail,
    );
    let well_known: &[(&str, &'static str, (u32, u32))] = &[
        ("Inbox", "inbox", (12, 48)),
        ("Drafts", "drafts", (0, 3)),
        ("Sent Items", "sentitems", (0, 57)),
        ("Deleted Items", "deleteditems", (2, 19)),
        ("Junk Email", "junkemail", (5, 7)),
        ("Archive", "archive", (0, 112)),
        ("Outbox", "outbox", (0, 0)),
        ("Conversation History", "conversationhistory", (0, 4)),
        ("Sync Issues", "syncissues", (0, 0)),
    ];
    let mut inbox = String::new();
    let mut sync = String::new();
    for (name, wk, counts) in well_known {
        let id = add(
            &mut mbx,
            &root,
            name,
            Some(wk),
            false,
            *counts,
            FolderKind::Mail,
        );
        match *wk {
            "inbox" => inbox = id,
            "syncissues" => sync = id,
            _ => {}
        }
    }
    for (name, wk) in [
        ("Conflicts", "conflicts"),
        ("Local Failures", "localfailures"),
        ("Server Failures", "serverfailures"),
    ] {
        add(
            &mut mbx,
            &sync,
            name,
            Some(wk),
            false,
            (0, 0),
            FolderKind::Mail,
        );
    }
    let phishing = add(
        &mut mbx,
        &inbox,
        "Phishing",
        None,
        false,
        (3, 9),
        FolderKind::Mail,
    );
    add(
        &mut mbx,
        &phishing,
        "Reviewed",
        None,
        false,
        (0, 14),
        FolderKind::Mail,
    );
    add(
        &mut mbx,
        &root,
        "Quarantine Review",
        None,
        true,
        (1, 4),
        FolderKind::Mail,
    );
    add(
        &mut mbx,
        &root,
        "Weekly digests",
        None,
        false,
        (4, 5),
        FolderKind::Search {
            filter_query: "contains(subject, 'weekly digest')".into(),
        },
    );
    for name in extra_top_level {
        add(&mut mbx, &root, name, None, false, (1, 6), FolderKind::Mail);
    }
    mbx
}
