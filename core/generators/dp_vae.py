"""The DP-VAE's model: rows <-> vectors by public ranges and level sets (Encoding), the tabular VAE itself, a
trained decoder that samples rows (FittedVAE), and the per-class or conditional sampler (DPSampler). Sampling is
post-processing of the trained model and costs no privacy; it is seeded.

torch is imported inside the functions that build or sample, never at module import.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import ConfigError, GenerationError
from core.generators.base import GenerationTask, PrivacyGuarantee

HIDDEN, LATENT = 64, 8
DECIMALS = 6  # non-integer numbers are rounded to this fixed (public) precision, not to the real rows' decimals


def public_limits(limits: dict[str, tuple[float, float, int]], public_ranges: dict[str, tuple[float, float]],
                  kinds: dict[str, str]) -> dict[str, tuple[float, float, int]]:
    """The (low, high, decimals) a private generation decodes with: declared ranges where given (the observed
    range elsewhere, a step named in uncovered_steps), whole numbers for integer columns and DECIMALS for the
    others, never the real rows' own decimals."""
    whole = {"integer", "datetime"}
    return {col: (*(public_ranges.get(col) or (low, high)), 0 if kinds.get(col) in whole else DECIMALS)
            for col, (low, high, _) in limits.items()}


@dataclass(frozen=True)
class Encoding:
    """Rows <-> model vectors: numbers scaled to [-1, 1] by their public range, categories one-hot by their
    public level sets (columns in numbers + levels order)."""
    numbers: list[str]
    ranges: dict[str, tuple[float, float]]
    levels: dict[str, list[str]]
    declared: tuple[str, ...] = ()  # number columns whose range the analyst declared public
    level_columns: tuple[str, ...] = ()  # the data's category columns (not the class column nor gap companions)
    declared_levels: tuple[str, ...] = ()  # those whose level set the analyst declared public

    @property
    def width(self) -> int:
        return len(self.numbers) + sum(len(v) for v in self.levels.values())

    def encode(self, rows: pd.DataFrame) -> np.ndarray:
        """(n, width) float32 array."""
        parts = []
        for col in self.numbers:
            low, high = self.ranges[col]
            span = high - low if high > low else 1.0
            parts.append((2 * (rows[col].to_numpy(dtype=float) - low) / span - 1)[:, None])
        for col, levels in self.levels.items():
            codes = pd.Categorical(rows[col].astype(str), categories=levels).codes
            parts.append(np.eye(len(levels))[codes])
        return np.clip(np.hstack(parts), -1, 1).astype(np.float32)

    def decode(self, numbers: np.ndarray, level_codes: dict[str, np.ndarray]) -> pd.DataFrame:
        out = {}
        for i, col in enumerate(self.numbers):
            low, high = self.ranges[col]
            out[col] = low + (np.clip(numbers[:, i], -1, 1) + 1) / 2 * (high - low)
        for col, codes in level_codes.items():
            out[col] = np.asarray(self.levels[col], dtype=object)[codes]
        return pd.DataFrame(out)


def declared_levels(bounds, level_columns: list[str]) -> dict[str, tuple[str, ...]]:
    """{category column: levels} from bounds with an `allowed` set (the Generation page's public levels, --levels
    COL=a,b,c, the config's bounds): the level sets the analyst declared public under differential privacy.
    Several bounds on one column intersect, keeping the first one's order."""
    found: dict[str, tuple[str, ...]] = {}
    for bound in bounds:
        if bound.column in level_columns and bound.allowed is not None:
            levels = tuple(dict.fromkeys(str(a) for a in bound.allowed))
            found[bound.column] = (tuple(v for v in found[bound.column] if v in levels) if bound.column in found
                                   else levels)
    return found


