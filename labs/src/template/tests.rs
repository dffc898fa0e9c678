//! The engine against the docker CLI: every expected output below was printed by Docker.
//!
//! The tables were transcribed from `docker history --format`, `docker images --format`,
//! `docker ps --format` and `docker inspect -f` (CLI 28.2.2, and 20.10.24 where said), run
//! on images made for the purpose (`docker import` of a one-file tar, then a classic
//! build with `LABEL`, `ENV` and `CMD` on top) and on one created container. The rows each
//! command handed its template are rebuilt here from Docker's own `{{json .}}` of them,
//! so the same data goes through both engines. What Docker prints from Go internals
//! (`{{.}}` of a context) is left out: see the module docs.

use std::collections::BTreeMap;

use super::*;

/// Runs `cases` through [`Format`] over `rows`, mapping the `table` and `raw` keywords as
/// the command does, and reports every case that differs.
fn check<R: Row>(name: &str, cases: &[(&str, Result<&str, &str>)], rows: &[R], raw: Option<&str>) {
    let mut failures = Vec::new();
    for (format, want) in cases {
        let source = match *format {
            "table" => R::TABLE,
            "raw" if raw.is_some() => raw.unwrap_or_default(),
            other => other,
        };
        let got = Format::parse(source)
            .and_then(|f| f.render(rows))
            .map_err(|e| e.message);
        let want = want.map(str::to_string).map_err(str::to_string);
        if got != want {
            failures.push(format!("{format:?}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {} differ from Docker:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn history_row(id: &str, since: &str, at: &str, by: &str, size: &str, comment: &str) -> HistoryRow {
    HistoryRow {
        id: id.into(),
        created_since: since.into(),
        created_at: at.into(),
        created_by: by.into(),
        size: size.into(),
        comment: comment.into(),
    }
}

/// `docker history capas-template-test/built:1`, as its `{{json .}}` showed the rows.
fn built_history() -> Vec<HistoryRow> {
    vec![
        history_row(
            "7198e6ffcb3e",
            "27 seconds ago",
            "2026-12-04T18:52:30Z",
            "/bin/sh -c #(nop)  CMD [\"sh\" \"-c\" \"echo \\\"$G…",
            "0B",
            "",
        ),
        history_row(
            "9e2bdb97e5ad",
            "28 seconds ago",
            "2026-12-04T18:52:29Z",
            "/bin/sh -c #(nop)  ENV PATH=/usr/bin GREETIN…",
            "0B",
            "",
        ),
        history_row(
            "c5e8f171ca9e",
            "29 seconds ago",
            "2026-12-04T18:52:28Z",
            "/bin/sh -c #(nop)  LABEL org.example.team=a …",
            "0B",
            "",
        ),
        imported_history()[0].clone(),
    ]
}

/// `docker history capas-template-test/imp:1`: the one imported layer.
fn imported_history() -> Vec<HistoryRow> {
    vec![history_row(
        "04f4ca558177",
        "4 minutes ago",
        "2026-12-04T18:48:05Z",
        "",
        "3B",
        "imported for a test",
    )]
}

fn image_row(repository: &str, tag: &str, id: &str, since: &str, at: &str) -> ImageRow {
    ImageRow {
        id: id.into(),
        repository: repository.into(),
        tag: tag.into(),
        digest: "<none>".into(),
        created_since: since.into(),
        created_at: at.into(),
        size: "3B".into(),
        containers: "N/A".into(),
        virtual_size: "3B".into(),
        shared_size: "N/A".into(),
        unique_size: "N/A".into(),
    }
}

/// `docker images 'capas-template-test/*'`.
fn images() -> Vec<ImageRow> {
    vec![
        image_row(
            "capas-template-test/built",
            "1",
            "7198e6ffcb3e",
            "About a minute ago",
            "2026-12-04 18:52:30 +0000 UTC",
        ),
        image_row(
            "capas-template-test/imp2",
            "latest",
            "04f4ca558177",
            "5 minutes ago",
            "2026-12-04 18:48:05 +0000 UTC",
        ),
        image_row(
            "capas-template-test/imp",
            "1",
            "04f4ca558177",
            "5 minutes ago",
            "2026-12-04 18:48:05 +0000 UTC",
        ),
    ]
}

/// `docker ps -a`: one container, created with `--label x=y --label com.example=foo` from
/// an image labelled `a=b`.
fn containers() -> Vec<ContainerRow> {
    let labels: BTreeMap<String, String> = [("a", "b"), ("com.example", "foo"), ("x", "y")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vec![ContainerRow {
        id: "cfd18ab5f416".into(),
        image: "capas-template-test/imp:1".into(),
        command: "\"/bin/echo hi\"".into(),
        created_at: "2026-12-04 18:48:05 +0000 UTC".into(),
        running_for: "8 seconds ago".into(),
        ports: String::new(),
        state: "created".into(),
        status: "Created".into(),
        size: "0B".into(),
        names: "capas-template-test-c1".into(),
        labels,
        mounts: String::new(),
        local_volumes: "0".into(),
        networks: "bridge".into(),
    }]
}

/// Transcribed from the docker CLI 28.2.2 (`HISTORY_BUILT`).
const HISTORY_BUILT: &[(&str, Result<&str, &str>)] = &[
    (
        "{{.ID}}|{{.Size}}|{{.Comment}}",
        Ok(
            "7198e6ffcb3e|0B|\n9e2bdb97e5ad|0B|\nc5e8f171ca9e|0B|\n04f4ca558177|3B|imported for a test\n",
        ),
    ),
    (
        "{{.CreatedBy}}",
        Ok(
            "/bin/sh -c #(nop)  CMD [\"sh\" \"-c\" \"echo \\\"$G…\n/bin/sh -c #(nop)  ENV PATH=/usr/bin GREETIN…\n/bin/sh -c #(nop)  LABEL org.example.team=a …\n\n",
        ),
    ),
    (
        "{{truncate .CreatedBy 20}}",
        Ok("/bin/sh -c #(nop)  C\n/bin/sh -c #(nop)  E\n/bin/sh -c #(nop)  L\n\n"),
    ),
    ("{{pad .Size 2 1}}|", Ok("  0B |\n  0B |\n  0B |\n  3B |\n")),
    (
        "{{upper .Comment}}|{{lower \"ÀB\"}}|{{title \"hello wORLD foo-bar o'neil\"}}",
        Ok(
            "|àb|Hello WORLD Foo-Bar O'Neil\n|àb|Hello WORLD Foo-Bar O'Neil\n|àb|Hello WORLD Foo-Bar O'Neil\nIMPORTED FOR A TEST|àb|Hello WORLD Foo-Bar O'Neil\n",
        ),
    ),
    (
        "{{split .ID \"f\"}}",
        Ok("[7198e6  cb3e]\n[9e2bdb97e5ad]\n[c5e8 171ca9e]\n[04 4ca558177]\n"),
    ),
    (
        "{{join (split .ID \"f\") \"+\"}}",
        Ok("7198e6++cb3e\n9e2bdb97e5ad\nc5e8+171ca9e\n04+4ca558177\n"),
    ),
    (
        "{{json .Comment}}",
        Ok("\"\"\n\"\"\n\"\"\n\"imported for a test\"\n"),
    ),
    (
        "{{json .}}",
        Ok(
            "{\"Comment\":\"\",\"CreatedAt\":\"2026-12-04T18:52:30Z\",\"CreatedBy\":\"/bin/sh -c #(nop)  CMD [\\\"sh\\\" \\\"-c\\\" \\\"echo \\\\\\\"$G…\",\"CreatedSince\":\"27 seconds ago\",\"ID\":\"7198e6ffcb3e\",\"Size\":\"0B\"}\n{\"Comment\":\"\",\"CreatedAt\":\"2026-12-04T18:52:29Z\",\"CreatedBy\":\"/bin/sh -c #(nop)  ENV PATH=/usr/bin GREETIN…\",\"CreatedSince\":\"28 seconds ago\",\"ID\":\"9e2bdb97e5ad\",\"Size\":\"0B\"}\n{\"Comment\":\"\",\"CreatedAt\":\"2026-12-04T18:52:28Z\",\"CreatedBy\":\"/bin/sh -c #(nop)  LABEL org.example.team=a …\",\"CreatedSince\":\"29 seconds ago\",\"ID\":\"c5e8f171ca9e\",\"Size\":\"0B\"}\n{\"Comment\":\"imported for a test\",\"CreatedAt\":\"2026-12-04T18:48:05Z\",\"CreatedBy\":\"\",\"CreatedSince\":\"4 minutes ago\",\"ID\":\"04f4ca558177\",\"Size\":\"3B\"}\n",
        ),
    ),
    ("{{len .ID}}", Ok("12\n12\n12\n12\n")),
    ("{{index .ID 0}}", Ok("55\n57\n99\n48\n")),
    ("{{slice .ID 1 3}}", Ok("19\ne2\n5e\n4f\n")),
    (
        "{{printf \"%-14s|%5s|%q\" .ID .Size .Comment}}",
        Ok(
            "7198e6ffcb3e  |   0B|\"\"\n9e2bdb97e5ad  |   0B|\"\"\nc5e8f171ca9e  |   0B|\"\"\n04f4ca558177  |   3B|\"imported for a test\"\n",
        ),
    ),
    (
        "{{printf \"%d %x %X %o %b %c %U\" 42 255 255 8 5 65 9731}}",
        Ok(
            "42 ff FF 10 101 A U+2603\n42 ff FF 10 101 A U+2603\n42 ff FF 10 101 A U+2603\n42 ff FF 10 101 A U+2603\n",
        ),
    ),
    (
        "{{printf \"%v %v %v %v\" 1.5 1e6 1e21 0.000012}}",
        Ok(
            "1.5 1e+06 1e+21 1.2e-05\n1.5 1e+06 1e+21 1.2e-05\n1.5 1e+06 1e+21 1.2e-05\n1.5 1e+06 1e+21 1.2e-05\n",
        ),
    ),
    (
        "{{printf \"%5.2f|%e|%g|%G|%08.3f|%+d|% d\" 3.14159 1234.5678 0.00001234 1e-7 3.14159 5 5}}",
        Ok(
            " 3.14|1.234568e+03|1.234e-05|1E-07|0003.142|+5| 5\n 3.14|1.234568e+03|1.234e-05|1E-07|0003.142|+5| 5\n 3.14|1.234568e+03|1.234e-05|1E-07|0003.142|+5| 5\n 3.14|1.234568e+03|1.234e-05|1E-07|0003.142|+5| 5\n",
        ),
    ),
    (
        "{{printf \"%s %d\" \"x\"}}",
        Ok("x %!d(MISSING)\nx %!d(MISSING)\nx %!d(MISSING)\nx %!d(MISSING)\n"),
    ),
    (
        "{{printf \"%d\" \"x\"}}",
        Ok("%!d(string=x)\n%!d(string=x)\n%!d(string=x)\n%!d(string=x)\n"),
    ),
    (
        "{{printf \"%s\" \"x\" \"y\"}}",
        Ok("x%!(EXTRA string=y)\nx%!(EXTRA string=y)\nx%!(EXTRA string=y)\nx%!(EXTRA string=y)\n"),
    ),
    (
        "{{printf \"%!\"}}",
        Ok("%!!(MISSING)\n%!!(MISSING)\n%!!(MISSING)\n%!!(MISSING)\n"),
    ),
    (
        "{{printf \"%t %v\" true nil}}",
        Ok("true <nil>\ntrue <nil>\ntrue <nil>\ntrue <nil>\n"),
    ),
    (
        "{{print 1 2 \"a\" \"b\" 3}}",
        Ok("1 2ab3\n1 2ab3\n1 2ab3\n1 2ab3\n"),
    ),
    ("{{println \"a\" 1}}", Ok("a 1\n\na 1\n\na 1\n\na 1\n\n")),
    (
        "{{eq .Size \"0B\"}}{{ne .Size \"0B\"}}",
        Ok("truefalse\ntruefalse\ntruefalse\nfalsetrue\n"),
    ),
    (
        "{{if eq .Size \"0B\"}}empty{{else if eq .Size \"3B\"}}three{{else}}other{{end}}",
        Ok("empty\nempty\nempty\nthree\n"),
    ),
    (
        "{{if and .Comment (eq .Size \"3B\")}}A{{end}}{{or .Comment \"none\"}}",
        Ok("none\nnone\nnone\nAimported for a test\n"),
    ),
    ("{{not .Comment}}", Ok("true\ntrue\ntrue\nfalse\n")),
    (
        "{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2}}",
        Err(
            "template parsing error: template: :1:39: executing \"\" at <ge 1.5 2>: error calling ge: incompatible types for comparison",
        ),
    ),
    (
        "{{eq 1 1.0}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <eq 1 1.0>: error calling eq: incompatible types for comparison",
        ),
    ),
    (
        "{{lt true false}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid type for comparison",
        ),
    ),
    (
        "{{eq .ID 1}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <eq .ID 1>: error calling eq: incompatible types for comparison",
        ),
    ),
    (
        "{{with .Comment}}[{{.}}]{{else}}-{{end}}",
        Ok("-\n-\n-\n[imported for a test]\n"),
    ),
    (
        "{{$x := .Size}}{{$x}}{{$x = \"y\"}}{{$x}}",
        Ok("0By\n0By\n0By\n3By\n"),
    ),
    (
        "{{range $i, $c := split .Size \"\"}}{{$i}}={{$c}};{{end}}",
        Ok("0=0;1=B;\n0=0;1=B;\n0=0;1=B;\n0=3;1=B;\n"),
    ),
    (
        "{{range split \"\" \",\"}}x{{else}}empty{{end}}",
        Ok("x\nx\nx\nx\n"),
    ),
    ("{{- .Size -}}   |", Ok("0B|\n0B|\n0B|\n3B|\n")),
    ("a {{- \" b \" -}} c", Ok("a b c\na b c\na b c\na b c\n")),
    ("{{/* comment */}}ok", Ok("ok\nok\nok\nok\n")),
    (
        "{{.Size | printf \"%s!\" | printf \"%s?\"}}",
        Ok("0B!?\n0B!?\n0B!?\n3B!?\n"),
    ),
    (
        "{{\"quoted \\\"x\\\"\\t\"}}|{{`raw\\t`}}",
        Ok(
            "quoted \"x\"\t|raw\t\nquoted \"x\"\t|raw\t\nquoted \"x\"\t|raw\t\nquoted \"x\"\t|raw\t\n",
        ),
    ),
    (
        "{{'a'}} {{0x1F}} {{1_000}} {{0o17}} {{1e3}} {{-5}} {{+3}}",
        Ok(
            "97 31 1000 15 1000 -5 3\n97 31 1000 15 1000 -5 3\n97 31 1000 15 1000 -5 3\n97 31 1000 15 1000 -5 3\n",
        ),
    ),
    (
        "{{nil}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <nil>: nil is not a command",
        ),
    ),
    (
        "{{.Size.X}}",
        Err(
            "template parsing error: template: :1:7: executing \"\" at <.Size.X>: can't evaluate field X in type string",
        ),
    ),
    (
        "{{.ID 1}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <.ID>: wrong number of args for ID: want 0 got 1",
        ),
    ),
    (
        "{{nosuch .ID}}",
        Err("template parsing error: template: :1: function \"nosuch\" not defined"),
    ),
    (
        "{{.Size | .ID}}",
        Err(
            "template parsing error: template: :1:10: executing \"\" at <.ID>: wrong number of args for ID: want 0 got 1",
        ),
    ),
    (
        "{{index .ID 100}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <index .ID 100>: error calling index: index out of range: 100",
        ),
    ),
    (
        "{{len 3}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <len 3>: error calling len: len of type int",
        ),
    ),
    (
        "{{truncate .Comment -1}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <truncate .Comment -1>: error calling truncate: runtime error: slice bounds out of range [:-1]",
        ),
    ),
    (
        "{{truncate 5 1}}",
        Err(
            "template parsing error: template: :1:11: executing \"\" at <5>: expected string; found 5",
        ),
    ),
    (
        "{{join .ID \",\"}}",
        Err(
            "template parsing error: template: :1:7: executing \"\" at <.ID>: wrong type for value; expected []string; got string",
        ),
    ),
    ("{{$.Size}}", Ok("0B\n0B\n0B\n3B\n")),
    (
        "{{$nope}}",
        Err("template parsing error: template: :1: undefined variable \"$nope\""),
    ),
    (
        "{{break}}",
        Err("template parsing error: template: :1: {{break}} outside {{range}}"),
    ),
    (
        "{{range split \"a,b,c\" \",\"}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}",
        Ok("ac\nac\nac\nac\n"),
    ),
    (
        "{{range split \"a,b,c\" \",\"}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}",
        Ok("a\na\na\na\n"),
    ),
    ("{{range 3}}{{.}}{{end}}", Ok("012\n012\n012\n012\n")),
    (
        "{{define \"x\"}}X{{end}}{{template \"x\"}}",
        Ok("X\nX\nX\nX\n"),
    ),
    (
        "{{block \"y\" .}}Y{{.Size}}{{end}}",
        Ok("Y0B\nY0B\nY0B\nY3B\n"),
    ),
    (
        "{{template \"nope\"}}",
        Err(
            "template parsing error: template: :1:11: executing \"\" at <{{template \"nope\"}}>: template \"nope\" not defined",
        ),
    ),
    (
        "{{if}}",
        Err("template parsing error: template: :1: missing value for if"),
    ),
    (
        "{{else}}",
        Err("template parsing error: template: :1: unexpected {{else}}"),
    ),
    (
        "{{range .Size}}{{.}}{{end}}",
        Err(
            "template parsing error: template: :1:8: executing \"\" at <.Size>: range can't iterate over 0B",
        ),
    ),
    (
        "{{.Size \"a\"}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <.Size>: wrong number of args for Size: want 0 got 1",
        ),
    ),
    ("{{(.Size)}}", Ok("0B\n0B\n0B\n3B\n")),
    (
        "{{(printf \"%s\" .ID).Foo}}",
        Err(
            "template parsing error: template: :1:15: executing \"\" at <.ID>: can't evaluate field Foo in type string",
        ),
    ),
    ("{{\"a\" | printf \"%s%s\" \"b\"}}", Ok("ba\nba\nba\nba\n")),
    (
        "{{printf}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <printf>: wrong number of args for printf: want at least 1 got 0",
        ),
    ),
    (
        "{{len}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <len>: wrong number of args for len: want 1 got 0",
        ),
    ),
    (
        "{{index}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <index>: wrong number of args for index: want at least 1 got 0",
        ),
    ),
    (
        "{{eq}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <eq>: wrong number of args for eq: want at least 1 got 0",
        ),
    ),
    (
        "{{eq .Size}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <eq .Size>: error calling eq: missing argument for comparison",
        ),
    ),
    (
        "{{and}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <and>: wrong number of args for and: want at least 1 got 0",
        ),
    ),
    (
        "{{not 1 2}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <not>: wrong number of args for not: want 1 got 2",
        ),
    ),
    (
        "{{1 | len}}",
        Err(
            "template parsing error: template: :1:6: executing \"\" at <len>: error calling len: len of type int",
        ),
    ),
    (
        "{{.Size | 1}}",
        Err("template parsing error: template: :1: non executable command in pipeline stage 2"),
    ),
    ("{{ .Size  }}", Ok("0B\n0B\n0B\n3B\n")),
    ("{{-3}}", Ok("-3\n-3\n-3\n-3\n")),
    ("{{- 3}}", Ok("3\n3\n3\n3\n")),
    ("{{3 -}}", Ok("3\n3\n3\n3\n")),
    ("{{.Size -}} x", Ok("0Bx\n0Bx\n0Bx\n3Bx\n")),
    ("{{$x := 1}}{{$x := 2}}{{$x}}", Ok("2\n2\n2\n2\n")),
    (
        "{{with $y := .Size}}{{$y}}{{end}}{{$y}}",
        Err("template parsing error: template: :1: undefined variable \"$y\""),
    ),
    (
        "{{range $i := split \"a,b\" \",\"}}{{$i}}{{end}}",
        Ok("ab\nab\nab\nab\n"),
    ),
    (
        "{{range $i, $v, $w := split \"a,b\" \",\"}}{{end}}",
        Err("template parsing error: template: :1: too many declarations in range"),
    ),
    (
        "{{printf \"%T %T %T %T %T\" 1 1.5 \"s\" true (split \"a\" \",\")}}",
        Ok(
            "int float64 string bool []string\nint float64 string bool []string\nint float64 string bool []string\nint float64 string bool []string\n",
        ),
    ),
    (
        "{{printf \"%6.2v|%-6v|%06d|%x|% x|%#x|%#o|%#v\" 3.14159 \"ab\" -42 \"hi\" \"hi\" 255 8 \"s\"}}",
        Ok(
            "   3.1|ab    |-00042|6869|68 69|0xff|010|\"s\"\n   3.1|ab    |-00042|6869|68 69|0xff|010|\"s\"\n   3.1|ab    |-00042|6869|68 69|0xff|010|\"s\"\n   3.1|ab    |-00042|6869|68 69|0xff|010|\"s\"\n",
        ),
    ),
    (
        "{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}",
        Ok("b a\nb a\nb a\nb a\n"),
    ),
    (
        "{{printf \"%*d|%-*d|\" 5 1 4 2}}",
        Ok("    1|2   |\n    1|2   |\n    1|2   |\n    1|2   |\n"),
    ),
    (
        "{{printf \"%.3s|%.0f|%.1e|%10.3e\" \"abcdef\" 2.5 123456.0 0.000123}}",
        Ok(
            "abc|2|1.2e+05| 1.230e-04\nabc|2|1.2e+05| 1.230e-04\nabc|2|1.2e+05| 1.230e-04\nabc|2|1.2e+05| 1.230e-04\n",
        ),
    ),
    (
        "{{printf \"%s\" (split \"a,b\" \",\")}}{{printf \"%q\" (split \"a,b\" \",\")}}{{printf \"%d\" (split \"a,b\" \",\")}}",
        Ok(
            "[a b][\"a\" \"b\"][%!d(string=a) %!d(string=b)]\n[a b][\"a\" \"b\"][%!d(string=a) %!d(string=b)]\n[a b][\"a\" \"b\"][%!d(string=a) %!d(string=b)]\n[a b][\"a\" \"b\"][%!d(string=a) %!d(string=b)]\n",
        ),
    ),
    (
        "{{printf \"%v\" 100000000.0}} {{printf \"%v\" 123456789.0}} {{printf \"%v\" 1e20}} {{print 2.0}} {{print 1e-5}} {{print 0.0001}}",
        Ok(
            "1e+08 1.23456789e+08 1e+20 2 1e-05 0.0001\n1e+08 1.23456789e+08 1e+20 2 1e-05 0.0001\n1e+08 1.23456789e+08 1e+20 2 1e-05 0.0001\n1e+08 1.23456789e+08 1e+20 2 1e-05 0.0001\n",
        ),
    ),
    (
        "{{print -0.0}} {{print 3.0e100}}",
        Ok("-0 3e+100\n-0 3e+100\n-0 3e+100\n-0 3e+100\n"),
    ),
    (
        "{{printf \"%x\" 3.5}} {{printf \"%s\" 1}} {{printf \"%d\" true}} {{printf \"%s\" nil}}",
        Ok(
            "0x1.cp+01 %!s(int=1) %!d(bool=true) %!s(<nil>)\n0x1.cp+01 %!s(int=1) %!d(bool=true) %!s(<nil>)\n0x1.cp+01 %!s(int=1) %!d(bool=true) %!s(<nil>)\n0x1.cp+01 %!s(int=1) %!d(bool=true) %!s(<nil>)\n",
        ),
    ),
    (
        "{{printf \"%c|%q|%U|%#U\" 0x1F600 65 0x1F600 0x1F600}}",
        Ok(
            "😀|'A'|U+1F600|U+1F600 '😀'\n😀|'A'|U+1F600|U+1F600 '😀'\n😀|'A'|U+1F600|U+1F600 '😀'\n😀|'A'|U+1F600|U+1F600 '😀'\n",
        ),
    ),
    (
        "{{printf \"%5t|%-5t|\" true false}}",
        Ok(" true|false|\n true|false|\n true|false|\n true|false|\n"),
    ),
    (
        "{{printf \"%08s|%-08d|%+.2f|%x\" \"ab\" 5 -1.5 -255}}",
        Ok(
            "000000ab|5       |-1.50|-ff\n000000ab|5       |-1.50|-ff\n000000ab|5       |-1.50|-ff\n000000ab|5       |-1.50|-ff\n",
        ),
    ),
    (
        "{{.Comment | len | printf \"%03d\"}}",
        Ok("000\n000\n000\n019\n"),
    ),
    (
        "{{if .Comment}}{{.Comment}}{{end}}",
        Ok("\n\n\nimported for a test\n"),
    ),
    ("{{index (split \"a,b\" \",\") 1}}", Ok("b\nb\nb\nb\n")),
    (
        "{{index (split \"a,b\" \",\") \"x\"}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <index (split \"a,b\" \",\") \"x\">: error calling index: cannot index slice/array with type string",
        ),
    ),
    (
        "{{slice \"hello\" 1}}|{{slice \"hello\"}}|{{slice \"hello\" 5}}|{{slice (split \"a,b,c\" \",\") 1 2}}",
        Ok("ello|hello||[b]\nello|hello||[b]\nello|hello||[b]\nello|hello||[b]\n"),
    ),
    (
        "{{slice \"hello\" 3 2}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <slice \"hello\" 3 2>: error calling slice: invalid slice index: 3 > 2",
        ),
    ),
    ("{{len (split \"a,b,c\" \",\")}}", Ok("3\n3\n3\n3\n")),
    ("{{eq \"a\" \"b\" \"a\"}}", Ok("true\ntrue\ntrue\ntrue\n")),
    (
        "{{json (split \"a,b\" \",\")}}|{{json 1.5}}|{{json 100000000000000000000000.0}}|{{json \"<&>\"}}|{{json nil}}|{{json true}}",
        Ok(
            "[\"a\",\"b\"]|1.5|1e+23|\"<&>\"|null|true\n[\"a\",\"b\"]|1.5|1e+23|\"<&>\"|null|true\n[\"a\",\"b\"]|1.5|1e+23|\"<&>\"|null|true\n[\"a\",\"b\"]|1.5|1e+23|\"<&>\"|null|true\n",
        ),
    ),
    (
        "{{print nil}}|{{println}}|{{print}}|{{print \"a\" \"b\"}}|{{print 1 \"a\" 2 3}}",
        Ok("<nil>|\n||ab|1a2 3\n<nil>|\n||ab|1a2 3\n<nil>|\n||ab|1a2 3\n<nil>|\n||ab|1a2 3\n"),
    ),
];

