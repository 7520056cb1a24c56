//! Removing the connection's secrets and the tokens seen from a result: from
//! values in place, or from a result's JSON text, searched as one text.

use secret_scan::Secrets;
use serde_json::Value;

use crate::json_text;
use crate::model::CommandError;

pub(crate) struct Scrubber(Secrets);

impl Scrubber {
    pub(crate) fn new(secrets: &[String]) -> Self {
        Scrubber(Secrets::new(secrets.iter().cloned()))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn text(&self, s: &mut String) {
        if let Some(clean) = self.0.redacted(s) {
            *s = clean;
        }
    }

    pub(crate) fn errors(&self, errors: &mut [CommandError]) {
        for e in errors {
            self.text(&mut e.message);
            self.text(&mut e.failure_indicator);
        }
    }

    pub(crate) fn json(&self, v: &mut Value) {
        match v {
            Value::String(s) => self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.json(i)),
            Value::Object(map) => {
                if map.keys().any(|k| self.0.found_in(k)) {
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(mut k, v)| {
                            self.text(&mut k);
                            (k, v)
                        })
                        .collect();
                }
                map.values_mut().for_each(|v| self.json(v));
            }
            _ => {}
        }
    }
}

/// What finds a secret in JSON text: each secret as it is, and as JSON writes it
/// when it holds a byte JSON escapes.
pub(crate) struct TextScrubber {
    secrets: Secrets,
    needles: Secrets,
}

impl TextScrubber {
    pub(crate) fn new(secrets: Secrets) -> Self {
        let escaped: Vec<String> = secrets
            .texts()
            .filter_map(|s| {
                let quoted = json_text::to_text(Value::String(s.to_string()));
                let inner = &quoted[1..quoted.len() - 1];
                (inner != s).then(|| inner.to_string())
            })
            .collect();
        let mut needles = secrets.clone();
        escaped.into_iter().for_each(|e| needles.add(e));
        TextScrubber { secrets, needles }
    }

    /// `text` (JSON) without the secrets. A text without any is returned as it is
    /// after one search; one with a secret (rare: a result has no business holding
    /// one) is scrubbed value by value, so the text stays valid JSON.
    pub(crate) fn scrub(&self, text: String) -> String {
        if !self.needles.found_in(&text) {
            return text;
        }
        let mut value: Value = serde_json::from_str(&text).expect("json_text writes JSON");
        Scrubber(self.secrets.clone()).json(&mut value);
        json_text::to_text(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_scrubbing_matches_value_scrubbing() {
        let secrets = vec!["s3cr3t~x".to_string(), "q\"uo\\te".to_string()];
        let v = json!({"a": "has s3cr3t~x", "q\"uo\\te": ["q\"uo\\te!"], "n": 1});
        let mut expected = v.clone();
        Scrubber::new(&secrets).json(&mut expected);
        let scrubber = TextScrubber::new(Secrets::new(secrets));
        let text = scrubber.scrub(json_text::to_text(v));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
        assert!(!text.contains("s3cr3t") && !text.contains("uo\\\\te"));
        let clean = json_text::to_text(json!({"a": "nothing here"}));
        assert_eq!(scrubber.scrub(clean.clone()), clean);
    }
}
