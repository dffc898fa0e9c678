//! The parser: Go's `text/template/parse/parse.go` and `node.go`.
//!
//! It turns the lexer's items into a tree of nodes (text, actions, `if`, `range`, `with`,
//! `template`; inside an action, a pipeline of commands whose arguments are fields,
//! variables, functions, literals). Each node keeps its byte position, because Go's
//! execution errors point at it (`template: :1:9: executing "" at <.Config.Nope>: …`), and
//! prints itself back as Go does, because those errors quote it.
//!
//! The three-token lookahead is Go's own (`peek`, `backup2`, `backup3`): a parse error says
//! `template: :LINE: …` with the line of the last token the parser read, so reading the
//! tokens in the same order gives the same line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::template::lex::{Item, Kind, Lexer};

/// A parse error, as Go words it: `template: :1: unexpected "}" in operand`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError(pub String);

type Result<T> = std::result::Result<T, ParseError>;

/// A node of the tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Text outside actions.
    Text { text: String },
    /// `{{pipeline}}`.
    Action { pos: usize, pipe: Pipe },
    /// `{{if}}`, `{{range}}`, `{{with}}`.
    Control(Box<Control>),
    /// `{{template "name" pipeline}}`.
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    /// `{{break}}`.
    Break { pos: usize },
    /// `{{continue}}`.
    Continue { pos: usize },
}

/// Which control structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ControlKind {
    If,
    Range,
    With,
}

/// `{{if pipe}} list {{else}} else_list {{end}}` and its `range` and `with` twins.
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub kind: ControlKind,
    pub pos: usize,
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

/// A pipeline: optional variable declarations, then commands separated by `|`.
#[derive(Clone, Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

/// A command: a function or field and its arguments.
#[derive(Clone, Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// An operand of a command.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    /// `.A.B`: fields of dot.
    Field { pos: usize, idents: Vec<String> },
    /// `(pipeline).A.B` or `$x.A` after a term that is not a field: fields of a value.
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    /// A function name.
    Identifier { pos: usize, name: String },
    /// `.`.
    Dot { pos: usize },
    /// `nil`.
    Nil { pos: usize },
    /// `$x.A`: a variable, then fields.
    Variable { pos: usize, idents: Vec<String> },
    /// `true`, `false`.
    Bool { pos: usize, value: bool },
    /// A number, with every type it can be read as.
    Number { pos: usize, number: Number },
    /// A string: as written (`quoted`) and its value.
    String {
        pos: usize,
        quoted: String,
        text: String,
    },
    /// `(pipeline)`.
    Pipe(Box<Pipe>),
}

/// Go's `NumberNode`: the text, and which of int, uint and float it fits.
#[derive(Clone, Debug)]
pub(crate) struct Number {
    pub text: String,
    pub int: Option<i64>,
    pub uint: Option<u64>,
    pub float: Option<f64>,
}

