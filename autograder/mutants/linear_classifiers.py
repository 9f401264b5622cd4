"""Plausible wrong answers for notebook 01; every one must fail its check.

Each mutant is a complete implementation with one mistake a student makes,
and the fragment of the failure message that must name it.
"""

import numpy as np

from autograder.mutants import Mutant

# ---------------------------------------------------------------------------
# SVM losses
# ---------------------------------------------------------------------------


def _svm_naive(W, X, y, reg, delta=1.0, skip_correct=True, mean=True, reg_grad=2.0, reg_loss=1.0,
               sign=1.0, transpose=False):
    """The explicit-loop SVM loss with switches for the usual mistakes."""
    loss = 0.0
    dW = np.zeros_like(W)
    n = X.shape[0]
    for i in range(n):
        scores = X[i] @ W
        for j in range(W.shape[1]):
            if skip_correct and j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + delta
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    if mean:
        loss /= n
        dW /= n
    loss += reg_loss * reg * np.sum(W * W)
    dW = sign * dW + reg_grad * reg * W
    return loss, (dW.T if transpose else dW)


def _svm_vectorized(W, X, y, reg, delta=1.0, mean=True, reg_grad=2.0, sign=1.0, transpose=False):
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + delta)
    margins[rows, y] = 0.0
    coeff = (margins > 0).astype(np.float64)
    coeff[rows, y] = -coeff.sum(axis=1)
    scale = n if mean else 1
    dW = sign * (X.T @ coeff) / scale + reg_grad * reg * W
    return margins.sum() / scale + reg * np.sum(W * W), (dW.T if transpose else dW)


def svm_vectorized_counts_correct_class(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[np.arange(n), y][:, None] + 1.0)  # j == y_i adds 1
    coeff = (margins > 0).astype(np.float64)
    coeff[np.arange(n), y] -= coeff.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ coeff / n + 2 * reg * W


def svm_vectorized_loops_over_examples(W, X, y, reg):
    """Right values, but 'vectorized' only inside a loop over the examples."""
    n = X.shape[0]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(n):
        scores = X[i] @ W
        margins = np.maximum(0.0, scores - scores[y[i]] + 1.0)
        margins[y[i]] = 0.0
        coeff = (margins > 0).astype(np.float64)
        coeff[y[i]] = -coeff.sum()
        loss += margins.sum()
        dW += np.outer(X[i], coeff)
    return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W


def svm_vectorized_loops_over_classes(W, X, y, reg):
    """Right values, vectorized over the examples but with a Python loop over the classes.

    Timing alone cannot reject it reliably: with C = 10 it is only about 2x
    slower than the reference (two matrix-vector products per class).
    """
    n, num_classes = X.shape[0], W.shape[1]
    rows = np.arange(n)
    correct = np.sum(X * W[:, y].T, axis=1)          # s_{y_i} for every example
    loss, dW, violations = 0.0, np.zeros_like(W), np.zeros(n)
    for j in range(num_classes):
        margins = np.maximum(0.0, X @ W[:, j] - correct + 1.0)
        margins[y == j] = 0.0
        positive = (margins > 0).astype(np.float64)
        loss += margins.sum()
        violations += positive
        dW[:, j] += X.T @ positive
    coeff = np.zeros((n, num_classes))
    coeff[rows, y] = violations
    dW -= X.T @ coeff
    return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W


def svm_vectorized_einsum(W, X, y, reg):
    """Right values and no loop, but the products are np.einsum without BLAS: about as slow as the loop."""
    n = X.shape[0]
    rows = np.arange(n)
    scores = np.einsum("nd,dc->nc", X, W)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    coeff = (margins > 0).astype(np.float64)
    coeff[rows, y] = -coeff.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), np.einsum("nd,nc->dc", X, coeff) / n + 2 * reg * W


# ---------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------


def _softmax(W, X, y, reg, shift=True, log=np.log, mean=True, reg_grad=2.0, sign=1.0, transpose=False):
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    if shift:
        scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    probs = exp / exp.sum(axis=1, keepdims=True)
    data = -np.sum(log(probs[rows, y]))
    dscores = probs.copy()
    dscores[rows, y] -= 1.0
    scale = n if mean else 1
    if log is np.log10:
        dscores = dscores / np.log(10)
    dW = sign * (X.T @ dscores) / scale + reg_grad * reg * W
    return data / scale + reg * np.sum(W * W), (dW.T if transpose else dW)


