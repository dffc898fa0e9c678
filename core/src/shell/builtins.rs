//! The built-in commands, with busybox's options, output and error texts.
//!
//! Each takes the whole `argv` and returns its exit status. Errors go to `io.err` as busybox
//! words them (`rm: can't remove 'x': No such file or directory`), with status 1.

use std::collections::{BTreeSet, HashMap};
use std::io;

use super::interp::{Io, Shell, parent_of as parent, read_all, reason};
use super::{FileKind, Fs, Stat};

/// The shell's own built-ins (they need no program file): `Some(status)` if `argv[0]` is one.
pub(super) fn shell_builtin(
    sh: &mut Shell,
    fs: &mut dyn Fs,
    argv: &[String],
    io: &mut Io<'_>,
) -> Option<i32> {
    let name = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
    let args = &argv[1..];
    Some(match name {
        "echo" => echo(args, io),
        "printf" => printf(args, io),
        "true" | ":" => 0,
        "false" => 1,
        "test" => test(sh, fs, "test", args, io),
        "[" => {
            if args.last().map(String::as_str) != Some("]") {
                let _ = writeln!(io.err, "sh: [: missing ]");
                return Some(2);
            }
            test(sh, fs, "[", &args[..args.len() - 1], io)
        }
        "cd" => cd(sh, fs, args, io),
        "pwd" => {
            let _ = writeln!(io.out, "{}", sh.cwd());
            0
        }
        "exit" => {
            let status = match args.first() {
                None => sh.status(),
                Some(n) => match n.parse::<i64>() {
                    Ok(n) => (n & 0xff) as i32,
                    Err(_) => {
                        let _ = writeln!(io.err, "sh: exit: Illegal number: {n}");
                        2
                    }
                },
            };
            sh.request_exit(status);
            status
        }
        "export" => {
            for a in args.iter().filter(|a| *a != "-p") {
                match a.split_once('=') {
                    Some((k, v)) => sh.set_var(k, Some(v.to_string())),
                    None => {
                        let value = sh.var(a).unwrap_or_default().to_string();
                        sh.set_var(a, Some(value));
                    }
                }
            }
            0
        }
        "unset" => {
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                sh.set_var(a, None);
            }
            0
        }
        "set" => {
            for a in args {
                let (on, flags) = match a.as_bytes().first() {
                    Some(b'-') => (true, &a[1..]),
                    Some(b'+') => (false, &a[1..]),
                    _ => continue,
                };
                for c in flags.chars() {
                    if !sh.set_option(c, on) {
                        let _ = writeln!(io.err, "sh: set: illegal option -{c}");
                        return Some(2);
                    }
                }
            }
            0
        }
        _ => return None,
    })
}

