"""Logistic regressions of placement, their Firth versions, marginal effects and output checks.

A model here is a named design matrix (columns are terms) plus metadata per
term: which referrals the term's cells are counted over, and the binary
column whose cells they are. :func:`fit_logit` fits it by maximum likelihood
(statsmodels ``Logit``; standard errors clustered by local authority, and
separately by child), detects separation (linear programme of Konis, 2007, as
``firthmodels.detect_separation`` implements it), fits Firth's penalised
likelihood (``firthmodels``) and applies the output checks a trusted research
environment applies to regressions (:func:`disclosure_check`).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.linalg
from scipy import special, stats

MIN_RESIDUAL_DF = 10
"""Smallest residual degrees of freedom a regression may be released with (SACRO's ``acro`` uses 10)."""

Z95 = float(stats.norm.ppf(0.975))


def one_blas_thread():
    """A context that limits BLAS to one thread while fitting.

    The matrices are small (thousands by tens): a multithreaded BLAS spends more
    time starting threads than multiplying, and on a shared machine it is many
    times slower. threadpoolctl comes with scikit-learn, which firthmodels needs.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@dataclass(frozen=True)
class Term:
    """One column of a design and what its estimate rests on.

    ``support`` marks the referrals the term is about (its year, or those for
    whom the behaviour is recorded); ``indicator`` is the 0/1 column whose
    cells (indicator x placed, within ``support``) the estimate rests on, or
    ``None`` for a continuous term or an intercept.
    """

    name: str
    kind: str  # "intercept", "behaviour", "covariate", "interaction", "count", "pathway"
    support: np.ndarray
    indicator: np.ndarray | None = None
    reported: bool = True


@dataclass
class Design:
    """A model's design matrix, outcome, clusters and term metadata."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    terms: dict[str, Term]
    clusters: dict[str, np.ndarray]
    description: str = ""


@dataclass
class LogitFit:
    """A fitted logistic model: ML with clustered and model covariances, the Firth fit, and what failed."""

    design: Design
    params: pd.Series
    cov: dict[str, pd.DataFrame]
    firth_params: pd.Series | None
    firth_se: pd.Series | None
    separated: list[str]
    dropped: dict[str, str]
    converged: bool
    llf: float
    aic: float
    fitted: np.ndarray
    n: int
    events: int
    df_resid: int
    notes: list[str] = field(default_factory=list)
    ml_result: object | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.params.index)

    def se(self, cov_name: str = "local_authority") -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov[cov_name].to_numpy())), index=self.params.index)


def aliased_columns(X: pd.DataFrame) -> list[str]:
    """Columns that are all zero, or linear combinations of the columns before them.

    QR without pivoting, in the design's own order (year intercepts, then
    covariates, then behaviours): ``|R[j, j]|`` is the part of column ``j``
    that the earlier columns do not explain, so a behaviour every referral of
    the group presents is the one dropped, never a year intercept (R's ``lm``
    drops aliased terms in the same order).
    """
    zero = [c for c in X.columns if not np.any(X[c].to_numpy(dtype=float))]
    kept = [c for c in X.columns if c not in zero]
    if not kept:
        return zero
    values = X[kept].to_numpy(dtype=float)
    r = scipy.linalg.qr(values, mode="r")[0]
    # With fewer referrals than columns, the columns past the last row are dependent (residual 0).
    residual = np.zeros(len(kept))
    diagonal = np.abs(np.diag(r))
    residual[: len(diagonal)] = diagonal
    norms = np.linalg.norm(values, axis=0)
    dependent = residual <= 1e-8 * norms
    return zero + [c for c, d in zip(kept, dependent, strict=True) if d]


def _cluster_codes(groups: np.ndarray) -> np.ndarray:
    return pd.factorize(pd.Series(groups), sort=True)[0]


