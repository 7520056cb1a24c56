//! Outgoing mail, shared by Send Mail, Reply Mail and Reply All: recipients, a draft,
//! its attachments (inline, posted, or through an upload session) and the send.
//!
//! Sending always goes draft -> attach -> send. A draft can be sent only once, and its
//! `send` is never repeated after a lost answer; instead the draft is looked at: gone
//! from the mailbox means sent. So a fault never produces a second mail.

pub mod files;
pub mod upload;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::env::LogLevel;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, HttpRequest, segment};
use crate::mailbox::Mailbox;
use crate::model::Environment;
use crate::retry::Idempotency;
use files::OutgoingFile;

/// Graph's limit of recipients (To + Cc + Bcc) in one message.
pub const MAX_RECIPIENTS: usize = 500;
/// Base64 of the attachments put into the draft-creation request itself, at most; Graph
/// refuses requests over 4 MB.
const INLINE_BUDGET: usize = 3 * 1024 * 1024;

/// `a@b.example` or `Name <a@b.example>` as Graph's recipient.
pub fn recipient(label: &str, given: &str) -> Result<Value, Error> {
    let g = given.trim();
    let (name, address) = match (g.rfind('<'), g.ends_with('>')) {
        (Some(open), true) => (
            g[..open].trim().trim_matches('"').trim(),
            g[open + 1..g.len() - 1].trim(),
        ),
        _ => ("", g),
    };
    let valid = matches!(address.split_once('@'), Some((local, domain))
        if !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';');
    if !valid {
        return Err(Error::input(
            label,
            format!(
                "'{g}' is not an email address (name@domain, optionally as Name <name@domain>)."
            ),
        ));
    }
    Ok(if name.is_empty() {
        json!({"emailAddress": {"address": address}})
    } else {
        json!({"emailAddress": {"address": address, "name": name}})
    })
}

/// Every non-blank entry as a recipient.
pub fn recipients(label: &str, given: &[String]) -> Result<Vec<Value>, Error> {
    given
        .iter()
        .filter(|g| !g.trim().is_empty())
        .map(|g| recipient(label, g))
        .collect()
}

fn file_attachment(f: &OutgoingFile) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": f.name,
        "contentType": f.content_type,
        "contentBytes": STANDARD.encode(&f.data),
    })
}

/// Small files that fit into the draft-creation request, and the others.
pub fn split_inline(files: &[OutgoingFile]) -> (Vec<&OutgoingFile>, Vec<&OutgoingFile>) {
    let mut budget = INLINE_BUDGET;
    files.iter().partition(|f| {
        let encoded = f.data.len().div_ceil(3) * 4;
        let fits = f.data.len() < upload::THRESHOLD && encoded <= budget;
        if fits {
            budget -= encoded;
        }
        fits
    })
}

/// Adds the inline files to a draft's `message` JSON.
pub fn with_inline(mut message: Value, inline: &[&OutgoingFile]) -> Value {
    if !inline.is_empty() {
        message["attachments"] = json!(
            inline
                .iter()
                .map(|f| file_attachment(f))
                .collect::<Vec<_>>()
        );
    }
    message
}

/// `{mbx}/messages/{id}`
pub fn message_path(mailbox: &Mailbox, id: &str) -> String {
    format!("{}/messages/{}", mailbox.path(), segment(id))
}

/// A summary of an attachment for results (never its bytes).
fn summary(f: &OutgoingFile, method: &str) -> Value {
    json!({"name": f.name, "size": f.data.len(), "contentType": f.content_type, "fileId": f.file_id, "method": method})
}

pub fn inline_summaries(inline: &[&OutgoingFile]) -> Vec<Value> {
    inline.iter().map(|f| summary(f, "inline")).collect()
}

/// Attaches the files that were not inlined: posted whole under 3 MB, uploaded otherwise.
pub fn attach(
    graph: &Graph,
    environment: Environment,
    mailbox: &Mailbox,
    draft_id: &str,
    rest: &[&OutgoingFile],
) -> Result<Vec<Value>, Error> {
    let path = message_path(mailbox, draft_id);
    let mut out = Vec::new();
    for f in rest {
        if f.data.len() >= upload::THRESHOLD {
            out.push(upload::upload(graph, environment, &path, f)?);
        } else {
            // Repeated after a lost answer it would attach the file twice.
            graph.post_json(
                &format!("{path}/attachments"),
                &file_attachment(f),
                Idempotency::NotIdempotent,
            )?;
            out.push(summary(f, "attachment"));
        }
    }
    Ok(out)
}

/// How the send was known to have happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Graph answered 202 Accepted.
    Accepted,
    /// The answer was lost, but the draft has left the mailbox's drafts: it was sent.
    ConfirmedAfterLostAnswer,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Accepted => "accepted",
            Delivery::ConfirmedAfterLostAnswer => "confirmed-after-lost-answer",
        }
    }
}

