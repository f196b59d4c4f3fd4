"""`trace` for torch: run a model or loss closure once, then one reverse pass over the recorded calls.

Each recorded call ran on its own detached leaves (record.py), so the reverse pass asks torch's autograd
for that call's VJP alone: `torch.autograd.grad(output, leaves, grad_of_output)` gives every edge's
`grad_flow` in one call per op, and a node's `grad` is the sum of its out-edges' flows ("multiply along
a path, add across paths"), exactly what autograd's own backward would accumulate. Elementwise ops are
asked once with a gradient of ones at leaves broadcast to the result's shape, which gives their
`local_factor` directly; their flows are then `g * factor` summed back to the operand's shape.
"""

import contextlib
import gc
import inspect
import linecache
import os
import sys
import warnings

import torch

from ..errors import GradError, GraphvizAdWarning, InputError, TraceError, worded_error
from ..graph import Graph
from ..arguments import bind, map_tree
from ..build import kept_nodes
from ..naming import edge_formula
from . import naming
from .record import Recorder, is_float
from .values import dtype_name, norm, store

__all__ = ["trace"]


def trace(fn, *args, wrt=None, seed=None, **kwargs):
    """Trace a torch model or loss closure into the graph of docs/graph-contract.md.

    Args:
        fn: an `nn.Module`, or any callable over tensors (`lambda: loss_fn(model(x), y)` too).
        *args, **kwargs: what to call it with.
        wrt: names to differentiate (argument names, parameter names such as "encoder.0.weight");
            default every parameter that requires grad and every argument tensor that requires grad.
        seed: the gradient given to the output; default 1 for a scalar, ones for a tensor output.

    Returns:
        Graph: nodes are the torch calls your code made, named from your assignments, scoped by module
        path; values, gradients and every edge's factor as in docs/graph-contract.md.

    The model is left as it was: hooks removed, `training` flags, `requires_grad` flags and the RNG state
    restored, also when it raises. Since the RNG state is restored, running the model again right after
    gives the traced dropout masks.
    """
    collecting = gc.isenabled()
    gc.disable()   # recording, the reverse pass and the graph make many small objects and no cycles
    try:
        return _trace(fn, args, kwargs, wrt, seed)
    finally:
        if collecting:
            gc.enable()


def _trace(fn, args, kwargs, wrt, seed):
    name = _fun_name(fn)
    recorder = Recorder(store, name)
    # the arguments by name (a module by its forward's parameters); the call itself uses them as given
    arguments = bind(fn.forward if isinstance(fn, torch.nn.Module) else fn, args, kwargs).arguments
    modules = _modules_of(fn)
    differentiate, wrt_names = _inputs(recorder, arguments, modules, wrt)
    leaves = _leaves(recorder, arguments, modules, differentiate)
    with _restoring(modules), _hooks(recorder, modules):
        out = _run(recorder, fn, args, kwargs)
    if not isinstance(out, torch.Tensor):
        raise GradError(f"{name} returned a {type(out).__name__}; return one tensor (the loss) to differentiate")
    held = recorder.tensor_node.get(id(out))
    if held is None or held[1] is not out:
        warnings.warn(f"{name}: output does not depend on the inputs; every gradient is zero",
                      GraphvizAdWarning, stacklevel=3)
        output = recorder.leaf(out, "output", False)
    else:
        output = held[0]
    seed_tensor, seed_rule = _seed(out, seed)
    grads, flows, factors, gains = _backward(recorder, output, seed_tensor)
    unused = [recorder.tape.names[i] for i in leaves if recorder.tape.entries[i].requires_grad and grads[i] is None]
    G = _build(recorder, grads, flows, factors, gains, output, leaves)
    code = getattr(getattr(fn, "forward", fn), "__code__", None)
    for node in G.graph["inputs"]:
        d = G.nodes[node]
        if d["source"] or code is None:
            continue
        d.update(source=f"{os.path.basename(code.co_filename)}:{code.co_firstlineno}",
                 code=linecache.getline(code.co_filename, code.co_firstlineno).strip())
    G.graph.update(function=name, wrt=wrt_names, seed=_plain_seed(seed_tensor), seed_rule=seed_rule)
    if unused:
        shown = ", ".join(unused[:5]) + (f" and {len(unused) - 5} more" if len(unused) > 5 else "")
        warnings.warn(f"{name}: output does not depend on {shown}; gradient is zero there",
                      GraphvizAdWarning, stacklevel=3)
    return G


