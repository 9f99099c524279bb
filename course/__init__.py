"""Reference implementations for the backprop course (grader side; never shipped to students).

numpy float64 throughout; torch only in ``course.torch_nets`` (imported on demand).
"""

from .activations import (
    ACTIVATIONS,
    identity,
    identity_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    sigmoid_grad_from_output,
    tanh,
    tanh_grad,
)
from .gradcheck import (
    numerical_derivative_elementwise,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)
from .layers import (
    activation_backward,
    activation_forward,
    dense_backward,
    dense_forward,
    neuron_backward,
    neuron_forward,
)
from .losses import LOSSES, bce_with_logits, half_mse, half_sse, mse, seed001_cross_entropy, sse
from .network import (
    aug,
    aug_backward,
    aug_forward,
    gd_step,
    matrix_net_grads,
    matrix_net_step,
    train,
    train_sgd,
    two_layer_backward,
    two_layer_forward,
)
from .seed_nets import (
    net221_backward,
    net221_forward,
    sigmoid_net_backward,
    sigmoid_net_forward,
    train_layer,
    train_neuron,
)

__all__ = [
    "ACTIVATIONS",
    "identity",
    "identity_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "sigmoid_grad_from_output",
    "tanh",
    "tanh_grad",
    "numerical_derivative_elementwise",
    "numerical_gradient",
    "numerical_gradient_array",
    "rel_error",
    "activation_backward",
    "activation_forward",
    "dense_backward",
    "dense_forward",
    "neuron_backward",
    "neuron_forward",
    "LOSSES",
    "bce_with_logits",
    "half_mse",
    "half_sse",
    "mse",
    "seed001_cross_entropy",
    "sse",
    "aug",
    "aug_backward",
    "aug_forward",
    "gd_step",
    "matrix_net_grads",
    "matrix_net_step",
    "train",
    "train_sgd",
    "two_layer_backward",
    "two_layer_forward",
    "net221_backward",
    "net221_forward",
    "sigmoid_net_backward",
    "sigmoid_net_forward",
    "train_layer",
    "train_neuron",
]
