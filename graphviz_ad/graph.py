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

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: the SVG drawing, or plain text saying why there is none (no traceback)."""
        from .dot import to_dot
        from .engine import draw
        from .errors import GraphvizAdError

        text = (f"<graphviz_ad.Graph {self.graph.get('function', '')}: {self.number_of_nodes()} nodes, "
                f"{self.number_of_edges()} edges>")
        try:
            svg = draw(to_dot(self)).decode("utf-8")
        except GraphvizAdError as e:
            return {"text/plain": f"{text}\n(no picture: {e})"}
        return {"image/svg+xml": svg, "text/plain": text}
