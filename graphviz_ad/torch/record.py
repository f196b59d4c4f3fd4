"""Recording a torch forward pass: every torch call the user's code makes becomes a tape entry.

A TorchFunctionMode sees `torch.*`, `Tensor` methods and operators and `torch.nn.functional.*` calls.
Each recorded call runs on fresh leaves detached from its operands, so the call's own autograd graph is
kept apart from the rest: the reverse pass (trace.py) asks torch for exactly this op's VJP at exactly
these inputs. Module scopes come from global forward pre/post hooks.

The tape is graphviz_ad's numpy Tape (entries, names, source sites), so names come from the user's
assignments exactly as for numpy; `Call` holds what torch needs on top.
"""

import ast
import linecache
import os
import warnings

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from ..errors import GraphvizAdWarning, TraceError
from ..tracer import Entry, Tape, skip_frames_from, source_line, user_frame, where
from .ops import spelling

skip_frames_from(os.path.dirname(torch.__file__))

# Tensor attributes read through __get__ that are values of the graph (the others are metadata).
_VALUE_ATTRIBUTES = {"T", "mT", "H", "mH", "real"}
# Calls that never make a value of the graph: metadata, and grad-mode switches (watched separately).
_METADATA = {"size", "dim", "numel", "stride", "is_contiguous", "is_floating_point", "element_size",
             "data_ptr", "storage_offset", "__len__", "__format__", "__repr__", "__bool__", "__int__",
             "__float__", "__index__", "item", "tolist", "numpy", "cpu", "requires_grad_", "retain_grad",
             "register_hook", "backward", "detach_", "is_complex", "get_device", "untyped_storage",
             "_set_grad_enabled", "set_", "__contains__", "equal", "allclose", "__hash__", "__eq__"}
_NO_GRAD_OPS = {"detach", "argmax", "argmin", "argsort", "eq", "ne", "lt", "le", "gt", "ge", "__lt__",
                "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "isnan", "isinf", "isfinite", "sign_",
                "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like",
                "nonzero", "bernoulli", "multinomial", "__invert__", "logical_not", "logical_and",
                "logical_or", "all", "any", "count_nonzero", "bucketize", "searchsorted", "new_zeros",
                "new_ones", "new_empty", "new_full", "new_tensor"}


LATER = object()   # an entry's value to be read when the graph is built


def is_float(x):
    """A floating-point tensor: the only kind that carries a gradient."""
    return isinstance(x, torch.Tensor) and x.is_floating_point()


class Call:
    """One recorded torch call: its operands' leaves and its outputs, for the reverse pass."""

    __slots__ = ("parents", "argnums", "leaves", "expanded", "outputs", "locals", "elementwise", "pending")

    def __init__(self, parents, argnums, leaves, expanded, elementwise):
        self.parents = parents        # distinct operand nodes, in first-use order
        self.argnums = argnums        # per distinct operand: its positions in the call
        self.leaves = leaves          # per distinct operand: the detached leaf the call ran on (or None)
        self.expanded = expanded      # elementwise calls: the leaves broadcast to the result's shape
        self.outputs = []             # node ids of the float outputs
        self.locals = []              # the call's own output tensors (in its private autograd graph)
        self.elementwise = elementwise
        self.pending = 0