/// Transcribed from the docker CLI 28.2.2 (`HISTORY_IMPORTED`).
const HISTORY_IMPORTED: &[(&str, Result<&str, &str>)] = &[
    (
        "{{html \"<a href='x'>&\\\"</a>\"}}|{{js \"it's <b>\\\"x\\\"</b>=\"}}|{{urlquery \"a b&c=d/é\"}}|{{html 1 \"a\" 2}}",
        Ok(
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;|it\\'s \\u003Cb\\u003E\\\"x\\\"\\u003C/b\\u003E\\u003D|a+b%26c%3Dd%2F%C3%A9|1a2\n",
        ),
    ),
    (
        "{{(.Size}}",
        Err("template parsing error: template: :1: unclosed left paren"),
    ),
    (
        "{{.Size)}}",
        Err("template parsing error: template: :1: unexpected right paren"),
    ),
    (
        "{{\"a\" .}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <\"a\">: can't give argument to non-function \"a\"",
        ),
    ),
    (
        "{{range}}",
        Err("template parsing error: template: :1: missing value for range"),
    ),
    (
        "{{if .Size}}x",
        Err("template parsing error: template: :1: unexpected EOF"),
    ),
    ("{{.Size | }}", Ok("3B\n")),
    (
        "{{|}}",
        Err("template parsing error: template: :1: unexpected \"|\" in command"),
    ),
    (
        "{{$x := }}",
        Err("template parsing error: template: :1: missing value for command"),
    ),
    (
        "{{:}}",
        Err("template parsing error: template: :1: expected :="),
    ),
    (
        "{{'ab'}}",
        Err("template parsing error: template: :1: malformed character constant: 'ab'"),
    ),
    (
        "{{0x}}",
        Err("template parsing error: template: :1: illegal number syntax: \"0x\""),
    ),
    (
        "{{3k}}",
        Err("template parsing error: template: :1: bad number syntax: \"3k\""),
    ),
    (
        "{{.Size.}}",
        Err("template parsing error: template: :1: unexpected <.> in operand"),
    ),
    (
        "{{.Size}}\\n{{.Nope}}",
        Err(
            "template parsing error: template: :2:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *image.historyContext",
        ),
    ),
    (
        "{{if .Size}}\\n{{end}}\\n{{end}}",
        Err("template parsing error: template: :3: unexpected {{end}}"),
    ),
    (
        "{{.Size}}\\n  {{len 3}}",
        Err(
            "template parsing error: template: :2:4: executing \"\" at <len 3>: error calling len: len of type int",
        ),
    ),
    (
        "{{\"\\z\"}}",
        Err("template parsing error: template: :1: invalid syntax"),
    ),
    (
        "{{.A }}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <.A>: can't evaluate field A in type *image.historyContext",
        ),
    ),
    ("{{.Size }}}x", Ok("3B}x\n")),
    (
        "{{template}}",
        Err("template parsing error: template: :1: unexpected \"}}\" in template clause"),
    ),
    (
        "{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}",
        Err(
            "template parsing error: template: :1: template: multiple definition of template \"x\"",
        ),
    ),
    (
        "{{with .Comment}}{{.}}{{else with .Size}}[{{.}}]{{end}}",
        Ok("imported for a test\n"),
    ),
    (
        "{{range $i, $c := split .Size \"\"}}{{$i}}{{end}}{{$i}}",
        Err("template parsing error: template: :1: undefined variable \"$i\""),
    ),
    ("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", Ok("2\n")),
    (
        "{{range $x := split \"a,b\" \",\"}}{{$x}}{{end}}",
        Ok("ab\n"),
    ),
    (
        "{{range $x = split \"a,b\" \",\"}}{{end}}",
        Err(
            "template parsing error: template: :1:25: executing \"\" at <\",\">: undefined variable: $x",
        ),
    ),
    (
        "{{$x := 0}}{{range $x = split \"a,b\" \",\"}}{{end}}{{$x}}",
        Ok("b\n"),
    ),
    (
        "{{$i := 0}}{{$v := \"\"}}{{range $i, $v = split \"a,b\" \",\"}}{{end}}{{$i}}{{$v}}",
        Ok("1b\n"),
    ),
    (
        "{{range $i, $v := 3}}{{end}}",
        Err(
            "template parsing error: template: :1:18: executing \"\" at <3>: can't use 3 to iterate over more than one variable",
        ),
    ),
    ("{{range $i := 3}}{{$i}}{{end}}", Ok("012\n")),
    (
        "{{index .Size -1}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <index .Size -1>: error calling index: index out of range: -1",
        ),
    ),
    (
        "{{index .Size nil}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <index .Size nil>: error calling index: cannot index slice/array with nil",
        ),
    ),
    (
        "{{slice .Size 1 2 3}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <slice .Size 1 2 3>: error calling slice: cannot 3-index slice a string",
        ),
    ),
    (
        "{{call .Size}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <call .Size>: error calling call: non-function .Size of type string",
        ),
    ),
    (
        "{{not}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <not>: wrong number of args for not: want 1 got 0",
        ),
    ),
    (
        "{{printf \"%s\" .Nope}}",
        Err(
            "template parsing error: template: :1:14: executing \"\" at <.Nope>: can't evaluate field Nope in type *image.historyContext",
        ),
    ),
    (
        "{{and 1 0 2}}|{{or 0 \"\" 3}}|{{and 1 2}}|{{or 0 \"\"}}",
        Ok("0|3|2|\n"),
    ),
    (
        "{{len .Nope}}",
        Err(
            "template parsing error: template: :1:6: executing \"\" at <.Nope>: can't evaluate field Nope in type *image.historyContext",
        ),
    ),
    (
        "{{lt 1 \"a\"}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <lt 1 \"a\">: error calling lt: incompatible types for comparison",
        ),
    ),
    (
        "{{eq (split \"a\" \",\") (split \"a\" \",\")}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <eq (split \"a\" \",\") (split \"a\" \",\")>: error calling eq: non-comparable type [a]: []string",
        ),
    ),
    ("{{.Size | printf \"%s|%s\" \"x\"}}", Ok("x|3B\n")),
    ("{{.Size | len | eq 2}}", Ok("true\n")),
    ("{{- /* c */ -}} x", Ok("x\n")),
    (
        "{{/* unclosed }}",
        Err("template parsing error: template: :1: unclosed comment"),
    ),
    (
        "{{/* c */ .Size}}",
        Err("template parsing error: template: :1: comment ends before closing delimiter"),
    ),
    ("{{json \"\\u2028<\"}}", Ok("\"\\u2028<\"\n")),
    (
        "{{print (split \"a,b\" \",\") 1 nil}}",
        Ok("[a b] 1 <nil>\n"),
    ),
    (
        "{{printf \"%v|%+v|%#v\" (split \"a,b\" \",\") (split \"a\" \",\") (split \"a\" \",\")}}",
        Ok("[a b]|[a]|[]string{\"a\"}\n"),
    ),
    (
        "{{printf \"%5v|%-4q|%x\" (split \"a,b\" \",\") \"x\" \"é\"}}",
        Ok("[    a     b]|\"x\" |c3a9\n"),
    ),
    (
        "{{printf \"%.2f %.3g %g %e\" 1.005 1234567.0 1e100 0.0}}",
        Ok("1.00 1.23e+06 1e+100 0.000000e+00\n"),
    ),
    (
        "{{printf \"%6.2f|%-8.3e|%+g|% .1f|%08.2f\" -3.14159 12345.678 2.5 1.25 -3.14159}}",
        Ok(" -3.14|1.235e+04|+2.5| 1.2|-0003.14\n"),
    ),
    (
        "{{printf \"%d|%5d|%-5d|%05d|%x|%#b|%O\" -7 42 42 -42 -1 5 8}}",
        Ok("-7|   42|42   |-0042|-1|0b101|0o10\n"),
    ),
    (
        "{{printf \"%q|%#q|%+q\" \"a\\tb\" \"raw\" \"é\"}}",
        Ok("\"a\\tb\"|`raw`|\"\\u00e9\"\n"),
    ),
    (
        "{{printf \"%v %v\" 1}}{{printf \"%[3]v\" 1 2}}{{printf \"%[0]v|%[x]v\" 1}}",
        Ok("1 %!v(MISSING)%!v(BADINDEX)%!v(BADINDEX)|%!v(BADINDEX)\n"),
    ),
    (
        "{{printf \"%\" }}|{{printf \"%-\"}}|{{printf \"%.*f\" 2 3.14159}}|{{printf \"%*s\" \"x\" \"y\"}}",
        Ok("%!(NOVERB)|%!(NOVERB)|3.14|%!(BADWIDTH)y\n"),
    ),
    ("{{printf \"%c|%c\" 65 -1}}", Ok("A|�\n")),
    (
        "{{printf \"%t\" 1}}{{printf \"%z\" 1}}",
        Ok("%!t(int=1)%!z(int=1)\n"),
    ),
    (
        "{{print 1.0 2.5 1e21 1e-7 100000.0 1000000.0}}",
        Ok("1 2.5 1e+21 1e-07 100000 1e+06\n"),
    ),
    (
        "{{1.0}} {{1e21}} {{0x10}} {{0x1p4}} {{1.5e3}} {{'\\n'}} {{'\\''}} {{-0}}",
        Err("template parsing error: template: :1: unterminated character constant"),
    ),
    (
        "{{1 2}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <1>: can't give argument to non-function 1",
        ),
    ),
    (
        "{{.Size 1 2}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <.Size>: wrong number of args for Size: want 0 got 2",
        ),
    ),
    ("{{true | not}}", Ok("false\n")),
    (
        "{{12345678901234567890}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <12345678901234567890>: 12345678901234567890 overflows int",
        ),
    ),
    (
        "{{99999999999999999999}}",
        Err("template parsing error: template: :1: integer overflow: \"99999999999999999999\""),
    ),
    (
        "{{not .Nope}}|{{if .Nope}}y{{else}}n{{end}}|{{with .Nope}}y{{else}}n{{end}}",
        Err(
            "template parsing error: template: :1:6: executing \"\" at <.Nope>: can't evaluate field Nope in type *image.historyContext",
        ),
    ),
];

