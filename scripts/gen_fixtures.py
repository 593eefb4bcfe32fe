#!/usr/bin/env python3
"""Golden fixtures for modelwatch's metric functions (npm run fixtures).

References: scikit-learn 1.2.1, numpy 1.24, scipy 1.10, and a transcription
of the spec chapter's RankingMetrics. Each case stores the parameters of a
deterministic generator (mirrored bit for bit by test/support/gen.ts) plus the
expected outputs; small hand-written edge cases store their inputs literally.

The generators use only operations that round identically in CPython and V8:
a 32-bit PRNG (mulberry32), +, -, *, /, floor. No log/exp/sin (libm and V8
differ in the last ulp) and no round() (banker's rounding in Python).

JSON cannot hold NaN or +-Infinity: they are written as the strings "NaN",
"Infinity" and "-Infinity" and decoded by the tests.

Where modelwatch deliberately differs from scikit-learn 1.2.1, the expected
value follows modelwatch and a comment (tagged CONVENTION) says why.
"""
from __future__ import annotations

import json
import math
import os
import sys
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import scipy.stats
import sklearn
from sklearn import metrics as skm

warnings.filterwarnings('ignore')  # UndefinedMetricWarning etc.: edge cases are intended

assert sklearn.__version__ == '1.2.1', sklearn.__version__

# [estimate] whether drift.json holds ks_2samp cases beyond 10,000 rows (the asymptotic branch).
ASYMP = True
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'golden')
M32 = 0xFFFFFFFF


# --------------------------------------------------------------------------
# Deterministic generator (mirrored in test/support/gen.ts; keep in sync).

def imul(a: int, b: int) -> int:
    return (a * b) & M32


class Rng:
    """mulberry32 (Tommy Ettinger), kept unsigned 32-bit."""

    def __init__(self, seed: int) -> None:
        self.a = seed & M32

    def u32(self) -> int:
        self.a = (self.a + 0x6D2B79F5) & M32
        a = self.a
        t = imul(a ^ (a >> 15), 1 | a)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & M32) ^ t
        return (t ^ (t >> 14)) & M32

    def uniform(self) -> float:
        """53-bit double in [0, 1)."""
        hi = self.u32() >> 5
        lo = self.u32() >> 6
        return (hi * 67108864.0 + lo) / 9007199254740992.0

    def int(self, m: int) -> int:
        return math.floor(self.uniform() * m)


def gen_binary(p: dict) -> tuple[list[float], list[float], list[float]]:
    """yTrue (u < rate), score = signal*y + (1-signal)*u (ties: floor(s*m)/m),
    yPred = score >= thr, flipped with probability flip; then the score
    transform ('unit' keeps [0, 1], 'heavy' 1/(s+0.01), 'wide' s*2000-1000)."""
    rng = Rng(p['seed'])
    n, rate, signal, ties, thr, flip = p['n'], p['rate'], p['signal'], p['ties'], p['thr'], p['flip']
    transform = p.get('transform', 'unit')
    yt, yp, sc = [], [], []
    for _ in range(n):
        y = 1.0 if rng.uniform() < rate else 0.0
        s = signal * y + (1.0 - signal) * rng.uniform()
        if ties > 0:
            s = math.floor(s * ties) / ties
        pred = 1.0 if s >= thr else 0.0
        if rng.uniform() < flip:
            pred = 1.0 - pred
        if transform == 'heavy':
            s = 1.0 / (s + 0.01)
        elif transform == 'wide':
            s = s * 2000.0 - 1000.0
        yt.append(y)
        yp.append(pred)
        sc.append(s)
    return yt, yp, sc


def gen_multiclass(p: dict) -> tuple[list[float], list[float], list[list[float]] | None]:
    """Labels p['labels'] (sorted); the first C rows cover every class when
    cover is set; true class floor(u*C) or floor(u*u*C) (skew); prediction
    correct with probability acc, else uniform. With prob, an n x C matrix of
    (u + 0.0625 + signal*[j == t]) (ties: floored to 1/ties) over its row sum."""
    rng = Rng(p['seed'])
    labels, n, acc, skew, cover = p['labels'], p['n'], p['acc'], p['skew'], p['cover']
    c = len(labels)
    prob, signal, ties = p['prob'], p.get('signal', 0.0), p.get('ties', 0)
    yt, yp, pm = [], [], []
    for i in range(n):
        u1 = rng.uniform()
        u2 = rng.uniform()
        u3 = rng.uniform()
        if cover and i < c:
            t = i
        elif skew:
            t = math.floor(u1 * u1 * c)
        else:
            t = math.floor(u1 * c)
        pr = t if u2 < acc else math.floor(u3 * c)
        yt.append(float(labels[t]))
        yp.append(float(labels[pr]))
        if prob:
            raw = []
            total = 0.0
            for j in range(c):
                r = rng.uniform() + (signal if j == t else 0.0)
                if ties > 0:
                    r = math.floor(r * ties) / ties
                r = r + 0.0625
                raw.append(r)
                total = total + r
            pm.append([r / total for r in raw])
    return yt, yp, (pm if prob else None)


def base_value(rng: Rng, dist: str) -> float:
    u = rng.uniform()
    if dist == 'uniform':
        return u * 2.0 - 1.0
    if dist == 'positive':
        return u
    if dist == 'ties':
        return math.floor(u * 4.0) / 4.0
    if dist == 'heavy':
        return 1.0 / (u + 0.01)
    if dist == 'cubic':
        return u * u * u * 1000.0
    if dist == 'sqrt':
        return math.sqrt(u) * 10.0
    raise ValueError(dist)


def gen_regression(p: dict) -> tuple[list[float], list[float]]:
    """y = base*scale + shift (zeroRate of rows exactly 0); prediction
    y + (u-0.5)*noise*scale, or y exactly when noise is 0."""
    rng = Rng(p['seed'])
    n, dist, noise, scale, shift, zero = p['n'], p['dist'], p['noise'], p['scale'], p['shift'], p['zeroRate']
    yt, yp = [], []
    for _ in range(n):
        y = base_value(rng, dist) * scale + shift
        if rng.uniform() < zero:
            y = 0.0
        e = (rng.uniform() - 0.5) * noise * scale
        yt.append(y)
        yp.append(y + e if noise != 0 else y)
    return yt, yp


def gen_segments(p: dict) -> list:
    """Segment keys: floor(u*S) as numbers, names[...] as strings, or mixed."""
    rng = Rng(p['segSeed'])
    kind, s, names = p['segKind'], p['segCount'], p['segNames']
    out = []
    for _ in range(p['n']):
        j = rng.int(s)
        if kind == 'number':
            out.append(float(j * 3 - 5))
        elif kind == 'string':
            out.append(names[j % len(names)])
        else:  # mixed: even j numbers, odd j strings
            out.append(float(j) if j % 2 == 0 else names[j % len(names)])
    return out


def gen_latency(p: dict) -> list[float]:
    """Non-negative values base*scale ('uniform' maps to u)."""
    rng = Rng(p['seed'])
    dist = 'positive' if p['dist'] == 'uniform' else p['dist']
    return [base_value(rng, dist) * p['scale'] for _ in range(p['n'])]


def gen_trend(p: dict) -> tuple[list[float] | None, list[float]]:
    """x: None (0..n-1), 'uniform' u*100, 'ties' floor(u*5), 'shifted'
    1e6 + i; y = intercept + slope*x + noise*(u-0.5) (heavy: noise/(u+0.01))."""
    rng = Rng(p['seed'])
    n, xk, slope, icpt, noise, heavy = p['n'], p['x'], p['slope'], p['intercept'], p['noise'], p['heavy']
    xs, ys = [], []
    for i in range(n):
        if xk == 'default':
            x = float(i)
        elif xk == 'uniform':
            x = rng.uniform() * 100.0
        elif xk == 'ties':
            x = float(math.floor(rng.uniform() * 5.0))
        else:
            x = 1000000.0 + i
        u = rng.uniform()
        e = noise / (u + 0.01) if heavy else noise * (u - 0.5)
        xs.append(x)
        ys.append(icpt + slope * x + e)
    return (None if xk == 'default' else xs), ys


def gen_ranking(p: dict) -> list[dict]:
    """Queries over items 0..items-1 (strings 'i<n>' when strings is set):
    relevant = rel draws (graded: gain floor(u*levels)+1, later draws of the
    same item overwrite), ranked = listLen draws, distinct by a partial
    Fisher-Yates shuffle unless dup is set."""
    rng = Rng(p['seed'])
    items, rel, ln, graded, levels, dup = p['items'], p['rel'], p['listLen'], p['graded'], p['levels'], p['dup']
    name = (lambda i: 'i' + str(i)) if p['strings'] else (lambda i: i)
    out = []
    for _ in range(p['queries']):
        relevant: dict = {}
        for _ in range(rel):
            item = name(rng.int(items))
            g = float(rng.int(levels) + 1) if graded else 1.0
            relevant[item] = g
        if dup:
            ranked = [name(rng.int(items)) for _ in range(ln)]
        else:
            perm = list(range(items))
            for i in range(ln):
                j = i + rng.int(items - i)
                perm[i], perm[j] = perm[j], perm[i]
            ranked = [name(v) for v in perm[:ln]]
        out.append({'relevant': relevant, 'ranked': ranked})
    return out


