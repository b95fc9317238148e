"""The small learned detector: data, patch sampling, augmentation, training and evaluation.

- `huiyan.learn.patches`: the deterministic patch sampling shared by training and inference.
- `huiyan.learn.dataset`: the manifest of ../shared/data read into labelled samples with their
  leave-one-out group (generator for generated images, source repository for real ones), the
  folds, and the augmented patch pool (random resize 0.5-1.5, blur, JPEG quality 60-100 applied
  to both classes, crop).
- `huiyan.learn.evaluate`: onnxruntime scoring of whole images, the four evaluation protocols
  (delivered, stripped, laundered, resized) and AUC / TPR / FPR metrics.
- `huiyan.learn.train` (needs the optional `train` extra, CPU torch): the network, the training
  loop, ONNX export and the leave-one-generator-out run (`python -m huiyan.learn.train`).

Only `huiyan/learn/train*.py` imports torch; inference uses onnxruntime.
"""
