"""A differentially private tabular VAE: DP-SGD with opacus (Apache-2.0) behind the generator contract.

The guarantee: the VAE is trained with per-row gradient clipping and Gaussian noise on Poisson-sampled
batches (DP-SGD, Abadi et al. 2016); opacus picks the noise multiplier and its accountant reports what was spent.

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

Noise nobody can replay. The noise and the Poisson batches are what DP-SGD keeps secret: anyone who can replay
them can retrain on neighbouring tables and test membership. They come from torch generators seeded from OS
entropy (`secrets`), never recorded, so nothing released (the seed, config.json, results.json, the zip) fixes
them; a DP training is therefore not reproducible by seed, by design. Everything else stays seeded: the split,
the model's initialisation, sampling rows from the trained model, the classifiers. opacus' secure mode (a
cryptographically secure generator) needs torchcsprng, which has no release for torch 2.

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
conditional mode trains one model on all training rows, the class being one more column.

torch and opacus are imported inside the functions that train or sample, never at module import.
"""
from __future__ import annotations

import math
import secrets
import warnings
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd

from core.errors import ConfigError, GenerationCancelled, GenerationError, SynthBalanceError
from core.generators.base import DP_FAMILY, GenerationTask, GeneratorInfo, ParamSpec, PrivacyGuarantee

ACCOUNTANTS = ("prv", "rdp")  # opacus' default PRV (Gopi et al. 2021; tighter) and RDP (Mironov 2017; faster)
MECHANISM = "DP-SGD (per-row gradient clipping, Gaussian noise, Poisson-sampled batches)"
HIDDEN, LATENT, LEARNING_RATE = 64, 8, 2e-3
MIN_BATCH = 8  # expected rows per step; below this most steps would be all noise
DECIMALS = 6  # non-integer numbers are rounded to this fixed (public) precision, not to the real rows' decimals
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
# Tests only: draw DP-SGD's noise and Poisson batches from the run's seed, so two trainings replay each other. The
# release is then not covered (REPLAYABLE_NOISE in uncovered_steps). Never set by a config, a page or the CLI.
REPLAY_NOISE_FROM_SEED = False
REPRODUCIBILITY = ("Not reproducible by seed, by design: DP-SGD's noise and batches come from OS entropy that is never "
                   "recorded; the same data, config and seed reproduce everything but the DP training (split, "
                   "classifiers, other generators).")
_PARAMS = (
    ParamSpec("epsilon", "float", 1.0, 0.01, 100.0, label="Epsilon (privacy budget)",
              help="Privacy budget: smaller is more private and noisier (1.0 is a common choice)."),
    ParamSpec("delta", "float", 0.0, 0.0, 0.001, label="Delta (chance the guarantee fails)",
              help="The chance that the guarantee fails altogether (for example by publishing a row as it is). "
                   "0 uses the default min(1/n^1.1, 1e-6), n the rows the model trains on.", format="%.1e",
              step=1e-7),
    ParamSpec("epochs", "int", 30, 1, 1000, label="Training epochs",
              help="Training passes over the rows (the noise is set for this many)."),
    ParamSpec("batch_size", "int", 64, 8, 4096, label="Batch size",
              help="Expected rows per training step (capped at a quarter of the rows)."),
    ParamSpec("max_grad_norm", "float", 1.0, 0.01, 100.0, label="Gradient clipping norm",
              help="Each row's gradient is clipped to this norm."),
    ParamSpec("mode", "choice", "per_class", choices=("per_class", "conditional"), label="Training mode",
              help="per_class: one model per minority class on its rows (protects those rows); conditional: one "
                   "model on all training rows (protects every training row), sampled by class."),
    ParamSpec("privacy", "choice", "dp", choices=("dp", "none"), label="Privacy",
              help="dp: trained with DP-SGD; none: the same VAE without noise or clipping (no guarantee), for "
                   "the privacy-utility dial's reference point."),
    ParamSpec("accountant", "choice", "prv", choices=ACCOUNTANTS, label="Privacy accountant",
              help="opacus' privacy accountant: prv (its default; tighter, so less noise for the same epsilon) or "
                   "rdp (Renyi DP; faster to calibrate, slightly more noise)."),
    ParamSpec("secure_mode", "choice", "off", choices=("off", "on"), label="Secure random mode",
              help="off: noise and batches from OS entropy, never recorded (not reproducible by seed); on: "
                   "opacus' cryptographically secure generator (needs torchcsprng, not available for torch 2)."),
)
INFOS = {
    "dp_vae": GeneratorInfo(
        name="dp_vae", label="DP-VAE (differentially private)", family=DP_FAMILY, library="opacus",
        categorical="any", params=_PARAMS,
        summary="A small tabular VAE trained with DP-SGD: an (epsilon, delta) guarantee for the rows it learns from.",
        pros="A formal privacy guarantee a privacy officer can quote, computed by opacus' accountant.",
        limits="Noise costs fidelity, most on small classes and small epsilon; column ranges and category sets "
               "are public only when declared; the training is not reproducible by seed (its noise is private).",
        min_minority_rows=20, warn_below_rows=100, slow=True, deterministic=False, cost="medium",
        tuning="medium"),  # not deterministic: DP-SGD's noise and batches never come from the seed
}
# Said by opacus and torch on every run and decided here: secure mode is a parameter; the inputs need no
# gradient; the accountant's search for its best order is internal to it.
_EXPECTED_WARNINGS = ("Secure RNG turned off", "Full backward hook is firing", "Optimal order is the largest alpha")
# Measured with bench/dp_speed.py on this project's shared 2-core machine (load average about 8): fits at epsilon 1
# and 30 epochs took 2.9 s on 210 rows x 20 columns, 5.8 s on 1,050 rows x 13 and 16.8 s on 3,500 rows x 13.
# A fixed cost (opacus calibrating the noise, about 1.5 s with PRV) plus seconds per epoch per training row.
_CALIBRATION_S, _SECONDS_PER_ROW, _EPOCH_FLOOR = 1.5, 1.5e-4, 0.01