/// Transcribed from the docker CLI 28.2.2 (`IMAGES`).
const IMAGES: &[(&str, Result<&str, &str>)] = &[
    (
        "table {{.Repository}}\\t{{.Tag}}",
        Ok(
            "REPOSITORY                  TAG\ncapas-template-test/built   1\ncapas-template-test/imp2    latest\ncapas-template-test/imp     1\n",
        ),
    ),
    (
        "table {{.Repository}}:{{.Tag}}\\t{{.Size}}",
        Ok(
            "REPOSITORY:TAG                    SIZE\ncapas-template-test/built:1       3B\ncapas-template-test/imp2:latest   3B\ncapas-template-test/imp:1         3B\n",
        ),
    ),
    (
        "table {{upper .Repository}}\\t{{lower .Tag}}\\t{{json .Size}}\\t{{title .ID}}",
        Ok(
            "REPOSITORY                  TAG       SIZE      IMAGE ID\nCAPAS-TEMPLATE-TEST/BUILT   1         \"3B\"      7198e6ffcb3e\nCAPAS-TEMPLATE-TEST/IMP2    latest    \"3B\"      04f4ca558177\nCAPAS-TEMPLATE-TEST/IMP     1         \"3B\"      04f4ca558177\n",
        ),
    ),
    (
        "table {{pad .Tag 2 2}}|\\t{{truncate .Repository 5}}\\t{{split .Tag \"x\"}}\\t{{join (split .Tag \"a\") \"-\"}}",
        Ok(
            "  TAG  |      REPOSITORY   TAG        TAG\n  1  |        capas        [1]        1\n  latest  |   capas        [latest]   l-test\n  1  |        capas        [1]        1\n",
        ),
    ),
    (
        "table {{printf \"%s/%s\" .Repository .Tag}}\\t{{len .Tag}}",
        Ok(
            "REPOSITORY/TAG                    3\ncapas-template-test/built/1       1\ncapas-template-test/imp2/latest   6\ncapas-template-test/imp/1         1\n",
        ),
    ),
    (
        "table {{.Nope}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext",
        ),
    ),
    (
        "table {{.ID}}\\t{{if .Tag}}{{.Tag}}{{end}}\\t{{.Containers}}\\t{{.VirtualSize}}\\t{{.SharedSize}}\\t{{.UniqueSize}}\\t{{.CreatedAt}}\\t{{.Digest}}",
        Ok(
            "IMAGE ID       TAG       CONTAINERS   SIZE      SHARED SIZE   UNIQUE SIZE   CREATED AT                      DIGEST\n7198e6ffcb3e   1         N/A          3B        N/A           N/A           2026-12-04 18:52:30 +0000 UTC   <none>\n04f4ca558177   latest    N/A          3B        N/A           N/A           2026-12-04 18:48:05 +0000 UTC   <none>\n04f4ca558177   1         N/A          3B        N/A           N/A           2026-12-04 18:48:05 +0000 UTC   <none>\n",
        ),
    ),
    (
        "table",
        Ok(
            "REPOSITORY                  TAG       IMAGE ID       CREATED              SIZE\ncapas-template-test/built   1         7198e6ffcb3e   About a minute ago   3B\ncapas-template-test/imp2    latest    04f4ca558177   5 minutes ago        3B\ncapas-template-test/imp     1         04f4ca558177   5 minutes ago        3B\n",
        ),
    ),
    ("table x", Ok("x\nx\nx\nx\n")),
    ("tablex {{.Tag}}", Ok("x TAG\nx 1\nx latest\nx 1\n")),
    ("  {{.Tag}}  ", Ok("1\nlatest\n1\n")),
    (" table {{.Tag}}", Ok("table 1\ntable latest\ntable 1\n")),
    (
        "{{.Tag}}\\t{{.ID}}",
        Ok("1\t7198e6ffcb3e\nlatest\t04f4ca558177\n1\t04f4ca558177\n"),
    ),
    (
        "table {{.Tag}}\\t",
        Ok("TAG       \n1         \nlatest    \n1         \n"),
    ),
    (
        "table \\t{{.Tag}}",
        Ok("          TAG\n          1\n          latest\n          1\n"),
    ),
    (
        "json",
        Ok(
            "{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:52:30 +0000 UTC\",\"CreatedSince\":\"About a minute ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"7198e6ffcb3e\",\"Repository\":\"capas-template-test/built\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"CreatedSince\":\"5 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"04f4ca558177\",\"Repository\":\"capas-template-test/imp2\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"latest\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"CreatedSince\":\"5 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"04f4ca558177\",\"Repository\":\"capas-template-test/imp\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n",
        ),
    ),
    ("json ", Ok("json\njson\njson\n")),
    ("JSON", Ok("JSON\nJSON\nJSON\n")),
    ("table json", Ok("json\njson\njson\njson\n")),
    (
        "{{json .}}",
        Ok(
            "{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:52:30 +0000 UTC\",\"CreatedSince\":\"About a minute ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"7198e6ffcb3e\",\"Repository\":\"capas-template-test/built\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"CreatedSince\":\"5 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"04f4ca558177\",\"Repository\":\"capas-template-test/imp2\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"latest\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"CreatedSince\":\"5 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"04f4ca558177\",\"Repository\":\"capas-template-test/imp\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n",
        ),
    ),
    (
        "table {{json .}}",
        Ok(
            "\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:52:30 +0000 UTC\",\"CreatedSince\":\"About a minute ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"7198e6ffcb3e\",\"Repository\":\"capas-template-test/built\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"CreatedSince\":\"5 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"04f4ca558177\",\"Repository\":\"capas-template-test/imp2\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"latest\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n{\"Containers\":\"N/A\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"CreatedSince\":\"5 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"04f4ca558177\",\"Repository\":\"capas-template-test/imp\",\"SharedSize\":\"N/A\",\"Size\":\"3B\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"3B\"}\n",
        ),
    ),
    (
        "raw",
        Ok(
            "repository: capas-template-test/built\ntag: 1\nimage_id: 7198e6ffcb3e\ncreated_at: 2026-12-04 18:52:30 +0000 UTC\nvirtual_size: 3B\n\nrepository: capas-template-test/imp2\ntag: latest\nimage_id: 04f4ca558177\ncreated_at: 2026-12-04 18:48:05 +0000 UTC\nvirtual_size: 3B\n\nrepository: capas-template-test/imp\ntag: 1\nimage_id: 04f4ca558177\ncreated_at: 2026-12-04 18:48:05 +0000 UTC\nvirtual_size: 3B\n\n",
        ),
    ),
    (
        "table {{.Repository}}\\n{{.Tag}}",
        Ok(
            "REPOSITORY\nTAG\ncapas-template-test/built\n1\ncapas-template-test/imp2\nlatest\ncapas-template-test/imp\n1\n",
        ),
    ),
    (
        "table {{.Label \"x\"}}",
        Err(
            "template parsing error: template: :1:2: executing \"\" at <.Label>: can't evaluate field Label in type *formatter.imageContext",
        ),
    ),
];

