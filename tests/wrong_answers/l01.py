"""Wrong answers for lesson 01 (the model for the other lessons; see __init__.py)."""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l01_relu": [
        (
            "relu_grad_ge_zero",
            """
def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    return (np.asarray(z) >= 0).astype(float)  # seed 001: 1 at z == 0
""",
        ),
        (
            "python_if_on_array",
            """
def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(x):  # seed 004's version
    if x > 0:
        return 1.0
    else:
        return 0.0
""",
        ),
        (
            "derivative_as_activation",
            """
def relu(z):
    return (np.asarray(z) > 0).astype(float)


def relu_derivative(z):
    return (np.asarray(z) > 0).astype(float)
""",
        ),
        (
            "activation_as_derivative",
            """
def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))
""",
        ),
    ],
    "l01_neuron_forward": [
        (
            "forgot_bias",
            """
def neuron_forward(x, w, b):
    z = float(np.dot(w, x))
    return z, max(z, 0.0)
""",
        ),
        (
            "swapped_outputs",
            """
def neuron_forward(x, w, b):
    z = float(np.dot(w, x) + b)
    return max(z, 0.0), z
""",
        ),
        (
            "derivative_as_activation",
            """
def neuron_forward(x, w, b):
    z = float(np.dot(w, x) + b)
    return z, (1.0 if z > 0 else 0.0)
""",
        ),
    ],
    "l01_neuron_backward": [
        (
            "factor_two",
            """
def neuron_backward(x, z, a, target):
    delta = (a - target) * (1.0 if z > 0 else 0.0)
    return delta * np.asarray(x, dtype=float), delta
""",
        ),
        (
            "sign_error",
            """
def neuron_backward(x, z, a, target):
    delta = 2.0 * (target - a) * (1.0 if z > 0 else 0.0)
    return delta * np.asarray(x, dtype=float), delta
""",
        ),
        (
            "missing_activation_derivative",
            """
def neuron_backward(x, z, a, target):
    delta = 2.0 * (a - target)
    return delta * np.asarray(x, dtype=float), delta
""",
        ),
    ],
    "l01_train": [
        (
            "loss_after_update",
            """
def train_neuron(x, w, b, target, lr, steps):
    w, b, losses = np.array(w, dtype=float), float(b), []
    for _ in range(steps):
        z, a = neuron_forward(x, w, b)
        dw, db = neuron_backward(x, z, a, target)
        w, b = w - lr * dw, b - lr * db
        _, a_new = neuron_forward(x, w, b)
        losses.append((a_new - target) ** 2)
    return w, b, losses
""",
        ),
        (
            "sign_error",
            """
def train_neuron(x, w, b, target, lr, steps):
    w, b, losses = np.array(w, dtype=float), float(b), []
    for _ in range(steps):
        z, a = neuron_forward(x, w, b)
        losses.append((a - target) ** 2)
        dw, db = neuron_backward(x, z, a, target)
        w, b = w + lr * dw, b + lr * db
    return w, b, losses
""",
        ),
        (
            "off_by_one_steps",
            """
def train_neuron(x, w, b, target, lr, steps):
    w, b, losses = np.array(w, dtype=float), float(b), []
    for _ in range(steps + 1):
        z, a = neuron_forward(x, w, b)
        losses.append((a - target) ** 2)
        dw, db = neuron_backward(x, z, a, target)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses
""",
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l01_relu"].append(
    (
        "boolean_result",
        """
def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    return np.asarray(z) > 0  # True/False, not numbers
""",
    )
)
WRONG["l01_train"] += [
    (
        "mutates_input",
        """
def train_neuron(x, w, b, target, lr, steps):
    losses = []
    for _ in range(steps):
        z, a = neuron_forward(x, w, b)
        losses.append((a - target) ** 2)
        dw, db = neuron_backward(x, z, a, target)
        w -= lr * dw  # the caller's w changes too
        b = b - lr * db
    return w, b, losses
""",
    ),
    (
        "off_by_one_steps",
        """
def train_neuron(x, w, b, target, lr, steps):
    w = np.array(w, dtype=float)
    losses = []
    for _ in range(steps - 1):
        z, a = neuron_forward(x, w, b)
        losses.append((a - target) ** 2)
        dw, db = neuron_backward(x, z, a, target)
        w = w - lr * dw
        b = b - lr * db
    return w, b, losses
""",
    ),
]
WRONG["l01_neuron_backward"].append(
    (
        "relu_grad_ge_zero",
        """
def neuron_backward(x, z, a, target):
    delta = 2.0 * (a - target) * float(z >= 0)  # seed 001's >=: 1 at z == 0
    return delta * np.asarray(x, dtype=float), delta
""",
    )
)
WRONG["l01_train"].append(
    (
        "missing_activation_derivative",
        """
def train_neuron(x, w, b, target, lr, steps):
    w = np.array(w, dtype=float)
    losses = []
    for _ in range(steps):
        z = float(np.dot(w, x) + b)
        a = max(z, 0.0)
        losses.append((a - target) ** 2)
        delta = 2.0 * (a - target)  # relu'(z) left out: a dead neuron keeps moving
        w = w - lr * delta * np.asarray(x, dtype=float)
        b = b - lr * delta
    return w, b, losses
""",
    )
)