def softmax_loops_over_examples(W, X, y, reg):
    """Right values, stable, but one example at a time."""
    n = X.shape[0]
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(n):
        scores = X[i] @ W
        scores = scores - scores.max()
        log_sum = np.log(np.exp(scores).sum())
        loss += log_sum - scores[y[i]]
        probs = np.exp(scores - log_sum)
        probs[y[i]] -= 1.0
        dW += np.outer(X[i], probs)
    return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W


# ---------------------------------------------------------------------------
# Regularization
# ---------------------------------------------------------------------------


def _regularization(W, kind, reg, beta=0.5, l2_grad=2.0, l1_grad=np.sign, swap_beta=False, raise_bad=True):
    if kind == "l2":
        return reg * np.sum(W * W), l2_grad * reg * W
    if kind == "l1":
        return reg * np.sum(np.abs(W)), reg * l1_grad(W)
    if kind == "elastic":
        if swap_beta:
            return reg * np.sum(W * W + beta * np.abs(W)), reg * (2 * W + beta * np.sign(W))
        return reg * np.sum(beta * W * W + np.abs(W)), reg * (2 * beta * W + np.sign(W))
    if raise_bad:
        raise ValueError(f"unknown kind {kind!r}")
    return 0.0, np.zeros_like(W)


# ---------------------------------------------------------------------------
# Numerical gradient
# ---------------------------------------------------------------------------


