//! OData query options and collection responses: `$top`, `$skip`,
//! `$select`, `@odata.context` and absolute `@odata.nextLink`s.

use serde_json::{Map, Value, json};

use crate::error::GraphError;
use crate::wire::{self, ReqMeta};

/// The query string, decoded; option names compare case-insensitively.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(raw: &str) -> Self {
        Query {
            pairs: wire::parse_form(raw),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True when `name=true` (any case) was given.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Rejects options this resource does not implement in the sim, so a
    /// client never mistakes an ignored `$filter` for a filtered answer.
    pub(crate) fn reject(&self, options: &[&str]) -> Result<(), GraphError> {
        match options.iter().find(|o| self.get(o).is_some()) {
            Some(o) => Err(GraphError::new(
                400,
                "BadRequest",
                format!("The query option '{o}' is not supported by graph-sim on this resource."),
            )),
            None => Ok(()),
        }
    }

    /// A non-negative integer option, `default` when absent.
    pub(crate) fn number(&self, name: &str, default: usize) -> Result<usize, GraphError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                GraphError::new(
                    400,
                    "BadRequest",
                    format!("Invalid value '{v}' for query option '{name}'."),
                )
            }),
        }
    }

    /// `$select` checked against the type's properties; returns the names
    /// in their canonical casing.
    pub(crate) fn select(
        &self,
        allowed: &[&str],
        type_name: &str,
    ) -> Result<Option<Vec<String>>, GraphError> {
        let Some(raw) = self.get("$select") else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let canonical = allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    GraphError::new(
                        400,
                        "BadRequest",
                        format!("Could not find a property named '{name}' on type '{type_name}'."),
                    )
                })?;
            out.push((*canonical).to_string());
        }
        Ok(Some(out))
    }

    /// The request URL again, absolute on the public origin, with the paging
    /// option `key` replaced by `value`.
    pub(crate) fn next_link(
        &self,
        meta: &ReqMeta,
        raw_path: &str,
        key: &str,
        value: &str,
    ) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if !k.eq_ignore_ascii_case(key) {
                query.append_pair(k, v);
            }
        }
        query.append_pair(key, value);
        format!("{}{raw_path}?{}", meta.public_origin(), query.finish())
    }
}

/// Keeps `id`, annotations and the selected properties of an entity.
pub(crate) fn project(entity: Value, select: Option<&[String]>) -> Value {
    let (Some(select), Value::Object(map)) = (select, &entity) else {
        return entity;
    };
    let kept: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| k.as_str() == "id" || k.starts_with('@') || select.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(kept)
}

/// `https://graph.microsoft.com/v1.0/$metadata#<fragment>`.
pub(crate) fn context(meta: &ReqMeta, version: &str, fragment: &str) -> String {
    format!("{}/{version}/$metadata#{fragment}", meta.public_origin())
}

/// `{"@odata.context", "value", "@odata.nextLink"?}`.
pub(crate) fn collection(context: String, items: Vec<Value>, next: Option<String>) -> Value {
    let mut body = json!({"@odata.context": context, "value": items});
    if let Some(next) = next {
        body["@odata.nextLink"] = json!(next);
    }
    body
}

/// One page of `items` starting at `skip`; also whether more follow.
pub(crate) fn page<T: Clone>(items: &[T], skip: usize, top: usize) -> (Vec<T>, bool) {
    let start = skip.min(items.len());
    let end = start.saturating_add(top).min(items.len());
    (items[start..end].to_vec(), end < items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_and_links() {
        let (p, more) = page(&[1, 2, 3, 4, 5], 2, 2);
        assert_eq!(p, vec![3, 4]);
        assert!(more);
        let (p, more) = page(&[1, 2, 3], 2, 10);
        assert_eq!((p, more), (vec![3], false));
        let meta = ReqMeta {
            request_id: "r".into(),
            client_request_id: None,
            forwarded_host: Some("graph.microsoft.com".into()),
            host: "127.0.0.1:1".into(),
            now: 0,
        };
        let q = Query::parse("%24top=3&%24skip=3&includeHiddenFolders=true");
        assert_eq!(q.number("$TOP", 10).unwrap(), 3);
        assert_eq!(
            q.next_link(&meta, "/v1.0/me/mailFolders", "$skip", "6"),
            "https://graph.microsoft.com/v1.0/me/mailFolders?%24top=3&includeHiddenFolders=true&%24skip=6"
        );
    }

    #[test]
    fn select_projects_and_validates() {
        let q = Query::parse("$select=DisplayName");
        let sel = q
            .select(&["id", "displayName"], "microsoft.graph.mailFolder")
            .unwrap();
        assert_eq!(sel.as_deref(), Some(&["displayName".to_string()][..]));
        let v = project(
            json!({"id": "1", "displayName": "x", "isHidden": false}),
            sel.as_deref(),
        );
        assert_eq!(v, json!({"id": "1", "displayName": "x"}));
        let bad = Query::parse("$select=nope").select(&["id"], "microsoft.graph.mailFolder");
        assert_eq!(bad.unwrap_err().status, 400);
    }
}
