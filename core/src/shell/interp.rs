//! The interpreter: walks `brush-parser`'s syntax tree, expands words, applies redirections,
//! and hands simple commands to the built-ins.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Read as _, Write};

use brush_parser::ast;
use brush_parser::word::{self, Parameter, ParameterExpr, SpecialParameter, TildeExpr, WordPiece};

use super::builtins;
use super::{FileKind, Fs};

/// `PATH` when the image sets none (Docker's default).
use crate::go::DEFAULT_PATH;

/// How deep `sh -c` and `$(…)` may nest, and how many times a loop may turn: a runaway
/// script stops with an error instead of hanging the student's terminal.
const MAX_DEPTH: usize = 64;
const MAX_LOOP_TURNS: usize = 100_000;

/// The container shell: its variables, working directory, last exit status and clock.
///
/// ```no_run
/// # fn demo(fs: &mut dyn capas_core::shell::Fs) {
/// use capas_core::shell::Shell;
/// let mut shell = Shell::new([("PATH".to_string(), "/bin".to_string())], "/");
/// let code = shell.run_script(fs, "echo hola > /tmp/a && cat /tmp/a", &mut std::io::stdout(), &mut std::io::stderr());
/// # let _ = code;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Shell {
    vars: BTreeMap<String, String>,
    cwd: String,
    status: i32,
    now: i64,
    depth: usize,
    errexit: bool,
    xtrace: bool,
    exit: Option<i32>,
}

/// What a running command reads and writes.
pub(super) struct Io<'a> {
    /// Standard input (a pipe's or a `<` file's bytes; empty otherwise).
    pub stdin: &'a [u8],
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

/// Where a command's stream ends up once its redirections are applied.
#[derive(Debug, Clone, Copy)]
enum Dest {
    ParentOut,
    ParentErr,
    OutBuf,
    ErrBuf,
}

/// The writers a redirected command may share (`2>&1` makes both streams one).
struct Cells<'a, 'b> {
    out: RefCell<&'a mut dyn Write>,
    err: RefCell<&'b mut dyn Write>,
    out_buf: RefCell<Vec<u8>>,
    err_buf: RefCell<Vec<u8>>,
}

/// One stream of a redirected command.
struct Handle<'c, 'a, 'b> {
    cells: &'c Cells<'a, 'b>,
    dest: Dest,
}

impl Write for Handle<'_, '_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.dest {
            Dest::ParentOut => self.cells.out.borrow_mut().write(buf),
            Dest::ParentErr => self.cells.err.borrow_mut().write(buf),
            Dest::OutBuf => self.cells.out_buf.borrow_mut().write(buf),
            Dest::ErrBuf => self.cells.err_buf.borrow_mut().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.dest {
            Dest::ParentOut => self.cells.out.borrow_mut().flush(),
            Dest::ParentErr => self.cells.err.borrow_mut().flush(),
            Dest::OutBuf | Dest::ErrBuf => Ok(()),
        }
    }
}

/// Where a redirected output goes.
enum Sink {
    /// Unchanged.
    Inherit,
    /// Thrown away (`/dev/null`).
    Null,
    /// Appended to this container file after the command (it was created or truncated before).
    File(String),
    /// The other stream (`2>&1`, `>&2`).
    Other,
}

impl Shell {
    /// A shell with the image's environment (`KEY`, `value` pairs) in `workdir`. `PATH` and
    /// `HOME` get Docker's defaults when missing.
    pub fn new(env: impl IntoIterator<Item = (String, String)>, workdir: &str) -> Self {
        let mut vars: BTreeMap<String, String> = env.into_iter().collect();
        vars.entry("PATH".into())
            .or_insert_with(|| DEFAULT_PATH.to_string());
        vars.entry("HOME".into()).or_insert_with(|| "/root".into());
        let cwd = if workdir.starts_with('/') {
            workdir.to_string()
        } else {
            format!("/{workdir}")
        };
        vars.insert("PWD".into(), cwd.clone());
        Shell {
            vars,
            cwd,
            status: 0,
            now: 0,
            depth: 0,
            errexit: false,
            xtrace: false,
            exit: None,
        }
    }

    /// Sets "now" (Unix seconds): the time `touch` and every file the shell writes get, so
    /// that the same commands give the same `ls -l` (see `SOURCE_DATE_EPOCH`).
    pub fn with_now(mut self, now: i64) -> Self {
        self.now = now;
        self
    }

