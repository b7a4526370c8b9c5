"""The indicators: one module per indicator, found by :func:`outcomes.registry.discover_indicators`.

Nothing lists them here. To add one, run ``outcomes indicators new CODE`` and
see the guide page *Adding an indicator*.
"""
