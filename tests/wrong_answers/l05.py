"""Wrong answers for lesson 05 (seed 000): the source of an answer cell, and the misconception
the feedback must name. Used by the course integrity tests (each one must lose the points of
the components it breaks and be diagnosed by name).

WRONG[exercise id] = list of (misconception id, answer cell source).
The notebook's earlier cells define relu, relu_prime, torch, nn, optim.
"""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l05_numpy": [
        (
            "derivative_as_activation",
            """
def backprop(X, Y, Wh, Wo):
    # seed 000: relu_prime as the activation
    Zh = X @ Wh
    H = relu_prime(Zh)
    Zo = H @ Wo
    Yhat = relu_prime(Zo)
    Eo = (Yhat - Y) * relu_prime(Zo)
    Eh = (Eo @ Wo.T) * relu_prime(Zh)
    return X.T @ Eh, H.T @ Eo
""",
        ),
        (
            "missing_activation_derivative",
            """
def backprop(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = relu(Zh)
    Zo = H @ Wo
    Yhat = relu(Zo)
    Eo = Yhat - Y
    Eh = (Eo @ Wo.T) * relu_prime(Zh)
    return X.T @ Eh, H.T @ Eo
""",
        ),
        (
            "mse_mean_vs_sum",
            """
def backprop(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = relu(Zh)
    Zo = H @ Wo
    Yhat = relu(Zo)
    Eo = 2 * (Yhat - Y) / Y.size * relu_prime(Zo)
    Eh = (Eo @ Wo.T) * relu_prime(Zh)
    return X.T @ Eh, H.T @ Eo
""",
        ),
        (
            "missing_transpose",
            """
def backprop(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = relu(Zh)
    Zo = H @ Wo
    Yhat = relu(Zo)
    Eo = (Yhat - Y) * relu_prime(Zo)
    Eh = (Eo @ Wo.T) * relu_prime(Zh)
    return Eh.T @ X, Eo.T @ H
""",
        ),
    ],
    "l05_step": [
        (
            "stale_weights",
            """
def train_step(X, Y, Wh, Wo, lr):
    Wh, Wo = Wh.copy(), Wo.copy()
    Zh = X @ Wh
    H = relu(Zh)
    Zo = H @ Wo
    Eo = (relu(Zo) - Y) * relu_prime(Zo)
    Wo -= lr * (H.T @ Eo)
    Eh = (Eo @ Wo.T) * relu_prime(Zh)  # through the updated Wo
    Wh -= lr * (X.T @ Eh)
    return Wh, Wo
""",
        ),
        (
            "sign_error",
            """
def train_step(X, Y, Wh, Wo, lr):
    dWh, dWo = backprop(X, Y, Wh, Wo)
    return Wh + lr * dWh, Wo + lr * dWo
""",
        ),
        (
            "derivative_as_activation",
            """
def train_step(X, Y, Wh, Wo, lr):
    Zh = X @ Wh
    H = relu_prime(Zh)
    Zo = H @ Wo
    Yhat = relu_prime(Zo)
    Eo = (Yhat - Y) * relu_prime(Zo)
    Eh = (Eo @ Wo.T) * relu_prime(Zh)
    return Wh - lr * (X.T @ Eh), Wo - lr * (H.T @ Eo)
""",
        ),
    ],
    "l05_torch_by_hand": [
        (
            "derivative_as_activation",
            """
def backprop_torch(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = (Zh > 0).to(Zh.dtype)
    Zo = H @ Wo
    Yhat = (Zo > 0).to(Zo.dtype)
    Eo = (Yhat - Y) * (Zo > 0).to(Zo.dtype)
    Eh = (Eo @ Wo.T) * (Zh > 0).to(Zh.dtype)
    return X.T @ Eh, H.T @ Eo
""",
        ),
        (
            "float32",
            """
def backprop_torch(X, Y, Wh, Wo):
    # the seed's float32 tensors
    X, Y, Wh, Wo = (t.to(torch.float32) for t in (X, Y, Wh, Wo))
    Zh = X @ Wh
    H = torch.relu(Zh)
    Zo = H @ Wo
    Yhat = torch.relu(Zo)
    Eo = (Yhat - Y) * (Zo > 0).float()
    Eh = (Eo @ Wo.T) * (Zh > 0).float()
    return X.T @ Eh, H.T @ Eo
""",
        ),
        (
            "mse_mean_vs_sum",
            """
def backprop_torch(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = torch.relu(Zh)
    Zo = H @ Wo
    Yhat = torch.relu(Zo)
    Eo = 2 * (Yhat - Y) / Y.numel() * (Zo > 0).to(Zo.dtype)
    Eh = (Eo @ Wo.T) * (Zh > 0).to(Zh.dtype)
    return X.T @ Eh, H.T @ Eo
""",
        ),
        (
            "numpy_not_torch",
            """
def backprop_torch(X, Y, Wh, Wo):
    # right values, but the work is done in numpy and only the result is a tensor
    X, Y, Wh, Wo = (t.numpy() for t in (X, Y, Wh, Wo))
    Zh = X @ Wh
    H = np.maximum(Zh, 0)
    Zo = H @ Wo
    Yhat = np.maximum(Zo, 0)
    dZo = (Yhat - Y) * (Zo > 0)
    dZh = (dZo @ Wo.T) * (Zh > 0)
    return torch.from_numpy(X.T @ dZh), torch.from_numpy(H.T @ dZo)
""",
        ),
        (
            "numpy_not_torch",
            """
def backprop_torch(X, Y, Wh, Wo):
    # np functions applied to the tensors directly
    Zh = X @ Wh
    H = torch.from_numpy(np.maximum(Zh, 0))
    Zo = H @ Wo
    Yhat = torch.relu(Zo)
    dZo = (Yhat - Y) * (Zo > 0).double()
    dZh = (dZo @ Wo.T) * (Zh > 0).double()
    return X.T @ dZh, H.T @ dZo
""",
        ),
    ],
    "l05_autograd": [
        (
            "mse_mean_vs_sum",
            """
def autograd_step(X, Y, Wh, Wo, lr):
    d, h = Wh.shape
    p = Wo.shape[1]
    model = nn.Sequential(
        nn.Linear(d, h, bias=False), nn.ReLU(), nn.Linear(h, p, bias=False), nn.ReLU()
    ).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(Wh.T))
        model[2].weight.copy_(torch.from_numpy(Wo.T))
    optimizer = optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    nn.MSELoss()(model(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
    optimizer.step()
    return model[0].weight.detach().numpy().T, model[2].weight.detach().numpy().T
""",
        ),
        (
            "linear_bias",
            """
def autograd_step(X, Y, Wh, Wo, lr):
    d, h = Wh.shape
    p = Wo.shape[1]
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, p), nn.ReLU()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(Wh.T))
        model[2].weight.copy_(torch.from_numpy(Wo.T))
    optimizer = optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = 0.5 * nn.MSELoss(reduction="sum")(model(torch.from_numpy(X)), torch.from_numpy(Y))
    loss.backward()
    optimizer.step()
    return model[0].weight.detach().numpy().T, model[2].weight.detach().numpy().T
""",
        ),
        (
            "missing_transpose",
            """
def autograd_step(X, Y, Wh, Wo, lr):
    d, h = Wh.shape
    p = Wo.shape[1]
    model = nn.Sequential(
        nn.Linear(d, h, bias=False), nn.ReLU(), nn.Linear(h, p, bias=False), nn.ReLU()
    ).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(Wh.T))
        model[2].weight.copy_(torch.from_numpy(Wo.T))
    optimizer = optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = 0.5 * nn.MSELoss(reduction="sum")(model(torch.from_numpy(X)), torch.from_numpy(Y))
    loss.backward()
    optimizer.step()
    return model[0].weight.detach().numpy(), model[2].weight.detach().numpy()  # (out, in)
""",
        ),
        (
            "no_activation",
            """
def autograd_step(X, Y, Wh, Wo, lr):
    d, h = Wh.shape
    p = Wo.shape[1]
    model = nn.Sequential(
        nn.Linear(d, h, bias=False), nn.ReLU(), nn.Linear(h, p, bias=False)
    ).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(Wh.T))
        model[2].weight.copy_(torch.from_numpy(Wo.T))
    optimizer = optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = 0.5 * nn.MSELoss(reduction="sum")(model(torch.from_numpy(X)), torch.from_numpy(Y))
    loss.backward()
    optimizer.step()
    return model[0].weight.detach().numpy().T, model[2].weight.detach().numpy().T
""",
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l05_numpy"].append(
    (
        "missing_transpose",  # raises: (n, h) @ (n, p) has no matching inner size
        """
def backprop(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = relu(Zh)
    Zo = H @ Wo
    Eo = (relu(Zo) - Y) * relu_prime(Zo)
    Eh = (Eo @ Wo.T) * relu_prime(Zh)
    return X.T @ Eh, H @ Eo
""",
    )
)
WRONG["l05_step"].append(
    (
        "mutates_input",
        """
def train_step(X, Y, Wh, Wo, lr):
    dWh, dWo = backprop(X, Y, Wh, Wo)
    Wh -= lr * dWh  # the seed's in-place update
    Wo -= lr * dWo
    return Wh, Wo
""",
    )
)
WRONG["l05_numpy"].append(
    (
        "relu_grad_ge_zero",
        """
def backprop(X, Y, Wh, Wo):
    Zh = X @ Wh
    H = relu(Zh)
    Zo = H @ Wo
    Eo = (relu(Zo) - Y) * (Zo >= 0)
    Eh = (Eo @ Wo.T) * (Zh >= 0)  # 1 at Zh == 0
    return X.T @ Eh, H.T @ Eo
""",
    )
)