/// More of `docker history --format … capas-template-test/imp:1` (CLI 28.2.2).
const HISTORY_MORE: &[(&str, Result<&str, &str>)] = &[
    (
        "{{\"x\" | printf \"%s\" | .Size}}",
        Err(
            "template parsing error: template: :1:22: executing \"\" at <.Size>: wrong number of args for Size: want 0 got 1",
        ),
    ),
    (
        "{{$x := 1}}{{$x.Y}}",
        Err(
            "template parsing error: template: :1:15: executing \"\" at <$x.Y>: can't evaluate field Y in type int",
        ),
    ),
];

/// `docker ps -a --format` (CLI 28.2.2).
const CONTAINERS: &[(&str, Result<&str, &str>)] = &[
    (
        "table {{.Names}}\\t{{.Status}}",
        Ok("NAMES                    STATUS\ncapas-template-test-c1   Created\n"),
    ),
    (
        "table {{.Label \"x\"}}\\t{{.Label \"com.example\"}}\\t{{.Names}}",
        Ok("x         example   NAMES\ny         foo       capas-template-test-c1\n"),
    ),
    (
        "{{.Label \"x\"}} {{.Labels}} {{.Mounts}} {{.Networks}} {{.State}} {{.Ports}} {{.Size}}",
        Ok("y a=b,com.example=foo,x=y  bridge created  0B\n"),
    ),
    (
        "{{.Platform}}|{{.LocalVolumes}}|{{json .Platform}}",
        Ok("<nil>|0|null\n"),
    ),
    (
        "table {{.Platform}}\\t{{.LocalVolumes}}\\t{{.State}}",
        Ok("PLATFORM   LOCAL VOLUMES   STATE\n<nil>      0               created\n"),
    ),
    (
        "{{.Command}}|{{.CreatedAt}}",
        Ok("\"/bin/echo hi\"|2026-12-04 18:48:05 +0000 UTC\n"),
    ),
    (
        "json",
        Ok(
            "{\"Command\":\"\\\"/bin/echo hi\\\"\",\"CreatedAt\":\"2026-12-04 18:48:05 +0000 UTC\",\"ID\":\"cfd18ab5f416\",\"Image\":\"capas-template-test/imp:1\",\"Labels\":\"a=b,com.example=foo,x=y\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"capas-template-test-c1\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\"\",\"RunningFor\":\"8 seconds ago\",\"Size\":\"0B\",\"State\":\"created\",\"Status\":\"Created\"}\n",
        ),
    ),
    (
        "raw",
        Ok(
            "container_id: cfd18ab5f416\nimage: capas-template-test/imp:1\ncommand: \"/bin/echo hi\"\ncreated_at: 2026-12-04 18:48:05 +0000 UTC\nstate: created\nstatus: Created\nnames: capas-template-test-c1\nlabels: a=b,com.example=foo,x=y\nports:\n\n",
        ),
    ),
];

