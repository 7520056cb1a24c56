//! Large attachments (3 MB and more) through an upload session (reference §3.18):
//! `createUploadSession` on the draft, then `PUT`s of at most 4 MB to the session's
//! pre-authenticated URL, in order, with `Content-Range` and no Authorization header.

use serde_json::{Value, json};

use super::files::{FILE_IDS, OutgoingFile};
use crate::cloud::Cloud;
use crate::error::Error;
use crate::graph::Graph;
use crate::http::{self, HttpRequest};
use crate::model::Environment;
use crate::retry::{Idempotency, host_of};

/// Files this large or larger need an upload session; smaller ones are posted whole.
pub const THRESHOLD: usize = 3 * 1024 * 1024;
/// Graph's limit for one upload request.
pub const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// Before any HTTP call: a large file in a cloud without upload sessions fails clearly.
pub fn check_supported(environment: Environment, files: &[OutgoingFile]) -> Result<(), Error> {
    if !Cloud::of(environment).upload_hosts.is_empty() {
        return Ok(());
    }
    match files.iter().find(|f| f.data.len() >= THRESHOLD) {
        None => Ok(()),
        Some(f) => Err(Error::input(
            FILE_IDS,
            format!(
                "'{}' ({}) is {:.1} MB. Attachments of 3 MB or more need Graph upload sessions, which Microsoft does not offer in the {} cloud; attach files under 3 MB there.",
                f.file_id,
                f.name,
                f.data.len() as f64 / 1e6,
                match environment {
                    Environment::GccHigh => "GCC High (L4)",
                    Environment::Dod => "DoD (L5)",
                    _ => environment.as_str(),
                }
            ),
        )),
    }
}

/// The start of the first range Graph still expects (`"12345-"` -> 12345).
fn next_expected(v: &Value) -> Option<usize> {
    v["nextExpectedRanges"]
        .as_array()?
        .first()?
        .as_str()?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// `.../Attachments('AAMk...')` -> `AAMk...`.
fn attachment_id(location: &str) -> Option<String> {
    let start = location.rfind("Attachments('")? + "Attachments('".len();
    let end = location[start..].find('\'')? + start;
    Some(location[start..end].to_string())
}

/// Uploads one file to the draft at `message_path` (`me/messages/{id}`).
pub fn upload(
    graph: &Graph,
    environment: Environment,
    message_path: &str,
    file: &OutgoingFile,
) -> Result<Value, Error> {
    let size = file.data.len();
    // A second session after a lost answer would only leave an unused one behind, but
    // the rule for anything that creates is: never twice.
    let session = graph.post_json(
        &format!("{message_path}/attachments/createUploadSession"),
        &json!({"AttachmentItem": {
            "attachmentType": "file",
            "name": file.name,
            "size": size,
            "contentType": file.content_type,
        }}),
        Idempotency::NotIdempotent,
    )?;
    let url = session["uploadUrl"]
        .as_str()
        .ok_or_else(|| Error::Protocol("createUploadSession returned no uploadUrl.".into()))?;
    // The URL carries its own credential; it must go only to the cloud's upload host.
    let allowed = Cloud::of(environment).upload_hosts;
    let origin = http::origin(url).unwrap_or_default();
    if !allowed.iter().any(|h| origin == format!("https://{h}")) {
        return Err(Error::Protocol(format!(
            "Graph returned an upload URL on {}, which is not an upload host of this cloud ({}); the file was not sent there.",
            host_of(url),
            allowed.join(", ")
        )));
    }
    let env = graph.env();
    let policy = graph.policy();
    let total_chunks = size.div_ceil(MAX_CHUNK).max(1);
    let mut start = next_expected(&session).unwrap_or(0);
    let mut chunks = 0;
    // Each round sends at least one byte further, or fails: bounded by the chunk count.
    for _ in 0..total_chunks * 2 + 2 {
        let end = (start + MAX_CHUNK).min(size);
        let request = HttpRequest {
            method: "PUT".into(),
            url: url.to_string(),
            headers: vec![
                ("Content-Type".into(), "application/octet-stream".into()),
                ("Content-Length".into(), (end - start).to_string()),
                (
                    "Content-Range".into(),
                    format!("bytes {start}-{}/{size}", end.saturating_sub(1)),
                ),
            ],
            body: file.data[start..end].to_vec(),
            max_response_bytes: None,
            timeout: None,
        };
        // Not through Graph::send: no bearer token on a pre-authenticated URL. The same
        // range sent again holds the same bytes, so a resend is safe.
        let response = policy.send(env, &request, Idempotency::Idempotent)?;
        chunks += 1;
        env.progress(
            chunks as u32,
            total_chunks as u32,
            &format!("uploading {}", file.name),
        );
        match response.status {
            201 => {
                return Ok(json!({
                    "name": file.name,
                    "size": size,
                    "contentType": file.content_type,
                    "fileId": file.file_id,
                    "method": "upload-session",
                    "requests": chunks,
                    "attachmentId": response.header("Location").and_then(attachment_id),
                }));
            }
            200 => {
                let next = response.json().as_ref().and_then(next_expected);
                match next {
                    Some(n) if n > start && n <= size => start = n,
                    _ => {
                        return Err(Error::Protocol(format!(
                            "The upload of '{}' stalled: the upload host expects no further bytes after {end} of {size}.",
                            file.name
                        )));
                    }
                }
            }
            _ => return Err(Error::from_graph_response(&response)),
        }
    }
    Err(Error::Protocol(format!(
        "The upload of '{}' did not finish after {chunks} requests.",
        file.name
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_locations_are_read() {
        assert_eq!(
            next_expected(&json!({"nextExpectedRanges": ["4194304-"]})),
            Some(4_194_304)
        );
        assert_eq!(next_expected(&json!({})), None);
        assert_eq!(
            attachment_id(
                "https://outlook.office.com/api/v2.0/Users('a')/Messages('b')/Attachments('AAMkA=')"
            ),
            Some("AAMkA=".into())
        );
    }

    #[test]
    fn large_files_fail_before_http_in_gcc_high() {
        let big = OutgoingFile {
            file_id: "f1".into(),
            name: "dump.bin".into(),
            content_type: "application/octet-stream".into(),
            data: vec![0; THRESHOLD],
        };
        let e = check_supported(Environment::GccHigh, std::slice::from_ref(&big)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("File IDs: 'f1' (dump.bin) is 3.1 MB"),
            "{e}"
        );
        assert!(e.to_string().contains("GCC High (L4)"));
        assert!(check_supported(Environment::CommercialGcc, &[big]).is_ok());
    }
}
