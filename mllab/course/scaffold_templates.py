"""What `mllab new-assignment NAME` writes: a worked example of one graded task, ready to run.

The example is a Huber loss (``torch.nn.HuberLoss``): quadratic for small errors, linear beyond
``delta``. It shows every part of a graded task once: the task's text, the stub whose docstring
`mllab release` writes from the contract, a visible check that fails with the most common mistake's
own message, a hidden check with partial credit (two parts), two named mistakes, two correct
alternatives and a demo class. ``$name`` and ``$title`` are filled in with string.Template.
"""

from __future__ import annotations

HEADER = """\
# $title

This session is a new assignment made by `mllab new-assignment`. Describe what it is about here,
then replace the worked example below by your own tasks (the course's documentation, *Adding a
session*, goes through each part).

| # | topic | points |
| --- | --- | --- |
| 1 | the Huber loss | 10 |
"""

TASKS = 'TASKS = {"1": "the Huber loss"}'

TASK_TEXT = r"""## 1. The Huber loss — 10 points

The mean squared error punishes a large error quadratically, so a few outliers can dominate it.
The Huber loss (`torch.nn.HuberLoss`) is quadratic for small errors and linear beyond a threshold
$\delta$ (`delta`):

$$\ell(e) = \begin{cases} \tfrac12 e^2 & |e| \le \delta \\ \delta\,\bigl(|e| - \tfrac12\delta\bigr) & |e| > \delta \end{cases}
\qquad \text{loss} = \frac1n \sum_{i=1}^n \ell(\hat y_i - y_i).$$

Both pieces meet at $|e| = \delta$ with the same value and slope. For the errors
$0.5, 2, -1, 2$ and $\delta = 1$ the four terms are $0.125, 1.5, 0.5, 1.5$: the loss is $0.90625$.

**Task 1 (10 points).** Implement `huber_loss(input, target, delta=1.0)` with torch math (not
`torch.nn.functional.huber_loss`). The check compares it with torch's Huber loss on random inputs
with the default `delta` (6 points) and with other values of `delta` (4 points).
"""

SOLUTION = """\
def huber_loss(input, target, delta=1.0):
    ### BEGIN SOLUTION
    error = (input - target).abs()
    quadratic = 0.5 * error ** 2
    linear = delta * (error - 0.5 * delta)
    return torch.where(error <= delta, quadratic, linear).mean()
    ### END SOLUTION"""

TEST = '''\
### BEGIN HIDDEN TESTS
from mllab.checks import $name as hidden
_points = hidden.huber_own(huber_loss, points=10)
### END HIDDEN TESTS
@visible_check("1", "huber_loss of the example is 0.90625, as torch's")
def _check():
    _input = torch.tensor([0.5, 2.0, -1.0, 3.0])
    _target = torch.tensor([0.0, 0.0, 0.0, 1.0])
    _result = float(huber_loss(_input, _target))
    _error = (_input - _target).abs()
    _without_half = float(torch.where(_error <= 1.0, _error ** 2, _error - 0.5).mean())
    assert abs(_result - _without_half) > 1e-6, "the quadratic part is ½·error², not error²"
    _expected = float(torch.nn.functional.huber_loss(_input, _target))
    assert abs(_result - _expected) < 1e-6, f"huber_loss gives {_result:.5f}, torch {_expected:.5f}"


### BEGIN HIDDEN TESTS
_points
### END HIDDEN TESTS'''

HAND_IN = """\
### Before you hand in: the self-check

Run the cell below last. It runs every visible check again and prints one line per task: ✓ when
the task passes its visible checks, ✗ with what went wrong otherwise. The grader runs more checks on
fresh inputs, so a ✓ is a good sign, not a promise.

On the course's JupyterHub, save the notebook and click *Submit* next to `$name` in the
*Assignments* tab; anywhere else, hand in the file `$name.ipynb` where your instructor says.
"""

