//! Checks requests against the Graph v1.0 paths of the mail slice (`tests/graph`, taken
//! from Microsoft's published v1.0 OpenAPI description): every Graph request the component
//! sends must be a method and path the slice declares.

use std::path::PathBuf;

use graph_sim::RecordedRequest;

/// `(methods, path template)` lines of `graph-v1.0-mail-paths.txt`.
pub struct Slice {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

fn slice_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("graph/graph-v1.0-mail-paths.txt")
}

impl Slice {
    pub fn load() -> Slice {
        let text =
            std::fs::read_to_string(slice_file()).expect("the Graph path list in tests/graph");
        let routes = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let (path, methods) = words.split_last().expect("methods and a path");
                (
                    methods.iter().map(|m| m.to_string()).collect(),
                    path.trim_start_matches('/')
                        .split('/')
                        .map(str::to_string)
                        .collect(),
                )
            })
            .collect();
        Slice { routes }
    }

    /// Whether `method path` (path below the version root, segments still encoded) is declared.
    pub fn declares(&self, method: &str, path: &str) -> bool {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.routes.iter().any(|(methods, template)| {
            methods.iter().any(|m| m == method)
                && template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                        || t.eq_ignore_ascii_case(s)
                })
        })
    }

    /// The Graph requests (not the identity platform's) the slice does not declare.
    pub fn undeclared(&self, requests: &[RecordedRequest]) -> Vec<String> {
        requests
            .iter()
            .filter_map(|r| {
                let path = r.path.strip_prefix("/v1.0")?;
                (!self.declares(&r.method, path)).then(|| format!("{} {}", r.method, r.path))
            })
            .collect()
    }
}
