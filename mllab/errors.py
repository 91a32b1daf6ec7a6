"""Errors the course tools raise on purpose; the CLI turns each into a message and an exit code."""


class MllabError(Exception):
    """Base class: a problem the user can fix, with a message saying how."""

    exit_code = 1


class UsageError(MllabError):
    """A wrong argument or an unknown assignment/student."""

    exit_code = 2


class DataFileMissing(MllabError):
    """A data file the course needs is not on disk."""

    exit_code = 3


class DataVerificationError(MllabError):
    """A downloaded or converted data file is not what it should be."""

    exit_code = 4


class PipelineError(MllabError):
    """An nbgrader step failed."""

    exit_code = 5
