"""Draw the README's pictures from bundled samples into docs/images/NAME.svg.

    python scripts/render_readme_graphs.py            # rewrite docs/images/*.svg
    python scripts/render_readme_graphs.py --out DIR  # write them somewhere else

Run it after a change to the renderer or to one of these samples, and commit the result:
tests/test_readme_graphs.py checks that running it again gives the same bytes. The layout engine is
pinned to the `dot` executable on PATH because another engine (pygraphviz's bundled Graphviz, another
Graphviz version) lays the same graph out differently.
"""

import argparse
import sys
from pathlib import Path

import graphviz_ad as ga

ROOT = Path(__file__).resolve().parent.parent
ENGINE = "dot"

# file name -> (sample, mark the debugger's findings?, drawing options). A README column is about 800 px.
GRAPHS = {
    "chain_rule.svg": ("square_of_affine", False, {"formulas": True, "fit_width": 800}),
    "two_paths.svg": ("two_paths", False, {"fit_width": 800}),
    "net_221.svg": ("net_221", False, {"legend": False, "fit_width": 800}),
}


def render_all(out_dir):
    """Draw every picture of GRAPHS into `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, (sample, with_diagnose, options) in GRAPHS.items():
        G = ga.trace_target(sample)
        highlight = ga.diagnose(G) if with_diagnose else None
        written.append(ga.render(G, out_dir / filename, "svg", highlight=highlight, engine=ENGINE, **options))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder to write (default: docs/images)")
    args = parser.parse_args(argv)
    try:
        for path in render_all(args.out):
            print(path)
    except ga.GraphvizAdError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
