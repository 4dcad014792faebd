"""PyTorch models (nn.Modules only, no tracking state), their builder and checkpoint loading.

Entry points: :func:`builder.build_model` (ModelConfig -> SiameseModel),
:func:`checkpoint.load_checkpoint`, :func:`reference_weights.build_reference_state_dict`.
"""
