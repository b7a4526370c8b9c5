"""Figures of the survival analysis (matplotlib, Agg): filled in below."""


def make_figures(estimates, curves):
    return {}