CHECKS = '''\
"""Hidden tests of the `$name` assignment: one function per graded cell (made by `mllab new-assignment`).

Each check calls the student's function on fresh seeded inputs (``generator``: the same inputs at a
regrade, other inputs for another submission) and compares the result with a reference computed here.
It returns the cell's points as a plain float: all of them, or a share by the weights of the parts
that pass (partial credit), or it raises with the reason when no part passes. A typical mistake's
explanation is a named mistake, ``mistake(id, text)``: the student reads the text, the class report
counts the id.

``CONTRACTS`` states what each graded function receives and returns. `mllab release` writes it into the
stub's docstring, and `mllab check-tests $name` checks that every call a check makes keeps it and that
each convention is tested by a case whose label contains the convention's ``case``.
"""

from __future__ import annotations

import torch

from mllab.checks.common import cases_part, generator, own_result, recorded
from mllab.checks.contracts import FLOAT, TENSOR, Arg, Contract, Convention
from mllab.grading.findings import mistake
from mllab.grading.scoring import score

F32, F64 = torch.float32, torch.float64
FLOATS = ("float32", "float64")

CONTRACTS = (
    Contract(
        "huber_loss", "huber_own",
        "The Huber loss averaged over all elements: ½·e² where |e| ≤ delta, delta·(|e| − ½·delta) beyond, "
        "with torch math only.",
        (Arg("input", (TENSOR,), "a float32 or float64 tensor of any shape: the predictions", dtypes=FLOATS),
         Arg("target", (TENSOR,), "a tensor of the same shape and dtype: the true values", dtypes=FLOATS,
             same_shape_as="input"),
         Arg("delta", (FLOAT,), "where the loss turns from quadratic to linear, a float from 0.1 to 10 "
             "(default 1.0)", low=0.1, high=10.0, optional=True)),
        "a single number (Python float, NumPy scalar or 0-d tensor)",
        (Convention("delta is a parameter: with delta=0.5 the loss turns linear at |e| = 0.5, not at 1",
                    "delta 0.5"),),
    ),
)


def _default_cases():
    """(label, dtype, input, target, delta) with the default delta (None: not passed)."""
    g = generator(3101)
    for shape in [(50,), (8, 6)]:
        for dtype in (F32, F64):
            yield (f"{shape} {dtype} inputs", dtype, 2 * torch.randn(shape, generator=g, dtype=dtype),
                   torch.randn(shape, generator=g, dtype=dtype), None)
    target = torch.randn(20, generator=g, dtype=F64)
    small = 0.8 * (torch.rand(20, generator=g, dtype=F64) - 0.5)
    yield "every error within delta (|e| < 0.4)", F64, target + small, target, None


def _delta_cases():
    g = generator(3102)
    for delta in (0.5, 2.0):
        target = torch.randn(40, generator=g, dtype=F64)
        yield (f"delta {delta}, errors on both sides of it", F64,
               target + 3 * delta * torch.randn(40, generator=g, dtype=F64), target, delta)


def _reference(input, target, delta):
    return torch.nn.functional.huber_loss(input.double(), target.double(), delta=1.0 if delta is None else delta)


def _mistakes(input, target, delta):
    error, delta = (input - target).double().abs(), 1.0 if delta is None else delta
    return {
        mistake("huber.no_half", "the quadratic part is ½·error², not error²"):
            torch.where(error <= delta, error ** 2, delta * (error - 0.5 * delta)).mean(),
        mistake("huber.delta_ignored", "delta is ignored: the loss turns linear at |error| = 1 whatever delta is"):
            torch.where(error <= 1.0, 0.5 * error ** 2, error - 0.5).mean(),
    }


@recorded
def huber_own(huber_loss, *, points: float) -> float:
    """`huber_loss(input, target, delta=1.0)` with torch math only: 6 of 10 parts with the default delta."""
    def run(input, target, delta):
        given = {} if delta is None else {"delta": delta}
        return own_result(huber_loss, input, target, what="huber_loss", **given)

    return score([cases_part("huber_loss with the default delta", run, _default_cases, reference=_reference,
                             mistakes=_mistakes, weight=6),
                  cases_part("huber_loss with other values of delta", run, _delta_cases, reference=_reference,
                             mistakes=_mistakes, weight=4)], points=points)
'''

CORPUS = '''\
"""The evidence for `$name`'s hidden checks (made by `mllab new-assignment`), read by `mllab check-tests $name`.

ALTERNATIVES: correct solutions written differently; each must earn full marks. MISTAKES: typical
mistakes, each with the cells it must lose points in and a phrase of its named mistake's message; the
first mistake of a task is its most common one, and the task's visible check must fail for it.
DEMO: the demo class `mllab demo-class $name` hands in.
"""

from __future__ import annotations

from mllab.classes.corpus import Mutation, mistake
from mllab.classes.demo import DemoStudent, Patch, Rewrite

HUBER = "1 Huber"
TEST_CELLS = frozenset({"test_huber_own"})

DELTA_IGNORED = Rewrite("huber_own", """
def huber_loss(input, target, delta=1.0):
    error = (input - target).abs()
    return torch.where(error <= 1.0, 0.5 * error ** 2, error - 0.5).mean()
""")

ALTERNATIVES = [
    Mutation(HUBER, "the clamped form ½·q² + delta·(|e| − q), q = min(|e|, delta)", Rewrite("huber_own", """
def huber_loss(input, target, delta=1.0):
    error = (input - target).abs()
    q = torch.clamp(error, max=delta)
    return (0.5 * q ** 2 + delta * (error - q)).mean()
""")),
    Mutation(HUBER, "a Python loop returning a float", Rewrite("huber_own", """
def huber_loss(input, target, delta=1.0):
    total, count = 0.0, 0
    for e in (input - target).reshape(-1).tolist():
        total += 0.5 * e * e if abs(e) <= delta else delta * (abs(e) - 0.5 * delta)
        count += 1
    return total / count
""")),
]

MISTAKES = [
    mistake(HUBER, "no ½ in the quadratic part", Patch("huber_own", "0.5 * error ** 2", "error ** 2"),
            TEST_CELLS, "the quadratic part is ½·error²"),
    mistake(HUBER, "delta ignored", DELTA_IGNORED, TEST_CELLS,  # breaks the contract's convention "delta 0.5"
            "delta 0.5, errors on both sides of it: delta is ignored"),
]

DEMO = (
    DemoStudent("perfect", "the instructor's solution: every point"),
    DemoStudent("blank", "the release handed in unchanged", blank=True, loses=TEST_CELLS),
    DemoStudent("delta_ignored", "turns linear at |error| = 1 whatever delta is: loses the 4 points of delta",
                (DELTA_IGNORED,), loses=TEST_CELLS, mistakes=frozenset({"huber.delta_ignored"})),
)
'''

DECLARATION = """
[assignments.$name]
# Made by `mllab new-assignment $name`; `mllab remove-assignment $name` takes it out again.
due = $due
data = []  # files of data/ the notebook reads (the setup cell downloads them where data/ is absent)
checks = "mllab.checks.$name"
demo = "mllab.classes.corpus_$name:DEMO"
corpus = "mllab.classes.corpus_$name"
"""