#[test]
fn history_formats_match_docker() {
    check("history of built:1", HISTORY_BUILT, &built_history(), None);
    check(
        "more history of imp:1",
        HISTORY_MORE,
        &imported_history(),
        None,
    );
    check(
        "history of imp:1",
        HISTORY_IMPORTED,
        &imported_history(),
        None,
    );
}

#[test]
fn image_formats_match_docker() {
    check("images", IMAGES, &images(), Some(ImageRow::RAW));
}

#[test]
fn container_formats_match_docker() {
    check("ps", CONTAINERS, &containers(), Some(ContainerRow::RAW));
}

#[test]
fn ps_checks_its_format_first_as_docker_does() {
    // `docker ps -a --format …` (CLI 28.2.2): these fail before anything is listed.
    let cases = [
        (
            "{{.Names",
            "failed to parse template: template: :1: unclosed action",
        ),
        (
            "{{nosuch}}",
            r#"failed to parse template: template: :1: function "nosuch" not defined"#,
        ),
        (
            "{{.Label}}",
            r#"failed to execute template: template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0"#,
        ),
        (
            "{{.Label 1}}",
            r#"failed to execute template: template: :1:9: executing "" at <1>: expected string; found 1"#,
        ),
        (
            "{{index .Names 40}}",
            r#"failed to execute template: template: :1:2: executing "" at <index .Names 40>: error calling index: index out of range: 40"#,
        ),
        (
            "{{.Nope}}",
            r#"failed to execute template: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext"#,
        ),
    ];
    for (format, want) in cases {
        let error = check_container_format(format).expect_err(format);
        assert_eq!(error.message, want, "{format}");
        assert_eq!(error.status, 1);
    }
    assert_eq!(
        check_container_format("table {{.Names}}\t{{.Size}}"),
        Ok(())
    );
    assert_eq!(check_container_format("json"), Ok(()));
}

