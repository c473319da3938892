"""Training: a step-wise, cancellable engine (:mod:`.engine`) that never touches torch's global RNG, and the
experiments the pages run on it (:mod:`.recall`: small LSTMs on the long-memory recall task; :mod:`.lab`: small
MLPs on digits and 2-D tasks, with and without dropout)."""

from dropviz.train.lab import LabConfig, LabResult, RunConfig, RunResult, run_lab, run_many, train_run
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

__all__ = ["LIMITS", "Experiment", "ExperimentConfig", "History", "LabConfig", "LabResult", "RecallNet", "RunConfig",
           "RunResult", "TaskPreview", "TrainConfig", "run_experiment", "run_lab", "run_many", "task_preview", "train",
           "train_run"]