class Recorder(TorchFunctionMode):
    """Records torch calls onto a Tape. `store(tensor)` makes the value kept in the graph."""

    def __init__(self, store, scope_root):
        super().__init__()
        self.tape = Tape(record_source=True, lift_constants=True)
        self.store = store
        self.calls = {}            # node -> Call
        self.tensor_node = {}      # id(tensor) -> (node, tensor, version): the node a live tensor holds
        self.node_tensor = []      # node -> the tensor holding its value (leaves and outputs)
        self.scopes = []           # node -> (scope, scope_calls)
        self.scope = ((scope_root,), (0,))
        self.scope_count = 1
        self.module_stack = []
        self.module_names = {}     # id(module) -> qualified name ("" for the traced module itself)
        self.module_outputs = {}   # node -> the qualified name of the innermost module that returned it
        self.inplace_of = {}       # node made in place -> the node its tensor held before
        self.output_position = {}  # node -> (position, count) among the tensors its call returned
        self.named = {}            # id(tensor) -> name, for parameters, buffers and named tensors
        self.differentiate = set()  # ids of the tensors to differentiate (parameters and inputs)
        self.cut = {}              # id(tensor) -> (tensor, "file:line") computed under no_grad
        self.no_grad_at = None
        self.warned = set()

    # ------------------------------------------------------------------------------------------------
    # Leaves and scopes.

    def leaf(self, tensor, name, requires):
        tape = self.tape
        node = len(tape.entries)
        value = self.store(tensor)
        tape.entries.append(Entry(None, value, (), {}, (), requires))
        tape.names[node] = name
        tape.sites.append(tape._site() if tape.root_frame is not None else ("", 0, (), ()))
        self._hold(node, tensor)
        return node

    def _hold(self, node, tensor):
        while len(self.node_tensor) <= node:
            self.node_tensor.append(None)
            self.scopes.append(self.scope)
        self.node_tensor[node] = tensor
        self.scopes[node] = self.scope
        self.tensor_node[id(tensor)] = (node, tensor, tensor._version)

    def enter_module(self, module):
        name = self.module_names.get(id(module))
        if name is None:   # a module outside the traced model: named by its class
            name = self.module_names[id(module)] = type(module).__name__
        self.module_stack.append(self.scope)
        if name:   # the traced module itself is the root scope already
            labels, calls = self.scope
            self.scope = (labels + (name,), calls + (self.scope_count,))
            self.scope_count += 1

    def exit_module(self, module, output):
        if self.module_stack:
            self.scope = self.module_stack.pop()
        name = self.module_names.get(id(module))
        if not name:
            return
        tensors = [t for t in _flatten_result(output) if is_float(t)]
        for k, t in enumerate(tensors):
            held = self.tensor_node.get(id(t))
            if held is not None and held[1] is t and held[0] not in self.module_outputs:
                self.module_outputs[held[0]] = name if k == 0 else f"{name}[{k}]"

    def node_of(self, tensor):
        """The node of an operand tensor, making a leaf (input, parameter or constant) when it is new."""
        held = self.tensor_node.get(id(tensor))
        if held is not None and held[1] is tensor:
            node, _, version = held
            if tensor._version == version:
                return node
            if self.tape.entries[node].requires_grad:
                frame = user_frame(3)
                entry, (filename, lineno) = self.tape.entries[node], self.tape.sites[node][:2]
                made = (f"the result of {entry.prim.name} at {os.path.basename(filename)}:{lineno}"
                        if entry.prim is not None else self.tape.names.get(node, "an input"))
                raise TraceError(
                    f"{made} was changed in place through a view before it is used at {where(frame)} "
                    f"({source_line(frame)!r}); the tracer cannot follow that change, so its gradient would be "
                    "wrong. Change the tensor itself (h[0] *= 3 rather than v = h[0]; v.mul_(3)) or write "
                    "the step out of place")
            # a constant changed in place (a running statistic, say): from now on a new constant
        name = self.named.get(id(tensor))
        requires = id(tensor) in self.differentiate
        if name is None:
            cut = self.cut.get(id(tensor))
            if tensor.requires_grad and tensor.grad_fn is not None:
                return self._foreign(tensor)
            if cut is not None:
                frame = user_frame(3)
                self.warn(f"a value computed under torch.no_grad() (at {cut[1]}) is used at {where(frame)}: "
                          "it enters the graph as a constant, so no gradient flows back through it to the "
                          "values it was computed from", key=("cut", cut[1]))
            name = _const_name(tensor)
            requires = requires or (tensor.requires_grad and tensor.is_leaf)
        return self.leaf(tensor, name, requires)

    def _foreign(self, tensor):
        """A tensor made by something torch ran without telling the mode (a custom autograd.Function)."""
        parents = []
        seen = set()
        stack = [tensor.grad_fn]
        by_grad_fn = {id(t.grad_fn): n for n, t in self._outputs_with_grad_fn()}
        while stack:
            fn = stack.pop()
            if fn is None or id(fn) in seen:
                continue
            seen.add(id(fn))
            node = by_grad_fn.get(id(fn))
            if node is None and hasattr(fn, "variable"):
                held = self.tensor_node.get(id(fn.variable))
                node = held[0] if held is not None else None
                if node is None:
                    node = self.node_of(fn.variable)
            if node is not None:
                if node not in parents:
                    parents.append(node)
                continue
            stack.extend(f for f, _ in fn.next_functions)
        parents.sort()
        frame = user_frame(3)
        if not parents:
            raise TraceError(f"a tensor with a gradient history graphviz-ad did not see is used at "
                             f"{where(frame)} ({source_line(frame)!r}); compute it inside the traced function")
        name = type(tensor.grad_fn).__name__.removesuffix("Backward").removesuffix("Backward0") or "function"
        leaves = [self.node_tensor[p] for p in parents]
        call = Call(parents, [k for k in range(len(parents))], leaves, None, False)
        call.pending = 1
        op = spelling(name).op
        node = self._append(op, tensor, [None] * len(parents), {}, [*parents], True)
        call.outputs.append(node)
        call.locals.append(tensor)
        self.calls[node] = call
        return node

    def _outputs_with_grad_fn(self):
        for node, call in self.calls.items():
            for out_node, local in zip(call.outputs, call.locals):
                if local.grad_fn is not None:
                    yield out_node, local

    def warn(self, message, key):
        if key not in self.warned:
            self.warned.add(key)
            warnings.warn(message, GraphvizAdWarning, stacklevel=2)

    def _append(self, op, tensor, args, kwargs, parents, requires):
        """An op's result; its value is read at the end (see `value`) unless changed in place first."""
        tape = self.tape
        node = len(tape.entries)
        tape.entries.append(Entry(op, LATER, args, kwargs, parents, requires))
        tape.sites.append(tape._site())
        self._hold(node, tensor)
        return node

    def value(self, node):
        """The node's value for the graph: kept at record time for leaves and for results changed in place
        afterwards (`keep`), else read now without a copy (the result is the recorder's own tensor)."""
        value = self.tape.entries[node].value
        return self.store(self.node_tensor[node], copy=False) if value is LATER else value

    def keep(self, tensor):
        """`tensor` is about to change in place: copy the value of the node it holds first."""
        held = self.tensor_node.get(id(tensor))
        if held is not None and held[1] is tensor and self.tape.entries[held[0]].value is LATER:
            self.tape.entries[held[0]].value = self.store(tensor)

    # ------------------------------------------------------------------------------------------------
    # The mode.

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name == "__get__":
            name = getattr(getattr(func, "__self__", None), "__name__", "")
            if name not in _VALUE_ATTRIBUTES:
                return func(*args, **kwargs)
        if name in _METADATA or name in _NO_GRAD_OPS:
            if name == "_set_grad_enabled" and args and not args[0]:
                self.no_grad_at = where(user_frame(2))
            return func(*args, **kwargs)
        return self._record(func, name, args, kwargs)

    def _record(self, func, name, args, kwargs):
        flat = _flatten(args)
        tensor_positions = [k for k, a in enumerate(flat) if is_float(a)]
        kw_tensors = [key for key, v in kwargs.items() if is_float(v)]
        if not tensor_positions and not kw_tensors:
            return func(*args, **kwargs)
        sp = spelling(name)
        grad_on = torch.is_grad_enabled()
        if name in _COMMUTED and len(flat) == 2 and _is_number(flat[1]) and _number_written_first(user_frame(2)):
            sp = sp.__class__(sp.op, sp.elementwise, True, sp.inplace)   # 0.5 * x arrives as mul(x, 0.5)
        if sp.swap and len(flat) >= 2:
            flat[0], flat[1] = flat[1], flat[0]
            tensor_positions = [k for k, a in enumerate(flat) if is_float(a)]
        # The operands: float tensors, and plain numbers in elementwise ops (the 2 in x * 2).
        operands = {}
        for k, a in enumerate(flat):
            if is_float(a):
                operands[k] = self.node_of(a)
            elif sp.elementwise and _is_number(a):
                operands[k] = self.leaf(torch.tensor(float(a), dtype=torch.float64), _const_name(a), False)
        base = len(flat)
        for i, key in enumerate(kw_tensors):
            operands[base + i] = self.node_of(kwargs[key])
        entries = self.tape.entries
        requires = grad_on and any(entries[n].requires_grad for n in operands.values())
        if not requires:
            return self._record_constant(func, name, sp, flat, args, kwargs, operands, kw_tensors, grad_on)

        parents, argnums = [], []
        for k, n in operands.items():
            if n in parents:
                argnums[parents.index(n)].append(k)
            else:
                parents.append(n)
                argnums.append([k])
        leaves = [self.node_tensor[n].detach().requires_grad_(True) if entries[n].requires_grad else None for n in parents]
        elementwise = sp.elementwise or all(self.node_tensor[n].dim() == 0 for n in parents)
        expanded = None
        run_with = {}
        if elementwise:
            shapes = [self.node_tensor[n].shape for n in parents]
            # numpy's broadcasting rule (torch.broadcast_shapes would load torch's reference ops: seconds)
            shape = shapes[0] if all(s == shapes[0] for s in shapes) else torch.Size(np.broadcast_shapes(*shapes))
            expanded = []
            for n, leaf in zip(parents, leaves):
                x = leaf
                if leaf is not None and leaf.shape != shape and not (sp.inplace and n == operands.get(0)):
                    x = leaf.expand(shape)
                expanded.append(x)
        for (n, leaf), x in zip(zip(parents, leaves), expanded or leaves):
            run_with[n] = x if leaf is not None else self.node_tensor[n]
        target = None
        if sp.inplace:
            target = flat[0]
            if target.is_leaf and target.requires_grad:
                return func(*args, **kwargs)   # torch's own error: in-place on a leaf that requires grad
            work = run_with[operands[0]].clone() if operands[0] in run_with else None
            run_with = dict(run_with)
            run_with[operands[0]] = work
        call_flat = [run_with[operands[k]] if k in operands and not _is_number(a) else a for k, a in enumerate(flat)]
        if sp.swap:
            call_flat[0], call_flat[1] = call_flat[1], call_flat[0]
        call_kwargs = dict(kwargs)
        for i, key in enumerate(kw_tensors):
            call_kwargs[key] = run_with[operands[base + i]]
        call_args = _unflatten(args, call_flat)
        try:
            result = func(*call_args, **call_kwargs)
        except Exception as e:
            if hasattr(e, "add_note"):
                e.add_note(f"graphviz_ad: while computing {name} at {where(user_frame(3))}")
            raise
        if sp.inplace:
            result = work if name == "__setitem__" or result is None else result
            self.keep(target)
            with torch.no_grad():
                target.copy_(result)
            outputs = [(result, target)]
            returned = None if name == "__setitem__" else target
        else:
            outputs = [(t, t) for t in _flatten_result(result)]
            returned = result
        several = len(outputs) > 1
        call = Call(parents, argnums, leaves, expanded, elementwise)
        plain = [None if k in operands else _plain(a) for k, a in enumerate(flat)]
        static = {key: _plain(v) for key, v in kwargs.items() if key not in kw_tensors}
        for position, (local, visible) in enumerate(outputs):
            if not is_float(local):
                continue
            if not local.requires_grad:
                self.warn(f"{name} at {where(user_frame(3))} returns a value without a gradient although its "
                          "operands have one (an op without autograd support?): no gradient flows back "
                          "through it; the graph shows it as a constant", key=("nograd", name))
                self.leaf(visible, _const_name(visible), False)
                continue
            node = self._append(sp.op, visible, plain, static, [operands.get(k) for k in range(len(flat))]
                                + [operands[base + i] for i in range(len(kw_tensors))], True)
            call.outputs.append(node)
            call.locals.append(local)
            self.calls[node] = call
            if sp.inplace:
                self.inplace_of[node] = operands[0]
            if several:
                self.output_position[node] = (position, len(outputs))
        call.pending = len(call.outputs)
        return returned

    def _record_constant(self, func, name, sp, flat, args, kwargs, operands, kw_tensors, grad_on):
        """A call with no operand to differentiate: its result is a constant value of the graph."""
        differentiable = [n for n in operands.values() if self.tape.entries[n].requires_grad]
        if sp.inplace and isinstance(flat[0], torch.Tensor):
            self.keep(flat[0])
        result = func(*args, **kwargs)
        if not grad_on and differentiable:
            for t in _flatten_result(result):
                if is_float(t):
                    self.cut[id(t)] = (t, self.no_grad_at or where(user_frame(3)))
            return result
        if sp.inplace:
            target = flat[0]
            outputs = [target] if is_float(target) else []
        else:
            outputs = [t for t in _flatten_result(result) if is_float(t)]
        if not outputs and result is not None and not isinstance(result, (torch.Tensor, list, tuple)):
            return result
        base = len(flat)
        plain = [None if k in operands else _plain(a) for k, a in enumerate(flat)]
        static = {key: _plain(v) for key, v in kwargs.items() if key not in kw_tensors}
        parents = [operands.get(k) for k in range(len(flat))] + [operands[base + i] for i in range(len(kw_tensors))]
        for t in outputs:
            self._append(sp.op, t, plain, static, parents, False)
        return result


