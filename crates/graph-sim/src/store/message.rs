//! Messages and attachments: Graph-shaped JSON properties, plus what Graph
//! computes (ids, parent folder, hasAttachments, webLink) and the bytes
//! behind `$value`.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::{mime, time};

// The content types live in `item.rs`, which `mime.rs` reads without reaching back here.
pub(crate) use super::item::{Attachment, Content, Item};

/// A message in a folder.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    /// The REST id: changes when the message moves.
    pub rest_id: String,
    /// The id `Prefer: IdType="ImmutableId"` gives; never changes.
    pub immutable_id: String,
    pub folder_id: String,
    /// How often the message moved (part of its REST id).
    pub moves: u32,
    /// `receivedDateTime` as Unix seconds, for ordering and filtering.
    pub received: i64,
    pub item: Item,
    /// The mailbox's change number when the message came into its folder
    /// and when it last changed there (delta query, `store/delta.rs`).
    pub arrived: u64,
    pub changed: u64,
}

/// Which id form responses carry (`Prefer: IdType="ImmutableId"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdForm {
    Rest,
    Immutable,
}

/// Message properties Graph returns when no `$select` is given.
pub(crate) const DEFAULT_PROPERTIES: &[&str] = &[
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "categories",
    "receivedDateTime",
    "sentDateTime",
    "hasAttachments",
    "internetMessageId",
    "subject",
    "bodyPreview",
    "importance",
    "parentFolderId",
    "conversationId",
    "conversationIndex",
    "isDeliveryReceiptRequested",
    "isReadReceiptRequested",
    "isRead",
    "isDraft",
    "webLink",
    "inferenceClassification",
    "body",
    "sender",
    "from",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "flag",
];

/// Properties returned only when `$select` names them.
pub(crate) const SELECT_ONLY_PROPERTIES: &[&str] = &["internetMessageHeaders", "uniqueBody"];

impl Attachment {
    pub(crate) fn odata_type(&self) -> &'static str {
        match self.content {
            Content::File { .. } => "#microsoft.graph.fileAttachment",
            Content::Item(_) => "#microsoft.graph.itemAttachment",
            Content::Reference { .. } => "#microsoft.graph.referenceAttachment",
        }
    }

    /// Bytes Graph reports as `size`.
    pub(crate) fn size(&self) -> u64 {
        match &self.content {
            Content::File { bytes, .. } => bytes.len() as u64 + 260,
            Content::Item(item) => mime::build(item).len() as u64,
            Content::Reference { .. } => 512,
        }
    }

    /// Graph's JSON. `contentBytes` comes with file attachments unless
    /// `metadata_only`; the nested item only when expanded.
    pub(crate) fn to_json(&self, metadata_only: bool, expand_item: bool) -> Value {
        let mut v = json!({
            "@odata.type": self.odata_type(),
            "id": self.id,
            "lastModifiedDateTime": self.last_modified,
            "name": self.name,
            "contentType": self.content_type,
            "size": self.size(),
            "isInline": self.is_inline,
        });
        match &self.content {
            Content::File {
                bytes,
                content_id,
                content_location,
            } => {
                v["@odata.mediaContentType"] = json!(self.content_type);
                v["contentId"] = json!(content_id);
                v["contentLocation"] = json!(content_location);
                if !metadata_only {
                    v["contentBytes"] = json!(STANDARD.encode(bytes));
                }
            }
            Content::Item(item) => {
                if expand_item {
                    v["item"] = item.nested_json();
                }
            }
            Content::Reference {
                source_url,
                provider_type,
                permission,
                is_folder,
            } => {
                v["sourceUrl"] = json!(source_url);
                v["providerType"] = json!(provider_type);
                v["thumbnailUrl"] = Value::Null;
                v["previewUrl"] = Value::Null;
                v["permission"] = json!(permission);
                v["isFolder"] = json!(is_folder);
            }
        }
        v
    }

    /// What `$value` returns: raw file bytes or the item's MIME, with the
    /// content type; None for reference attachments.
    pub(crate) fn value(&self) -> Option<(Vec<u8>, String)> {
        match &self.content {
            Content::File { bytes, .. } => Some((
                bytes.clone(),
                self.content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
            )),
            Content::Item(item) => Some((mime::build(item), "message/rfc822".into())),
            Content::Reference { .. } => None,
        }
    }
}

