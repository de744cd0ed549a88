"""Success criteria of a hypothesis: a small, machine-checkable language over run metrics.

Grammar (case-insensitive keywords, whitespace free)::

    criteria   := condition ( "AND" condition )*
    condition  := metric operator reference
    metric     := [ "summary." ] key          e.g. val/auc, summary.val.precision, fairness/sex/recall_gap
    operator   := ">" | ">=" | "<" | "<="
    reference  := number | "baseline" [ ("+" | "-" | "*") number ]

A metric names a key of the runs' summary (``run_summary``); the ``summary.`` prefix is optional. ``baseline`` is
the baseline of the hypothesis: a number, or the same metric of the baseline run. The operator also says which way
is better (``>``/``>=``: higher). ``OR`` is not part of the language: a hypothesis with alternatives is two
hypotheses. Anything else is rejected with :class:`CriteriaError` naming the part that does not parse.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

_CONDITION = re.compile(
    r"^\s*(?:summary\.)?(?P<metric>[A-Za-z_][\w./@-]*)\s*(?P<op>>=|<=|>|<)\s*"
    r"(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|"
    r"(?P<baseline>baseline)\s*(?:(?P<adjust_op>[-+*])\s*(?P<adjust>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))?)\s*$",
    re.IGNORECASE,
)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}
_ADJUST: dict[str, Callable[[float, float], float]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}


class CriteriaError(ValueError):
    """The criteria text does not follow the grammar in the module docstring."""


@dataclass(frozen=True)
class Condition:
    """One ``metric operator reference`` condition."""

    metric: str
    op: str
    value: float | None = None  # an absolute threshold, or None when relative to the baseline
    adjust_op: str | None = None
    adjust: float | None = None

    @property
    def uses_baseline(self) -> bool:
        return self.value is None

    @property
    def higher_is_better(self) -> bool:
        return self.op in (">", ">=")

    def threshold(self, baseline: float | None) -> float | None:
        """The number the metric is compared with; ``None`` when it needs a baseline that is missing."""
        if not self.uses_baseline:
            return self.value
        if baseline is None:
            return None
        return _ADJUST[self.adjust_op](baseline, self.adjust) if self.adjust_op else baseline

    def holds(self, observed: float, threshold: float) -> bool:
        return _COMPARE[self.op](observed, threshold)

    def margin(self, observed: float, threshold: float) -> float:
        """How far the observed value is on the good side of the threshold (negative: on the bad side)."""
        return observed - threshold if self.higher_is_better else threshold - observed

    def __str__(self) -> str:
        if not self.uses_baseline:
            return f"{self.metric} {self.op} {self.value:g}"
        tail = f" {self.adjust_op} {self.adjust:g}" if self.adjust_op else ""
        return f"{self.metric} {self.op} baseline{tail}"


def parse_criteria(text: str) -> list[Condition]:
    """The conditions of ``text``, in order; raises :class:`CriteriaError` on anything outside the grammar."""
    if text is None or not str(text).strip():
        raise CriteriaError("the criteria are empty")
    conditions = []
    for part in _AND.split(str(text).strip()):
        match = _CONDITION.match(part)
        if not match:
            raise CriteriaError(f"cannot read {part.strip()!r}: expected 'metric > number' or "
                                "'metric >= baseline + number' (operators > >= < <=, joined by AND)")
        adjust = match.group("adjust")
        conditions.append(Condition(
            metric=match.group("metric"),
            op=match.group("op"),
            value=float(match.group("number")) if match.group("number") is not None else None,
            adjust_op=match.group("adjust_op"),
            adjust=float(adjust) if adjust is not None else None,
        ))
    return conditions
