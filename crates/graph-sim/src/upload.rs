//! The Outlook upload host behind `createUploadSession` URLs
//! (`https://outlook.office.com/api/v2.0/Users('..')/Messages('..')/AttachmentSessions('..')?authtoken=..`):
//! `PUT` ranges of at most 4 MB in order with `Content-Range`; the URL is its own
//! credential, so a request with an Authorization header is refused.

use http::StatusCode;
use serde_json::json;

use crate::error::GraphError;
use crate::sim::{Sim, lock};
use crate::store::message::{Attachment, Content};
use crate::time;
use crate::wire::{self, RawRequest, ReqMeta, Resp};

/// Outlook's limit for one upload request.
pub(crate) const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// True for `/api/v2.0/...` paths.
pub(crate) fn owns(segments: &[String]) -> bool {
    segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("api"))
}

pub(crate) fn handle(sim: &Sim, meta: &ReqMeta, req: &RawRequest<'_>, segments: &[String]) -> Resp {
    put(sim, meta, req, segments).unwrap_or_else(|e| e.render(meta))
}

/// `AttachmentSessions('<id>')` -> `<id>`.
fn session_id(segments: &[String]) -> Option<String> {
    let last = segments.last()?;
    let inner = last
        .strip_prefix("AttachmentSessions('")?
        .strip_suffix("')")?;
    Some(
        percent_encoding::percent_decode_str(inner)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// `bytes 0-4194303/10485760` -> (0, 4194303, 10485760)
fn content_range(req: &RawRequest<'_>) -> Option<(usize, usize, usize)> {
    let v = req.headers.get("content-range")?.to_str().ok()?;
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok()?,
    ))
}

fn bad_range(message: impl Into<String>) -> GraphError {
    GraphError::new(416, "InvalidRange", message)
}

fn put(
    sim: &Sim,
    meta: &ReqMeta,
    req: &RawRequest<'_>,
    segments: &[String],
) -> Result<Resp, GraphError> {
    if req.headers.contains_key(http::header::AUTHORIZATION) {
        return Err(GraphError::new(
            401,
            "InvalidAuthenticationToken",
            "The upload URL is pre-authenticated: send no Authorization header.",
        ));
    }
    let id = session_id(segments)
        .ok_or_else(|| GraphError::unknown_segment(segments.last().map_or("", String::as_str)))?;
    let token = wire::parse_form(req.query)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authtoken"))
        .map(|(_, v)| v);
    let mut data = lock(&sim.data);
    let session = data
        .activity
        .uploads
        .get(&id)
        .filter(|s| Some(&s.token) == token.as_ref() && s.expires > meta.now)
        .cloned()
        .ok_or_else(|| {
            GraphError::new(
                401,
                "InvalidAuthenticationToken",
                "The upload session is unknown, expired, or its authtoken is wrong.",
            )
        })?;
    if req.method == http::Method::DELETE {
        data.activity.uploads.remove(&id);
        return Ok(wire::empty(StatusCode::NO_CONTENT, &[]));
    }
    if req.method != http::Method::PUT {
        return Err(GraphError::new(
            405,
            "BadRequest",
            "Upload sessions take PUT (or DELETE to cancel).",
        ));
    }
    let (start, end, total) = content_range(req).ok_or_else(|| {
        GraphError::new(
            400,
            "InvalidContentRange",
            "A Content-Range header 'bytes {start}-{end}/{total}' is required.",
        )
    })?;
    if total != session.size {
        return Err(bad_range(format!(
            "The total {total} does not match the session's size {}.",
            session.size
        )));
    }
    if end < start || end >= total {
        return Err(bad_range(format!(
            "The range {start}-{end} is not inside 0-{}.",
            total - 1
        )));
    }
    let len = end - start + 1;
    if len > MAX_CHUNK {
        return Err(GraphError::new(
            413,
            "RequestEntityTooLarge",
            format!("A chunk may hold at most 4 MB ({MAX_CHUNK} bytes); this one holds {len}."),
        ));
    }
    if req.body.len() != len {
        return Err(GraphError::new(
            400,
            "InvalidContentLength",
            format!(
                "The body has {} bytes but Content-Range names {len}.",
                req.body.len()
            ),
        ));
    }
    let received = session.data.len();
    if start != received {
        // The same range again (a resend after a lost answer) is accepted if it matches.
        if end < received && session.data[start..=end] == *req.body {
            return Ok(progress(&session.data, session.size, session.expires));
        }
        return Err(bad_range(format!(
            "Expected the range starting at {received}, got {start}."
        )));
    }
    let s = data.activity.uploads.get_mut(&id).expect("looked up");
    s.data.extend_from_slice(req.body);
    if s.data.len() < s.size {
        return Ok(progress(&s.data, s.size, s.expires));
    }
    let s = data.activity.uploads.remove(&id).expect("looked up");
    let mbx = data.mailboxes.get_mut(&s.owner_id).ok_or_else(item_gone)?;
    let attachment = Attachment {
        id: String::new(),
        name: s.name.clone(),
        content_type: Some(s.content_type.clone()),
        is_inline: false,
        last_modified: time::iso(meta.now as i64),
        content: Content::File {
            bytes: s.data,
            content_id: None,
            content_location: None,
        },
    };
    let att = mbx
        .add_attachment(&s.message_id, attachment)
        .map_err(|_| item_gone())?;
    let base = segments[..segments.len() - 1]
        .iter()
        .map(|seg| seg.as_str())
        .collect::<Vec<_>>()
        .join("/");
    let location = format!("{}/{base}/Attachments('{att}')", meta.public_origin());
    Ok(wire::empty(StatusCode::CREATED, &[("Location", location)]))
}

fn item_gone() -> GraphError {
    GraphError::new(
        404,
        "ErrorItemNotFound",
        "The message of this upload session no longer exists.",
    )
}

fn progress(data: &[u8], size: usize, expires: u64) -> Resp {
    wire::json_with(
        StatusCode::OK,
        "application/json",
        &json!({
            "expirationDateTime": time::iso(expires as i64),
            "nextExpectedRanges": [format!("{}-{}", data.len(), size - 1)],
        }),
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_come_out_of_the_last_segment() {
        let segs: Vec<String> = [
            "api",
            "v2.0",
            "Users('a@t')",
            "Messages('m')",
            "AttachmentSessions('AAk%2Bx%3D')",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(session_id(&segs).as_deref(), Some("AAk+x="));
    }
}