def gen_sample(p: dict) -> list[float]:
    """[estimate] A drift sample: (u1 + u2 + u3 - 1.5) * scale + shift
    (Irwin-Hall, roughly normal), floored to 1/ties when ties > 0."""
    rng = Rng(p['seed'])
    out = []
    for _ in range(p['n']):
        v = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * p['scale'] + p['shift']
        if p['ties'] > 0:
            v = math.floor(v * p['ties']) / p['ties']
        out.append(v)
    return out


def gen_classes(p: dict) -> list[float]:
    """[estimate] Class labels floor(u^power * C) (power 1: uniform)."""
    rng = Rng(p['seed'])
    out = []
    for _ in range(p['n']):
        u = rng.uniform()
        out.append(float(math.floor((u * u if p['skew'] else u) * p['classes'])))
    return out


# --------------------------------------------------------------------------
# Encoding helpers.

def enc(x):
    """JSON-safe: numpy scalars to Python, NaN/Inf to strings, recursively."""
    if isinstance(x, dict):
        return {k: enc(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [enc(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if math.isnan(f):
            return 'NaN'
        if math.isinf(f):
            return 'Infinity' if f > 0 else '-Infinity'
        return f
    return x


def f(x) -> float:
    return float(x)


def log_sizes(seed: int, count: int, lo: int, hi: int) -> list[int]:
    """count sizes spread log-uniformly in [lo, hi] (a dedicated stream)."""
    rng = Rng(seed)
    out = []
    span = math.log(hi / lo)
    for _ in range(count):
        out.append(max(lo, min(hi, int(lo * math.exp(rng.uniform() * span)))))
    return out


def thinned(sizes: list[int]) -> list[int]:
    """Keeps one large case in four at full size and shrinks the rest tenfold,
    so families reach n = 100,000 without making the test run slow."""
    return [n // 10 if n > 20000 and i % 4 != 0 else n for i, n in enumerate(sizes)]


def pick(rng: Rng, options: list):
    return options[rng.int(len(options))]


# --------------------------------------------------------------------------
# classificationMetrics

def class_warnings(cm: np.ndarray, binary: bool, tp=0, tn=0, fp=0, fn=0) -> list[str]:
    """Warning codes modelwatch emits for count metrics: sklearn's
    UndefinedMetricWarning cases (zero_division), then binary FPR/FNR 0/0."""
    codes = []
    if (cm.sum(axis=0) == 0).any():
        codes.append('ZERO_DIVISION')
    if (cm.sum(axis=1) == 0).any():
        codes.append('ZERO_DIVISION')
    if binary:
        if fp + tn == 0:
            codes.append('ZERO_DIVISION')
        if fn + tp == 0:
            codes.append('ZERO_DIVISION')
    return codes


def expected_classification(yt, yp, prob=None) -> dict:
    yt = np.asarray(yt, dtype=np.float64)
    yp = np.asarray(yp, dtype=np.float64)
    classes = np.unique(np.concatenate([yt, yp]))  # sklearn's unique_labels
    labels = classes.tolist()
    cm = skm.confusion_matrix(yt, yp, labels=labels)
    kw = dict(labels=labels, zero_division=0)
    out: dict = {'n': len(yt), 'accuracy': f(skm.accuracy_score(yt, yp)), 'classes': labels}
    for avg in ('weighted', 'macro', 'micro'):
        out[avg] = {
            'precision': f(skm.precision_score(yt, yp, average=avg, **kw)),
            'recall': f(skm.recall_score(yt, yp, average=avg, **kw)),
            'f1Score': f(skm.f1_score(yt, yp, average=avg, **kw)),
        }
    out['precision'] = out['weighted']['precision']
    out['recall'] = out['weighted']['recall']
    out['f1Score'] = out['weighted']['f1Score']
    pc, rc, fc, sc = skm.precision_recall_fscore_support(yt, yp, average=None, **kw)
    out['perClass'] = [
        {'label': labels[j], 'precision': f(pc[j]), 'recall': f(rc[j]), 'f1Score': f(fc[j]), 'support': int(sc[j])}
        for j in range(len(labels))
    ]
    out['confusionMatrix'] = cm.tolist()
    binary = all(c in (0.0, 1.0) for c in labels)
    tp = tn = fp = fn = 0
    if binary:
        tp = int(((yt == 1) & (yp == 1)).sum())
        tn = int(((yt == 0) & (yp == 0)).sum())
        fp = int(((yt == 0) & (yp == 1)).sum())
        fn = int(((yt == 1) & (yp == 0)).sum())
        out.update(truePositives=tp, trueNegatives=tn, falsePositives=fp, falseNegatives=fn)
        # The spec chapter: fp / (fp + tn) if (fp + tn) > 0 else 0 (and likewise FNR).
        out['falsePositiveRate'] = fp / (fp + tn) if fp + tn > 0 else 0.0
        out['falseNegativeRate'] = fn / (fn + tp) if fn + tp > 0 else 0.0
    codes = class_warnings(cm, binary, tp, tn, fp, fn)
    if prob is not None:
        if binary:
            s = np.asarray(prob, dtype=np.float64)
            pos = int((yt == 1).sum())
            if 0 < pos < len(yt):
                out['aucRoc'] = f(skm.roc_auc_score(yt, s))
                out['averagePrecision'] = f(skm.average_precision_score(yt, s))
            else:
                # CONVENTION: sklearn raises ValueError for AUC with one class;
                # modelwatch returns NaN with a ONE_CLASS warning. Without
                # positives sklearn 1.2.1 returns AP = 0 (recall forced to 1);
                # modelwatch says NaN (undefined, like AUC). All positives:
                # AP = 1.0 in both.
                out['aucRoc'] = math.nan
                out['averagePrecision'] = f(skm.average_precision_score(yt, s)) if pos > 0 else math.nan
                codes.append('ONE_CLASS')
        else:
            s = np.asarray(prob, dtype=np.float64)
            present = set(np.unique(yt).tolist())
            if present == set(labels):
                per = skm.roc_auc_score(np.stack([(yt == c) for c in labels], axis=1).astype(int), s, average=None)
                out['aucRocPerClass'] = [f(v) for v in per]
                if len(labels) > 2:
                    out['aucRoc'] = f(skm.roc_auc_score(yt, s, multi_class='ovr', average='macro', labels=labels))
                else:
                    # Two non-binary labels (e.g. 1 and 2): sklearn reads yTrue as
                    # binary and would take one score column; modelwatch's
                    # n x 2 matrix gets the one-vs-rest treatment.
                    out['aucRoc'] = (f(per[0]) + f(per[1])) / 2
            else:
                # CONVENTION: sklearn's multiclass roc_auc_score raises when a
                # column's class is absent from yTrue (or is the only one);
                # modelwatch reports NaN for that class (UNDEFINED_CLASS_AUC)
                # and averages the others.
                per = []
                for j, c in enumerate(labels):
                    yb = (yt == c).astype(int)
                    per.append(f(skm.roc_auc_score(yb, s[:, j])) if 0 < yb.sum() < len(yb) else math.nan)
                good = [v for v in per if not math.isnan(v)]
                out['aucRocPerClass'] = per
                out['aucRoc'] = sum(good) / len(good) if good else math.nan
                codes.append('UNDEFINED_CLASS_AUC')
    out['warnings'] = codes
    return out


def classification_cases() -> list[dict]:
    cases = []
    rng = Rng(1001)
    sizes = log_sizes(1002, 300, 1, 100000)
    for i, n in enumerate(sizes):
        if n > 20000 and i % 5 != 0:
            n = n // 10  # keep a few very large cases only
        p = {
            'seed': 10000 + i, 'n': n,
            'rate': pick(rng, [0.5, 0.5, 0.3, 0.1, 0.02, 0.9, 0.999]),
            'signal': pick(rng, [0.0, 0.25, 0.5, 0.75]),
            'ties': pick(rng, [0, 0, 0, 2, 3, 10, 100]),
            'thr': pick(rng, [0.5, 0.5, 0.3, 0.7, 0.9]),
            'flip': pick(rng, [0.0, 0.0, 0.1, 0.5]),
        }
        yt, yp, sc = gen_binary(p)
        with_prob = rng.uniform() < 0.8
        cases.append({'name': f'binary-{i}-n{n}', 'gen': {'kind': 'binary', **p}, 'withProb': with_prob,
                      'expected': expected_classification(yt, yp, sc if with_prob else None)})
    # The largest size the brief asks for, with scores and 20-class probabilities.
    for i, (kind, p) in enumerate([
        ('binary', {'seed': 19000, 'n': 100000, 'rate': 0.3, 'signal': 0.25, 'ties': 0, 'thr': 0.5, 'flip': 0.1}),
        ('multiclass', {'seed': 19001, 'n': 100000, 'labels': [float(j) for j in range(20)], 'acc': 0.6, 'skew': True,
                        'cover': True, 'prob': True, 'signal': 0.5, 'ties': 0}),
    ]):
        if kind == 'binary':
            yt, yp, sc = gen_binary(p)
            exp = expected_classification(yt, yp, sc)
        else:
            yt, yp, pm = gen_multiclass(p)
            exp = expected_classification(yt, yp, np.asarray(pm))
        cases.append({'name': f'{kind}-n100000', 'gen': {'kind': kind, **p}, 'withProb': True, 'expected': exp})
    label_sets = [
        None, None, None,
        [-3.0, 7.0, 1000000.0], [2.0, 4.0, 8.0, 16.0, 32.0], [-10.0, -5.0, 0.0, 5.0],
        [1.0, 2.0], [-2000000.0, 0.0, 3.0, 5000000.0],  # span > 2^20: binary-search label path
    ]
    sizes = log_sizes(1003, 160, 1, 50000)
    for i, n in enumerate(sizes):
        c = pick(rng, [3, 3, 4, 5, 7, 10, 20])
        labels = pick(rng, label_sets)
        if labels is None:
            labels = [float(j) for j in range(c)]
        c = len(labels)
        prob = n >= c and rng.uniform() < 0.7
        p = {
            'seed': 20000 + i, 'n': n, 'labels': labels,
            'acc': pick(rng, [0.0, 0.3, 0.6, 0.9, 1.0]),
            'skew': rng.uniform() < 0.3, 'cover': prob or rng.uniform() < 0.5,
            'prob': prob, 'signal': pick(rng, [0.0, 0.5, 2.0]), 'ties': pick(rng, [0, 0, 2, 8]),
        }
        yt, yp, pm = gen_multiclass(p)
        cases.append({'name': f'multiclass-{i}-c{c}-n{n}', 'gen': {'kind': 'multiclass', **p}, 'withProb': prob,
                      'expected': expected_classification(yt, yp, np.asarray(pm) if prob else None)})

    def lit(name, yt, yp, prob=None):
        cases.append({'name': name, 'input': {'yTrue': yt, 'yPred': yp, **({'yProb': prob} if prob is not None else {})},
                      'expected': expected_classification(yt, yp, np.asarray(prob) if prob is not None else None)})

    lit('edge-no-predicted-positives', [0, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0], [0.1, 0.4, 0.35, 0.8, 0.2, 0.3])
    lit('edge-one-class-all-negative', [0, 0, 0, 0], [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.7])
    lit('edge-one-class-all-positive', [1, 1, 1, 1, 1], [1, 0, 1, 1, 0], [0.9, 0.2, 0.6, 0.6, 0.1])
    lit('edge-all-wrong-binary', [0, 1, 1, 0, 1], [1, 0, 0, 1, 0], [0.9, 0.1, 0.2, 0.8, 0.3])
    lit('edge-all-wrong-multiclass', [0, 1, 2, 2, 1, 0], [1, 2, 0, 0, 0, 2])
    lit('edge-perfect-binary', [0, 1, 1, 0, 1], [0, 1, 1, 0, 1], [0.1, 0.9, 0.8, 0.2, 0.7])
    lit('edge-heavy-ties', [0, 1, 1, 0, 1, 0, 1, 0, 0, 1], [0, 1, 1, 0, 1, 0, 1, 1, 0, 1],
        [0.5, 0.5, 1.0, 0.0, 0.5, 0.5, 1.0, 0.5, 0.0, 0.5])
    lit('edge-all-scores-equal', [0, 1, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1], [0.3] * 6)
    lit('edge-single-row', [1], [1], [0.7])
    lit('edge-single-class-only', [0, 0, 0], [0, 0, 0])
    lit('edge-labels-negative-sparse', [-3, 7, 1000000, 7, -3, 1000000, 7], [7, 7, 1000000, -3, -3, 7, 7],
        [[0.2, 0.5, 0.3], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2], [0.5, 0.25, 0.25], [0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
    lit('edge-class-only-predicted', [0, 1, 2, 0, 1, 2], [0, 1, 3, 3, 1, 2],
        [[0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.1, 0.1, 0.3, 0.5], [0.4, 0.1, 0.1, 0.4], [0.2, 0.5, 0.2, 0.1], [0.1, 0.1, 0.7, 0.1]])
    lit('edge-labels-1-2-not-binary', [1, 2, 2, 1], [1, 1, 2, 2])
    return cases


# --------------------------------------------------------------------------
# thresholdMetrics

def threshold_cases() -> list[dict]:
    cases = []
    rng = Rng(2001)
    sizes = log_sizes(2002, 150, 1, 50000)
    base_thr = [0.0, 0.3, 0.5, 0.7, 1.0, 1.5]
    for i, n in enumerate(sizes):
        p = {
            'seed': 30000 + i, 'n': n, 'rate': pick(rng, [0.5, 0.2, 0.05, 0.95]),
            'signal': pick(rng, [0.0, 0.25, 0.5]), 'ties': pick(rng, [0, 0, 4, 10]), 'thr': 0.5, 'flip': 0.0,
        }
        yt, _, sc = gen_binary(p)
        # A threshold equal to a tied score value exercises >=.
        thr = base_thr + [math.floor(rng.uniform() * 1000) / 1000 for _ in range(4)] + [0.25, 0.75]
        cases.append({'name': f'threshold-{i}-n{n}', 'gen': {'kind': 'binary', **p}, 'thresholds': thr,
                      'expected': expected_thresholds(yt, sc, thr)})
    cases.append({'name': 'edge-threshold-all-negative', 'input': {'yTrue': [0, 0, 0], 'yProb': [0.2, 0.6, 0.9]},
                  'thresholds': [0.5, 0.95], 'expected': expected_thresholds([0, 0, 0], [0.2, 0.6, 0.9], [0.5, 0.95])})
    return cases


def expected_thresholds(yt, sc, thr) -> list[dict]:
    yt = np.asarray(yt, dtype=np.float64)
    sc = np.asarray(sc, dtype=np.float64)
    out = []
    for t in thr:
        pred = (sc >= t).astype(np.float64)
        kw = dict(zero_division=0, labels=[0.0, 1.0], pos_label=1.0, average='binary')
        out.append({
            'threshold': t,
            'truePositives': int(((pred == 1) & (yt == 1)).sum()),
            'falsePositives': int(((pred == 1) & (yt == 0)).sum()),
            'falseNegatives': int(((pred == 0) & (yt == 1)).sum()),
            'precision': f(skm.precision_score(yt, pred, **kw)),
            'recall': f(skm.recall_score(yt, pred, **kw)),
            'f1Score': f(skm.f1_score(yt, pred, **kw)),
        })
    return out


# --------------------------------------------------------------------------
# rocCurve / precisionRecallCurve

def expected_curves(yt, sc) -> dict:
    yt = np.asarray(yt, dtype=np.float64)
    sc = np.asarray(sc, dtype=np.float64)
    fpr, tpr, thr = skm.roc_curve(yt, sc)
    # CONVENTION: sklearn 1.2.1 puts max(score) + 1 in thresholds[0]; modelwatch
    # follows sklearn >= 1.3 (scikit-learn PR #26194), which uses +inf so that
    # the leading (0, 0) point holds for scores of any range.
    thr = thr.copy()
    thr[0] = math.inf
    pr, rc, pthr = skm.precision_recall_curve(yt, sc)
    pos = int((yt == 1).sum())
    one = [] if 0 < pos < len(yt) else ['ONE_CLASS']
    out = {
        'roc': {'fpr': fpr, 'tpr': tpr, 'thresholds': thr, 'warnings': one},
        'pr': {'precision': pr, 'recall': rc, 'thresholds': pthr, 'warnings': [] if pos > 0 else ['ONE_CLASS']},
    }
    if len(yt) <= 100:  # the full curve is long; check it on small inputs only
        fpr2, tpr2, thr2 = skm.roc_curve(yt, sc, drop_intermediate=False)
        thr2 = thr2.copy()
        thr2[0] = math.inf
        out['rocAll'] = {'fpr': fpr2, 'tpr': tpr2, 'thresholds': thr2}
    return out


def curve_cases() -> list[dict]:
    cases = []
    rng = Rng(3001)
    sizes = log_sizes(3002, 160, 1, 600)
    for i, n in enumerate(sizes):
        p = {
            'seed': 40000 + i, 'n': n, 'rate': pick(rng, [0.5, 0.3, 0.05, 0.9]),
            'signal': pick(rng, [0.0, 0.25, 0.5, 0.75]), 'ties': pick(rng, [0, 0, 0, 3, 20, 200]),
            'thr': 0.5, 'flip': 0.0, 'transform': pick(rng, ['unit', 'unit', 'heavy', 'wide']),
        }
        yt, _, sc = gen_binary(p)
        cases.append({'name': f'curve-{i}-n{n}', 'gen': {'kind': 'binary', **p}, 'expected': expected_curves(yt, sc)})
    # Large inputs whose curves stay short (heavily tied scores).
    for i, n in enumerate([20000, 100000]):
        p = {'seed': 41000 + i, 'n': n, 'rate': 0.3, 'signal': 0.25, 'ties': 50, 'thr': 0.5, 'flip': 0.0, 'transform': 'unit'}
        yt, _, sc = gen_binary(p)
        cases.append({'name': f'curve-large-ties-n{n}', 'gen': {'kind': 'binary', **p}, 'expected': expected_curves(yt, sc)})

    def lit(name, yt, sc):
        cases.append({'name': name, 'input': {'yTrue': yt, 'yScore': sc}, 'expected': expected_curves(yt, sc)})

    lit('edge-curve-heavy-ties', [0, 1, 1, 0, 1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1, 0.5, 0.5, 0.9, 0.1])
    lit('edge-curve-all-equal', [0, 1, 1, 0, 1], [0.4] * 5)
    lit('edge-curve-all-negative', [0, 0, 0], [0.1, 0.5, 0.9])
    lit('edge-curve-all-positive', [1, 1, 1], [0.1, 0.5, 0.5])
    lit('edge-curve-single', [1], [0.3])
    lit('edge-curve-negative-scores', [0, 1, 0, 1, 1], [-5.0, -1.0, -1e-300, 2.5e15, -1.0])
    return cases


# --------------------------------------------------------------------------
# regressionMetrics / regressionMetricsBySegment

def expected_regression(yt, yp) -> dict:
    yt = np.asarray(yt, dtype=np.float64)
    yp = np.asarray(yp, dtype=np.float64)
    n = len(yt)
    mse = skm.mean_squared_error(yt, yp)
    out = {
        'n': n,
        'mae': f(skm.mean_absolute_error(yt, yp)),
        'mse': f(mse),
        'rmse': math.sqrt(mse),
        # sklearn 1.2.1 r2_score: NaN below two samples, 1.0 / 0.0 for a
        # constant target (force_finite=True), like modelwatch.
        'r2Score': f(skm.r2_score(yt, yp)),
        'mape': f(skm.mean_absolute_percentage_error(yt, yp)) * 100,
        'maxError': f(skm.max_error(yt, yp)),
        'medianError': f(skm.median_absolute_error(yt, yp)),
        'warnings': ['TOO_FEW_SAMPLES'] if n < 2 else [],
    }
    return out


def regression_cases() -> list[dict]:
    cases = []
    rng = Rng(4001)
    sizes = thinned(log_sizes(4002, 260, 2, 100000))
    for i, n in enumerate(sizes):
        p = {
            'seed': 50000 + i, 'n': n,
            'dist': pick(rng, ['uniform', 'uniform', 'ties', 'heavy', 'cubic', 'sqrt']),
            'noise': pick(rng, [0.0, 0.001, 0.1, 1.0, 10.0]),
            'scale': pick(rng, [1.0, 1.0, 1.0, 1e-6, 1e6, 1e15, 1e-300]),
            'shift': pick(rng, [0.0, 0.0, 100.0, -3.5]),
            'zeroRate': pick(rng, [0.0, 0.0, 0.0, 0.1]),
        }
        if p['scale'] == 1e-300:
            p['shift'] = 0.0  # keep the 1e-300 scale visible
        yt, yp = gen_regression(p)
        cases.append({'name': f'regression-{i}-n{n}', 'gen': p, 'expected': expected_regression(yt, yp)})

    for i, dist in enumerate(['uniform', 'heavy']):
        p = {'seed': 59000 + i, 'n': 100000, 'dist': dist, 'noise': 0.1, 'scale': 1.0, 'shift': 0.0, 'zeroRate': 0.0}
        yt, yp = gen_regression(p)
        cases.append({'name': f'regression-{dist}-n100000', 'gen': p, 'expected': expected_regression(yt, yp)})

    def lit(name, yt, yp):
        cases.append({'name': name, 'input': {'yTrue': yt, 'yPred': yp}, 'expected': expected_regression(yt, yp)})

    lit('edge-constant-target-perfect', [2.5, 2.5, 2.5, 2.5], [2.5, 2.5, 2.5, 2.5])
    lit('edge-constant-target-imperfect', [2.5, 2.5, 2.5, 2.5], [2.5, 3.0, 2.0, 2.5])
    lit('edge-n1', [3.0], [4.5])
    lit('edge-mape-y-zero', [0.0, 1.0, -2.0, 0.0], [0.5, 1.5, -2.0, -1e-9])
    lit('edge-huge-1e15', [1e15, -3e15, 7.25e15, 2e15], [1.5e15, -2.9e15, 7e15, 2e15])
    lit('edge-tiny-1e-300', [1e-300, -3e-300, 7.25e-300, 2e-300], [1.5e-300, -2.9e-300, 7e-300, 2e-300])
    lit('edge-perfect', [1.0, -2.0, 3.5, 100.0], [1.0, -2.0, 3.5, 100.0])
    lit('edge-even-median', [0.0, 0.0, 0.0, 0.0], [1.0, -3.0, 2.0, 4.0])
    return cases


def segment_cases() -> list[dict]:
    cases = []
    rng = Rng(4501)
    sizes = log_sizes(4502, 60, 1, 20000)
    names = ['alpha', 'Beta', 'gamma', 'a b', '', 'zeta', '\u00e9t\u00e9', '10', '9']
    for i, n in enumerate(sizes):
        p = {
            'seed': 55000 + i, 'n': n, 'dist': pick(rng, ['uniform', 'heavy', 'ties']),
            'noise': pick(rng, [0.1, 1.0]), 'scale': 1.0, 'shift': 0.0, 'zeroRate': 0.0,
            'segSeed': 56000 + i, 'segKind': pick(rng, ['number', 'string', 'mixed']),
            'segCount': pick(rng, [1, 2, 5, 9, 30]), 'segNames': names,
        }
        yt, yp = gen_regression(p)
        seg = gen_segments(p)
        keys = sorted(set(seg), key=lambda k: (0, k, '') if isinstance(k, float) else (1, 0.0, k))
        exp = []
        for k in keys:
            idx = [j for j in range(n) if seg[j] == k]
            exp.append({'segment': k, 'metrics': expected_regression([yt[j] for j in idx], [yp[j] for j in idx])})
        cases.append({'name': f'segments-{i}-n{n}', 'gen': p, 'expected': exp})
    return cases


# --------------------------------------------------------------------------
# latencyStats / percentiles

def expected_latency(v, ps) -> dict:
    a = np.asarray(v, dtype=np.float64)
    q = np.percentile(a, [50, 75, 90, 95, 99])
    return {
        'stats': {
            'count': len(v), 'mean': f(np.mean(a)), 'std': f(np.std(a)), 'min': f(np.min(a)), 'max': f(np.max(a)),
            'p50': f(q[0]), 'p75': f(q[1]), 'p90': f(q[2]), 'p95': f(q[3]), 'p99': f(q[4]),
        },
        'percentiles': [f(x) for x in np.percentile(a, ps)],
    }


def latency_cases() -> list[dict]:
    cases = []
    rng = Rng(5001)
    sizes = thinned(log_sizes(5002, 260, 1, 100000))
    for i, n in enumerate(sizes):
        p = {
            'seed': 60000 + i, 'n': n,
            'dist': pick(rng, ['uniform', 'ties', 'heavy', 'cubic', 'sqrt']),
            'scale': pick(rng, [1.0, 1.0, 250.0, 1e-6, 1e15, 1e-300]),
        }
        ps = [0.0, 100.0, 12.5, 33.3, 99.9] + [rng.uniform() * 100.0 for _ in range(3)]
        v = gen_latency(p)
        cases.append({'name': f'latency-{i}-n{n}', 'gen': p, 'ps': ps, 'expected': expected_latency(v, ps)})

    for i, dist in enumerate(['cubic', 'heavy']):
        p = {'seed': 69000 + i, 'n': 100000, 'dist': dist, 'scale': 1.0}
        ps = [0.0, 50.0, 99.0, 99.9, 100.0]
        cases.append({'name': f'latency-{dist}-n100000', 'gen': p, 'ps': ps, 'expected': expected_latency(gen_latency(p), ps)})

    def lit(name, v, ps):
        cases.append({'name': name, 'input': {'values': v}, 'ps': ps, 'expected': expected_latency(v, ps)})

    lit('edge-latency-single', [12.5], [0.0, 50.0, 100.0])
    lit('edge-latency-all-equal', [7.0] * 9, [1.0, 50.0, 99.0])
    lit('edge-latency-zeros', [0.0, 0.0, 0.0, 3.0], [25.0, 75.0])
    lit('edge-latency-huge', [1e15, 3e15, 2.5e15, 7e15], [10.0, 90.0])
    lit('edge-latency-tiny', [1e-300, 3e-300, 2.5e-300, 7e-300], [10.0, 90.0])
    lit('edge-latency-two', [1.0, 2.0], [0.0, 37.5, 50.0, 99.0, 100.0])
    return cases


# --------------------------------------------------------------------------
# linearTrend (scipy.stats.linregress)

def exact_trend(xs, ys) -> dict:
    """linregress's quantities from the exact data in 256-bit arithmetic: the
    truth that scipy's float64 result approximates."""
    mp = mpmath.mp
    mp.prec = 256
    n = len(ys)
    x = [mpmath.mpf(float(v)) for v in xs]
    y = [mpmath.mpf(float(v)) for v in ys]
    xm = mpmath.fsum(x) / n
    ym = mpmath.fsum(y) / n
    sxx = mpmath.fsum((a - xm) ** 2 for a in x)
    syy = mpmath.fsum((b - ym) ** 2 for b in y)
    sxy = mpmath.fsum((a - xm) * (b - ym) for a, b in zip(x, y))
    slope = sxy / sxx
    out = {'slope': slope, 'intercept': ym - slope * xm}
    if syy == 0 or n < 3:
        return {k: float(v) for k, v in out.items()}
    df = n - 2
    one_minus_r2 = (sxx * syy - sxy * sxy) / (sxx * syy)  # = df / (df + t^2)
    r = sxy / mpmath.sqrt(sxx * syy)
    out['r'] = r
    out['rSquared'] = r * r
    out['pValue'] = mpmath.betainc(mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, one_minus_r2, regularized=True)
    out['stderr'] = mpmath.sqrt(one_minus_r2 * syy / sxx / df)
    out['interceptStderr'] = out['stderr'] * mpmath.sqrt(sxx / n + xm * xm)
    return {k: float(v) for k, v in out.items()}


def rel_err(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def expected_trend(x, y) -> dict:
    xs = np.arange(len(y), dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    r = scipy.stats.linregress(xs, np.asarray(y, dtype=np.float64))
    out = {
        'n': len(y), 'slope': f(r.slope), 'intercept': f(r.intercept), 'r': f(r.rvalue), 'rSquared': f(r.rvalue) ** 2,
        'pValue': f(r.pvalue), 'stderr': f(r.stderr), 'interceptStderr': f(r.intercept_stderr),
    }
    # Ill-conditioned fields. (1) scipy forms 1 - r^2 from r, which cancels
    # for a close fit: its p-value and standard errors are then off by up to
    # 1e-2 relative (n = 1e5, noise 1e-2); modelwatch takes 1 - r^2 from the
    # residual sum instead. Where scipy is more than 1e-12 from the truth, the
    # test compares with the 256-bit value at 1e-9. (2) An intercept near 0 is
    # ym - slope*xm of two much larger terms: any float64 code is off by a few
    # ulps of those terms, so the tolerance there is 1e-15 of their size.
    exact = exact_trend(xs, y)
    alt, tol = {}, {}
    if 'pValue' in exact and exact['pValue'] == 0.0 and out['pValue'] != 0.0:
        # CONVENTION: a perfect fit has p = 0; scipy's TINY guard in
        # t = r*sqrt(df/((1-r+TINY)(1+r+TINY))) leaves a tiny positive p.
        out['pValue'] = 0.0
    for k, v in exact.items():
        if v == 0 or not math.isfinite(v):
            continue
        err = rel_err(out[k], v)
        if err > 1e-12:
            alt[k] = v
            tol[k] = 1e-9
            if k == 'intercept':
                terms = abs(out['intercept']) + abs(out['slope'] * float(np.mean(xs)))
                tol[k] = max(1e-9, 1e-15 * terms / abs(v))
    if alt:
        out['exact'] = alt
        out['tolerance'] = tol
    # Every 256-bit value, to measure modelwatch's own accuracy (reported).
    out['truth'] = exact
    if exact['intercept'] != 0:
        terms = abs(out['intercept']) + abs(out['slope'] * float(np.mean(xs)))
        out['truthTolerance'] = {'intercept': max(1e-9, 1e-15 * terms / abs(exact['intercept']))}
    return out


def trend_cases() -> list[dict]:
    cases = []
    rng = Rng(6001)
    sizes = thinned(log_sizes(6002, 260, 3, 100000))
    for i, n in enumerate(sizes):
        p = {
            'seed': 70000 + i, 'n': n, 'x': pick(rng, ['default', 'default', 'uniform', 'ties', 'shifted']),
            'slope': pick(rng, [0.0, 0.001, -0.01, 0.5, -3.0]), 'intercept': pick(rng, [0.0, 0.8, -50.0]),
            'noise': pick(rng, [0.01, 0.1, 1.0, 10.0]), 'heavy': rng.uniform() < 0.2,
        }
        x, y = gen_trend(p)
        cases.append({'name': f'trend-{i}-n{n}', 'gen': p, 'expected': expected_trend(x, y)})

    for i, xk in enumerate(['default', 'uniform']):
        p = {'seed': 79000 + i, 'n': 100000, 'x': xk, 'slope': 0.001, 'intercept': 0.8, 'noise': 1.0, 'heavy': False}
        x, y = gen_trend(p)
        cases.append({'name': f'trend-{xk}-n100000', 'gen': p, 'expected': expected_trend(x, y)})

    def lit(name, y, x=None):
        cases.append({'name': name, 'input': {'values': y, **({'x': x} if x is not None else {})}, 'expected': expected_trend(x, y)})

    lit('edge-trend-n2-equal', [3.0, 3.0])
    lit('edge-trend-n2-different', [3.0, 5.0])
    lit('edge-trend-n3', [0.9, 0.85, 0.88])
    lit('edge-trend-perfect-line', [1.0, 3.0, 5.0, 7.0, 9.0])
    lit('edge-trend-constant-y', [0.5, 0.5, 0.5, 0.5])
    lit('edge-trend-tiny-p', [i * 0.5 + (0.001 if i % 2 else -0.001) for i in range(40)])
    lit('edge-trend-p-near-1', [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5])
    lit('edge-trend-custom-x', [0.91, 0.9, 0.86, 0.87, 0.8], [1.0, 2.0, 4.0, 8.0, 16.0])
    return cases


# --------------------------------------------------------------------------
# Ranking: the spec chapter's RankingMetrics, adjusted for modelwatch.

def spec_ranking(relevant: dict, ranked: list, k: int, ideal: str) -> list[float]:
    """[P@k, R@k, NDCG@k, RR] as the spec chapter's RankingMetrics, with
    modelwatch's two deliberate differences:
    CONVENTION 1: NDCG's ideal DCG ranks all relevant items (standard NDCG, as
      sklearn's ndcg_score); ideal='retrieved' re-sorts only the retrieved top
      k, which is the spec sketch (it scores 1 whenever the hits come first,
      however many relevant items were missed).
    CONVENTION 2: an item repeated in the ranked list counts once, at its first
      position (the spec's P@k and R@k already use sets; its NDCG would count
      the repeat again, letting a list gain by repeating a hit).
    Graded relevance uses the gain in place of 1 (linear gains, like sklearn).
    """
    def gain(item):
        return relevant.get(item, 0.0)

    top = ranked[:k]
    hits = len(set(top) & set(relevant))
    precision = hits / k
    recall = hits / len(relevant) if relevant else 0
    seen = set()
    rels = []
    for item in top:
        rels.append(0.0 if item in seen else gain(item))
        seen.add(item)

    def dcg(values):
        return sum(r / np.log2(i + 2) for i, r in enumerate(values))

    if ideal == 'retrieved':
        ideal_rels = sorted(rels, reverse=True)
    else:
        ideal_rels = sorted(relevant.values(), reverse=True)[:k]
    idcg = dcg(ideal_rels)
    ndcg = dcg(rels) / idcg if idcg > 0 else 0
    rr = 0.0
    for i, item in enumerate(ranked):
        if item in relevant:
            rr = 1.0 / (i + 1)
            break
    return [float(precision), float(recall), float(ndcg), rr]


def sklearn_ndcg(relevant: dict, ranked: list, k: int) -> float | None:
    """sklearn.metrics.ndcg_score(k=k) of one query, where the ranking is
    given by scores that fall with the position (no ties); unranked relevant
    items get lower scores still. Only comparable when the list holds at least
    k distinct items (else sklearn would rank unranked items into the top k)."""
    if len(ranked) < k or len(set(ranked)) != len(ranked):
        return None
    docs = list(ranked) + [d for d in relevant if d not in set(ranked)]
    if len(docs) < 2:
        return None
    y_true = np.array([[relevant.get(d, 0.0) for d in docs]])
    y_score = np.array([[float(len(docs) - i) for i in range(len(docs))]])
    return float(skm.ndcg_score(y_true, y_score, k=k))


def ranking_cases() -> list[dict]:
    cases = []
    rng = Rng(7001)
    for i in range(240):
        graded = rng.uniform() < 0.4
        p = {
            'seed': 80000 + i, 'queries': pick(rng, [1, 1, 5, 20, 100]),
            'items': pick(rng, [5, 20, 100, 1000]), 'rel': pick(rng, [0, 1, 3, 10, 30]),
            'listLen': pick(rng, [1, 5, 10, 20, 50]), 'graded': graded, 'levels': pick(rng, [1, 2, 3, 5]),
            'dup': rng.uniform() < 0.2, 'strings': rng.uniform() < 0.3,
        }
        p['listLen'] = min(p['listLen'], p['items'])
        k = pick(rng, [1, 3, 5, 10, 25, 60])  # 60 > every list length
        qs = gen_ranking(p)
        cases.append(ranking_case(f'ranking-{i}', {'gen': p}, qs, k))

    def lit(name, queries, k):
        cases.append(ranking_case(name, {'input': {'queries': queries}}, [
            {'relevant': q['relevant'] if isinstance(q['relevant'], dict) else {x: 1.0 for x in q['relevant']},
             'ranked': q['ranked']} for q in queries], k))

    lit('edge-ndcg-tied-relevance', [{'relevant': {'a': 2.0, 'b': 2.0, 'c': 1.0, 'd': 1.0}, 'ranked': ['d', 'x', 'b', 'c', 'a']}], 3)
    lit('edge-k-larger-than-list', [{'relevant': [1, 2, 3], 'ranked': [3, 9, 1]}], 10)
    lit('edge-empty-relevant', [{'relevant': [], 'ranked': [1, 2, 3]}, {'relevant': [2], 'ranked': [1, 2, 3]}], 2)
    lit('edge-duplicates-in-ranked', [{'relevant': [1, 2], 'ranked': [1, 1, 1, 2, 3]}], 3)
    lit('edge-no-hits', [{'relevant': [7, 8], 'ranked': [1, 2, 3]}], 3)
    lit('edge-hit-beyond-k', [{'relevant': [3], 'ranked': [1, 2, 3]}], 1)
    return cases


def ranking_case(name: str, source: dict, qs: list[dict], k: int) -> dict:
    per = [spec_ranking(q['relevant'], q['ranked'], k, 'relevant') for q in qs]
    per_ret = [spec_ranking(q['relevant'], q['ranked'], k, 'retrieved') for q in qs]
    # reciprocalRank(relevant, ranked) has no k: the whole list.
    rr = [spec_ranking(q['relevant'], q['ranked'], max(1, len(q['ranked'])), 'relevant')[3] for q in qs]
    nq = len(qs)

    def mean(rows, m):
        s = 0.0
        for r in rows:
            s += r[m]
        return s / nq

    empty = sum(1 for q in qs if not q['relevant'])
    exp = {
        'perQuery': per, 'ndcgRetrieved': [r[2] for r in per_ret], 'reciprocalRank': rr,
        'means': {'queries': nq, 'k': k, 'precisionAtK': mean(per, 0), 'recallAtK': mean(per, 1), 'ndcgAtK': mean(per, 2),
                  'mrr': mean(per, 3), 'queriesWithoutRelevant': empty},
        'meansRetrieved': {'ndcgAtK': mean(per_ret, 2)},
        'warnings': ['NO_RELEVANT_ITEMS'] if empty else [],
    }
    sk = [sklearn_ndcg(q['relevant'], q['ranked'], k) for q in qs]
    exp['sklearnNdcg'] = sk  # None where not comparable
    return {'name': name, **source, 'k': k, 'expected': exp}


# --------------------------------------------------------------------------
# The generators themselves: small outputs stored literally, so a drift
# between this file and test/support/gen.ts shows up as its own failure.

def generator_cases() -> list[dict]:
    rng = Rng(42)
    out = [{'name': 'u32', 'values': [rng.u32() for _ in range(8)]},
           {'name': 'uniform', 'values': [rng.uniform() for _ in range(8)]}]
    for t in ('unit', 'heavy', 'wide'):
        p = {'seed': 7, 'n': 25, 'rate': 0.3, 'signal': 0.25, 'ties': 0 if t == 'unit' else 7, 'thr': 0.5, 'flip': 0.1, 'transform': t}
        yt, yp, sc = gen_binary(p)
        out.append({'name': f'binary-{t}', 'gen': p, 'values': {'yTrue': yt, 'yPred': yp, 'score': sc}})
    p = {'seed': 8, 'n': 12, 'labels': [-3.0, 7.0, 1000000.0], 'acc': 0.5, 'skew': True, 'cover': True, 'prob': True, 'signal': 0.5, 'ties': 8}
    yt, yp, pm = gen_multiclass(p)
    out.append({'name': 'multiclass', 'gen': p, 'values': {'yTrue': yt, 'yPred': yp, 'prob': pm}})
    for d in ('uniform', 'ties', 'heavy', 'cubic', 'sqrt'):
        p = {'seed': 9, 'n': 10, 'dist': d, 'noise': 0.1, 'scale': 1e15, 'shift': -3.5, 'zeroRate': 0.2}
        yt, yp = gen_regression(p)
        out.append({'name': f'regression-{d}', 'gen': p, 'values': {'yTrue': yt, 'yPred': yp}})
        p = {'seed': 10, 'n': 10, 'dist': d, 'scale': 1e-300}
        out.append({'name': f'latency-{d}', 'gen': p, 'values': gen_latency(p)})
    p = {'n': 15, 'segSeed': 11, 'segKind': 'mixed', 'segCount': 9, 'segNames': ['x', 'y', 'z']}
    out.append({'name': 'segments', 'gen': p, 'values': gen_segments(p)})
    for xk in ('default', 'uniform', 'ties', 'shifted'):
        p = {'seed': 12, 'n': 10, 'x': xk, 'slope': -3.0, 'intercept': 0.8, 'noise': 0.1, 'heavy': xk == 'ties'}
        x, y = gen_trend(p)
        out.append({'name': f'trend-{xk}', 'gen': p, 'values': {'x': x, 'y': y}})
    for dup in (False, True):
        p = {'seed': 13, 'queries': 3, 'items': 20, 'rel': 4, 'listLen': 6, 'graded': True, 'levels': 3, 'dup': dup, 'strings': dup}
        qs = gen_ranking(p)
        out.append({'name': f'ranking-dup{dup}', 'gen': p,
                    'values': [{'relevant': list(q['relevant'].items()), 'ranked': q['ranked']} for q in qs]})
    return out


# --------------------------------------------------------------------------
# [estimate] calibration: IsotonicRegression, calibration_curve, brier_score_loss

def iso_weights(n: int, mode: str) -> list[float] | None:
    """Sample weights mirrored in the tests: none, (i % 4) (zeros included) or 0.5 + (i % 3)."""
    if mode == 'none':
        return None
    if mode == 'mod4':
        return [float(i % 4) for i in range(n)]
    return [0.5 + (i % 3) for i in range(n)]


def expected_isotonic(x, y, w, probe) -> dict:
    from sklearn.isotonic import IsotonicRegression
    r = IsotonicRegression(out_of_bounds='clip', increasing=True).fit(np.asarray(x), np.asarray(y), sample_weight=None if w is None else np.asarray(w))
    return {'x': r.X_thresholds_.tolist(), 'y': r.y_thresholds_.tolist(), 'probe': r.predict(np.asarray(probe)).tolist()}


def expected_calibration(yt, prob, bins) -> dict:
    from sklearn.calibration import calibration_curve
    yt = np.asarray(yt, dtype=np.float64)
    prob = np.asarray(prob, dtype=np.float64)
    prob_true, prob_pred = calibration_curve(yt, prob, n_bins=bins, strategy='uniform')
    # The counts behind calibration_curve (same binning: searchsorted on the interior edges).
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], prob)
    total = np.bincount(ids, minlength=bins)
    counts = total[total != 0]
    gaps = np.abs(prob_true - prob_pred)
    return {
        'n': len(yt), 'count': counts.tolist(), 'fractionPositive': prob_true.tolist(), 'meanProbability': prob_pred.tolist(),
        'lower': (np.nonzero(total)[0] / bins).tolist(),
        'expectedCalibrationError': f(np.sum(counts / len(yt) * gaps)), 'maxCalibrationError': f(np.max(gaps)),
        'brierScore': f(skm.brier_score_loss(yt, prob)),
    }


def calibration_cases() -> list[dict]:
    cases = []
    rng = Rng(7001)
    sizes = thinned(log_sizes(7002, 100, 1, 100000))
    for i, n in enumerate(sizes):
        p = {'seed': 70000 + i, 'n': n, 'rate': pick(rng, [0.5, 0.3, 0.1, 0.9, 0.0, 1.0]),
             'signal': pick(rng, [0.0, 0.25, 0.5, 0.75]), 'ties': pick(rng, [0, 0, 0, 2, 10, 100]),
             'thr': 0.5, 'flip': 0.0}
        yt, _, sc = gen_binary(p)
        weights = pick(rng, ['none', 'none', 'mod4', 'frac'])
        w = iso_weights(n, weights)
        probe_p = {**p, 'seed': p['seed'] + 500000, 'n': min(n, 200)}
        probe = gen_binary(probe_p)[2] + [-1.0, 2.0, 0.0, 1.0]
        case = {'name': f'calibration-{i}-n{n}', 'gen': {'kind': 'binary', **p}, 'weights': weights, 'probeN': probe_p['n'],
                'bins': pick(rng, [10, 10, 5, 15, 100])}
        if w is None or sum(w) > 0:
            case['isotonic'] = expected_isotonic(sc, yt, w, probe)
        case['metrics'] = expected_calibration(yt, sc, case['bins'])
        cases.append(case)

    def lit(name, x, y, bins=10):
        cases.append({'name': name, 'input': {'yTrue': y, 'yProb': x}, 'bins': bins, 'weights': 'none', 'probe': [-1.0, 0.25, 0.5, 2.0],
                      'isotonic': expected_isotonic(x, y, None, [-1.0, 0.25, 0.5, 2.0]), 'metrics': expected_calibration(y, x, bins)})

    lit('edge-single-row', [0.3], [1])
    lit('edge-all-same-score', [0.4] * 7, [0, 1, 1, 0, 1, 0, 0])
    lit('edge-one-class', [0.1, 0.9, 0.5, 0.7], [0, 0, 0, 0])
    lit('edge-on-bin-edges', [0.0, 0.1, 0.2, 0.30000000000000004, 0.5, 0.7, 0.9, 1.0], [0, 0, 1, 0, 1, 1, 0, 1])
    lit('edge-ties-in-x', [0.2, 0.2, 0.2, 0.6, 0.6, 0.9, 0.1, 0.1], [1, 0, 1, 0, 0, 1, 0, 1])
    lit('edge-decreasing', [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 1, 1, 0, 0, 0], 3)
    lit('edge-near-duplicate-x', [0.5, 0.5 + 4e-16, 0.5 + 2e-15, 0.7], [1, 0, 0, 1])
    return cases


# --------------------------------------------------------------------------
# [estimate] drift: ks_2samp, wasserstein_distance, Evidently's PSI /
# Jensen-Shannon / normalized Wasserstein / chi-square

def evidently_bins(ref: np.ndarray, cur: np.ndarray, kind: str = 'auto'):
    """Evidently's get_binned_data (numeric when the reference has more than 20
    distinct values), with its zero fill; returns (kind, edges, ref%, cur%)."""
    n_vals = len(np.unique(ref))
    if kind == 'numeric' or (kind == 'auto' and n_vals > 20):
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins='sturges')
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
        out_kind = 'numeric'
    else:
        keys = np.unique(np.concatenate([ref, cur]))
        bins = keys
        rp = np.array([np.sum(ref == k) / len(ref) for k in keys])
        cp = np.array([np.sum(cur == k) / len(cur) for k in keys])
        out_kind = 'categorical'
    for arr in (rp, cp):
        least = min(arr[arr != 0])
        np.place(arr, arr == 0, least / 10**6 if least <= 0.0001 else 0.0001)
    return out_kind, bins, rp, cp


def expected_drift(ref, cur) -> dict:
    from scipy.spatial import distance
    r = np.asarray(ref, dtype=np.float64)
    c = np.asarray(cur, dtype=np.float64)
    ks = scipy.stats.ks_2samp(r, c)
    w = scipy.stats.wasserstein_distance(r, c)
    kind, edges, rp, cp = evidently_bins(r, c)
    psi = 0.0
    for i in range(len(rp)):
        psi += (rp[i] - cp[i]) * np.log(rp[i] / cp[i])
    return {
        'ks': {'statistic': f(ks.statistic), 'pValue': f(ks.pvalue), 'method': 'exact' if max(len(r), len(c)) <= 10000 else 'asymp'},
        'wasserstein': f(w), 'normalizedWasserstein': f(w / max(np.std(r), 0.001)),
        'bins': {'kind': kind, 'edges': edges.tolist(), 'reference': rp.tolist(), 'current': cp.tolist()},
        'psi': f(psi), 'jensenShannon': f(distance.jensenshannon(rp, cp)),
    }


def expected_chisquare(ref, cur) -> dict:
    r = np.asarray(ref)
    c = np.asarray(cur)
    keys = np.unique(np.concatenate([r, c]))
    k_norm = c.shape[0] / r.shape[0]
    f_exp = [np.sum(r == k) * k_norm for k in keys]
    f_obs = [np.sum(c == k) for k in keys]
    stat, p = scipy.stats.chisquare(f_obs, f_exp)
    return {'statistic': f(stat), 'pValue': f(p) if len(keys) > 1 else math.nan, 'dof': len(keys) - 1, 'classes': keys.tolist()}


def drift_cases(asymp: bool) -> list[dict]:
    cases = []
    rng = Rng(8001)
    sizes = thinned(log_sizes(8002, 140, 1, 10000))
    for i, n in enumerate(sizes):
        m = max(1, min(10000, int(n * pick(rng, [1.0, 1.0, 0.5, 2.0, 0.1, 3.0]))))
        ties = pick(rng, [0, 0, 0, 4, 20, 1000])
        a = {'seed': 80000 + i, 'n': n, 'shift': 0.0, 'scale': 1.0, 'ties': ties}
        b = {'seed': 90000 + i, 'n': m, 'shift': pick(rng, [0.0, 0.0, 0.05, 0.2, 1.0]), 'scale': pick(rng, [1.0, 1.0, 1.5, 0.5]), 'ties': ties}
        cases.append({'name': f'drift-{i}-n{n}-m{m}', 'reference': a, 'current': b, 'expected': expected_drift(gen_sample(a), gen_sample(b))})
    if asymp:
        for i, (n, m, shift) in enumerate([(20000, 20000, 0.0), (20000, 15000, 0.02), (12000, 300, 0.1), (50000, 10001, 0.05),
                                            (10001, 40, 0.0), (30000, 30000, 0.5), (100000, 100000, 0.01)]):
            a = {'seed': 85000 + i, 'n': n, 'shift': 0.0, 'scale': 1.0, 'ties': 0}
            b = {'seed': 95000 + i, 'n': m, 'shift': shift, 'scale': 1.0, 'ties': 0}
            cases.append({'name': f'drift-asymp-{i}-n{n}-m{m}', 'reference': a, 'current': b, 'expected': expected_drift(gen_sample(a), gen_sample(b))})
    for i in range(30):
        n = [1, 2, 5, 30, 200, 1000, 5000][i % 7]
        m = max(1, [1, 3, 7, 40, 150, 1200, 4000][(i * 3) % 7])
        a = {'seed': 81000 + i, 'n': n, 'classes': pick(rng, [2, 3, 5, 12]), 'skew': rng.uniform() < 0.5}
        b = {'seed': 91000 + i, 'n': m, 'classes': a['classes'] + pick(rng, [0, 0, 1]), 'skew': rng.uniform() < 0.5}
        cases.append({'name': f'classes-{i}-n{n}-m{m}', 'classesReference': a, 'classesCurrent': b,
                      'expected': {'chiSquare': expected_chisquare(gen_classes(a), gen_classes(b)),
                                   **expected_drift(gen_classes(a), gen_classes(b))}})

    # kstwo.sf(x, n) over every branch of scipy's _kolmogn (the asymptotic p-value).
    grid = []
    for n in [1, 2, 3, 5, 10, 37, 80, 140, 141, 500, 2500, 9999, 20000, 100000, 150000]:
        for x in [0.0005, 0.002, 0.005, 0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.6, 0.9]:
            grid.append([n, x, f(scipy.stats.kstwo.sf(x, n))])
    cases.append({'name': 'kstwo-grid', 'kstwo': grid})

    def lit(name, ref, cur):
        cases.append({'name': name, 'input': {'reference': ref, 'current': cur}, 'expected': expected_drift(ref, cur)})

    lit('edge-single-values', [0.5], [0.7])
    lit('edge-identical', [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
    lit('edge-all-same', [2.0] * 25, [2.0] * 10)
    lit('edge-disjoint', [float(i) for i in range(30)], [100.0 + i for i in range(12)])
    lit('edge-negative-zero', [-0.0, 0.0, 1.0, -1.0], [0.0, 0.0, -0.0, 2.0])
    return cases


# --------------------------------------------------------------------------
# [estimate] CBPE: a plain transcription of NannyML's binary CBPE

def nannyml_roc_auc(p: np.ndarray) -> float:
    thresholds = np.append(np.sort(p), 1)
    one_min = 1 - thresholds
    TP = np.cumsum(thresholds[::-1])[::-1]
    FP = np.cumsum(one_min[::-1])[::-1]
    FN = np.cumsum(np.insert(thresholds, 0, 0, axis=0)[:-1])
    TN = np.cumsum(np.insert(one_min, 0, 0, axis=0)[:-1])
    keep = np.diff(np.insert(thresholds, 0, -1, axis=0)).astype(bool)
    TP, FP, FN, TN = TP[keep], FP[keep], FN[keep], TN[keep]
    if len(TP) < 2:
        # CONVENTION: every calibrated probability is 1: one ROC point, no
        # area; sklearn's auc (and so NannyML) raises, modelwatch says NaN.
        return math.nan
    return f(skm.auc(FP / (FP + TN), TP / (TP + FN)))


def nannyml_auroc_components(yt: np.ndarray, p: np.ndarray):
    y = yt.copy()
    s = p.copy()
    if np.mean(y) > 0.5:
        y = abs(y - 1)
        s = 1 - s
    # CONVENTION: NannyML orders by numpy's (unstable) argsort; ties between a
    # positive and a negative are ranked positive first here, as in modelwatch.
    order = np.lexsort((1 - y, s))
    y = y[order]
    ranks = np.arange(len(s))
    indexes = np.unique(y * ranks)[1:]
    ser = np.array([index - i for i, index in enumerate(indexes)], dtype=np.float64)
    n_pos = np.sum(y)
    n_neg = len(y) - n_pos
    return (f(np.std(ser / n_neg)) if len(ser) else math.nan), f(n_pos / len(y))


def expected_cbpe(ref: tuple, ana: tuple, calibrate: bool) -> dict:
    from sklearn.isotonic import IsotonicRegression
    ryt, ryp, rsc = (np.asarray(v, dtype=np.float64) for v in ref)
    ayp, asc = (np.asarray(v, dtype=np.float64) for v in ana)
    if calibrate:
        cal = IsotonicRegression(out_of_bounds='clip', increasing=True).fit(rsc, ryt)
        rp, ap = cal.predict(rsc), cal.predict(asc)
    else:
        rp, ap = rsc, asc
    # Sampling-error components (nannyml/sampling_error/binary_classification.py).
    acc_std = np.std((ryt == ryp).astype(int))
    TPr = np.where((ryt == ryp) & (ryp == 1), 1, np.nan)
    FPr = np.where((ryt != ryp) & (ryp == 1), 0, np.nan)
    FNr = np.where((ryt != ryp) & (ryp == 0), 0, np.nan)
    TPr, FPr, FNr = TPr[~np.isnan(TPr)], FPr[~np.isnan(FPr)], FNr[~np.isnan(FNr)]
    prec = (np.std(np.concatenate([TPr, FPr])), np.sum(ryp) / len(ryp))
    rec = (np.std(np.concatenate([TPr, FNr])), np.sum(ryt) / len(ryp))
    tp_fp_fn = np.concatenate([TPr, FNr, FPr])
    factor = len(tp_fp_fn) / ((len(FNr) + len(FPr)) * 0.5 + len(TPr))
    f1c = (np.std(tp_fp_fn * factor), len(tp_fp_fn) / len(ryp))
    aucc = nannyml_auroc_components(ryt, rp)
    n = len(ayp)

    def se(c):
        return f(c[0] / np.sqrt(n * c[1]))

    tp = np.sum(np.where(ayp == 1, ap, 0))
    fp = np.sum(np.where(ayp == 1, 1 - ap, 0))
    fn = np.sum(np.where(ayp == 0, ap, 0))
    tn = np.sum(np.where(ayp == 0, 1 - ap, 0))
    return {
        'n': n, 'truePositives': f(tp), 'falsePositives': f(fp), 'falseNegatives': f(fn), 'trueNegatives': f(tn),
        'accuracy': {'value': f((tp + tn) / n), 'samplingError': f(acc_std / np.sqrt(n))},
        'precision': {'value': f(tp / (tp + fp)) if tp + fp else 0.0, 'samplingError': se(prec)},
        'recall': {'value': f(tp / (tp + fn)) if tp + fn else 0.0, 'samplingError': se(rec)},
        'f1Score': {'value': f(tp / (tp + 0.5 * (fp + fn))) if tp + fp + fn else 0.0, 'samplingError': se(f1c)},
        'rocAuc': {'value': nannyml_roc_auc(ap), 'samplingError': se(aucc)},
    }


def expected_cbpe_multiclass(ref: tuple, ana: tuple, calibrate: bool) -> dict:
    """A transcription of NannyML's multiclass CBPE: one-vs-rest isotonic
    calibrators, rows renormalized, macro averages of the binary estimates,
    and sampling_error/multiclass_classification.py."""
    from sklearn.isotonic import IsotonicRegression
    ryt, ryp = (np.asarray(v, dtype=np.float64) for v in ref[:2])
    rpm = np.asarray(ref[2], dtype=np.float64)
    ayp = np.asarray(ana[0], dtype=np.float64)
    apm = np.asarray(ana[1], dtype=np.float64)
    classes = sorted(set(ryt.tolist()) | set(ryp.tolist()))
    C = len(classes)

    def calibrate_rows(pm, cals):
        if cals is None:
            return pm
        out = np.zeros_like(pm)
        for j in range(C):
            out[:, j] = cals[j].predict(pm[:, j])
        den = np.sum(out, axis=1)[:, np.newaxis]
        return np.divide(out, den, out=np.full_like(out, 1 / C), where=den != 0)

    cals = [IsotonicRegression(out_of_bounds='clip', increasing=True).fit(rpm[:, j], (ryt == c).astype(float))
            for j, c in enumerate(classes)] if calibrate else None
    rp = calibrate_rows(rpm, cals)
    ap = calibrate_rows(apm, cals)
    n = len(ayp)
    # Components.
    acc_std = np.std((ryt == ryp).astype(int))
    prec_c, rec_c, f1_c, auc_c = [], [], [], []
    for j, c in enumerate(classes):
        yt = (ryt == c).astype(float)
        yp = (ryp == c).astype(float)
        TP = np.where((yt == yp) & (yp == 1), 1, np.nan); TP = TP[~np.isnan(TP)]
        FP = np.where((yt != yp) & (yp == 1), 0, np.nan); FP = FP[~np.isnan(FP)]
        FN = np.where((yt != yp) & (yp == 0), 0, np.nan); FN = FN[~np.isnan(FN)]
        prec_c.append((np.var(np.concatenate([TP, FP])), np.sum(yp) / len(yp)))
        rec_c.append((np.var(np.concatenate([TP, FN])), np.sum(yt) / len(yp)))
        f1_c.append((np.var(np.concatenate([TP, FN, FP])), (len(TP) + len(FN) + len(FP)) / len(yp)))
        std, frac = nannyml_auroc_components(yt, rp[:, j])
        auc_c.append((std * std, frac))

    def sdv(comps, factor=1.0):
        return f(np.sqrt(np.sum([v / (n * fr) for v, fr in comps])) / len(comps) * factor)

    precs, recs, f1s, aucs = [], [], [], []
    for j, c in enumerate(classes):
        yp = (ayp == c)
        p = ap[:, j]
        tp = np.sum(np.where(yp, p, 0)); fp = np.sum(np.where(yp, 1 - p, 0)); fn = np.sum(np.where(~yp, p, 0))
        precs.append(tp / (tp + fp) if tp + fp else 0.0)
        recs.append(tp / (tp + fn) if tp + fn else 0.0)
        f1s.append(tp / (tp + 0.5 * (fp + fn)) if tp + fp + fn else 0.0)
        aucs.append(nannyml_roc_auc(p))
    onehot = np.stack([(ayp == c).astype(float) for c in classes], axis=1)
    return {
        'n': n, 'classes': classes,
        'accuracy': {'value': f(np.mean(np.max(onehot * ap, axis=1))), 'samplingError': f(acc_std / np.sqrt(n))},
        'precision': {'value': f(np.mean(precs)), 'samplingError': sdv(prec_c)},
        'recall': {'value': f(np.mean(recs)), 'samplingError': sdv(rec_c)},
        'f1Score': {'value': f(np.mean(f1s)), 'samplingError': sdv(f1_c)},
        'rocAuc': {'value': f(np.mean(aucs)), 'samplingError': sdv(auc_c, 1.2)},
    }


def estimate_cases() -> list[dict]:
    cases = []
    rng = Rng(9001)
    sizes = thinned(log_sizes(9002, 60, 20, 50000))
    for i, n in enumerate(sizes):
        ref = {'seed': 100000 + i, 'n': n, 'rate': pick(rng, [0.5, 0.3, 0.1, 0.7]), 'signal': pick(rng, [0.25, 0.5, 0.75]),
               'ties': 0, 'thr': pick(rng, [0.5, 0.5, 0.3, 0.7]), 'flip': pick(rng, [0.0, 0.0, 0.1])}
        m = max(5, int(n * pick(rng, [1.0, 0.5, 0.1, 2.0])))
        ana = {**ref, 'seed': 200000 + i, 'n': m, 'rate': min(0.95, ref['rate'] * pick(rng, [1.0, 1.0, 0.5, 1.5]))}
        calibrate = rng.uniform() < 0.7
        r = gen_binary(ref)
        a = gen_binary(ana)
        cases.append({'name': f'cbpe-{i}-n{n}-m{m}' + ('' if calibrate else '-raw'), 'reference': ref, 'analysis': ana, 'calibrate': calibrate,
                      'expected': expected_cbpe(r, (a[1], a[2]), calibrate)})
    # Multiclass (NannyML's one-vs-rest CBPE), C = 3..8.
    sizes = log_sizes(9003, 24, 50, 20000)
    for i, n in enumerate(sizes):
        c = pick(rng, [3, 3, 4, 5, 8])
        ref = {'seed': 300000 + i, 'n': n, 'labels': [float(j) for j in range(c)], 'acc': pick(rng, [0.5, 0.7, 0.9]),
               'skew': rng.uniform() < 0.3, 'cover': True, 'prob': True, 'signal': pick(rng, [0.5, 2.0]), 'ties': 0}
        m = max(c, int(n * pick(rng, [1.0, 0.5, 2.0])))
        ana = {**ref, 'seed': 400000 + i, 'n': m, 'skew': rng.uniform() < 0.5}
        calibrate = rng.uniform() < 0.7
        r = gen_multiclass(ref)
        a = gen_multiclass(ana)
        cases.append({'name': f'cbpe-multiclass-{i}-c{c}-n{n}-m{m}' + ('' if calibrate else '-raw'), 'multiclass': True,
                      'reference': ref, 'analysis': ana, 'calibrate': calibrate,
                      'expected': expected_cbpe_multiclass(r, (a[1], a[2]), calibrate)})
    return cases


# --------------------------------------------------------------------------

def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    header = {
        'generator': 'scripts/gen_fixtures.py',
        'references': {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'scipy': scipy.__version__},
    }
    families = {
        'generator': generator_cases,
        'classification': classification_cases,
        'threshold': threshold_cases,
        'curves': curve_cases,
        'regression': regression_cases,
        'segments': segment_cases,
        'latency': latency_cases,
        'trend': trend_cases,
        'ranking': ranking_cases,
        # [estimate]
        'calibration': calibration_cases,
        'drift': lambda: drift_cases(ASYMP),
        'estimate': estimate_cases,
    }
    only = sys.argv[1:]  # `python3 scripts/gen_fixtures.py trend latency` regenerates those files only
    total = 0
    for name, make in families.items():
        if only and name not in only:
            continue
        data = {**header, 'cases': make()}
        path = os.path.join(OUT, f'{name}.json')
        text = json.dumps(enc(data), separators=(',', ':'), allow_nan=False)
        with open(path, 'w') as fh:
            fh.write(text + '\n')
        total += len(text)
        print(f'{name}: {len(data["cases"])} cases, {len(text) / 1024:.0f} KiB')
    print(f'total {total / 1024:.0f} KiB')


if __name__ == '__main__':
    main()
