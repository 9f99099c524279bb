"""Wrong answers for lesson 06 (seed 003, Zaki & Meira Example 25.3): the source of an answer
cell, and the misconception the feedback must name. Used by the course integrity tests (each
one must lose the points of the components it breaks and be diagnosed by name).

WRONG[exercise id] = list of (misconception id, answer cell source).
The notebook's earlier cells define np, aug (the student's), f1, df1, predict, loss.
"""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l06_aug": [
        (
            "aug_ones_last",
            """
def aug(X):
    n = len(X)
    return np.hstack((X, np.ones((n, 1))))
""",
        ),
        (
            "aug_zeros",
            """
def aug(X):
    return np.hstack((np.zeros((len(X), 1)), X))
""",
        ),
    ],
    "l06_gradients": [
        (
            "factor_two",
            """
def gradients(X, Y, W1, W2):
    # the gradient of mean((O - Y)**2), the seed's numerical-gradient loss
    Xa = aug(X)
    Z = np.tanh(Xa @ W1)
    Za = aug(Z)
    G2 = 2 * (Za @ W2 - Y) / len(X)
    G1 = (G2 @ W2[1:].T) * (1 - Z**2)
    return Xa.T @ G1, Za.T @ G2
""",
        ),
        (
            "bias_row_backprop",
            """
def gradients(X, Y, W1, W2):
    Xa = aug(X)
    Z = np.tanh(Xa @ W1)
    Za = aug(Z)
    G2 = (Za @ W2 - Y) / len(X)
    G1 = (G2 @ W2[:-1].T) * (1 - Z**2)
    return Xa.T @ G1, Za.T @ G2
""",
        ),
        (
            "loss_sum_vs_mean",
            """
def gradients(X, Y, W1, W2):
    Xa = aug(X)
    Z = np.tanh(Xa @ W1)
    Za = aug(Z)
    G2 = Za @ W2 - Y
    G1 = (G2 @ W2[1:].T) * (1 - Z**2)
    return Xa.T @ G1, Za.T @ G2
""",
        ),
        (
            "tanh_grad_of_activation",
            """
def gradients(X, Y, W1, W2):
    Xa = aug(X)
    Z = f1(Xa @ W1)
    Za = aug(Z)
    G2 = (Za @ W2 - Y) / len(X)
    G1 = (G2 @ W2[1:].T) * df1(Z)
    return Xa.T @ G1, Za.T @ G2
""",
        ),
    ],
    "l06_numerical": [
        (
            "one_sided_difference",
            """
def numerical_gradient(f, W, h=1e-5):
    W = np.array(W, dtype=float)
    f0 = f(W)
    dW = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        old = W[i]
        W[i] = old + h
        dW[i] = (f(W) - f0) / h
        W[i] = old
    return dW
""",
        ),
        (
            "factor_two",
            """
def numerical_gradient(f, W, h=1e-5):
    W = np.array(W, dtype=float)
    dW = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        old = W[i]
        W[i] = old + h
        f_plus = f(W)
        W[i] = old - h
        f_minus = f(W)
        W[i] = old
        dW[i] = (f_plus - f_minus) / h
    return dW
""",
        ),
        (
            "numerical_ignores_h",
            """
def numerical_gradient(f, W, h=1e-5):
    step = 1e-5
    W = np.array(W, dtype=float)
    dW = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        old = W[i]
        W[i] = old + step
        f_plus = f(W)
        W[i] = old - step
        f_minus = f(W)
        W[i] = old
        dW[i] = (f_plus - f_minus) / (2 * step)
    return dW
""",
        ),
    ],
    "l06_rel_error": [
        (
            "rel_error_no_guard",
            """
def rel_error(a, n):
    return float(np.max(np.abs(a - n) / (np.abs(a) + np.abs(n))))
""",
        ),
        (
            "rel_error_max_denominator",
            """
def rel_error(a, n):
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(n)))))
""",
        ),
        (
            "rel_error_norms",
            """
def rel_error(a, n):
    return float(np.linalg.norm(a - n) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(n)))
""",
        ),
    ],
    "l06_update": [
        (
            "stale_weights",
            """
def update_pars(X, Y, W1, W2, eta):
    # seed 003's order: W2 first, then G1 through the new W2
    W1, W2 = W1.copy(), W2.copy()
    Xt = aug(X)
    Z = f1(Xt @ W1)
    Zt = aug(Z)
    dZ = df1(Xt @ W1)
    G2 = (Zt @ W2 - Y) / len(Y)
    W2 -= eta * (Zt.T @ G2)
    G1 = (G2 @ W2[1:].T) * dZ
    W1 -= eta * (Xt.T @ G1)
    return W1, W2
""",
        ),
        (
            "factor_two",
            """
def update_pars(X, Y, W1, W2, eta):
    dW1, dW2 = gradients(X, Y, W1, W2)
    return W1 - 2 * eta * dW1, W2 - 2 * eta * dW2
""",
        ),
        (
            "sign_error",
            """
def update_pars(X, Y, W1, W2, eta):
    dW1, dW2 = gradients(X, Y, W1, W2)
    return W1 + eta * dW1, W2 + eta * dW2
""",
        ),
        (
            "bias_row_backprop",
            """
def update_pars(X, Y, W1, W2, eta):
    Xa = aug(X)
    Z = np.tanh(Xa @ W1)
    Za = aug(Z)
    G2 = (Za @ W2 - Y) / len(X)
    G1 = (G2 @ W2[:-1].T) * (1 - Z**2)
    return W1 - eta * (Xa.T @ G1), W2 - eta * (Za.T @ G2)
""",
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l06_update"].append(
    (
        "mutates_input",
        """
def update_pars(X, Y, W1, W2, eta):
    dW1, dW2 = gradients(X, Y, W1, W2)
    W1 -= eta * dW1
    W2 -= eta * dW2
    return W1, W2
""",
    )
)