/// The utilities (they need their program file in the container): `None` if unknown.
pub(super) fn utility(
    sh: &mut Shell,
    fs: &mut dyn Fs,
    name: &str,
    argv: &[String],
    io: &mut Io<'_>,
) -> Option<i32> {
    let args = &argv[1..];
    Some(match name {
        "cat" => cat(sh, fs, args, io),
        "ls" => ls(sh, fs, args, io),
        "touch" => touch(sh, fs, args, io),
        "mkdir" => mkdir(sh, fs, args, io),
        "rm" => rm(sh, fs, args, io),
        "rmdir" => rmdir(sh, fs, args, io),
        "mv" => mv(sh, fs, args, io),
        "cp" => cp(sh, fs, args, io),
        "chmod" => chmod(sh, fs, args, io),
        "ln" => ln(sh, fs, args, io),
        "env" => {
            for (k, v) in sh.vars() {
                let _ = writeln!(io.out, "{k}={v}");
            }
            0
        }
        // Nothing waits in capas: a sleep ends at once.
        "sleep" => 0,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/// Splits `-abc` flags (from `allowed`) from operands; `--` ends the flags. On an unknown
/// flag, prints busybox's message and returns `Err(1)`.
fn options(
    cmd: &str,
    args: &[String],
    allowed: &str,
    io: &mut Io<'_>,
) -> Result<(BTreeSet<char>, Vec<String>), i32> {
    let mut flags = BTreeSet::new();
    let mut operands = Vec::new();
    let mut rest = false;
    for a in args {
        if rest || a == "-" || !a.starts_with('-') {
            operands.push(a.clone());
        } else if a == "--" {
            rest = true;
        } else {
            for c in a[1..].chars() {
                if !allowed.contains(c) {
                    let _ = writeln!(io.err, "{cmd}: invalid option -- '{c}'");
                    return Err(1);
                }
                flags.insert(c);
            }
        }
    }
    Ok((flags, operands))
}

fn usage(cmd: &str, text: &str, io: &mut Io<'_>) -> i32 {
    let _ = writeln!(io.err, "Usage: {cmd} {text}");
    1
}

/// The last part of a path (`a/b/` → `b`).
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// Gives a path the shell just wrote, and its directory, the shell's "now".
fn stamp(sh: &Shell, fs: &mut dyn Fs, path: &str, is_symlink: bool) {
    if !is_symlink {
        let _ = fs.set_mtime(path, sh.now());
    }
    stamp_parent(sh, fs, path);
}

fn stamp_parent(sh: &Shell, fs: &mut dyn Fs, path: &str) {
    let _ = fs.set_mtime(&parent(path), sh.now());
}

// ---------------------------------------------------------------------------------------------
// echo, printf, test, cd
// ---------------------------------------------------------------------------------------------

fn echo(args: &[String], io: &mut Io<'_>) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut words = args;
    while let Some(first) = words.first() {
        let flags = first.strip_prefix('-').unwrap_or("");
        if flags.is_empty() || !flags.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for c in flags.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        words = &words[1..];
    }
    let mut text = words.join(" ");
    if escapes {
        if let Some(i) = text.find("\\c") {
            text.truncate(i);
            newline = false;
        }
        text = unescape(&text);
    }
    if newline {
        text.push('\n');
    }
    let _ = io.out.write_all(text.as_bytes());
    0
}

/// Interprets backslash escapes (`\n`, `\t`, `\\`, `\0NNN`, …), as `echo -e` and `printf` do.
pub(super) fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('e') => out.push('\x1b'),
            Some('\\') => out.push('\\'),
            Some('0') => {
                let mut value = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('\0'));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn printf(args: &[String], io: &mut Io<'_>) -> i32 {
    let Some(format) = args.first() else {
        return usage("printf", "FORMAT [ARG]...", io);
    };
    let format = unescape(format);
    let mut values = args[1..].iter();
    let mut status = 0;
    loop {
        let mut out = String::new();
        let mut consumed = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut spec = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, '-' | '.' | '+' | ' ' | '#') {
                    spec.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            let Some(conv) = chars.next() else {
                out.push('%');
                break;
            };
            if conv == '%' {
                out.push('%');
                continue;
            }
            let arg = values.next();
            consumed |= arg.is_some();
            let arg = arg.map(String::as_str).unwrap_or("");
            let left = spec.starts_with('-');
            let width: usize = spec
                .trim_start_matches(['-', '+', ' ', '#'])
                .split('.')
                .next()
                .and_then(|w| w.parse().ok())
                .unwrap_or(0);
            let text = match conv {
                's' => arg.to_string(),
                'b' => unescape(arg),
                'c' => arg.chars().next().map(String::from).unwrap_or_default(),
                'd' | 'i' | 'u' => match arg.trim().parse::<i64>() {
                    Ok(n) => n.to_string(),
                    Err(_) if arg.is_empty() => "0".into(),
                    Err(_) => {
                        let _ = writeln!(io.err, "printf: invalid number '{arg}'");
                        status = 1;
                        "0".into()
                    }
                },
                'x' => format!("{:x}", arg.trim().parse::<i64>().unwrap_or(0)),
                'o' => format!("{:o}", arg.trim().parse::<i64>().unwrap_or(0)),
                other => {
                    let _ = writeln!(io.err, "printf: %{other}: invalid format");
                    return 1;
                }
            };
            if left {
                out.push_str(&format!("{text:<width$}"));
            } else {
                out.push_str(&format!("{text:>width$}"));
            }
        }
        let _ = io.out.write_all(out.as_bytes());
        if !consumed || values.len() == 0 {
            break;
        }
    }
    status
}

fn test(sh: &Shell, fs: &dyn Fs, cmd: &str, args: &[String], io: &mut Io<'_>) -> i32 {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match eval_test(sh, fs, &args) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(message) => {
            let _ = writeln!(io.err, "sh: {cmd}: {message}");
            2
        }
    }
}

