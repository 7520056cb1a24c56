//! Files to attach, read from the host's file store before any HTTP call, so an unknown
//! file id fails the command without side effects.

use crate::env::Env;
use crate::error::Error;

pub const FILE_IDS: &str = "File IDs";
/// Graph's limit for one attachment (upload session).
pub const MAX_FILE_BYTES: usize = 150 * 1024 * 1024;
/// All attachments of one mail at most: the guest holds them in memory (128 MiB per
/// invocation), so half of that is the budget.
pub const MAX_TOTAL_BYTES: usize = 64 * 1024 * 1024;

/// "File Source": where the platform keeps the files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileSource {
    #[default]
    IncidentAttachmentFile,
    PlaybookFile,
    ArtifactFile,
}

impl crate::input::Choice for FileSource {
    const CASES: &'static [(&'static str, Self)] = &[
        (
            "incident-attachment-file",
            FileSource::IncidentAttachmentFile,
        ),
        ("playbook-file", FileSource::PlaybookFile),
        ("artifact-file", FileSource::ArtifactFile),
    ];
}

impl FileSource {
    /// The name passed to the host's file store.
    pub fn name(self) -> &'static str {
        match self {
            FileSource::IncidentAttachmentFile => "incident-attachment-file",
            FileSource::PlaybookFile => "playbook-file",
            FileSource::ArtifactFile => "artifact-file",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFile {
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Reads every listed file (blanks skipped, each id once).
pub fn load(env: &dyn Env, ids: &[String], source: FileSource) -> Result<Vec<OutgoingFile>, Error> {
    let mut out: Vec<OutgoingFile> = Vec::new();
    let mut total = 0usize;
    for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if out.iter().any(|f| f.file_id == id) {
            continue;
        }
        let (info, data) = env.file_get(id, source.name()).map_err(|e| {
            Error::input(
                FILE_IDS,
                format!(
                    "'{id}' could not be read from the {} store: {e}",
                    source.name()
                ),
            )
        })?;
        if data.len() > MAX_FILE_BYTES {
            return Err(Error::input(
                FILE_IDS,
                format!(
                    "'{id}' ({}) is {:.1} MB; Graph attaches files of at most 150 MB.",
                    info.name,
                    data.len() as f64 / 1e6
                ),
            ));
        }
        total += data.len();
        if total > MAX_TOTAL_BYTES {
            return Err(Error::input(
                FILE_IDS,
                format!(
                    "the files add up to more than {} MB; send fewer or smaller files per mail.",
                    MAX_TOTAL_BYTES / (1024 * 1024)
                ),
            ));
        }
        let name = match info.name.trim() {
            "" => format!("attachment-{}", out.len() + 1),
            n => n.to_string(),
        };
        let content_type = match info.content_type.trim() {
            "" => "application/octet-stream".to_string(),
            c => c.to_string(),
        };
        out.push(OutgoingFile {
            file_id: id.to_string(),
            name,
            content_type,
            data,
        });
    }
    Ok(out)
}
