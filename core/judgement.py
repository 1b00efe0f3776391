"""The one verdict rule: earned, worse, or could not tell apart, from a difference's corrected interval.

Every surface that says whether synthetic rows (or any strategy) earned their place calls `judge_gain`: the
Comparison, the Summary, the model card's R1, results.json, Compare generators and the privacy dial. The words
come from the enum, with the interval beside them; an interval containing 0 is never "the same result".

Imports nothing from the rest of core, so any module can use it without an import cycle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

MIN_REPEATS = 3  # below this the corrected t has too few degrees of freedom for an interval worth printing
POWER = 0.8  # the power of the smallest detectable difference
FEWER_REPEATS = ("Under {minimum} repeated splits there is no interval: with {repeats} the corrected t has "
                 "{df} degree(s) of freedom, too few for an interval worth reading, so no gain is claimed.")


class Verdict(str, Enum):
    """The verdict on a difference (subject minus reference); `words` is what every page and file says."""
    EARNED = "earned"
    WORSE = "worse"
    CANNOT_TELL = "cannot_tell"

    @property
    def words(self) -> str:
        return {"earned": "earned", "worse": "worse", "cannot_tell": "could not tell apart"}[self.value]


@dataclass(frozen=True)
class Judgement:
    """A verdict with what it rests on: the difference's mean and corrected 95% interval (None below
    MIN_REPEATS), the target the mean must reach, the repeats, and the smallest difference these repeats could
    detect at 80% power (None when it could not be computed). clipped: the interval was cut to the scale."""
    verdict: Verdict
    mean: float
    ci_low: float | None
    ci_high: float | None
    target: float
    repeats: int
    detectable: float | None = None
    clipped: bool = False

    @property
    def earned(self) -> bool:
        return self.verdict is Verdict.EARNED

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None

    @property
    def interval_text(self) -> str:
        """'corrected 95% CI +0.157 to +0.919' (', cut to [-1, 1]' when clipped), or why there is none."""
        if not self.has_interval:
            return f"no interval under {MIN_REPEATS} repeats"
        cut = ", cut to the scale [-1, 1]" if self.clipped else ""
        return f"corrected 95% CI {self.ci_low:+.3f} to {self.ci_high:+.3f}{cut}"

    @property
    def reason(self) -> str:
        """Why the verdict, in one clause."""
        if not self.has_interval:
            return f"no interval under {MIN_REPEATS} repeats, so no gain is claimed"
        if self.verdict is Verdict.EARNED:
            return (f"the interval lies above 0 and the mean {self.mean:+.3f} reaches the target "
                    f"{self.target:+.2f}")
        if self.verdict is Verdict.WORSE:
            return "the interval lies wholly below 0"
        if self.ci_low > 0:
            return f"the interval lies above 0 but the mean {self.mean:+.3f} is below the target {self.target:+.2f}"
        smallest = (f"; these {self.repeats} repeats could detect a difference of about {self.detectable:.3f} at "
                    "80% power" if self.detectable is not None and math.isfinite(self.detectable) else "")
        return f"the interval contains 0{smallest}"

    def sentence(self, reference_words: str, subject_words: str = "the synthetic rows") -> str:
        """'Against class weights, ...: +0.538 (corrected 95% CI +0.157 to +0.919): earned (the interval ...).'"""
        interval = f" ({self.interval_text})"
        return (f"Against {reference_words}, {subject_words}: {self.mean:+.3f}{interval}: "
                f"{self.verdict.words} ({self.reason}).")

    def to_dict(self) -> dict:
        return {"verdict": self.verdict.value, "words": self.verdict.words, "mean": self.mean,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "target": self.target, "repeats": self.repeats,
                "detectable_difference": self.detectable, "clipped": self.clipped, "reason": self.reason}


def no_interval_text(repeats: int) -> str:
    return FEWER_REPEATS.format(minimum=MIN_REPEATS, repeats=repeats, df=max(repeats - 1, 0))


def judge_gain(mean: float, ci_low: float | None, ci_high: float | None, target: float, repeats: int,
               detectable: float | None = None, clipped: bool = False) -> Judgement:
    """The one rule. earned: at least MIN_REPEATS repeats, the corrected 95% interval lies above 0 and the mean
    is at or above `target`; worse: the interval lies wholly below 0; otherwise could not tell apart (said with
    the interval and `detectable`, the smallest difference these repeats could detect at 80% power). Under
    MIN_REPEATS repeats there is no interval and the verdict is could not tell apart."""
    usable = (repeats >= MIN_REPEATS and ci_low is not None and ci_high is not None
              and math.isfinite(ci_low) and math.isfinite(ci_high))
    if not usable:
        return Judgement(Verdict.CANNOT_TELL, float(mean), None, None, float(target), int(repeats), None, False)
    if ci_low > 0 and mean >= target:
        verdict = Verdict.EARNED
    elif ci_high < 0:
        verdict = Verdict.WORSE
    else:
        verdict = Verdict.CANNOT_TELL
    return Judgement(verdict, float(mean), float(ci_low), float(ci_high), float(target), int(repeats),
                     None if detectable is None or not math.isfinite(detectable) else float(detectable), clipped)
