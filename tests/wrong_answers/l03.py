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
    Z = W1.T @ X
    H = 1 / (1 + np.exp(-Z))
    O = H.T @ W2
    return Z, H, O, O
""",
        ),
        (
            "derivative_as_activation",
            """
def forward(X, W1, W2):
    s = lambda v: 1 / (1 + np.exp(-v))
    Z = W1.T @ X
    H = s(Z) * (1 - s(Z))
    O = H.T @ W2
    return Z, H, O, s(O) * (1 - s(O))
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
    Y_hat = s(H.T @ W2)
    dE_dW2 = -2 * (Y - Y_hat) * Y_hat * (1 - Y_hat) * H
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
    Y_hat = s(H.T @ W2)
    dO = -2 * (Y - Y_hat) * ds(Y_hat)      # ds wants the pre-activation O
    dZ = (W2 @ dO) * ds(H)                 # ... and Z here
    return X @ dZ.T, H @ dO
""",
        ),
        (
            "factor_two",
            """
def backward(X, Y, W1, W2):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Y_hat = s(H.T @ W2)
    dO = (Y_hat - Y) * Y_hat * (1 - Y_hat)
    dZ = (W2 @ dO) * H * (1 - H)
    return X @ dZ.T, H @ dO
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
    Y_hat = s(H.T @ W2)
    dO = -2 * (Y - Y_hat) * Y_hat * (1 - Y_hat)
    W2 = W2 - lr * (H @ dO)                # updated before dW1 is computed
    dZ = (W2 @ dO) * H * (1 - H)
    W1 = W1 - lr * (X @ dZ.T)
    return W1, W2
""",
        ),
        (
            "sign_error",
            """
def sgd_step(X, Y, W1, W2, lr):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Y_hat = s(H.T @ W2)
    dO = -2 * (Y - Y_hat) * Y_hat * (1 - Y_hat)
    dZ = (W2 @ dO) * H * (1 - H)
    return W1 + lr * (X @ dZ.T), W2 + lr * (H @ dO)
""",
        ),
        (
            "seed002_extra_h",
            """
def sgd_step(X, Y, W1, W2, lr):
    s = lambda v: 1 / (1 + np.exp(-v))
    H = s(W1.T @ X)
    Y_hat = s(H.T @ W2)
    dW2 = -2 * (Y - Y_hat) * Y_hat * (1 - Y_hat) * H
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
    Z = W1.T @ X
    H = sigmoid(Z)
    O = H.T @ W2
    return H, Z, O, sigmoid(O)  # Z and H in the wrong order
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
