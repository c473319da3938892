"""Data the pages and models use, all generated from a seed or shipped inside the package (nothing is
downloaded): seeded tensors (:mod:`.tensors`), sequence tasks (:mod:`.sequences`), and the bundled cat plus
robust loading of uploads (:mod:`.images`, the only part that needs Pillow; import it explicitly)."""

from dropviz.data.sequences import RecallBatch, recall_task
from dropviz.data.tensors import dense_activations, dense_layer, gallery_image, gallery_input, teaching_vector

__all__ = ["RecallBatch", "dense_activations", "dense_layer", "gallery_image", "gallery_input", "recall_task",
           "teaching_vector"]
