"""The ``results.csv`` schema shared by the grid runner (writer) and the report (reader).

``n_test`` is the number of test predictions a score counts (samples, or labelled steps for sequence labels): an
accuracy moves in steps of 1/n_test. ``test_loss`` is the training loss on the test split (cross-entropy for
classification; MSE of standardised targets for regression). ``naive_*`` columns are the dataset's trivial baselines
on the same test split, which a reproduction judges findings against (``naive_baseline`` of the DataModule, its
``test/`` prefix dropped); the majority class, training mean and persistence forecast also get rows of their own
(``archbench.results``).
"""

RESULT_COLUMNS = [
    "dataset", "arch", "kind", "seed", "status", "n_test",
    "test_mse", "test_mae", "test_r2", "test_accuracy", "test_f1", "test_auroc", "test_loss",
    "naive_mse_predict_1", "naive_loss_memoryless",
    "params", "train_time_s", "test_time_s", "time_per_epoch_s", "epochs", "best_epoch", "latency_us", "peak_mem_mb",
    "gen_gap", "grad_norm_max", "grad_norm_median", "log_dir", "error", "reused",
]  # fmt: skip

PRIMARY_METRIC = {"regression": "test_mse", "classification": "test_accuracy"}

LOWER_IS_BETTER = {
    "test_mse": True,
    "test_mae": True,
    "test_r2": False,
    "test_accuracy": False,
    "test_f1": False,
    "test_auroc": False,
}

# The trivial predictors every network must beat, by their row name, and how the report names them.
TRIVIAL_ROWS = {"majority_class": "the majority class", "train_mean": "the mean", "persistence": "persistence"}

# Classification scores counted over whole test samples: their resolution is 1/n_test.
RESOLUTION_METRICS = {"test_accuracy", "test_f1", "test_auroc"}

COST_COLUMNS = [
    "params", "train_time_s", "time_per_epoch_s", "latency_us", "peak_mem_mb", "gen_gap", "grad_norm_max",
]  # fmt: skip

# Where each metric's values can lie; confidence intervals of a mean are clipped to it. R² has no lower bound.
METRIC_RANGE = {
    "test_mse": (0.0, float("inf")),
    "test_mae": (0.0, float("inf")),
    "test_r2": (float("-inf"), 1.0),
    "test_accuracy": (0.0, 1.0),
    "test_f1": (0.0, 1.0),
    "test_auroc": (0.0, 1.0),
}
