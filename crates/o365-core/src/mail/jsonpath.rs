//! The JSONPath subset the vendor document's field mappings are written in,
//! so the mapping table can be kept exactly as the document states it:
//! `.name`, `..name` (recursive descent), `[*]`, and filters
//! `[?(@.field==value || @.field=='value')]`. As in the platform, a `.name`
//! step applied to an array applies to its elements. Strings in filters
//! compare case-insensitively (header names vary in case).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Child(String),
    Descendant(String),
    All,
    /// Alternatives of `(field, value)`; any one matching keeps the element.
    Filter(Vec<(String, String)>),
}

fn parse(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = path.trim().trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[*]") {
            steps.push(Step::All);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[?(") {
            let end = r.find(")]").unwrap_or(r.len());
            let alternatives = r[..end]
                .split("||")
                .filter_map(|alt| {
                    let (field, value) = alt.split_once("==")?;
                    let field = field.trim().trim_start_matches('@').trim_start_matches('.');
                    let value = value.trim().trim_matches(|c| c == '\'' || c == '"');
                    Some((field.to_string(), value.to_string()))
                })
                .collect();
            steps.push(Step::Filter(alternatives));
            rest = r.get(end + 2..).unwrap_or("");
        } else {
            let descendant = rest.starts_with("..");
            let r = rest.trim_start_matches('.');
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = r[..end].to_string();
            if !name.is_empty() {
                steps.push(if descendant {
                    Step::Descendant(name)
                } else {
                    Step::Child(name)
                });
            }
            rest = &r[end..];
        }
    }
    steps
}

/// Every value under a key named `name`, at any depth below `v`.
fn descendants<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    descendants_of_any(v, &[name], std::slice::from_mut(out));
}

fn filter_matches(v: &Value, alternatives: &[(String, String)]) -> bool {
    alternatives.iter().any(|(field, want)| match v.get(field) {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(want),
        Some(other) => serde_json::from_str::<Value>(want).ok().as_ref() == Some(other),
        None => false,
    })
}

/// A parsed path, evaluated many times (once per message).
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    steps: Vec<Step>,
}

/// Recursive descents from one root, kept across the paths evaluated on it: the
/// mapping table starts 13 paths with `..originalMessageFile` or `..originalEmail`,
/// and each walk visits the whole message.
#[derive(Default)]
pub struct Memo<'a> {
    descents: Vec<(String, Vec<&'a Value>)>,
}

impl<'a> Memo<'a> {
    /// The descents from `root` for every name in `names`, in one walk.
    pub fn walk(root: &'a Value, names: &[String]) -> Memo<'a> {
        let mut found = vec![Vec::new(); names.len()];
        descendants_of_any(root, names, &mut found);
        Memo {
            descents: names.iter().cloned().zip(found).collect(),
        }
    }

    fn descendants(&mut self, root: &'a Value, name: &str) -> &[&'a Value] {
        let at = match self.descents.iter().position(|(n, _)| n == name) {
            Some(at) => at,
            None => {
                let mut found = Vec::new();
                descendants(root, name, &mut found);
                self.descents.push((name.to_string(), found));
                self.descents.len() - 1
            }
        };
        &self.descents[at].1
    }
}

/// For each of `names`, every value under a key of that name at any depth below `v`.
fn descendants_of_any<'a, N: AsRef<str>>(v: &'a Value, names: &[N], out: &mut [Vec<&'a Value>]) {
    // Only containers are visited: most values of a message are strings.
    let container = |v: &&Value| matches!(v, Value::Object(_) | Value::Array(_));
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if let Some(i) = names.iter().position(|n| n.as_ref() == k) {
                    out[i].push(child);
                }
                if container(&child) {
                    descendants_of_any(child, names, out);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .filter(container)
            .for_each(|i| descendants_of_any(i, names, out)),
        _ => {}
    }
}

impl Path {
    pub fn parse(path: &str) -> Path {
        Path { steps: parse(path) }
    }

