"""The minority share of an unlabelled batch, with an interval, and the threshold that would keep the F1 optimum
under it (advice only: nothing here changes the deployed decision).

Two estimators, both from the deployed model's calibrated minority probabilities:
- EM (Saerens, Latinne & Decaestecker 2002, Neural Computation 14(1)): re-weight each posterior by the ratio of the
  new prior to the reference prior and iterate prior <- mean of the re-weighted posteriors to a fixed point.
- Adjusted classify-and-count (Forman 2008; a confusion-matrix method): (share flagged - FPR) / (TPR - FPR) with the
  reference rows' TPR and FPR of the deployed decision, cut to [0, 1].
The interval is a seeded percentile bootstrap over the batch's rows and over the reference rows (EM's reference share
and the method's TPR and FPR are estimates too: on 40 seeded prior-shift batches, resampling the batch alone held the
true share 31 times, both 40 times). `bench/estimate_truth.py` measures which holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

EM_TOLERANCE = 1e-6  # stop when the prior moves less than this between iterations
EM_MAX_ITERATIONS = 1000
BOOTSTRAP = 200  # resamples of the interval
CONFIDENCE = 0.95
PROBABILITY_FLOOR = 1e-6  # posteriors kept inside (0, 1) so a 0 or 1 cannot pin the EM prior
CHOSEN = "em"  # the estimator the app reports under prior shift (bench/estimate_truth.py: its interval held there;
# under covariate shift it does not, and the mean calibrated probability, reported beside it, does)


@dataclass(frozen=True)
class PrevalenceEstimate:
    """The batch's estimated minority share and its 95% bootstrap interval, against the reference share.
    suggested_threshold: the threshold on the deployed probabilities that maximises the minority F1 expected on the
    reference rows re-weighted to the estimated share (advice; the deployed threshold stays)."""
    method: str
    reference: float
    estimated: float
    ci_low: float
    ci_high: float
    deployed_threshold: float
    suggested_threshold: float
    batch_rows: int
    mean_probability: float = float("nan")
    mean_probability_low: float = float("nan")
    mean_probability_high: float = float("nan")

    @property
    def moved(self) -> bool:
        """The reference share lies outside the batch's interval."""
        return not (self.ci_low <= self.reference <= self.ci_high)

    @property
    def sentence(self) -> str:
        """The prevalence line the page and the CLI print."""
        share = (f"Estimated minority share of the batch: {self.estimated:.1%} (95% interval {self.ci_low:.1%} to "
                 f"{self.ci_high:.1%}), against {self.reference:.1%} in the reference rows, if only the share "
                 "moved (prior shift; EM)")
        other = (f" If instead the features moved and still mean what they meant (covariate shift), the share is the "
                 f"mean calibrated probability, {self.mean_probability:.1%} ({self.mean_probability_low:.1%} to "
                 f"{self.mean_probability_high:.1%}); without labels the two cannot be told apart.")
        if not self.moved:
            return share + ": the reference share lies inside the interval, so the threshold stays." + other
        return (share + f". Under that share the F1 optimum sits at threshold {self.suggested_threshold:.2f} "
                f"(deployed: {self.deployed_threshold:.2f}); this is advice, the deployed threshold is not changed."
                + other)