impl Item {
    /// Graph's rule: inline attachments do not count.
    pub(crate) fn has_attachments(&self) -> bool {
        self.attachments.iter().any(|a| !a.is_inline)
    }

    pub(crate) fn text(&self, name: &str) -> &str {
        self.props.get(name).and_then(Value::as_str).unwrap_or("")
    }

    /// The item inside an item attachment, as Graph expands it: `id` is
    /// empty and its own attachments come along with their content.
    pub(crate) fn nested_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("@odata.type".into(), json!("#microsoft.graph.message"));
        map.insert("id".into(), json!(""));
        for (k, v) in &self.props {
            map.insert(k.clone(), v.clone());
        }
        map.insert("hasAttachments".into(), json!(self.has_attachments()));
        map.insert(
            "attachments".into(),
            Value::Array(
                self.attachments
                    .iter()
                    .map(|a| a.to_json(false, true))
                    .collect(),
            ),
        );
        Value::Object(map)
    }
}

impl Message {
    pub(crate) fn id(&self, form: IdForm) -> &str {
        match form {
            IdForm::Rest => &self.rest_id,
            IdForm::Immutable => &self.immutable_id,
        }
    }

    /// One property as `$filter` and `$orderby` see it, computed ones
    /// included.
    pub(crate) fn prop(&self, name: &str) -> Option<Cow<'_, Value>> {
        match name {
            "id" => Some(Cow::Owned(json!(self.rest_id))),
            "parentFolderId" => Some(Cow::Owned(json!(self.folder_id))),
            "hasAttachments" => Some(Cow::Owned(json!(self.item.has_attachments()))),
            _ => self.item.props.get(name).map(Cow::Borrowed),
        }
    }

    /// Either id form names the message.
    pub(crate) fn has_id(&self, id: &str) -> bool {
        self.rest_id == id || self.immutable_id == id
    }

    /// The whole message as Graph JSON, with every property (also the
    /// select-only ones); `$select` and `$expand` are applied by the caller.
    pub(crate) fn to_json(&self, form: IdForm) -> Map<String, Value> {
        let id = self.id(form);
        let change_key = change_key(
            &self.immutable_id,
            self.moves,
            self.item.text("lastModifiedDateTime"),
        );
        let mut map = Map::new();
        map.insert("@odata.etag".into(), json!(format!("W/\"{change_key}\"")));
        map.insert("id".into(), json!(id));
        for (k, v) in &self.item.props {
            map.insert(k.clone(), v.clone());
        }
        map.insert("changeKey".into(), json!(change_key));
        map.insert("parentFolderId".into(), json!(self.folder_id));
        map.insert("hasAttachments".into(), json!(self.item.has_attachments()));
        let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
        map.insert(
            "webLink".into(),
            json!(format!(
                "https://outlook.office365.com/owa/?ItemID={encoded}&exvsurl=1&viewmodel=ReadMessageItem"
            )),
        );
        map
    }

    /// Bytes of the message for `sizeInBytes` of its folder.
    pub(crate) fn size(&self) -> u64 {
        let body = self
            .item
            .props
            .get("body")
            .and_then(|b| b.get("content"))
            .and_then(Value::as_str)
            .map_or(0, str::len) as u64;
        2_048
            + body
            + self
                .item
                .attachments
                .iter()
                .map(Attachment::size)
                .sum::<u64>()
    }
}

fn change_key(immutable: &str, moves: u32, modified: &str) -> String {
    let digest = Sha256::digest(format!("{immutable}/{moves}/{modified}").as_bytes());
    format!("CQAAABYAAAC{}", &STANDARD.encode(&digest[..18]))
}

