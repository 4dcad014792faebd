"""PyTorch models (nn.Modules only, no tracking state), their builder and checkpoint loading,
and what runs or locates them: network backends, the PySOT experiment-config reader, the
bundled files, the OpenCV baseline trackers.

Entry points: :func:`builder.build_model` (ModelConfig -> SiameseModel),
:func:`checkpoint.load_checkpoint`, :func:`reference_weights.build_reference_state_dict`,
:func:`pysot_config.load_pysot_config`, :func:`bundled_files.find_bundled_file`.
"""