impl Arg {
    /// The byte offset of the operand, which errors report.
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Variable { pos, .. }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// Go's String() of each node, which errors quote.

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for ident in idents {
                    write!(f, ".{ident}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(_) = **node {
                    write!(f, "({node})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Arg::Identifier { name, .. } => write!(f, "{name}"),
            Arg::Dot { .. } => write!(f, "."),
            Arg::Nil { .. } => write!(f, "nil"),
            Arg::Variable { idents, .. } => write!(f, "{}", idents.join(".")),
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number { number, .. } => write!(f, "{}", number.text),
            Arg::String { quoted, .. } => write!(f, "{quoted}"),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            write!(f, "{}", self.decl.join(", "))?;
            write!(f, "{}", if self.is_assign { " = " } else { " := " })?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                write!(f, " | ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text } => write!(f, "{text}"),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::Control(c) => {
                let name = match c.kind {
                    ControlKind::If => "if",
                    ControlKind::Range => "range",
                    ControlKind::With => "with",
                };
                write!(f, "{{{{{name} {}}}}}", c.pipe)?;
                for n in &c.list {
                    write!(f, "{n}")?;
                }
                if let Some(else_list) = &c.else_list {
                    write!(f, "{{{{else}}}}")?;
                    for n in else_list {
                        write!(f, "{n}")?;
                    }
                }
                write!(f, "{{{{end}}}}")
            }
            Node::Template { name, pipe, .. } => match pipe {
                Some(p) => write!(f, "{{{{template {} {p}}}}}", capas_core::go::quote(name)),
                None => write!(f, "{{{{template {}}}}}", capas_core::go::quote(name)),
            },
            Node::Break { .. } => write!(f, "{{{{break}}}}"),
            Node::Continue { .. } => write!(f, "{{{{continue}}}}"),
        }
    }
}

/// What `itemList` stopped at.
enum End {
    End,
    Else,
}

/// The parsed templates: the main one (named `""`, as Docker's are) and every `{{define}}`.
#[derive(Clone, Debug)]
pub(crate) struct Trees {
    pub main: Vec<Node>,
    pub defined: BTreeMap<String, Vec<Node>>,
}

/// Parses `text`; `functions` are the names a template may call.
pub(crate) fn parse(text: &str, functions: &BTreeSet<&'static str>) -> Result<Trees> {
    let mut parser = Parser {
        lexer: Lexer::new(text),
        token: [placeholder(), placeholder(), placeholder()],
        peek_count: 0,
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        functions,
        defined: BTreeMap::new(),
    };
    let main = parser.parse_top()?;
    Ok(Trees {
        main,
        defined: parser.defined,
    })
}

fn placeholder() -> Item {
    Item {
        kind: Kind::Eof,
        pos: 0,
        val: String::new(),
        line: 1,
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    token: [Item; 3],
    peek_count: usize,
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
    functions: &'a BTreeSet<&'static str>,
    defined: BTreeMap<String, Vec<Node>>,
}

impl Parser<'_> {
    fn next(&mut self) -> Item {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lexer.next_item();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item, t1: Item) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lexer.next_item();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let token = self.next();
            if token.kind != Kind::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let token = self.next_non_space();
        self.backup();
        token
    }

    /// Go's `errorf`: the line is that of the last token read from the lexer.
    fn error<T>(&self, message: impl fmt::Display) -> Result<T> {
        Err(ParseError(format!(
            "template: :{}: {message}",
            self.token[0].line
        )))
    }

    fn unexpected<T>(&self, token: &Item, context: &str) -> Result<T> {
        if token.kind == Kind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at :{}", self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.error(format!("{token}{extra}"));
        }
        self.error(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> Result<Item> {
        let token = self.next_non_space();
        if token.kind != kind {
            return self.unexpected(&token, context);
        }
        Ok(token)
    }

    /// The top level: text and actions to EOF, `{{define}}` allowed.
    fn parse_top(&mut self) -> Result<Vec<Node>> {
        let mut root = Vec::new();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let delim = self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Err(End::End) => return self.error("unexpected {{end}}"),
                Err(End::Else) => return self.error("unexpected {{else}}"),
                Ok(node) => root.push(node),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> Result<()> {
        const CONTEXT: &str = "define clause";
        let token = self.next_non_space();
        if !matches!(token.kind, Kind::String | Kind::RawString) {
            return self.unexpected(&token, CONTEXT);
        }
        let name = self.unquote(&token)?;
        self.expect(Kind::RightDelim, CONTEXT)?;
        // A definition is a tree of its own: its own variables, and no enclosing range.
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if !matches!(end, End::End) {
            return self.error(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name, list)
    }

    /// Go's `Tree.add`: a name defined twice (both times non-empty) is an error.
    fn add(&mut self, name: String, list: Vec<Node>) -> Result<()> {
        match self.defined.get(&name) {
            Some(old) if !is_empty_tree(old) && !is_empty_tree(&list) => self.error(format!(
                "template: multiple definition of template {}",
                capas_core::go::quote(&name)
            )),
            Some(_) if is_empty_tree(&list) => Ok(()),
            _ => {
                self.defined.insert(name, list);
                Ok(())
            }
        }
    }

    /// `textOrAction*` up to `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> Result<(Vec<Node>, End)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Ok(node) => list.push(node),
                Err(end) => return Ok((list, end)),
            }
        }
        self.error("unexpected EOF")
    }

