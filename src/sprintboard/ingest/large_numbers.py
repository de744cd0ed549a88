"""Whole numbers too large for the store's numbers, kept as their digits.

The store's numeric columns (``value_num``) are DOUBLE, which holds whole numbers up to about 1.8e308: a number of
309 digits at most. Python reads a longer whole number from a CSV cell or a JSON value exactly (10**400 is an
``int``), but cannot turn it into a float (``OverflowError``). Such a number is kept as its digits, as text
(``value_text``), as the ``.wandb`` reader keeps it, and the file loads with a warning naming where the first one was
and how many there were. A whole number longer than Python converts at all (4,300 digits, see
``sys.get_int_max_str_digits``) is read as :class:`LongDigits` and kept the same way.

A step, a runtime or a timestamp that large is no step or time: the parsers refuse those (see :func:`abbreviated` for
how such a number is shown in the message).
"""

from __future__ import annotations

from typing import Any

# Below 2**1023 every int converts to a float; the test is cheap and spares the conversion for nearly all ints.
_ALWAYS_FITS_BITS = 1023


class LongDigits(str):
    """The digits of a whole number longer than Python converts to ``int`` (more than 4,300 digits)."""


def beyond_float(value: Any) -> bool:
    """True for a whole number no float holds: an ``int`` (not a ``bool``) beyond ±1.8e308, or :class:`LongDigits`."""
    kind = type(value)
    if kind is int:
        if value.bit_length() <= _ALWAYS_FITS_BITS:
            return False
        try:
            float(value)
        except OverflowError:
            return True
        return False
    return kind is LongDigits


def abbreviated(value: Any) -> str:
    """A number as a message shows it: whole when short, else its first and last digits and how many there are
    (``1000000…000 (401 digits)``)."""
    text = str(value)
    digits = len(text.lstrip("-"))
    return text if digits <= 20 else f"{text[: len(text) - digits + 7]}…{text[-3:]} ({digits} digits)"


class LargeNumbers:
    """The whole numbers too large for a float met while reading one file: :meth:`kept` turns each into its digits
    and remembers where the first one was, :meth:`warning` says so once for the file."""

    def __init__(self) -> None:
        self.count = 0
        self.first: tuple[str, str] | None = None  # where, digits shown

    def kept(self, value: Any, where: str) -> str:
        """The digits of ``value`` (a number :func:`beyond_float` is true of), found at ``where``
        (``record 0, key 'count'``)."""
        self.count += 1
        if self.first is None:
            self.first = (where, abbreviated(value))
        return str(value)

    def warning(self) -> str | None:
        """One line for the file's warnings, or ``None`` when no such number was met."""
        if self.first is None:
            return None
        where, shown = self.first
        others = f"; {self.count - 1} more such number{'s' if self.count > 2 else ''} kept the same way" \
            if self.count > 1 else ""
        return (f"{where}: the whole number {shown} is too large for a float, the store's numbers, and is kept as its "
                f"digits (text){others}")
