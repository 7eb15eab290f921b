"""Safe arithmetic expressions for virtual sensors, such as `dewpoint(t, rh)` or `a + b`.

The text is parsed with Python's own parser, then every node is checked against a short allow list and turned
into a tree of closures. Nothing the user wrote is ever handed to eval, exec or compile, and the limits below
keep both parsing and evaluation cheap, whatever the input.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence

Values = Mapping[str, float]
Fn = Callable[[Values], float]

MAX_LENGTH = 500
MAX_NODES = 100
MAX_DEPTH = 20
MAX_NAMES = 10
MAX_EXPONENT = 64
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

# Magnus formula constants over water (Sonntag 1990), good to about 0.35 °C from -45 °C to 60 °C.
_MAGNUS_B = 17.62
_MAGNUS_C = 243.12


class Expression:
    """A validated expression. Build it with parse()."""

    __slots__ = ("_fn", "_names", "_text")

    def __init__(self, text: str, names: frozenset[str], fn: Fn) -> None:
        self._text = text
        self._names = names
        self._fn = fn

    @property
    def text(self) -> str:
        return self._text

    @property
    def names(self) -> frozenset[str]:
        return self._names

    def evaluate(self, values: Values) -> float | None:
        """The value for these inputs, or None when it is not a finite number.

        Division by zero, a logarithm or square root out of its domain, an overflow and a non-finite input
        all give None. A missing input is the caller's mistake and raises KeyError.
        """
        try:
            for name in self._names:
                if not math.isfinite(values[name]):
                    return None
            result = self._fn(values)
        except (ArithmeticError, ValueError):
            return None
        return result if math.isfinite(result) else None

    def __repr__(self) -> str:
        return f"Expression({self._text!r})"


def parse(text: str, allowed_names: set[str] | frozenset[str] | None = None) -> Expression:
    """Check `text` and compile it. Raises ValueError saying what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ValueError("expression is empty")
    # ASCII only: Python folds some Unicode letters into ASCII names, and column numbers count bytes.
    if not text.isascii():
        raise ValueError("expression may only contain ASCII characters")
    # Python reads leading spaces as an indent, so they are cut here and added back to reported columns.
    indent = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset + indent}" if exc.lineno == 1 and exc.offset else ""
        raise ValueError(f"invalid expression{where}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ValueError("invalid expression") from None
    nodes = sum(1 for node in ast.walk(tree.body) if isinstance(node, ast.expr))
    if nodes > MAX_NODES:
        raise ValueError(f"expression has {nodes} parts; the limit is {MAX_NODES}")
    builder = _Builder(allowed_names, indent)
    fn, _ = builder.build(tree.body, 1)
    return Expression(text, frozenset(builder.names), fn)


_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Slice: "slice",
    ast.Compare: "comparison",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "conditional expression",
    ast.Lambda: "lambda",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.Starred: "starred argument",
    ast.NamedExpr: "assignment expression",
    ast.Tuple: "tuple",
    ast.List: "list",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_REJECTED_OPERATORS: dict[type[ast.AST], str] = {
    ast.FloorDiv: "operator '//'",
    ast.MatMult: "operator '@'",
    ast.LShift: "operator '<<'",
    ast.RShift: "operator '>>'",
    ast.BitOr: "operator '|'",
    ast.BitXor: "operator '^'",
    ast.BitAnd: "operator '&'",
    ast.Invert: "operator '~'",
    ast.Not: "operator 'not'",
}


def _const(value: float) -> Fn:
    return lambda values: value


def _var(name: str) -> Fn:
    return lambda values: values[name]


def _neg(a: Fn) -> Fn:
    return lambda values: -a(values)


def _checked(op: Callable[[float, float], float]) -> Callable[[Fn, Fn], Fn]:
    def make(a: Fn, b: Fn) -> Fn:
        def fn(values: Values) -> float:
            result = op(a(values), b(values))
            # inf - inf is nan: float overflow is silent, and a later min() or 1/x would hide it.
            if result - result != 0.0:
                raise OverflowError
            return result

        return fn

    return make


_BINARY: dict[type[ast.operator], Callable[[Fn, Fn], Fn]] = {
    ast.Add: _checked(operator.add),
    ast.Sub: _checked(operator.sub),
    ast.Mult: _checked(operator.mul),
    ast.Div: _checked(operator.truediv),
    ast.Mod: _checked(operator.mod),
    # math.pow, not **: it raises on overflow, and on a negative base with a fractional power, where ** gives a complex.
    ast.Pow: _checked(math.pow),
}


def _apply1(f: Callable[[float], float]) -> Callable[[Sequence[Fn]], Fn]:
    def make(args: Sequence[Fn]) -> Fn:
        (a,) = args
        return lambda values: f(a(values))

    return make


def _apply2(f: Callable[[float, float], float]) -> Callable[[Sequence[Fn]], Fn]:
    def make(args: Sequence[Fn]) -> Fn:
        a, b = args
        return lambda values: f(a(values), b(values))

    return make


def _extreme(f: Callable[[Sequence[float]], float]) -> Callable[[Sequence[Fn]], Fn]:
    def make(args: Sequence[Fn]) -> Fn:
        parts = tuple(args)
        return lambda values: f([part(values) for part in parts])

    return make


def _round(x: float, digits: float = 0.0) -> float:
    if digits != int(digits):
        raise ValueError("round() takes a whole number of digits")
    return float(round(x, int(digits)))


def _round_call(args: Sequence[Fn]) -> Fn:
    if len(args) == 1:
        (a,) = args
        return lambda values: float(round(a(values)))
    return _apply2(_round)(args)


def _clamp(args: Sequence[Fn]) -> Fn:
    x, lo, hi = args

    def fn(values: Values) -> float:
        low, high = lo(values), hi(values)
        if low > high:
            raise ValueError("clamp() needs lo <= hi")
        return min(max(x(values), low), high)

    return fn


def _dewpoint(t_celsius: float, rh_percent: float) -> float:
    """Dew point in °C by the Magnus formula."""
    gamma = math.log(rh_percent / 100.0) + _MAGNUS_B * t_celsius / (_MAGNUS_C + t_celsius)
    result = _MAGNUS_C * gamma / (_MAGNUS_B - gamma)
    if not math.isfinite(result):
        raise OverflowError
    return result


# name -> (fewest arguments, most arguments or None for no limit, builder)
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[Sequence[Fn]], Fn]]] = {
    "abs": (1, 1, _apply1(abs)),
    "min": (2, None, _extreme(min)),
    "max": (2, None, _extreme(max)),
    "sqrt": (1, 1, _apply1(math.sqrt)),
    "exp": (1, 1, _apply1(math.exp)),
    "ln": (1, 1, _apply1(math.log)),
    "log10": (1, 1, _apply1(math.log10)),
    "pow": (2, 2, _apply2(math.pow)),
    "round": (1, 2, _round_call),
    "clamp": (3, 3, _clamp),
    "dewpoint": (2, 2, _apply2(_dewpoint)),
}


