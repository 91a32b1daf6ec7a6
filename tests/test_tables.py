"""Are the generated results tables reproducible, committed fresh, well formed, and do they yield the
figures data/README.md states, computed with torchmetrics as students will compute them?"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
import torchmetrics.functional as tmf

from mllab.data import standin, tables
from tests.conftest import REPO

NAMES = (tables.REGRESSION, tables.BINARY, tables.MULTICLASS)
README = REPO / "data" / "README.md"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The three tables, freshly written."""
    data_dir = tmp_path_factory.mktemp("data")
    tables.write_tables(data_dir)
    return data_dir / tables.FOLDER


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name)


def multiclass_tensors(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities (507×9) and the reference's class code, coded alphabetically like LabelEncoder."""
    table = read(folder, tables.MULTICLASS)
    classes = sorted(table["reference"].unique())
    codes = table["reference"].map({name: code for code, name in enumerate(classes)})
    return torch.tensor(table[classes].to_numpy()), torch.tensor(codes.to_numpy())


def multiclass_figures(folder: Path) -> dict[str, float]:
    prob, target = multiclass_tensors(folder)
    args = {"task": "multiclass", "num_classes": 9}
    return {"accuracy": tmf.accuracy(prob, target, **args).item(),
            "micro F1": tmf.f1_score(prob, target, average="micro", **args).item(),
            "macro F1": tmf.f1_score(prob, target, average="macro", **args).item()}


def regression_figures(folder: Path) -> dict[str, tuple[float, float]]:
    """RMSE and R² of each model."""
    table = read(folder, tables.REGRESSION)
    truth = torch.tensor(table["truth"].to_numpy())
    figures = {}
    for model in ("m1", "m2", "m3"):
        pred = torch.tensor(table[model].to_numpy())
        figures[model] = (tmf.mean_squared_error(pred, truth, squared=False).item(), tmf.r2_score(pred, truth).item())
    return figures


def binary_tensors(folder: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """prob_fail, the predicted class and the true class (1 = slopeD)."""
    table = read(folder, tables.BINARY)
    return (torch.tensor(table["prob_fail"].to_numpy()),
            torch.tensor((table["predicted"] == "slopeD").to_numpy()).long(),
            torch.tensor((table["truth"] == "slopeD").to_numpy()).long())


# --- reproducible and committed ---------------------------------------------------------------


def test_the_tables_are_the_same_bytes_every_time(tmp_path):
    first = tables.write_tables(tmp_path / "first")
    second = tables.write_tables(tmp_path / "second")
    assert [p.name for p in first] == [p.name for p in second] == list(NAMES)
    for one, other in zip(first, second):
        assert one.read_bytes() == other.read_bytes(), one.name


def test_the_committed_tables_are_what_the_generator_writes(folder):
    for name in NAMES:
        committed = REPO / "data" / tables.FOLDER / name
        assert committed.is_file(), f"data/tables/{name} is missing: run `mllab make-data`"
        assert committed.read_bytes() == (folder / name).read_bytes(), f"data/tables/{name} is stale: run `mllab make-data`"


def test_mllab_make_data_writes_the_tables_too(tmp_path):
    standin.make_data(tmp_path)
    assert sorted(p.name for p in (tmp_path / tables.FOLDER).iterdir()) == sorted(NAMES)


# --- multiclass -------------------------------------------------------------------------------


def test_the_multiclass_table_has_507_rows_whose_probabilities_sum_to_one(folder):
    table = read(folder, tables.MULTICLASS)
    classes = list(table.columns[:-1])
    assert len(table) == 507 and len(classes) == 9 and table.columns[-1] == "reference"
    assert classes == sorted(classes) == sorted(table["reference"].unique())  # column i is class code i
    prob = table[classes].to_numpy()
    assert (prob > 0).all() and (prob < 1).all()  # every log is finite
    assert abs(prob.sum(axis=1) - 1).max() < 1e-5


def test_the_multiclass_accuracy_is_about_0_8_and_macro_f1_differs_from_micro(folder):
    figures = multiclass_figures(folder)
    assert 0.78 <= figures["accuracy"] <= 0.83
    assert figures["micro F1"] == pytest.approx(figures["accuracy"])
    assert figures["micro F1"] - figures["macro F1"] >= 0.05


def test_the_land_cover_classes_are_imbalanced(folder):
    counts = read(folder, tables.MULTICLASS)["reference"].value_counts()
    assert len(counts) == 9 and counts.min() >= 10
    assert counts.max() >= 5 * counts.min()


def test_the_nll_loss_of_the_multiclass_table_is_about_minus_two_thirds(folder):
    prob, target = multiclass_tensors(folder)
    assert -0.72 <= torch.nn.NLLLoss()(prob, target).item() <= -0.6


# --- binary -----------------------------------------------------------------------------------


def test_about_a_tenth_of_the_binary_rows_are_slopeD(folder):
    table = read(folder, tables.BINARY)
    assert set(table["truth"]) == set(table["predicted"]) == {"not", "slopeD"}
    assert 0.08 <= (table["truth"] == "slopeD").mean() <= 0.12


def test_each_binary_row_sums_to_one_and_predicts_its_more_likely_class(folder):
    table = read(folder, tables.BINARY)
    assert list(table.columns) == ["truth", "predicted", "prob_not", "prob_fail"]
    assert abs(table["prob_not"] + table["prob_fail"] - 1).max() < 1e-9
    assert ((table["prob_fail"] > 0) & (table["prob_fail"] < 1) & (table["prob_fail"] != 0.5)).all()
    assert (table["predicted"] == table["prob_fail"].gt(table["prob_not"]).map({True: "slopeD", False: "not"})).all()


def test_the_landslide_classifier_is_good_but_not_perfect(folder):
    prob_fail, predicted, truth = binary_tensors(folder)
    assert 0.9 <= tmf.accuracy(predicted, truth, task="binary").item() < 0.99
    assert 0.7 <= tmf.f1_score(predicted, truth, task="binary").item() < 0.95
    assert 0.05 <= torch.nn.BCELoss()(prob_fail, truth.double()).item() <= 0.2


# --- regression -------------------------------------------------------------------------------


def test_the_three_regression_models_differ_in_quality(folder):
    figures = regression_figures(folder)
    (rmse1, r2_1), (rmse2, r2_2), (rmse3, r2_3) = figures["m1"], figures["m2"], figures["m3"]
    assert rmse1 + 0.1 < rmse2 and rmse2 + 0.1 < rmse3
    assert r2_1 - 0.15 > r2_2 and r2_2 - 0.15 > r2_3 > 0


def test_the_good_regression_model_is_of_the_order_the_tables_were_tuned_to(folder):
    rmse, r2 = regression_figures(folder)["m1"]
    assert rmse == pytest.approx(0.37, abs=0.01) and r2 == pytest.approx(0.77, abs=0.03)
    assert len(read(folder, tables.REGRESSION)) == tables.REGRESSION_ROWS


# --- documented -------------------------------------------------------------------------------


def test_the_data_readme_states_the_figures_the_tables_yield(folder):
    readme = README.read_text(encoding="utf-8")
    assert "Results tables (`tables/`)" in readme and "mllab/data/tables.py" in readme
    for name in NAMES:
        assert f"`tables/{name}`" in readme, name
    stated = [f"{value:.3f}" for value in multiclass_figures(folder).values()]
    stated += [f"{value:.3f}" for pair in regression_figures(folder).values() for value in pair]
    prob_fail, predicted, truth = binary_tensors(folder)
    stated += [f"{truth.double().mean().item():.3f}", f"{tmf.accuracy(predicted, truth, task='binary').item():.3f}",
               f"{tmf.f1_score(predicted, truth, task='binary').item():.3f}"]
    p, t = prob_fail, truth.double()
    stated += [f"{torch.nn.BCELoss()(p, t).item():.4f}", f"{(1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)).item():.3f}"]
    missing = [value for value in stated if value not in readme]
    assert not missing, f"data/README.md does not state {missing}: update its section on the tables"