def fit_logit(design: Design, *, firth: bool = True, detect: bool = True) -> LogitFit:
    """Fit ``design`` by maximum likelihood (and Firth's penalised likelihood when ``firth``).

    Columns that are all zero or aliased are dropped first, with the reason. The
    ML covariance is reported three ways: model-based (``model``), clustered by
    local authority (``local_authority``) and clustered by child (``child``),
    each with statsmodels' small-sample correction.
    """
    X = design.X.astype(float)
    y = design.y.astype(float)
    dropped: dict[str, str] = {}
    for column in aliased_columns(X):
        values = X[column].to_numpy()
        support = design.terms[column].support if column in design.terms else np.ones(len(X), bool)
        if not np.any(values):
            dropped[column] = "no referral in its group has it (the column is all zero)"
        elif design.terms.get(column) is not None and np.all(values[support] == 1):
            dropped[column] = "every referral in its group has it, so it cannot be told apart from the intercept"
        else:
            dropped[column] = "aliased: a linear combination of other terms"
    X = X.drop(columns=list(dropped))
    notes: list[str] = []
    n, k = X.shape
    events = int(y.sum())
    if k == 0 or events == 0 or events == n:
        raise NotEstimable(f"{design.name}: cannot be fitted ({events} of {n} referrals placed, {k} estimable terms).")

    separated: list[str] = []
    if detect:
        from firthmodels import detect_separation

        try:
            result = detect_separation(X.to_numpy(), y, fit_intercept=False)
            separated = [c for c, finite in zip(X.columns, result.is_finite, strict=True) if not finite]
        except (scipy.linalg.LinAlgError, ValueError) as error:
            notes.append(f"{design.name}: separation could not be checked ({error}).")

    try:
        ml, covariances = _maximum_likelihood(X, y, design.clusters)
    except (ZeroDivisionError, np.linalg.LinAlgError, scipy.linalg.LinAlgError, ValueError) as error:
        # Near-saturated designs (as many terms as referrals, one cluster) break the covariance formulas.
        raise NotEstimable(f"{design.name}: cannot be fitted on {n} referrals with {k} terms ({error}).") from None
    converged = bool(ml.mle_retvals.get("converged", False))
    if not converged and not separated:
        notes.append(f"{design.name}: maximum likelihood did not converge in 100 Newton steps.")

    firth_params = firth_se = None
    if firth:
        from firthmodels import FirthLogisticRegression
        from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", SkConvergenceWarning)
                penalised = FirthLogisticRegression(fit_intercept=False, max_iter=200, backend="numpy")
                penalised.fit(X.to_numpy(), y)
            firth_params = pd.Series(penalised.coef_, index=X.columns)
            firth_se = pd.Series(penalised.bse_[: X.shape[1]], index=X.columns)
        except (SkConvergenceWarning, scipy.linalg.LinAlgError, ValueError) as error:
            notes.append(f"{design.name}: the Firth fit failed ({error}); its rows are not estimable.")

    return LogitFit(
        design=design,
        params=pd.Series(ml.params.to_numpy(), index=X.columns),
        cov=covariances,
        firth_params=firth_params,
        firth_se=firth_se,
        separated=separated,
        dropped=dropped,
        converged=converged,
        llf=float(ml.llf),
        aic=float(ml.aic),
        fitted=np.asarray(ml.predict()),
        n=n,
        events=events,
        df_resid=int(n - k),
        notes=notes,
        ml_result=ml,
    )