/// The text of an HTML body: tags, `<head>` and `<style>` dropped, block
/// ends as line breaks, the common entities decoded.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len().min(4096));
    let lower = html.to_ascii_lowercase();
    let mut hidden = false;
    let mut in_tag = false;
    let mut tag = String::new();
    for (i, c) in html.char_indices() {
        if c == '<' {
            in_tag = true;
            tag.clear();
            let rest = &lower[i..];
            if rest.starts_with("<head")
                || rest.starts_with("<style")
                || rest.starts_with("<script")
            {
                hidden = true;
            } else if rest.starts_with("</head")
                || rest.starts_with("</style")
                || rest.starts_with("</script")
            {
                hidden = false;
            }
            continue;
        }
        if in_tag {
            if c == '>' {
                in_tag = false;
                let t = tag.trim_start_matches('/').to_ascii_lowercase();
                if ["br", "p", "div", "tr", "li", "h1", "h2", "h3"]
                    .iter()
                    .any(|b| t.starts_with(b))
                {
                    text.push('\n');
                }
            } else {
                tag.push(c);
            }
            continue;
        }
        if !hidden {
            text.push(c);
        }
    }
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `bodyPreview`: the body's text with whitespace folded, at most 255
/// characters, as Graph does.
pub(crate) fn preview(body: &str, content_type: &str) -> String {
    let text = if content_type.eq_ignore_ascii_case("html") {
        html_to_text(body)
    } else {
        body.to_string()
    };
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(255)
        .collect()
}

/// An error in message JSON handed to `insert_message`.
#[derive(Debug)]
pub(crate) struct BadMessage(pub String);

/// Parses Graph-shaped attachment JSON (`@odata.type` file/item/reference).
pub(crate) fn attachment_from_json(
    v: &Value,
    id: String,
    default_time: &str,
) -> Result<Attachment, BadMessage> {
    let kind = v["@odata.type"]
        .as_str()
        .unwrap_or("#microsoft.graph.fileAttachment");
    let name = v["name"].as_str().unwrap_or("attachment").to_string();
    let content = match kind
        .trim_start_matches('#')
        .trim_start_matches("microsoft.graph.")
    {
        "fileAttachment" => Content::File {
            bytes: STANDARD
                .decode(v["contentBytes"].as_str().unwrap_or(""))
                .map_err(|e| {
                    BadMessage(format!(
                        "attachment '{name}': contentBytes is not base64 ({e})"
                    ))
                })?,
            content_id: v["contentId"].as_str().map(String::from),
            content_location: v["contentLocation"].as_str().map(String::from),
        },
        "itemAttachment" => {
            let nested = v
                .get("item")
                .ok_or_else(|| BadMessage(format!("item attachment '{name}' has no item")))?;
            Content::Item(Box::new(Item::from_json(
                nested,
                &format!("{id}/item"),
                default_time,
            )?))
        }
        "referenceAttachment" => Content::Reference {
            source_url: v["sourceUrl"].as_str().unwrap_or_default().to_string(),
            provider_type: v["providerType"]
                .as_str()
                .unwrap_or("oneDriveBusiness")
                .to_string(),
            permission: v["permission"].as_str().unwrap_or("view").to_string(),
            is_folder: v["isFolder"].as_bool().unwrap_or(false),
        },
        other => return Err(BadMessage(format!("unknown attachment type '{other}'"))),
    };
    let content_type = match (&content, v["contentType"].as_str()) {
        (_, Some(t)) => Some(t.to_string()),
        (Content::File { .. }, None) => Some("application/octet-stream".into()),
        _ => None,
    };
    Ok(Attachment {
        id,
        name,
        content_type,
        is_inline: v["isInline"].as_bool().unwrap_or(false),
        last_modified: v["lastModifiedDateTime"]
            .as_str()
            .unwrap_or(default_time)
            .to_string(),
        content,
    })
}