    /// The working directory.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// A variable's value.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Runs a container's command line as Docker would exec it: `argv[0]` must be a file in
    /// the container (found through `PATH` when it has no `/`), and is then run by the
    /// built-in of the same name (`sh` runs the shell). Returns the exit status; 127 when the
    /// program is missing, as Docker's.
    pub fn run_argv(
        &mut self,
        fs: &mut dyn Fs,
        argv: &[String],
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> i32 {
        let Some(name) = argv.first() else {
            let _ = writeln!(err, "capas: no command specified");
            return 125;
        };
        if self.find_program(fs, name).is_none() {
            let why = if name.contains('/') {
                format!("stat {name}: no such file or directory")
            } else {
                "executable file not found in $PATH".to_string()
            };
            let _ = writeln!(err, "capas: exec: \"{name}\": {why}");
            return 127;
        }
        let mut io = Io {
            stdin: &[],
            out,
            err,
        };
        let code = self.utility(fs, argv, &mut io);
        let _ = io.out.flush();
        code
    }

    /// Runs a script (what `sh -c SCRIPT` runs). Returns its exit status.
    pub fn run_script(
        &mut self,
        fs: &mut dyn Fs,
        script: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> i32 {
        let mut io = Io {
            stdin: &[],
            out,
            err,
        };
        self.script(fs, script, &mut io)
    }

    /// Parses and runs a script; `exit` ends it.
    pub(super) fn script(&mut self, fs: &mut dyn Fs, script: &str, io: &mut Io<'_>) -> i32 {
        if self.depth >= MAX_DEPTH {
            let _ = writeln!(io.err, "sh: too many nested shells");
            return 2;
        }
        let program = match brush_parser::Parser::builder()
            .sh_mode(true)
            .posix_mode(true)
            .build(io::BufReader::new(script.as_bytes()))
            .parse_program()
        {
            Ok(p) => p,
            Err(e) => {
                let _ = writeln!(io.err, "sh: syntax error: {}", one_line(&e.to_string()));
                return 2;
            }
        };
        self.depth += 1;
        for command in &program.complete_commands {
            self.compound_list(fs, command, io);
            if self.exit.is_some() {
                break;
            }
        }
        self.depth -= 1;
        let code = self.exit.take().unwrap_or(self.status);
        self.status = code;
        code
    }

    // -----------------------------------------------------------------------------------------
    // Lists, pipelines, compound commands
    // -----------------------------------------------------------------------------------------

    fn compound_list(&mut self, fs: &mut dyn Fs, list: &ast::CompoundList, io: &mut Io<'_>) {
        for ast::CompoundListItem(and_or, _separator) in &list.0 {
            // `&` (background) runs in the foreground: nothing runs in parallel in capas.
            let status = self.and_or(fs, and_or, io);
            if self.exit.is_some() {
                return;
            }
            if self.errexit && status != 0 {
                self.exit = Some(status);
                return;
            }
        }
    }

    fn and_or(&mut self, fs: &mut dyn Fs, list: &ast::AndOrList, io: &mut Io<'_>) -> i32 {
        let mut status = self.pipeline(fs, &list.first, io);
        for next in &list.additional {
            if self.exit.is_some() {
                break;
            }
            status = match next {
                ast::AndOr::And(p) if status == 0 => self.pipeline(fs, p, io),
                ast::AndOr::Or(p) if status != 0 => self.pipeline(fs, p, io),
                _ => status,
            };
        }
        self.status = status;
        status
    }

    fn pipeline(&mut self, fs: &mut dyn Fs, pipeline: &ast::Pipeline, io: &mut Io<'_>) -> i32 {
        // Each stage runs to its end before the next starts, its output buffered: the bytes
        // are what a pipe would carry.
        let mut input: Vec<u8> = io.stdin.to_vec();
        let mut status = 0;
        let last = pipeline.seq.len().saturating_sub(1);
        for (i, command) in pipeline.seq.iter().enumerate() {
            if i == last {
                let mut stage = Io {
                    stdin: &input,
                    out: &mut *io.out,
                    err: &mut *io.err,
                };
                status = self.command(fs, command, &mut stage);
            } else {
                let mut output = Vec::new();
                let mut stage = Io {
                    stdin: &input,
                    out: &mut output,
                    err: &mut *io.err,
                };
                status = self.command(fs, command, &mut stage);
                input = output;
            }
            if self.exit.is_some() {
                break;
            }
        }
        if pipeline.bang {
            status = i32::from(status == 0);
        }
        self.status = status;
        status
    }

    fn command(&mut self, fs: &mut dyn Fs, command: &ast::Command, io: &mut Io<'_>) -> i32 {
        let status = match command {
            ast::Command::Simple(simple) => self.simple(fs, simple, io),
            ast::Command::Compound(compound, redirects) => {
                let redirects: Vec<&ast::IoRedirect> =
                    redirects.iter().flat_map(|r| r.0.iter()).collect();
                self.with_redirects(fs, &redirects, io, |shell, fs, io| {
                    shell.compound(fs, compound, io)
                })
            }
            ast::Command::Function(_) => {
                let _ = writeln!(io.err, "sh: functions are not supported by the capas shell");
                2
            }
            ast::Command::ExtendedTest(..) => {
                let _ = writeln!(io.err, "sh: [[: not found");
                127
            }
        };
        self.status = status;
        status
    }

    fn compound(
        &mut self,
        fs: &mut dyn Fs,
        compound: &ast::CompoundCommand,
        io: &mut Io<'_>,
    ) -> i32 {
        match compound {
            ast::CompoundCommand::BraceGroup(group) => {
                self.compound_list(fs, &group.list, io);
                self.status
            }
            ast::CompoundCommand::Subshell(sub) => {
                // A subshell: its variables, directory and `exit` stay inside it.
                let mut inner = self.clone();
                inner.compound_list(fs, &sub.list, io);
                let status = inner.exit.unwrap_or(inner.status);
                self.status = status;
                status
            }
            ast::CompoundCommand::IfClause(clause) => self.if_clause(fs, clause, io),
            ast::CompoundCommand::ForClause(clause) => self.for_clause(fs, clause, io),
            ast::CompoundCommand::WhileClause(clause) => self.while_clause(fs, clause, true, io),
            ast::CompoundCommand::UntilClause(clause) => self.while_clause(fs, clause, false, io),
            _ => {
                let _ = writeln!(
                    io.err,
                    "sh: this construct is not supported by the capas shell"
                );
                2
            }
        }
    }

    /// Runs a condition: `set -e` does not apply inside it.
    fn condition(&mut self, fs: &mut dyn Fs, list: &ast::CompoundList, io: &mut Io<'_>) -> i32 {
        let errexit = std::mem::replace(&mut self.errexit, false);
        self.compound_list(fs, list, io);
        self.errexit = errexit;
        self.status
    }

    fn if_clause(
        &mut self,
        fs: &mut dyn Fs,
        clause: &ast::IfClauseCommand,
        io: &mut Io<'_>,
    ) -> i32 {
        if self.condition(fs, &clause.condition, io) == 0 {
            self.compound_list(fs, &clause.then, io);
            return self.status;
        }
        for branch in clause.elses.iter().flatten() {
            if self.exit.is_some() {
                break;
            }
            let taken = match &branch.condition {
                Some(cond) => self.condition(fs, cond, io) == 0,
                None => true,
            };
            if taken {
                self.compound_list(fs, &branch.body, io);
                return self.status;
            }
        }
        self.status = 0;
        0
    }

    fn for_clause(
        &mut self,
        fs: &mut dyn Fs,
        clause: &ast::ForClauseCommand,
        io: &mut Io<'_>,
    ) -> i32 {
        let values = match &clause.values {
            Some(words) => match self.expand_words(fs, words.iter(), io) {
                Ok(v) => v,
                Err(e) => return self.fail(io, &e),
            },
            None => Vec::new(),
        };
        self.status = 0;
        for value in values {
            self.vars.insert(clause.variable_name.clone(), value);
            self.compound_list(fs, &clause.body.list, io);
            if self.exit.is_some() {
                break;
            }
        }
        self.status
    }

    fn while_clause(
        &mut self,
        fs: &mut dyn Fs,
        clause: &ast::WhileOrUntilClauseCommand,
        want_zero: bool,
        io: &mut Io<'_>,
    ) -> i32 {
        let mut status = 0;
        for _ in 0..MAX_LOOP_TURNS {
            let cond = self.condition(fs, &clause.0, io);
            if self.exit.is_some() || (cond == 0) != want_zero {
                self.status = status;
                return status;
            }
            self.compound_list(fs, &clause.1.list, io);
            status = self.status;
            if self.exit.is_some() {
                return status;
            }
        }
        let _ = writeln!(
            io.err,
            "sh: loop stopped after {MAX_LOOP_TURNS} turns (capas has no Ctrl-C)"
        );
        self.status = 130;
        130
    }

    // -----------------------------------------------------------------------------------------
    // Simple commands and redirections
    // -----------------------------------------------------------------------------------------

    fn simple(&mut self, fs: &mut dyn Fs, simple: &ast::SimpleCommand, io: &mut Io<'_>) -> i32 {
        let items = simple
            .prefix
            .iter()
            .flat_map(|p| p.0.iter())
            .chain(simple.suffix.iter().flat_map(|s| s.0.iter()));
        let mut assignments = Vec::new();
        let mut words: Vec<&ast::Word> = simple.word_or_name.iter().collect();
        let mut redirects = Vec::new();
        for item in items {
            match item {
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r),
                ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w),
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    if simple.word_or_name.is_some() && !is_prefix(simple, item) {
                        // `export A=b`: an argument that looks like an assignment.
                        words.push(w);
                    } else {
                        assignments.push(a);
                    }
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {
                    let _ = writeln!(io.err, "sh: process substitution is not supported");
                    return 2;
                }
            }
        }
        // The command word comes first; prefix words after it would be wrong, so order them.
        words.sort_by_key(|w| w.loc.as_ref().map_or(0, |l| l.start.index));

        let argv = match self.expand_words(fs, words.into_iter(), io) {
            Ok(argv) => argv,
            Err(e) => return self.fail(io, &e),
        };
        // Assignments take effect one after the other (`A=1 B=$A` gives B=1). Before a
        // command they are the command's only, and are undone after it.
        let mut saved: Vec<(String, Option<String>)> = Vec::new();
        for a in &assignments {
            let name = match &a.name {
                ast::AssignmentName::VariableName(n) => n.clone(),
                ast::AssignmentName::ArrayElementName(..) => {
                    return self.fail(io, "arrays are not supported");
                }
            };
            let value = match &a.value {
                ast::AssignmentValue::Scalar(w) => match self.expand_one(fs, &w.value, io) {
                    Ok(v) => v,
                    Err(e) => return self.fail(io, &e),
                },
                ast::AssignmentValue::Array(_) => {
                    return self.fail(io, "arrays are not supported");
                }
            };
            let old = self.vars.insert(name.clone(), value);
            saved.push((name, old));
        }
        if argv.is_empty() {
            // Only assignments (and maybe redirections): they stay as shell variables.
            return self.with_redirects(fs, &redirects, io, |_, _, _| 0);
        }
        if self.xtrace {
            let _ = writeln!(io.err, "+ {}", argv.join(" "));
        }
        let status = self.with_redirects(fs, &redirects, io, |shell, fs, io| {
            shell.dispatch(fs, &argv, io)
        });
        for (name, old) in saved.into_iter().rev() {
            match old {
                Some(v) => self.vars.insert(name, v),
                None => self.vars.remove(&name),
            };
        }
        self.status = status;
        status
    }