# ---------------------------------------------------------------------------------------------------
# Inputs: arguments, parameters.

def _fun_name(fn):
    if isinstance(fn, torch.nn.Module):
        return type(fn).__name__
    return getattr(fn, "__name__", type(fn).__name__)


def _modules_of(fn):
    """The nn.Modules the traced callable holds: itself, or those in its closure and globals, by name."""
    if isinstance(fn, torch.nn.Module):
        return {"": fn}
    found = {}
    code = getattr(fn, "__code__", None)
    if code is None:
        return found
    cells = dict(zip(code.co_freevars, (c.cell_contents for c in fn.__closure__ or ())))
    names = dict(cells)
    globals_ = getattr(fn, "__globals__", {})
    for n in _names_used(code):
        if n in globals_ and n not in names:
            names[n] = globals_[n]
    for n, v in names.items():
        if isinstance(v, torch.nn.Module):
            found[n] = v
    return found


def _names_used(code):
    out = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            out |= _names_used(const)
    return out


def _inputs(recorder, arguments, modules, wrt):
    """Name every parameter and argument tensor; the ids of those to differentiate, and their names."""
    candidates = {}
    for arg_name, value in arguments.items():
        map_tree(value, arg_name, lambda n, v: candidates.__setitem__(n, v) if is_float(v) else None)
    params = {}
    for mod_name, module in modules.items():
        for qual, sub in module.named_modules():
            full = ".".join(part for part in (mod_name, qual) if part)
            recorder.module_names.setdefault(id(sub), full)
        for pname, p in module.named_parameters():
            params.setdefault(f"{mod_name}.{pname}" if mod_name else pname, p)
        for bname, b in module.named_buffers():
            recorder.named.setdefault(id(b), f"{mod_name}.{bname}" if mod_name else bname)
    everything = {**candidates, **params}
    if wrt is None:
        chosen = [n for n, v in everything.items() if v.requires_grad]
    else:
        chosen = [wrt] if isinstance(wrt, str) else list(wrt)
        unknown = [n for n in chosen if n not in everything]
        if unknown:
            known = list(everything)
            raise worded_error(InputError, "{wrt} {unknown}: not a tensor argument or parameter; they are {known}",
                               {"unknown": ", ".join(unknown),
                                "known": ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")},
                               name=unknown[0])
    for n, v in everything.items():
        recorder.named.setdefault(id(v), n)
    recorder.differentiate = {id(everything[n]) for n in chosen}
    return recorder.differentiate, [n for n in everything if n in set(chosen)]


def _leaves(recorder, arguments, modules, differentiate):
    """Leaf nodes for the argument tensors, then the parameters, in order (contract: inputs first)."""
    leaves = []
    seen = set()
    items = []
    for arg_name, value in arguments.items():
        map_tree(value, arg_name, lambda n, v: items.append(v) if is_float(v) else None)
    for module in modules.values():
        items.extend(module.parameters())
    for v in items:
        if id(v) in seen:
            continue
        seen.add(id(v))
        leaves.append(recorder.leaf(v, recorder.named[id(v)], id(v) in differentiate))
    return leaves


@contextlib.contextmanager
def _restoring(modules):
    """Put back what a forward pass may change: the RNG, training flags, requires_grad flags."""
    rng = torch.get_rng_state()
    training = [(m, m.training) for module in modules.values() for m in module.modules()]
    flags = [(p, p.requires_grad) for module in modules.values() for p in module.parameters()]
    grad_mode = torch.is_grad_enabled()
    try:
        yield
    finally:
        torch.set_rng_state(rng)
        for m, mode in training:
            m.training = mode
        for p, flag in flags:
            if p.requires_grad != flag:
                p.requires_grad_(flag)
        torch.set_grad_enabled(grad_mode)


@contextlib.contextmanager
def _hooks(recorder, modules):
    """Module scopes from global forward hooks, the recording mode, and torch.compile run eagerly."""
    from torch.nn.modules import module as nn_module

    handles = [nn_module.register_module_forward_pre_hook(lambda m, a: recorder.enter_module(m)),
               nn_module.register_module_forward_hook(lambda m, a, out: recorder.exit_module(m, out), always_call=True)]
    try:
        with _eager(), recorder:
            yield
    finally:
        for h in handles:
            h.remove()


@contextlib.contextmanager
def _eager():
    """torch.compile'd code runs eagerly while tracing, so every op is seen (and said so). Only when
    dynamo is loaded: code that was compiled has loaded it, and loading it costs seconds."""
    if "torch._dynamo" not in sys.modules:
        yield
        return
    try:
        stance = torch.compiler.set_stance("force_eager")
    except Exception:   # no dynamo on this platform: nothing can be compiled either
        yield
        return
    with stance:
        yield


def _run(recorder, fn, args, kwargs):
    recorder.tape.root_frame = sys._getframe()
    if getattr(fn, "_torchdynamo_orig_callable", None) is not None or type(fn).__name__ == "OptimizedModule":
        warnings.warn(f"{_fun_name(fn)} is torch.compile'd: it is traced as eager code (same values and "
                      "gradients; the compiled kernels are not what is drawn)", GraphvizAdWarning, stacklevel=4)
    try:
        with torch.enable_grad():
            return fn(*args, **kwargs)
    finally:
        recorder.tape.root_frame = None
        recorder.tape.release_frames()


def _seed(out, seed):
    if seed is not None:
        s = torch.as_tensor(seed, dtype=out.dtype)
        if tuple(s.shape) != tuple(out.shape):
            raise GradError(f"seed has shape {tuple(s.shape)}, the output has shape {tuple(out.shape)}")
        return s, "given"
    return torch.ones_like(out.detach()), ("scalar" if out.numel() == 1 else "sum")


def _plain_seed(s):
    return float(s) if s.dim() == 0 else store(s)


# ---------------------------------------------------------------------------------------------------
# The reverse pass.

def _backward(recorder, output, seed):
    """Node gradients, and per edge (parent, node) its flow, elementwise factor and gain: one reverse pass."""
    entries = recorder.tape.entries
    grads = [None] * len(entries)
    grads[output] = seed
    # The gradients as the graph keeps them, each stored once it is final. A gradient with one term is that
    # term: the node's `grad` and its edge's `grad_flow` are then one read-only array, not two copies.
    kept = [None] * len(entries)
    flows, factors, gains = {}, {}, {}
    for node in range(output, -1, -1):
        call = recorder.calls.get(node)
        if call is None or not entries[node].requires_grad:
            if grads[node] is not None and call is None:   # a leaf: nothing more will arrive
                kept[node] = store(grads[node], copy=False)
                grads[node] = True
            continue
        local = call.locals[call.outputs.index(node)]
        g = grads[node]
        if g is None:
            g = torch.zeros_like(local.detach())
        call.pending -= 1
        keep = call.pending > 0
        wanted = [(call.parents[k], leaf) for k, leaf in enumerate(call.leaves) if leaf is not None]
        at = [call.expanded[k] for k, leaf in enumerate(call.leaves) if leaf is not None] if call.elementwise \
            else [leaf for _, leaf in wanted]
        g_norm = norm(g)
        try:
            # Elementwise: the derivative itself (VJP of ones at the broadcast leaves); others: the VJP of
            # g, or of ones when g is all zero (then the flow is zero and the gain is read off ones).
            asked = torch.ones_like(local) if call.elementwise or g_norm == 0 else g
            answers = torch.autograd.grad(local, at, asked, retain_graph=keep, allow_unused=True)
        except RuntimeError as e:
            site = recorder.tape.sites[node]
            raise TraceError(f"{entries[node].prim.name} at {os.path.basename(site[0])}:{site[1]}: torch cannot "
                             f"differentiate it ({str(e).splitlines()[0]}), so no gradient reaches its operands "
                             "and none is drawn; give the op an autograd formula (torch.library.register_autograd "
                             "or an autograd.Function) or compute it outside the traced function") from None
        size = max(local.numel(), 1)
        for (p, leaf), answer in zip(wanted, answers):
            if answer is None:
                answer = torch.zeros(local.shape if call.elementwise else leaf.shape, dtype=local.dtype)
            if call.elementwise:
                factors[(p, node)] = store(answer, copy=False)
                flow = g * answer
                if flow.shape != leaf.shape:
                    flow = flow.sum_to_size(leaf.shape)
                if answer.dim() == 0 and leaf.dim() == 0:
                    gains[(p, node)] = abs(float(answer))
                elif g_norm == 0:
                    ones = answer if answer.shape == leaf.shape else answer.sum_to_size(leaf.shape)
                    gains[(p, node)] = norm(ones) / size ** 0.5
                else:
                    gains[(p, node)] = norm(flow) / g_norm
            elif g_norm == 0:
                gains[(p, node)] = norm(answer) / size ** 0.5
                flow = torch.zeros_like(leaf)
            else:
                flow = answer
                gains[(p, node)] = norm(flow) / g_norm
            flows[(p, node)] = store(flow, copy=False)
            grads[p] = flow if grads[p] is None else grads[p] + flow
        kept[node] = store(g, copy=False)
        grads[node] = True   # stored: the tensor can go
    return kept, flows, factors, gains


# ---------------------------------------------------------------------------------------------------
# Tape -> the contract's graph.

def _build(recorder, grads, flows, factors, gains, output, leaves):
    tape = recorder.tape
    entries = tape.entries
    keep = kept_nodes(entries, output, leaves)
    order = list(leaves) + [i for i in range(len(entries)) if keep[i] and i not in set(leaves)]
    new_id = {old: new for new, old in enumerate(order)}
    for filename in {site[0] for site in tape.sites if site[0]}:
        linecache.checkcache(filename)   # a file edited since it was last read is read anew
    names = naming.names(recorder)
    nodes, edges = [], []
    for i in order:
        entry = entries[i]
        op, args, kwargs, parents, requires = entry.prim, entry.args, entry.kwargs, entry.parents, entry.requires_grad
        value = recorder.value(i)
        tensor = recorder.node_tensor[i]
        g = grads[i]
        if requires and g is None:   # no gradient arrived: zero
            g = store(torch.zeros_like(tensor.detach()))
        filename, lineno, _, _ = tape.sites[i]
        scope, scope_calls = recorder.scopes[i]
        nodes.append((new_id[i], {
            "op": op.name if op is not None else ("input" if requires else "const"),
            "name": names[i],
            "display": op.display if op is not None else names[i],
            "value": value, "grad": g if requires else None,
            "shape": tuple(tensor.shape), "dtype": dtype_name(tensor), "requires_grad": bool(requires),
            "source": f"{os.path.basename(filename)}:{lineno}" if filename else "",
            "code": linecache.getline(filename, lineno).strip() if filename else "",
            "scope": scope, "scope_calls": scope_calls,
            "params": _params(op, args, kwargs, parents)}))
        if op is None:
            continue
        by_parent = {}
        for k, p in enumerate(parents):
            if p is not None:
                by_parent.setdefault(p, []).append(k)
        for p, argnums in by_parent.items():
            edges.append((new_id[p], new_id[i], _edge(recorder, names, flows, factors, gains, p, i, argnums)))
    G = Graph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    G.graph["inputs"] = [new_id[i] for i in leaves]
    G.graph["output"] = new_id[output]
    return G


def _params(op, args, kwargs, parents):
    """Static arguments as the contract keeps them; a numpy twin's names for its static positions."""
    nargs, static = getattr(op, "nargs", -1), getattr(op, "static", ())
    params = {}
    for k in range(min(len(args), len(parents))):
        if parents[k] is None:
            named = 0 <= nargs <= k < nargs + len(static)
            params[static[k - nargs] if named else f"arg{k}"] = args[k]
    params.update(kwargs)
    return params


def _edge(recorder, names, flows, factors, gains, parent, node, argnums):
    entries = recorder.tape.entries
    entry = entries[node]
    op, args, parents = entry.prim, entry.args, entry.parents
    slot_names = {slot: names[parents[k]] if k < len(parents) and parents[k] is not None else "?"
                  for k, slot in zip(range(len(parents)), "xyz")}
    slot_names["ans"] = names[node]
    values = args
    if any(callable(rule) for rule in getattr(op, "formulas", None) or ()):   # a numpy rule reading values
        values = [recorder.value(p) if p is not None else a for p, a in zip(parents, list(args) + [None] * len(parents))]
    formula = edge_formula([_formula(op, k, slot_names, values) for k in argnums])
    data = {"argnum": argnums[0] if len(argnums) == 1 else tuple(argnums), "formula": formula,
            "local_factor": None, "gain": None, "grad_flow": None}
    if not entries[parent].requires_grad:
        return data
    key = (parent, node)
    flow = flows.get(key)
    data["grad_flow"] = flow if flow is not None else store(torch.zeros_like(recorder.node_tensor[parent].detach()))
    data["local_factor"] = factors.get(key)
    data["gain"] = gains.get(key, 0.0)
    return data


def _formula(op, argnum, slot_names, values):
    try:
        return op.formula(argnum, slot_names, values, {})
    except Exception:   # a numpy rule reading an argument torch spells differently: say only "VJP"
        return "VJP"


