//! Microsoft Graph permission names: canonical spelling and which
//! permission implies which (a higher one satisfies a lower one).

use std::collections::BTreeSet;

/// Permission names the sim knows, in Graph's canonical casing.
const KNOWN: &[&str] = &[
    "Mail.ReadBasic",
    "Mail.ReadBasic.All",
    "Mail.Read",
    "Mail.ReadWrite",
    "Mail.Send",
    "Mail.Read.Shared",
    "Mail.ReadWrite.Shared",
    "Mail.Send.Shared",
    "MailboxSettings.Read",
    "MailboxSettings.ReadWrite",
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "User.DeleteRestore.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
    "LicenseAssignment.ReadWrite.All",
    "ThreatAssessment.ReadWrite.All",
];

/// Direct implications; the closure is taken transitively.
const IMPLIES: &[(&str, &[&str])] = &[
    ("Mail.ReadWrite", &["Mail.Read"]),
    ("Mail.Read", &["Mail.ReadBasic", "Mail.ReadBasic.All"]),
    (
        "Mail.ReadWrite.Shared",
        &["Mail.Read.Shared", "Mail.ReadWrite"],
    ),
    ("Mail.Read.Shared", &["Mail.Read"]),
    ("Mail.Send.Shared", &["Mail.Send"]),
    ("MailboxSettings.ReadWrite", &["MailboxSettings.Read"]),
    ("User.ReadWrite", &["User.Read"]),
    ("User.Read.All", &["User.ReadBasic.All", "User.Read"]),
    ("User.ReadWrite.All", &["User.Read.All", "User.ReadWrite"]),
    ("Directory.Read.All", &["User.Read.All"]),
    (
        "Directory.ReadWrite.All",
        &["Directory.Read.All", "User.ReadWrite.All"],
    ),
    ("Directory.AccessAsUser.All", &["Directory.ReadWrite.All"]),
];

/// Graph's spelling of a permission name given in any case; unknown names
/// pass through unchanged.
pub(crate) fn canonical(name: &str) -> String {
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| (*k).to_string())
}

/// Everything the granted permissions allow, lowercased for comparison.
pub(crate) fn closure<S: AsRef<str>>(granted: &[S]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = granted
        .iter()
        .map(|g| g.as_ref().to_ascii_lowercase())
        .collect();
    loop {
        let before = out.len();
        for (higher, lower) in IMPLIES {
            if out.contains(&higher.to_ascii_lowercase()) {
                out.extend(lower.iter().map(|l| l.to_ascii_lowercase()));
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_permissions_imply_lower() {
        let c = closure(&["Mail.ReadWrite", "Directory.ReadWrite.All"]);
        for p in [
            "mail.read",
            "mail.readbasic",
            "mail.readbasic.all",
            "user.read.all",
            "directory.read.all",
        ] {
            assert!(c.contains(p), "{p}");
        }
        assert!(!c.contains("mail.send"));
        assert!(!closure(&["Mail.Read"]).contains("mail.readwrite"));
        assert_eq!(canonical("mail.readwrite"), "Mail.ReadWrite");
    }
}
