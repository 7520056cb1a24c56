//! Graph permissions: which granted permission satisfies which needed one, so Test
//! Connection can tell, per command, what is missing.

/// Permissions that also grant `needed` (a higher one implies a lower one).
fn implied_by(needed: &str) -> &'static [&'static str] {
    match needed.to_ascii_lowercase().as_str() {
        "mail.readbasic" => &["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"],
        "mail.readbasic.all" | "mail.read" => &["Mail.Read", "Mail.ReadWrite"],
        "mailboxsettings.read" => &["MailboxSettings.ReadWrite"],
        "user.read" => &[
            "User.ReadWrite",
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "user.readbasic.all" => &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "user.read.all" => &[
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "user.readwrite.all" | "directory.read.all" => &["Directory.ReadWrite.All"],
        _ => &[],
    }
}

/// Whether the granted permissions cover `needed` (names compare case-insensitively).
pub fn satisfies(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| {
        g.eq_ignore_ascii_case(needed)
            || implied_by(needed).iter().any(|i| g.eq_ignore_ascii_case(i))
    })
}

/// The needed permissions that are not covered.
pub fn missing(granted: &[String], needed: &[&str]) -> Vec<String> {
    needed
        .iter()
        .filter(|n| !satisfies(granted, n))
        .map(|n| n.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn higher_permission_implies_lower() {
        assert!(satisfies(&g(&["Mail.ReadWrite"]), "Mail.ReadBasic.All"));
        assert!(satisfies(&g(&["mail.readwrite"]), "Mail.Read"));
        assert!(!satisfies(&g(&["Mail.Read"]), "Mail.ReadWrite"));
        assert!(satisfies(&g(&["Directory.ReadWrite.All"]), "User.Read.All"));
    }

    #[test]
    fn missing_lists_only_uncovered() {
        assert_eq!(
            missing(&g(&["Mail.Read"]), &["Mail.ReadBasic", "Mail.Send"]),
            vec!["Mail.Send"]
        );
    }
}
