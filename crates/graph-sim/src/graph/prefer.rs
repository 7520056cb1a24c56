//! The `Prefer` request header Outlook resources honour:
//! `IdType="ImmutableId"` and `outlook.body-content-type="text"|"html"`.

use http::HeaderMap;

use crate::store::IdForm;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefer {
    pub immutable_id: bool,
    /// `Some(true)` for text bodies, `Some(false)` for html, None: as stored.
    pub body_text: Option<bool>,
    /// `odata.maxpagesize=N` (delta query pages by it).
    pub max_page_size: Option<usize>,
}

impl Prefer {
    /// Reads every `Prefer` header (a client may send several, or one with
    /// comma-separated preferences).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Prefer {
        let mut p = Prefer::default();
        for value in headers.get_all("prefer") {
            let Ok(text) = value.to_str() else { continue };
            for pref in text.split(',') {
                let Some((name, val)) = pref.split_once('=') else {
                    continue;
                };
                let val = val.trim().trim_matches('"');
                match name.trim().to_ascii_lowercase().as_str() {
                    "idtype" => p.immutable_id = val.eq_ignore_ascii_case("ImmutableId"),
                    "odata.maxpagesize" => {
                        p.max_page_size = val.parse().ok().filter(|n| *n > 0);
                    }
                    "outlook.body-content-type" => {
                        p.body_text = match val.to_ascii_lowercase().as_str() {
                            "text" => Some(true),
                            "html" => Some(false),
                            _ => None,
                        }
                    }
                    _ => {}
                }
            }
        }
        p
    }

    pub(crate) fn id_form(&self) -> IdForm {
        if self.immutable_id {
            IdForm::Immutable
        } else {
            IdForm::Rest
        }
    }

    /// The `Preference-Applied` header, when any preference was honoured.
    pub(crate) fn applied(&self) -> Vec<(&'static str, String)> {
        let mut applied = Vec::new();
        if self.immutable_id {
            applied.push("IdType=\"ImmutableId\"".to_string());
        }
        match self.body_text {
            Some(true) => applied.push("outlook.body-content-type=\"text\"".into()),
            Some(false) => applied.push("outlook.body-content-type=\"html\"".into()),
            None => {}
        }
        if let Some(n) = self.max_page_size {
            applied.push(format!("odata.maxpagesize={n}"));
        }
        if applied.is_empty() {
            Vec::new()
        } else {
            vec![("Preference-Applied", applied.join(", "))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_several_preferences() {
        let mut h = HeaderMap::new();
        h.append("Prefer", "IdType=\"ImmutableId\"".parse().unwrap());
        h.append(
            "prefer",
            "outlook.body-content-type=\"text\"".parse().unwrap(),
        );
        let p = Prefer::from_headers(&h);
        assert!(p.immutable_id);
        assert_eq!(p.body_text, Some(true));
        assert_eq!(p.id_form(), IdForm::Immutable);
        assert_eq!(
            p.applied()[0].1,
            "IdType=\"ImmutableId\", outlook.body-content-type=\"text\""
        );
        assert!(Prefer::from_headers(&HeaderMap::new()).applied().is_empty());
    }
}
