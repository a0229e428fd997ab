"""Compile an assembled :class:`~imidsim.model.Model` to fast batched code.

The model's expressions are emitted as a Python module with three numba functions —
``init(p, y0)``, ``rhs(t, y, p, c, dy)`` and ``observe(t, y, p, c, out)`` — followed by the
integration kernel (``kernel_template.py``). The module is written once per model structure
into a cache folder and imported from there, so numba's on-disk cache makes later runs
start in well under a second. Parameters are *inputs* (the array ``p``), never constants:
one compiled model serves every virtual patient.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from imidsim.errors import ModelError
from imidsim.model.core import Model
from imidsim.model.expr import Expr, _dotted, to_code

_LOCK = threading.Lock()
_LOADED: dict[str, ModuleType] = {}
_KERNEL = Path(__file__).with_name("kernel_template.py")


def cache_dir() -> Path:
    """Folder for generated model code (``$IMIDSIM_CACHE`` or ``~/.cache/imidsim``)."""
    root = os.environ.get("IMIDSIM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "imidsim"
    )
    path = Path(root) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _ident(name: str) -> str:
    return "v_" + "".join(ch if ch.isalnum() else "_" for ch in name)


_PY_FUNCS = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt"}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _lit(v: float) -> tuple[str, float]:
    return repr(float(v)), float(v)


def emit_folded(expr: Expr, name_map: Callable[[str], str], known: Mapping[str, float],
                reciprocals: dict[str, str] | None = None) -> tuple[str, float | None]:
    """Python code of ``expr`` with the names in ``known`` replaced by their values and the
    resulting zeros folded away; returns (code, value) where value is set when constant.

    Without known names the code is :func:`imidsim.model.expr.to_code`'s, except that constant
    sub-expressions are evaluated and powers call ``_pow`` (exact squares, square roots and
    first powers, ``exp(n log x)`` for other non-integral exponents, whether the exponent is
    a literal or read from ``p``). Folding only removes operations that are exact on finite
    numbers (``x + 0``, ``0 * x``, ``0 / x``, ``0 ** n`` and ``hill(0, K, n)`` for positive
    ``n`` and ``K``, ``exp(0)``), so a specialised variant computes bit for bit what the
    general one does.

    With ``reciprocals`` (a dict filled here: divisor code -> name), a division by a parameter
    becomes a multiplication by its reciprocal, named once per divisor for the caller to
    compute at the top of the function, and a division by a non-zero constant a
    multiplication by the constant's reciprocal: one rounding more, but no division in the
    right-hand side's hot path (a divide costs several multiplies), and the same in every
    variant because a fixed parameter's literal reciprocal equals the computed one.
    """

    def em(node: ast.AST) -> tuple[str, float | None]:
        dotted = _dotted(node)
        if dotted is not None:
            return _lit(known[dotted]) if dotted in known else (name_map(dotted), None)
        if isinstance(node, ast.Constant):
            return _lit(node.value)
        if isinstance(node, ast.UnaryOp):
            a, va = em(node.operand)
            if isinstance(node.op, ast.USub):
                return _lit(-va) if va is not None else (f"(-{a})", None)
            return (a, va) if va is not None else (f"(+{a})", None)
        if isinstance(node, ast.BinOp):
            (a, va), (b, vb) = em(node.left), em(node.right)
            op = type(node.op)
            if op is ast.Pow:
                if va == 0.0 and (vb is None or vb > 0.0):
                    return _lit(0.0)
                return f"_pow({a}, {b})", None
            if va is not None and vb is not None and not (op is ast.Div and vb == 0.0):
                return _lit({ast.Add: va + vb, ast.Sub: va - vb, ast.Mult: va * vb,
                             ast.Div: va / vb if vb else 0.0}[op])
            if op is ast.Add and va == 0.0:
                return b, None
            if op in (ast.Add, ast.Sub) and vb == 0.0:
                return a, None
            if op is ast.Sub and va == 0.0:
                return f"(-{b})", None
            if op is ast.Mult and (va == 0.0 or vb == 0.0):
                return _lit(0.0)
            if op is ast.Div and va == 0.0:
                return _lit(0.0)
            if op is ast.Div and reciprocals is not None:
                if vb is not None and vb != 0.0:
                    return f"({a} * {_lit(1.0 / vb)[0]})", None
                if b.startswith("p[") and b.endswith("]") and b[2:-1].isdigit():
                    name = reciprocals.setdefault(b, f"inv_p{b[2:-1]}")
                    return f"({a} * {name})", None
            return f"({a} {_OPS[op]} {b})", None
        if isinstance(node, ast.Call):
            fname = _dotted(node.func)
            args = [em(x) for x in node.args]
            codes = [x[0] for x in args]
            vals = [x[1] for x in args]
            if fname == "hill":
                if vals[0] == 0.0:
                    return _lit(0.0)
                x, k, n = codes
                return f"(_pow({x}, {n}) / (_pow({x}, {n}) + _pow({k}, {n})))", None
            if fname == "pos":
                return (_lit(max(vals[0], 0.0)) if vals[0] is not None
                        else (f"max({codes[0]}, 0.0)", None))
            if fname in ("min", "max") and None not in vals:
                return _lit((min if fname == "min" else max)(vals[0], vals[1]))
            if fname == "exp" and vals[0] == 0.0:
                return _lit(1.0)
            return f"{_PY_FUNCS.get(str(fname), fname)}({', '.join(codes)})", None
        raise ModelError(f"cannot emit '{ast.unparse(node)}'")

    return em(expr.tree)


def exponent_parameters(model: Model) -> list[str]:
    """Parameters used as exponents (``x ** n``, ``hill(x, K, n)``) in rates and assignments."""
    names = set(model.parameter_names)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            found.update(n for n in parse_names(node.right) if n in names)
        if isinstance(node, ast.Call) and _dotted(node.func) == "hill":
            found.update(n for n in parse_names(node.args[2]) if n in names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for key, expr in model.exprs.items():
        if key.startswith(("rate:", "assign:")):
            visit(expr.tree)
    return sorted(found)


def parse_names(node: ast.AST) -> set[str]:
    """Dotted names read by an expression sub-tree."""
    dotted = _dotted(node)
    if dotted is not None:
        return {dotted}
    return set().union(*(parse_names(c) for c in ast.iter_child_nodes(node)))


def per_capita(tree: ast.expr, species: str, assigned: Mapping[str, ast.expr]
               ) -> ast.expr | None:
    """``tree / species`` as an expression tree when ``tree`` is ``species`` times factors that
    do not read it directly (assignments on the way are inlined), else None.

    A first-order loss ``k * X`` gives ``k``; a saturating one ``V * X / (K + X)`` gives None,
    because ``X`` also sits in its denominator. Factors may still depend on ``X`` through
    assignments (a ternary complex competing for free CRBN): the result is then the loss rate
    per unit of ``X``, not the exact derivative, which is all :func:`loss_rates` needs.
    """
    name = _dotted(tree)
    if name == species:
        return ast.Constant(1.0)
    if name is not None:
        return per_capita(assigned[name], species, assigned) if name in assigned else None
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult | ast.Div):
        if isinstance(tree.op, ast.Mult):  # k * X or X * k: just k
            for mine, other in ((tree.left, tree.right), (tree.right, tree.left)):
                if _dotted(mine) == species and species not in parse_names(other):
                    return other
        left = per_capita(tree.left, species, assigned)
        if left is not None and species not in parse_names(tree.right):
            return ast.BinOp(left, tree.op, tree.right)
        if isinstance(tree.op, ast.Mult):
            right = per_capita(tree.right, species, assigned)
            if right is not None and species not in parse_names(tree.left):
                return ast.BinOp(tree.left, ast.Mult(), right)
    return None


def loss_rates(model: Model) -> dict[str, Expr]:
    """Each species' first-order loss rate (per hour): the sum, over reactions consuming it
    at a rate proportional to it, of stoichiometry times rate per unit of the species.

    The integrator takes these rates out of the right-hand side exactly (an integrating
    factor, see ``kernel_template.py``), which removes the stiffness of fast turnover —
    degrader-driven CRBN substrates, c-Myc — without changing the solution. Species without
    such a loss are absent.
    """
    assigned = {a.name: model.exprs[f"assign:{a.name}"].tree for a in model.assignments}
    terms: dict[str, list[ast.expr]] = {}
    for r in model.reactions:
        for sp, coef in r.changes.items():
            if coef >= 0:
                continue
            pc = per_capita(model.exprs[f"rate:{r.name}"].tree, sp, assigned)
            if pc is None:
                continue
            terms.setdefault(sp, []).append(
                pc if coef == -1 else ast.BinOp(ast.Constant(-float(coef)), ast.Mult(), pc))
    out = {}
    for sp in model.species_names:
        if sp in terms:
            total = terms[sp][0]
            for t in terms[sp][1:]:
                total = ast.BinOp(total, ast.Add(), t)
            tree = ast.fix_missing_locations(total)
            out[sp] = Expr(ast.unparse(tree), tree, frozenset(parse_names(tree)))
    return out


def generate_source(model: Model, zero_inputs: frozenset[str] = frozenset(),
                    fixed: Mapping[str, float] | None = None) -> str:
    """Python source of the model's numba functions (without the kernel).

    ``zero_inputs`` names drug inputs that stay at zero in the batch to be solved (drugs not
    given); their terms are folded away at code generation, which makes the right-hand side
    of a one- or two-drug regimen about twice as cheap without changing its arithmetic.
    ``fixed`` parameters (the same for every patient of the batch; used for exponents) are
    written as literals in the right-hand side and observables, so that ``x ** 2.0`` compiles
    to ``x * x``; the ``p`` array still carries them and ``init`` reads it.
    """
    sidx = {n: i for i, n in enumerate(model.species_names)}
    pidx = {n: i for i, n in enumerate(model.parameter_names)}
    cidx = {n: i for i, n in enumerate(model.input_names)}
    assigned = set(model.assignment_names)
    fixed = dict(fixed or {})
    unknown = (set(zero_inputs) - set(cidx)) | (set(fixed) - set(pidx))
    if unknown:
        raise KeyError(f"not model inputs or parameters: {sorted(unknown)}")

    def name_map(n: str) -> str:
        if n == "t":
            return "t"
        if n in sidx:
            return f"y[{sidx[n]}]"
        if n in pidx:
            return f"p[{pidx[n]}]"
        if n in cidx:
            return f"c[{cidx[n]}]"
        if n in assigned:
            return _ident(n)
        raise KeyError(n)

    known: dict[str, float] = {n: 0.0 for n in zero_inputs}
    known.update((n, float(v)) for n, v in fixed.items())
    inv: dict[str, str] = {}
    body: list[str] = []
    for a in model.assignments:
        code, value = emit_folded(model.exprs[f"assign:{a.name}"], name_map, known, inv)
        if value is not None:
            known[a.name] = value
        else:
            body.append(f"    {_ident(a.name)} = {code}")
    rate_lines: list[str] = []
    terms: dict[str, list[str]] = {n: [] for n in model.species_names}
    for r in model.reactions:
        rate, value = emit_folded(model.exprs[f"rate:{r.name}"], name_map, known, inv)
        if value == 0.0:
            continue
        rvar = _ident("r_" + r.name)
        rate_lines.append(f"    {rvar} = {rate}  # {r.name}")
        for sp, coef in r.changes.items():
            terms[sp].append(rvar if coef == 1 else f"{float(coef)!r} * {rvar}")
    lam_lines = [f"    lam[{sidx[n]}] = {emit_folded(e, name_map, known, inv)[0]}  # {n}"
                 for n, e in loss_rates(model).items()]
    body = [f"    {name} = 1.0 / {code}" for code, name in sorted(inv.items())] + body
    lines = [
        "# Generated by imidsim.engine.codegen — do not edit.",
        f"# model structure digest: {model.structure_digest()}",
        f"# inputs held at zero: {', '.join(sorted(zero_inputs)) or 'none'}",
        f"# parameters fixed: {', '.join(f'{k}={v!r}' for k, v in sorted(fixed.items()))}",
        "import math",
        "from numba import njit",
        "",
        "",
        '@njit(cache=True, error_model="numpy")',
        "def _pow(x, n):",
        "    if n == 2.0:",
        "        return x * x",
        "    if n == 1.0:",
        "        return x",
        "    if n == 0.5:",
        "        return math.sqrt(x)",
        "    if n == math.floor(n):  # integral: pow is exact for negative bases too",
        "        return x ** n",
        "    return math.exp(n * math.log(x))  # within ~1e-15, a fifth faster",
        "",
        "",
        '@njit(cache=True, error_model="numpy")',
        "def init(p, y0):",
    ]
    for s in model.species:
        lines.append(f"    y0[{sidx[s.name]}] = {to_code(model.exprs[f'init:{s.name}'], name_map)}"
                     f"  # {s.name}")
    if not model.species:
        lines.append("    pass")
    rhs_body = body + rate_lines + [
        f"    dy[{sidx[n]}] = {' + '.join(terms[n]) or '0.0'}  # {n}" for n in model.species_names]
    lines += ["", "", '@njit(cache=True, error_model="numpy")', "def rhs(t, y, p, c, dy):"]
    lines += rhs_body or ["    pass"]
    lines += ["", "", '@njit(cache=True, error_model="numpy")',
              "def rhs_lam(t, y, p, c, dy, lam):",
              "    # rhs, plus each species' first-order loss rate (1/h) in lam (others untouched)"]
    lines += rhs_body + lam_lines or ["    pass"]
    lines += ["", "", '@njit(cache=True, error_model="numpy")', "def observe(t, y, p, c, out):"]
    lines += body
    for k, a in enumerate(model.assignments):
        value = known.get(a.name)
        lines.append(f"    out[{k}] = {_ident(a.name) if value is None else repr(value)}")
    if not model.assignments:
        lines.append("    pass")
    lines += ["", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class CompiledModel:
    """A model's compiled functions and the names behind every array axis.

    ``zero_inputs`` are the drug inputs this variant assumes to stay at zero and ``fixed`` the
    parameters it has as literals (see :func:`generate_source`); the general variant has none.
    """

    model: Model
    module: ModuleType
    path: Path
    zero_inputs: frozenset[str] = frozenset()
    fixed: tuple[tuple[str, float], ...] = ()

    @property
    def init(self):
        return self.module.init

    @property
    def rhs(self):
        return self.module.rhs

    @property
    def observe(self):
        return self.module.observe

    @property
    def integrate_batch(self):
        return self.module.integrate_batch

    def specialised(self, active: Iterable[str], fixed: Mapping[str, float] | None = None
                    ) -> CompiledModel:
        """The variant for a batch that uses only the drug inputs in ``active`` (the others held
        at zero) and has the ``fixed`` parameter values; compiled on first use, then cached."""
        zero = frozenset(self.model.input_names) - frozenset(active)
        key = tuple(sorted((fixed or {}).items()))
        if zero == self.zero_inputs and key == self.fixed:
            return self
        return compile_model(self.model, zero, dict(key))

    def general(self) -> CompiledModel:
        """The variant without assumptions (every input live, every parameter read from p)."""
        return self if not (self.zero_inputs or self.fixed) else compile_model(self.model)


def compile_model(model: Model, zero_inputs: frozenset[str] = frozenset(),
                  fixed: Mapping[str, float] | None = None) -> CompiledModel:
    """Generate (or reuse) the compiled module for ``model``'s structure (and, optionally,
    drug inputs held at zero and parameters fixed as literals)."""
    digest = model.structure_digest()
    kernel = _KERNEL.read_text()
    zero_inputs = frozenset(zero_inputs)
    fixed_items = tuple(sorted((k, float(v)) for k, v in (fixed or {}).items()))
    source = (generate_source(model, zero_inputs, dict(fixed_items))
              + "\n# ---- kernel ----\n" + kernel)
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    with _LOCK:
        if key in _LOADED:
            return CompiledModel(model, _LOADED[key], Path(_LOADED[key].__file__ or ""),
                                 zero_inputs, fixed_items)
        folder = cache_dir()
        path = folder / f"imidsim_model_{key}.py"
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(source)
            os.replace(tmp, path)  # atomic: concurrent processes never read half a file
        name = f"imidsim_generated_{key}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        module.__dict__["MODEL_DIGEST"] = digest
        _LOADED[key] = module
        return CompiledModel(model, module, path, zero_inputs, fixed_items)
