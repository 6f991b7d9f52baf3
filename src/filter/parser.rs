//! Tokenizer and parser for PocketBase's filter language (fexpr): `a = 'x' && (b > 1 || c ~ "y")`.
//!
//! The result is a flat list of `(join, item)` pairs per group, as fexpr returns it; precedence
//! (`&&` over `||`) is left to SQL when the groups are concatenated.

use std::fmt;

/// Longest filter accepted (PocketBase's limit).
pub const MAX_LENGTH: usize = 3500;
/// Most comparison expressions in one filter.
pub const MAX_EXPRESSIONS: usize = 200;
/// Deepest function nesting, `f(g(h(x)))`.
const MAX_FUNC_DEPTH: usize = 3;
/// Deepest parenthesis nesting (guards the recursion).
const MAX_GROUP_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Like,
    NotLike,
    Lt,
    Lte,
    Gt,
    Gte,
    AnyEq,
    AnyNeq,
    AnyLike,
    AnyNotLike,
    AnyLt,
    AnyLte,
    AnyGt,
    AnyGte,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "=" => Self::Eq,
            "!=" => Self::Neq,
            "~" => Self::Like,
            "!~" => Self::NotLike,
            "<" => Self::Lt,
            "<=" => Self::Lte,
            ">" => Self::Gt,
            ">=" => Self::Gte,
            "?=" => Self::AnyEq,
            "?!=" => Self::AnyNeq,
            "?~" => Self::AnyLike,
            "?!~" => Self::AnyNotLike,
            "?<" => Self::AnyLt,
            "?<=" => Self::AnyLte,
            "?>" => Self::AnyGt,
            "?>=" => Self::AnyGte,
            _ => return None,
        })
    }

    /// The `?` operators match when at least one value matches.
    pub fn is_any(self) -> bool {
        matches!(
            self,
            Self::AnyEq
                | Self::AnyNeq
                | Self::AnyLike
                | Self::AnyNotLike
                | Self::AnyLt
                | Self::AnyLte
                | Self::AnyGt
                | Self::AnyGte
        )
    }

    /// The operator without its `?`.
    pub fn base(self) -> Self {
        match self {
            Self::AnyEq => Self::Eq,
            Self::AnyNeq => Self::Neq,
            Self::AnyLike => Self::Like,
            Self::AnyNotLike => Self::NotLike,
            Self::AnyLt => Self::Lt,
            Self::AnyLte => Self::Lte,
            Self::AnyGt => Self::Gt,
            Self::AnyGte => Self::Gte,
            other => other,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Ident(String),
    Number(String),
    Text(String),
    Func { name: String, args: Vec<Operand> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Cmp { left: Operand, op: Op, right: Operand },
    Group(Vec<(Join, Node)>),
}

/// A parsed filter: items joined left to right (the first join is `And` and ignored).
pub type Expr = Vec<(Join, Node)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position)
    }
}

impl std::error::Error for ParseError {}

