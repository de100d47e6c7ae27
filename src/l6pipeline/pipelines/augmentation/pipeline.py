"""The ``augmentation`` pipeline: galleries, the with/without experiment, the regularization grid."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines.augmentation import nodes


def create_pipeline(**kwargs) -> Pipeline:
    transforms = "params:augmentation.transforms"
    digits = "params:augmentation.digits"
    gallery = "params:augmentation.galleries"
    model = "params:augmentation.model"
    executor = "params:augmentation.executor"
    return Pipeline(
        [
            Node(
                nodes.split_digits,
                inputs=digits,
                outputs=["augmentation_train_digits", "augmentation_valid_digits"],
                name="augmentation_split_digits",
            ),
            Node(
                nodes.photo_galleries,
                inputs=[transforms, gallery],
                outputs="augmentation_photo_galleries",
                name="augmentation_photo_galleries",
            ),
            Node(
                nodes.digit_galleries,
                inputs=["augmentation_train_digits", transforms, digits, gallery],
                outputs="augmentation_digit_galleries",
                name="augmentation_digit_galleries",
            ),
            Node(
                nodes.run_augmentation_experiment,
                inputs=[
                    "augmentation_train_digits",
                    "augmentation_valid_digits",
                    transforms,
                    digits,
                    model,
                    "params:augmentation.experiment",
                    executor,
                ],
                outputs=["augmentation_experiment_table", "augmentation_experiment_curves"],
                name="augmentation_experiment",
            ),
            Node(
                nodes.run_regularization_study,
                inputs=[
                    "augmentation_train_digits",
                    "augmentation_valid_digits",
                    transforms,
                    digits,
                    model,
                    "params:augmentation.study",
                    executor,
                ],
                outputs=["augmentation_study_table", "augmentation_study_losses"],
                name="augmentation_regularization_study",
            ),
        ]
    )
