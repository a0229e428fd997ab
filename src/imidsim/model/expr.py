"""Rate-law expressions: a small, safe, Python-like language.

Expressions are strings such as ``"k_deg * IKZF1_T"`` or ``"hill(C, EC50, n)"``. They are
parsed once with :mod:`ast`; the parse tree is then used to list the names an expression
reads, to check its units with pint, and to emit code (Python for the compiled engine,
SBML Level 3 infix for export). Dotted names (``lenalidomide.Kd``) are allowed.

Functions: ``exp``, ``log`` (natural), ``sqrt``, ``min``, ``max``, and the macros
``hill(x, K, n) = x**n / (x**n + K**n)`` and ``pos(x) = max(x, 0)``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pint

from imidsim.errors import ModelError, UnitError
from imidsim.units import Quantity, ureg

FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "min": 2, "max": 2, "hill": 3, "pos": 1}


@dataclass(frozen=True)
class Expr:
    """A parsed expression. ``names`` are the free identifiers it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@lru_cache(maxsize=8192)
def parse(text: str, *, where: str = "expression") -> Expr:
    """Parse and validate ``text``; raise ModelError naming ``where`` on a bad expression."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise ModelError(f"{where}: cannot parse '{text}': {exc.msg}") from None
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        dotted = _dotted(node)
        if dotted is not None:
            names.add(dotted)
            return
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ModelError(f"{where}: constant {node.value!r} is not a number in '{text}'")
            return
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
                raise ModelError(f"{where}: operator {type(node.op).__name__} not allowed")
            visit(node.left)
            visit(node.right)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            visit(node.operand)
            return
        if isinstance(node, ast.Call):
            fname = _dotted(node.func)
            if fname not in FUNCTIONS or node.keywords:
                raise ModelError(
                    f"{where}: function '{fname}' not allowed in '{text}'; "
                    f"allowed: {', '.join(sorted(FUNCTIONS))}"
                )
            if len(node.args) != FUNCTIONS[fname]:
                raise ModelError(
                    f"{where}: {fname}() takes {FUNCTIONS[fname]} arguments in '{text}'"
                )
            for arg in node.args:
                visit(arg)
            return
        raise ModelError(f"{where}: '{ast.unparse(node)}' is not allowed in '{text}'")

    visit(tree)
    return Expr(text=str(text), tree=tree, names=frozenset(names))


# --------------------------------------------------------------------------- units

def _same(a: pint.Unit, b: pint.Unit) -> bool:
    try:
        return abs(Quantity(1.0, a).to(b).magnitude - 1.0) < 1e-12
    except pint.DimensionalityError:
        return False


def _dimensionless(u: pint.Unit) -> bool:
    return _same(u, ureg.dimensionless)


def units_of(expr: Expr, env: Mapping[str, pint.Unit], *, where: str) -> pint.Unit:
    """Unit of ``expr`` given the units of its names.

    Addition, ``min`` and ``max`` need *identical* units (a conversion factor of exactly 1),
    because the compiled code adds raw magnitudes; function arguments and exponents must be
    dimensionless.
    """

    def bad(msg: str) -> UnitError:
        return UnitError(f"{where}: {msg} in '{expr.text}'")

    def ev(node: ast.AST) -> pint.Unit:
        dotted = _dotted(node)
        if dotted is not None:
            return env[dotted]
        if isinstance(node, ast.Constant):
            return ureg.dimensionless
        if isinstance(node, ast.UnaryOp):
            return ev(node.operand)
        if isinstance(node, ast.BinOp):
            left = ev(node.left)
            if isinstance(node.op, ast.Pow):
                right = ev(node.right)
                if not _dimensionless(right):
                    raise bad(f"exponent '{ast.unparse(node.right)}' has unit {right}")
                if _dimensionless(left):
                    return ureg.dimensionless
                if isinstance(node.right, ast.Constant):
                    return (Quantity(1.0, left) ** node.right.value).units
                raise bad(f"base '{ast.unparse(node.left)}' [{left}] needs a constant power")
            right = ev(node.right)
            if isinstance(node.op, ast.Add | ast.Sub):
                if not _same(left, right):
                    raise bad(
                        f"adds '{ast.unparse(node.left)}' [{left}] and "
                        f"'{ast.unparse(node.right)}' [{right}]"
                    )
                return left
            q = Quantity(1.0, left) * Quantity(1.0, right) if isinstance(node.op, ast.Mult) \
                else Quantity(1.0, left) / Quantity(1.0, right)
            return q.units
        if isinstance(node, ast.Call):
            fname = _dotted(node.func)
            args = [ev(a) for a in node.args]
            if fname in {"exp", "log"}:
                if not _dimensionless(args[0]):
                    raise bad(f"{fname}() of a quantity with unit {args[0]}")
                return ureg.dimensionless
            if fname == "sqrt":
                return (Quantity(1.0, args[0]) ** 0.5).units
            if fname in {"min", "max"}:
                if not _same(args[0], args[1]):
                    raise bad(f"{fname}() of unlike units {args[0]} and {args[1]}")
                return args[0]
            if fname == "pos":
                return args[0]
            if fname == "hill":
                if not _same(args[0], args[1]):
                    raise bad(f"hill() of unlike units {args[0]} and {args[1]}")
                if not _dimensionless(args[2]):
                    raise bad("hill() coefficient must be dimensionless")
                return ureg.dimensionless
        raise bad(f"cannot evaluate units of '{ast.unparse(node)}'")

    return ev(expr.tree)


def check_unit(
    expr: Expr, env: Mapping[str, pint.Unit], expected: pint.Unit, *, where: str
) -> None:
    """Raise UnitError unless ``expr`` has exactly the ``expected`` unit."""
    got = units_of(expr, env, where=where)
    if not _same(got, expected):
        try:
            factor = Quantity(1.0, got).to(expected).magnitude
            extra = f" (a factor of {factor:.6g} away)"
        except pint.DimensionalityError:
            extra = ""
        raise UnitError(f"{where}: '{expr.text}' has unit [{got}], expected [{expected}]{extra}")


# --------------------------------------------------------------------------- code


def to_code(expr: Expr, name_map: Callable[[str], str], *, dialect: str = "python") -> str:
    """Emit ``expr`` as Python (for the engine) or SBML L3 infix, renaming via ``name_map``."""

    def em(node: ast.AST) -> str:
        dotted = _dotted(node)
        if dotted is not None:
            return name_map(dotted)
        if isinstance(node, ast.Constant):
            return repr(float(node.value))
        if isinstance(node, ast.UnaryOp):
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return f"({sign}{em(node.operand)})"
        if isinstance(node, ast.BinOp):
            a, b = em(node.left), em(node.right)
            if isinstance(node.op, ast.Pow):
                return f"({a} ** {b})" if dialect == "python" else f"({a} ^ {b})"
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
            return f"({a} {op} {b})"
        if isinstance(node, ast.Call):
            fname = _dotted(node.func)
            args = [em(a) for a in node.args]
            pw = "**" if dialect == "python" else "^"
            if fname == "hill":
                x, k, n = args
                return f"(({x} {pw} {n}) / (({x} {pw} {n}) + ({k} {pw} {n})))"
            if fname == "pos":
                return f"max({args[0]}, 0.0)"
            if dialect == "python":
                fn = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt"}.get(fname, fname)
            else:
                fn = {"log": "ln"}.get(fname, fname)
            return f"{fn}({', '.join(args)})"
        raise ModelError(f"cannot emit '{ast.unparse(node)}'")

    return em(expr.tree)