def estimate_seconds(n_rows: int, n_columns: int, epochs: int) -> float:
    """Rough training time on this 2-core machine: calibration + epochs x (floor + rows x per-row cost x width)."""
    width = max(1.0, n_columns / 13) ** 0.5
    return _CALIBRATION_S + epochs * (_EPOCH_FLOOR + n_rows * _SECONDS_PER_ROW * width)


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


def _public_encoding(task: GenerationTask, columns: list[str]) -> tuple[Encoding, list[str]]:
    """The encoding, and the category columns whose levels were read from the training rows.

    Ranges: declared public ranges (task.public_ranges; the other number columns fall back to the training rows'
    own range, a step named in uncovered_steps). Levels: declared public level sets (task.public_levels) plus the
    missing-value level, the same for every table; the other category columns fall back to the levels of every
    training row (all classes), also an uncovered step (a level held by one protected row would be revealed).
    The class column's levels (conditional mode) and the gap companions' yes/no are public by construction."""
    from core.generators.registry import MISSING_FLAG, MISSING_LEVEL

    frame = task.frame
    ranges = {c: tuple(map(float, task.public_ranges[c])) if c in task.public_ranges
              else (float(frame[c].min()), float(frame[c].max())) for c in task.numbers}
    levels, observed = {}, []
    for c in columns:
        if c in task.numbers:
            continue
        if c in task.public_levels:
            declared = list(task.public_levels[c])
            levels[c] = declared + ([MISSING_LEVEL] if MISSING_LEVEL not in declared else [])
            outside = set(frame[c].astype(str).unique()) - set(levels[c])
            if outside:
                raise ConfigError(f"Column '{c}' has {len(outside)} value(s) in the training rows outside its "
                                  "declared public levels; add them to the declared levels, or leave the column's "
                                  "levels undeclared (read from the rows, outside the guarantee).")
        elif c.endswith(MISSING_FLAG):
            levels[c] = ["no", "yes"]
        else:
            levels[c] = sorted(frame[c].astype(str).unique())
            if c != task.target:
                observed.append(c)
    level_columns = [c for c in levels if c != task.target and not c.endswith(MISSING_FLAG)]
    encoding = Encoding(numbers=list(task.numbers), ranges=ranges, levels=levels,
                        declared=tuple(c for c in task.numbers if c in task.public_ranges),
                        level_columns=tuple(level_columns),
                        declared_levels=tuple(c for c in level_columns if c in task.public_levels))
    return encoding, observed


def _vae(width: int, n_numbers: int):
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