const IMPORTED_JSON: &str = r##"{"Id":"sha256:04f4ca5581773bb4d821586da8ca4bf0854d368cd8ce037786e285fbf325164c","RepoTags":["capas-template-test/imp2:latest","capas-template-test/imp:1"],"RepoDigests":[],"Parent":"","Comment":"imported for a test","Created":"2026-12-04T18:48:05.123611965Z","Container":"","ContainerConfig":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"DockerVersion":"20.10.24+dfsg1","Author":"","Config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["/bin/sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"b"}},"Architecture":"amd64","Os":"linux","Size":3,"VirtualSize":3,"GraphDriver":{"Data":{"MergedDir":"/var/lib/docker/overlay2/823a00cf45cf7fd450aaba982f37e8de66d409f39158e1163817686c455262ed/merged","UpperDir":"/var/lib/docker/overlay2/823a00cf45cf7fd450aaba982f37e8de66d409f39158e1163817686c455262ed/diff","WorkDir":"/var/lib/docker/overlay2/823a00cf45cf7fd450aaba982f37e8de66d409f39158e1163817686c455262ed/work"},"Name":"overlay2"},"RootFS":{"Type":"layers","Layers":["sha256:dda9029504b66754e07616432a7a99a763a13904cd708f2030859f81e14569b8"]},"Metadata":{"LastTagTime":"2026-12-04T18:48:05.246498115Z"}}"##;
const BUILT_JSON: &str = r##"{"Id":"sha256:7198e6ffcb3e4392196933180f46104507af5006f82129684aedf4d4a7e6c15d","RepoTags":["capas-template-test/built:1"],"RepoDigests":[],"Parent":"sha256:9e2bdb97e5adfc4bf27846b7b24fb8fd5d047c1bb735f19427fb5c9b8d9e5eb3","Comment":"","Created":"2026-12-04T18:52:30.304780803Z","Container":"8d5df4173b48568637c23fc7438ec68c3cc3498e182af1a1e332fe1f5d740b01","ContainerConfig":{"Hostname":"8d5df4173b48","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/bin","GREETING=hola mundo"],"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\" \"-c\" \"echo \\\"$GREETING\\\" && sleep 1000000 # a very long command line to truncate\"]"],"Image":"sha256:9e2bdb97e5adfc4bf27846b7b24fb8fd5d047c1bb735f19427fb5c9b8d9e5eb3","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"b","org.example.team":"a <b> & c","version":"1"}},"DockerVersion":"20.10.24+dfsg1","Author":"","Config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/bin","GREETING=hola mundo"],"Cmd":["sh","-c","echo \"$GREETING\" && sleep 1000000 # a very long command line to truncate"],"Image":"sha256:9e2bdb97e5adfc4bf27846b7b24fb8fd5d047c1bb735f19427fb5c9b8d9e5eb3","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"b","org.example.team":"a <b> & c","version":"1"}},"Architecture":"amd64","Os":"linux","Size":3,"VirtualSize":3,"GraphDriver":{"Data":{"MergedDir":"/var/lib/docker/overlay2/823a00cf45cf7fd450aaba982f37e8de66d409f39158e1163817686c455262ed/merged","UpperDir":"/var/lib/docker/overlay2/823a00cf45cf7fd450aaba982f37e8de66d409f39158e1163817686c455262ed/diff","WorkDir":"/var/lib/docker/overlay2/823a00cf45cf7fd450aaba982f37e8de66d409f39158e1163817686c455262ed/work"},"Name":"overlay2"},"RootFS":{"Type":"layers","Layers":["sha256:dda9029504b66754e07616432a7a99a763a13904cd708f2030859f81e14569b8"]},"Metadata":{"LastTagTime":"2026-12-04T18:52:30.389866806Z"}}"##;

