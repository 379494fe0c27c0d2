//! Unit tests of the condition language.

use super::*;

fn scope() -> Scope {
    Scope {
        roots: vec![
            RootDecl {
                name: "input".into(),
                fields: None,
            },
            RootDecl {
                name: "params".into(),
                fields: Some(vec!["threshold".into(), "mode".into(), "names".into()]),
            },
        ],
    }
}

fn input() -> Value {
    serde_json::from_str(
        r#"{
            "mode": "live",
            "scope_count": 12,
            "ratio": 0.5,
            "tags": ["a", "b", "c"],
            "nums": [3, 1, 2],
            "mixed": [1, 2.5, -3],
            "labels": {"team": "ml", "env": "prod"},
            "spec": {"metrics": {"accuracy": 0.78}, "owner": null},
            "empty": [],
            "flag": true,
            "text": "  Hello, World  "
        }"#,
    )
    .unwrap()
}

fn params() -> Value {
    serde_json::from_str(r#"{"threshold": 10, "mode": "live", "names": ["x", "y"]}"#).unwrap()
}

fn compile_src(src: &str) -> Result<Program, CompileError> {
    compile(src, &scope(), &Limits::default())
}

fn run(src: &str) -> Result<Value, EvalError> {
    let program = compile_src(src).unwrap_or_else(|e| panic!("`{src}` did not compile: {e:?}"));
    let (i, p) = (input(), params());
    program.eval(&[&i, &p])
}

#[track_caller]
fn ok(src: &str, expected: impl Into<Value>) {
    let expected = expected.into();
    match run(src) {
        Ok(v) => assert_eq!(v, expected, "`{src}`"),
        Err(e) => panic!("`{src}` failed: {e:?}"),
    }
}

#[track_caller]
fn fails(src: &str, kind: EvalErrorKind) -> EvalError {
    match run(src) {
        Ok(v) => panic!("`{src}` gave {v:?}, expected a {kind:?} error"),
        Err(e) => {
            assert_eq!(e.kind, kind, "`{src}`: {e:?}");
            e
        }
    }
}

#[track_caller]
fn bad(src: &str) -> CompileError {
    match compile_src(src) {
        Ok(_) => panic!("`{src}` compiled"),
        Err(e) => e,
    }
}

fn list(items: Vec<Value>) -> Value {
    Value::list(items)
}

#[test]
fn literals() {
    ok("1", 1i64);
    ok("0x1F", 31i64);
    ok("-0x10", -16i64);
    ok("1.5", 1.5);
    ok("1e3", 1000.0);
    ok("2.5E-1", 0.25);
    ok(".5", 0.5);
    ok("-9223372036854775808", i64::MIN);
    ok("9223372036854775807", i64::MAX);
    ok("true", true);
    ok("false", false);
    ok("null", Value::Null);
    ok("'a'", "a");
    ok("\"a\"", "a");
    ok("'''a\nb'''", "a\nb");
    ok(r#""""x"y""""#, "x\"y");
    ok(r#"r"a\nb""#, "a\\nb");
    ok(r#"R'\d'"#, "\\d");
    ok(r#""\n\t\\\"\'""#, "\n\t\\\"'");
    ok(r#""\u00e9\u{1F600}\x41\101\U0001F600""#, "é😀AA😀");
    ok(
        "[1, 2, 3,]",
        list(vec![1i64.into(), 2i64.into(), 3i64.into()]),
    );
    ok("[]", list(vec![]));
    ok(
        r#"{"a": 1, 'b': [true]}"#,
        Value::map([("a", Value::Int(1)), ("b", list(vec![true.into()]))]),
    );
    ok("{}", Value::map(Vec::<(&str, Value)>::new()));
    ok("// leading comment\n 1 + // trailing\n 2", 3i64);
}

#[test]
fn literal_errors() {
    let e = bad("9223372036854775808");
    assert_eq!(
        e.message,
        "integer literal `9223372036854775808` is out of range"
    );
    assert_eq!(e.span, 0..19);
    assert_eq!(
        bad("1u").message,
        "unsigned integer literals are not supported"
    );
    assert_eq!(bad("b'abc'").message, "bytes literals are not supported");
    assert_eq!(bad("'abc").message, "unterminated string");
    assert_eq!(bad("'ab\nc'").message, "unterminated string");
    assert_eq!(bad(r#""\q""#).message, "unknown escape `\\q`");
    assert_eq!(
        bad(r#""\uD800""#).message,
        "escape `\\uD800` is not a valid unicode scalar value"
    );
    assert_eq!(bad("0x").message, "hex literal has no digits");
    assert_eq!(bad("1e").message, "exponent has no digits");
    assert_eq!(bad("12abc").message, "invalid number `12abc`");
    assert_eq!(bad("{1: 2}").message, "map keys must be strings, not `int`");
    assert_eq!(bad(r#"{"a": 1, "a": 2}"#).message, "duplicate map key `a`");
    assert_eq!(bad("#").message, "unexpected character `#`");
}

#[test]
fn syntax_errors_point_at_the_token() {
    let e = bad("input.mode == )");
    assert_eq!(e.message, "unexpected `)`, expected an expression");
    assert_eq!(e.span, 14..15);
    let e = bad("(1 + 2");
    assert_eq!(e.message, "unexpected end of input, expected `)`");
    assert_eq!(e.span, 6..6);
    let e = bad("1 2");
    assert_eq!(
        e.message,
        "unexpected `2`, expected an operator or the end of the expression"
    );
    assert_eq!(e.span, 2..3);
    let e = bad("input.mode = 'x'");
    assert_eq!(e.message, "unexpected `=`");
    assert_eq!(e.help.as_deref(), Some("use `==` to compare"));
    assert_eq!(
        bad("a &  b").help.as_deref(),
        Some("use `&&` for logical and")
    );
    assert_eq!(
        bad("[1, 2").message,
        "unexpected end of input, expected `,` or `]`"
    );
    assert_eq!(
        bad("input.").message,
        "unexpected end of input, expected a field or method name after `.`"
    );
    assert_eq!(
        bad("true ? 1").message,
        "unexpected end of input, expected `:` of the conditional"
    );
    assert_eq!(
        bad("").message,
        "unexpected end of input, expected an expression"
    );
}

#[test]
fn precedence() {
    ok("1 + 2 * 3", 7i64);
    ok("(1 + 2) * 3", 9i64);
    ok("10 - 4 - 3", 3i64);
    ok("100 / 10 / 5", 2i64);
    ok("7 % 4 * 2", 6i64);
    ok("-2 * 3", -6i64);
    ok("- (2 * 3)", -6i64);
    ok("--3", 3i64);
    ok("!!true", true);
    ok("!false && false", false);
    ok("true || false && false", true);
    ok("1 < 2 == true", true);
    ok("1 + 1 == 2 && 3 > 2 || false", true);
    ok("false ? 1 : true ? 2 : 3", 2i64);
    ok("true ? (false ? 1 : 2) : 3", 2i64);
    // As in CEL's grammar, the middle operand of `?:` cannot itself be a conditional.
    assert_eq!(
        bad("true ? false ? 1 : 2 : 3").message,
        "unexpected `?`, expected `:` of the conditional"
    );
    ok("1 in [1] == true", true);
    fails("-1.5.size", EvalErrorKind::TypeMismatch);
}

#[test]
fn field_access_and_indexing() {
    ok("input.mode", "live");
    ok("input.spec.metrics.accuracy", 0.78);
    ok("input.labels['team']", "ml");
    ok("input['labels'].env", "prod");
    ok("input.tags[1]", "b");
    ok("input.tags[2.0]", "c");
    ok("[[1, 2], [3]][1][0]", 3i64);
    ok("{'a': {'b': 5}}.a.b", 5i64);
    ok("input.spec.owner", Value::Null);
    ok(".input.mode", "live");
    ok("params.threshold", 10i64);
}

#[test]
fn missing_fields_report_the_path_as_written() {
    let e = fails("input.spec.fairness", EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("input.spec.fairness"));
    assert_eq!(e.message, "no such field `input.spec.fairness`");
    assert_eq!(e.span, 0..19);
    let e = fails("input.spec.fairness.score > 0.5", EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("input.spec.fairness"));
    let e = fails("input.labels['owner'] == 'x'", EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("input.labels['owner']"));
    assert_eq!(e.message, "no such key `input.labels['owner']`");
    let e = fails("input.tags.map(t, {'a': t}.b)", EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("{'a': t}.b"));
    let e = fails("input.labels[input.mode]", EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("input.labels[input.mode]"));
    // `owner` is null: it holds no fields, so `name` is missing (not a type error).
    let e = fails("input.spec.owner.name", EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("input.spec.owner.name"));
    fails("input.tags[3]", EvalErrorKind::IndexOutOfRange);
    fails("input.tags[-1]", EvalErrorKind::IndexOutOfRange);
    fails("input.tags[1.5]", EvalErrorKind::TypeMismatch);
    fails("input.tags['a']", EvalErrorKind::TypeMismatch);
    fails("input.mode[0]", EvalErrorKind::TypeMismatch);
    fails("input.labels[1]", EvalErrorKind::Missing);
    fails("input.labels[null]", EvalErrorKind::TypeMismatch);
}

#[test]
fn has_macro() {
    ok("has(input.spec)", true);
    ok("has(input.spec.fairness)", false);
    ok("has(input.spec.metrics.accuracy)", true);
    ok("has(input.spec.owner)", true);
    ok("has({'a': 1}.a)", true);
    // A missing parent: the field is not there (CEL would make this an error).
    ok("has(input.nope.x)", false);
    ok("has(input.nope.deeper.x)", false);
    ok("!has(input.nope.x)", true);
    // A parent that is not a map (here a string) has no fields either.
    ok("has(input.mode.x)", false);
    assert_eq!(
        bad("has(input)").message,
        "the argument of `has` must be a field selection"
    );
    assert_eq!(
        bad("has(input.a, input.b)").message,
        "`has` takes one field selection"
    );
    assert_eq!(
        bad("has(params.treshold)").help.as_deref(),
        Some("did you mean `threshold`?")
    );
}

#[test]
fn logic_absorbs_errors_in_either_order() {
    ok("false && input.nope", false);
    ok("input.nope && false", false);
    ok("true || input.nope", true);
    ok("input.nope || true", true);
    ok("1 && false", false);
    ok("false && 1", false);
    fails("input.nope && true", EvalErrorKind::Missing);
    fails("true && input.nope", EvalErrorKind::Missing);
    fails("input.nope || false", EvalErrorKind::Missing);
    fails("1 && true", EvalErrorKind::TypeMismatch);
    fails("true && 1", EvalErrorKind::TypeMismatch);
    fails("!1", EvalErrorKind::TypeMismatch);
    fails("1 ? 2 : 3", EvalErrorKind::TypeMismatch);
    ok("true ? 1 : input.nope", 1i64);
    ok("false ? input.nope : 2", 2i64);
    ok("false && 1 / 0 == 1", false);
}

#[test]
fn comparisons() {
    ok("1 == 1.0", true);
    ok("1.0 == 1", true);
    ok("1 != 1.5", true);
    ok("1 < 1.5", true);
    ok("2.5 >= 2", true);
    ok("'a' < 'b'", true);
    ok("'é' > 'z'", true);
    ok("false < true", true);
    ok("null == null", true);
    ok("1 == 'a'", false);
    ok("'a' != null", true);
    ok("[1, 2] == [1.0, 2]", true);
    ok("[1, [2]] == [1, [2]]", true);
    ok("[1] == [1, 2]", false);
    ok("{'a': 1} == {'a': 1.0}", true);
    ok("{'a': 1} == {'b': 1}", false);
    ok("input.labels == {'env': 'prod', 'team': 'ml'}", true);
    ok("0.0 / 0.0 == 0.0 / 0.0", false);
    let e = fails("input.scope_count > '10'", EvalErrorKind::TypeMismatch);
    assert_eq!(
        e.message,
        "cannot compare an `int` with a `string` using `>`"
    );
    assert_eq!(e.span, 0..24);
    fails("[1] < [2]", EvalErrorKind::TypeMismatch);
    fails("null < null", EvalErrorKind::TypeMismatch);
    fails("0.0 / 0.0 < 1.0", EvalErrorKind::TypeMismatch);
}

#[test]
fn membership() {
    ok("'a' in input.tags", true);
    ok("'z' in input.tags", false);
    ok("2.0 in input.nums", true);
    ok("'team' in input.labels", true);
    ok("'ml' in input.labels", false);
    ok("1 in input.labels", false);
    fails("'a' in 'abc'", EvalErrorKind::TypeMismatch);
    fails("null in input.labels", EvalErrorKind::TypeMismatch);
}

#[test]
fn arithmetic() {
    ok("7 / 2", 3i64);
    ok("-7 / 2", -3i64);
    ok("-7 % 3", -1i64);
    ok("7.0 / 2.0", 3.5);
    ok("1.0 / 0.0", f64::INFINITY);
    ok("'ab' + 'cd'", "abcd");
    ok(
        "[1] + [2, 3]",
        list(vec![1i64.into(), 2i64.into(), 3i64.into()]),
    );
    ok("input.scope_count * 2 - 4", 20i64);
    fails("1 / 0", EvalErrorKind::DivisionByZero);
    fails("1 % 0", EvalErrorKind::DivisionByZero);
    fails("9223372036854775807 + 1", EvalErrorKind::Overflow);
    fails("-9223372036854775808 - 1", EvalErrorKind::Overflow);
    fails("-9223372036854775808 / -1", EvalErrorKind::Overflow);
    fails("-9223372036854775808 % -1", EvalErrorKind::Overflow);
    fails("4611686018427387904 * 2", EvalErrorKind::Overflow);
    fails("-(-9223372036854775808)", EvalErrorKind::Overflow);
    let e = fails("1 + 1.0", EvalErrorKind::TypeMismatch);
    assert_eq!(
        e.message,
        "no `+` for an `int` and a `double`: convert one side with `double()` or `int()`"
    );
    assert_eq!(e.span, 0..7);
    fails("1.5 % 1.0", EvalErrorKind::TypeMismatch);
    fails("'a' - 'a'", EvalErrorKind::TypeMismatch);
    fails("[1] + {'a': 1}", EvalErrorKind::TypeMismatch);
    fails("-'a'", EvalErrorKind::TypeMismatch);
}

#[test]
fn functions() {
    ok("size('héllo')", 5i64);
    ok("'héllo'.size()", 5i64);
    ok("size(input.tags)", 3i64);
    ok("input.labels.size()", 2i64);
    fails("size(1)", EvalErrorKind::TypeMismatch);
    ok("input.mode.startsWith('li')", true);
    ok("input.mode.endsWith('ve')", true);
    ok("input.mode.contains('iv')", true);
    ok("input.mode.contains('')", true);
    fails("input.mode.contains(1)", EvalErrorKind::TypeMismatch);
    ok("input.mode.matches('^l.*e$')", true);
    ok("matches(input.mode, 'x')", false);
    ok("input.mode.matches(input.labels.team + '|live')", true);
    fails(
        "input.mode.matches(input.labels.team + '(')",
        EvalErrorKind::InvalidRegex,
    );
    let e = bad("input.mode.matches('(')");
    assert_eq!(e.message, "invalid regular expression `(`");
    assert_eq!(e.span, 19..22);
    ok("int('42')", 42i64);
    ok("int(-3.9)", -3i64);
    ok("int(7)", 7i64);
    fails("int('4x')", EvalErrorKind::TypeMismatch);
    fails("int(1e19)", EvalErrorKind::Overflow);
    fails("int(true)", EvalErrorKind::TypeMismatch);
    ok("double(2)", 2.0);
    ok("double('2.5')", 2.5);
    ok("double(2.5)", 2.5);
    fails("double('x')", EvalErrorKind::TypeMismatch);
    ok("string(1)", "1");
    ok("string(1.5)", "1.5");
    ok("string(true)", "true");
    ok("string('s')", "s");
    fails("string(null)", EvalErrorKind::TypeMismatch);
}

#[test]
fn extensions() {
    ok(
        "'a,b,,c'.split(',')",
        list(vec!["a".into(), "b".into(), "".into(), "c".into()]),
    );
    ok(
        "'a,b,c'.split(',', 2)",
        list(vec!["a".into(), "b,c".into()]),
    );
    ok("'a,b,c'.split(',', 0)", list(vec![]));
    ok(
        "'a,b,c'.split(',', -1)",
        list(vec!["a".into(), "b".into(), "c".into()]),
    );
    ok(
        "'abc'.split('')",
        list(vec!["a".into(), "b".into(), "c".into()]),
    );
    ok("'abc'.split('', 2)", list(vec!["a".into(), "bc".into()]));
    ok("''.split(',')", list(vec!["".into()]));
    ok("'MiXed'.lowerAscii()", "mixed");
    ok("'MiXed é'.upperAscii()", "MIXED é");
    ok("input.text.trim()", "Hello, World");
    ok("'deploy-prod'.glob('deploy-*')", true);
    ok("'deploy-prod'.glob('deploy-????')", true);
    ok("'deploy-prod'.glob('deploy-???')", false);
    ok("'a/b/c'.glob('a/**')", true);
    ok("'a/b/c'.glob('*c')", true);
    ok("'abc'.glob('a*b')", false);
    ok("''.glob('*')", true);
    ok("'x'.glob('')", false);
    ok("math.greatest([1, 5, 3])", 5i64);
    ok("math.greatest(1, 2.5)", 2.5);
    ok("math.least(input.mixed)", -3i64);
    ok("math.greatest(7)", 7i64);
    assert_eq!(
        bad("math.greatest([])").message,
        "`math.greatest` needs a number or a non-empty list of numbers"
    );
    assert_eq!(
        bad("math.least(['a'])").message,
        "`math.least` needs a number or a non-empty list of numbers"
    );
    assert_eq!(
        bad("math.least(1, 'a')").message,
        "the arguments of `math.least` must be numbers"
    );
    fails("math.greatest(input.empty)", EvalErrorKind::TypeMismatch);
    fails("math.least(input.tags)", EvalErrorKind::TypeMismatch);
    fails("math.least(input.mode)", EvalErrorKind::TypeMismatch);
    fails("math.greatest(1, 0.0 / 0.0)", EvalErrorKind::TypeMismatch);
    ok("math.sum([1, 2, 3])", 6i64);
    ok("math.sum([1, 2.5])", 3.5);
    ok("math.sum([])", 0i64);
    fails(
        "math.sum([9223372036854775807, 1])",
        EvalErrorKind::Overflow,
    );
    ok("math.mean([1, 2, 3, 4])", 2.5);
    ok("math.variance([1, 2, 3, 4])", 1.25);
    ok("math.variance([2.0])", 0.0);
    fails("math.mean([])", EvalErrorKind::TypeMismatch);
    fails("math.variance([])", EvalErrorKind::TypeMismatch);
    fails("math.sum(['a'])", EvalErrorKind::TypeMismatch);
}

#[test]
fn macros() {
    ok("input.nums.all(n, n > 0)", true);
    ok("input.nums.all(n, n > 1)", false);
    ok("input.nums.exists(n, n == 2)", true);
    ok("input.nums.exists_one(n, n > 2)", true);
    ok("input.nums.existsOne(n, n > 1)", false);
    ok(
        "input.nums.map(n, n * 2)",
        list(vec![6i64.into(), 2i64.into(), 4i64.into()]),
    );
    ok(
        "input.nums.map(n, n > 1, n * 10)",
        list(vec![30i64.into(), 20i64.into()]),
    );
    ok(
        "input.nums.filter(n, n != 1)",
        list(vec![3i64.into(), 2i64.into()]),
    );
    ok(
        "input.labels.map(k, k)",
        list(vec!["env".into(), "team".into()]),
    );
    ok("input.labels.all(k, input.labels[k].size() > 1)", true);
    ok("[].all(x, x)", true);
    ok("[].exists(x, x)", false);
    // Nested loops and shadowing.
    ok(
        "[[1, 2], [3]].map(x, x.map(y, y + 1))",
        list(vec![
            list(vec![2i64.into(), 3i64.into()]),
            list(vec![4i64.into()]),
        ]),
    );
    ok("[1, 2].exists(x, [2, 3].exists(y, x == y))", true);
    ok(
        "[1].map(x, [x].map(x, x + 1))",
        list(vec![list(vec![2i64.into()])]),
    );
    ok(
        "[1, 2].map(input, input)",
        list(vec![1i64.into(), 2i64.into()]),
    );
    // Error absorption.
    ok("[1, 'a', 3].exists(x, x == 3 && x > 2)", true);
    ok("[0, 1].exists(x, 1 / x == 1)", true);
    ok("[0, 1].all(x, 1 / x > 5)", false);
    fails("[0, 1].all(x, 1 / x == 1)", EvalErrorKind::DivisionByZero);
    fails(
        "[0, 1].exists(x, 1 / x == 2)",
        EvalErrorKind::DivisionByZero,
    );
    fails(
        "[0, 1].exists_one(x, 1 / x == 1)",
        EvalErrorKind::DivisionByZero,
    );
    fails("[1, 2].all(x, x)", EvalErrorKind::TypeMismatch);
    fails("[1, 2].filter(x, x)", EvalErrorKind::TypeMismatch);
    fails("1.all(x, x)", EvalErrorKind::TypeMismatch);
    assert_eq!(
        bad("[1].all(1, true)").message,
        "the first argument of `all` must be a variable name"
    );
    assert_eq!(bad("[1].all(x)").message, "`all` takes 2 arguments, got 1");
    assert_eq!(bad("[1].map(x, y)").message, "unknown variable `y`");
}

#[test]
fn name_checking() {
    let e = bad("inptu.mode == 'x'");
    assert_eq!(e.message, "unknown variable `inptu`");
    assert_eq!(e.span, 0..5);
    assert_eq!(e.help.as_deref(), Some("did you mean `input`?"));
    let e = bad("zzz");
    assert_eq!(
        e.help.as_deref(),
        Some("the variables in scope are `input`, `params`")
    );
    let e = bad("params.treshold > 1");
    assert_eq!(e.message, "unknown field `treshold` on `params`");
    assert_eq!(e.span, 7..15);
    assert_eq!(e.help.as_deref(), Some("did you mean `threshold`?"));
    let e = bad("params.qqq");
    assert_eq!(
        e.help.as_deref(),
        Some("the fields of `params` are `threshold`, `mode`, `names`")
    );
    let e = bad("input.mode.startWith('x')");
    assert_eq!(e.message, "unknown method `startWith`");
    assert_eq!(e.help.as_deref(), Some("did you mean `startsWith`?"));
    assert_eq!(e.span, 11..20);
    let e = bad("sise(input.tags)");
    assert_eq!(e.message, "unknown function `sise`");
    assert_eq!(e.help.as_deref(), Some("did you mean `size`?"));
    assert_eq!(
        bad("startsWith('a', 'b')").help.as_deref(),
        Some("`startsWith` is a method: write `x.startsWith(...)`")
    );
    assert_eq!(
        bad("'1'.int()").help.as_deref(),
        Some("`int` is a function: write `int(x)`")
    );
    assert_eq!(
        bad("math.sums([1])").help.as_deref(),
        Some("did you mean `math.sum`?")
    );
    assert_eq!(
        bad("'a'.startsWith()").message,
        "`startsWith` takes 1 argument, got 0"
    );
    assert_eq!(bad("size(1, 2)").message, "`size` takes 1 argument, got 2");
    assert_eq!(bad("math").message, "unknown variable `math`");
    assert_eq!(bad("if").message, "`if` is a reserved word, not a variable");
    // Fields may spell keywords and reserved words.
    ok("{'in': 1}.in", 1i64);
    assert!(compile_src("input.namespace == 'x'").is_ok());
}

#[test]
fn field_paths_and_reads() {
    let p = compile_src("input.args.mode").unwrap();
    assert_eq!(
        p.as_field_path(),
        Some((0, vec!["args".into(), "mode".into()]))
    );
    let p = compile_src("input['args'].mode").unwrap();
    assert_eq!(
        p.as_field_path(),
        Some((0, vec!["args".into(), "mode".into()]))
    );
    assert_eq!(
        compile_src("params").unwrap().as_field_path(),
        Some((1, vec![]))
    );
    assert_eq!(compile_src("input.a == 1").unwrap().as_field_path(), None);
    assert_eq!(compile_src("input.a[0]").unwrap().as_field_path(), None);
    // A long chain is one path; only its first field is checked against declared fields.
    assert_eq!(
        compile_src("input.a.b.c.d").unwrap().as_field_path(),
        Some((0, vec!["a".into(), "b".into(), "c".into(), "d".into()]))
    );
    assert_eq!(
        compile_src("params.names.x.y").unwrap().as_field_path(),
        Some((1, vec!["names".into(), "x".into(), "y".into()]))
    );
    let e = compile_src("params.nmes.x.y").unwrap_err();
    assert_eq!(e.message, "unknown field `nmes` on `params`");
    assert_eq!(e.span, 7..11);
    assert_eq!(
        compile_src("inptu.a.b").unwrap_err().message,
        "unknown variable `inptu`"
    );
    let missing = run("input.spec.metrics.recall.x").unwrap_err();
    assert_eq!(
        missing.missing_path.as_deref(),
        Some("input.spec.metrics.recall")
    );
    ok("input.spec.metrics.accuracy", 0.78);
    ok("{'a': {'b': {'c': 1}}}.a.b.c", 1i64);
    ok("[{'a': {'b': 2}}].all(x, x.a.b == 2)", true);
    ok("input['spec'].metrics.accuracy", 0.78);
    let p = compile_src(
        "input.mode == 'live' && input.items[input.i].name == params.mode && has(input.spec.x) \
         && input.mode != '' && input.tags.exists(t, t == params.threshold)",
    )
    .unwrap();
    let reads: Vec<(usize, Vec<String>)> = p
        .reads()
        .into_iter()
        .map(|(r, f)| (r, f.iter().map(|s| s.to_string()).collect()))
        .collect();
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        reads,
        vec![
            (0, s(&["mode"])),
            (0, s(&["items"])),
            (0, s(&["i"])),
            (1, s(&["mode"])),
            (0, s(&["spec", "x"])),
            (0, s(&["tags"])),
            (1, s(&["threshold"])),
        ]
    );
    assert_eq!(p.source().len(), 152);
}

#[test]
fn eval_bool_and_the_benchmark_rule() {
    let p = compile_src("input.mode == \"live\" && input.scope_count > 10").unwrap();
    let (i, q) = (input(), params());
    assert_eq!(p.eval_bool(&[&i, &q]), Ok(true));
    assert_eq!(p.eval(&[&i, &q]), Ok(Value::Bool(true)));
    let other = Value::map([
        ("mode", Value::from("dry")),
        ("scope_count", Value::Int(11)),
    ]);
    assert_eq!(p.eval_bool(&[&other, &q]), Ok(false));
    let e = compile_src("input.scope_count")
        .unwrap()
        .eval_bool(&[&i, &q])
        .unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::TypeMismatch);
    // Too few roots is an error, not a panic.
    let e = compile_src("params.mode").unwrap().eval(&[&i]).unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::Missing);
    assert_eq!(e.missing_path.as_deref(), Some("params"));
}

#[test]
fn constants_are_folded() {
    let p = compile_src("[1, 2 + 3, 'a' + 'b'].size() * 2").unwrap();
    assert!(matches!(
        p.inner.expr.kind,
        eval::Kind::Const(Value::Int(6))
    ));
    let p = compile_src("input.x && false").unwrap();
    assert!(matches!(
        p.inner.expr.kind,
        eval::Kind::Const(Value::Bool(false))
    ));
    // A failing constant is kept for evaluation.
    let p = compile_src("1 / 0").unwrap();
    assert_eq!(p.eval(&[]).unwrap_err().kind, EvalErrorKind::DivisionByZero);
}

#[test]
fn limits_are_enforced() {
    let limits = Limits {
        max_source_len: 10,
        ..Limits::default()
    };
    let e = compile("1 + 2 + 3 + 4", &scope(), &limits).unwrap_err();
    assert!(
        e.message.starts_with("expression is too long"),
        "{}",
        e.message
    );
    let limits = Limits {
        max_nodes: 5,
        ..Limits::default()
    };
    let e = compile("1 + 2 + 3 + 4", &scope(), &limits).unwrap_err();
    assert_eq!(e.message, "expression is too large (more than 5 nodes)");
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert!(compile("1 + 2", &scope(), &limits).is_ok());
    let e = compile("1 + 2 + 3 + 4", &scope(), &limits).unwrap_err();
    assert_eq!(
        e.message,
        "expression is nested too deeply (more than 3 levels)"
    );
    assert!(compile("((((1))))", &scope(), &limits).is_err());
    let limits = Limits {
        max_steps: 10,
        ..Limits::default()
    };
    let p = compile("[1,2,3,4].map(x, [1,2,3].map(y, y))", &scope(), &limits).unwrap();
    assert_eq!(p.eval(&[]).unwrap_err().kind, EvalErrorKind::LimitExceeded);
    let p = compile("[1,2,3].map(x, [1,2].map(y, y))", &scope(), &limits).unwrap();
    assert!(p.eval(&[]).is_ok());
    // Running out of steps is not absorbed by `||`.
    let p = compile(
        "[1,2,3,4,5,6,7,8,9,10,11].all(x, true) || input.flag",
        &scope(),
        &limits,
    )
    .unwrap();
    let i = input();
    assert_eq!(
        p.eval(&[&i]).unwrap_err().kind,
        EvalErrorKind::LimitExceeded
    );
}

#[test]
fn hostile_inputs_get_errors_not_crashes() {
    let big = Limits {
        max_source_len: 1 << 22,
        max_depth: 100_000,
        max_nodes: 1 << 22,
        max_steps: 1_000_000,
    };
    for src in [
        "(".repeat(100_000),
        format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        "[".repeat(100_000),
        "{'a':".repeat(50_000),
        "!".repeat(100_000) + "true",
        "-".repeat(100_000) + "1",
        "- ".repeat(100_000) + "x",
        format!("input{}", ".a".repeat(100_000)),
        format!("input{}", "[0]".repeat(100_000)),
        format!("1{}", " + 1".repeat(100_000)),
        format!("true{}", " ? 1 : true".repeat(50_000)),
        format!("x{}", ".map(y, y)".repeat(50_000)),
        "size(".repeat(100_000),
    ] {
        let e = compile(&src, &scope(), &big).unwrap_err();
        assert!(
            e.message.contains("nested too deeply") || e.message.contains("unexpected"),
            "{}: {}",
            &src[..20],
            e.message
        );
    }
    // Exponential work is cut off by the step budget.
    let limits = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    let p = compile(
        "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, \
         [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, e)))))",
        &scope(),
        &limits,
    )
    .unwrap();
    assert_eq!(p.eval(&[]).unwrap_err().kind, EvalErrorKind::LimitExceeded);
    // Garbage bytes.
    for src in [
        "\u{0}",
        "'\u{0}'",
        "\u{feff}1",
        "💥",
        "1 +",
        "r",
        "'\\",
        "\"\\u{110000}\"",
        "\\",
    ] {
        let _ = compile(src, &scope(), &Limits::default());
    }
    // Patterns that would compile to something huge are refused.
    let p = compile(
        "'a'.matches(input.mode + '{1000}{1000}')",
        &scope(),
        &Limits::default(),
    )
    .unwrap();
    let i = input();
    assert_eq!(p.eval(&[&i]).unwrap_err().kind, EvalErrorKind::InvalidRegex);
}

#[test]
fn programs_are_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Program>();
}

#[test]
fn the_deepest_accepted_expressions_run_on_a_small_stack() {
    // Every shape nested to the ceiling must compile and evaluate on a 2 MiB thread (the
    // default for spawned threads and test threads), even in an unoptimised build.
    let n = MAX_DEPTH_CEILING - 4;
    let shapes = [
        format!("{}input.scope_count{}", "(1 + ".repeat(n), ")".repeat(n)),
        format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        format!("{}true", "!".repeat(n)),
        format!("{}1{}", "(true ? ".repeat(n), " : 0)".repeat(n)),
        format!("{}1{}", "size(string(".repeat(n / 2), "))".repeat(n / 2)),
        format!("{}1{}", "[1].map(x, ".repeat(n / 2), ")".repeat(n / 2)),
        format!(
            "{}true{}",
            "[1].exists(x, ".repeat(n / 2),
            ")".repeat(n / 2)
        ),
        format!("{}1{}", "{'a': ".repeat(n), "}".repeat(n)),
        format!("input.tags{}", "[0]".repeat(n)),
        format!("{}input.flag{}", "(input.flag && ".repeat(n), ")".repeat(n)),
        format!("{}input.flag{}", "(false || ".repeat(n), ")".repeat(n)),
        format!("{}1.5{}", "-(".repeat(n), ")".repeat(n)),
    ];
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let (i, p) = (input(), params());
            for src in &shapes {
                let program = compile(src, &scope(), &limits)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", &src[..30.min(src.len())]));
                let _ = program.eval(&[&i, &p]);
                let _ = program.eval_bool(&[&i, &p]);
            }
            // One level more than the ceiling is refused.
            let over = format!(
                "{}1{}",
                "(".repeat(MAX_DEPTH_CEILING),
                ")".repeat(MAX_DEPTH_CEILING)
            );
            assert!(compile(&over, &scope(), &limits).is_err());
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn patterns_built_at_evaluation_time_are_reused_and_still_checked() {
    let scope = Scope {
        roots: vec![RootDecl {
            name: "input".into(),
            fields: None,
        }],
    };
    let p = compile("input.s.matches(input.re)", &scope, &Limits::default()).unwrap();
    let input = |s: &str, re: &str| Value::map([("s", Value::from(s)), ("re", Value::from(re))]);
    for _ in 0..3 {
        assert_eq!(
            p.eval_bool(&[&input("auth/login.py", "(^|/)auth/")]),
            Ok(true)
        );
        assert_eq!(p.eval_bool(&[&input("docs/x.md", "(^|/)auth/")]), Ok(false));
        let err = p.eval_bool(&[&input("x", "(unclosed")]).unwrap_err();
        assert_eq!(err.kind, EvalErrorKind::InvalidRegex);
    }
    // More distinct patterns than the cache holds still all match correctly.
    for i in 0..40 {
        let re = format!("^a{{{i}}}$");
        let s = "a".repeat(i);
        assert_eq!(p.eval_bool(&[&input(&s, &re)]), Ok(true), "{re}");
    }
}

/// A session reuses its buffers and shares strings across expressions; each program must still
/// be what compiling it alone gives, errors included, whatever came before it.
#[test]
fn a_session_compiles_as_single_compiles_do() {
    let sources = [
        r#"input.mode == "live" && input.scope_count > 10"#,
        "input.spec.metrics.accuracy >= 0.75",
        "input.nums.map(n, n * 2).size() == 3",
        "input.mode ==",
        r#"input["mode"] == 'live' && "a\tb".size() == 3"#,
        "params.treshold > 1",
        r#"{"a": [1, 2], "b": input.labels.team}.b == "ml""#,
        "input.tags.exists(t, t == \"b\") ? params.threshold : -1",
        "(",
        r#"input.mode == "live" && input.scope_count > 10"#,
    ];
    let scope = scope();
    let limits = Limits::default();
    let input = input();
    let params = params();
    let mut session = Session::new(16);
    for src in sources {
        let alone = compile(src, &scope, &limits);
        let shared = session.compile(src, &scope, &limits);
        match (alone, shared) {
            (Ok(a), Ok(s)) => {
                assert_eq!(s.source(), src);
                assert_eq!(
                    s.eval(&[&input, &params]),
                    a.eval(&[&input, &params]),
                    "{src}"
                );
                assert_eq!(s.reads(), a.reads(), "{src}");
            }
            (Err(a), Err(s)) => assert_eq!(s, a, "{src}"),
            (a, s) => panic!("{src}: alone {a:?}, in a session {s:?}"),
        }
    }
}

#[test]
fn the_interner_keeps_one_copy_of_each_text() {
    let mut strings = Interner::default();
    let texts: Vec<String> = (0..300).map(|i| format!("name{i}")).collect();
    let first: Vec<Str> = texts.iter().map(|t| strings.share(t)).collect();
    for (text, kept) in texts.iter().zip(&first) {
        let again = strings.share(text);
        assert_eq!(&*again, text.as_str());
        assert!(Arc::ptr_eq(&again, kept), "{text}");
    }
    let empty = strings.share("");
    assert_eq!(&*empty, "");
    assert!(Arc::ptr_eq(&empty, &strings.share("")));
    // Texts that differ only past the first word, or only in length, stay apart.
    let long_a = strings.share("a_long_field_name_a");
    let long_b = strings.share("a_long_field_name_b");
    assert_eq!(
        (&*long_a, &*long_b),
        ("a_long_field_name_a", "a_long_field_name_b")
    );
    assert_eq!(&*strings.share("a\0"), "a\0");
    assert_eq!(&*strings.share("a"), "a");
}

/// The fast path (`fast.rs`) builds exactly the tree the parser and checker build, and leaves
/// every text it does not take, errors and limits included, to them: compared on generated
/// conditions, most of them near the shape it takes.
#[test]
fn the_fast_path_builds_what_the_full_path_builds() {
    const ROOTS: &[&str] = &[
        "input",
        "params",
        "nope",
        ".input",
        "true",
        "in",
        "input ",
        " input",
        "r",
        "_x",
        "\tinput",
        "é",
        "//c\ninput",
        "input\u{a0}",
    ];
    const FIELDS: &[&str] = &[
        "mode",
        "threshold",
        "names",
        "treshold",
        "type",
        "amount",
        "in",
        "null",
        "size()",
        "a",
        "[\"k\"]",
        " mode",
        "if",
        "x1",
        "_",
        "mode ",
        "\nmode",
        "é",
        "mode\"",
        "1x",
    ];
    const OPS: &[&str] = &[
        "==", "!=", "<", "<=", ">", ">=", "in", "+", "=", " == ", "< =", "=>", "!==", "<<", " !",
        "\r\n>=", "/**/==",
    ];
    const LITERALS: &[&str] = &[
        "\"t7\"",
        "359",
        "1",
        "0",
        "-5",
        "359",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "2.5",
        "1e3",
        "'x'",
        "\"a\\tb\"",
        "r\"\\d\"",
        "\"\"",
        "true",
        "false",
        "null",
        "[1]",
        "input.mode",
        "1u",
        "(1)",
        "''",
        "'''x'''",
        "\"\"\"x\"\"\"",
        "\"\"",
        "1e",
        "1e+",
        "1.",
        "1.5e-3",
        "2E8",
        "0x1F",
        "01",
        "1_000",
        "truex",
        "nul",
        ".5",
        "r'x'",
        "b\"x\"",
        "\"é\"",
        "\"a\nb\"",
        "'it''s'",
        "\"x\" // c",
        "1 ",
        "\"unterminated",
        "-1",
    ];
    const JOINERS: &[&str] = &[
        " && ",
        " || ",
        " ? 1 : 2",
        ")",
        "",
        "&&",
        " && (",
        " + 1",
        "&&&",
        " & ",
        " //x\n && ",
        "\n&&\t",
        ".x && ",
    ];
    let mut rng = crate::source::test_rng::Rng(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: usize| rng.below(n);
    let pick = |next: &mut dyn FnMut(usize) -> usize, from: &[&'static str]| {
        // Mostly the first few (the shape the fast path takes), sometimes anything.
        if next(4) == 0 {
            from[next(from.len())]
        } else {
            from[next(from.len().min(2))]
        }
    };
    let scope = scope();
    let limits = [
        Limits::default(),
        Limits {
            max_depth: 4,
            ..Limits::default()
        },
        Limits {
            max_nodes: 6,
            ..Limits::default()
        },
    ];
    let mut fast = Session::new(16);
    let mut full = Session::new(16);
    let mut taken = 0;
    for case in 0..20_000 {
        let mut src = String::new();
        for clause in 0..1 + next(4) {
            if clause > 0 {
                src += pick(&mut next, JOINERS);
            }
            src += pick(&mut next, ROOTS);
            for _ in 0..next(4) {
                src += ".";
                src += pick(&mut next, FIELDS);
            }
            src += pick(&mut next, OPS);
            src += pick(&mut next, LITERALS);
        }
        let limits = &limits[case % limits.len()];
        let lexed = lexer::lex(&src, Vec::new());
        if let Ok(lexed) = &lexed
            && fast::lower(&lexed.tokens, &lexed.strings, &scope, &mut fast, usize::MAX).is_some()
        {
            taken += 1;
        }
        match (
            fast.compile_with(&src, None, &scope, limits, true),
            full.compile_with(&src, None, &scope, limits, false),
        ) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.source(), b.source());
                assert_eq!(
                    format!("{:?}", a.inner.expr),
                    format!("{:?}", b.inner.expr),
                    "{src}"
                );
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "{src}"),
            (a, b) => panic!("{src}: fast {a:?}, full {b:?}"),
        }
    }
    assert!(taken > 2_000, "the fast path took only {taken} texts");
}

/// The `&&` tree of `AllCmp`'s comparisons, as the checker builds it before
/// [`eval::fuse_comparisons`].
fn unfused(e: &eval::Expr) -> eval::Expr {
    let eval::Kind::AllCmp(all) = &e.kind else {
        return e.clone();
    };
    let mut all = all.iter().cloned().map(eval::PathCmp::into_expr);
    let Some(mut tree) = all.next() else {
        return e.clone();
    };
    for leaf in all {
        tree = eval::Expr {
            span: tree.span.to(leaf.span),
            kind: eval::Kind::And(Box::new([tree, leaf])),
        };
    }
    tree
}

#[test]
fn fused_comparisons_decide_as_the_and_tree_they_replace() {
    // Paths present, missing, of every type and through a non-map; constants of every type:
    // so that comparisons are true, false, type errors and missing fields in every order.
    const PATHS: &[&str] = &[
        "input.mode",
        "input.scope_count",
        "input.ratio",
        "input.absent",
        "input.mode.deeper",
        "input.spec.owner",
        "input.labels.env",
        "params.threshold",
    ];
    const OPS: &[&str] = &["==", "!=", "<", "<=", ">", ">="];
    const LITERALS: &[&str] = &["\"live\"", "12", "0.5", "true", "null", "\"prod\"", "3"];
    const VALUES: &[&str] = &[
        "\"live\"",
        "\"paper\"",
        "12",
        "3",
        "0.5",
        "true",
        "null",
        "[1]",
        "{\"x\": 1}",
    ];
    let mut rng = crate::source::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
    let mut next = move |n: usize| rng.below(n);
    let scope = scope();
    let mut session = Session::new(16);
    let (mut fused, mut errors, mut falses) = (0, 0, 0);
    for _ in 0..4_000 {
        let mut src = String::new();
        for clause in 0..2 + next(3) {
            if clause > 0 {
                src += " && ";
            }
            src += PATHS[next(PATHS.len())];
            src += " ";
            src += OPS[next(OPS.len())];
            src += " ";
            src += LITERALS[next(LITERALS.len())];
        }
        let Ok(program) = session.compile(&src, &scope, &Limits::default()) else {
            continue;
        };
        assert!(
            matches!(program.inner.expr.kind, eval::Kind::AllCmp(_)),
            "{src} was not fused"
        );
        fused += 1;
        let tree = Program {
            source: program.source.clone(),
            inner: Arc::new(Inner {
                expr: unfused(&program.inner.expr),
                root_names: program.inner.root_names.clone(),
                max_steps: program.inner.max_steps,
            }),
        };
        for _ in 0..8 {
            let mut fields = Vec::new();
            for key in ["mode", "scope_count", "ratio", "spec", "labels"] {
                if next(5) > 0 {
                    let value = match key {
                        "spec" => format!("{{\"owner\": {}}}", VALUES[next(VALUES.len())]),
                        "labels" => format!("{{\"env\": {}}}", VALUES[next(VALUES.len())]),
                        _ => VALUES[next(VALUES.len())].to_owned(),
                    };
                    fields.push(format!("\"{key}\": {value}"));
                }
            }
            let input: Value =
                serde_json::from_str(&format!("{{{}}}", fields.join(", "))).unwrap_or_default();
            let params: Value = serde_json::from_str(&format!(
                "{{\"threshold\": {}}}",
                VALUES[next(VALUES.len())]
            ))
            .unwrap_or_default();
            let (a, b) = (
                program.eval_bool(&[&input, &params]),
                tree.eval_bool(&[&input, &params]),
            );
            assert_eq!(a, b, "{src} on {input:?}");
            errors += usize::from(a.is_err());
            falses += usize::from(a == Ok(false));
        }
    }
    // Every outcome is exercised often, errors included.
    assert!(fused > 3_000, "only {fused} conditions compiled");
    assert!(
        errors > 2_000 && falses > 2_000,
        "errors {errors}, false {falses}"
    );
}
