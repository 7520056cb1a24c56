//! OData `$filter` on messages: comparisons (`eq ne gt ge lt le`) on
//! properties and property paths (`from/emailAddress/address`), string
//! functions (`contains`, `startswith`, `endswith`), lambdas
//! (`toRecipients/any(r: r/emailAddress/address eq '...')`), `and`, `or`,
//! `not` and parentheses. Literals: `'text'` (`''` escapes a quote),
//! numbers, `true`/`false`/`null`, and unquoted ISO 8601 date-times.

use std::cmp::Ordering;

use serde_json::Value;

use crate::error::GraphError;
use crate::time;

#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Date(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Path(Vec<String>),
    Lit(Lit),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Operand, Op, Operand),
    Func(Func, Operand, Operand),
    /// `collection/any(var: expr)`
    Any(Vec<String>, String, Box<Expr>),
    /// A boolean property on its own (`isRead`).
    Truthy(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// Numbers and date-times, as written.
    Bare(String),
    Open,
    Close,
    Comma,
    Colon,
    Slash,
}

fn syntax(text: &str, why: &str) -> GraphError {
    GraphError::new(
        400,
        "BadRequest",
        format!("Invalid filter clause: {why} in '{text}'."),
    )
}

fn lex(text: &str) -> Result<Vec<Tok>, GraphError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            '/' => {
                out.push(Tok::Slash);
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(syntax(text, "unterminated string literal")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric()
                        || matches!(chars[i], ':' | '.' | '-' | '+'))
                {
                    i += 1;
                }
                out.push(Tok::Bare(chars[start..i].iter().collect()));
            }
            c if c.is_alphabetic() || c == '_' || c == '@' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '@'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(syntax(text, &format!("unexpected '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    text: &'a str,
    /// Lambda variables in scope.
    vars: Vec<String>,
    /// Top-level properties in order of appearance (for InefficientFilter).
    props: Vec<String>,
    known: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), GraphError> {
        if self.next() == Some(tok) {
            Ok(())
        } else {
            Err(syntax(self.text, &format!("expected {what}")))
        }
    }

    fn or(&mut self) -> Result<Expr, GraphError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, GraphError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, GraphError> {
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            let e = self.or()?;
            self.expect(Tok::Close, "')'")?;
            return Ok(e);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, GraphError> {
        let left = self.operand()?;
        if let Operand::Path(path) = &left
            && path.last().is_some_and(|s| s.eq_ignore_ascii_case("any"))
            && self.peek() == Some(&Tok::Open)
        {
            return self.lambda(path[..path.len() - 1].to_vec());
        }
        if let Some(func) = match &left {
            Operand::Path(p) if p.len() == 1 && self.peek() == Some(&Tok::Open) => {
                Some(p[0].to_ascii_lowercase())
            }
            _ => None,
        } {
            return self.function(&func);
        }
        let op = match self.peek() {
            Some(Tok::Ident(w)) => match w.to_ascii_lowercase().as_str() {
                "eq" => Some(Op::Eq),
                "ne" => Some(Op::Ne),
                "gt" => Some(Op::Gt),
                "ge" => Some(Op::Ge),
                "lt" => Some(Op::Lt),
                "le" => Some(Op::Le),
                _ => None,
            },
            _ => None,
        };
        match (op, left) {
            (Some(op), left) => {
                self.pos += 1;
                let right = self.operand()?;
                Ok(Expr::Cmp(left, op, right))
            }
            (None, Operand::Path(p)) => Ok(Expr::Truthy(p)),
            (None, Operand::Lit(Lit::Bool(b))) => Ok(Expr::Cmp(
                Operand::Lit(Lit::Bool(b)),
                Op::Eq,
                Operand::Lit(Lit::Bool(true)),
            )),
            (None, _) => Err(syntax(self.text, "expected a comparison operator")),
        }
    }

    fn function(&mut self, name: &str) -> Result<Expr, GraphError> {
        let func = match name {
            "contains" => Func::Contains,
            "startswith" => Func::StartsWith,
            "endswith" => Func::EndsWith,
            other => {
                return Err(GraphError::new(
                    400,
                    "ErrorInvalidUrlQueryFilter",
                    format!("An unknown function with name '{other}' was found."),
                ));
            }
        };
        self.props.pop(); // the function name is not a property
        self.expect(Tok::Open, "'('")?;
        let a = self.operand()?;
        self.expect(Tok::Comma, "','")?;
        let b = self.operand()?;
        self.expect(Tok::Close, "')'")?;
        Ok(Expr::Func(func, a, b))
    }

    fn lambda(&mut self, collection: Vec<String>) -> Result<Expr, GraphError> {
        self.expect(Tok::Open, "'('")?;
        let var = match self.next() {
            Some(Tok::Ident(v)) => v,
            _ => return Err(syntax(self.text, "expected a lambda variable")),
        };
        self.expect(Tok::Colon, "':'")?;
        self.vars.push(var.clone());
        let body = self.or()?;
        self.vars.pop();
        self.expect(Tok::Close, "')'")?;
        Ok(Expr::Any(collection, var, Box::new(body)))
    }

    fn operand(&mut self) -> Result<Operand, GraphError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Operand::Lit(Lit::Str(s))),
            Some(Tok::Bare(b)) => {
                if let Some(t) = time::parse_iso(&b) {
                    Ok(Operand::Lit(Lit::Date(t)))
                } else if let Ok(n) = b.parse::<f64>() {
                    Ok(Operand::Lit(Lit::Num(n)))
                } else {
                    Err(syntax(self.text, &format!("'{b}' is not a literal")))
                }
            }
            Some(Tok::Ident(w)) => {
                match w.to_ascii_lowercase().as_str() {
                    "true" => return Ok(Operand::Lit(Lit::Bool(true))),
                    "false" => return Ok(Operand::Lit(Lit::Bool(false))),
                    "null" => return Ok(Operand::Lit(Lit::Null)),
                    _ => {}
                }
                let mut path = vec![w];
                while self.peek() == Some(&Tok::Slash) {
                    self.pos += 1;
                    match self.next() {
                        Some(Tok::Ident(seg)) => path.push(seg),
                        _ => return Err(syntax(self.text, "expected a property after '/'")),
                    }
                }
                self.check_root(&mut path)?;
                Ok(Operand::Path(path))
            }
            _ => Err(syntax(self.text, "expected a value or a property")),
        }
    }

    /// The first segment must be a message property (or a lambda variable,
    /// or a function name, which `function` takes back).
    fn check_root(&mut self, path: &mut [String]) -> Result<(), GraphError> {
        if self.vars.contains(&path[0]) {
            return Ok(());
        }
        if self.peek() == Some(&Tok::Open) && path.len() == 1 {
            self.props.push(path[0].clone());
            return Ok(());
        }
        let canonical = self
            .known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(&path[0]))
            .ok_or_else(|| {
                GraphError::new(
                    400,
                    "BadRequest",
                    format!(
                        "Could not find a property named '{}' on type 'microsoft.graph.message'.",
                        path[0]
                    ),
                )
            })?;
        path[0] = (*canonical).to_string();
        self.props.push(path[0].clone());
        Ok(())
    }
}