_COMMUTED = {"mul", "add", "__mul__", "__add__"}
_WRITTEN_FIRST = {}   # (code, instruction offset) -> whether the number is the left operand there


def _number_written_first(frame):
    """Whether the user wrote `0.5 * x` rather than `x * 0.5`: Python hands torch both as mul(x, 0.5).

    The instruction's source span (co_positions) is parsed; a numeric literal on the left says so.
    """
    if frame is None:
        return False
    key = (frame.f_code, frame.f_lasti)
    hit = _WRITTEN_FIRST.get(key)
    if hit is None:
        hit = False
        try:
            positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
            start, end, col, end_col = positions
            lines = [linecache.getline(frame.f_code.co_filename, n).encode() for n in range(start, end + 1)]
            if lines and None not in (col, end_col):
                lines[-1] = lines[-1][:end_col]
                lines[0] = lines[0][col:]
                expr = ast.parse(b"".join(lines).decode().strip(), mode="eval").body
                left = expr.left if isinstance(expr, ast.BinOp) else None
                if isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub):
                    left = left.operand
                hit = isinstance(left, ast.Constant) and _is_number(left.value)
        except (SyntaxError, ValueError, IndexError, TypeError):
            hit = False
        _WRITTEN_FIRST[key] = hit
    return hit


