"""Training: a step-wise, cancellable engine (:mod:`.engine`) that never touches torch's global RNG, and the
experiments the pages run on it (:mod:`.recall`: small LSTMs on the long-memory recall task)."""

from dropviz.train.recall import (
    LIMITS,
    Experiment,
    ExperimentConfig,
    History,
    RecallNet,
    TaskPreview,
    TrainConfig,
    run_experiment,
    task_preview,
    train,
)

__all__ = ["LIMITS", "Experiment", "ExperimentConfig", "History", "RecallNet", "TaskPreview", "TrainConfig",
           "run_experiment", "task_preview", "train"]
