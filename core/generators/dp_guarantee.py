"""The DP-VAE's guarantee: the accountant's arithmetic (add/remove to replace-one), what is public, which steps
of a release read the real rows outside DP-SGD, and the sentences the card, the Summary and the pages print.

What is public, and why replace-one adjacency. The batch size, the sampling rate, the number of steps, the
default delta and the number of synthetic rows all follow each class's number of training rows, and the card
and results.json print those counts (as does every page). Rather than spend part of epsilon on a noisy count that
would protect one of many places the count is shown, the guarantee treats the class row counts as public and
uses the adjacency that matches: two tables are neighbours when one row is replaced by another (same counts).
opacus' accountants bound add/remove adjacency; a replacement is one removal then one addition, so by group
privacy a mechanism that is (e, d)-DP under add/remove is (2e, (1 + exp(e)) d)-DP under replace-one: chaining
the definition over the two steps D -> D' -> D'' gives P[M(D) in S] <= e^e (e^e P[M(D'') in S] + d) + d =
e^(2e) P[M(D'') in S] + (1 + e^e) d. This is the group-privacy lemma for groups of k = 2 changes (Dwork & Roth,
"The Algorithmic Foundations of Differential Privacy", 2014, Theorem 2.2 for pure DP; Vadhan, "The Complexity of
Differential Privacy", 2017, group privacy lemma, stated there with the looser k e^(k e) d): the k-step chain
gives d (1 + e^e + ... + e^((k-1) e)) <= k e^((k-1) e) d, and for k = 2 exactly (1 + e^e) d <= 2 e^e d.
We therefore ask opacus for epsilon / 2 and delta / (1 + exp(epsilon / 2)) and report 2 x the epsilon it spent,
with delta max(target, (1 + exp(spent)) x the delta asked), which is the target whenever opacus spent at most
epsilon / 2 (`replace_one_delta`). This is conservative (a tighter replace-one analysis of the subsampled
Gaussian exists), never optimistic. The other public facts: the column types, each categorical column's levels
when the analyst declares them public (Generation page, --levels COL=a,b,c, or the config's bounds with
`allowed`), and each number column's range when the analyst declares it public (Generation page confirmation, or
--bound / the config's bounds on the command line).

Covered release. Sampling from the trained model is post-processing and costs no privacy; so is dropping rows
that break the analyst's rules or declared ranges, and rounding integers. Steps that read the real rows outside
DP-SGD are not covered: the cleaning plan's imputation (median, most frequent or k-NN values fill a row's gaps
from the other rows), duplicate removal and outlier removal (whether a row trains depends on the other rows: its
copies, IQR limits or a forest fitted on all rows; replacing one row can drop or keep others), filling number
gaps with medians, clipping to ranges read from the rows (any number column without a declared range), category
levels read from the rows (any category column without declared levels), the density filter, dropping near
copies. Cleaning that looks at one row alone (dropping rows with gaps) changes at most the replaced row, and
stays covered. The uncovered steps are named in the guarantee's `uncovered` list
(`uncovered_steps`), and the release is covered only when that list is empty.

per_class mode trains one model per class on that class's training rows, each to (epsilon, delta); the
classes are disjoint, so every protected row is covered by (epsilon, delta) (parallel composition).
"""
from __future__ import annotations

import math

from core.generators.base import PrivacyGuarantee

ACCOUNTANTS = ("prv", "rdp")  # opacus' default PRV (Gopi et al. 2021; tighter) and RDP (Mironov 2017; faster)
MECHANISM = "DP-SGD (per-row gradient clipping, Gaussian noise, Poisson-sampled batches)"
# The steps that read the real rows outside DP-SGD (`uncovered_steps`): each name starts one entry of the list.
GAP_FILLING = "filling gaps"
OBSERVED_RANGES = "clipping to ranges read from the real rows"
DENSITY_FILTER = "the density filter"
DROP_COPIES = "dropping near copies"
IMPUTATION = "imputing missing values before training"
DUPLICATE_REMOVAL = "removing duplicates before training"
OUTLIER_REMOVAL = "removing outliers before training"
REPLAYABLE_NOISE = "noise and batches replayable from the run's seed"
OBSERVED_LEVELS = "category levels read from the real rows"
REPRODUCIBILITY = ("Not reproducible by seed, by design: DP-SGD's noise and batches come from OS entropy that is never "
                   "recorded; the same data, config and seed reproduce everything but the DP training (split, "
                   "classifiers, other generators).")