def _flatten(args):
    """Positional arguments with lists and tuples of tensors spread out (torch.cat([a, b]): a, b)."""
    flat = []
    for a in args:
        if isinstance(a, (list, tuple)) and any(isinstance(x, torch.Tensor) for x in a):
            flat.extend(_flatten(a))
        else:
            flat.append(a)
    return flat


def _unflatten(args, flat):
    it = iter(flat)

    def rebuild(items):
        out = []
        for a in items:
            if isinstance(a, (list, tuple)) and any(isinstance(x, torch.Tensor) for x in a):
                inner = rebuild(a)
                out.append(type(a)(*inner) if hasattr(a, "_fields") else type(a)(inner))
            else:
                out.append(next(it))
        return out
    return tuple(rebuild(args))


def _flatten_result(result):
    """The tensors a call returned, in order: (out, (h, c)) gives out, h, c; an index or None counts too."""
    if isinstance(result, (list, tuple)):
        out = []
        for r in result:
            out.extend(_flatten_result(r))
        return out
    return [result]


def _is_number(a):
    return isinstance(a, (int, float)) and not isinstance(a, bool)


def _plain(a):
    """A static argument as the graph keeps it: tensors (indices, masks) as numpy arrays."""
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy() if a.numel() <= 10_000 else f"tensor{list(a.shape)}"
    if isinstance(a, torch.Size):
        return tuple(a)
    if isinstance(a, torch.dtype):
        return str(a).removeprefix("torch.")
    if isinstance(a, (list, tuple)) and any(isinstance(x, torch.Tensor) for x in a):
        return type(a)(_plain(x) for x in a) if not hasattr(a, "_fields") else tuple(_plain(x) for x in a)
    return a


def _const_name(a):
    if isinstance(a, torch.Tensor):
        if a.dim() == 0:
            return f"{float(a):.4g}"
        return "const" + "x".join(map(str, a.shape)).join("[]")
    return f"{float(a):.4g}"