fn eval_test(sh: &Shell, fs: &dyn Fs, args: &[&str]) -> Result<bool, String> {
    let stat = |p: &str| fs.stat(&sh.abs(p));
    match args {
        [] => Ok(false),
        ["!", rest @ ..] => eval_test(sh, fs, rest).map(|b| !b),
        [one] => Ok(!one.is_empty()),
        [op, operand] if op.starts_with('-') => Ok(match *op {
            "-n" => !operand.is_empty(),
            "-z" => operand.is_empty(),
            "-e" | "-r" | "-w" => stat(operand).is_ok(),
            "-f" => stat(operand).is_ok_and(|s| s.kind == FileKind::File),
            "-d" => stat(operand).is_ok_and(|s| s.kind == FileKind::Dir),
            "-s" => stat(operand).is_ok_and(|s| s.size > 0),
            "-x" => stat(operand).is_ok_and(|s| s.mode & 0o111 != 0),
            "-L" | "-h" => fs
                .lstat(&sh.abs(operand))
                .is_ok_and(|s| s.kind == FileKind::Symlink),
            other => return Err(format!("{other}: unknown operand")),
        }),
        [a, op, b] => {
            let num = |s: &str| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("{s}: bad number"))
            };
            Ok(match *op {
                "=" | "==" => a == b,
                "!=" => a != b,
                "-eq" => num(a)? == num(b)?,
                "-ne" => num(a)? != num(b)?,
                "-lt" => num(a)? < num(b)?,
                "-le" => num(a)? <= num(b)?,
                "-gt" => num(a)? > num(b)?,
                "-ge" => num(a)? >= num(b)?,
                other => return Err(format!("{other}: unknown operand")),
            })
        }
        _ => Err("syntax error".into()),
    }
}

fn cd(sh: &mut Shell, fs: &dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let target = match args.first() {
        Some(t) => t.clone(),
        None => sh.var("HOME").unwrap_or("/").to_string(),
    };
    let path = sh.abs(&target);
    match fs.stat(&path) {
        Ok(s) if s.kind == FileKind::Dir => {
            sh.set_cwd(normalize(&path));
            0
        }
        Ok(_) => {
            let _ = writeln!(io.err, "sh: cd: can't cd to {target}: Not a directory");
            2
        }
        Err(e) => {
            let _ = writeln!(io.err, "sh: cd: can't cd to {target}: {}", reason(&e));
            2
        }
    }
}

/// `/a/./b/../c` → `/a/c`; `..` above `/` stays at `/` (the working directory is always
/// inside the container).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

// ---------------------------------------------------------------------------------------------
// cat, ls
// ---------------------------------------------------------------------------------------------

