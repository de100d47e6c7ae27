"""The ``cnn`` pipeline: images -> the lesson's spreadsheet and kernels -> a small CNN ->
heatmaps (channel mean, Grad-CAM) -> measured localization (the pointing game)."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.cnn import nodes


def create_pipeline(**kwargs) -> Pipeline:
    data = "params:cnn.data"
    classifier = "params:cnn.classifier"
    classifier_train = "params:cnn.classifier.train"
    localization = "params:cnn.localization"
    return Pipeline(
        [
            Node(nodes.load_images, inputs=data, outputs="cnn_images", name="cnn_load_images"),
            Node(
                nodes.split_images,
                inputs=["cnn_images", data],
                outputs=["cnn_train_images", "cnn_valid_images", "cnn_test_images"],
                name="cnn_split_images",
            ),
            Node(
                nodes.spreadsheet_figures,
                inputs=["cnn_test_images", "params:cnn.spreadsheet"],
                outputs="cnn_spreadsheet_figures",
                name="cnn_spreadsheet",
            ),
            Node(
                nodes.kernel_figures,
                inputs=["cnn_test_images", "params:cnn.kernels"],
                outputs="cnn_kernel_figures",
                name="cnn_kernels",
            ),
            Node(
                nodes.train_cnn,
                inputs=["cnn_train_images", "cnn_valid_images", classifier],
                outputs="cnn_classifier",
                name="cnn_train_classifier",
            ),
            Node(
                nodes.evaluate_cnn,
                inputs=["cnn_classifier", "cnn_test_images", classifier_train],
                outputs="cnn_classifier_metrics",
                name="cnn_evaluate_classifier",
            ),
            Node(
                nodes.heatmap_figures,
                inputs=[
                    "cnn_classifier",
                    "cnn_test_images",
                    classifier_train,
                    "params:cnn.classifier.heatmaps",
                ],
                outputs="cnn_heatmap_figures",
                name="cnn_heatmaps",
            ),
            Node(
                nodes.save_cnn,
                inputs=["cnn_classifier", "cnn_test_images"],
                outputs="cnn_classifier_checkpoint",
                name="cnn_save_classifier",
            ),
            Node(
                nodes.localization_sets,
                inputs=["cnn_train_images", "cnn_valid_images", "cnn_test_images", localization],
                outputs=["cnn_canvas_train", "cnn_canvas_valid", "cnn_canvas_test"],
                name="cnn_localization_sets",
            ),
            Node(
                nodes.train_localizer,
                inputs=["cnn_canvas_train", "cnn_canvas_valid", localization],
                outputs="cnn_localizer",
                name="cnn_train_localizer",
            ),
            Node(
                nodes.pointing_game_scores,
                inputs=["cnn_localizer", "cnn_canvas_test", localization],
                outputs=["cnn_pointing_game", "cnn_localization_figures"],
                name="cnn_pointing_game",
            ),
            Node(
                nodes.checkpoint,
                inputs="cnn_localizer",
                outputs="cnn_localizer_checkpoint",
                name="cnn_save_localizer",
            ),
            Node(
                nodes.training_curves,
                inputs=["cnn_classifier", "cnn_localizer"],
                outputs="cnn_training_curves",
                name="cnn_training_curves",
            ),
            Node(
                nodes.cnn_summary,
                inputs=["cnn_classifier_metrics", "cnn_pointing_game", "cnn_localizer"],
                outputs="cnn_metrics",
                name="cnn_summary",
            ),
        ]
    )
