"""The seed notebooks' initial values, float64, read-only (``.copy()`` before changing one).

Each dict is named after its seed in /work/shared/seeds/.
"""

import numpy as np


def _ro(values):
    a = np.array(values, dtype=np.float64)
    a.setflags(write=False)
    return a


# Seed 001 (2-2-1 net: ReLU hidden, sigmoid output, BCE). Column layout:
# zh = Wh x + bh (2,1), zo = Wo uh + bo (1,1). The seed's tensors are int32.
SEED001 = {
    "x": _ro([[1.0], [1.0]]),
    "y": _ro([[1.0]]),
    "Wh": _ro([[2.0, 4.0], [3.0, -5.0]]),
    "bh": _ro([[-2.0], [1.0]]),
    "Wo": _ro([[4.0, 6.0]]),
    "bo": _ro([[-3.5]]),
}

# Seed 002 (4-3-1 sigmoid net, E = (Y - Y_cap)^2, lr 0.1). Z = W1^T X. W1, W2 are the values the
# notebook printed (4 decimals) from an unseeded torch.rand.
SEED002 = {
    "X": _ro([[0.9], [0.8], [0.7], [0.6]]),
    "Y": _ro([[0.0]]),
    "W1": _ro(
        [
            [0.6915, 0.2038, 0.1092],
            [0.8664, 0.2407, 0.9444],
            [0.9586, 0.5905, 0.4535],
            [0.4292, 0.7313, 0.8132],
        ]
    ),
    "W2": _ro([[0.9415], [0.9888], [0.9888]]),
    "lr": 0.1,
}

# Seed 003: Zaki & Meira Example 25.3 (the book's configuration; the seed's own run differs).
SEED003 = {
    "n": 25,
    "x_range": (-10.0, 10.0),
    "m": 10,
    "hidden": "tanh",
    "output": "identity",
    "eta": 0.005,
    "init_range": (-0.01, 0.01),
    "epochs": 30000,
    "n_test": 1000,
    "test_sse": 1.45,
}

# Seed 004, part 1: single ReLU neuron, loss (relu(w.x + b) - target)^2.
SEED004_NEURON = {
    "x": _ro([1.0, -2.0, 3.0]),
    "w": _ro([-3.0, -1.0, 2.0]),
    "b": 1.0,
    "target": 0.0,
    "lr": 0.001,
    "steps": 200,
}

# Seed 004, part 2: dense ReLU layer, W (3,4) rows = neurons, z = W x + b, loss (sum relu(z))^2.
SEED004_LAYER = {
    "x": _ro([1.0, 2.0, 3.0, 4.0]),
    "W": _ro([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]),
    "b": _ro([0.1, 0.2, 0.3]),
    "lr": 0.001,
    "steps": 200,
}
