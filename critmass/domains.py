"""Every number a user types on the command line, read once and checked against its domain.

A number is read exactly (``0.01``, ``1/100``, ``1e-2``, ``10**-2``) by the project's one reader,
theory.numbers.read (text -> Fraction, or None outside bounded arithmetic on numbers), then checked as an exact
Fraction against its domain (integer or real, an interval, at most a size) before it becomes a Python int or
float, so no input overflows a float, hangs in Fraction('1e999999999') or asks for more memory than the
machine has. The argparse types below give argparse's one-line usage error (exit 2) naming the option, the
bad value and what was expected:

    critmass simulate exact: error: argument --seed: -1: expected an integer in [0, 4294967295] (a seed)

>>> integer(0, 10)("7"), real(0, 1, lo_open=True)("1/8"), reals(0, 1)("0.5, 1")
(7, 0.125, [0.5, 1.0])
"""

from __future__ import annotations

import argparse
import os
from fractions import Fraction

from theory.errors import InputError
from theory.numbers import Typed, domain_error, read

#: Seeds are 32-bit: what numpy's and JAX's generators take as one word.
SEED_MAX = 2**32 - 1
#: Largest count any option may ask for (configurations, rows, samples, steps): a bound on time, not memory.
COUNT_MAX = 10**9
#: Longest list an option may hold (alphas, seeds, targets).
LIST_MAX = 10_000
#: Largest |value| converted to a float: far inside float64, so no reading overflows to inf.
FLOAT_MAX = Fraction(10) ** 300


def finite(value: Fraction, what: str) -> float:
    """An exact value as a float; InputError naming ``what`` where |value| > 1e300 (it would overflow or lose
    all meaning as a float)."""
    if abs(value) > FLOAT_MAX:
        raise InputError(f"{what}: expected a number of magnitude at most 1e300")
    return float(value)


def memory_limit() -> int:
    """Bytes one command may ask for: half the machine's physical memory."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * 2**30


def check_memory(nbytes: float, what: str) -> None:
    """InputError when ``what`` (e.g. ``"--random 2000000000 with --shape 6x4"``) needs more than memory_limit()."""
    limit = memory_limit()
    if nbytes > limit:
        raise InputError(f"{what} needs about {_gib(nbytes)} of memory; the limit is {_gib(limit)} (half of this "
                         f"machine's memory): ask for less")


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def _interval(lo, hi, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    lo_s = "-inf" if lo is None else _show(lo)
    hi_s = "inf" if hi is None else _show(hi)
    return f"{left}{lo_s}, {hi_s}{right}"


def _show(v) -> str:
    v = Fraction(v)
    return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"


def _cut(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def number(text: str, what: str, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False,
           whole: bool = False) -> Fraction:
    """``text`` as an exact Fraction in the interval; InputError naming ``what``, the text and the domain."""
    kind = "an integer" if whole else "a number"
    domain = kind if lo is None and hi is None else f"{kind} in {_interval(lo, hi, lo_open, hi_open)}"
    value = read(text) if isinstance(text, str) else None
    what = what if what.endswith("=") else what + " "
    if value is None:
        raise InputError(f"{what}{_cut(str(text))}: expected {domain}"
                         + ("" if whole else " (a number such as 0.01, 1/100, 1e-2 or 10**-2)"))
    if whole and value.denominator != 1:
        raise InputError(f"{what}{_cut(text)}: expected {domain}, not a fraction")
    if (lo is not None and (value < lo or (lo_open and value == lo))) or \
            (hi is not None and (value > hi or (hi_open and value == hi))):
        raise InputError(f"{what}{_cut(text)}: expected {domain}")
    return value


class _Type:
    """An argparse ``type=``: InputError becomes argparse's ArgumentTypeError (one usage line, exit 2)."""

    def __init__(self, convert, name: str):
        self.convert, self.__name__ = convert, name

    def __call__(self, text: str):
        try:
            return self.convert(text)
        except InputError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    def __repr__(self):
        return self.__name__


