"""Wrong answers for lesson 04 (seed 001): answer-cell sources with the misconception the
feedback must name. Format: WRONG[ex_id] = list of (misconception_id, source); each source
defines the exercise's function(s) and runs after the notebook's setup cell (np imported).
"""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l04_bce": [
        (
            "float32",
            """
def bce_from_logit(z, y):
    z = np.asarray(z, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    yhat = 1 / (1 + np.exp(-z))
    return float(-np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)))
""",
        ),
        (
            "bce_from_probability",
            """
def bce_from_logit(z, y):
    yhat = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return float(-np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)))
""",
        ),
        (
            "bce_missing_term",
            """
def bce_from_logit(z, y):
    z = np.asarray(z, dtype=float)
    return float(np.sum(y * np.logaddexp(0.0, -z)))   # -sum(y log yhat), as seed 001 prints
""",
        ),
    ],
    "l04_forward": [
        (
            "derivative_as_activation",
            """
def forward(x, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = (zh > 0).astype(float)
    zo = Wo @ h + bo
    return zh, h, zo, 1 / (1 + np.exp(-zo))
""",
        ),
        (
            "forgot_bias",
            """
def forward(x, Wh, bh, Wo, bo):
    zh = Wh @ x
    h = np.maximum(zh, 0.0)
    zo = Wo @ h
    return zh, h, zo, 1 / (1 + np.exp(-zo))
""",
        ),
        (
            "no_activation",
            """
def forward(x, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = np.maximum(zh, 0.0)
    zo = Wo @ h + bo
    return zh, h, zo, zo
""",
        ),
    ],
    "l04_backward": [
        (
            "seed001_elementwise_wo",
            """
def backward(x, y, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = np.maximum(zh, 0.0)
    zo = Wo @ h + bo
    dzo = 1 / (1 + np.exp(-zo)) - y
    duh = (zh > 0).astype(float)
    dzh = (Wo.T @ dzo) * duh
    dWh = dzo * Wo * duh * x          # the seed: Wo elementwise, against the wrong axis
    return dWh, dzh, dzo @ h.T, dzo
""",
        ),
        (
            "seed001_dbh_scalar",
            """
def backward(x, y, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = np.maximum(zh, 0.0)
    zo = Wo @ h + bo
    dzo = 1 / (1 + np.exp(-zo)) - y
    duh = (zh > 0).astype(float)
    dzh = (Wo.T @ dzo) * duh
    dbh = (dzo * (Wo @ duh)).item()   # the seed: one number for both hidden biases
    return dzh @ x.T, dbh, dzo @ h.T, dzo
""",
        ),
        (
            "wrong_output_delta",
            """
def backward(x, y, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = np.maximum(zh, 0.0)
    zo = Wo @ h + bo
    yhat = 1 / (1 + np.exp(-zo))
    dzo = (yhat - y) * yhat * (1 - yhat)   # sigma' counted twice
    dzh = (Wo.T @ dzo) * (zh > 0)
    return dzh @ x.T, dzh, dzo @ h.T, dzo
""",
        ),
        (
            "relu_grad_ge_zero",
            """
def backward(x, y, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = np.maximum(zh, 0.0)
    zo = Wo @ h + bo
    dzo = 1 / (1 + np.exp(-zo)) - y
    dzh = (Wo.T @ dzo) * (zh >= 0)     # the seed's >= 0
    return dzh @ x.T, dzh, dzo @ h.T, dzo
""",
        ),
        (
            "bce_missing_term",
            """
def backward(x, y, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = np.maximum(zh, 0.0)
    zo = Wo @ h + bo
    yhat = 1 / (1 + np.exp(-zo))
    dzo = -y * (1 - yhat)              # derivative of -y log(yhat) alone
    dzh = (Wo.T @ dzo) * (zh > 0)
    return dzh @ x.T, dzh, dzo @ h.T, dzo
""",
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l04_forward"].append(
    (
        "swapped_outputs",
        """
def forward(x, Wh, bh, Wo, bo):
    zh = Wh @ x + bh
    h = relu(zh)
    zo = Wo @ h + bo
    return zh, h, sigmoid(zo), zo  # yhat before zo
""",
    )
)