class _Builder:
    """Checks one parsed tree and builds its closures; build() says whether a subtree is constant."""

    def __init__(self, allowed_names: set[str] | frozenset[str] | None, indent: int) -> None:
        self.allowed = allowed_names
        self.indent = indent
        self.names: set[str] = set()

    def where(self, node: ast.expr | ast.keyword) -> str:
        if node.lineno > 1:
            return f"at line {node.lineno}, column {node.col_offset + 1}"
        return f"at column {node.col_offset + 1 + self.indent}"

    def reject(self, node: ast.expr | ast.keyword, what: str) -> ValueError:
        return ValueError(f"{what} is not allowed in an expression ({self.where(node)})")

    def build(self, node: ast.expr, depth: int) -> tuple[Fn, bool]:
        if depth > MAX_DEPTH:
            raise ValueError(f"expression is nested more than {MAX_DEPTH} deep ({self.where(node)})")
        if isinstance(node, ast.Constant):
            return _const(self.number(node)), True
        if isinstance(node, ast.Name):
            return _var(self.variable(node)), False
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.reject(node, _CONSTRUCTS.get(type(node), f"{type(node).__name__} expression"))

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if type(value) is bool:
            raise self.reject(node, "a boolean")
        if not isinstance(value, int | float):
            kind = {str: "a string", bytes: "bytes", complex: "a complex number"}.get(type(value), repr(value))
            raise self.reject(node, kind)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"number too large ({self.where(node)})")
        return number

    def variable(self, node: ast.Name) -> str:
        name = node.id
        if name.startswith("_"):
            raise self.reject(node, f"name {name!r} (names may not start with an underscore)")
        if name in _FUNCTIONS:
            raise ValueError(f"function {name!r} must be called, as in {name}(...) ({self.where(node)})")
        if not _NAME.fullmatch(name):
            raise ValueError(
                f"variable name {name!r} is not allowed ({self.where(node)}); use a lower-case letter, "
                "then up to 31 lower-case letters, digits and underscores"
            )
        if self.allowed is not None and name not in self.allowed:
            known = ", ".join(sorted(self.allowed)) or "none"
            raise ValueError(f"unknown variable {name!r} ({self.where(node)}); allowed names: {known}")
        self.names.add(name)
        if len(self.names) > MAX_NAMES:
            raise ValueError(f"expression uses more than {MAX_NAMES} different variables")
        return name

    def unary(self, node: ast.UnaryOp, depth: int) -> tuple[Fn, bool]:
        if not isinstance(node.op, ast.UAdd | ast.USub):
            raise self.reject(node, _REJECTED_OPERATORS.get(type(node.op), "this operator"))
        operand, constant = self.build(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return operand, constant
        return self.folded(_neg(operand), constant)

    def binary(self, node: ast.BinOp, depth: int) -> tuple[Fn, bool]:
        make = _BINARY.get(type(node.op))
        if make is None:
            raise self.reject(node, _REJECTED_OPERATORS.get(type(node.op), "this operator"))
        left, left_constant = self.build(node.left, depth + 1)
        right, right_constant = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and right_constant:
            self.check_exponent(node.right, right)
        return self.folded(make(left, right), left_constant and right_constant)

    def call(self, node: ast.Call, depth: int) -> tuple[Fn, bool]:
        if not isinstance(node.func, ast.Name):
            raise self.reject(node, "calling anything but a function by its name")
        name = node.func.id
        if name not in _FUNCTIONS:
            allowed = ", ".join(sorted(_FUNCTIONS))
            raise ValueError(f"unknown function {name!r} ({self.where(node)}); allowed functions: {allowed}")
        if node.keywords:
            raise self.reject(node.keywords[0], "a keyword argument")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.reject(arg, "a starred argument")
        fewest, most, make = _FUNCTIONS[name]
        count = len(node.args)
        if count < fewest or (most is not None and count > most):
            wanted = str(fewest) if fewest == most else f"{fewest} or more" if most is None else f"{fewest} to {most}"
            raise ValueError(f"{name}() takes {wanted} arguments, not {count} ({self.where(node)})")
        built = [self.build(arg, depth + 1) for arg in node.args]
        if name == "pow" and built[1][1]:
            self.check_exponent(node.args[1], built[1][0])
        return self.folded(make([fn for fn, _ in built]), all(constant for _, constant in built))

    def check_exponent(self, node: ast.expr, fn: Fn) -> None:
        try:
            exponent = fn({})
        except (ArithmeticError, ValueError):
            exponent = math.inf
        if not abs(exponent) <= MAX_EXPONENT:
            raise ValueError(f"exponent must be between -{MAX_EXPONENT} and {MAX_EXPONENT} ({self.where(node)})")

    @staticmethod
    def folded(fn: Fn, constant: bool) -> tuple[Fn, bool]:
        # Work out a constant part once, here, rather than on every evaluation. One that fails stays as it
        # is, so that evaluate() gives None for it like for any other failure.
        if constant:
            try:
                value = fn({})
            except (ArithmeticError, ValueError):
                return fn, True
            if math.isfinite(value):
                return _const(value), True
        return fn, constant
