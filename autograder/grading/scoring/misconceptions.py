"""The misconception catalogue: every known-wrong idea a check can recognise and name.

Each entry: id, title (a few words), explanation (one paragraph for the student: what went
wrong and how to fix it), section (where the course teaches it; "" = the exercise's own section).

Lesson solution files may add lesson-specific entries with `define(...)` at import time
(no need to edit this file); `define` refuses to silently redefine an existing id.
Variants reference entries by id (`@variant(ex_id, "factor_two")`).

The first block mirrors backprop-numerics.md "Mistakes students make" (numbers in comments);
the second the seeds' errata; the third mistakes specific to an exercise's call convention.
compare.GENERIC_IDS must all be defined here (a test checks it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    explanation: str
    section: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


CATALOGUE: dict[str, Misconception] = {}


def define(mid: str, title: str, explanation: str, section: str = "") -> Misconception:
    """Add an entry. Re-defining an id with a different text is an error (two lessons clash)."""
    entry = Misconception(mid, title, " ".join(explanation.split()), section)
    old = CATALOGUE.get(mid)
    if old is not None and old != entry:
        raise ValueError(f"misconception {mid!r} is already defined differently")
    CATALOGUE[mid] = entry
    return entry


def get(mid: str) -> Misconception:
    try:
        return CATALOGUE[mid]
    except KeyError:
        raise KeyError(f"unknown misconception id {mid!r} (define it first)") from None


# --- general mistakes (backprop-numerics.md, "Mistakes students make") ---------------------------

define(  # 1
    "derivative_as_activation",
    "the derivative used as the activation",
    """The forward pass applied the activation's derivative (e.g. relu_prime, 0/1) instead of the
    activation itself. The forward pass uses f(z); f'(z) only appears in the backward pass.""",
)
define(  # 2
    "sigmoid_grad_of_activation",
    "sigma' applied to the wrong quantity",
    """sigmoid'(z) = s(z)(1 - s(z)) takes the PRE-activation z; the shortcut a(1 - a) takes the
    ACTIVATION a = s(z). Mixing them (a(1-a) of z, or s(a)(1 - s(a)) of a) silently computes
    s(s(z)) terms. Check which of the two your function receives.""",
)
define(  # 3
    "wrong_output_delta",
    "wrong output delta for the loss",
    """The gradient at the output depends on the loss: sigmoid + binary cross-entropy gives
    dL/dz = yhat - y (the sigmoid's derivative cancels), sigmoid + squared error gives
    (yhat - y) * s'(z) (times 2 without the 1/2). Use the one that belongs to this loss.""",
)
define(  # 4
    "missing_transpose",
    "missing transpose",
    """The numbers are right but laid out transposed. A gradient has the shape of the thing it
    is the gradient of: dW has the shape of W, whichever layout W uses. Batch layout, Z = X W
    with W (d, m): dW = X^T dZ (not dZ^T X). Neuron-per-row layout, z = W x with W (m, d):
    dW = outer(delta, x), one row per neuron (not outer(x, delta)).""",
)
define(  # 4
    "column_vs_vector",
    "column (n, 1) vs vector (n,)",
    """A column of shape (n, 1) and a vector of shape (n,) hold the same numbers but are
    different arrays: numpy broadcasts (n, 1) - (n,) to an (n, n) matrix without any error.
    Return exactly the shape asked for (reshape, .ravel(), or keep 2-D throughout).""",
)
define(  # 4
    "broadcast_nn",
    "(n, 1) - (n,) broadcast to (n, n)",
    """An (n, n) result where a vector was expected is the signature of mixing a column (n, 1)
    with a vector (n,): numpy broadcasts them against each other. Make both the same shape
    before subtracting or multiplying.""",
)
define(  # 4
    "linear_weight_layout",
    "nn.Linear weight layout (out, in)",
    """torch.nn.Linear stores weight with shape (out_features, in_features) and computes
    x @ weight.T. The numpy W of the lessons is (in, out): copy W.T into the layer, and read
    layer.weight.T back.""",
)
define(  # 5
    "bias_not_summed",
    "bias gradient not summed over the batch",
    """b is added to every row (example) of the batch, so its gradient is the SUM of dZ over
    the examples: db = dZ.sum(axis=0), shape (m,), the shape of b.""",
)
define(  # 5
    "bias_wrong_axis",
    "bias gradient summed on the wrong axis",
    """db sums dZ over the batch axis (the examples), not over the units: with Z of shape
    (n, m), db = dZ.sum(axis=0) has shape (m,) like b.""",
)
define(  # 6
    "mse_mean_vs_sum",
    "mean vs sum in the loss",
    """nn.MSELoss() averages over ALL elements; the lesson's loss sums (or uses 1/2 sum). The
    gradients differ by the number of elements. Use reduction="sum" (and 0.5 *) to match.""",
)
define(  # 6
    "factor_two",
    "factor 2",
    """Differentiating a square gives a factor 2: d/da (a - t)^2 = 2 (a - t). A loss written
    with 1/2 in front cancels it. Your values are off by exactly that factor: check which loss
    the exercise uses.""",
)
define(  # 7
    "sign_error",
    "sign error",
    """Every value has the opposite sign. d/da (a - t)^2 = 2 (a - t), not 2 (t - a); and gradient
    DEscent subtracts: w <- w - lr * dw.""",
)
define(  # 8
    "missing_zero_grad",
    "gradients accumulate (no zero_grad)",
    """PyTorch ADDS into .grad on every backward(). Call optimizer.zero_grad() (or set the grads to
    None) before each backward pass, or the step uses the sum of all gradients so far.""",
)
define(  # 8
    "update_outside_no_grad",
    "update tracked by autograd",
    """A manual update W -= lr * W.grad must run inside `with torch.no_grad():`, otherwise autograd
    records it (or refuses to modify a leaf that requires grad).""",
)
define(  # 9
    "inplace_mask",
    "upstream gradient masked in place",
    """Modifying an array you received (dA[Z <= 0] = 0, W -= ...) changes the caller's data too:
    numpy passes arrays by reference. Build a new array (dA * (Z > 0)) or work on a copy.""",
)
define(  # 9
    "stale_weights",
    "weights updated before all gradients were computed",
    """A gradient step evaluates EVERY gradient at the same point, the old weights, and only
    then updates. Updating W2 first and then back-propagating through the new W2 computes dW1
    at a different point.""",
)
define(  # 10
    "integer_dtype",
    "integer (or bool) dtype",
    """The result is an integer or bool array. Gradients and updates need floats: int arrays
    truncate, W -= lr * dW raises on int arrays, torch refuses requires_grad on int tensors.
    Convert with np.asarray(x, dtype=float) / .astype(float).""",
)
define(  # 11
    "float32",
    "float32 instead of float64",
    """float32 keeps about 7 significant digits: tiny losses and finite-difference checks lose
    most of them (relative error ~1e-3 instead of ~1e-10). Work in float64 (numpy's default;
    torch needs dtype=torch.float64).""",
)
define(
    "python_if_on_array",
    "Python `if` on an array",
    """`if z > 0:` only works for a single number; on an array numpy cannot decide whether the
    array of booleans is "true" and raises ValueError. Compute elementwise: (z > 0).astype(float)
    or np.where(z > 0, 1.0, 0.0).""",
)
define(
    "missing_return",
    "missing return",
    """The function returned None: a Python function without a `return` statement returns None.
    Return the value(s) the exercise asks for.""",
)
define(
    "mutates_input",
    "the caller's array is modified in place",
    """`w -= lr * dw` on the array you were given changes the caller's array too. Start from a
    copy (w = np.array(w, dtype=float)) or write w = w - lr * dw.""",
)
define(
    "numpy_not_torch",
    "computed in numpy, not with torch tensors",
    """The exercise asks for the computation in torch: converting the tensors to numpy (.numpy(),
    np.asarray, any np function on a tensor) and back (torch.from_numpy) skips what it teaches.
    The same formulas work on tensors: @, .T, torch.clamp(Z, min=0), (Z > 0).double().""",
)