    /// The name of a path that starts with a recursive descent (`..name`).
    pub fn root_descent(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Descendant(name)) => Some(name),
            _ => None,
        }
    }

    /// Evaluates the path on `root`. A path with no wildcard, filter, recursive
    /// step or array traversal yields its one value (null when absent); any
    /// other yields the list of what it reached. `memo` must only ever be used
    /// with this same `root`.
    pub fn select<'a>(&self, root: &'a Value, memo: &mut Memo<'a>) -> Value {
        let mut nodes: Vec<&Value> = vec![root];
        let mut many = false;
        for (i, step) in self.steps.iter().enumerate() {
            let mut next = Vec::new();
            match step {
                Step::Child(name) => {
                    for n in &nodes {
                        match n {
                            Value::Object(map) => next.extend(map.get(name)),
                            Value::Array(items) => {
                                many = true;
                                next.extend(items.iter().filter_map(|i| i.get(name)));
                            }
                            _ => {}
                        }
                    }
                }
                Step::Descendant(name) if i == 0 => {
                    many = true;
                    next.extend_from_slice(memo.descendants(root, name));
                }
                Step::Descendant(name) => {
                    many = true;
                    for n in &nodes {
                        descendants(n, name, &mut next);
                    }
                }
                Step::All => {
                    many = true;
                    for n in &nodes {
                        match n {
                            Value::Array(items) => next.extend(items.iter()),
                            Value::Object(map) => next.extend(map.values()),
                            _ => {}
                        }
                    }
                }
                Step::Filter(alternatives) => {
                    many = true;
                    for n in &nodes {
                        match n {
                            Value::Array(items) => next
                                .extend(items.iter().filter(|i| filter_matches(i, alternatives))),
                            other if filter_matches(other, alternatives) => next.push(other),
                            _ => {}
                        }
                    }
                }
            }
            nodes = next;
        }
        if many {
            Value::Array(nodes.into_iter().cloned().collect())
        } else {
            nodes.first().map_or(Value::Null, |v| (*v).clone())
        }
    }
}

/// Evaluates `path` on `root` once (see [`Path::select`]).
pub fn select(root: &Value, path: &str) -> Value {
    Path::parse(path).select(root, &mut Memo::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message() -> Value {
        json!({
            "id": "m1",
            "subject": "s",
            "ccRecipients": [{"emailAddress": {"address": "c@x"}}],
            "toRecipients": [{"emailAddress": {"address": "a@x"}}, {"emailAddress": {"address": "b@x"}}],
            "internetMessageHeaders": [
                {"name": "Received", "value": "r"},
                {"name": "authentication-results", "value": "spf=fail"}
            ],
            "attachments": [{"name": "a.pdf", "contentBytes": "QQ=="}, {"name": "b.png"}],
            "originalMessageFile": [{"header": {"from": "f@x"}, "body": [
                {"content_type": "text/plain", "content": "plain"},
                {"content_type": "text/html", "content": "<p>html</p>"}
            ], "attachment": [{"fileId": "id1"}]}],
            "originalEmail": [{"detail": {"item": {"attachments": [{"name": "n", "D3File": {"fileId": "f9"}}]}}}]
        })
    }

    #[test]
    fn the_seed_mapping_shapes_evaluate() {
        let m = message();
        assert_eq!(select(&m, ".id"), json!("m1"));
        assert_eq!(select(&m, ".missing"), Value::Null);
        assert_eq!(select(&m, ".ccRecipients"), m["ccRecipients"]);
        assert_eq!(
            select(&m, ".toRecipients[*].emailAddress.address"),
            json!(["a@x", "b@x"])
        );
        assert_eq!(select(&m, ".attachments.name"), json!(["a.pdf", "b.png"]));
        assert_eq!(select(&m, ".attachments[*].contentBytes"), json!(["QQ=="]));
        assert_eq!(
            select(
                &m,
                ".internetMessageHeaders[?(@.name==Authentication-Results)].value"
            ),
            json!(["spf=fail"])
        );
        assert_eq!(
            select(&m, "..originalMessageFile[*].header.from"),
            json!(["f@x"])
        );
        assert_eq!(
            select(&m, "..originalMessageFile[*].attachment[*].fileId"),
            json!(["id1"])
        );
        assert_eq!(
            select(
                &m,
                "..originalMessageFile[*].body[?(@.content_type=='text/html' || @.content_type=='text/plain')].content"
            ),
            json!(["plain", "<p>html</p>"])
        );
        assert_eq!(
            select(&m, "..originalEmail[*].detail.item.attachments[*]..D3File"),
            json!([{"fileId": "f9"}])
        );
        assert_eq!(
            select(&m, ".originalEmail[*].detail.item.subject"),
            json!([])
        );
    }
}