def integer(lo: int | None = None, hi: int | None = COUNT_MAX, note: str = "") -> _Type:
    """An argparse type: a whole number in [lo, hi] (``1e3`` and ``2000/2`` are read too)."""
    def convert(text):
        try:
            return int(number(text, "", lo, hi, whole=True))
        except InputError as e:
            raise InputError(f"{str(e).strip()}{note}") from None
    return _Type(convert, "integer")


def as_float(value: Fraction, text: str, what: str, lo=None, hi=None, lo_open: bool = False,
             hi_open: bool = False) -> float:
    """``value`` (read from ``text``, inside the interval) as a float: InputError naming the text where its
    magnitude is over 1e300 or its float64 leaves the interval (``1e-200/1e200`` underflows to 0, outside
    (0, 1]; ``1 - 10**-20`` rounds to 1, outside [0, 1))."""
    out = finite(value, f"{what}{_cut(text)}")
    message = domain_error(what.rstrip("= "), Typed(value, repr(text)), lo, hi, lo_open, hi_open, False,
                           _interval(lo, hi, lo_open, hi_open), use="the command computes with it in float64")
    if message:
        raise InputError(message.replace("=", " ", 1) if not what.endswith("=") else message)
    return out


def real(lo=None, hi=None, lo_open: bool = False, hi_open: bool = False, note: str = "") -> _Type:
    """An argparse type: a finite real in the interval, as a float."""
    def convert(text):
        try:
            return as_float(number(text, "", lo, hi, lo_open, hi_open), text, "", lo, hi, lo_open, hi_open)
        except InputError as e:
            raise InputError(f"{str(e).strip()}{note}") from None
    return _Type(convert, "real")


def seed() -> _Type:
    """An argparse type: a seed in [0, 2**32 - 1]."""
    return integer(0, SEED_MAX, note=" (a seed)")


def count(lo: int = 1, hi: int = COUNT_MAX) -> _Type:
    return integer(lo, hi)


def split(text: str, what: str) -> list[str]:
    """Comma-separated items of ``text``; InputError for an empty item or more than LIST_MAX of them."""
    items = [t.strip() for t in text.split(",")]
    if len(items) > LIST_MAX:
        raise InputError(f"{what}: {len(items)} items; expected at most {LIST_MAX}")
    for t in items:
        if not t:
            raise InputError(f"{what} {_cut(text)}: an empty item; expected items separated by single commas")
    return items


def reals(lo=None, hi=None, lo_open: bool = False, hi_open: bool = False, what: str = "item") -> _Type:
    """An argparse type: comma-separated finite reals in the interval, as floats."""
    def convert(text):
        return [as_float(number(t, what, lo, hi, lo_open, hi_open), t, what + " ", lo, hi, lo_open, hi_open)
                for t in split(text, what)]
    return _Type(convert, "reals")


def integers(lo: int | None = None, hi: int | None = COUNT_MAX, what: str = "item") -> _Type:
    """An argparse type: comma-separated whole numbers in [lo, hi]."""
    def convert(text):
        return [int(number(t, what, lo, hi, whole=True)) for t in split(text, what)]
    return _Type(convert, "integers")


#: Collective sizes alpha in (0, 1], comma-separated (``--alphas``).
ALPHAS = reals(0, 1, lo_open=True, what="alpha")


def fraction(lo=None, hi=None, lo_open: bool = False, hi_open: bool = False) -> _Type:
    """An argparse type: an exact Fraction in the interval (for exact arithmetic: Z3, theory/)."""
    def convert(text):
        return number(text, "", lo, hi, lo_open, hi_open)
    return _Type(lambda t: _strip(convert, t), "fraction")


def _strip(convert, text):
    try:
        return convert(text)
    except InputError as e:
        raise InputError(str(e).strip()) from None
