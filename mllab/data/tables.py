"""Three generated results tables for the custom-losses assignment: predictions to score without training a model.

- ``regression_data.csv``: a continuous target ``truth`` and the predictions of three models,
  ``m1`` (good), ``m2`` (medium) and ``m3`` (poor);
- ``binary_data.csv``: a landslide classifier's output, true and predicted class (``not`` or
  ``slopeD``) and the probability of each, about a tenth of the rows being landslides;
- ``multiclass.csv``: 507 samples of nine urban land-cover classes, with a probability for each
  class and the ``reference`` class, the classes clearly imbalanced.

Nothing here is anyone's measured data: the rows are drawn from fixed seeds (numpy's
``default_rng``) and written with a fixed float format, so `mllab make-data` writes the same bytes
every time. The tables are tuned to the order of magnitude of the results a published course
module on losses and assessment metrics prints for its own tables: RMSE about 0.37 and R² about
0.77 for the good regression model; for 507 land-cover samples an overall accuracy about 0.80 and
a mean probability of the reference class (minus NLLLoss) about 0.67. Unlike that module's table,
the multiclass one makes the rare classes the hard ones, so macro and micro F1 differ clearly. The
landslide table's share of positives (a tenth) and its classifier's quality are this project's
choice. data/README.md lists the figures each table yields.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FOLDER = "tables"
REGRESSION, BINARY, MULTICLASS = "regression_data.csv", "binary_data.csv", "multiclass.csv"
FLOAT_FORMAT = "%.6f"
DECIMALS = 6
SEEDS = {REGRESSION: 20250301, BINARY: 20250302, MULTICLASS: 20250303}

# --- regression: a positive target with a standard deviation near 0.8 -----------------------
REGRESSION_ROWS = 300
TRUTH_SHAPE, TRUTH_SCALE = 5.0, 0.36  # gamma distribution: mean 1.8, standard deviation 0.8
# Each model's RMSE, and how much of the target's spread around its mean it follows (the rest
# of its error is noise): a weaker model is pulled further towards the mean.
MODELS = {"m1": (0.37, 0.85), "m2": (0.52, 0.6), "m3": (0.68, 0.35)}

# --- binary: landslide (slopeD) or not -------------------------------------------------------
NEGATIVE, POSITIVE = "not", "slopeD"
BINARY_ROWS = 1000
POSITIVE_SHARE = 0.10
# The classifier's logit of slopeD for each true class: mean and standard deviation.
LOGITS = {NEGATIVE: (-4.2, 1.9), POSITIVE: (2.4, 2.0)}

# --- multiclass: nine land-cover classes, the rare ones hard to recognise ---------------------
# class: (rows, share of them predicted right, the classes it is mistaken for)
LAND_COVER = {
    "asphalt": (45, 0.84, ("shadow", "concrete")),
    "building": (100, 0.86, ("concrete", "car")),
    "car": (18, 0.55, ("building", "concrete", "asphalt")),
    "concrete": (95, 0.86, ("building", "soil", "car")),
    "grass": (85, 0.82, ("tree", "soil")),
    "pool": (12, 0.58, ("shadow", "building")),
    "shadow": (45, 0.80, ("asphalt", "tree", "pool")),
    "soil": (20, 0.50, ("concrete", "grass")),
    "tree": (87, 0.80, ("grass", "shadow")),
}
CLASSES = tuple(sorted(LAND_COVER))  # the probability columns, in alphabetical order
COLUMN = {name: i for i, name in enumerate(CLASSES)}
SHARPNESS = 1.9  # what the logits are multiplied by before the softmax: larger is more confident


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(values, DECIMALS)


# --- regression ------------------------------------------------------------------------------


def _model_prediction(truth: np.ndarray, rmse: float, follows: float, rng: np.random.Generator) -> np.ndarray:
    """A prediction of ``truth`` whose error, part shrinkage to the mean and part noise, has RMS ``rmse``."""
    error = (follows - 1) * (truth - truth.mean()) + rng.normal(0, 1, truth.size)
    return truth + error * (rmse / np.sqrt(np.mean(error**2)))


def regression_table(seed: int = SEEDS[REGRESSION]) -> pd.DataFrame:
    """Columns truth, m1, m2, m3: a target and three models of decreasing quality."""
    rng = np.random.default_rng(seed)
    truth = _rounded(rng.gamma(TRUTH_SHAPE, TRUTH_SCALE, REGRESSION_ROWS))
    table = {"truth": truth}
    for name, (rmse, follows) in MODELS.items():
        table[name] = _rounded(_model_prediction(truth, rmse, follows, rng))
    return pd.DataFrame(table)


# --- binary ----------------------------------------------------------------------------------


def _probability_of_positive(logits: np.ndarray) -> np.ndarray:
    """The sigmoid of ``logits``, rounded, kept off 0, 1 and an exact tie at 0.5."""
    step = 10.0**-DECIMALS
    prob = np.clip(_rounded(1 / (1 + np.exp(-logits))), step, 1 - step)
    return np.where(prob == 0.5, 0.5 + step, prob)


def binary_table(seed: int = SEEDS[BINARY]) -> pd.DataFrame:
    """Columns truth, predicted, prob_not, prob_fail (the probability of slopeD); rows sum to 1."""
    rng = np.random.default_rng(seed)
    positives = round(POSITIVE_SHARE * BINARY_ROWS)
    truth = rng.permutation(np.array([POSITIVE] * positives + [NEGATIVE] * (BINARY_ROWS - positives)))
    mean = np.where(truth == POSITIVE, LOGITS[POSITIVE][0], LOGITS[NEGATIVE][0])
    spread = np.where(truth == POSITIVE, LOGITS[POSITIVE][1], LOGITS[NEGATIVE][1])
    prob_fail = _probability_of_positive(rng.normal(mean, spread))
    prob_not = _rounded(1 - prob_fail)
    predicted = np.where(prob_fail > prob_not, POSITIVE, NEGATIVE)
    return pd.DataFrame({"truth": truth, "predicted": predicted, "prob_not": prob_not, "prob_fail": prob_fail})


# --- multiclass ------------------------------------------------------------------------------


def _predicted_classes(reference: str, rng: np.random.Generator) -> list[str]:
    """For each row of ``reference``: itself if the row is predicted right, else a class it is mistaken for."""
    rows, recall, mistaken_for = LAND_COVER[reference]
    right = round(recall * rows)
    wrong = list(rng.choice(mistaken_for, rows - right))
    return list(rng.permutation([reference] * right + wrong))


def _probabilities(reference: str, predicted: str, rng: np.random.Generator) -> np.ndarray:
    """One row of probabilities: ``predicted`` the most likely, the reference and its look-alikes next."""
    logits = rng.normal(0, 1, len(CLASSES))
    logits[COLUMN[reference]] += 1.0
    for other in LAND_COVER[reference][2]:
        logits[COLUMN[other]] += 0.5
    logits[COLUMN[predicted]] = np.delete(logits, COLUMN[predicted]).max() + rng.uniform(0.2, 2.5)
    prob = np.exp(SHARPNESS * (logits - logits.max()))
    return prob / prob.sum()


def _rounded_to_sum_one(prob: np.ndarray) -> np.ndarray:
    """``prob`` rounded (none to 0, so its log is finite), its largest entry set so the written row sums to 1."""
    prob = np.maximum(_rounded(prob), 10.0**-DECIMALS)
    top = prob.argmax()
    prob[top] = _rounded(1 - (prob.sum() - prob[top]))
    return prob


def multiclass_table(seed: int = SEEDS[MULTICLASS]) -> pd.DataFrame:
    """507 rows: one probability column per land-cover class (alphabetical), then ``reference``."""
    rng = np.random.default_rng(seed)
    pairs = [(reference, predicted) for reference in CLASSES for predicted in _predicted_classes(reference, rng)]
    pairs = [pairs[i] for i in rng.permutation(len(pairs))]
    prob = np.array([_rounded_to_sum_one(_probabilities(ref, pred, rng)) for ref, pred in pairs])
    table = pd.DataFrame(prob, columns=list(CLASSES))
    table["reference"] = [reference for reference, _ in pairs]
    return table


# --- writing ---------------------------------------------------------------------------------


def write_tables(data_dir: Path) -> list[Path]:
    """Write the three tables into ``data_dir``/tables and return their paths."""
    folder = Path(data_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in ((REGRESSION, regression_table()), (BINARY, binary_table()), (MULTICLASS, multiclass_table())):
        table.to_csv(folder / name, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        written.append(folder / name)
    return written