def _maximum_likelihood(X: pd.DataFrame, y: np.ndarray, clusters: dict[str, np.ndarray]):
    """statsmodels ``Logit`` by Newton's method; covariances model-based and clustered by each of ``clusters``."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = sm.Logit(y, X)
        ml = model.fit(method="newton", maxiter=100, disp=0, warn_convergence=False)
        start = ml.params.to_numpy()
        covariances = {"model": pd.DataFrame(ml.cov_params(), index=X.columns, columns=X.columns)}
        for name, groups in clusters.items():
            codes = _cluster_codes(groups)
            if codes.max() < 1:
                raise ValueError(f"one {name.replace('_', ' ')} only: clustered standard errors need two or more")
            clustered = model.fit(
                start_params=start,
                method="newton",
                maxiter=0 if ml.mle_retvals.get("converged", False) else 100,
                disp=0,
                cov_type="cluster",
                cov_kwds={"groups": codes},
                warn_convergence=False,
            )
            covariances[name] = pd.DataFrame(clustered.cov_params(), index=X.columns, columns=X.columns)
    return ml, covariances


class NotEstimable(ValueError):
    """A model or term that cannot be estimated from these data (the message says why)."""


# --- output checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    """The 2 x 2 table behind a binary term: referrals with and without it, placed and not, within its group."""

    with_placed: int
    with_not_placed: int
    without_placed: int
    without_not_placed: int

    @property
    def n_with(self) -> int:
        return self.with_placed + self.with_not_placed

    def smallest_nonzero(self) -> int:
        values = [self.with_placed, self.with_not_placed, self.without_placed, self.without_not_placed]
        nonzero = [v for v in values if v > 0]
        return min(nonzero) if nonzero else 0


def cells(term: Term, y: np.ndarray) -> Cells | None:
    """The cells of a binary term within its support (``None`` for a continuous term)."""
    if term.indicator is None:
        return None
    x = term.indicator[term.support] > 0.5
    placed = y[term.support] > 0.5
    return Cells(int((x & placed).sum()), int((x & ~placed).sum()), int((~x & placed).sum()), int((~x & ~placed).sum()))


def disclosure_check(term: Term, y: np.ndarray, threshold: int, df_resid: int) -> str:
    """Why a term's estimate may not be released, or ``""`` if it may.

    The rules are those trusted research environments apply to regressions
    (SACRO's ``acro``, the SDC handbook): the model keeps at least
    :data:`MIN_RESIDUAL_DF` residual degrees of freedom, and no estimate rests on
    a cell of 1 to ``threshold`` referrals (for a binary term, each cell of its
    2 x 2 table with placement within its group), so that no coefficient is a
    disguised small count.
    """
    if threshold <= 0:
        return ""
    if df_resid < MIN_RESIDUAL_DF:
        return f"withheld: the model has {df_resid} residual degrees of freedom (at least {MIN_RESIDUAL_DF} needed)"
    table = cells(term, y)
    if table is None:
        count = int(term.support.sum())
        if 0 < count <= threshold:
            return f"withheld: rests on {count} referrals (threshold {threshold})"
        return ""
    smallest = table.smallest_nonzero()
    if 0 < smallest <= threshold:
        return f"withheld: a cell of its table with placement holds {smallest} referrals (1 to {threshold} are not released)"
    return ""


# --- marginal effects ------------------------------------------------------------------------


def average_discrete_change(
    fit: LogitFit, columns: list[str], own: np.ndarray, rows: np.ndarray, cov_name: str = "local_authority"
) -> tuple[float, float]:
    """Average over ``rows`` of P(placed | flag on) - P(placed | flag off), and its delta-method SE.

    ``columns`` are the design columns that carry the flag (one per year in a
    model whose effects differ by year); ``own[i]`` is the position in
    ``columns`` of the column that carries row ``i``'s flag (its year's). "Off"
    sets every one of them to 0, "on" sets the row's own column to 1. The
    discrete change is the usual marginal effect of a binary covariate
    (statsmodels' ``get_margeff(dummy=True)``), averaged over the referrals.
    """
    params = fit.params
    values = fit.design.X[params.index].to_numpy(dtype=float)[rows]
    own = np.asarray(own)[rows]
    beta = params.to_numpy()
    on = values.copy()
    off = values.copy()
    for position, column in enumerate(columns):
        if column not in params.index:
            continue
        j = params.index.get_loc(column)
        off[:, j] = 0.0
        on[:, j] = (own == position).astype(float)
    p_on = special.expit(on @ beta)
    p_off = special.expit(off @ beta)
    effect = float(np.mean(p_on - p_off))
    gradient = ((p_on * (1 - p_on))[:, None] * on - (p_off * (1 - p_off))[:, None] * off).mean(axis=0)
    variance = float(gradient @ fit.cov[cov_name].to_numpy() @ gradient)
    return effect, float(np.sqrt(max(variance, 0.0)))


# --- model comparison -------------------------------------------------------------------------


def delong_auc(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """Area under the ROC curve and its DeLong (1988) standard error (midranks, Sun and Xu 2014)."""
    y = np.asarray(y) > 0.5
    positives = np.asarray(score)[y]
    negatives = np.asarray(score)[~y]
    m, n = len(positives), len(negatives)
    if m == 0 or n == 0:
        return float("nan"), float("nan")
    combined = stats.rankdata(np.concatenate([positives, negatives]))
    rank_positive_within = stats.rankdata(positives)
    rank_negative_within = stats.rankdata(negatives)
    auc = (combined[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (combined[:m] - rank_positive_within) / n
    v01 = 1.0 - (combined[m:] - rank_negative_within) / m
    variance = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    return float(auc), float(np.sqrt(variance))


def calibration(y: np.ndarray, probability: np.ndarray) -> tuple[float, float, float]:
    """Calibration intercept (in the large, with the slope fixed at 1), calibration slope and Brier score.

    Both from logistic recalibration of the outcome on the model's log odds
    (Cox 1958; Van Calster et al. 2016): a well-calibrated in-sample maximum
    likelihood fit has intercept 0 and slope 1 by construction, so these matter
    for the fixed-effects linear model and the penalised fit.
    """
    import statsmodels.api as sm

    p = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
    logit = special.logit(p)
    y = np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slope = sm.GLM(y, sm.add_constant(logit), family=sm.families.Binomial()).fit().params[1]
        intercept = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=logit).fit().params[0]
    brier = float(np.mean((p - y) ** 2))
    return float(intercept), float(slope), brier