def _row_losses(output, mean, log_var, x, encoding: Encoding):
    """Per-row negative ELBO: Gaussian NLL of the numbers, cross-entropy of each category, KL to N(0, I)."""
    import torch
    import torch.nn.functional as F
    k = len(encoding.numbers)
    loss = 0.5 * torch.sum(mean ** 2 + log_var.exp() - 1 - log_var, dim=1)
    if k:
        mu, log_sigma = output[:, :k], output[:, k:2 * k].clamp(-5, 2)
        loss = loss + torch.sum(0.5 * ((x[:, :k] - mu) / log_sigma.exp()) ** 2 + log_sigma, dim=1)
    start, logits = k, output[:, 2 * k:]
    for levels in encoding.levels.values():
        width = len(levels)
        column, target = logits[:, start - k:start - k + width], x[:, start:start + width].argmax(dim=1)
        loss = loss + F.cross_entropy(column, target, reduction="none")
        start += width
    return loss


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


def _opacus_version() -> str:
    try:
        return f"opacus {metadata.version('opacus')}"
    except metadata.PackageNotFoundError:
        return "opacus"


def _private_generators(seed: int):
    """(sampling, noise) torch generators for DP-SGD's Poisson batches and Gaussian noise, seeded from OS entropy
    (`secrets`) and never recorded: nothing released (seed, config, results.json) lets anyone replay the noise.
    opacus' secure mode (a cryptographically secure generator) needs torchcsprng, which has no release for torch 2.

    REPLAY_NOISE_FROM_SEED (tests only) seeds them from `seed` instead; fit() then names REPLAYABLE_NOISE in
    uncovered_steps."""
    import torch
    if REPLAY_NOISE_FROM_SEED:
        return torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    return (torch.Generator().manual_seed(secrets.randbits(63)),
            torch.Generator().manual_seed(secrets.randbits(63)))