    /// Runs a command name found in a script: a shell built-in, else a utility from `PATH`.
    fn dispatch(&mut self, fs: &mut dyn Fs, argv: &[String], io: &mut Io<'_>) -> i32 {
        let name = argv[0].as_str();
        if !name.contains('/')
            && let Some(status) = builtins::shell_builtin(self, fs, argv, io)
        {
            return status;
        }
        if self.find_program(fs, name).is_none() {
            let _ = writeln!(io.err, "sh: {name}: not found");
            return 127;
        }
        self.utility(fs, argv, io)
    }

    /// Runs a program by its base name (it was found in the container).
    fn utility(&mut self, fs: &mut dyn Fs, argv: &[String], io: &mut Io<'_>) -> i32 {
        let name = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
        if matches!(name, "sh" | "ash" | "bash" | "dash") {
            return self.sh(fs, argv, io);
        }
        if let Some(status) = builtins::shell_builtin(self, fs, argv, io) {
            return status;
        }
        match builtins::utility(self, fs, name, argv, io) {
            Some(status) => status,
            None => {
                let _ = writeln!(
                    io.err,
                    "sh: {}: the capas shell can't run this program (only its built-in commands run)",
                    argv[0]
                );
                127
            }
        }
    }

    /// `sh -c SCRIPT [NAME [ARGS…]]`, `sh FILE`, or `sh` reading its script from stdin.
    fn sh(&mut self, fs: &mut dyn Fs, argv: &[String], io: &mut Io<'_>) -> i32 {
        let mut rest = argv[1..].iter();
        let mut script = None;
        let mut errexit = self.errexit;
        let mut xtrace = self.xtrace;
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "-c" => {
                    let Some(s) = rest.next() else {
                        let _ = writeln!(io.err, "sh: -c requires an argument");
                        return 2;
                    };
                    script = Some(s.clone());
                    break;
                }
                "-e" => errexit = true,
                "-x" => xtrace = true,
                "-ex" | "-xe" => {
                    errexit = true;
                    xtrace = true;
                }
                file if !file.starts_with('-') => {
                    let path = self.abs(file);
                    match read_all(fs, &path) {
                        Ok(bytes) => script = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        Err(e) => {
                            let _ = writeln!(io.err, "sh: can't open '{file}': {}", reason(&e));
                            return 2;
                        }
                    }
                    break;
                }
                other => {
                    let _ = writeln!(io.err, "sh: {other}: invalid option");
                    return 2;
                }
            }
        }
        let script = script.unwrap_or_else(|| String::from_utf8_lossy(io.stdin).into_owned());
        let mut inner = self.clone();
        inner.errexit = errexit;
        inner.xtrace = xtrace;
        inner.status = 0;
        let status = inner.script(fs, &script, io);
        // A child shell's variables and directory die with it; the file system changes stay.
        self.status = status;
        status
    }

    /// Applies redirections around `run`. Output files are created (or truncated) before the
    /// command runs, as the shell opens them first; a file that can't be created means the
    /// command never runs.
    fn with_redirects(
        &mut self,
        fs: &mut dyn Fs,
        redirects: &[&ast::IoRedirect],
        io: &mut Io<'_>,
        run: impl FnOnce(&mut Shell, &mut dyn Fs, &mut Io<'_>) -> i32,
    ) -> i32 {
        if redirects.is_empty() {
            return run(self, fs, io);
        }
        let mut out_sink = Sink::Inherit;
        let mut err_sink = Sink::Inherit;
        let mut stdin: Option<Vec<u8>> = None;
        for r in redirects {
            let ast::IoRedirect::File(fd, kind, target) = r else {
                return self.fail(io, "this redirection is not supported by the capas shell");
            };
            match kind {
                ast::IoFileRedirectKind::Write
                | ast::IoFileRedirectKind::Clobber
                | ast::IoFileRedirectKind::Append => {
                    let ast::IoFileRedirectTarget::Filename(w) = target else {
                        return self.fail(io, "this redirection is not supported");
                    };
                    let name = match self.expand_one(fs, &w.value, io) {
                        Ok(n) => n,
                        Err(e) => return self.fail(io, &e),
                    };
                    let sink = if name == "/dev/null" {
                        Sink::Null
                    } else {
                        let path = self.abs(&name);
                        let append = matches!(kind, ast::IoFileRedirectKind::Append);
                        let existed = fs.lstat(&path).is_ok();
                        let opened = fs.write(&path, b"", append).and_then(|()| {
                            fs.set_mtime(&path, self.now)?;
                            if !existed {
                                // A new name changes its directory.
                                let _ = fs.set_mtime(&parent_of(&path), self.now);
                            }
                            Ok(())
                        });
                        if let Err(e) = opened {
                            let why = match e.kind() {
                                io::ErrorKind::NotFound => "nonexistent directory".to_string(),
                                _ => reason(&e),
                            };
                            let _ = writeln!(io.err, "sh: can't create {name}: {why}");
                            return 1;
                        }
                        Sink::File(path)
                    };
                    match fd.unwrap_or(1) {
                        2 => err_sink = sink,
                        _ => out_sink = sink,
                    }
                }
                ast::IoFileRedirectKind::DuplicateOutput => {
                    let to = match target {
                        ast::IoFileRedirectTarget::Fd(n) => n.to_string(),
                        ast::IoFileRedirectTarget::Duplicate(w) => w.value.clone(),
                        _ => String::new(),
                    };
                    match (fd.unwrap_or(1), to.as_str()) {
                        (2, "1") => err_sink = Sink::Other,
                        (1, "2") => out_sink = Sink::Other,
                        (a, b) if a.to_string() == b => {}
                        _ => return self.fail(io, "this redirection is not supported"),
                    }
                }
                ast::IoFileRedirectKind::Read => {
                    let ast::IoFileRedirectTarget::Filename(w) = target else {
                        return self.fail(io, "this redirection is not supported");
                    };
                    let name = match self.expand_one(fs, &w.value, io) {
                        Ok(n) => n,
                        Err(e) => return self.fail(io, &e),
                    };
                    if name == "/dev/null" {
                        stdin = Some(Vec::new());
                        continue;
                    }
                    match read_all(fs, &self.abs(&name)) {
                        Ok(bytes) => stdin = Some(bytes),
                        Err(e) => {
                            let _ = writeln!(io.err, "sh: can't open {name}: {}", reason(&e));
                            return 1;
                        }
                    }
                }
                _ => return self.fail(io, "this redirection is not supported"),
            }
        }
        let stdin_bytes = stdin.as_deref().unwrap_or(io.stdin);
        let dest_of_out = match out_sink {
            Sink::Inherit => Dest::ParentOut,
            Sink::Other => Dest::ParentErr,
            Sink::Null | Sink::File(_) => Dest::OutBuf,
        };
        let dest_of_err = match err_sink {
            Sink::Inherit => Dest::ParentErr,
            Sink::Null | Sink::File(_) => Dest::ErrBuf,
            // `> f 2>&1`: both streams go where standard output goes, in order.
            Sink::Other => dest_of_out,
        };
        let cells = Cells {
            out: RefCell::new(&mut *io.out),
            err: RefCell::new(&mut *io.err),
            out_buf: RefCell::new(Vec::new()),
            err_buf: RefCell::new(Vec::new()),
        };
        let status = {
            let mut out = Handle {
                cells: &cells,
                dest: dest_of_out,
            };
            let mut err = Handle {
                cells: &cells,
                dest: dest_of_err,
            };
            let mut inner = Io {
                stdin: stdin_bytes,
                out: &mut out,
                err: &mut err,
            };
            run(self, fs, &mut inner)
        };
        let out_buf = cells.out_buf.into_inner();
        let err_buf = cells.err_buf.into_inner();
        for (sink, bytes) in [(&out_sink, &out_buf), (&err_sink, &err_buf)] {
            if let Sink::File(path) = sink
                && !bytes.is_empty()
            {
                if let Err(e) = fs.write(path, bytes, true) {
                    let _ = writeln!(io.err, "sh: write error: {}", reason(&e));
                    return 1;
                }
                let _ = fs.set_mtime(path, self.now);
            }
        }
        status
    }

    /// Prints `sh: MESSAGE` and gives status 2 (a shell error, not a command's).
    fn fail(&mut self, io: &mut Io<'_>, message: &str) -> i32 {
        let _ = writeln!(io.err, "sh: {message}");
        self.status = 2;
        2
    }

    // -----------------------------------------------------------------------------------------
    // Words: expansion, field splitting, globs
    // -----------------------------------------------------------------------------------------

    /// Expands words into fields: parameters, `$(…)`, quotes, field splitting of unquoted
    /// expansions, and globs on unquoted `*`, `?`, `[`.
    fn expand_words<'w>(
        &mut self,
        fs: &mut dyn Fs,
        words: impl Iterator<Item = &'w ast::Word>,
        io: &mut Io<'_>,
    ) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        for w in words {
            let mut builder = Fields::default();
            self.expand_pieces(fs, &parse_word(&w.value)?, false, &mut builder, io)?;
            for field in builder.finish() {
                fields.extend(self.glob(fs, field));
            }
        }
        Ok(fields)
    }

    /// Expands one word to one string (redirection targets, assignments): no splitting.
    fn expand_one(
        &mut self,
        fs: &mut dyn Fs,
        word: &str,
        io: &mut Io<'_>,
    ) -> Result<String, String> {
        let mut builder = Fields::default();
        self.expand_pieces(fs, &parse_word(word)?, true, &mut builder, io)?;
        Ok(builder
            .finish()
            .into_iter()
            .map(|f| f.text())
            .collect::<Vec<_>>()
            .join(" "))
    }

    fn expand_pieces(
        &mut self,
        fs: &mut dyn Fs,
        pieces: &[word::WordPieceWithSource],
        quoted: bool,
        out: &mut Fields,
        io: &mut Io<'_>,
    ) -> Result<(), String> {
        for p in pieces {
            match &p.piece {
                WordPiece::Text(t) => out.push(t, quoted),
                WordPiece::SingleQuotedText(t) => out.push(t, true),
                WordPiece::AnsiCQuotedText(t) => out.push(&builtins::unescape(t), true),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    out.mark_quoted();
                    self.expand_pieces(fs, inner, true, out, io)?;
                }
                WordPiece::EscapeSequence(e) => {
                    let escaped = e.strip_prefix('\\').unwrap_or(e);
                    if quoted && !matches!(escaped, "$" | "`" | "\"" | "\\" | "\n") {
                        // Inside double quotes, `\n` stays two characters.
                        out.push(e, true);
                    } else if escaped != "\n" {
                        out.push(escaped, true);
                    }
                }
                WordPiece::TildeExpansion(t) => {
                    let home = match t {
                        TildeExpr::Home => self.vars.get("HOME").cloned().unwrap_or_default(),
                        TildeExpr::WorkingDir => self.cwd.clone(),
                        TildeExpr::UserHome(user) if user == "root" => "/root".to_string(),
                        TildeExpr::UserHome(user) => format!("~{user}"),
                        _ => "~".to_string(),
                    };
                    out.push(&home, true);
                }
                WordPiece::ParameterExpansion(expr) => {
                    let value = self.parameter(fs, expr, io)?;
                    out.expansion(&value, quoted);
                }
                WordPiece::CommandSubstitution(script)
                | WordPiece::BackquotedCommandSubstitution(script) => {
                    let mut captured = Vec::new();
                    let mut inner = self.clone();
                    let status = {
                        let mut sub = Io {
                            stdin: &[],
                            out: &mut captured,
                            err: &mut *io.err,
                        };
                        inner.script(fs, script, &mut sub)
                    };
                    self.status = status;
                    let text = String::from_utf8_lossy(&captured);
                    out.expansion(text.trim_end_matches('\n'), quoted);
                }
                WordPiece::ArithmeticExpression(_) => {
                    return Err("arithmetic is not supported by the capas shell".into());
                }
            }
        }
        Ok(())
    }

    fn parameter(
        &mut self,
        fs: &mut dyn Fs,
        expr: &ParameterExpr,
        io: &mut Io<'_>,
    ) -> Result<String, String> {
        match expr {
            ParameterExpr::Parameter {
                parameter,
                indirect: false,
            } => Ok(self.parameter_value(parameter).unwrap_or_default()),
            ParameterExpr::UseDefaultValues {
                parameter,
                test_type,
                default_value,
                ..
            } => {
                let value = self.parameter_value(parameter);
                let unset = match test_type {
                    word::ParameterTestType::UnsetOrNull => {
                        value.as_deref().unwrap_or("").is_empty()
                    }
                    word::ParameterTestType::Unset => value.is_none(),
                };
                if unset {
                    match default_value {
                        Some(d) => self.expand_one(fs, d, io),
                        None => Ok(String::new()),
                    }
                } else {
                    Ok(value.unwrap_or_default())
                }
            }
            ParameterExpr::ParameterLength { parameter, .. } => Ok(self
                .parameter_value(parameter)
                .unwrap_or_default()
                .chars()
                .count()
                .to_string()),
            _ => Err("bad substitution".into()),
        }
    }

    fn parameter_value(&self, parameter: &Parameter) -> Option<String> {
        match parameter {
            Parameter::Named(name) => self.vars.get(name).cloned(),
            Parameter::Special(SpecialParameter::LastExitStatus) => Some(self.status.to_string()),
            Parameter::Special(SpecialParameter::ProcessId) => Some("1".into()),
            Parameter::Special(SpecialParameter::ShellName) | Parameter::Positional(0) => {
                Some("sh".into())
            }
            Parameter::Special(SpecialParameter::PositionalParameterCount) => Some("0".into()),
            _ => None,
        }
    }

    /// Expands a glob field against the container's file system; a pattern that matches
    /// nothing stays as it is (POSIX).
    fn glob(&self, fs: &dyn Fs, field: Field) -> Vec<String> {
        if !field.has_glob {
            return vec![field.text()];
        }
        let pattern = field.pattern();
        let absolute = pattern.starts_with('/');
        let mut found: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
        for part in pattern.split('/').filter(|p| !p.is_empty()) {
            let mut next = Vec::new();
            let is_glob = part.contains(['*', '?', '[']);
            for base in &found {
                let join = |name: &str| {
                    if base.is_empty() {
                        name.to_string()
                    } else if base.ends_with('/') {
                        format!("{base}{name}")
                    } else {
                        format!("{base}/{name}")
                    }
                };
                if !is_glob {
                    let literal = unescape_glob(part);
                    let candidate = join(&literal);
                    if fs.lstat(&self.abs(&candidate)).is_ok() {
                        next.push(candidate);
                    }
                    continue;
                }
                let Ok(matcher) = glob::Pattern::new(part) else {
                    continue;
                };
                let dir = if base.is_empty() { "." } else { base.as_str() };
                let Ok(entries) = fs.read_dir(&self.abs(dir)) else {
                    continue;
                };
                let options = glob::MatchOptions {
                    case_sensitive: true,
                    require_literal_separator: true,
                    require_literal_leading_dot: true,
                };
                for e in entries {
                    if matcher.matches_with(&e.name, options) {
                        next.push(join(&e.name));
                    }
                }
            }
            found = next;
            if found.is_empty() {
                break;
            }
        }
        if found.is_empty() {
            vec![field.text()]
        } else {
            found.sort();
            found
        }
    }

    // -----------------------------------------------------------------------------------------
    // Helpers the built-ins use
    // -----------------------------------------------------------------------------------------

    /// An absolute container path for `path` (relative to the working directory). `..` is
    /// left to the file system, which resolves it with symlinks and refuses escapes.
    pub(super) fn abs(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else if self.cwd == "/" {
            format!("/{path}")
        } else {
            format!("{}/{path}", self.cwd)
        }
    }

    /// "Now", for `touch` and for every file the shell writes.
    pub(super) fn now(&self) -> i64 {
        self.now
    }

    /// Changes directory (lexically normalised: `..` at `/` stays at `/`).
    pub(super) fn set_cwd(&mut self, dir: String) {
        self.vars.insert("PWD".into(), dir.clone());
        self.cwd = dir;
    }

    /// The variables, sorted.
    pub(super) fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// Sets or removes a variable.
    pub(super) fn set_var(&mut self, name: &str, value: Option<String>) {
        match value {
            Some(v) => self.vars.insert(name.to_string(), v),
            None => self.vars.remove(name),
        };
    }

    /// Asks the script to stop with this status.
    pub(super) fn request_exit(&mut self, status: i32) {
        self.exit = Some(status);
    }

    /// The last command's status.
    pub(super) fn status(&self) -> i32 {
        self.status
    }

    /// Sets `set -e` / `set -x`.
    pub(super) fn set_option(&mut self, option: char, on: bool) -> bool {
        match option {
            'e' => self.errexit = on,
            'x' => self.xtrace = on,
            'u' | 'f' | 'o' => {}
            _ => return false,
        }
        true
    }

    /// Finds a program as `execvp` would: a name with `/` is taken as a path, others are
    /// looked for in each `PATH` directory. Returns the path found.
    pub(super) fn find_program(&self, fs: &dyn Fs, name: &str) -> Option<String> {
        let is_file = |p: &str| fs.stat(p).is_ok_and(|s| s.kind == FileKind::File);
        if name.contains('/') {
            let path = self.abs(name);
            return is_file(&path).then_some(path);
        }
        if name.is_empty() {
            return None;
        }
        let path = self.vars.get("PATH").map_or(DEFAULT_PATH, String::as_str);
        path.split(':')
            .filter(|d| !d.is_empty())
            .map(|d| format!("{}/{name}", d.trim_end_matches('/')))
            .find(|p| is_file(p))
    }
}

