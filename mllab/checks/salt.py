"""The name of the environment variable that carries a submission's secret salt for the checks' inputs.

A module of its own, without torch, so that `mllab autograde`'s coordinator, which only sets it for
the workers' kernels, does not pay for importing torch (see mllab.checks.common.run_seed)."""

SEED_VARIABLE = "MLLAB_CHECK_SEED"