def public_encoding(task: GenerationTask, columns: list[str], missing_flag: str,
                    missing_level: str) -> tuple[Encoding, list[str]]:
    """The encoding, and the category columns whose levels were read from the training rows.

    Ranges: declared public ranges (task.public_ranges; the other number columns fall back to the training rows'
    own range, a step named in uncovered_steps). Levels: declared public level sets (task.public_levels) plus the
    missing-value level, the same for every table; the other category columns fall back to the levels of every
    training row (all classes), also an uncovered step (a level held by one protected row would be revealed).
    The class column's levels (conditional mode) and the gap companions' yes/no are public by construction.
    missing_flag / missing_level: the registry's gap-companion suffix and missing-value level (passed in: the
    registry lists the DP generator, so this module does not import it)."""
    frame = task.frame
    ranges = {c: tuple(map(float, task.public_ranges[c])) if c in task.public_ranges
              else (float(frame[c].min()), float(frame[c].max())) for c in task.numbers}
    levels, observed = {}, []
    for c in columns:
        if c in task.numbers:
            continue
        if c in task.public_levels:
            declared = list(task.public_levels[c])
            levels[c] = declared + ([missing_level] if missing_level not in declared else [])
            outside = set(frame[c].astype(str).unique()) - set(levels[c])
            if outside:
                raise ConfigError(f"Column '{c}' has {len(outside)} value(s) in the training rows outside its "
                                  "declared public levels; add them to the declared levels, or leave the column's "
                                  "levels undeclared (read from the rows, outside the guarantee).")
        elif c.endswith(missing_flag):
            levels[c] = ["no", "yes"]
        else:
            levels[c] = sorted(frame[c].astype(str).unique())
            if c != task.target:
                observed.append(c)
    level_columns = [c for c in levels if c != task.target and not c.endswith(missing_flag)]
    encoding = Encoding(numbers=list(task.numbers), ranges=ranges, levels=levels,
                        declared=tuple(c for c in task.numbers if c in task.public_ranges),
                        level_columns=tuple(level_columns),
                        declared_levels=tuple(c for c in level_columns if c in task.public_levels))
    return encoding, observed


def tabular_vae(width: int, n_numbers: int):
    """Encoder (rows -> mean and log-variance of the latent code) and decoder (code -> per-number mean and
    log-sigma, then level logits), as one torch module."""
    from torch import nn

    class TabularVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(width, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                                         nn.Linear(HIDDEN, 2 * LATENT))
            self.decoder = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                                         nn.Linear(HIDDEN, width + n_numbers))

        def forward(self, x):
            import torch
            mean, log_var = self.encoder(x).chunk(2, dim=1)
            code = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
            return self.decoder(code), mean, log_var

    return TabularVAE()



@dataclass
class FittedVAE:
    """One trained decoder and what it protects."""
    model: object
    encoding: Encoding
    privacy: PrivacyGuarantee | None

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        import torch
        generator = torch.Generator().manual_seed(int(seed))
        k = len(self.encoding.numbers)
        with torch.no_grad():
            self.model.train(False)  # inference mode
            output = self.model.decoder(torch.randn(n, LATENT, generator=generator))
            numbers = output[:, :k] + output[:, k:2 * k].clamp(-5, 2).exp() * torch.randn(n, k, generator=generator)
            codes, start, logits = {}, 0, output[:, 2 * k:]
            for col, levels in self.encoding.levels.items():
                probabilities = torch.softmax(logits[:, start:start + len(levels)], dim=1)
                codes[col] = torch.multinomial(probabilities, 1, generator=generator).squeeze(1).numpy()
                start += len(levels)
        return self.encoding.decode(numbers.numpy(), codes)


@dataclass
class DPSampler:
    """Fitted VAEs: one per class (per_class) or one for all rows under the key '*' (conditional)."""
    target: str
    mode: str
    models: dict[str, FittedVAE]
    columns: list[str]
    loss_history: pd.DataFrame
    privacy: PrivacyGuarantee | None
    warnings: list[str] = field(default_factory=list)

    def sample(self, counts: dict[str, int], seed: int) -> pd.DataFrame:
        parts = []
        for label, n in counts.items():
            if n <= 0:
                continue
            if self.mode == "per_class":
                part = self.models[label].sample(n, seed)
            else:
                part = self._sample_conditional(label, n, seed)
            part = part[self.columns].reset_index(drop=True)
            part[self.target] = label
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def _sample_conditional(self, label: str, n: int, seed: int) -> pd.DataFrame:
        """Draw from the all-rows model and keep rows of this class until there are n."""
        found, drawn, model = [], 0, self.models["*"]
        while sum(len(f) for f in found) < n and drawn < 200 * n + 2000:
            batch = max(4 * n, 200)
            rows = model.sample(batch, seed + drawn)
            drawn += batch
            found.append(rows.loc[rows[self.target].astype(str) == label])
        rows = pd.concat(found, ignore_index=True).head(n)
        if len(rows) < n:
            raise GenerationError(f"The DP-VAE drew {drawn:,} rows but only {len(rows)} were of class '{label}'. "
                                  "Use mode 'per_class' for this class.")
        return rows