/// Whether an assignment item stands before the command word (`A=b cmd`).
fn is_prefix(simple: &ast::SimpleCommand, item: &ast::CommandPrefixOrSuffixItem) -> bool {
    simple
        .prefix
        .iter()
        .flat_map(|p| p.0.iter())
        .any(|i| std::ptr::eq(i, item))
}

fn parse_word(text: &str) -> Result<Vec<word::WordPieceWithSource>, String> {
    let options = brush_parser::ParserOptions {
        sh_mode: true,
        posix_mode: true,
        ..Default::default()
    };
    word::parse(text, &options).map_err(|e| format!("syntax error: {}", one_line(&e.to_string())))
}

/// The directory of an absolute path (`/a/b` → `/a`).
pub(super) fn parent_of(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => trimmed[..i].to_string(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes a glob pattern's escapes (`[*]` → `*`) from a literal path part.
fn unescape_glob(part: &str) -> String {
    let mut out = String::new();
    let mut chars = part.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
            out.push_str(&inner);
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a whole container file (scripts, `<` input: small files).
pub(super) fn read_all(fs: &dyn Fs, path: &str) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs.open_read(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text busybox prints for an error: the C library's `strerror` wording.
pub(super) fn reason(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let text = match e.kind() {
        K::NotFound => "No such file or directory",
        K::AlreadyExists => "File exists",
        K::IsADirectory => "Is a directory",
        K::NotADirectory => "Not a directory",
        K::DirectoryNotEmpty => "Directory not empty",
        K::InvalidInput if e.to_string().contains("symbolic links") => "Symbolic link loop",
        K::InvalidInput => "Invalid argument",
        K::CrossesDevices => "Invalid cross-device link",
        _ => {
            // capas's own refusals ("path escapes the container's root") keep their words.
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            return text.rsplit(": ").next().unwrap_or(&text).to_string();
        }
    };
    text.to_string()
}

/// One field being built: its text, which characters came from quotes, and whether an
/// unquoted glob character appeared.
#[derive(Default, Clone)]
struct Field {
    parts: Vec<(String, bool)>,
    has_glob: bool,
    quoted: bool,
}

impl Field {
    fn text(&self) -> String {
        self.parts.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// The field as a glob pattern: quoted parts escaped.
    fn pattern(&self) -> String {
        self.parts
            .iter()
            .map(|(t, quoted)| {
                if *quoted {
                    glob::Pattern::escape(t)
                } else {
                    t.clone()
                }
            })
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.parts.iter().all(|(t, _)| t.is_empty()) && !self.quoted
    }
}

/// Fields being built from one word.
#[derive(Default)]
struct Fields {
    done: Vec<Field>,
    current: Field,
}

impl Fields {
    fn push(&mut self, text: &str, quoted: bool) {
        if !quoted && text.contains(['*', '?', '[']) {
            self.current.has_glob = true;
        }
        if quoted {
            self.current.quoted = true;
        }
        self.current.parts.push((text.to_string(), quoted));
    }

    fn mark_quoted(&mut self) {
        self.current.quoted = true;
    }

    /// An expansion's value: split on blanks when unquoted.
    fn expansion(&mut self, value: &str, quoted: bool) {
        if quoted {
            self.push(value, true);
            return;
        }
        let mut first = true;
        let starts_blank = value.starts_with([' ', '\t', '\n']);
        for (i, piece) in value.split([' ', '\t', '\n']).enumerate() {
            if piece.is_empty() {
                continue;
            }
            if !first || (i > 0 && starts_blank) {
                self.break_field();
            }
            first = false;
            self.push(piece, false);
        }
        if value.ends_with([' ', '\t', '\n']) && !first {
            self.break_field();
        }
    }

    fn break_field(&mut self) {
        let field = std::mem::take(&mut self.current);
        if !field.is_empty() {
            self.done.push(field);
        }
    }

    fn finish(mut self) -> Vec<Field> {
        self.break_field();
        self.done
    }
}
