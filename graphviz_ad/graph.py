"""The traced graph: a networkx DiGraph with the plain attributes of docs/graph-contract.md."""

import networkx as nx


class Graph(nx.DiGraph):
    """A traced computation: nodes are values, edges run from operand to result.

    Every networkx algorithm works on it. The attributes are documented in docs/graph-contract.md;
    the properties below are shortcuts to the graph-level ones.
    """

    @property
    def inputs(self):
        """Node ids of the arguments, in argument order."""
        return list(self.graph.get("inputs", ()))

    @property
    def output(self):
        """Node id of the output."""
        return self.graph.get("output")

    def node_named(self, name):
        """The first node (in trace order) whose `name` is `name`."""
        for node, data in self.nodes(data=True):
            if data.get("name") == name:
                return node
        raise KeyError(f"no node named {name!r}; names: {sorted({d['name'] for _, d in self.nodes(data=True)})}")

    def grad_of(self, name):
        """The gradient stored on the node called `name` (an input's name, usually)."""
        return self.nodes[self.node_named(name)]["grad"]

    def value_of(self, name):
        """The forward value stored on the node called `name`."""
        return self.nodes[self.node_named(name)]["value"]

    def interactive(self, height=640, **options):
        """The interactive page, displayed inline in a notebook: see `graphviz_ad.interactive`."""
        from .notebook import interactive

        return interactive(self, height=height, **options)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: the SVG drawing, collapsed above the inline budget, or text saying why there is none."""
        import warnings

        from .dot import to_dot
        from .engine import draw
        from .errors import GraphvizAdError, GraphvizAdWarning
        from .notebook import INLINE_BUDGET, MAX_INLINE_BYTES, summary_line, too_big

        text = summary_line(self)
        options = {"budget": INLINE_BUDGET} if self.number_of_nodes() > INLINE_BUDGET else {}
        try:
            with warnings.catch_warnings():  # the drawing's legend says what was collapsed
                warnings.simplefilter("ignore", GraphvizAdWarning)
                svg = draw(to_dot(self, **options)).decode("utf-8")
        except GraphvizAdError as e:
            return {"text/plain": f"{text}\n(no picture: {e})"}
        if len(svg) > MAX_INLINE_BYTES:  # still too big after collapsing: say so, and how to see it
            return {"text/html": too_big(self, len(svg)), "text/plain": f"{text}\n(too big to draw inline)"}
        return {"image/svg+xml": svg, "text/plain": text}
