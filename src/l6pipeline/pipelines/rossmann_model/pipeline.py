"""The entity-embedding model of the lesson on the ``rossmann_data`` feature tables.

labelled rows -> windows cut from their end (``W1`` the latest) -> LR finder on the rows before
every window -> the procedure (Categorify / FillMissing / Normalize fitted on the prefix,
networks, LightGBM) on each prefix, oldest first: the choices (epoch, rounds, blend weight,
scale) made on one window, the backtest measured on the next -> the served model refitted on
every labelled row with the choices made on ``W1`` -> metrics by role, figures, worst stores,
Kaggle submission, the model in MLflow. Details: ``docs/rossmann_model.md``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.rossmann_model import nodes
from l6pipeline.rossmann.model import report
from l6pipeline.rossmann.serving.inference import carried_tables

PARAMS = "params:rossmann_model"
REFIT = f"{PARAMS}.refit"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.select_rows,
                [
                    "rossmann_train_features",
                    "rossmann_test_features",
                    PARAMS,
                    "params:rossmann_data.recent_sales",
                ],
                ["rossmann_model_rows", "rossmann_backtest_windows"],
                name="select_rows",
            ),
            Node(
                nodes.find_learning_rate,
                ["rossmann_model_rows", "rossmann_backtest_windows", PARAMS],
                ["rossmann_lr_finder", "rossmann_lr_finder_plot"],
                name="find_learning_rate",
            ),
            Node(
                nodes.build_procedure,
                [PARAMS, "rossmann_lr_finder"],
                "rossmann_procedure",
                name="build_procedure",
            ),
            Node(
                nodes.backtest,
                ["rossmann_model_rows", "rossmann_backtest_windows", "rossmann_procedure", REFIT],
                "rossmann_backtest",
                name="backtest",
            ),
            Node(
                nodes.refit_model,
                ["rossmann_model_rows", "rossmann_backtest", "rossmann_procedure", REFIT],
                ["rossmann_model", "rossmann_processors", "rossmann_refit_seconds"],
                name="refit_model",
            ),
            Node(
                nodes.backtest_outputs,
                "rossmann_backtest",
                [
                    "rossmann_backtest_predictions",
                    "rossmann_learning_curve",
                    "rossmann_lightgbm_curve",
                ],
                name="backtest_outputs",
            ),
            Node(
                nodes.report_metrics,
                [
                    "rossmann_backtest",
                    "rossmann_model",
                    "rossmann_model_rows",
                    "rossmann_refit_seconds",
                ],
                ["rossmann_model_metrics", "rossmann_model_summary"],
                name="report_metrics",
            ),
            Node(
                report.worst_stores,
                [
                    "rossmann_backtest_predictions",
                    "rossmann_model_rows",
                    f"{PARAMS}.report.worst_stores",
                ],
                "rossmann_worst_stores",
                name="worst_stores",
            ),
            Node(
                report.learning_curve_figure,
                ["rossmann_learning_curve", "rossmann_lightgbm_curve", "rossmann_model_summary"],
                "rossmann_learning_curve_plot",
                name="plot_learning_curve",
            ),
            Node(
                nodes.plot_predicted_vs_actual,
                ["rossmann_backtest_predictions", "rossmann_model_summary"],
                "rossmann_predicted_vs_actual_plot",
                name="plot_predicted_vs_actual",
            ),
            Node(
                nodes.plot_embeddings,
                [
                    "rossmann_model",
                    "rossmann_processors",
                    "rossmann_model_rows",
                    f"{PARAMS}.report",
                ],
                "rossmann_embeddings_plot",
                name="plot_embeddings",
            ),
            Node(
                nodes.predict_test,
                ["rossmann_model", "rossmann_processors", "rossmann_test_features"],
                "rossmann_submission",
                name="predict_test",
            ),
            Node(
                nodes.log_model,
                {
                    "model": "rossmann_model",
                    "processors": "rossmann_processors",
                    "validated_train": "validated_train",
                    "validated_test": "validated_test",
                    "data_params": "params:rossmann_data",
                    "name": "params:rossmann_predict.model_name",
                    # the tables the served model's row steps read, as training saved them
                    **{table: table for table in carried_tables()},
                },
                None,
                name="log_model_to_mlflow",
            ),
        ]
    )