fn inspected(json: &str) -> Value {
    let json: serde_json::Value = serde_json::from_str(json).expect("fixture is JSON");
    inspect_value(&json, "types.ImageInspect")
}

#[test]
fn inspect_formats_match_docker() {
    let imported = inspected(IMPORTED_JSON);
    let built = inspected(BUILT_JSON);
    // (format, object, stdout) from `docker inspect -f` (CLI 28.2.2 unless said).
    let cases: Vec<(&str, &Value, &str)> = vec![
        ("{{.Config.Cmd}}", &imported, "[/bin/sh]\n"),
        // CLI 20.10 (whose typed Config is the API's); CLI 28 drops the empty fields.
        (
            "{{json .Config}}",
            &imported,
            "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":[\"/bin/sh\"],\"Image\":\"\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{\"a\":\"b\"}}\n",
        ),
        (
            "{{.Config.Cmd}}\\t{{.Id}}",
            &imported,
            "[/bin/sh]\\tsha256:04f4ca5581773bb4d821586da8ca4bf0854d368cd8ce037786e285fbf325164c\n",
        ),
        ("{{.Config.Entrypoint}}", &imported, "[]\n"),
        ("{{.Config.Env}}", &imported, "[]\n"),
        ("{{.Config.Labels}}", &imported, "map[a:b]\n"),
        ("{{.Config.ExposedPorts}}", &imported, "map[]\n"),
        ("{{.Config.Healthcheck}}", &imported, "<nil>\n"),
        ("{{.RepoDigests}}", &imported, "[]\n"),
        ("{{.Size}}", &imported, "3\n"),
        ("{{printf \"%d\" .Size}}", &imported, "3\n"),
        ("{{gt .Size 1}}", &imported, "true\n"),
        (
            "{{.RootFS}}",
            &imported,
            "{layers [sha256:dda9029504b66754e07616432a7a99a763a13904cd708f2030859f81e14569b8]}\n",
        ),
        (
            "{{.RootFS.Layers}}",
            &imported,
            "[sha256:dda9029504b66754e07616432a7a99a763a13904cd708f2030859f81e14569b8]\n",
        ),
        (
            "{{json .RootFS}}",
            &imported,
            "{\"Type\":\"layers\",\"Layers\":[\"sha256:dda9029504b66754e07616432a7a99a763a13904cd708f2030859f81e14569b8\"]}\n",
        ),
        ("{{.Comment}}", &imported, "imported for a test\n"),
        (
            "{{index .RepoTags 0}}",
            &imported,
            "capas-template-test/imp2:latest\n",
        ),
        (
            "{{range .RepoTags}}{{.}} {{end}}",
            &imported,
            "capas-template-test/imp2:latest capas-template-test/imp:1 \n",
        ),
        (
            "{{.Created}}",
            &imported,
            "2026-12-04T18:48:05.123611965Z\n",
        ),
        (
            "{{json .Created}}",
            &imported,
            "\"2026-12-04T18:48:05.123611965Z\"\n",
        ),
        ("{{.Architecture}}", &imported, "amd64\n"),
        ("{{len .RepoTags}}", &imported, "2\n"),
        ("{{.Parent}}", &imported, "\n"),
        (
            "{{if .Config.Labels}}{{index .Config.Labels \"a\"}}{{end}}|{{index .Config.Labels \"zz\"}}|{{.Config.Labels.zz}}|{{len .Config.Labels}}",
            &imported,
            "b||<no value>|1\n",
        ),
        (
            "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
            &built,
            "a=b;org.example.team=a <b> & c;version=1;\n",
        ),
        (
            "{{.Config.Labels}}|{{json .Config.Labels}}|{{.Config.Env}}|{{join .Config.Env \",\"}}|{{json .Config.Env}}",
            &built,
            "map[a:b org.example.team:a <b> & c version:1]|{\"a\":\"b\",\"org.example.team\":\"a <b> & c\",\"version\":\"1\"}|[PATH=/usr/bin GREETING=hola mundo]|PATH=/usr/bin,GREETING=hola mundo|[\"PATH=/usr/bin\",\"GREETING=hola mundo\"]\n",
        ),
        (
            "{{json .Config.Entrypoint}}|{{.Config.Entrypoint}}|{{len .Config.Entrypoint}}|{{if .Config.Entrypoint}}y{{else}}n{{end}}|{{range .Config.Entrypoint}}x{{else}}empty{{end}}",
            &built,
            "null|[]|0|n|empty\n",
        ),
        (
            "{{.RootFS.Type}}|{{.Os}}|{{.Size}}|{{.VirtualSize}}|{{json .Size}}",
            &built,
            "layers|linux|3|3|3\n",
        ),
        (
            "{{.RepoTags}}|{{json .RepoTags}}|{{.RepoDigests}}|{{json .RepoDigests}}|{{.Parent}}|{{.Author}}|{{.DockerVersion}}",
            &built,
            "[capas-template-test/built:1]|[\"capas-template-test/built:1\"]|[]|[]|sha256:9e2bdb97e5adfc4bf27846b7b24fb8fd5d047c1bb735f19427fb5c9b8d9e5eb3||20.10.24+dfsg1\n",
        ),
        ("{{index .Config \"Cmd\"}}", &imported, "[/bin/sh]\n"),
        ("{{.Config.Labels.nope.deeper}}", &imported, "<no value>\n"),
        (
            "{{.ContainerConfig.Labels}}|{{.ContainerConfig.Env}}|{{.ContainerConfig.Cmd}}|{{json .ContainerConfig.Cmd}}",
            &built,
            "map[a:b org.example.team:a <b> & c version:1]|[PATH=/usr/bin GREETING=hola mundo]|[/bin/sh -c #(nop)  CMD [\"sh\" \"-c\" \"echo \\\"$GREETING\\\" && sleep 1000000 # a very long command line to truncate\"]]|[\"/bin/sh\",\"-c\",\"#(nop) \",\"CMD [\\\"sh\\\" \\\"-c\\\" \\\"echo \\\\\\\"$GREETING\\\\\\\" && sleep 1000000 # a very long command line to truncate\\\"]\"]\n",
        ),
        (
            "{{eq .Os \"linux\"}}|{{gt .Size 2}}|{{eq .Size 3}}",
            &imported,
            "true|true|true\n",
        ),
        (
            "{{.Created}}|{{.Comment}}",
            &built,
            "2026-12-04T18:52:30.304780803Z|\n",
        ),
    ];
    let mut failures = Vec::new();
    for (format, object, want) in &cases {
        let got = inspect(format, std::slice::from_ref(*object));
        if got.stdout != *want || !got.errors.is_empty() || got.status != 0 {
            failures.push(format!("{format:?}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn inspect_errors_match_docker() {
    let imported = inspected(IMPORTED_JSON);
    let built = inspected(BUILT_JSON);
    // A field that is not there: an empty line, an error per object, status 1.
    let got = inspect("{{.Nope}}", &[imported.clone(), built]);
    let error = r#"template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope""#;
    assert_eq!(got.stdout, "\n");
    assert_eq!(got.errors, vec![error.to_string(), error.to_string()]);
    assert_eq!(got.status, 1);
    // A template that does not parse: status 64, nothing on stdout.
    let got = inspect("{{.Config", std::slice::from_ref(&imported));
    assert_eq!(
        got.errors,
        vec!["template parsing error: template: :1: unclosed action".to_string()]
    );
    assert_eq!((got.stdout.as_str(), got.status), ("", 64));
    for (format, want) in [
        (
            "{{.Config.Nope}}",
            r#"template parsing error: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope""#,
        ),
        (
            r#"{{.Config.Labels.a "x"}}"#,
            r#"template parsing error: template: :1:9: executing "" at <.Config.Labels.a>: a is not a method but has arguments"#,
        ),
        (
            "{{.Config.Cmd.x}}",
            r#"template parsing error: template: :1:9: executing "" at <.Config.Cmd.x>: can't evaluate field x in type interface {}"#,
        ),
        (
            "{{.Id.x}}",
            r#"template parsing error: template: :1:5: executing "" at <.Id.x>: can't evaluate field x in type interface {}"#,
        ),
    ] {
        let got = inspect(format, std::slice::from_ref(&imported));
        assert_eq!(got.errors, vec![want.to_string()], "{format}");
        assert_eq!((got.stdout.as_str(), got.status), ("\n", 1), "{format}");
    }
}

#[test]
fn docker_cli_template_tests_pass() {
    // docker/cli templates/templates_test.go.
    let t = Template::parse("{{json .Ports}}").expect("parses");
    let data = Struct::new("map", StructKind::Header)
        .field("Ports", "0.0.0.0:2->8/udp".into())
        .into_value();
    assert_eq!(t.execute(&data).as_deref(), Ok("\"0.0.0.0:2->8/udp\""));
    let t = Template::parse(r#"{{join (split . ":") "/"}}"#).expect("parses");
    assert_eq!(
        t.execute(&"text:with:colon".into()).as_deref(),
        Ok("text/with/colon")
    );
    let t = Template::parse("this is a {{ . }}").expect("parses");
    assert_eq!(
        t.execute(&"string".into()).as_deref(),
        Ok("this is a string")
    );
    // TestParseTruncateFunction: a nil source is an error.
    for format in ["{{truncate . 5}}", "{{pad . 3 3}}"] {
        let t = Template::parse(format).expect("parses");
        assert_eq!(t.execute(&"".into()).as_deref(), Ok(""), "{format}");
        assert!(t.execute(&Value::Nil).is_err(), "{format}");
    }
}

#[test]
fn header_functions_leave_the_name_alone() {
    // docker/cli TestHeaderFunctions: every header function returns its input.
    let names = funcs::names(&funcs::header_functions());
    for format in [
        "{{ json .}}",
        r#"{{ split . ","}}"#,
        r#"{{ join . ","}}"#,
        "{{ title .}}",
        "{{ lower .}}",
        "{{ upper .}}",
        "{{ truncate . 2}}",
    ] {
        let trees = parse::parse(format, &names).expect("parses");
        let (out, error) = exec::execute(
            &trees,
            format,
            &funcs::header_functions(),
            &"hello world".into(),
        );
        assert_eq!((out.as_str(), error), ("hello world", None), "{format}");
    }
}
