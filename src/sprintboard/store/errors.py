"""The one exception type the store raises: its message is one line that names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """A store cannot be opened, read or written; ``str()`` is ``"<path>: <problem>"``."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class InputError(Exception):
    """An input file cannot be read as any format Sprintboard knows; ``str()`` is ``"<path>: <problem>"``."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
