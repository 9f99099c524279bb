"""Wrong answers for lesson 02 (seed 004, part 2): answer-cell sources with the misconception
the feedback must name. Format: WRONG[ex_id] = list of (misconception_id, source); each source
defines the exercise's function and needs only numpy (np) from the setup cell, so it works
whatever the student's other answer cells contain.
"""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l02_forward": [
        (
            "derivative_as_activation",
            """
def layer_forward(x, W, b):
    z = W @ x + b
    a = (z > 0).astype(float)  # the derivative used as the activation
    return z, a
""",
        ),
        (
            "forgot_bias",
            """
def layer_forward(x, W, b):
    z = W @ x
    return z, np.maximum(z, 0.0)
""",
        ),
        (
            "swapped_outputs",
            """
def layer_forward(x, W, b):
    z = W @ x + b
    return np.maximum(z, 0.0), z
""",
        ),
    ],
    "l02_backward": [
        (
            "factor_two",
            """
def layer_backward(x, z, a):
    delta = np.sum(a) * (z > 0)
    return np.outer(delta, x), delta
""",
        ),
        (
            "missing_activation_derivative",
            """
def layer_backward(x, z, a):
    delta = 2.0 * np.sum(a) * np.ones_like(z)
    return np.outer(delta, x), delta
""",
        ),
        (
            "per_neuron_loss",
            """
def layer_backward(x, z, a):
    delta = 2.0 * a * (z > 0)
    return np.outer(delta, x), delta
""",
        ),
        (
            "missing_transpose",
            """
def layer_backward(x, z, a):
    delta = 2.0 * np.sum(a) * (z > 0)
    return np.outer(x, delta), delta
""",
        ),
    ],
    "l02_batch": [
        (
            "bias_not_summed",
            """
def dense_backward(dZ, X, W):
    return dZ @ W.T, X.T @ dZ, dZ
""",
        ),
        (
            "bias_wrong_axis",
            """
def dense_backward(dZ, X, W):
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=1)
""",
        ),
        (
            "missing_transpose",
            """
def dense_backward(dZ, X, W):
    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)
""",
        ),
        (
            "bias_mean_not_sum",
            """
def dense_backward(dZ, X, W):
    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)
""",
        ),
    ],
    "l02_train": [
        (
            "sign_error",
            """
def train_layer(x, W, b, lr, steps):
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    losses = []
    for _ in range(steps):
        z = W @ x + b
        losses.append(float(np.sum(np.maximum(z, 0.0)) ** 2))
        delta = 2.0 * np.sum(np.maximum(z, 0.0)) * (z > 0)
        W, b = W + lr * np.outer(delta, x), b + lr * delta
    return W, b, losses
""",
        ),
        (
            "loss_after_update",
            """
def train_layer(x, W, b, lr, steps):
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    losses = []
    for _ in range(steps):
        z = W @ x + b
        delta = 2.0 * np.sum(np.maximum(z, 0.0)) * (z > 0)
        W, b = W - lr * np.outer(delta, x), b - lr * delta
        losses.append(float(np.sum(np.maximum(W @ x + b, 0.0)) ** 2))
    return W, b, losses
""",
        ),
        (
            "per_neuron_loss",
            """
def train_layer(x, W, b, lr, steps):
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    losses = []
    for _ in range(steps):
        z = W @ x + b
        a = np.maximum(z, 0.0)
        losses.append(float(np.sum(a) ** 2))
        delta = 2.0 * a * (z > 0)
        W, b = W - lr * np.outer(delta, x), b - lr * delta
    return W, b, losses
""",
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l02_train"] += [
    (
        "mutates_input",
        """
def train_layer(x, W, b, lr, steps):
    b = np.array(b, dtype=float)
    losses = []
    for _ in range(steps):
        z, a = layer_forward(x, W, b)
        losses.append(float(np.sum(a) ** 2))
        dW, db = layer_backward(x, z, a)
        W -= lr * dW  # the caller's W changes too
        b = b - lr * db
    return W, b, losses
""",
    ),
    (
        "off_by_one_steps",
        """
def train_layer(x, W, b, lr, steps):
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    losses = []
    for _ in range(steps + 1):
        z, a = layer_forward(x, W, b)
        losses.append(float(np.sum(a) ** 2))
        dW, db = layer_backward(x, z, a)
        W = W - lr * dW
        b = b - lr * db
    return W, b, losses
""",
    ),
]
WRONG["l02_backward"].append(
    (
        "relu_grad_ge_zero",
        """
def layer_backward(x, z, a):
    delta = 2.0 * np.sum(a) * (np.asarray(z) >= 0)  # 1 at z == 0
    return np.outer(delta, x), delta
""",
    )
)