define(
    "boolean_result",
    "a boolean array returned",
    """`z > 0` is an array of True/False, not of numbers: the exercise asks for float64 values.
    Convert it, e.g. (z > 0).astype(float).""",
)

# --- seed errata ----------------------------------------------------------------------------

define(
    "relu_grad_ge_zero",
    "ReLU'(0) taken as 1 (`>= 0`)",
    """At z = 0 ReLU has no derivative; the course (like PyTorch, micrograd, Zaki & Meira) uses 0
    there, i.e. (z > 0), not (z >= 0). Seed 001 uses >= 0.""",
)
define(
    "seed002_extra_h",
    "dE/dW1 reuses dE/dW2 (extra factor H)",
    """dE/dW2 already contains the hidden activations H. Reusing it for dE/dW1 multiplies every
    column by an extra H_j (seed 002's erratum). Back-propagate the delta at the output
    (before it is multiplied by H) through W2 instead.""",
)
define(
    "seed001_dbh_scalar",
    "hidden bias gradient as one number",
    """dL/dbh has one entry per hidden unit (shape of bh), not one scalar: each hidden unit has its
    own bias (seed 001 prints a single number).""",
)
define(
    "seed001_elementwise_wo",
    "Wo multiplied elementwise on the wrong axis",
    """The hidden delta is Wo^T * delta_o (a matrix product giving one value per hidden unit),
    then times relu'(zh). Seed 001 multiplies by Wo elementwise against the wrong axis.""",
)
define(
    "bce_missing_term",
    "cross-entropy without the (1 - y) term",
    """Binary cross-entropy is -[y log yhat + (1 - y) log(1 - yhat)]. Dropping the second term
    (seed 001's printed loss) gives a different loss than the one the backward pass
    differentiates.""",
)
define(
    "bce_from_probability",
    "cross-entropy computed from the probability",
    """log(1 - yhat) with yhat = sigmoid(z) rounds to log(0) for large z. Compute the loss from the
    logit: max(z, 0) - z y + log(1 + exp(-|z|)).""",
)
define(
    "torch_copy_not_updated",
    "weights rebuilt with torch.tensor(...) (copies)",
    """torch.tensor(W) copies W: updating the copy leaves the caller's weights as they were (seed
    000's erratum). Use the tensors you were given, or return the new weights.""",
)
define(
    "coordinatewise_update",
    "each weight updated as soon as its derivative is known",
    """A gradient step computes ALL partial derivatives at the same point first and then updates.
    Updating each weight right after its difference quotient (seed 003) evaluates the others at
    a moved point.""",
)
define(
    "one_sided_difference",
    "one-sided difference quotient",
    """(f(x + h) - f(x)) / h has error O(h); the central difference (f(x + h) - f(x - h)) / (2h)
    has error O(h^2) and is what the check expects.""",
)
define(
    "bias_row_backprop",
    "bias row back-propagated",
    """With bias by augmentation, the first row of W2 multiplies the constant 1, not a hidden
    unit: back-propagate through W2[1:] only (seed 003).""",
)

