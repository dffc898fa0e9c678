//! Execution: Go's `text/template/exec.go`, walking the tree over a [`Value`].
//!
//! Dot (`.`) starts as the data and moves with `range` and `with`; `$` is always the data.
//! A field is looked up on dot; a function gets its arguments checked against its
//! parameters; `and` and `or` stop at the first argument that decides. An error stops the
//! run and says where, as Go says it:
//! `template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type …`. The
//! place is the node Go was "at" when it failed, so the walk marks the nodes in the order
//! Go's does (`s.at(node)`), which is why this file follows Go's function by function.

use std::fmt::Display;

use crate::template::funcs::{Func, FuncMap, Param};
use crate::template::parse::{Arg, Command, ControlKind, Node, Pipe, Trees};
use crate::template::value::{List, Map, StructKind, Value};

/// An execution error, as Go words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExecError(pub String);

type Result<T> = std::result::Result<T, ExecError>;

/// A value during execution: `None` is Go's invalid `reflect.Value`, what a missing map key
/// gives, printed `<no value>`.
type Val = Option<Value>;

/// Go's `maxExecDepth`: how deep `{{template}}` may nest.
const MAX_DEPTH: usize = 100_000;

/// What a walk ended with: normally, or at `{{break}}` or `{{continue}}`.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The node execution is "at", for errors.
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Node(&'t Node),
    Pipe(&'t Pipe),
    Command(&'t Command),
    Arg(&'t Arg),
}

/// The state of one execution (Go's `state`).
pub(crate) struct State<'t> {
    trees: &'t Trees,
    text: &'t str,
    funcs: &'t FuncMap,
    /// The template being executed: `""` for the main one.
    name: String,
    at: At<'t>,
    vars: Vec<(String, Val)>,
    depth: usize,
    /// The data is `docker inspect`'s: its errors are those of Docker's second, raw run,
    /// where every value is an `interface {}`.
    raw: bool,
    out: String,
}

/// Runs the main template of `trees` (parsed from `text`) on `data`: the output, and the
/// error that stopped it, if one did (the output is then what was written before it).
pub(crate) fn execute(
    trees: &Trees,
    text: &str,
    funcs: &FuncMap,
    data: &Value,
) -> (String, Option<ExecError>) {
    let raw = matches!(data, Value::Struct(s) if s.kind == StructKind::Inspect);
    let mut state = State {
        trees,
        text,
        funcs,
        name: String::new(),
        at: At::None,
        vars: vec![("$".into(), Some(data.clone()))],
        depth: 0,
        raw,
        out: String::new(),
    };
    let dot = Some(data.clone());
    for node in &trees.main {
        if let Err(e) = state.walk(&dot, node) {
            return (state.out, Some(e));
        }
    }
    (state.out, None)
}

impl<'t> State<'t> {
    fn at(&mut self, at: At<'t>) {
        self.at = at;
    }

    /// Go's `state.errorf`: the message, prefixed with where execution was.
    fn error<T>(&self, message: impl Display) -> Result<T> {
        let (pos, context) = match self.at {
            At::None => {
                return Err(ExecError(format!("template: {}: {message}", self.name)));
            }
            At::Node(n) => (node_pos(n), n.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Command(c) => (c.pos, c.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
        };
        // Go's ErrorContext: the line, and the byte offset within it (0-based).
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let column = match before.rfind('\n') {
            Some(newline) => pos - newline - 1,
            None => pos,
        };
        Err(ExecError(format!(
            "template: :{line}:{column}: executing {} at <{context}>: {message}",
            capas_core::go::quote(&self.name)
        )))
    }

    fn walk(&mut self, dot: &Val, node: &'t Node) -> Result<Flow> {
        self.at(At::Node(node));
        match node {
            Node::Text { text } => self.out.push_str(text),
            Node::Action { pipe, .. } => {
                // A declaration prints nothing; its variables live to the next {{end}}.
                let value = self.eval_pipeline(dot, Some(pipe))?;
                if pipe.decl.is_empty() {
                    self.at(At::Node(node));
                    self.print_value(&value);
                }
            }
            Node::Control(c) if c.kind == ControlKind::Range => return self.walk_range(dot, node),
            Node::Control(c) => {
                let mark = self.vars.len();
                let value = self.eval_pipeline(dot, Some(&c.pipe))?;
                let flow = if value.as_ref().is_some_and(Value::truth) {
                    let inner = if c.kind == ControlKind::With {
                        &value
                    } else {
                        dot
                    };
                    self.walk_list(inner, &c.list)?
                } else if let Some(else_list) = &c.else_list {
                    self.walk_list(dot, else_list)?
                } else {
                    Flow::Normal
                };
                self.vars.truncate(mark);
                return Ok(flow);
            }
            Node::Template { name, pipe, .. } => {
                let Some(tree) = self.trees.defined.get(name) else {
                    return self.error(format!(
                        "template {} not defined",
                        capas_core::go::quote(name)
                    ));
                };
                if self.depth == MAX_DEPTH {
                    return self.error(format!("exceeded maximum template depth ({MAX_DEPTH})"));
                }
                let new_dot = self.eval_pipeline(dot, pipe.as_ref())?;
                // No dynamic scoping: the template sees only $ and its own variables.
                let saved_vars =
                    std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
                let saved_name = std::mem::replace(&mut self.name, name.clone());
                self.depth += 1;
                let result = self.walk_list(&new_dot, tree);
                self.depth -= 1;
                self.name = saved_name;
                self.vars = saved_vars;
                result?;
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_list(&mut self, dot: &Val, list: &'t [Node]) -> Result<Flow> {
        for node in list {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_range(&mut self, dot: &Val, node: &'t Node) -> Result<Flow> {
        let Node::Control(r) = node else {
            return Ok(Flow::Normal);
        };
        self.at(At::Node(node));
        let outer_mark = self.vars.len();
        let value = self.eval_pipeline(dot, Some(&r.pipe))?;
        let mark = self.vars.len();
        // (index, element) pairs; an int ranges over 0..n with no index.
        let items: Vec<(Val, Val)> = match &value {
            Some(Value::List(l)) => l
                .items
                .iter()
                .enumerate()
                .map(|(i, v)| (Some(Value::Int(i as i64)), Some(v.clone())))
                .collect(),
            Some(Value::Map(m)) => m
                .entries
                .iter()
                .map(|(k, v)| (Some(Value::String(k.clone())), Some(v.clone())))
                .collect(),
            Some(Value::Int(_) | Value::Uint(_)) => {
                if r.pipe.decl.len() > 1 {
                    let shown = value.as_ref().map(Value::to_go_string).unwrap_or_default();
                    return self.error(format!(
                        "can't use {shown} to iterate over more than one variable"
                    ));
                }
                let n = match value {
                    Some(Value::Int(i)) => i.max(0) as u64,
                    Some(Value::Uint(u)) => u,
                    _ => 0,
                };
                (0..n).map(|i| (None, Some(Value::Int(i as i64)))).collect()
            }
            // A nil value ranges like an empty map (Go's evalPipeline turns a nil interface
            // into an invalid value).
            None | Some(Value::Nil) => Vec::new(),
            // Docker's raw fallback ranges over an inspect object as the JSON map it is.
            Some(Value::Struct(s)) if s.kind == StructKind::Inspect => {
                let mut fields: Vec<_> = s.fields.iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                fields
                    .into_iter()
                    .map(|(k, v)| (Some(Value::String(k.clone())), Some(v.clone())))
                    .collect()
            }
            Some(other) => {
                return self.error(format!("range can't iterate over {}", other.to_go_string()));
            }
        };
        let mut flow = Flow::Normal;
        for (index, elem) in &items {
            // With one variable it is the element; with two, the index and the element.
            let decl = &r.pipe.decl;
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0], index.clone())?;
                    self.set_var(&decl[1], elem.clone())?;
                } else if let Some(name) = decl.first() {
                    self.set_var(name, elem.clone())?;
                }
            } else {
                if !decl.is_empty() {
                    let top = self.vars.len() - 1;
                    self.vars[top].1 = elem.clone();
                }
                if decl.len() > 1 {
                    let second = self.vars.len() - 2;
                    self.vars[second].1 = index.clone();
                }
            }
            let result = self.walk_list(elem, &r.list);
            self.vars.truncate(mark);
            match result? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        if items.is_empty()
            && let Some(else_list) = &r.else_list
        {
            flow = self.walk_list(dot, else_list)?;
        }
        self.vars.truncate(outer_mark);
        Ok(flow)
    }

    fn print_value(&mut self, value: &Val) {
        match value {
            None => self.out.push_str("<no value>"),
            Some(v) => self.out.push_str(&v.to_go_string()),
        }
    }

    fn set_var(&mut self, name: &str, value: Val) -> Result<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => self.error(format!("undefined variable: {name}")),
        }
    }

    fn var_value(&self, name: &str) -> Result<Val> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.error(format!("undefined variable: {name}")),
        }
    }

    /// Go's `evalPipeline`: each command's value is the last argument of the next one.
    fn eval_pipeline(&mut self, dot: &Val, pipe: Option<&'t Pipe>) -> Result<Val> {
        let Some(pipe) = pipe else {
            return Ok(None);
        };
        self.at(At::Pipe(pipe));
        let mut value: Option<Val> = None; // Go's missingVal: no value from before.
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(None);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Val>) -> Result<()> {
        if args.len() > 1 || fin.is_some() {
            return self.error(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    /// `fin` is the value piped in from the previous command, if any.
    fn eval_command(&mut self, dot: &Val, cmd: &'t Command, fin: Option<Val>) -> Result<Val> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at(At::Arg(first));
                return self.eval_field_chain(dot, dot.clone(), idents, &cmd.args, fin);
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, &cmd.args, fin),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, cmd, &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, Some(p));
            }
            Arg::Variable { .. } => return self.eval_variable(dot, first, &cmd.args, fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { value, .. } => Ok(Some(Value::Bool(*value))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.error("nil is not a command"),
            Arg::Number { .. } => self.ideal_constant(first),
            Arg::String { text, .. } => Ok(Some(Value::String(text.clone()))),
            _ => self.error(format!(
                "can't evaluate command {}",
                capas_core::go::quote(&first.to_string())
            )),
        }
    }

    /// A number whose type nothing decides: a float if it looks like one, else an int.
    fn ideal_constant(&mut self, arg: &'t Arg) -> Result<Val> {
        self.at(At::Arg(arg));
        let Arg::Number { number, .. } = arg else {
            return Ok(None);
        };
        let text = &number.text;
        let hex_int = text.len() > 2
            && text.starts_with('0')
            && text[1..].starts_with(['x', 'X'])
            && !text.contains(['p', 'P']);
        let rune = text.starts_with('\'');
        if let Some(f) = number.float
            && !hex_int
            && !rune
            && text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Some(Value::Float(f)));
        }
        if let Some(i) = number.int {
            return Ok(Some(Value::Int(i)));
        }
        if number.uint.is_some() {
            return self.error(format!("{text} overflows int"));
        }
        Ok(None)
    }

    fn eval_chain(
        &mut self,
        dot: &Val,
        chain: &'t Arg,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> Result<Val> {
        self.at(At::Arg(chain));
        let Arg::Chain { node, fields, .. } = chain else {
            return Ok(None);
        };
        if let Arg::Nil { .. } = **node {
            return self.error(format!("indirection through explicit nil in {chain}"));
        }
        let receiver = self.eval_arg(dot, Param::Any, node)?;
        self.eval_field_chain(dot, receiver, fields, args, fin)
    }

    fn eval_variable(
        &mut self,
        dot: &Val,
        var: &'t Arg,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> Result<Val> {
        self.at(At::Arg(var));
        let Arg::Variable { idents, .. } = var else {
            return Ok(None);
        };
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, &idents[1..], args, fin)
    }

    /// `.X.Y.Z`, possibly followed by arguments (for the last one, if it is a method).
    fn eval_field_chain(
        &mut self,
        dot: &Val,
        mut receiver: Val,
        idents: &[String],
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> Result<Val> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            receiver = self.eval_field(dot, ident, &[], None, receiver)?;
        }
        self.eval_field(dot, &idents[n - 1], args, fin, receiver)
    }

    /// Go's `evalField`: a method, a struct field or a map key of `receiver`.
    fn eval_field(
        &mut self,
        dot: &Val,
        name: &str,
        args: &'t [Arg],
        fin: Option<Val>,
        receiver: Val,
    ) -> Result<Val> {
        let Some(receiver) = receiver else {
            // A missing value has no fields: it stays missing.
            return Ok(None);
        };
        let has_args = args.len() > 1 || fin.is_some();
        match &receiver {
            Value::Struct(s) => {
                if let Some(method) = s.methods.iter().find(|m| m.name == name) {
                    let params = vec![Param::Str; method.arity];
                    let values = self.eval_args(dot, name, &params, None, args, fin)?;
                    let strings: Vec<String> = values
                        .into_iter()
                        .map(|v| match v {
                            Some(Value::String(s)) => s,
                            _ => String::new(),
                        })
                        .collect();
                    return Ok(Some((method.call)(&strings)));
                }
                match (s.kind, s.get(name)) {
                    // Docker's context fields are Go methods without parameters.
                    (StructKind::Context, Some(v)) => {
                        if has_args {
                            let got = args.len().saturating_sub(1) + usize::from(fin.is_some());
                            return self.error(format!(
                                "wrong number of args for {name}: want 0 got {got}"
                            ));
                        }
                        return Ok(Some(v.clone()));
                    }
                    (StructKind::Context, None) => {}
                    (_, Some(v)) => {
                        if has_args {
                            return self.error(format!("{name} is not a method but has arguments"));
                        }
                        return Ok(Some(v.clone()));
                    }
                    (StructKind::Inspect, None) => {
                        if has_args {
                            return self.error(format!("{name} is not a method but has arguments"));
                        }
                        return self.error(format!(
                            "map has no entry for key {}",
                            capas_core::go::quote(name)
                        ));
                    }
                    (StructKind::Header, None) => {
                        if has_args {
                            return self.error(format!("{name} is not a method but has arguments"));
                        }
                        return Ok(None);
                    }
                }
            }
            Value::Map(m) => {
                if has_args {
                    return self.error(format!("{name} is not a method but has arguments"));
                }
                return Ok(m.entries.get(name).cloned());
            }
            Value::Nil => {
                return self.error(format!("nil pointer evaluating interface {{}}.{name}"));
            }
            _ => {}
        }
        let ty = if self.raw {
            "interface {}".to_string()
        } else {
            receiver.go_type()
        };
        self.error(format!("can't evaluate field {name} in type {ty}"))
    }

    fn eval_function(
        &mut self,
        dot: &Val,
        ident: &'t Arg,
        name: &str,
        cmd: &'t Command,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> Result<Val> {
        self.at(At::Arg(ident));
        let Some(func) = self.funcs.get(name).copied() else {
            return self.error(format!(
                "{} is not a defined function",
                capas_core::go::quote(name)
            ));
        };
        self.eval_call(dot, &func, cmd, name, args, fin)
    }

    /// Go's `evalCall` for a function: checks the number of arguments, evaluates them
    /// against the parameters, and calls.
    fn eval_call(
        &mut self,
        dot: &Val,
        func: &Func,
        cmd: &'t Command,
        name: &str,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> Result<Val> {
        let rest = if args.is_empty() { args } else { &args[1..] };
        // `and` and `or` evaluate their arguments one by one, and stop at the one that
        // decides (Go 1.18).
        if func.builtin && (name == "and" || name == "or") {
            self.check_arity(name, func.params, func.variadic, rest.len(), fin.is_some())?;
            let mut v: Val = None;
            for arg in rest {
                v = self.eval_arg(dot, Param::Any, arg)?;
                if crate::template::funcs::truth(&v) == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(fin) = fin {
                v = fin;
            }
            return Ok(v);
        }
        let values = self.eval_args(dot, name, func.params, func.variadic, args, fin)?;
        let result = if func.builtin && name == "call" {
            let callee = rest.first().map(ToString::to_string).unwrap_or_default();
            match values.first() {
                Some(None) | None => Err("call of nil".to_string()),
                Some(Some(v)) => Err(format!("non-function {callee} of type {}", v.go_type())),
            }
        } else {
            (func.call)(&values)
        };
        match result {
            Ok(v) => Ok(v),
            Err(message) => {
                self.at(At::Command(cmd));
                self.error(format!("error calling {name}: {message}"))
            }
        }
    }

    fn check_arity(
        &self,
        name: &str,
        params: &[Param],
        variadic: Option<Param>,
        args: usize,
        fin: bool,
    ) -> Result<()> {
        let num_in = args + usize::from(fin);
        if variadic.is_some() {
            if num_in < params.len() {
                return self.error(format!(
                    "wrong number of args for {name}: want at least {} got {args}",
                    params.len()
                ));
            }
        } else if num_in != params.len() {
            return self.error(format!(
                "wrong number of args for {name}: want {} got {num_in}",
                params.len()
            ));
        }
        Ok(())
    }

    /// The arguments of a call (`args[0]` is the function or method itself), then the
    /// piped-in value, each checked against its parameter.
    fn eval_args(
        &mut self,
        dot: &Val,
        name: &str,
        params: &[Param],
        variadic: Option<Param>,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> Result<Vec<Val>> {
        let rest = if args.is_empty() { args } else { &args[1..] };
        self.check_arity(name, params, variadic, rest.len(), fin.is_some())?;
        let mut values = Vec::with_capacity(rest.len() + 1);
        for (i, arg) in rest.iter().enumerate() {
            let param = params.get(i).copied().or(variadic).unwrap_or(Param::Any);
            values.push(self.eval_arg(dot, param, arg)?);
        }
        if let Some(fin) = fin {
            let position = values.len();
            let param = params
                .get(position)
                .copied()
                .or(variadic)
                .unwrap_or(Param::Any);
            values.push(self.validate(fin, param)?);
        }
        Ok(values)
    }

    /// Go's `evalArg`: an argument evaluated for a parameter of type `param`.
    fn eval_arg(&mut self, dot: &Val, param: Param, arg: &'t Arg) -> Result<Val> {
        self.at(At::Arg(arg));
        let value = match arg {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                return match param {
                    Param::Any => Ok(None),
                    Param::Strings => Ok(Some(Value::List(List {
                        items: Vec::new(),
                        nil: true,
                    }))),
                    _ => self.error(format!("cannot assign nil to {}", param.go_name())),
                };
            }
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), idents, std::slice::from_ref(arg), None)?
            }
            Arg::Variable { .. } => self.eval_variable(dot, arg, &[], None)?,
            Arg::Pipe(p) => self.eval_pipeline(dot, Some(p))?,
            Arg::Identifier { name, .. } => {
                let cmd_args = std::slice::from_ref(arg);
                let Some(func) = self.funcs.get(name.as_str()).copied() else {
                    return self.error(format!(
                        "{} is not a defined function",
                        capas_core::go::quote(name)
                    ));
                };
                self.at(At::Arg(arg));
                let args: &'t [Arg] = cmd_args;
                // A function used as an argument is called without arguments.
                let values = self.eval_args(dot, name, func.params, func.variadic, args, None)?;
                match (func.call)(&values) {
                    Ok(v) => v,
                    Err(message) => return self.error(format!("error calling {name}: {message}")),
                }
            }
            Arg::Chain { .. } => self.eval_chain(dot, arg, &[], None)?,
            // A literal: its type must be the parameter's.
            Arg::Bool { value, .. } => {
                return match param {
                    Param::Any => Ok(Some(Value::Bool(*value))),
                    _ => self.literal_mismatch(param, arg),
                };
            }
            Arg::Number { number, .. } => {
                return match param {
                    Param::Any => self.ideal_constant(arg),
                    Param::Int => match number.int {
                        Some(i) => Ok(Some(Value::Int(i))),
                        None => self.error(format!("expected integer; found {arg}")),
                    },
                    _ => self.literal_mismatch(param, arg),
                };
            }
            Arg::String { text, .. } => {
                return match param {
                    Param::Any | Param::Str => Ok(Some(Value::String(text.clone()))),
                    _ => self.literal_mismatch(param, arg),
                };
            }
        };
        self.validate(value, param)
    }

    fn literal_mismatch(&self, param: Param, arg: &Arg) -> Result<Val> {
        match param {
            Param::Str => self.error(format!("expected string; found {arg}")),
            Param::Int => self.error(format!("expected integer; found {arg}")),
            _ => self.error(format!(
                "can't handle {arg} for arg of type {}",
                param.go_name()
            )),
        }
    }

    /// Go's `validateType`: is the value assignable to the parameter?
    fn validate(&self, value: Val, param: Param) -> Result<Val> {
        let Some(value) = value else {
            return match param {
                Param::Any => Ok(None),
                Param::Strings => Ok(Some(Value::List(List {
                    items: Vec::new(),
                    nil: true,
                }))),
                _ => self.error(format!("invalid value; expected {}", param.go_name())),
            };
        };
        let fits = match (param, &value) {
            (Param::Any, _) => true,
            (Param::Str, Value::String(_)) => true,
            (Param::Int, Value::Int(_)) => true,
            (Param::Strings, Value::List(l)) => {
                l.items.iter().all(|v| matches!(v, Value::String(_)))
            }
            _ => false,
        };
        if !fits {
            let got = match &value {
                Value::Nil => "interface {}".to_string(),
                Value::Map(Map { .. }) | Value::List(_) | Value::Struct(_) => value.go_type(),
                v => v.go_type(),
            };
            return self.error(format!(
                "wrong type for value; expected {}; got {got}",
                param.go_name()
            ));
        }
        Ok(Some(value))
    }
}

fn node_pos(node: &Node) -> usize {
    match node {
        Node::Text { .. } => 0,
        Node::Action { pos, .. }
        | Node::Template { pos, .. }
        | Node::Break { pos }
        | Node::Continue { pos } => *pos,
        Node::Control(c) => c.pos,
    }
}