def numgrad_forward(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    fx = f(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + h
        grad[k] = (f(x) - fx) / h
        x[k] = old
    return grad


def numgrad_leaves_x_modified(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for k in np.ndindex(x.shape):
        x[k] += h
        f_plus = f(x)
        x[k] -= 2 * h
        f_minus = f(x)          # forgets to put x[k] back
        grad[k] = (f_plus - f_minus) / (2 * h)
    return grad


def numgrad_ignores_h(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    step = 1e-5
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + step
        f_plus = f(x)
        x[k] = old - step
        f_minus = f(x)
        x[k] = old
        grad[k] = (f_plus - f_minus) / (2 * step)
    return grad


def numgrad_wrong_sign(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old - h
        f_minus = f(x)
        x[k] = old + h
        f_plus = f(x)
        x[k] = old
        grad[k] = (f_minus - f_plus) / (2 * h)
    return grad


# ---------------------------------------------------------------------------
# LinearClassifier
# ---------------------------------------------------------------------------


class _Classifier:
    """The reference design, with hooks the mutants override."""

    def __init__(self, loss_fn, seed=0):
        self.loss_fn = loss_fn
        self.W = None
        self.rng = np.random.default_rng(seed)

    def _indices(self, n, batch_size, it):
        return self.rng.choice(n, batch_size, replace=batch_size > n)

    def _step(self, W, dW, learning_rate):
        return W - learning_rate * dW

    def _batch(self, X, y, idx):
        return X[idx], y[idx]

    def _reg(self, reg):
        return reg

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        n, d = X.shape
        if self.W is None:
            self.W = 0.001 * self.rng.standard_normal((d, int(np.max(y)) + 1))
        history = []
        for it in range(num_iters):
            idx = self._indices(n, batch_size, it)
            Xb, yb = self._batch(X, y, idx)
            loss, dW = self.loss_fn(self.W, Xb, yb, self._reg(reg))
            self.W = self._step(self.W, dW, learning_rate)
            history.append(loss)
        return self._history(history)

    def _history(self, history):
        return history

    def predict(self, X):
        return np.argmax(X @ self.W, axis=1)


class ClassifierStepsUphill(_Classifier):
    def _step(self, W, dW, learning_rate):
        return W + learning_rate * dW


class ClassifierNoLearningRate(_Classifier):
    def _step(self, W, dW, learning_rate):
        return W - dW


class ClassifierSameBatch(_Classifier):
    def _indices(self, n, batch_size, it):
        return np.arange(batch_size)


class ClassifierShuffledLabels(_Classifier):
    def _batch(self, X, y, idx):
        return X[idx], y[self.rng.choice(len(y), len(idx))]


class ClassifierIgnoresReg(_Classifier):
    def _reg(self, reg):
        return 0.0


class ClassifierNoHistory(_Classifier):
    def _history(self, history):
        return None


class ClassifierPredictsAxis0(_Classifier):
    def predict(self, X):
        return np.argmax(X @ self.W, axis=0)


class ClassifierPredictsScores(_Classifier):
    def predict(self, X):
        return np.max(X @ self.W, axis=1)


def _m(function, name, description, impl, message, public=False):
    return Mutant(function=function, name=name, description=description, impl=impl, message=message, public=public)


MUTANTS = [
    # svm_loss_naive
    _m("svm_loss_naive", "counts_correct_class", "the hinge sum includes j == y_i",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, skip_correct=False), "j == y_i", public=True),
    _m("svm_loss_naive", "margin_0", "margin (delta) 0 instead of 1",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, delta=0.0), "margin is 0 instead of 1", public=True),
    _m("svm_loss_naive", "sum_not_mean", "sums the data loss and gradient over examples",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, mean=False), "divide by N", public=True),
    _m("svm_loss_naive", "no_reg_gradient", "forgets the regularization gradient",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, reg_grad=0.0), "2 * reg * W", public=True),
    _m("svm_loss_naive", "reg_W_gradient", "uses reg * W instead of 2 * reg * W",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, reg_grad=1.0), "2 * reg * W", public=True),
    _m("svm_loss_naive", "no_reg_loss", "leaves the regularization term out of the loss",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, reg_loss=0.0), "reg * np.sum(W * W)", public=True),
    _m("svm_loss_naive", "gradient_sign", "gradient of the data loss with the wrong sign",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, sign=-1.0), "wrong sign", public=True),
    _m("svm_loss_naive", "gradient_transposed", "returns dW with shape (C, D)",
       lambda W, X, y, reg: _svm_naive(W, X, y, reg, transpose=True), "transpose", public=True),
    # svm_loss_vectorized
    _m("svm_loss_vectorized", "loops_over_examples", "right values, but a Python loop over the examples",
       svm_vectorized_loops_over_examples, "Python loop over the examples", public=True),
    _m("svm_loss_vectorized", "loops_over_classes", "right values, but a Python loop over the classes",
       svm_vectorized_loops_over_classes, "Python loop over the classes", public=True),
    _m("svm_loss_vectorized", "einsum_without_blas", "no loop, but np.einsum products: as slow as the loop",
       svm_vectorized_einsum, "too slow"),
    _m("svm_loss_vectorized", "counts_correct_class", "does not zero the margins at j == y_i",
       svm_vectorized_counts_correct_class, "j == y_i", public=True),
    _m("svm_loss_vectorized", "margin_0", "margin 0 instead of 1",
       lambda W, X, y, reg: _svm_vectorized(W, X, y, reg, delta=0.0), "margin is 0 instead of 1", public=True),
    _m("svm_loss_vectorized", "sum_not_mean", "sums over examples",
       lambda W, X, y, reg: _svm_vectorized(W, X, y, reg, mean=False), "divide by N", public=True),
    _m("svm_loss_vectorized", "reg_W_gradient", "uses reg * W instead of 2 * reg * W",
       lambda W, X, y, reg: _svm_vectorized(W, X, y, reg, reg_grad=1.0), "2 * reg * W", public=True),
    _m("svm_loss_vectorized", "no_reg_gradient", "forgets the regularization gradient",
       lambda W, X, y, reg: _svm_vectorized(W, X, y, reg, reg_grad=0.0), "2 * reg * W"),
    _m("svm_loss_vectorized", "gradient_transposed", "dscores.T @ X: shape (C, D)",
       lambda W, X, y, reg: _svm_vectorized(W, X, y, reg, transpose=True), "transpose", public=True),
    _m("svm_loss_vectorized", "gradient_sign", "gradient with the wrong sign",
       lambda W, X, y, reg: _svm_vectorized(W, X, y, reg, sign=-1.0), "wrong sign"),
    # softmax_loss_vectorized
    _m("softmax_loss_vectorized", "loops_over_examples", "right values, but a Python loop over the examples",
       softmax_loops_over_examples, "Python loop over the examples", public=True),
    _m("softmax_loss_vectorized", "no_max_shift", "exponentiates the raw scores (overflow at 1e4)",
       lambda W, X, y, reg: _softmax(W, X, y, reg, shift=False), "subtract each row's maximum", public=True),
    _m("softmax_loss_vectorized", "log10", "uses the base-10 logarithm",
       lambda W, X, y, reg: _softmax(W, X, y, reg, log=np.log10), "base-10", public=True),
    _m("softmax_loss_vectorized", "sum_not_mean", "sums over examples",
       lambda W, X, y, reg: _softmax(W, X, y, reg, mean=False), "divide by N", public=True),
    _m("softmax_loss_vectorized", "no_reg_gradient", "forgets the regularization gradient",
       lambda W, X, y, reg: _softmax(W, X, y, reg, reg_grad=0.0), "2 * reg * W", public=True),
    _m("softmax_loss_vectorized", "reg_W_gradient", "uses reg * W instead of 2 * reg * W",
       lambda W, X, y, reg: _softmax(W, X, y, reg, reg_grad=1.0), "2 * reg * W", public=True),
    _m("softmax_loss_vectorized", "gradient_sign", "Y - P instead of P - Y",
       lambda W, X, y, reg: _softmax(W, X, y, reg, sign=-1.0), "wrong sign", public=True),
    _m("softmax_loss_vectorized", "gradient_transposed", "returns dW with shape (C, D)",
       lambda W, X, y, reg: _softmax(W, X, y, reg, transpose=True), "transpose"),
    # regularization
    _m("regularization", "l2_grad_reg_W", "L2 gradient reg * W",
       lambda W, kind, reg, beta=0.5: _regularization(W, kind, reg, beta, l2_grad=1.0), "2 * reg * W",
       public=True),
    _m("regularization", "l1_grad_W", "L1 gradient W instead of sign(W)",
       lambda W, kind, reg, beta=0.5: _regularization(W, kind, reg, beta, l1_grad=lambda w: w), "sign(W)",
       public=True),
    _m("regularization", "l1_grad_ones", "L1 gradient 1 everywhere",
       lambda W, kind, reg, beta=0.5: _regularization(W, kind, reg, beta, l1_grad=np.ones_like), "sign(W)"),
    _m("regularization", "elastic_beta_on_l1", "elastic net with beta on |W| instead of W**2",
       lambda W, kind, reg, beta=0.5: _regularization(W, kind, reg, beta, swap_beta=True), "beta",
       public=True),
    _m("regularization", "unknown_kind_silent", "returns zeros for an unknown kind",
       lambda W, kind, reg, beta=0.5: _regularization(W, kind, reg, beta, raise_bad=False), "ValueError",
       public=True),
    # numerical_gradient
    _m("numerical_gradient", "forward_differences", "(f(x + h) - f(x)) / h", numgrad_forward, "centred",
       public=True),
    _m("numerical_gradient", "leaves_x_modified", "does not restore x[k]", numgrad_leaves_x_modified,
       "modified its input `x`", public=True),
    _m("numerical_gradient", "ignores_h", "uses a fixed step instead of h", numgrad_ignores_h,
       "step h you were given", public=True),
    _m("numerical_gradient", "wrong_sign", "(f(x - h) - f(x + h)) / (2h)", numgrad_wrong_sign, "wrong sign",
       public=True),
    # LinearClassifier
    _m("LinearClassifier", "steps_uphill", "W += learning_rate * dW", ClassifierStepsUphill, "uphill",
       public=True),
    _m("LinearClassifier", "no_learning_rate", "W -= dW", ClassifierNoLearningRate, "learning rate is not applied",
       public=True),
    _m("LinearClassifier", "same_batch", "always the first batch_size examples", ClassifierSameBatch,
       "same", public=True),
    _m("LinearClassifier", "labels_from_other_indices", "samples y with other indices than X",
       ClassifierShuffledLabels, "same indices", public=True),
    _m("LinearClassifier", "ignores_reg", "passes reg = 0 to the loss", ClassifierIgnoresReg, "reg", public=True),
    _m("LinearClassifier", "no_history", "returns None instead of the loss history", ClassifierNoHistory,
       "loss history", public=True),
    _m("LinearClassifier", "predict_axis_0", "np.argmax(..., axis=0)", ClassifierPredictsAxis0, "axis=1",
       public=True),
    _m("LinearClassifier", "predict_scores", "returns the highest score instead of its class",
       ClassifierPredictsScores, "integer", public=True),
]