fn recipients(v: &Value) -> Value {
    match v {
        Value::Array(_) => v.clone(),
        _ => json!([]),
    }
}

impl Item {
    /// Builds an item from Graph-shaped message JSON, filling what Graph
    /// always has (sender, recipients, times, ids, headers). `seed` makes the
    /// generated values (internetMessageId, conversationId) stable.
    pub(crate) fn from_json(v: &Value, seed: &str, default_time: &str) -> Result<Item, BadMessage> {
        let Value::Object(given) = v else {
            return Err(BadMessage("a message must be a JSON object".into()));
        };
        let mut props = Map::new();
        let digest = Sha256::digest(seed.as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02X}")).collect();
        let received = given
            .get("receivedDateTime")
            .and_then(Value::as_str)
            .unwrap_or(default_time)
            .to_string();
        let received_unix = time::parse_iso(&received)
            .ok_or_else(|| BadMessage(format!("receivedDateTime '{received}' is not ISO 8601")))?;
        let received = time::iso(received_unix);
        let sent = given
            .get("sentDateTime")
            .and_then(Value::as_str)
            .and_then(time::parse_iso)
            .map_or_else(|| time::iso(received_unix - 3), time::iso);
        let from = given.get("from").cloned().unwrap_or_else(
            || json!({"emailAddress": {"name": "Unknown sender", "address": "unknown@unknown.example"}}),
        );
        let domain = from["emailAddress"]["address"]
            .as_str()
            .and_then(|a| a.split('@').nth(1))
            .unwrap_or("mail.example")
            .to_string();
        let body = given
            .get("body")
            .cloned()
            .unwrap_or_else(|| json!({"contentType": "html", "content": ""}));
        let defaults: Vec<(&str, Value)> = vec![
            ("createdDateTime", json!(received)),
            ("lastModifiedDateTime", json!(received)),
            ("categories", json!([])),
            ("receivedDateTime", json!(received)),
            ("sentDateTime", json!(sent)),
            ("internetMessageId", json!(format!("<{hex}@{domain}>"))),
            ("subject", json!("")),
            (
                "bodyPreview",
                json!(preview(
                    body["content"].as_str().unwrap_or(""),
                    body["contentType"].as_str().unwrap_or("html")
                )),
            ),
            ("importance", json!("normal")),
            ("conversationId", json!(format!("AAQkAGI2{}=", &hex[..20]))),
            ("conversationIndex", json!(STANDARD.encode(&digest[..22]))),
            ("isDeliveryReceiptRequested", json!(false)),
            ("isReadReceiptRequested", json!(false)),
            ("isRead", json!(false)),
            ("isDraft", json!(false)),
            ("inferenceClassification", json!("focused")),
            ("body", body),
            ("sender", from.clone()),
            ("from", from),
            ("toRecipients", json!([])),
            ("ccRecipients", json!([])),
            ("bccRecipients", json!([])),
            ("replyTo", json!([])),
            ("flag", json!({"flagStatus": "notFlagged"})),
            ("uniqueBody", Value::Null),
        ];
        for (k, d) in defaults {
            props.insert(k.to_string(), given.get(k).cloned().unwrap_or(d));
        }
        for k in ["toRecipients", "ccRecipients", "bccRecipients", "replyTo"] {
            let fixed = recipients(&props[k]);
            props.insert(k.into(), fixed);
        }
        props.insert("receivedDateTime".into(), json!(received));
        if props["uniqueBody"].is_null() {
            let body = props["body"].clone();
            props.insert("uniqueBody".into(), body);
        }
        let headers = match given.get("internetMessageHeaders") {
            Some(Value::Array(h)) => Value::Array(h.clone()),
            _ => default_headers(&props, received_unix),
        };
        props.insert("internetMessageHeaders".into(), headers);
        // Anything else the caller gave (extensions, singleValueExtendedProperties, ...).
        for (k, v) in given {
            if !props.contains_key(k)
                && !matches!(
                    k.as_str(),
                    "id" | "parentFolderId"
                        | "hasAttachments"
                        | "attachments"
                        | "webLink"
                        | "changeKey"
                )
                && !k.starts_with('@')
            {
                props.insert(k.clone(), v.clone());
            }
        }
        let mut attachments = Vec::new();
        if let Some(Value::Array(list)) = given.get("attachments") {
            for (i, a) in list.iter().enumerate() {
                let id = crate::ids::attachment_id(seed, i);
                attachments.push(attachment_from_json(a, id, &received)?);
            }
        }
        Ok(Item { props, attachments })
    }
}