/// An answer that did not come, so the request may or may not have been carried out.
fn answer_lost(e: &Error) -> bool {
    matches!(e, Error::Network(_) | Error::Graph { status: 504, .. })
}

/// `POST {mbx}/messages/{id}/send`, once. When its answer is lost, the draft tells.
pub fn send_draft(graph: &Graph, mailbox: &Mailbox, draft_id: &str) -> Result<Delivery, Error> {
    let path = message_path(mailbox, draft_id);
    let request =
        HttpRequest::new("POST", graph.url(&format!("{path}/send"))).header("Content-Length", "0");
    let lost = match graph.send(request, Idempotency::NotIdempotent) {
        Ok(_) => return Ok(Delivery::Accepted),
        Err(e) if answer_lost(&e) => e,
        Err(e) => return Err(e),
    };
    graph.env().log(
        LogLevel::Warn,
        "no answer to the send request; checking whether the draft was sent instead of sending again",
    );
    let check = format!("{path}{}", http::query(&[("$select", "id,isDraft".into())]));
    match graph.get_json(&check) {
        Err(e) if e.code() == Some("ErrorItemNotFound") => Ok(Delivery::ConfirmedAfterLostAnswer),
        Ok(m) if m["isDraft"] == json!(false) => Ok(Delivery::ConfirmedAfterLostAnswer),
        Ok(_) => Err(Error::Network(format!(
            "The send request got no answer ({lost}) and the message is still a draft (id {draft_id}), so it was not sent. It was not sent again automatically: open it in Drafts and send it, or run the command again."
        ))),
        Err(e) => Err(Error::Network(format!(
            "The send request got no answer ({lost}) and the draft could not be checked ({}). The mail may have been sent: look in Sent Items before running the command again.",
            e.user_message()
        ))),
    }
}

/// Completes a draft with `prepare` (subject, attachments) and sends it once. A draft that
/// cannot be completed, or whose send Graph refuses (e.g. ErrorSendAsDenied), will never go
/// out and is deleted; one whose send answer was lost is left alone, as it may have gone.
pub fn finish(
    graph: &Graph,
    mailbox: &Mailbox,
    draft_id: &str,
    prepare: impl FnOnce() -> Result<Vec<Value>, Error>,
) -> Result<(Vec<Value>, Delivery), Error> {
    let attachments = prepare().inspect_err(|_| discard(graph, mailbox, draft_id))?;
    match send_draft(graph, mailbox, draft_id) {
        Ok(d) => Ok((attachments, d)),
        Err(e) if answer_lost(&e) => Err(e),
        Err(e) => {
            discard(graph, mailbox, draft_id);
            Err(e)
        }
    }
}

/// Deletes a draft that will not be sent (an attachment failed), best effort.
fn discard(graph: &Graph, mailbox: &Mailbox, draft_id: &str) {
    let request = HttpRequest::new("DELETE", graph.url(&message_path(mailbox, draft_id)));
    if let Err(e) = graph.send(request, Idempotency::Idempotent) {
        graph.env().log(
            LogLevel::Warn,
            &format!(
                "the unsent draft could not be deleted ({}); it stays in Drafts",
                e.user_message()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_with_and_without_names() {
        assert_eq!(
            recipient("To Recipients", " a@b.example ").unwrap(),
            json!({"emailAddress": {"address": "a@b.example"}})
        );
        assert_eq!(
            recipient("To Recipients", "\"SOC Team\" <soc@b.example>").unwrap(),
            json!({"emailAddress": {"address": "soc@b.example", "name": "SOC Team"}})
        );
        for bad in [
            "soc",
            "a b@c.example",
            "a@",
            "a@b@c",
            "x@y.example, z@y.example",
        ] {
            let e = recipient("CC Recipients", bad).unwrap_err().to_string();
            assert!(e.starts_with("CC Recipients:"), "{bad}: {e}");
        }
    }

    #[test]
    fn inline_budget_keeps_the_request_under_4_mb() {
        let f = |n: usize| OutgoingFile {
            file_id: format!("f{n}"),
            name: format!("{n}.bin"),
            content_type: "application/octet-stream".into(),
            data: vec![1; n],
        };
        let files = vec![
            f(1_000_000),
            f(1_000_000),
            f(1_000_000),
            f(10),
            f(5_000_000),
        ];
        let (inline, rest) = split_inline(&files);
        // 1 MB of bytes is 1.33 MB of base64: two fit into 3 MiB, the third does not.
        assert_eq!(
            inline
                .iter()
                .map(|f| f.file_id.as_str())
                .collect::<Vec<_>>(),
            vec!["f1000000", "f1000000", "f10"]
        );
        assert_eq!(rest.len(), 2);
    }
}