/// A parsed `$filter` and the properties it names, in order.
pub(crate) struct Filter {
    expr: Expr,
    pub properties: Vec<String>,
}

pub(crate) fn parse(text: &str, known: &[&str]) -> Result<Filter, GraphError> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
        text,
        vars: Vec::new(),
        props: Vec::new(),
        known,
    };
    let expr = p.or()?;
    if p.pos < p.toks.len() {
        return Err(syntax(text, "unexpected text after the expression"));
    }
    Ok(Filter {
        expr,
        properties: p.props,
    })
}

impl Filter {
    /// Graph's InefficientFilter rule: the `$orderby` properties must come
    /// first in `$filter`, in the same order.
    pub(crate) fn check_order(&self, order: &[(String, bool)]) -> Result<(), GraphError> {
        let mut distinct: Vec<&str> = Vec::new();
        for p in &self.properties {
            if !distinct.contains(&p.as_str()) {
                distinct.push(p);
            }
        }
        let fits = order.len() <= distinct.len()
            && order
                .iter()
                .zip(&distinct)
                .all(|((o, _), d)| o.eq_ignore_ascii_case(d));
        if fits {
            Ok(())
        } else {
            Err(GraphError::new(
                400,
                "InefficientFilter",
                "The restriction or sort order is too complex for this operation.",
            ))
        }
    }

    /// Evaluates the filter; `root` resolves a top-level property.
    pub(crate) fn matches(&self, root: &dyn Fn(&str) -> Option<Value>) -> bool {
        eval(&self.expr, &Scope { root, var: None })
    }
}

struct Scope<'a> {
    root: &'a dyn Fn(&str) -> Option<Value>,
    var: Option<(&'a str, &'a Value)>,
}

impl Scope<'_> {
    fn resolve(&self, path: &[String]) -> Option<Value> {
        let (start, rest) = match self.var {
            Some((name, value)) if path[0] == name => (value.clone(), &path[1..]),
            _ => ((self.root)(&path[0])?, &path[1..]),
        };
        let mut v = start;
        for seg in rest {
            v = v
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                .map(|(_, v)| v.clone())?;
        }
        Some(v)
    }

    fn value(&self, operand: &Operand) -> Lit {
        match operand {
            Operand::Lit(l) => l.clone(),
            Operand::Path(p) => match self.resolve(p) {
                None | Some(Value::Null) => Lit::Null,
                Some(Value::Bool(b)) => Lit::Bool(b),
                Some(Value::Number(n)) => Lit::Num(n.as_f64().unwrap_or(0.0)),
                Some(Value::String(s)) => Lit::Str(s),
                Some(other) => Lit::Str(other.to_string()),
            },
        }
    }
}