/// The headers Exchange adds to any delivered message, when the caller gave
/// none: one internal Received hop and passing authentication.
fn default_headers(props: &Map<String, Value>, received: i64) -> Value {
    let addr = |k: &str| {
        props[k]["emailAddress"]["address"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let from = addr("from");
    let domain = from.split('@').nth(1).unwrap_or("mail.example").to_string();
    let to: Vec<String> = props["toRecipients"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"]["address"].as_str().map(String::from))
        .collect();
    json!([
        {"name": "Received", "value": format!("from CY4PR11MB1234.namprd11.prod.outlook.com (2603:10b6:903:1::11) by PH0PR11MB4998.namprd11.prod.outlook.com with HTTPS; {}", time::rfc5322(received))},
        {"name": "Authentication-Results", "value": format!("spf=pass (sender IP is 40.107.22.52) smtp.mailfrom={domain}; dkim=pass (signature was verified) header.d={domain}; dmarc=pass action=none header.from={domain};compauth=pass reason=100")},
        {"name": "From", "value": from},
        {"name": "To", "value": to.join(", ")},
        {"name": "Subject", "value": props["subject"].as_str().unwrap_or("")},
        {"name": "Date", "value": time::rfc5322(time::parse_iso(props["sentDateTime"].as_str().unwrap_or("")).unwrap_or(received))},
        {"name": "Message-ID", "value": props["internetMessageId"].as_str().unwrap_or("")},
        {"name": "MIME-Version", "value": "1.0"},
        {"name": "Content-Type", "value": "multipart/mixed"},
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_json_gets_graph_defaults_and_attachments() {
        let v = json!({
            "subject": "hello",
            "receivedDateTime": "2025-03-01T10:14:58Z",
            "from": {"emailAddress": {"name": "B", "address": "b@fabrikam.example"}},
            "body": {"contentType": "html", "content": "<html><head><style>p{}</style></head><body><p>Hi &amp; bye</p></body></html>"},
            "attachments": [
                {"@odata.type": "#microsoft.graph.fileAttachment", "name": "logo.png", "contentType": "image/png", "contentBytes": "iVBORw0K", "isInline": true, "contentId": "logo"},
                {"@odata.type": "#microsoft.graph.referenceAttachment", "name": "Q3.xlsx", "sourceUrl": "https://contoso.sharepoint.example/q3.xlsx"}
            ]
        });
        let item = Item::from_json(&v, "seed", "2025-01-01T00:00:00Z").unwrap();
        assert_eq!(item.props["bodyPreview"], "Hi & bye");
        assert_eq!(item.props["sentDateTime"], "2025-03-01T10:14:55Z");
        assert_eq!(item.props["sender"], item.props["from"]);
        assert!(
            item.props["internetMessageId"]
                .as_str()
                .unwrap()
                .ends_with("@fabrikam.example>")
        );
        // The link counts; an inline image alone would not.
        assert!(item.has_attachments());
        let mut inline_only = item.clone();
        inline_only.attachments.truncate(1);
        assert!(!inline_only.has_attachments());
        assert_eq!(
            item.attachments[0].to_json(false, false)["contentBytes"],
            "iVBORw0K"
        );
        assert!(item.attachments[1].value().is_none());
        assert!(Item::from_json(&json!({"receivedDateTime": "soon"}), "s", "x").is_err());
    }
}
