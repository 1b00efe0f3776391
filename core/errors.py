"""Errors written for the analyst: each message says what is wrong and what to do about it."""


class SynthBalanceError(Exception):
    """Base of every error the app shows to the user instead of a traceback."""


class DataError(SynthBalanceError, ValueError):
    """The table, a column or the target cannot be used as given."""


class ConfigError(SynthBalanceError, ValueError):
    """A setting (method, parameter, ratio, rule) is out of its allowed range."""


class GenerationError(SynthBalanceError, RuntimeError):
    """A generator could not produce the rows that were asked for."""


class GenerationCancelled(SynthBalanceError):
    """The user stopped a running generator."""


class HeldOutLeak(SynthBalanceError, AssertionError):
    """Held-out test rows reached a step that fits on data; a bug, never a user mistake."""


class ClusterError(SynthBalanceError, RuntimeError):
    """The Dask cluster cannot run our tasks (unreachable, no workers, other versions, a failure on its side)."""
