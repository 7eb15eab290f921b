"""Safe arithmetic expressions for virtual sensors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensorgate.sensors.expressions import MAX_LENGTH, parse


def value(text: str, **values: float) -> float | None:
    return parse(text).evaluate(values)


def test_dewpoint_at_20_degrees_and_50_percent() -> None:
    result = value("dewpoint(t, rh)", t=20.0, rh=50.0)
    assert result is not None
    assert abs(result - 9.26) <= 0.05


def test_dewpoint_at_saturation_is_the_temperature() -> None:
    result = value("dewpoint(t, 100)", t=12.5)
    assert result is not None
    assert math.isclose(result, 12.5, rel_tol=1e-12)


def test_sum_of_two_meters() -> None:
    expression = parse("meter_a + meter_b", allowed_names={"meter_a", "meter_b"})
    assert expression.evaluate({"meter_a": 120.5, "meter_b": 79.5}) == 200.0
    assert expression.names == frozenset({"meter_a", "meter_b"})
    assert expression.text == "meter_a + meter_b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("-2**2", -4.0),
        ("(-2)**2", 4.0),
        ("2**3**2", 512.0),
        ("2**-1", 0.5),
        ("7 % 3", 1.0),
        ("-7 % 3", 2.0),
        ("7 / 2", 3.5),
        ("+5 - -5", 10.0),
        ("1_000 + 0x10", 1016.0),
        ("abs(-3)", 3.0),
        ("min(4, 2, 3)", 2.0),
        ("max(4, 2)", 4.0),
        ("sqrt(16)", 4.0),
        ("exp(0)", 1.0),
        ("ln(exp(2))", 2.0),
        ("log10(1000)", 3.0),
        ("pow(2, 10)", 1024.0),
        ("round(2.567, 2)", 2.57),
        ("round(2.6)", 3.0),
        ("round(1234, -2)", 1200.0),
        ("clamp(5, 0, 3)", 3.0),
        ("clamp(-5, 0, 3)", 0.0),
        ("clamp(2, 0, 3)", 2.0),
    ],
)
def test_values(text: str, expected: float) -> None:
    assert value(text) == pytest.approx(expected, rel=1e-12)


def test_variables() -> None:
    assert value("(a - b) / c", a=10.0, b=4.0, c=3.0) == 2.0
    assert parse("x*x + y").names == frozenset({"x", "y"})


@pytest.mark.parametrize(
    "text",
    [
        "1 / 0",
        "x / (y - y)",
        "5 % 0",
        "ln(0)",
        "ln(-1)",
        "log10(0)",
        "sqrt(-1)",
        "exp(1000)",
        "1e308 * 10",
        "min(1e308 * 10, 5)",
        "1 / (1e308 * 10)",
        "x ** y",
        "pow(-8, 1/3)",
        "pow(0, -1)",
        "clamp(1, 3, 2)",
        "round(2.5, 0.5)",
        "dewpoint(20, 0)",
        "dewpoint(-243.12, 50)",
    ],
)
def test_math_problems_give_none(text: str) -> None:
    assert value(text, x=10.0, y=1000.0) is None


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_input_gives_none(bad: float) -> None:
    assert value("min(x, 1)", x=bad) is None


def test_missing_input_is_a_caller_error() -> None:
    with pytest.raises(KeyError):
        parse("a + b").evaluate({"a": 1.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("().__class__", "attribute access is not allowed"),
        ("a.b", r"attribute access is not allowed in an expression \(at column 1\)"),
        ("a[0]", "subscript is not allowed"),
        ("a if b else c", "conditional expression is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("a < b", "comparison is not allowed"),
        ("a and b", "'and' / 'or' is not allowed"),
        ("not a", "operator 'not' is not allowed"),
        ("~a", "operator '~' is not allowed"),
        ("a // b", "operator '//' is not allowed"),
        ("a & b", "operator '&' is not allowed"),
        ("'x'", "a string is not allowed"),
        ("b'x'", "bytes is not allowed"),
        ("f'{a}'", "f-string is not allowed"),
        ("True", "a boolean is not allowed"),
        ("None", "None is not allowed"),
        ("2j", "a complex number is not allowed"),
        ("[1]", "list is not allowed"),
        ("(1, 2)", "tuple is not allowed"),
        ("{1: 2}", "dict is not allowed"),
        ("(a := 1)", "assignment expression is not allowed"),
        ("f(x)", "unknown function 'f'.*allowed functions: abs, clamp, dewpoint"),
        ("eval('1')", "unknown function 'eval'"),
        ("sqrt", "function 'sqrt' must be called"),
        ("(a)(1)", "unknown function 'a'"),
        ("abs(a)(1)", "calling anything but a function by its name"),
        ("min(a=1, b=2)", r"a keyword argument is not allowed in an expression \(at column 5\)"),
        ("max(*a)", "a starred argument is not allowed"),
        ("min(1)", r"min\(\) takes 2 or more arguments, not 1"),
        ("sqrt(1, 2)", r"sqrt\(\) takes 1 arguments, not 2"),
        ("round(1, 2, 3)", r"round\(\) takes 1 to 2 arguments"),
        ("clamp(1, 2)", r"clamp\(\) takes 3 arguments"),
        ("_x + 1", "names may not start with an underscore"),
        ("Temp", "variable name 'Temp' is not allowed"),
        ("a" * 33, "variable name 'a+' is not allowed"),
        ("x**1000", r"exponent must be between -64 and 64 \(at column 4\)"),
        ("x**-65", "exponent must be between"),
        ("x**(60 + 5)", "exponent must be between"),
        ("pow(x, 100)", "exponent must be between"),
        ("9" * 400, "number too large"),
        ("1e999", "number too large"),
        ("a +", "invalid expression"),
        ("a = 1", "invalid expression"),
        ("", "expression is empty"),
        ("   ", "expression is empty"),
        ("ｘ + 1", "ASCII"),
        ("a\x00", "invalid expression"),
    ],
)
def test_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(text)


def test_position_counts_leading_spaces() -> None:
    with pytest.raises(ValueError, match=r"\(at column 7\)"):
        parse("  1 + a.b")


def test_position_on_a_later_line() -> None:
    with pytest.raises(ValueError, match=r"\(at line 2, column 3\)"):
        parse("(1 +\n  a.b)")


def test_too_long() -> None:
    parse("1" + " " * (MAX_LENGTH - 1))
    with pytest.raises(ValueError, match="the limit is 500"):
        parse("1" + " " * MAX_LENGTH)


def test_too_many_nodes() -> None:
    parse("min(" + ", ".join(["x"] * 98) + ")")  # the call, its name and 98 arguments
    with pytest.raises(ValueError, match="has 101 parts; the limit is 100"):
        parse("min(" + ", ".join(["x"] * 99) + ")")


def test_a_long_chain_counts_as_deep() -> None:
    # Python nests a + b + c to the left, so a chain of 21 terms is 21 levels deep.
    parse(" + ".join(["1"] * 20))
    with pytest.raises(ValueError, match="nested more than 20 deep"):
        parse(" + ".join(["1"] * 21))


def test_too_deep() -> None:
    parse("abs(" * 19 + "x" + ")" * 19)  # 20 levels with the name
    with pytest.raises(ValueError, match="nested more than 20 deep"):
        parse("abs(" * 20 + "x" + ")" * 20)
    with pytest.raises(ValueError, match="nested more than 20 deep"):
        parse("-" * 30 + "x")


def test_too_many_names() -> None:
    parse(" + ".join(f"v{i}" for i in range(10)))
    with pytest.raises(ValueError, match="more than 10 different variables"):
        parse(" + ".join(f"v{i}" for i in range(11)))


def test_unknown_variable_lists_the_allowed_names() -> None:
    with pytest.raises(ValueError, match=r"unknown variable 'c' \(at column 5\); allowed names: a, b"):
        parse("a + c", allowed_names={"b", "a"})


def test_constant_parts_are_worked_out_once() -> None:
    assert parse("2 * 3 + x").evaluate({"x": 1.0}) == 7.0
    assert parse("x + 1/0").evaluate({"x": 1.0}) is None


@st.composite
def arithmetic(draw: st.DrawFn, levels: int = 3) -> str:
    """Integer arithmetic small enough (at most 8 leaves up to 50) that floats hold every value exactly."""
    if levels == 0 or draw(st.booleans()):
        text = str(draw(st.integers(0, 50)))
    else:
        left, right = draw(arithmetic(levels - 1)), draw(arithmetic(levels - 1))
        text = f"{left}{draw(st.sampled_from(['+', ' - ', '*', ' * ']))}{right}"
        if draw(st.booleans()):
            text = f"({text})"
    if draw(st.integers(0, 3)) == 0:
        text = f"-{text}"
    return text


@given(arithmetic())
def test_matches_python_arithmetic(text: str) -> None:
    # eval is the oracle here, and only ever sees strings this test generated.
    expected = eval(text, {"__builtins__": {}})  # noqa: S307
    assert parse(text).evaluate({}) == float(expected)


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(a=finite, b=finite)
def test_evaluation_never_raises(a: float, b: float) -> None:
    expression = parse("ln(a) / sqrt(b) + exp(a * b) + a % b + pow(a, b) + round(a, b) + dewpoint(a, b) + a ** b")
    result = expression.evaluate({"a": a, "b": b})
    assert result is None or math.isfinite(result)
