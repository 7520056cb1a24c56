//! Files only the owner may read, written so that a crash never leaves them half-written
//! (connection files with refresh tokens, the token cache): a new temporary file in the
//! same directory, created 0600, written and synced, then renamed over the old one, and
//! the directory synced so the rename itself survives a crash.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes`, atomically and with mode 0600 whatever mode the file
/// had before.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    // tempfile creates the file 0600 on unix, with a name no other writer uses.
    let mut tmp = tempfile::Builder::new()
        .prefix(".o365-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_0644_file_becomes_0600_and_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("conn.json");
        std::fs::write(&file, b"{\"refresh-token\": \"old\"}").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        write(&file, b"{\"refresh-token\": \"new\"}").unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "{\"refresh-token\": \"new\"}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