    /// A node, or the `{{end}}` / `{{else}}` that closes a list.
    fn text_or_action(&mut self) -> Result<std::result::Result<Node, End>> {
        let token = self.next_non_space();
        match token.kind {
            Kind::Text => Ok(Ok(Node::Text { text: token.val })),
            Kind::LeftDelim => {
                self.action_line = token.line;
                let result = self.action();
                self.action_line = 0;
                result
            }
            _ => self.unexpected(&token, "input"),
        }
    }

    fn action(&mut self) -> Result<std::result::Result<Node, End>> {
        let token = self.next_non_space();
        match token.kind {
            Kind::Block => return self.block_control().map(Ok),
            Kind::Break => return self.break_control(token.pos, "break").map(Ok),
            Kind::Continue => return self.break_control(token.pos, "continue").map(Ok),
            Kind::Else => return self.else_control().map(Err),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Err(End::End));
            }
            Kind::If => return self.control(ControlKind::If).map(Ok),
            Kind::Range => return self.control(ControlKind::Range).map(Ok),
            Kind::Template => return self.template_control().map(Ok),
            Kind::With => return self.control(ControlKind::With).map(Ok),
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Ok(Node::Action {
            pos: token.pos,
            pipe,
        }))
    }

    fn break_control(&mut self, pos: usize, word: &str) -> Result<Node> {
        let token = self.next_non_space();
        if token.kind != Kind::RightDelim {
            return self.unexpected(&token, &format!("{{{{{word}}}}}"));
        }
        if self.range_depth == 0 {
            return self.error(format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        Ok(if word == "break" {
            Node::Break { pos }
        } else {
            Node::Continue { pos }
        })
    }

    fn else_control(&mut self) -> Result<End> {
        // `{{else if …}}` and `{{else with …}}` are read as `{{else}}{{if …}}`.
        let peek = self.peek_non_space();
        if matches!(peek.kind, Kind::If | Kind::With) {
            return Ok(End::Else);
        }
        self.expect(Kind::RightDelim, "else")?;
        Ok(End::Else)
    }

    fn control(&mut self, kind: ControlKind) -> Result<Node> {
        let context = match kind {
            ControlKind::If => "if",
            ControlKind::Range => "range",
            ControlKind::With => "with",
        };
        let vars = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if kind == ControlKind::Range {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list()?;
        if kind == ControlKind::Range {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let End::Else = end {
            let next = self.peek().kind;
            if (kind == ControlKind::If && next == Kind::If)
                || (kind == ControlKind::With && next == Kind::With)
            {
                self.next();
                // The inner if/with takes the one {{end}} both share.
                else_list = Some(vec![self.control(kind)?]);
            } else {
                let (list, end) = self.item_list()?;
                if !matches!(end, End::End) {
                    return self.error("expected end; found {{else}}");
                }
                else_list = Some(list);
            }
        }
        self.vars.truncate(vars);
        Ok(Node::Control(Box::new(Control {
            kind,
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })))
    }

    fn template_control(&mut self) -> Result<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template {
            pos: token.pos,
            name,
            pipe,
        })
    }

    /// `{{block "name" pipeline}} default {{end}}`: a define and a template call at once.
    fn block_control(&mut self) -> Result<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Kind::RightDelim)?;
        // A definition is a tree of its own: its own variables, and no enclosing range.
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if !matches!(end, End::End) {
            return self.error(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn template_name(&self, token: &Item, context: &str) -> Result<String> {
        match token.kind {
            Kind::String | Kind::RawString => self.unquote(token),
            _ => self.unexpected(token, context),
        }
    }

    fn unquote(&self, token: &Item) -> Result<String> {
        match unquote(&token.val) {
            Some(s) => Ok(s),
            None => self.error("invalid syntax"),
        }
    }

    /// `declarations? command ('|' command)*`, up to `end`.
    fn pipeline(&mut self, context: &str, end: Kind) -> Result<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations or assignments: `$x :=`, `$x =`, `$i, $v :=`.
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            self.next();
            let after_variable = self.peek();
            let next = self.peek_non_space();
            if matches!(next.kind, Kind::Assign | Kind::Declare) {
                pipe.is_assign = next.kind == Kind::Assign;
                self.next_non_space();
                pipe.decl.push(v.val.clone());
                self.vars.push(v.val);
            } else if next.kind == Kind::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(v.val.clone());
                self.vars.push(v.val);
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().kind {
                        Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                        _ => return self.error("range can only initialize variables"),
                    }
                }
                return self.error(format!("too many declarations in {context}"));
            } else if after_variable.kind == Kind::Space {
                self.backup3(v, after_variable);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.kind {
                k if k == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&token, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> Result<()> {
        if pipe.cmds.is_empty() {
            return self.error(format!("missing value for {context}"));
        }
        // Only the first command of a pipeline may start with a value that is not executable.
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                cmd.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::String { .. }
                )
            ) {
                return self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Command> {
        let mut cmd = Command {
            pos: self.peek_non_space().pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return self.unexpected(&token, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.error("empty command");
        }
        Ok(cmd)
    }

    /// A term, and the fields that follow it (`.A.B`, `(x).A`, `$v.A`).
    fn operand(&mut self) -> Result<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        // A chain: its position is that of its first field, which is where Go's errors
        // point (`{{.Config.Nope}}` fails "at" column 9, not 2).
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let field = self.next().val;
            fields.push(field[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable { pos, idents }
            }
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                let quoted = capas_core::go::quote(&node.to_string());
                return self.error(format!("unexpected . after term {quoted}"));
            }
            node => Arg::Chain {
                pos,
                node: Box::new(node),
                fields,
            },
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.kind {
            Kind::Identifier => {
                if !self.functions.contains(token.val.as_str()) {
                    return self.error(format!(
                        "function {} not defined",
                        capas_core::go::quote(&token.val)
                    ));
                }
                Arg::Identifier {
                    pos,
                    name: token.val,
                }
            }
            Kind::Dot => Arg::Dot { pos },
            Kind::Nil => Arg::Nil { pos },
            Kind::Variable => {
                let idents: Vec<String> = token.val.split('.').map(str::to_string).collect();
                if !self.vars.contains(&idents[0]) {
                    return self.error(format!(
                        "undefined variable {}",
                        capas_core::go::quote(&idents[0])
                    ));
                }
                Arg::Variable { pos, idents }
            }
            Kind::Field => Arg::Field {
                pos,
                idents: vec![token.val[1..].to_string()],
            },
            Kind::Bool => Arg::Bool {
                pos,
                value: token.val == "true",
            },
            Kind::CharConstant | Kind::Complex | Kind::Number => {
                let number = match parse_number(&token.val, token.kind) {
                    Ok(n) => n,
                    Err(message) => return self.error(message),
                };
                Arg::Number { pos, number }
            }
            Kind::LeftParen => Arg::Pipe(Box::new(
                self.pipeline("parenthesized pipeline", Kind::RightParen)?,
            )),
            Kind::String | Kind::RawString => {
                let text = self.unquote(&token)?;
                Arg::String {
                    pos,
                    quoted: token.val,
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// Go's `IsEmptyTree`: only space text.
fn is_empty_tree(list: &[Node]) -> bool {
    list.iter().all(|n| match n {
        Node::Text { text } => text.trim().is_empty(),
        _ => false,
    })
}

/// Go's `strconv.Unquote` for the two string forms a template has.
pub(crate) fn unquote(quoted: &str) -> Option<String> {
    if let Some(raw) = quoted.strip_prefix('`') {
        return raw.strip_suffix('`').map(|s| s.replace('\r', ""));
    }
    let body = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\n' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(unescape(&mut chars, '"')?);
    }
    Some(out)
}

/// One escape after a backslash (Go's `UnquoteChar`), for a string or rune quoted by
/// `quote`.
fn unescape(chars: &mut std::str::Chars<'_>, quote: char) -> Option<char> {
    let c = chars.next()?;
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Option<char> {
        let digits: String = chars.take(n).collect();
        if digits.len() != n {
            return None;
        }
        char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
    };
    Some(match c {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        '\\' => '\\',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        '0'..='7' => {
            let rest: String = chars.take(2).collect();
            if rest.len() != 2 {
                return None;
            }
            let value = u32::from_str_radix(&format!("{c}{rest}"), 8).ok()?;
            if value > 255 {
                return None;
            }
            char::from_u32(value)?
        }
        c if c == quote => c,
        _ => return None,
    })
}

/// Go's `newNumber`: a character constant, or a number read as int, uint and float where
/// it can be.
fn parse_number(text: &str, kind: Kind) -> std::result::Result<Number, String> {
    let mut number = Number {
        text: text.to_string(),
        int: None,
        uint: None,
        float: None,
    };
    if kind == Kind::CharConstant {
        let body = &text[1..];
        let mut chars = body.chars();
        let c = match chars.next() {
            Some('\\') => unescape(&mut chars, '\'').ok_or("invalid syntax")?,
            Some(c) => c,
            None => return Err("invalid syntax".into()),
        };
        if chars.as_str() != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        number.int = Some(i64::from(u32::from(c)));
        number.uint = Some(u64::from(u32::from(c)));
        number.float = Some(f64::from(u32::from(c)));
        return Ok(number);
    }
    if kind == Kind::Complex || text.ends_with('i') {
        // Complex numbers have no use in Docker's templates.
        return Err(format!(
            "illegal number syntax: {}",
            capas_core::go::quote(text)
        ));
    }
    number.uint = parse_go_uint(text);
    number.int = parse_go_int(text);
    if number.int == Some(0) {
        number.uint = Some(0); // -0
    }
    if let Some(i) = number.int {
        number.float = Some(i as f64);
    } else if let Some(u) = number.uint {
        number.float = Some(u as f64);
    } else if let Some(f) = parse_go_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", capas_core::go::quote(text)));
        }
        number.float = Some(f);
        if f.fract() == 0.0 && f.abs() < 9.2e18 {
            number.int = Some(f as i64);
        }
        if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) {
            number.uint = Some(f as u64);
        }
    }
    if number.int.is_none() && number.uint.is_none() && number.float.is_none() {
        return Err(format!(
            "illegal number syntax: {}",
            capas_core::go::quote(text)
        ));
    }
    Ok(number)
}

/// Go's `strconv.ParseUint(text, 0, 64)`: `0x`, `0o`, `0b` prefixes, a leading `0` for
/// octal, underscores between digits.
fn parse_go_uint(text: &str) -> Option<u64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (digits, radix) = if let Some(rest) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (rest, 16)
    } else if let Some(rest) = text.strip_prefix("0o").or(text.strip_prefix("0O")) {
        (rest, 8)
    } else if let Some(rest) = text.strip_prefix("0b").or(text.strip_prefix("0B")) {
        (rest, 2)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty()
        || digits.starts_with('_') && radix == 10
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    u64::from_str_radix(&digits.replace('_', ""), radix).ok()
}

fn parse_go_int(text: &str) -> Option<i64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.starts_with(['+', '-']) {
        return None;
    }
    let u = parse_go_uint(rest)?;
    if negative {
        if u <= 1 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseFloat(text, 64)` for decimal literals (with underscores) and
/// hexadecimal ones (`0x1.8p3`).
fn parse_go_float(text: &str) -> Option<f64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let value = if let Some(hex) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        let (mantissa, exp) = hex.split_once(['p', 'P'])?;
        let exp: i32 = exp.replace('_', "").parse().ok()?;
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut m = 0f64;
        for c in int.chars().chain(frac.chars()).filter(|c| *c != '_') {
            m = m * 16.0 + f64::from(c.to_digit(16)?);
        }
        let frac_digits = frac.chars().filter(|c| *c != '_').count() as i32;
        m * 2f64.powi(exp - 4 * frac_digits)
    } else {
        if rest.is_empty() || rest.contains("__") || rest.starts_with('_') || rest.ends_with('_') {
            return None;
        }
        rest.replace('_', "").parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> BTreeSet<&'static str> {
        ["printf", "len", "json", "index"].into_iter().collect()
    }

    fn error(text: &str) -> String {
        match parse(text, &funcs()) {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn parse_errors_read_as_go() {
        // Each was printed by the docker CLI for the same template.
        assert_eq!(
            error("{{.Repository}"),
            "template: :1: bad character U+007D '}'"
        );
        assert_eq!(error("{{if}}"), "template: :1: missing value for if");
        assert_eq!(error("{{end}}"), "template: :1: unexpected {{end}}");
        assert_eq!(error("{{else}}"), "template: :1: unexpected {{else}}");
        assert_eq!(
            error("{{.Repository | nosuch}}"),
            r#"template: :1: function "nosuch" not defined"#
        );
        assert_eq!(error("{{.Config"), "template: :1: unclosed action");
        assert_eq!(
            error("{{$nope}}"),
            r#"template: :1: undefined variable "$nope""#
        );
        assert_eq!(
            error("{{break}}"),
            "template: :1: {{break}} outside {{range}}"
        );
        assert_eq!(
            error("{{.Size | 1}}"),
            "template: :1: non executable command in pipeline stage 2"
        );
        assert_eq!(
            error("{{range $i, $v, $w := .}}{{end}}"),
            "template: :1: too many declarations in range"
        );
        assert_eq!(
            error("{{with $y := .}}{{end}}{{$y}}"),
            r#"template: :1: undefined variable "$y""#
        );
        assert_eq!(error("{{."), r#"template: :1: illegal number syntax: ".""#);
        assert_eq!(error("{{ ."), r#"template: :1: illegal number syntax: ".""#);
        assert_eq!(error("{{$"), "template: :1: unclosed action");
        assert_eq!(
            error("{{-}}"),
            r#"template: :1: illegal number syntax: "-""#
        );
        assert_eq!(
            error("{{- -}}"),
            r#"template: :1: illegal number syntax: "-""#
        );
    }

    #[test]
    fn a_chain_points_at_its_first_field() {
        let trees = parse("{{.Config.Nope}}", &funcs()).expect("parses");
        let Node::Action { pipe, .. } = &trees.main[0] else {
            panic!("an action");
        };
        let arg = &pipe.cmds[0].args[0];
        assert_eq!(arg.pos(), 9);
        assert_eq!(arg.to_string(), ".Config.Nope");
    }

    #[test]
    fn nodes_print_back_as_go_prints_them() {
        let trees = parse(r#"{{index (printf "%s" .A) 1 | len}}"#, &funcs()).expect("parses");
        assert_eq!(
            trees.main[0].to_string(),
            r#"{{index (printf "%s" .A) 1 | len}}"#
        );
    }

    #[test]
    fn numbers_read_as_go_reads_them() {
        let n = |t: &str| parse_number(t, Kind::Number).expect(t);
        assert_eq!(n("1_000").int, Some(1000));
        assert_eq!(n("0x1F").int, Some(31));
        assert_eq!(n("0o17").int, Some(15));
        assert_eq!(n("017").int, Some(15));
        assert_eq!(n("1e3").int, Some(1000));
        assert_eq!(n("-5").int, Some(-5));
        assert_eq!(n("0x1.8p1").float, Some(3.0));
        assert!(n("1.5").int.is_none());
        let c = parse_number("'a'", Kind::CharConstant).expect("rune");
        assert_eq!(c.int, Some(97));
    }
}