fn cat(sh: &Shell, fs: &dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (_, files) = match options("cat", args, "uvnAetb", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let files = if files.is_empty() {
        vec!["-".to_string()]
    } else {
        files
    };
    let mut status = 0;
    for f in &files {
        if f == "-" {
            let _ = io.out.write_all(io.stdin);
            continue;
        }
        match fs.open_read(&sh.abs(f)) {
            Ok(mut reader) => {
                if let Err(e) = io::copy(&mut reader, &mut io.out) {
                    let _ = writeln!(io.err, "cat: read error: {}", reason(&e));
                    status = 1;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
                let _ = writeln!(io.err, "cat: read error: Is a directory");
                status = 1;
            }
            Err(e) => {
                let _ = writeln!(io.err, "cat: can't open '{f}': {}", reason(&e));
                status = 1;
            }
        }
    }
    status
}

/// User and group names from the container's `/etc/passwd` and `/etc/group`.
struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Names {
    fn load(fs: &dyn Fs) -> Names {
        let table = |path: &str| -> HashMap<u32, String> {
            let Ok(bytes) = read_all(fs, path) else {
                return HashMap::new();
            };
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter_map(|line| {
                    let mut fields = line.split(':');
                    let name = fields.next()?;
                    let id = fields.nth(1)?.parse().ok()?;
                    Some((id, name.to_string()))
                })
                .collect()
        };
        Names {
            users: table("/etc/passwd"),
            groups: table("/etc/group"),
        }
    }

    fn user(&self, uid: u32) -> String {
        self.users
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }

    fn group(&self, gid: u32) -> String {
        self.groups
            .get(&gid)
            .cloned()
            .unwrap_or_else(|| gid.to_string())
    }
}

/// `drwxr-xr-x`, with `s`/`S` and `t`/`T` for the special bits.
fn mode_string(stat: &Stat) -> String {
    let kind = match stat.kind {
        FileKind::Dir => 'd',
        FileKind::Symlink => 'l',
        FileKind::File => '-',
        FileKind::Other => '?',
    };
    let m = stat.mode;
    let bit = |mask: u32, c: char| if m & mask != 0 { c } else { '-' };
    let special = |x: u32, s: u32, lower: char, upper: char| match (m & x != 0, m & s != 0) {
        (true, true) => lower,
        (false, true) => upper,
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        kind,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        special(0o100, 0o4000, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        special(0o010, 0o2000, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        special(0o001, 0o1000, 't', 'T'),
    ]
    .iter()
    .collect()
}

/// The size `ls -l` shows: a directory as a 4096-byte block, as on ext4.
fn shown_size(stat: &Stat) -> u64 {
    if stat.kind == FileKind::Dir {
        4096
    } else {
        stat.size
    }
}

/// Kibibytes of disk a file takes, counted in 4 KiB blocks (`total` in `ls -l`).
fn blocks_kib(stat: &Stat) -> u64 {
    match stat.kind {
        FileKind::Symlink => 0,
        _ => shown_size(stat).div_ceil(4096) * 4,
    }
}

/// `Nov 29 00:15` for the last six months, `Nov 29  2023` before (UTC).
fn ls_time(mtime: i64, now: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(mtime) else {
        return "?".into();
    };
    let zoned = ts.to_zoned(jiff::tz::TimeZone::UTC);
    let recent = mtime > now - 182 * 24 * 3600 && mtime <= now + 3600;
    if recent {
        zoned.strftime("%b %e %H:%M").to_string()
    } else {
        zoned.strftime("%b %e  %Y").to_string()
    }
}

fn ls(sh: &Shell, fs: &dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (flags, mut operands) = match options("ls", args, "laA1dFhn", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let long = flags.contains(&'l') || flags.contains(&'n');
    let all = flags.contains(&'a');
    let almost_all = flags.contains(&'A');
    let dirs_as_files = flags.contains(&'d');
    let names = if long { Some(Names::load(fs)) } else { None };
    if operands.is_empty() {
        operands.push(".".into());
    }
    operands.sort();

    let line = |name: &str, stat: &Stat| -> String {
        let Some(names) = &names else {
            return name.to_string();
        };
        let (user, group) = if flags.contains(&'n') {
            (stat.uid.to_string(), stat.gid.to_string())
        } else {
            (names.user(stat.uid), names.group(stat.gid))
        };
        let mut text = format!(
            "{} {:>4} {:<8} {:<8} {:>9} {} {}",
            mode_string(stat),
            stat.nlink,
            user,
            group,
            shown_size(stat),
            ls_time(stat.mtime, sh.now()),
            name
        );
        if let Some(target) = &stat.link_target {
            text.push_str(" -> ");
            text.push_str(target);
        }
        text
    };

    let mut status = 0;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for op in &operands {
        let path = sh.abs(op);
        let stat = if long || dirs_as_files {
            fs.lstat(&path)
        } else {
            fs.stat(&path)
        };
        match stat {
            Ok(s) if s.kind == FileKind::Dir && !dirs_as_files => dirs.push((op.clone(), path)),
            Ok(s) => files.push((op.clone(), s)),
            Err(e) => {
                let _ = writeln!(io.err, "ls: {op}: {}", reason(&e));
                status = 1;
            }
        }
    }
    for (name, stat) in &files {
        let _ = writeln!(io.out, "{}", line(name, stat));
    }
    let headers = operands.len() > 1;
    for (i, (name, path)) in dirs.iter().enumerate() {
        if i > 0 || !files.is_empty() {
            let _ = writeln!(io.out);
        }
        if headers {
            let _ = writeln!(io.out, "{name}:");
        }
        let mut entries = match fs.read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                let _ = writeln!(io.err, "ls: {name}: {}", reason(&e));
                status = 1;
                continue;
            }
        };
        if !all && !almost_all {
            entries.retain(|e| !e.name.starts_with('.'));
        }
        let mut shown: Vec<(String, Stat)> = Vec::new();
        if all {
            for (dot, target) in [(".", path.clone()), ("..", dot_dot(path))] {
                if let Ok(s) = fs.stat(&target) {
                    shown.push((dot.to_string(), s));
                }
            }
        }
        shown.extend(entries.into_iter().map(|e| (e.name, e.stat)));
        if long {
            let total: u64 = shown.iter().map(|(_, s)| blocks_kib(s)).sum();
            let _ = writeln!(io.out, "total {total}");
        }
        for (entry, stat) in &shown {
            let _ = writeln!(io.out, "{}", line(entry, stat));
        }
    }
    status
}

/// A directory's `..`: the root's is the root.
fn dot_dot(path: &str) -> String {
    let normal = normalize(path);
    if normal == "/" {
        normal
    } else {
        parent(&normal)
    }
}

// ---------------------------------------------------------------------------------------------
// touch, mkdir, rm, rmdir
// ---------------------------------------------------------------------------------------------

fn touch(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (flags, files) = match options("touch", args, "cham", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if files.is_empty() {
        return usage("touch", "[-cham] FILE...", io);
    }
    let mut status = 0;
    for f in &files {
        let path = sh.abs(f);
        let result = match fs.stat(&path) {
            Ok(_) => fs.set_mtime(&path, sh.now()),
            Err(e) if e.kind() == io::ErrorKind::NotFound && flags.contains(&'c') => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs
                .write(&path, b"", true)
                .map(|()| stamp(sh, fs, &path, false)),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            let _ = writeln!(io.err, "touch: {f}: {}", reason(&e));
            status = 1;
        }
    }
    status
}

/// Parses an octal mode (`755`).
fn octal(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 {
        return None;
    }
    u32::from_str_radix(text, 8).ok()
}

fn mkdir(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    // `-m MODE` takes a value: pull it out first.
    let mut mode = 0o755;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-m" {
            match it.next().and_then(|m| octal(m)) {
                Some(m) => mode = m,
                None => {
                    let _ = writeln!(io.err, "mkdir: invalid mode");
                    return 1;
                }
            }
        } else {
            rest.push(a.clone());
        }
    }
    let (flags, dirs) = match options("mkdir", &rest, "pv", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if dirs.is_empty() {
        return usage("mkdir", "[-m MODE] [-p] DIRECTORY...", io);
    }
    let parents = flags.contains(&'p');
    let mut status = 0;
    for d in &dirs {
        let path = sh.abs(d);
        let result = if parents {
            mkdir_p(sh, fs, &path, mode)
        } else {
            fs.mkdir(&path, mode).map(|()| stamp(sh, fs, &path, false))
        };
        if let Err(e) = result {
            let _ = writeln!(
                io.err,
                "mkdir: can't create directory '{d}': {}",
                reason(&e)
            );
            status = 1;
        }
    }
    status
}

/// `mkdir -p`: every missing directory on the way; existing directories are fine.
fn mkdir_p(sh: &Shell, fs: &mut dyn Fs, path: &str, mode: u32) -> io::Result<()> {
    let mut current = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        current.push('/');
        current.push_str(part);
        match fs.stat(&current) {
            Ok(s) if s.kind == FileKind::Dir => continue,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Intermediate directories get 0755 (u+wx), the last the asked mode.
                let m = if current.len() == path.trim_end_matches('/').len() {
                    mode
                } else {
                    0o755
                };
                fs.mkdir(&current, m)?;
                stamp(sh, fs, &current, false);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn rm(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (flags, files) = match options("rm", args, "rRfiv", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let force = flags.contains(&'f');
    let recursive = flags.contains(&'r') || flags.contains(&'R');
    if files.is_empty() && !force {
        return usage("rm", "[-irf] FILE...", io);
    }
    let mut status = 0;
    for f in &files {
        let path = sh.abs(f);
        let stat = match fs.lstat(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::NotFound && force => continue,
            Err(e) => {
                let _ = writeln!(io.err, "rm: can't remove '{f}': {}", reason(&e));
                status = 1;
                continue;
            }
        };
        if stat.kind == FileKind::Dir {
            if !recursive {
                let _ = writeln!(io.err, "rm: '{f}' is a directory");
                status = 1;
                continue;
            }
            if let Err((e, which)) = remove_tree(fs, &path, f) {
                let _ = writeln!(io.err, "rm: can't remove '{which}': {}", reason(&e));
                status = 1;
            }
        } else if let Err(e) = fs.remove_file(&path) {
            let _ = writeln!(io.err, "rm: can't remove '{f}': {}", reason(&e));
            status = 1;
        }
        stamp_parent(sh, fs, &path);
    }
    status
}

/// Removes a directory and everything in it, children first (as `rm -r` does, one unlink
/// at a time: the union decides what becomes a whiteout).
fn remove_tree(fs: &mut dyn Fs, path: &str, shown: &str) -> Result<(), (io::Error, String)> {
    let entries = fs.read_dir(path).map_err(|e| (e, shown.to_string()))?;
    for e in entries {
        let child = join(path, &e.name);
        let child_shown = join(shown, &e.name);
        if e.stat.kind == FileKind::Dir {
            remove_tree(fs, &child, &child_shown)?;
        } else {
            fs.remove_file(&child).map_err(|err| (err, child_shown))?;
        }
    }
    fs.remove_dir(path).map_err(|e| (e, shown.to_string()))
}

fn rmdir(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (_, dirs) = match options("rmdir", args, "pv", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if dirs.is_empty() {
        return usage("rmdir", "[-p] DIRECTORY...", io);
    }
    let mut status = 0;
    for d in &dirs {
        let path = sh.abs(d);
        let result = if matches!(base_name(d), "." | "..") {
            Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid"))
        } else {
            fs.remove_dir(&path)
        };
        match result {
            Ok(()) => stamp_parent(sh, fs, &path),
            Err(e) => {
                let _ = writeln!(io.err, "rmdir: '{d}': {}", reason(&e));
                status = 1;
            }
        }
    }
    status
}

// ---------------------------------------------------------------------------------------------
// mv, cp
// ---------------------------------------------------------------------------------------------

/// Where each source goes: into `dest` if it is a directory (then several sources are
/// allowed), else `dest` itself.
fn targets(
    cmd: &str,
    sh: &Shell,
    fs: &dyn Fs,
    operands: &[String],
    io: &mut Io<'_>,
) -> Result<Vec<(String, String)>, i32> {
    let (dest, sources) = operands.split_last().ok_or(1)?;
    let dest_path = sh.abs(dest);
    let dest_is_dir = fs.stat(&dest_path).is_ok_and(|s| s.kind == FileKind::Dir);
    if sources.len() > 1 && !dest_is_dir {
        let _ = writeln!(io.err, "{cmd}: '{dest}' is not a directory");
        return Err(1);
    }
    Ok(sources
        .iter()
        .map(|s| {
            let to = if dest_is_dir {
                join(&dest_path, base_name(s))
            } else {
                dest_path.clone()
            };
            (s.clone(), to)
        })
        .collect())
}

fn mv(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (_, operands) = match options("mv", args, "fin", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if operands.len() < 2 {
        return usage("mv", "[-fin] SOURCE DEST", io);
    }
    let pairs = match targets("mv", sh, fs, &operands, io) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut status = 0;
    for (src, to) in pairs {
        let from = sh.abs(&src);
        let before = fs.lstat(&from).ok();
        match fs.rename(&from, &to) {
            Ok(()) => {
                // rename(2) keeps the entry's own time; its directories change.
                if let Some(s) = before.filter(|s| s.kind != FileKind::Symlink) {
                    let _ = fs.set_mtime(&to, s.mtime);
                }
                stamp_parent(sh, fs, &from);
                stamp_parent(sh, fs, &to);
            }
            Err(e) => {
                let _ = writeln!(io.err, "mv: can't rename '{src}': {}", reason(&e));
                status = 1;
            }
        }
    }
    status
}

fn cp(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (flags, operands) = match options("cp", args, "arRpfdPLHinv", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if operands.len() < 2 {
        return usage("cp", "[-arPLHpfinlsTu] SOURCE DEST", io);
    }
    let archive = flags.contains(&'a');
    let opts = CopyOptions {
        recursive: archive || flags.contains(&'r') || flags.contains(&'R'),
        preserve: archive || flags.contains(&'p'),
        no_dereference: archive
            || flags.contains(&'d')
            || flags.contains(&'P')
            || ((flags.contains(&'r') || flags.contains(&'R')) && !flags.contains(&'L')),
    };
    let pairs = match targets("cp", sh, fs, &operands, io) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut status = 0;
    for (src, to) in pairs {
        let from = sh.abs(&src);
        let stat = if opts.no_dereference {
            fs.lstat(&from)
        } else {
            fs.stat(&from)
        };
        let stat = match stat {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(io.err, "cp: can't stat '{src}': {}", reason(&e));
                status = 1;
                continue;
            }
        };
        if stat.kind == FileKind::Dir && !opts.recursive {
            let _ = writeln!(io.err, "cp: omitting directory '{src}'");
            status = 1;
            continue;
        }
        if stat.kind == FileKind::Dir && is_inside(&to, &from) {
            let _ = writeln!(io.err, "cp: cannot copy a directory, '{src}', into itself");
            status = 1;
            continue;
        }
        if stat.kind != FileKind::Dir && normalize(&to) == normalize(&from) {
            // The destination as typed, with the source's name added for a directory.
            let dest = operands.last().map(String::as_str).unwrap_or_default();
            let shown = if sh.abs(dest) == to {
                dest.to_string()
            } else {
                format!("{}/{}", dest.trim_end_matches('/'), base_name(&src))
            };
            let _ = writeln!(io.err, "cp: '{src}' and '{shown}' are the same file");
            status = 1;
            continue;
        }
        if let Err((e, which)) = copy(sh, fs, &from, &stat, &to, &opts) {
            let _ = writeln!(io.err, "cp: can't create '{which}': {}", reason(&e));
            status = 1;
        }
    }
    status
}

struct CopyOptions {
    recursive: bool,
    preserve: bool,
    no_dereference: bool,
}

fn is_inside(path: &str, dir: &str) -> bool {
    let (p, d) = (normalize(path), normalize(dir));
    p == d || p.starts_with(&format!("{}/", d.trim_end_matches('/')))
}

/// Copies one file, symlink or (recursively) directory; the error names the path it was
/// creating.
fn copy(
    sh: &Shell,
    fs: &mut dyn Fs,
    from: &str,
    stat: &Stat,
    to: &str,
    opts: &CopyOptions,
) -> Result<(), (io::Error, String)> {
    let fail = |e: io::Error| (e, to.to_string());
    // Without -p, a new file gets the source's mode under the container's umask (022).
    let mode = if opts.preserve {
        stat.mode
    } else {
        stat.mode & !0o022
    };
    match stat.kind {
        FileKind::Dir => {
            match fs.stat(to) {
                Ok(s) if s.kind == FileKind::Dir => {}
                Ok(_) => return Err(fail(io::Error::from(io::ErrorKind::AlreadyExists))),
                Err(_) => fs.mkdir(to, 0o755).map_err(fail)?,
            }
            for entry in fs.read_dir(from).map_err(|e| (e, from.to_string()))? {
                let child_from = join(from, &entry.name);
                let child_stat = if opts.no_dereference {
                    entry.stat.clone()
                } else {
                    fs.stat(&child_from).map_err(|e| (e, child_from.clone()))?
                };
                copy(
                    sh,
                    fs,
                    &child_from,
                    &child_stat,
                    &join(to, &entry.name),
                    opts,
                )?;
            }
            fs.chmod(to, mode).map_err(fail)?;
            let mtime = if opts.preserve { stat.mtime } else { sh.now() };
            let _ = fs.set_mtime(to, mtime);
            stamp_parent(sh, fs, to);
        }
        FileKind::Symlink => {
            let target = stat.link_target.clone().unwrap_or_default();
            if fs.lstat(to).is_ok() {
                fs.remove_file(to).map_err(fail)?;
            }
            fs.symlink(&target, to).map_err(fail)?;
            stamp(sh, fs, to, true);
        }
        FileKind::File => {
            let existed = fs.stat(to).is_ok();
            fs.copy_file(from, to).map_err(fail)?;
            if !existed || opts.preserve {
                fs.chmod(to, mode).map_err(fail)?;
            }
            let mtime = if opts.preserve { stat.mtime } else { sh.now() };
            let _ = fs.set_mtime(to, mtime);
            stamp_parent(sh, fs, to);
        }
        FileKind::Other => {
            return Err((
                io::Error::new(io::ErrorKind::Unsupported, "special files are not copied"),
                from.to_string(),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// chmod, ln
// ---------------------------------------------------------------------------------------------

fn chmod(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    // The mode may itself start with `-` (`chmod -w f`): only known flags are flags.
    let mut recursive = false;
    let mut rest = args;
    while let Some(first) = rest.first() {
        let flags = first.strip_prefix('-').unwrap_or("");
        if flags.is_empty() || !flags.chars().all(|c| "Rcvf".contains(c)) {
            break;
        }
        recursive |= flags.contains('R');
        rest = &rest[1..];
    }
    let Some((mode_text, files)) = rest.split_first() else {
        return usage("chmod", "[-Rcvf] MODE[,MODE]... FILE...", io);
    };
    if files.is_empty() {
        return usage("chmod", "[-Rcvf] MODE[,MODE]... FILE...", io);
    }
    if parse_mode(mode_text, 0o644, false).is_none() {
        let _ = writeln!(io.err, "chmod: invalid mode '{mode_text}'");
        return 1;
    }
    let mut status = 0;
    for f in files {
        let path = sh.abs(f);
        if let Err((e, which)) = chmod_one(fs, &path, f, mode_text, recursive) {
            let _ = writeln!(io.err, "chmod: {which}: {}", reason(&e));
            status = 1;
        }
    }
    status
}

fn chmod_one(
    fs: &mut dyn Fs,
    path: &str,
    shown: &str,
    mode_text: &str,
    recursive: bool,
) -> Result<(), (io::Error, String)> {
    let fail = |e: io::Error| (e, shown.to_string());
    let stat = fs.stat(path).map_err(fail)?;
    let is_dir = stat.kind == FileKind::Dir;
    let mode = parse_mode(mode_text, stat.mode, is_dir).unwrap_or(stat.mode);
    fs.chmod(path, mode).map_err(fail)?;
    if recursive && is_dir {
        for entry in fs.read_dir(path).map_err(fail)? {
            if entry.stat.kind == FileKind::Symlink {
                continue;
            }
            chmod_one(
                fs,
                &join(path, &entry.name),
                &join(shown, &entry.name),
                mode_text,
                true,
            )?;
        }
    }
    Ok(())
}

/// Applies a chmod mode (octal, or symbolic clauses like `u+x,go-w`, `a=r`, `+X`) to
/// `current`. `None` if the text is not a mode.
pub(super) fn parse_mode(text: &str, current: u32, is_dir: bool) -> Option<u32> {
    if text.chars().all(|c| c.is_ascii_digit()) {
        return octal(text).filter(|_| text.chars().all(|c| c < '8'));
    }
    let umask = 0o022;
    let mut mode = current & 0o7777;
    for clause in text.split(',') {
        let who_len = clause
            .find(|c: char| !"ugoa".contains(c))
            .unwrap_or(clause.len());
        let (who, mut ops) = clause.split_at(who_len);
        if ops.is_empty() {
            return None;
        }
        let mut mask = 0;
        for c in who.chars() {
            mask |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                _ => 0o7777,
            };
        }
        let masked_by_umask = who.is_empty();
        if masked_by_umask {
            mask = 0o7777;
        }
        while let Some(op) = ops.chars().next() {
            if !matches!(op, '+' | '-' | '=') {
                return None;
            }
            let perms_len = ops[1..].find(['+', '-', '=']).map_or(ops.len() - 1, |i| i);
            let perms = &ops[1..1 + perms_len];
            ops = &ops[1 + perms_len..];
            let mut bits = 0;
            for p in perms.chars() {
                bits |= match p {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if is_dir || mode & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => return None,
                };
            }
            bits &= mask;
            if masked_by_umask {
                bits &= !umask;
            }
            match op {
                '+' => mode |= bits,
                '-' => mode &= !bits,
                _ => mode = (mode & !mask) | bits,
            }
        }
    }
    Some(mode)
}

fn ln(sh: &Shell, fs: &mut dyn Fs, args: &[String], io: &mut Io<'_>) -> i32 {
    let (flags, operands) = match options("ln", args, "sfnv", io) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let symbolic = flags.contains(&'s');
    let force = flags.contains(&'f');
    let pairs: Vec<(String, String, String)> = match operands.as_slice() {
        [] => return usage("ln", "[-sfnbtv] [-S SUF] TARGET... LINK|DIR", io),
        [target] => vec![(
            target.clone(),
            sh.abs(base_name(target)),
            base_name(target).to_string(),
        )],
        [sources @ .., dest] => {
            let dest_path = sh.abs(dest);
            let into_dir =
                !flags.contains(&'n') && fs.stat(&dest_path).is_ok_and(|s| s.kind == FileKind::Dir);
            if sources.len() > 1 && !into_dir {
                let _ = writeln!(io.err, "ln: {dest}: Not a directory");
                return 1;
            }
            sources
                .iter()
                .map(|s| {
                    if into_dir {
                        let shown = join(dest, base_name(s));
                        (s.clone(), join(&dest_path, base_name(s)), shown)
                    } else {
                        (s.clone(), dest_path.clone(), dest.clone())
                    }
                })
                .collect()
        }
    };
    let mut status = 0;
    for (target, link, shown) in pairs {
        if force && fs.lstat(&link).is_ok_and(|s| s.kind != FileKind::Dir) {
            let _ = fs.remove_file(&link);
        }
        let result = if symbolic {
            fs.symlink(&target, &link)
        } else {
            match fs.stat(&sh.abs(&target)) {
                Ok(s) if s.kind == FileKind::Dir => {
                    let _ = writeln!(io.err, "ln: {target}: hard link not allowed for directory");
                    status = 1;
                    continue;
                }
                Ok(_) => fs.hard_link(&sh.abs(&target), &link),
                Err(e) => {
                    let _ = writeln!(io.err, "ln: {target}: {}", reason(&e));
                    status = 1;
                    continue;
                }
            }
        };
        match result {
            Ok(()) => stamp_parent(sh, fs, &link),
            Err(e) => {
                let _ = writeln!(io.err, "ln: {shown}: {}", reason(&e));
                status = 1;
            }
        }
    }
    status
}
