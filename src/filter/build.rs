//! Comparisons to SQL, with PocketBase's semantics: `''` and NULL are equal, `!=` is null-safe,
//! `~` means "contains" unless the pattern has its own `%`, plain operators on multi-valued
//! operands require every value to match and the `?` operators any value.

use super::FilterError;
use super::parser::{Expr, Join, Node, Op, Operand as Ast};
use super::resolve::{Context, Kind, MULTI_VALUE, Operand};
use crate::sql::{Dialect, SqlBuilder, SqlValue, ident};

pub fn expr(ctx: &mut Context<'_>, items: &Expr) -> Result<String, FilterError> {
    let mut out = String::from("(");
    for (i, (join, node)) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(match join {
                Join::And => " AND ",
                Join::Or => " OR ",
            });
        }
        let part = match node {
            Node::Group(inner) => expr(ctx, inner)?,
            Node::Cmp { left, op, right } => comparison(ctx, left, *op, right)?,
        };
        out.push_str(&part);
    }
    out.push(')');
    Ok(out)
}

fn comparison(ctx: &mut Context<'_>, left: &Ast, op: Op, right: &Ast) -> Result<String, FilterError> {
    let l = match changed_field(left) {
        Some(field) => changed(ctx, field)?,
        None => ctx.resolve(left)?,
    };
    let r = match changed_field(right) {
        Some(field) => changed(ctx, field)?,
        None => ctx.resolve(right)?,
    };
    resolved(ctx.sql, &l, op, &r)
}

/// `@request.body.x:changed` names the field `x`.
fn changed_field(ast: &Ast) -> Option<&str> {
    let Ast::Ident(name) = ast else { return None };
    name.strip_prefix("@request.body.")?.strip_suffix(":changed")
}

/// `@request.body.x:changed` is `@request.body.x:isset = true && @request.body.x != x`, as a 1/0 value.
fn changed(ctx: &mut Context<'_>, field: &str) -> Result<Operand, FilterError> {
    if !ctx.request.body.contains_key(field) {
        return Ok(Operand::constant(ctx.sql.dialect.bool_literal(false)));
    }
    let body = ctx.resolve(&Ast::Ident(format!("@request.body.{field}")))?;
    let column = ctx.resolve(&Ast::Ident(field.to_owned()))?;
    let differs = resolved(ctx.sql, &body, Op::Neq, &column)?;
    let (yes, no) = (ctx.sql.dialect.bool_literal(true), ctx.sql.dialect.bool_literal(false));
    Ok(Operand::computed(format!("(CASE WHEN {differs} THEN {yes} ELSE {no} END)")))
}

/// One comparison of two resolved operands.
pub(super) fn resolved(sql: &mut SqlBuilder, l: &Operand, op: Op, r: &Operand) -> Result<String, FilterError> {
    let base = match op.base() {
        Op::Eq => equal(sql.dialect, true, l, r),
        Op::Neq => equal(sql.dialect, false, l, r),
        Op::Like => like(sql, l, r, false),
        Op::NotLike => like(sql, l, r, true),
        Op::Lt => format!("{} < {}", l.sql, r.sql),
        Op::Lte => format!("{} <= {}", l.sql, r.sql),
        Op::Gt => format!("{} > {}", l.sql, r.sql),
        Op::Gte => format!("{} >= {}", l.sql, r.sql),
        _ => return Err(FilterError::Resolve("unknown operator".into())),
    };
    let mut out = base;
    if !op.is_any()
        && let Some(all) = match_all(sql, l, op, r)?
    {
        out = format!("({out} AND {all})");
    }
    for wrap in [&l.wrap, &r.wrap].into_iter().flatten() {
        out = format!("({out} AND ({wrap}))");
    }
    Ok(out)
}

fn is_empty(o: &Operand) -> bool {
    matches!(o.kind, Kind::Null | Kind::Param { empty: true })
}

fn is_known_non_empty(o: &Operand) -> bool {
    matches!(o.kind, Kind::Bool | Kind::Param { empty: false })
}