/// Parses a filter or rule expression.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    if input.chars().count() > MAX_LENGTH {
        return Err(ParseError {
            position: MAX_LENGTH,
            message: format!("the expression is longer than {MAX_LENGTH} characters"),
        });
    }
    let mut p = Parser { chars: input.chars().collect(), pos: 0, expressions: 0 };
    p.skip_ws();
    if p.at_end() {
        return Err(p.error("empty filter expression"));
    }
    let expr = p.seq(0)?;
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error(&format!("unexpected {:?}", p.peek_char())));
    }
    Ok(expr)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    expressions: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_char(&self) -> String {
        self.peek().map_or_else(|| "end of input".to_owned(), String::from)
    }

    fn error(&self, message: &str) -> ParseError {
        ParseError { position: self.pos, message: message.to_owned() }
    }

    /// Whitespace and `//` comments.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\n' | '\r') => self.pos += 1,
                Some('/') if self.chars.get(self.pos + 1) == Some(&'/') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn seq(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_GROUP_DEPTH {
            return Err(self.error("too deeply nested parentheses"));
        }
        let mut items = vec![(Join::And, self.item(depth)?)];
        loop {
            self.skip_ws();
            let join = match (self.peek(), self.chars.get(self.pos + 1)) {
                (Some('&'), Some('&')) => Join::And,
                (Some('|'), Some('|')) => Join::Or,
                _ => return Ok(items),
            };
            self.pos += 2;
            self.skip_ws();
            items.push((join, self.item(depth)?));
        }
    }

    fn item(&mut self, depth: usize) -> Result<Node, ParseError> {
        self.skip_ws();
        if self.peek() == Some('(') {
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(')') {
                return Err(self.error("empty group"));
            }
            let inner = self.seq(depth + 1)?;
            self.skip_ws();
            if self.peek() != Some(')') {
                return Err(self.error(&format!("expected ')' or a join operator, found {}", self.peek_char())));
            }
            self.pos += 1;
            return Ok(Node::Group(inner));
        }
        self.expressions += 1;
        if self.expressions > MAX_EXPRESSIONS {
            return Err(self.error(&format!("more than {MAX_EXPRESSIONS} expressions")));
        }
        let left = self.operand(0)?;
        self.skip_ws();
        let op = self.sign()?;
        self.skip_ws();
        let right = self.operand(0)?;
        Ok(Node::Cmp { left, op, right })
    }

    fn sign(&mut self) -> Result<Op, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| matches!(c, '=' | '?' | '!' | '<' | '>' | '~')) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        Op::parse(&text).ok_or_else(|| ParseError {
            position: start,
            message: if text.is_empty() {
                format!("expected an operator, found {}", self.peek_char())
            } else {
                format!("invalid operator {text:?}")
            },
        })
    }

    fn operand(&mut self, func_depth: usize) -> Result<Operand, ParseError> {
        match self.peek() {
            Some(q @ ('\'' | '"')) => self.text(q).map(Operand::Text),
            Some(c) if c.is_ascii_digit() || c == '-' => self.number().map(Operand::Number),
            Some(c) if c.is_ascii_alphabetic() || matches!(c, '@' | '_' | '#') => {
                let name = self.identifier()?;
                if self.peek() == Some('(') {
                    return self.function(name, func_depth);
                }
                Ok(Operand::Ident(name))
            }
            _ => Err(self.error(&format!("expected a field, function, number or text, found {}", self.peek_char()))),
        }
    }

    fn identifier(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':')) {
            self.pos += 1;
        }
        let ident: String = self.chars[start..self.pos].iter().collect();
        if ident.ends_with('.') || ident.ends_with(':') || matches!(ident.as_str(), "@" | "_" | "#") {
            return Err(ParseError { position: start, message: format!("invalid identifier {ident:?}") });
        }
        Ok(ident)
    }

    fn function(&mut self, name: String, depth: usize) -> Result<Operand, ParseError> {
        if depth >= MAX_FUNC_DEPTH {
            return Err(self.error(&format!("functions may be nested at most {MAX_FUNC_DEPTH} deep")));
        }
        self.pos += 1; // (
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(')') {
                self.pos += 1;
                return Ok(Operand::Func { name, args });
            }
            args.push(self.operand(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {}
                _ => return Err(self.error(&format!("expected ',' or ')' in {name}(), found {}", self.peek_char()))),
            }
        }
    }

    fn number(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos > s
        };
        if !digits(self) {
            return Err(ParseError { position: start, message: "invalid number".into() });
        }
        if self.peek() == Some('.') {
            self.pos += 1;
            if !digits(self) {
                return Err(ParseError { position: start, message: "invalid number".into() });
            }
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.') {
            return Err(ParseError { position: start, message: "invalid number".into() });
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// Quoted text; `\\`, `\n`, `\t`, `\r` and an escaped quote of either kind are unescaped.
    fn text(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(ParseError { position: start, message: "unterminated text".into() }),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    let next = self.chars.get(self.pos + 1).copied();
                    match next {
                        Some('\\') => out.push('\\'),
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some(q @ ('\'' | '"')) => out.push(q),
                        Some(other) => {
                            out.push('\\');
                            out.push(other);
                        }
                        None => return Err(ParseError { position: start, message: "unterminated text".into() }),
                    }
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(s: &str) -> Operand {
        Operand::Ident(s.into())
    }

    fn cmp(l: Operand, op: Op, r: Operand) -> Node {
        Node::Cmp { left: l, op, right: r }
    }

    #[test]
    fn parses_every_operator() {
        for (sign, op) in [
            ("=", Op::Eq),
            ("!=", Op::Neq),
            ("~", Op::Like),
            ("!~", Op::NotLike),
            ("<", Op::Lt),
            ("<=", Op::Lte),
            (">", Op::Gt),
            (">=", Op::Gte),
            ("?=", Op::AnyEq),
            ("?!=", Op::AnyNeq),
            ("?~", Op::AnyLike),
            ("?!~", Op::AnyNotLike),
            ("?<", Op::AnyLt),
            ("?<=", Op::AnyLte),
            ("?>", Op::AnyGt),
            ("?>=", Op::AnyGte),
        ] {
            let expr = parse(&format!("a{sign}1")).expect(sign);
            assert_eq!(expr, vec![(Join::And, cmp(ident("a"), op, Operand::Number("1".into())))], "{sign}");
            assert!(!op.base().is_any());
        }
    }

    #[test]
    fn parses_groups_joins_and_comments() {
        let expr = parse("(a = 1 || b != 'x') && c ~ \"y\" // trailing comment\n || d > -1.5").expect("parse");
        assert_eq!(expr.len(), 3);
        assert_eq!(expr[1].0, Join::And);
        assert_eq!(expr[2].0, Join::Or);
        let Node::Group(inner) = &expr[0].1 else { panic!("group") };
        assert_eq!(inner[1], (Join::Or, cmp(ident("b"), Op::Neq, Operand::Text("x".into()))));
        assert_eq!(expr[2].1, cmp(ident("d"), Op::Gt, Operand::Number("-1.5".into())));
    }

    #[test]
    fn parses_identifiers_functions_and_text() {
        let expr =
            parse("@request.auth.id != '' && tags:each ?= 'a' && geoDistance(lon, lat, 1, 2) < 5").expect("parse");
        assert_eq!(expr[0].1, cmp(ident("@request.auth.id"), Op::Neq, Operand::Text(String::new())));
        assert_eq!(expr[1].1, cmp(ident("tags:each"), Op::AnyEq, Operand::Text("a".into())));
        let Node::Cmp { left: Operand::Func { name, args }, .. } = &expr[2].1 else { panic!("func") };
        assert_eq!((name.as_str(), args.len()), ("geoDistance", 4));
        assert_eq!(parse("strftime('%Y', created, ) = '2026'").map(|e| e.len()), Ok(1), "trailing comma");
        assert_eq!(
            parse(r#"a = 'it\'s' && b = "say \"hi\"\n" && c = 'back\\slash'"#).expect("escapes")[2].1,
            cmp(ident("c"), Op::Eq, Operand::Text("back\\slash".into()))
        );
        assert_eq!(
            parse("1 = 1").expect("literals")[0].1,
            cmp(Operand::Number("1".into()), Op::Eq, Operand::Number("1".into()))
        );
    }

    #[test]
    fn errors_name_the_problem_and_position() {
        for (input, needle) in [
            ("", "empty"),
            ("   ", "empty"),
            ("a =", "expected a field"),
            ("a = 'x", "unterminated"),
            ("(a = 1", "expected ')'"),
            ("a = 1 &&", "expected a field"),
            ("a == 1", "invalid operator"),
            ("a 1", "expected an operator"),
            ("a = 1 b = 2", "unexpected"),
            ("a. = 1", "invalid identifier"),
            ("@ = 1", "invalid identifier"),
            ("a = 1.", "invalid number"),
            ("a = -", "invalid number"),
            ("a = 1x", "invalid number"),
            ("()", "empty group"),
            ("f(g(h(i(1)))) = 1", "nested"),
            ("a = f(1 2)", "expected ','"),
        ] {
            let err = parse(input).expect_err(input);
            assert!(err.message.contains(needle), "{input:?}: {err}");
        }
        assert_eq!(parse("a =").expect_err("pos").position, 3);
    }

    #[test]
    fn enforces_limits() {
        let long = format!("a = '{}'", "x".repeat(MAX_LENGTH));
        assert!(parse(&long).is_err());
        let many = vec!["a = 1"; MAX_EXPRESSIONS + 1].join(" && ");
        assert!(parse(&many).expect_err("too many").message.contains("expressions"));
        let deep = format!("{}a = 1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
        assert!(parse(&vec!["a = 1"; MAX_EXPRESSIONS].join(" || ")).is_ok());
    }
}
