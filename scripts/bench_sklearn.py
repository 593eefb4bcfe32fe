"""Times scikit-learn's roc_auc_score + average_precision_score on the rows the
Node benchmark wrote (float64 files), median of N rounds after warm-up."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

y = np.fromfile(sys.argv[1], dtype=np.float64).astype(np.int64)
s = np.fromfile(sys.argv[2], dtype=np.float64)
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
for _ in range(2):
    roc_auc_score(y, s), average_precision_score(y, s)
times = []
for _ in range(rounds):
    t0 = time.perf_counter()
    auc = roc_auc_score(y, s)
    ap = average_precision_score(y, s)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": float(np.median(times)), "auc": float(auc), "ap": float(ap), "version": sklearn.__version__}))