fn equal(dialect: &dyn Dialect, eq: bool, l: &Operand, r: &Operand) -> String {
    let (concat, null_check) = if eq { ("OR", "IS NULL") } else { ("AND", "IS NOT NULL") };
    // `=` for equality; the null-safe form for `!=`, so that NULL differs from a value.
    let cmp = |a: &str, b: &str| if eq { format!("{a} = {b}") } else { dialect.null_safe_eq(a, b, true) };
    if l.no_coalesce || r.no_coalesce {
        return dialect.null_safe_eq(&l.sql, &r.sql, !eq);
    }
    let (le, re) = (is_empty(l), is_empty(r));
    if le && re {
        return cmp("''", "''");
    }
    if is_known_non_empty(l) || is_known_non_empty(r) {
        let ls = if le { "''" } else { &l.sql };
        let rs = if re { "''" } else { &r.sql };
        return cmp(ls, rs);
    }
    if le {
        return format!("({} {concat} {r} {null_check})", cmp("''", &r.sql), r = r.sql);
    }
    if re {
        return format!("({} {concat} {l} {null_check})", cmp(&l.sql, "''"), l = l.sql);
    }
    cmp(&format!("COALESCE({}, '')", l.sql), &format!("COALESCE({}, '')", r.sql))
}

fn like(sql: &mut SqlBuilder, l: &Operand, r: &Operand, negate: bool) -> String {
    if matches!(r.kind, Kind::Param { .. }) {
        wrap_like_param(sql, &r.sql);
        sql.dialect.like(&l.sql, &r.sql, negate)
    } else {
        sql.dialect.like(&l.sql, &format!("('%' || {} || '%')", r.sql), negate)
    }
}

/// A text pattern without an unescaped `%` means "contains": escape it and wrap it in `%…%`.
fn wrap_like_param(sql: &mut SqlBuilder, placeholder: &str) {
    let Some(SqlValue::Text(value)) = sql.param_mut(placeholder) else { return };
    if has_unescaped_percent(value) {
        return;
    }
    *value = format!("%{}%", escape_unescaped(value));
}

/// Escapes `\`, `%` and `_` unless they are already escaped.
fn escape_unescaped(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1).is_some_and(|n| matches!(n, '\\' | '%' | '_')) {
            out.push(c);
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

fn has_unescaped_percent(s: &str) -> bool {
    let mut escaped = false;
    for c in s.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '%' if !escaped => return true,
            _ => escaped = false,
        }
    }
    false
}

/// For plain operators on multi-valued operands: no value may fail the comparison.
fn match_all(sql: &mut SqlBuilder, l: &Operand, op: Op, r: &Operand) -> Result<Option<String>, FilterError> {
    let value = |alias: &str, of: &Operand| Operand {
        sql: format!("{alias}.{}", ident(MULTI_VALUE)),
        kind: Kind::Expr,
        no_coalesce: of.no_coalesce,
        multi: None,
        wrap: None,
    };
    let plain = |o: &Operand| Operand { multi: None, wrap: None, ..o.clone() };
    Ok(match (&l.multi, &r.multi) {
        (Some(ls), Some(rs)) => {
            let (la, ra) = (sql.alias("mml"), sql.alias("mmr"));
            let cond = resolved(sql, &value(&la, l), op, &value(&ra, r))?;
            let pairs = sql.dialect.join_always(&format!("({rs}) {ra}"));
            Some(format!("NOT EXISTS (SELECT 1 FROM ({ls}) {la} {pairs} WHERE NOT ({cond}))"))
        }
        (Some(ls), None) => {
            let la = sql.alias("mml");
            let cond = resolved(sql, &value(&la, l), op, &plain(r))?;
            Some(format!("NOT EXISTS (SELECT 1 FROM ({ls}) {la} WHERE NOT ({cond}))"))
        }
        (None, Some(rs)) => {
            let ra = sql.alias("mmr");
            let cond = resolved(sql, &plain(l), op, &value(&ra, r))?;
            Some(format!("NOT EXISTS (SELECT 1 FROM ({rs}) {ra} WHERE NOT ({cond}))"))
        }
        (None, None) => None,
    })
}