def default_delta(n_rows: int) -> float:
    """min(1/n^1.1, 1e-6): well below 1/n, the level at which publishing one whole row would be allowed (1/(10 n)
    would allow it with a 10% chance). n: the rows the model trains on."""
    return min(1.0 / max(n_rows, 1) ** 1.1, 1e-6)


def accountant_targets(epsilon: float, delta: float) -> tuple[float, float]:
    """The add/remove (epsilon, delta) to ask opacus for so that group privacy gives (epsilon, delta) under
    replace-one adjacency: (epsilon / 2, delta / (1 + exp(epsilon / 2)))."""
    return epsilon / 2, delta / (1 + math.exp(epsilon / 2))


def replace_one_epsilon(accountant_epsilon: float) -> float:
    """The replace-one epsilon from an add/remove one (group privacy over two changes): 2 x accountant_epsilon."""
    return 2 * accountant_epsilon


def replace_one_delta(accountant_epsilon: float, accountant_delta: float, target_delta: float) -> float:
    """The replace-one delta from an add/remove (accountant_epsilon, accountant_delta): (1 + e^eps) x delta by group
    privacy over two changes (module docstring), reported as the target when that is no smaller (opacus spent at
    most epsilon / 2), so an accountant that overshoots its target never makes the printed delta too small."""
    return max(target_delta, (1 + math.exp(accountant_epsilon)) * accountant_delta)


