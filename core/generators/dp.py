"""A differentially private tabular VAE: DP-SGD with opacus (Apache-2.0) behind the generator contract: its
parameters, the training and its progress, and fit().

The guarantee: the VAE is trained with per-row gradient clipping and Gaussian noise on Poisson-sampled
batches (DP-SGD, Abadi et al. 2016); opacus picks the noise multiplier and its accountant reports what was spent.

Noise nobody can replay. The noise and the Poisson batches are what DP-SGD keeps secret: anyone who can replay
them can retrain on neighbouring tables and test membership. They come from torch generators seeded from OS
entropy (`secrets`), never recorded, so nothing released (the seed, config.json, results.json, the zip) fixes
them; a DP training is therefore not reproducible by seed, by design. Everything else stays seeded: the split,
the model's initialisation, sampling rows from the trained model, the classifiers. opacus' secure mode (a
cryptographically secure generator) needs torchcsprng, which has no release for torch 2.

per_class mode trains one model per class on that class's training rows (parallel composition: see
core.generators.dp_guarantee, which also holds the accountant's arithmetic and the release's words);
conditional mode trains one model on all training rows, the class being one more column.
The model and the sampler are in core.generators.dp_vae.

torch and opacus are imported inside the functions that train or sample, never at module import.
"""
from __future__ import annotations

import math
import secrets
import warnings
from importlib import metadata

import pandas as pd

from core.errors import ConfigError, GenerationCancelled, GenerationError, SynthBalanceError
from core.generators.base import DP_FAMILY, GenerationTask, GeneratorInfo, ParamSpec, PrivacyGuarantee
from core.generators.dp_guarantee import (
    ACCOUNTANTS,
    MECHANISM,
    REPLAYABLE_NOISE,
    accountant_targets,
    combined,
    default_delta,
    level_step,
    public_facts,
    replace_one_delta,
    replace_one_epsilon,
    uncovered_note,
)
from core.generators.dp_vae import DPSampler, Encoding, FittedVAE, public_encoding, tabular_vae

LEARNING_RATE = 2e-3
MIN_BATCH = 8  # expected rows per step; below this most steps would be all noise
# Tests only: draw DP-SGD's noise and Poisson batches from the run's seed, so two trainings replay each other. The
# release is then not covered (REPLAYABLE_NOISE in uncovered_steps). Never set by a config, a page or the CLI.
REPLAY_NOISE_FROM_SEED = False
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
    model = tabular_vae(encoding.width, len(encoding.numbers))
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
    from core.generators.registry import MISSING_FLAG, MISSING_LEVEL  # the registry lists this module: deferred
    encoding, observed_levels = public_encoding(task, columns, MISSING_FLAG, MISSING_LEVEL)
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