def _train(rows: pd.DataFrame, encoding: Encoding, params: dict, seed: int, label: str, after_epoch,
           protects: str) -> tuple[FittedVAE, pd.DataFrame]:
    """Train one VAE on `rows` (DP-SGD unless privacy is 'none'); per-epoch mean loss with the class."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    n, epochs, private = len(rows), int(params["epochs"]), params["privacy"] == "dp"
    batch = int(max(MIN_BATCH, min(int(params["batch_size"]), n // 4)))
    torch.manual_seed(seed)  # model initialisation and the VAE's own latent draws: public, seeded
    data = TensorDataset(torch.from_numpy(encoding.encode(rows)))
    model = _vae(encoding.width, len(encoding.numbers))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    secure = private and params["secure_mode"] == "on"
    sampling, noise = (_private_generators(seed) if private and not secure
                       else (torch.Generator().manual_seed(seed), None))
    # opacus' Poisson batches draw from the loader's generator (DPDataLoader.from_data_loader keeps it)
    loader = DataLoader(data, batch_size=batch, shuffle=True, generator=sampling)
    engine, privacy = None, None
    if private:
        from opacus import PrivacyEngine
        delta = float(params["delta"]) or default_delta(n)
        asked_epsilon, asked_delta = accountant_targets(float(params["epsilon"]), delta)
        try:
            engine = PrivacyEngine(accountant=params["accountant"], secure_mode=secure)
            model, optimizer, loader = engine.make_private_with_epsilon(  # Poisson sampling: opacus' default
                module=model, optimizer=optimizer, data_loader=loader, target_epsilon=asked_epsilon,
                target_delta=asked_delta, epochs=epochs, max_grad_norm=float(params["max_grad_norm"]),
                noise_generator=noise)
        except ImportError:
            raise ConfigError("secure_mode 'on' needs the torchcsprng package, which is not installed here. Install "
                              "it for a production release, or set secure_mode to 'off'.") from None
        except ValueError as exc:
            hint = (" The rdp accountant cannot reach a small epsilon at a small delta: use the prv accountant, a "
                    "larger epsilon or a larger delta." if params["accountant"] == "rdp" else "")
            raise ConfigError(f"opacus cannot reach epsilon {params['epsilon']:g} with these settings: {exc}"
                              + hint) from None
        privacy = (delta, asked_delta, optimizer.noise_multiplier, secure)
    history = []
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for (x,) in loader:
            optimizer.zero_grad()
            output, mean, log_var = model(x)
            losses = _row_losses(output, mean, log_var, x, encoding)
            loss = losses.mean() if len(x) else losses.sum()  # an empty Poisson batch still takes its noisy step
            loss.backward()
            optimizer.step()
            total, seen = total + float(losses.detach().sum()), seen + len(x)
        history.append({"class": label, "Epoch": epoch, "loss": total / max(seen, 1)})
        after_epoch(epoch + 1, pd.DataFrame(history))
    guarantee = None
    if engine is not None:
        delta, asked_delta, noise, secure = privacy
        steps = sum(count for _, _, count in engine.accountant.history)
        spent = float(engine.get_epsilon(asked_delta))
        guarantee = PrivacyGuarantee(mechanism=MECHANISM, epsilon=replace_one_epsilon(spent),
                                     delta=replace_one_delta(spent, asked_delta, delta),
                                     accountant=f"{params['accountant']} (opacus)", library=_opacus_version(),
                                     target_epsilon=float(params["epsilon"]), noise_multiplier=float(noise),
                                     protects=protects, public=public_facts(encoding.numbers, encoding.declared,
                                                         encoding.level_columns, encoding.declared_levels),
                                     secure_mode=secure, sample_rate=float(engine.accountant.history[-1][1]),
                                     steps=int(steps), accountant_epsilon=spent, accountant_delta=asked_delta)
        model = model._module  # the trained network without opacus' per-row gradient hooks
    return FittedVAE(model=model, encoding=encoding, privacy=guarantee), pd.DataFrame(history)


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


def fit(task: GenerationTask, classes: list[str]) -> DPSampler:
    """Train the DP-VAE per class (or once on all rows), reporting progress after every epoch."""
    import torch
    params, epochs = task.params, int(task.params["epochs"])
    features = task.numbers + task.levels
    per_class = params["mode"] == "per_class"
    labels = task.frame[task.target].astype(str)
    groups = ({label: task.frame.loc[labels == label, features] for label in classes} if per_class
              else {"*": task.frame[features + [task.target]]})
    columns = features if per_class else features + [task.target]
    encoding, observed_levels = _public_encoding(task, columns)
    protects = (f"the {sum(len(g) for g in groups.values()):,} training rows of class(es) "
                f"{', '.join(map(repr, classes))}, each model on its own class's rows" if per_class
                else f"all {len(task.frame):,} training rows (one model on every class)")
    total_epochs, private = epochs * len(groups), params["privacy"] == "dp"
    fitted, losses, threads = {}, [], torch.get_num_threads()
    torch.set_num_threads(1)  # a 64-unit network: one thread is faster than sharing two busy cores
    try:
        with warnings.catch_warnings():
            for message in _EXPECTED_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            for index, (label, rows) in enumerate(groups.items()):
                def after_epoch(done: int, history: pd.DataFrame, index=index, label=label) -> None:
                    if task.should_stop is not None and task.should_stop():
                        raise GenerationCancelled("Training was cancelled; nothing was generated.")
                    if task.progress is not None:
                        task.progress((index * epochs + done) / total_epochs,
                                      f"DP-VAE class '{label}': epoch {done} of {epochs}")
                    if task.on_losses is not None and not private:  # a private model's loss is read from
                        task.on_losses(pd.concat(losses + [history], ignore_index=True))  # the rows: never shown

                try:
                    fitted[label], history = _train(rows, encoding, params, task.seed, label, after_epoch, protects)
                except SynthBalanceError:
                    raise
                except (RuntimeError, ValueError) as exc:
                    raise GenerationError(f"DP-VAE training failed on class '{label}': {exc}") from None
                losses.append(history)
    finally:
        torch.set_num_threads(threads)
    guarantees = [m.privacy for m in fitted.values() if m.privacy is not None]
    privacy = combined(guarantees, protects) if guarantees else None
    notes = []
    if privacy is not None and observed_levels:
        step = level_step(observed_levels)
        privacy = privacy.with_uncovered(step)
        notes.append(uncovered_note([step]))
    if privacy is not None and not privacy.secure_mode and REPLAY_NOISE_FROM_SEED:
        privacy = privacy.with_uncovered(f"{REPLAYABLE_NOISE} (forced for a test: anyone holding the config can "
                                         "replay the training)")
    if privacy is not None and not math.isfinite(privacy.epsilon):
        raise GenerationError("opacus reported an unbounded epsilon; lower the epochs or raise the noise.")
    if params["privacy"] == "none":
        notes.append("The DP-VAE ran without differential privacy (privacy 'none'): its rows carry no guarantee.")
    # The per-epoch loss is an average over the private rows, outside the guarantee: kept only without privacy.
    history = pd.concat(losses, ignore_index=True) if losses and not private else pd.DataFrame()
    return DPSampler(target=task.target, mode=params["mode"], models=fitted, columns=features,
                     loss_history=history, privacy=privacy, warnings=notes)