def public_facts(numbers: list[str], declared: list[str] | tuple[str, ...], levels: list[str] | tuple[str, ...] = (),
                 declared_levels: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """What the guarantee treats as public (results.json `generation.privacy.public`). numbers: the number
    columns the model learns; declared: those whose range the analyst declared public; levels / declared_levels:
    the same for the category columns' level sets (the class column and gap companions are not listed)."""
    facts = ["each class's number of training rows (replace-one adjacency: neighbouring tables have the same "
             "class counts)", "the column types"]
    if levels and set(levels) <= set(declared_levels):
        facts.append("each categorical column's set of levels, declared public by the analyst")
    elif declared_levels:
        facts.append(f"the levels of {', '.join(declared_levels)}, declared public by the analyst")
    if numbers and set(numbers) <= set(declared):
        facts.append("each number column's range, declared public by the analyst")
    elif declared:
        facts.append(f"the range of {', '.join(declared)}, declared public by the analyst")
    return tuple(facts)



def uncovered_steps(gappy_columns: list[str], density_filter: bool, observed_range_columns: list[str],
                    drop_copies: bool = False) -> list[str]:
    """The steps of a private generation that read the real rows outside DP-SGD, so the guarantee does not cover
    the released rows; each entry starts with one of GAP_FILLING, OBSERVED_RANGES, DENSITY_FILTER, DROP_COPIES.

    gappy_columns: number columns whose gaps were filled with training medians before training.
    observed_range_columns: number columns scaled and clipped to the training rows' own min and max (no declared
    public range). density_filter / drop_copies: whether those filters ran on the synthetic rows."""
    steps = []
    if gappy_columns:
        steps.append(f"{GAP_FILLING} in {', '.join(gappy_columns)} with medians of the training rows")
    if observed_range_columns:
        shown = ", ".join(observed_range_columns[:5]) + (", ..." if len(observed_range_columns) > 5 else "")
        steps.append(f"{OBSERVED_RANGES} ({shown}; declare them public on the Generation page or with --bound)")
    if density_filter:
        steps.append(f"{DENSITY_FILTER} (keeps rows by their distance to real training rows)")
    if drop_copies:
        steps.append(f"{DROP_COPIES} (the threshold and the distances come from the real rows)")
    return steps


def level_step(columns: list[str]) -> str:
    """The uncovered step for category columns whose level sets were read from the training rows."""
    shown = ", ".join(columns[:5]) + (", ..." if len(columns) > 5 else "")
    return (f"{OBSERVED_LEVELS} ({shown}; a level held by one protected row is revealed; declare them public on "
            "the Generation page or with --levels COL=a,b,c)")


def cleaning_steps(steps) -> list[str]:
    """The cleaning steps (core.cleaning StepImpact list, before training) that read the other real rows: an
    imputation that filled a gap, duplicate removal and outlier removal. Each entry starts with IMPUTATION,
    DUPLICATE_REMOVAL or OUTLIER_REMOVAL."""
    found = []
    for step in steps:
        if step.step == "impute missing values" and step.completeness_after > step.completeness_before:
            found.append(f"{IMPUTATION} ({step.detail}, fitted on the training rows)")
        elif step.step == "remove duplicates":
            found.append(f"{DUPLICATE_REMOVAL} ({step.detail})")
        elif step.step == "remove outliers":
            found.append(f"{OUTLIER_REMOVAL} ({step.detail}; the rule is fitted on the training rows)")
    return found


def uncovered_note(steps: list[str] | tuple[str, ...]) -> str:
    """One sentence for warnings, cards and pages: which steps the guarantee does not cover."""
    return ("The differential-privacy guarantee covers the trained model, not these released rows: "
            + "; ".join(steps) + " read the real rows outside DP-SGD. Turn them off (and declare the ranges "
            "public) for a covered release.")


def noise_sentence(guarantee: PrivacyGuarantee) -> str:
    """Where the training's noise came from, and what that means for reproducing the run (card, pages)."""
    if guarantee.secure_mode:
        return "Noise: opacus' secure random mode (cryptographically secure), never recorded."
    if any(step.startswith(REPLAYABLE_NOISE) for step in guarantee.uncovered):
        return ("Noise: seeded from the run's seed (forced for a test), so anyone holding the config can replay the "
                "training: the release is not covered.")
    return REPRODUCIBILITY


def release_sentence(guarantee: PrivacyGuarantee) -> str:
    """Whether the released rows carry the guarantee, naming the steps that broke it (card, Summary, pages)."""
    if guarantee.release_covered:
        return ("Release covered: nothing after training read the real rows, so the released synthetic rows carry "
                "the guarantee.")
    return ("Release NOT covered: the guarantee holds for the trained model, but these steps read the real rows "
            "outside DP-SGD, so the released rows do not carry it: " + "; ".join(guarantee.uncovered) + ".")


def guarantee_headline(guarantee: PrivacyGuarantee) -> str:
    """The guarantee in three sentences: (epsilon, delta) and adjacency, what is public, whether the release is
    covered."""
    return (f"Differentially private: epsilon {guarantee.epsilon:.3g}, delta {guarantee.delta:.2g} "
            f"({guarantee.adjacency} adjacency). Treated as public: {'; '.join(guarantee.public)}. "
            + release_sentence(guarantee))


def combined(guarantees: list[PrivacyGuarantee], protects: str) -> PrivacyGuarantee:
    """Per-class guarantees on disjoint rows compose in parallel: the largest epsilon and delta hold for all."""
    worst = max(guarantees, key=lambda g: (g.epsilon, g.delta))
    return PrivacyGuarantee(mechanism=worst.mechanism, epsilon=max(g.epsilon for g in guarantees),
                            delta=max(g.delta for g in guarantees), accountant=worst.accountant,
                            library=worst.library, target_epsilon=worst.target_epsilon,
                            noise_multiplier=worst.noise_multiplier, protects=protects,
                            public=worst.public, secure_mode=worst.secure_mode, sample_rate=worst.sample_rate,
                            steps=worst.steps, accountant_epsilon=worst.accountant_epsilon,
                            accountant_delta=worst.accountant_delta)
