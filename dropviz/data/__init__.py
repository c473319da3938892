"""Data the pages and models use, all generated from a seed or shipped inside the package (nothing is
downloaded): seeded tensors (:mod:`.tensors`), sequence tasks (:mod:`.sequences`), and the bundled cat plus
robust loading of uploads (:mod:`.images`, the only part that needs Pillow; import it explicitly), scikit-learn's
bundled digits (:mod:`.digits`, imported lazily) and generated 2-D tasks (:mod:`.tasks2d`)."""

from dropviz.data.digits import Split, digits
from dropviz.data.sequences import RecallBatch, recall_task
from dropviz.data.tasks2d import TASKS, task2d
from dropviz.data.tensors import dense_activations, dense_layer, gallery_image, gallery_input, teaching_vector

__all__ = ["TASKS", "RecallBatch", "Split", "dense_activations", "dense_layer", "digits", "gallery_image",
           "gallery_input", "recall_task", "task2d", "teaching_vector"]