def _clip_probability(probability: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(probability, dtype=float), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def adjusted_posteriors(probability: np.ndarray, reference_share: float, new_share: float) -> np.ndarray:
    """Saerens et al.'s prior correction of calibrated minority posteriors p, made under reference share pi0, for
    share pi: p' = (pi/pi0) p / ((pi/pi0) p + ((1 - pi)/(1 - pi0))(1 - p))."""
    p = _clip_probability(probability)
    up = new_share / reference_share * p
    down = (1 - new_share) / (1 - reference_share) * (1 - p)
    return up / (up + down)


def em_prior(probability: np.ndarray, reference_share: float) -> float:
    """EM estimate of the minority share of rows whose calibrated posteriors p were made under reference_share:
    iterate pi <- mean(adjusted_posteriors(p, pi0, pi)) from pi = pi0 until it moves less than EM_TOLERANCE."""
    p = _clip_probability(probability)
    share = float(reference_share)
    for _ in range(EM_MAX_ITERATIONS):
        new = float(np.mean(adjusted_posteriors(p, reference_share, share)))
        if abs(new - share) < EM_TOLERANCE:
            return new
        share = new
    return share


def confusion_prior(decision: np.ndarray, tpr: float, fpr: float) -> float:
    """Adjusted classify-and-count: (share flagged - FPR) / (TPR - FPR), cut to [0, 1]; the flagged share when
    TPR = FPR (the decision carries no information)."""
    flagged = float(np.mean(np.asarray(decision, dtype=bool)))
    if tpr - fpr <= 0:
        return flagged
    return float(np.clip((flagged - fpr) / (tpr - fpr), 0.0, 1.0))


def _rates(truth: np.ndarray, decision: np.ndarray) -> tuple[float, float]:
    truth, decision = np.asarray(truth, dtype=bool), np.asarray(decision, dtype=bool)
    tpr = float(decision[truth].mean()) if truth.any() else 0.0
    fpr = float(decision[~truth].mean()) if (~truth).any() else 0.0
    return tpr, fpr


def f1_optimal_threshold(truth: np.ndarray, probability: np.ndarray, reference_share: float,
                         new_share: float) -> float:
    """The threshold on the deployed probability that maximises the minority F1 on the labelled reference rows
    re-weighted to new_share (minority rows x pi/pi0, majority rows x (1 - pi)/(1 - pi0)); candidates are the
    rows' own probabilities, ties to the lowest."""
    truth = np.asarray(truth, dtype=bool)
    p = np.asarray(probability, dtype=float)
    weight = np.where(truth, new_share / reference_share, (1 - new_share) / (1 - reference_share))
    order = np.argsort(-p, kind="stable")
    p_sorted, truth_sorted, weight_sorted = p[order], truth[order], weight[order]
    tp = np.cumsum(weight_sorted * truth_sorted)
    fp = np.cumsum(weight_sorted * ~truth_sorted)
    positives = float(np.sum(weight[truth]))
    # only the last row of a run of equal probabilities is a threshold (p >= t flags the whole run)
    last = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f1 = np.where(last, 2 * tp / (tp + fp + positives), -1.0)
    return float(p_sorted[int(np.argmax(f1))])


def estimate_prevalence(reference_truth: np.ndarray, reference_probability: np.ndarray,
                        reference_decision: np.ndarray, probability: np.ndarray, decision: np.ndarray,
                        threshold: float, method: str = CHOSEN, seed: int = 42,
                        resamples: int = BOOTSTRAP) -> PrevalenceEstimate:
    """The batch's minority share (EM or the confusion-matrix method) with a seeded 95% percentile bootstrap
    interval, and the F1-optimal threshold under it. reference_*: the labelled reference rows (truth bool,
    minority = True); probability, decision: the batch's. Same inputs and seed, same figures."""
    reference_truth = np.asarray(reference_truth, dtype=bool)
    reference_share = float(reference_truth.mean())
    probability = np.asarray(probability, dtype=float)
    decision = np.asarray(decision, dtype=bool)
    rng = np.random.default_rng(seed)
    n, n_ref = len(probability), len(reference_truth)
    if method == "em":
        estimated = em_prior(probability, reference_share)
        draws = [em_prior(probability[rng.integers(0, n, n)], float(reference_truth[rng.integers(0, n_ref, n_ref)]
                                                                   .mean())) for _ in range(resamples)]
    elif method == "confusion":
        tpr, fpr = _rates(reference_truth, reference_decision)
        estimated = confusion_prior(decision, tpr, fpr)
        draws = []
        for _ in range(resamples):
            rows, ref_rows = rng.integers(0, n, n), rng.integers(0, n_ref, n_ref)
            draws.append(confusion_prior(decision[rows], *_rates(reference_truth[ref_rows],
                                                                 np.asarray(reference_decision)[ref_rows])))
    else:
        raise ValueError(f"unknown prevalence method {method!r}")
    alpha = (1 - CONFIDENCE) / 2
    low, high = (float(v) for v in np.quantile(draws, [alpha, 1 - alpha]))
    # covariate shift keeps P(y | x): the batch's minority count is then a sum of independent Bernoulli(p_i), mean
    # sum p_i and variance sum p_i (1 - p_i) (Poisson binomial); its share's interval by the normal approximation
    mean_probability = float(probability.mean())
    spread = NormalDist().inv_cdf(1 - alpha) * float(np.sqrt(np.sum(probability * (1 - probability)))) / n
    mean_low, mean_high = max(0.0, mean_probability - spread), min(1.0, mean_probability + spread)
    suggested = f1_optimal_threshold(reference_truth, reference_probability, reference_share,
                                     min(max(estimated, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR))
    return PrevalenceEstimate(method=method, reference=reference_share, estimated=estimated, ci_low=min(low, estimated),
                              ci_high=max(high, estimated), deployed_threshold=float(threshold),
                              suggested_threshold=suggested, batch_rows=n, mean_probability=mean_probability,
                              mean_probability_low=min(mean_low, mean_probability),
                              mean_probability_high=max(mean_high, mean_probability))