fn compare(a: &Lit, b: &Lit) -> Option<Ordering> {
    match (a, b) {
        (Lit::Date(x), Lit::Date(y)) => Some(x.cmp(y)),
        (Lit::Date(x), Lit::Str(s)) => time::parse_iso(s).map(|y| x.cmp(&y)),
        (Lit::Str(s), Lit::Date(y)) => time::parse_iso(s).map(|x| x.cmp(y)),
        (Lit::Str(x), Lit::Str(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Lit::Num(x), Lit::Num(y)) => x.partial_cmp(y),
        (Lit::Bool(x), Lit::Bool(y)) => Some(x.cmp(y)),
        (Lit::Null, Lit::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

fn eval(e: &Expr, scope: &Scope<'_>) -> bool {
    match e {
        Expr::And(a, b) => eval(a, scope) && eval(b, scope),
        Expr::Or(a, b) => eval(a, scope) || eval(b, scope),
        Expr::Not(a) => !eval(a, scope),
        Expr::Truthy(p) => scope.resolve(p) == Some(Value::Bool(true)),
        Expr::Cmp(a, op, b) => {
            let ord = compare(&scope.value(a), &scope.value(b));
            match op {
                Op::Eq => ord == Some(Ordering::Equal),
                Op::Ne => ord != Some(Ordering::Equal),
                Op::Gt => ord == Some(Ordering::Greater),
                Op::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                Op::Lt => ord == Some(Ordering::Less),
                Op::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            }
        }
        Expr::Func(f, a, b) => {
            let (Lit::Str(hay), Lit::Str(needle)) = (scope.value(a), scope.value(b)) else {
                return false;
            };
            let (hay, needle) = (hay.to_lowercase(), needle.to_lowercase());
            match f {
                Func::Contains => hay.contains(&needle),
                Func::StartsWith => hay.starts_with(&needle),
                Func::EndsWith => hay.ends_with(&needle),
            }
        }
        Expr::Any(collection, var, body) => match scope.resolve(collection) {
            Some(Value::Array(items)) => items.iter().any(|item| {
                eval(
                    body,
                    &Scope {
                        root: scope.root,
                        var: Some((var, item)),
                    },
                )
            }),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KNOWN: &[&str] = &[
        "subject",
        "receivedDateTime",
        "from",
        "toRecipients",
        "hasAttachments",
        "isRead",
        "internetMessageId",
    ];

    fn message() -> Value {
        json!({
            "subject": "Invoice overdue - O'Brien",
            "receivedDateTime": "2025-03-01T10:14:58Z",
            "from": {"emailAddress": {"address": "billing@fabrikam.example"}},
            "toRecipients": [{"emailAddress": {"address": "alex@contoso.example"}}],
            "hasAttachments": true,
            "isRead": false,
            "internetMessageId": "<a@b>",
        })
    }

    fn check(filter: &str) -> bool {
        let m = message();
        let f = parse(filter, KNOWN).unwrap_or_else(|e| panic!("{filter}: {}", e.message));
        f.matches(&|p| m.get(p).cloned())
    }

    #[test]
    fn comparisons_functions_and_logic() {
        assert!(check(
            "receivedDateTime ge 2025-03-01T00:00:00Z and receivedDateTime le 2025-03-02T00:00:00Z"
        ));
        assert!(!check("receivedDateTime gt 2025-03-01T10:14:58Z"));
        assert!(check("receivedDateTime ge 2025-03-01"));
        assert!(check(
            "hasAttachments eq true and contains(subject, 'invoice')"
        ));
        assert!(check("subject eq 'invoice overdue - o''brien'"));
        assert!(check(
            "from/emailAddress/address eq 'BILLING@fabrikam.example'"
        ));
        assert!(check(
            "not (isRead eq true) and (startswith(subject,'x') or endswith(subject, 'brien'))"
        ));
        assert!(check(
            "toRecipients/any(r: r/emailAddress/address eq 'alex@contoso.example')"
        ));
        assert!(!check(
            "toRecipients/any(r: r/emailAddress/address eq 'bob@contoso.example')"
        ));
        assert!(check("internetMessageId eq '<a@b>'"));
        assert!(check("hasAttachments"));
    }

    #[test]
    fn errors_and_property_order() {
        assert_eq!(parse("nope eq 1", KNOWN).err().unwrap().status, 400);
        assert_eq!(parse("subject eq 'x", KNOWN).err().unwrap().status, 400);
        assert_eq!(parse("subject eq", KNOWN).err().unwrap().status, 400);
        assert_eq!(
            parse("frobnicate(subject, 'x')", KNOWN).err().unwrap().code,
            "ErrorInvalidUrlQueryFilter"
        );
        let desc = [("receivedDateTime".to_string(), true)];
        let good = parse(
            "receivedDateTime ge 2025-01-01T00:00:00Z and contains(subject, 'a')",
            KNOWN,
        )
        .unwrap();
        assert_eq!(good.properties, ["receivedDateTime", "subject"]);
        assert!(good.check_order(&desc).is_ok());
        let bad = parse(
            "contains(subject, 'a') and receivedDateTime ge 2025-01-01T00:00:00Z",
            KNOWN,
        )
        .unwrap();
        assert_eq!(
            bad.check_order(&desc).unwrap_err().code,
            "InefficientFilter"
        );
    }
}
