"""The course's published grading scheme, written out by hand (not read from the code under
test): per exercise, all-or-nothing or partial credit, and each output component's weight.
Used by tests/test_partial_credit.py and the end-to-end wrong-answer check of
tests/test_course_integrity.py."""

from __future__ import annotations

Q, H, T = 0.25, 0.5, 1 / 3
# exercise -> (partial?, {component: weight})
SCHEME: dict[str, tuple[bool, dict[str, float]]] = {
    "l01_relu": (True, {"relu": H, "relu_derivative": H}),
    "l01_neuron_forward": (False, {"z": H, "a": H}),
    "l01_neuron_backward": (False, {"dw": H, "db": H}),
    "l01_train": (False, {"w": 0.4, "b": 0.2, "losses": 0.4}),
    "l02_forward": (False, {"z": H, "a": H}),
    "l02_backward": (True, {"dW": H, "db": H}),
    "l02_train": (False, {"W": 0.4, "b": 0.2, "losses": 0.4}),
    "l02_batch": (True, {"dX": T, "dW": T, "db": T}),
    "l03_sigmoid": (True, {"sigmoid": H, "sigmoid_grad_from_output": H}),
    "l03_forward": (False, {"Zh": Q, "H": Q, "Zo": Q, "Yhat": Q}),
    "l03_backward": (True, {"dW1": H, "dW2": H}),
    "l03_step": (False, {"W1_new": H, "W2_new": H}),
    "l04_bce": (False, {"loss": 1.0}),
    "l04_forward": (False, {"zh": Q, "h": Q, "zo": Q, "yhat": Q}),
    "l04_backward": (True, {"dWh": Q, "dbh": Q, "dWo": Q, "dbo": Q}),
    "l05_numpy": (True, {"dWh": H, "dWo": H}),
    "l05_step": (True, {"Wh_new": H, "Wo_new": H}),
    "l05_torch_by_hand": (True, {"dWh": H, "dWo": H}),
    "l05_autograd": (True, {"Wh_new": H, "Wo_new": H}),
    "l06_aug": (False, {"Xa": 1.0}),
    "l06_gradients": (True, {"dW1": H, "dW2": H}),
    "l06_numerical": (False, {"dW": 1.0}),
    "l06_rel_error": (False, {"rel_error": 1.0}),
    "l06_update": (True, {"W1_new": H, "W2_new": H}),
    "l07_affine": (True, {"Z": Q, "dX": Q, "dW": Q, "db": Q}),
    "l07_relu": (True, {"H": H, "dZ": H}),
    "l07_softmax": (True, {"loss": H, "dlogits": H}),
    "l07_mlp": (True, {"scores": H, "grads": H}),
    "l07_init": (False, {"params": 1.0}),
    "l07_sgd": (True, {"params": H, "losses": H}),
}


def expected_fraction(ex_id: str, right: dict[str, bool]) -> float:
    """The share of the points earned with these components right."""
    partial, weights = SCHEME[ex_id]
    if not partial:
        return 1.0 if all(right.get(c, False) for c in weights) else 0.0
    return sum(w for c, w in weights.items() if right.get(c, False))
