"""Wrong answers for lesson 03 (seed 002): answer-cell sources with the misconception the
feedback must name. Format: WRONG[ex_id] = list of (misconception_id, source); each source
defines the exercise's function(s) and runs after the notebook's setup cell (np imported).
"""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l03_sigmoid": [
        (
            "sigmoid_grad_of_activation",
            """
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def sigmoid_grad_from_output(a):
    s = sigmoid(a)  # treats the activation as a pre-activation: s(s(z)) terms
    return s * (1 - s)
""",
        ),
        (
            "sigmoid_exp_sign",
            """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))


def sigmoid_grad_from_output(a):
    a = np.asarray(a, dtype=float)
    return a * (1 - a)
""",
        ),
    ],
    "l03_forward": [
        (
            "no_activation",
            """
def forward(X, W1, W2):
    Zh = W1.T @ X
    H = 1 / (1 + np.exp(-Zh))
    Zo = H.T @ W2
    return Zh, H, Zo, Zo
""",
        ),
        (
            "derivative_as_activation",
            """
def forward(X, W1, W2):
    s = lambda v: 1 / (1 + np.exp(-v))
    Zh = W1.T @ X
    H = s(Zh) * (1 - s(Zh))
    Zo = H.T @ W2
    return Zh, H, Zo, s(Zo) * (1 - s(Zo))
""",
        ),
    ],
    "l03_backward": [
        (
            "seed002_extra_h",
            """
def backward(X, Y, W1, W2):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Yhat = s(H.T @ W2)
    dE_dW2 = -2 * (Y - Yhat) * Yhat * (1 - Yhat) * H
    dE_dW1 = dE_dW2 * W2 * H * (1 - H) * X.T   # the seed: reuses dE/dW2 (contains H)
    return dE_dW1.T, dE_dW2
""",
        ),
        (
            "sigmoid_grad_of_activation",
            """
def backward(X, Y, W1, W2):
    s = lambda v: 1 / (1 + np.exp(-v))
    ds = lambda v: s(v) * (1 - s(v))
    H = s(W1.T @ X)
    Yhat = s(H.T @ W2)
    dZo = -2 * (Y - Yhat) * ds(Yhat)       # ds wants the pre-activation Zo
    dZh = (W2 @ dZo) * ds(H)               # ... and Zh here
    return X @ dZh.T, H @ dZo
""",
        ),
        (
            "factor_two",
            """
def backward(X, Y, W1, W2):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Yhat = s(H.T @ W2)
    dZo = (Yhat - Y) * Yhat * (1 - Yhat)
    dZh = (W2 @ dZo) * H * (1 - H)
    return X @ dZh.T, H @ dZo
""",
        ),
    ],
    "l03_step": [
        (
            "stale_weights",
            """
def sgd_step(X, Y, W1, W2, lr):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Yhat = s(H.T @ W2)
    dZo = -2 * (Y - Yhat) * Yhat * (1 - Yhat)
    W2 = W2 - lr * (H @ dZo)               # updated before dW1 is computed
    dZh = (W2 @ dZo) * H * (1 - H)
    W1 = W1 - lr * (X @ dZh.T)
    return W1, W2
""",
        ),
        (
            "sign_error",
            """
def sgd_step(X, Y, W1, W2, lr):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Yhat = s(H.T @ W2)
    dZo = -2 * (Y - Yhat) * Yhat * (1 - Yhat)
    dZh = (W2 @ dZo) * H * (1 - H)
    return W1 + lr * (X @ dZh.T), W2 + lr * (H @ dZo)
""",
        ),
        (
            "seed002_extra_h",
            """
def sgd_step(X, Y, W1, W2, lr):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Yhat = s(H.T @ W2)
    dW2 = -2 * (Y - Yhat) * Yhat * (1 - Yhat) * H
    dW1 = (dW2 * W2 * H * (1 - H) * X.T).T
    return W1 - lr * dW1, W2 - lr * dW2
""",
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l03_forward"].append(
    (
        "swapped_outputs",
        """
def forward(X, W1, W2):
    Zh = W1.T @ X
    H = sigmoid(Zh)
    Zo = H.T @ W2
    return H, Zh, Zo, sigmoid(Zo)  # Zh and H in the wrong order
""",
    )
)
WRONG["l03_step"].append(
    (
        "mutates_input",
        """
def sgd_step(X, Y, W1, W2, lr):
    dW1, dW2 = backward(X, Y, W1, W2)
    W1 -= lr * dW1
    W2 -= lr * dW2
    return W1, W2
""",
    )
)
WRONG["l03_sigmoid"].append(
    (
        "sigmoid_overflow",
        """
def sigmoid(z):
    e = np.exp(z)
    return e / (1.0 + e)  # inf / inf for z > 709


def sigmoid_grad_from_output(a):
    return a * (1.0 - a)
""",
    )
)
