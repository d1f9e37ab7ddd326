"""User-facing errors with documented exit codes.

Every error a user can cause (bad input, missing file, bad rules, a tampered
log) is a ``PayproofError``: the CLI prints its message -- what went wrong,
where, and how to fix it -- without a traceback, and exits with its code.
Anything else is a bug and exits 1 with a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_REJECTS = 4
EXIT_RULES = 5
EXIT_VERIFY = 6
EXIT_BUSY = 7
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C; also for SIGTERM

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 internal error (a bug: please report it); "
    "2 wrong command-line usage (also an output folder that is, holds or lies inside "
    "the input, or holds files payproof did not write); 3 input missing, unreadable or malformed "
    "(a required table or column is absent, wrong encoding, empty file); "
    "4 rows were rejected and --strict was given; 5 invalid rules file; "
    "6 verification failed (a log, proof or signature does not check out); "
    "7 another process holds the store or log lock; "
    "130 interrupted (Ctrl-C or SIGTERM): no partial result was put in place."
)


class PayproofError(Exception):
    """An error the user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_BUG

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what]
        if self.where:
            parts.append(f"Where: {self.where}")
        if self.fix:
            parts.append(f"How to fix: {self.fix}")
        return "\n".join(parts)


class UsageError(PayproofError):
    """A command-line option has a value payproof cannot use."""

    exit_code = EXIT_USAGE


class InputError(PayproofError):
    """An input file or folder is missing, unreadable or structurally wrong."""

    exit_code = EXIT_INPUT


class RejectedRowsError(PayproofError):
    """Rows were rejected and the user asked for a strict run."""

    exit_code = EXIT_REJECTS


class RulesError(PayproofError):
    """A programme rules file is invalid."""

    exit_code = EXIT_RULES


class VerificationError(PayproofError):
    """A signature, proof, checkpoint or log does not verify."""

    exit_code = EXIT_VERIFY


class BusyError(PayproofError):
    """Another process holds the lock on a store or log."""

    exit_code = EXIT_BUSY


def out_of_memory(exc: BaseException) -> UsageError | None:
    """DuckDB's out-of-memory failure (also when Splink wraps it) as a message the user
    can act on; None for any other exception."""
    if "Out of Memory Error" not in str(exc):
        return None
    return UsageError(
        "DuckDB ran out of memory: the --memory-limit is too small for this step "
        "(it spills to disk where it can, but some steps need their working set in memory).",
        fix="Give a larger --memory-limit, e.g. 2GB or 4GB (the 1,000,000-record ghosts "
        "benchmark peaks under 2 GiB), and close other programs.",
    )