# --- exercise-specific call-convention mistakes ---------------------------------------------

define(
    "forgot_bias",
    "bias left out",
    """The pre-activation is z = w . x + b: the bias is part of it (and of every forward pass).""",
)
define(
    "no_activation",
    "activation not applied",
    """a = f(z): the output of the neuron is the activation of the pre-activation, not z itself.""",
)
define(
    "swapped_outputs",
    "outputs returned in the wrong order",
    """The values are right but in the wrong order: return them exactly in the order the exercise
    states (e.g. (z, a): the pre-activation first, in the order the forward pass computes them).""",
)
define(
    "input_vs_weight",
    "weights used where the inputs belong",
    """dz/dw_j = x_j: the gradient with respect to a weight is the INPUT it multiplies, scaled
    by delta. (The inputs' gradient dz/dx_j = w_j is the other way round.)""",
)
define(
    "missing_activation_derivative",
    "activation's derivative left out of the chain",
    """The chain rule goes through the activation: delta = dL/da * f'(z). Leaving f'(z) out is
    wrong wherever f'(z) != 1, e.g. a ReLU with z < 0 must give a zero gradient.""",
)
define(
    "loss_after_update",
    "loss recorded after the update",
    """losses[i] is the loss of the forward pass of step i, BEFORE that step's update (what the
    seed prints).""",
)
define(
    "off_by_one_steps",
    "wrong number of steps",
    """Make exactly `steps` updates and record one loss per update.""",
)
