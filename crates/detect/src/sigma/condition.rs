//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of sel*`, `all of sel*`,
//! `N of sel*`, `1 of them`, `all of them`.
//!
//! Precedence is `not` > `and` > `or`. Quantifiers expand to the selections whose names
//! match the pattern (`*` wildcard; `them` means every selection not starting with `_`).
//! An aggregation (`| count() ...`) is reported as unsupported. Parsing is bounded: at
//! most [`MAX_TOKENS`] tokens and [`MAX_NESTING`] levels of parentheses/`not`.

/// Most tokens in one condition.
pub(crate) const MAX_TOKENS: usize = 4096;
/// Deepest nesting of parentheses and `not`.
pub(crate) const MAX_NESTING: usize = 64;

/// A parsed condition over selection indices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    /// One selection.
    Sel(usize),
    /// Negation.
    Not(Box<Cond>),
    /// Every child.
    And(Vec<Cond>),
    /// Any child.
    Or(Vec<Cond>),
    /// At least `n` of the selections.
    AtLeast(usize, Vec<usize>),
}

impl Cond {
    /// Evaluates with a selection oracle (short-circuiting).
    pub(crate) fn eval(&self, sel: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(c) => !c.eval(sel),
            Cond::And(cs) => cs.iter().all(|c| c.eval(sel)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(sel)),
            Cond::AtLeast(n, ids) => {
                let mut hits = 0;
                for (k, i) in ids.iter().enumerate() {
                    if sel(*i) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                    if hits + (ids.len() - k - 1) < *n {
                        return false;
                    }
                }
                hits >= *n
            }
        }
    }

    /// The selections that are true and reached in positive polarity (outside any
    /// `not`), for match explanations.
    pub(crate) fn positive(&self, sel: &mut impl FnMut(usize) -> bool, out: &mut Vec<usize>) {
        match self {
            Cond::Sel(i) => {
                if sel(*i) {
                    out.push(*i);
                }
            }
            Cond::Not(_) => {}
            Cond::And(cs) | Cond::Or(cs) => {
                for c in cs {
                    c.positive(sel, out);
                }
            }
            Cond::AtLeast(_, ids) => {
                for i in ids {
                    if sel(*i) {
                        out.push(*i);
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    And,
    Or,
    Not,
    Of,
    Open,
    Close,
    Pipe,
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if out.len() > MAX_TOKENS {
            return Err(format!("condition longer than {MAX_TOKENS} tokens"));
        }
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '|' => {
                chars.next();
                out.push(Token::Pipe);
            }
            _ => {
                let mut end = i;
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '|') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let word = &s[i..end];
                out.push(match word.to_ascii_lowercase().as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "of" => Token::Of,
                    _ => Token::Word(word.to_owned()),
                });
            }
        }
    }
    Ok(out)
}

struct P<'a> {
    toks: Vec<Token>,
    pos: usize,
    names: &'a [String],
    depth: usize,
}

/// Parses a condition against the rule's selection names.
///
/// # Errors
///
/// The skip reason (`aggregation condition`) or the parse error.
pub(crate) fn parse(s: &str, names: &[String]) -> Result<Cond, String> {
    let toks = tokenize(s)?;
    if toks.contains(&Token::Pipe) {
        return Err("aggregation condition".into());
    }
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = P {
        toks,
        pos: 0,
        names,
        depth: 0,
    };
    let c = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!(
            "unexpected `{}` in condition",
            describe(&p.toks[p.pos])
        ));
    }
    Ok(c)
}

fn describe(t: &Token) -> String {
    match t {
        Token::And => "and".into(),
        Token::Or => "or".into(),
        Token::Not => "not".into(),
        Token::Of => "of".into(),
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Pipe => "|".into(),
        Token::Word(w) => w.clone(),
    }
}

impl P<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!("condition nests deeper than {MAX_NESTING} levels"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn unary(&mut self) -> Result<Cond, String> {
        match self.peek().cloned() {
            Some(Token::Not) => {
                self.pos += 1;
                self.enter()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Cond::Not(Box::new(inner)))
            }
            Some(Token::Open) => {
                self.pos += 1;
                self.enter()?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Token::Close) {
                    return Err("unbalanced parentheses in condition".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(w)) => {
                self.pos += 1;
                if self.peek() == Some(&Token::Of) {
                    self.pos += 1;
                    let Some(Token::Word(target)) = self.peek().cloned() else {
                        return Err(format!("`{w} of` without a selection pattern"));
                    };
                    self.pos += 1;
                    return self.quantifier(&w, &target);
                }
                let idx = self
                    .names
                    .iter()
                    .position(|n| *n == w)
                    .ok_or_else(|| format!("condition names unknown selection `{w}`"))?;
                Ok(Cond::Sel(idx))
            }
            Some(t) => Err(format!("unexpected `{}` in condition", describe(&t))),
            None => Err("condition ends early".into()),
        }
    }

    fn quantifier(&self, q: &str, target: &str) -> Result<Cond, String> {
        let ids: Vec<usize> = if target == "them" {
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| name_matches(target, &self.names[i]))
                .collect()
        };
        if ids.is_empty() {
            return Err(format!("no selection matches `{target}`"));
        }
        let n = match q.to_ascii_lowercase().as_str() {
            "all" => ids.len(),
            "any" => 1,
            num => num
                .parse::<usize>()
                .map_err(|_| format!("unknown quantifier `{q} of`"))?,
        };
        Ok(if n == 0 {
            return Err(format!("`0 of {target}` is not a condition"));
        } else if n == 1 {
            Cond::Or(ids.into_iter().map(Cond::Sel).collect())
        } else if n >= ids.len() {
            if n > ids.len() {
                return Err(format!(
                    "`{q} of {target}` needs more selections than exist"
                ));
            }
            Cond::And(ids.into_iter().map(Cond::Sel).collect())
        } else {
            Cond::AtLeast(n, ids)
        })
    }
}

/// Whether a selection name matches a `*` pattern.
fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}
